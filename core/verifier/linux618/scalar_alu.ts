/**
 * Scalar ALU of Linux 6.18: `adjust_scalar_min_max_vals` and the
 * per-operator bound functions (`scalar{32,}_min_max_{add,sub,mul,and,or,
 * xor,lsh,rsh,arsh}`), `zext_32_to_64`, `coerce_reg_to_size` and the sign
 * extensions of `movsx`.
 *
 * `check_add_overflow` / `check_sub_overflow` / `check_mul_overflow` store
 * the wrapped result and report whether it wrapped, as the kernel's
 * builtins do; the bound functions below depend on that.
 *
 * @module
 */
import {
  copyReg,
  markReg32Known,
  markReg32Unbounded,
  markReg64Unbounded,
  markRegKnown,
  markRegKnownValue,
  markRegUnknown,
  regAssign32Into64,
  regBoundsSync,
  RegState,
  SCALAR_VALUE,
  updateReg32Bounds,
  updateRegBounds,
} from "./reg.ts";
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumCast,
  tnumConst,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumUnknown,
  tnumXor,
} from "./tnum.ts";
import { isConstReg64 } from "./sync64.ts";
import { W64, type Width } from "./width.ts";

// ALU op codes (BPF_OP)
const ADD = 0x00, SUB = 0x10, MUL = 0x20, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80;
const XOR = 0xa0, ARSH = 0xc0;

/**
 * Whether the last of the checked operations below wrapped: their result is
 * the wrapped value and this is `check_*_overflow`'s return value (a flag,
 * not a tuple per call: these run on every ALU op).
 */
let wrapped = false;

const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n, U64_MAX = (1n << 64n) - 1n;
const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n, U32_MAX = (1n << 32n) - 1n;

/**
 * `r` wrapped to a signed `bits`-bit value; sets {@link wrapped}. A result
 * in range is returned as it is (no second bigint for the common case).
 */
function swrap(bits: number, r: bigint): bigint {
  const fits = bits === 64 ? r >= S64_MIN && r <= S64_MAX : bits === 32 ? r >= S32_MIN && r <= S32_MAX : false;
  if (fits) {
    wrapped = false;
    return r;
  }
  const w = BigInt.asIntN(bits, r);
  wrapped = w !== r;
  return w;
}
/** `r` wrapped to an unsigned `bits`-bit value; sets {@link wrapped}. */
function uwrap(bits: number, r: bigint): bigint {
  const fits = r >= 0n && (bits === 64 ? r <= U64_MAX : bits === 32 ? r <= U32_MAX : false);
  if (fits) {
    wrapped = false;
    return r;
  }
  const w = BigInt.asUintN(bits, r);
  wrapped = w !== r;
  return w;
}

/** Signed add in `bits` (sets {@link wrapped}). */
function sadd(bits: number, a: bigint, b: bigint): bigint {
  return swrap(bits, a + b);
}
/** Unsigned add in `bits`. */
function uadd(bits: number, a: bigint, b: bigint): bigint {
  return uwrap(bits, a + b);
}
function ssub(bits: number, a: bigint, b: bigint): bigint {
  return swrap(bits, a - b);
}
function usub(bits: number, a: bigint, b: bigint): bigint {
  return uwrap(bits, a - b);
}
function smul(bits: number, a: bigint, b: bigint): bigint {
  return swrap(bits, a * b);
}
function umul(bits: number, a: bigint, b: bigint): bigint {
  return uwrap(bits, a * b);
}

/** `scalar32_min_max_add`. */
export function scalar32MinMaxAdd(w: Width, dst: RegState, src: RegState): void {
  const h = w.half;
  dst.s32min = sadd(h, dst.s32min, src.s32min);
  let ov = wrapped;
  if (!ov) {
    dst.s32max = sadd(h, dst.s32max, src.s32max);
    ov = wrapped;
  }
  if (ov) {
    dst.s32min = w.hsmin;
    dst.s32max = w.hsmax;
  }
  const umin = uadd(h, dst.u32min, src.u32min), minOv = wrapped;
  const umax = uadd(h, dst.u32max, src.u32max), maxOv = wrapped;
  dst.u32min = umin;
  dst.u32max = umax;
  if (!minOv && maxOv) {
    dst.u32min = 0n;
    dst.u32max = w.humax;
  }
}

/** `scalar_min_max_add`. */
export function scalarMinMaxAdd(w: Width, dst: RegState, src: RegState): void {
  const b = w.bits;
  dst.smin = sadd(b, dst.smin, src.smin);
  let ov = wrapped;
  if (!ov) {
    dst.smax = sadd(b, dst.smax, src.smax);
    ov = wrapped;
  }
  if (ov) {
    dst.smin = w.smin;
    dst.smax = w.smax;
  }
  const umin = uadd(b, dst.umin, src.umin), minOv = wrapped;
  const umax = uadd(b, dst.umax, src.umax), maxOv = wrapped;
  dst.umin = umin;
  dst.umax = umax;
  if (!minOv && maxOv) {
    dst.umin = 0n;
    dst.umax = w.umax;
  }
}

/** `scalar32_min_max_sub`. */
export function scalar32MinMaxSub(w: Width, dst: RegState, src: RegState): void {
  const h = w.half;
  dst.s32min = ssub(h, dst.s32min, src.s32max);
  let ov = wrapped;
  if (!ov) {
    dst.s32max = ssub(h, dst.s32max, src.s32min);
    ov = wrapped;
  }
  if (ov) {
    dst.s32min = w.hsmin;
    dst.s32max = w.hsmax;
  }
  const umin = usub(h, dst.u32min, src.u32max), minUn = wrapped;
  const umax = usub(h, dst.u32max, src.u32min), maxUn = wrapped;
  dst.u32min = umin;
  dst.u32max = umax;
  if (minUn && !maxUn) {
    dst.u32min = 0n;
    dst.u32max = w.humax;
  }
}

/** `scalar_min_max_sub`. */
export function scalarMinMaxSub(w: Width, dst: RegState, src: RegState): void {
  const b = w.bits;
  dst.smin = ssub(b, dst.smin, src.smax);
  let ov = wrapped;
  if (!ov) {
    dst.smax = ssub(b, dst.smax, src.smin);
    ov = wrapped;
  }
  if (ov) {
    dst.smin = w.smin;
    dst.smax = w.smax;
  }
  const umin = usub(b, dst.umin, src.umax), minUn = wrapped;
  const umax = usub(b, dst.umax, src.umin), maxUn = wrapped;
  dst.umin = umin;
  dst.umax = umax;
  if (minUn && !maxUn) {
    dst.umin = 0n;
    dst.umax = w.umax;
  }
}

/** The four signed products of `[amin, amax] x [bmin, bmax]` in `bits`: [min, max], or null when one wraps. */
function smulRange(bits: number, amin: bigint, amax: bigint, bmin: bigint, bmax: bigint): [bigint, bigint] | null {
  const p0 = smul(bits, amin, bmin);
  if (wrapped) return null;
  const p1 = smul(bits, amin, bmax);
  if (wrapped) return null;
  const p2 = smul(bits, amax, bmin);
  if (wrapped) return null;
  const p3 = smul(bits, amax, bmax);
  if (wrapped) return null;
  let lo = p0 < p1 ? p0 : p1, hi = p0 < p1 ? p1 : p0;
  if (p2 < lo) lo = p2;
  if (p2 > hi) hi = p2;
  if (p3 < lo) lo = p3;
  if (p3 > hi) hi = p3;
  return [lo, hi];
}

/** `scalar32_min_max_mul`. */
export function scalar32MinMaxMul(w: Width, dst: RegState, src: RegState): void {
  const h = w.half;
  dst.u32max = umul(h, dst.u32max, src.u32max);
  let ov = wrapped;
  if (!ov) {
    dst.u32min = umul(h, dst.u32min, src.u32min);
    ov = wrapped;
  }
  if (ov) {
    dst.u32min = 0n;
    dst.u32max = w.humax;
  }
  const r = smulRange(h, dst.s32min, dst.s32max, src.s32min, src.s32max);
  dst.s32min = r ? r[0] : w.hsmin;
  dst.s32max = r ? r[1] : w.hsmax;
}

/** `scalar_min_max_mul`. */
export function scalarMinMaxMul(w: Width, dst: RegState, src: RegState): void {
  const b = w.bits;
  dst.umax = umul(b, dst.umax, src.umax);
  let ov = wrapped;
  if (!ov) {
    dst.umin = umul(b, dst.umin, src.umin);
    ov = wrapped;
  }
  if (ov) {
    dst.umin = 0n;
    dst.umax = w.umax;
  }
  const r = smulRange(b, dst.smin, dst.smax, src.smin, src.smax);
  dst.smin = r ? r[0] : w.smin;
  dst.smax = r ? r[1] : w.smax;
}

/** s32 bounds from u32 bounds when they do not cross the sign boundary. */
function s32FromU32(w: Width, dst: RegState): void {
  if (BigInt.asIntN(w.half, dst.u32min) <= BigInt.asIntN(w.half, dst.u32max)) {
    dst.s32min = BigInt.asIntN(w.half, dst.u32min);
    dst.s32max = BigInt.asIntN(w.half, dst.u32max);
  } else {
    dst.s32min = w.hsmin;
    dst.s32max = w.hsmax;
  }
}

/** s64 bounds from u64 bounds when they do not cross the sign boundary. */
function s64FromU64(w: Width, dst: RegState): void {
  if (BigInt.asIntN(w.bits, dst.umin) <= BigInt.asIntN(w.bits, dst.umax)) {
    dst.smin = BigInt.asIntN(w.bits, dst.umin);
    dst.smax = BigInt.asIntN(w.bits, dst.umax);
  } else {
    dst.smin = w.smin;
    dst.smax = w.smax;
  }
}

/** `scalar32_min_max_and`. */
export function scalar32MinMaxAnd(w: Width, dst: RegState, src: RegState): void {
  const srcKnown = tnumSubregIsConst(w, src.varOff);
  const dstKnown = tnumSubregIsConst(w, dst.varOff);
  const var32 = tnumSubreg(w, dst.varOff);
  if (srcKnown && dstKnown) {
    markReg32Known(w, dst, var32.value);
    return;
  }
  dst.u32min = var32.value;
  if (src.u32max < dst.u32max) dst.u32max = src.u32max;
  s32FromU32(w, dst);
}

/** `scalar_min_max_and`. */
export function scalarMinMaxAnd(w: Width, dst: RegState, src: RegState): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markRegKnown(w, dst, dst.varOff.value);
    return;
  }
  dst.umin = dst.varOff.value;
  if (src.umax < dst.umax) dst.umax = src.umax;
  s64FromU64(w, dst);
  updateRegBounds(w, dst);
}

/** `scalar32_min_max_or`. */
export function scalar32MinMaxOr(w: Width, dst: RegState, src: RegState): void {
  const srcKnown = tnumSubregIsConst(w, src.varOff);
  const dstKnown = tnumSubregIsConst(w, dst.varOff);
  const var32 = tnumSubreg(w, dst.varOff);
  if (srcKnown && dstKnown) {
    markReg32Known(w, dst, var32.value);
    return;
  }
  if (src.u32min > dst.u32min) dst.u32min = src.u32min;
  dst.u32max = var32.value | var32.mask;
  s32FromU32(w, dst);
}

/** `scalar_min_max_or`. */
export function scalarMinMaxOr(w: Width, dst: RegState, src: RegState): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markRegKnown(w, dst, dst.varOff.value);
    return;
  }
  if (src.umin > dst.umin) dst.umin = src.umin;
  dst.umax = dst.varOff.value | dst.varOff.mask;
  s64FromU64(w, dst);
  updateRegBounds(w, dst);
}

/** `scalar32_min_max_xor`. */
export function scalar32MinMaxXor(w: Width, dst: RegState, src: RegState): void {
  const srcKnown = tnumSubregIsConst(w, src.varOff);
  const dstKnown = tnumSubregIsConst(w, dst.varOff);
  const var32 = tnumSubreg(w, dst.varOff);
  if (srcKnown && dstKnown) {
    markReg32Known(w, dst, var32.value);
    return;
  }
  dst.u32min = var32.value;
  dst.u32max = var32.value | var32.mask;
  s32FromU32(w, dst);
}

/** `scalar_min_max_xor`. */
export function scalarMinMaxXor(w: Width, dst: RegState, src: RegState): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markRegKnown(w, dst, dst.varOff.value);
    return;
  }
  dst.umin = dst.varOff.value;
  dst.umax = dst.varOff.value | dst.varOff.mask;
  s64FromU64(w, dst);
  updateRegBounds(w, dst);
}

/** `__scalar32_min_max_lsh`. */
function scalar32MinMaxLshInner(w: Width, dst: RegState, uminVal: bigint, umaxVal: bigint): void {
  dst.s32min = w.hsmin;
  dst.s32max = w.hsmax;
  const top = w.hn - 1n;
  if (umaxVal > top || dst.u32max > (1n << (top - umaxVal))) {
    dst.u32min = 0n;
    dst.u32max = w.humax;
  } else {
    dst.u32min = BigInt.asUintN(w.half, dst.u32min << uminVal);
    dst.u32max = BigInt.asUintN(w.half, dst.u32max << umaxVal);
  }
}

/** `scalar32_min_max_lsh`. */
export function scalar32MinMaxLsh(w: Width, dst: RegState, src: RegState): void {
  const umaxVal = src.u32max, uminVal = src.u32min;
  const subreg = tnumSubreg(w, dst.varOff);
  scalar32MinMaxLshInner(w, dst, uminVal, umaxVal);
  dst.varOff = tnumSubreg(w, tnumLshift(w, subreg, Number(uminVal)));
  markReg64Unbounded(w, dst);
  updateReg32Bounds(w, dst);
}

/** `__scalar64_min_max_lsh`. */
function scalar64MinMaxLshInner(w: Width, dst: RegState, uminVal: bigint, umaxVal: bigint): void {
  const H = w.hn;
  // `<< 32` sign-extends s32 bounds exactly; the running 6.18.y kernel has
  // dropped 6.18.0's `s32_{min,max}_value >= 0` conditions (measured).
  if (uminVal === H && umaxVal === H) {
    dst.smax = dst.s32max << H;
    dst.smin = dst.s32min << H;
  } else {
    dst.smax = w.smax;
    dst.smin = w.smin;
  }
  // `1ULL << (63 - umax_val)`: umax_val < 64 here (is_safe_to_compute_dst_reg_range)
  if (dst.umax > (1n << (w.n - 1n - umaxVal))) {
    dst.umin = 0n;
    dst.umax = w.umax;
  } else {
    dst.umin = BigInt.asUintN(w.bits, dst.umin << uminVal);
    dst.umax = BigInt.asUintN(w.bits, dst.umax << umaxVal);
  }
}

/** `scalar_min_max_lsh`. */
export function scalarMinMaxLsh(w: Width, dst: RegState, src: RegState): void {
  const umaxVal = src.umax, uminVal = src.umin;
  scalar64MinMaxLshInner(w, dst, uminVal, umaxVal);
  scalar32MinMaxLshInner(w, dst, uminVal, umaxVal);
  dst.varOff = tnumLshift(w, dst.varOff, Number(uminVal));
  updateRegBounds(w, dst);
}

/** `scalar32_min_max_rsh`. */
export function scalar32MinMaxRsh(w: Width, dst: RegState, src: RegState): void {
  const subreg = tnumSubreg(w, dst.varOff);
  const umaxVal = src.u32max, uminVal = src.u32min;
  dst.s32min = w.hsmin;
  dst.s32max = w.hsmax;
  dst.varOff = tnumRshift(subreg, Number(uminVal));
  dst.u32min >>= umaxVal;
  dst.u32max >>= uminVal;
  markReg64Unbounded(w, dst);
  updateReg32Bounds(w, dst);
}

/** `scalar_min_max_rsh`. */
export function scalarMinMaxRsh(w: Width, dst: RegState, src: RegState): void {
  const umaxVal = src.umax, uminVal = src.umin;
  dst.smin = w.smin;
  dst.smax = w.smax;
  dst.varOff = tnumRshift(dst.varOff, Number(uminVal));
  dst.umin >>= umaxVal;
  dst.umax >>= uminVal;
  markReg32Unbounded(w, dst);
  updateRegBounds(w, dst);
}

/** `scalar32_min_max_arsh`. */
export function scalar32MinMaxArsh(w: Width, dst: RegState, src: RegState): void {
  const uminVal = src.u32min;
  // `(u32)(((s32)x) >> n)` stored into an s32
  dst.s32min = dst.s32min >> uminVal;
  dst.s32max = dst.s32max >> uminVal;
  dst.varOff = tnumArshift(w, tnumSubreg(w, dst.varOff), Number(uminVal), w.half);
  dst.u32min = 0n;
  dst.u32max = w.humax;
  markReg64Unbounded(w, dst);
  updateReg32Bounds(w, dst);
}

/** `scalar_min_max_arsh`. */
export function scalarMinMaxArsh(w: Width, dst: RegState, src: RegState): void {
  const uminVal = src.umin;
  dst.smin >>= uminVal;
  dst.smax >>= uminVal;
  dst.varOff = tnumArshift(w, dst.varOff, Number(uminVal), w.bits);
  dst.umin = 0n;
  dst.umax = w.umax;
  markReg32Unbounded(w, dst);
  updateRegBounds(w, dst);
}

/** `is_safe_to_compute_dst_reg_range(insn, src_reg)`. */
export function isSafeToComputeDstRegRange(w: Width, alu64: boolean, op: number, src: RegState): boolean {
  let srcIsConst = false;
  if (!alu64) {
    srcIsConst = tnumSubregIsConst(w, src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max;
  } else {
    srcIsConst = tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
  }
  switch (op) {
    case ADD:
    case SUB:
    case NEG:
    case AND:
    case XOR:
    case OR:
    case MUL:
      return true;
    case LSH:
    case RSH:
    case ARSH:
      return srcIsConst && src.umax < BigInt(alu64 ? w.bits : w.half);
    default:
      return false;
  }
}

/** `zext_32_to_64(reg)`. */
export function zext32To64(w: Width, reg: RegState): void {
  reg.varOff = tnumSubreg(w, reg.varOff);
  regAssign32Into64(w, reg);
}

/** A scratch register for NEG (the kernel's `env->fake_reg[0]`). */
const negSrc = new RegState();

/**
 * `adjust_scalar_min_max_vals(env, insn, dst_reg, src_reg)` on two scalars.
 * `src` is a copy the caller may not reuse (the kernel passes it by value).
 * Sanitation (`sanitize_val_alu`) is a no-op for privileged loads.
 */
export function adjustScalarMinMaxVals(w: Width, alu64: boolean, op: number, dst: RegState, src: RegState): void {
  if ((op === ADD || op === SUB) && w === W64 && isConstReg64(dst) && isConstReg64(src)) {
    // Two constants: the bound functions below, then zext and reg_bounds_sync, end in the
    // constant result with every bound on it (their ranges contain it and the tnum is exact);
    // reach that directly, without the bigints of the general path (tests/linux618_sync64_test.ts).
    const a = dst.varOff.value, b = src.varOff.value;
    const r = op === ADD ? a + b : a - b;
    markRegKnownValue(W64, dst, alu64 ? BigInt.asUintN(64, r) : BigInt.asUintN(32, r));
    return;
  }
  if (!isSafeToComputeDstRegRange(w, alu64, op, src)) {
    markRegUnknownW(w, dst);
    return;
  }
  switch (op) {
    case ADD:
      scalar32MinMaxAdd(w, dst, src);
      scalarMinMaxAdd(w, dst, src);
      dst.varOff = tnumAdd(w, dst.varOff, src.varOff);
      break;
    case SUB:
      scalar32MinMaxSub(w, dst, src);
      scalarMinMaxSub(w, dst, src);
      dst.varOff = tnumSub(w, dst.varOff, src.varOff);
      break;
    case NEG: {
      const fake = negSrc;
      copyReg(fake, dst);
      markRegKnown(w, dst, 0n);
      scalar32MinMaxSub(w, dst, fake);
      scalarMinMaxSub(w, dst, fake);
      dst.varOff = tnumNeg(w, fake.varOff);
      break;
    }
    case MUL:
      dst.varOff = tnumMul(w, dst.varOff, src.varOff);
      scalar32MinMaxMul(w, dst, src);
      scalarMinMaxMul(w, dst, src);
      break;
    case AND:
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      scalar32MinMaxAnd(w, dst, src);
      scalarMinMaxAnd(w, dst, src);
      break;
    case OR:
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      scalar32MinMaxOr(w, dst, src);
      scalarMinMaxOr(w, dst, src);
      break;
    case XOR:
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      scalar32MinMaxXor(w, dst, src);
      scalarMinMaxXor(w, dst, src);
      break;
    case LSH:
      if (!alu64) scalar32MinMaxLsh(w, dst, src);
      else scalarMinMaxLsh(w, dst, src);
      break;
    case RSH:
      if (!alu64) scalar32MinMaxRsh(w, dst, src);
      else scalarMinMaxRsh(w, dst, src);
      break;
    case ARSH:
      if (!alu64) scalar32MinMaxArsh(w, dst, src);
      else scalarMinMaxArsh(w, dst, src);
      break;
  }
  if (!alu64) zext32To64(w, dst);
  regBoundsSync(w, dst);
}

/** `__mark_reg_unknown` in a width (the kernel's is 64-bit). */
export function markRegUnknownW(w: Width, reg: RegState): void {
  if (w === W64) {
    markRegUnknown(reg);
    return;
  }
  markRegUnknown(reg);
  reg.varOff = tnumUnknown(w);
  reg.smin = w.smin;
  reg.smax = w.smax;
  reg.umin = 0n;
  reg.umax = w.umax;
  reg.s32min = w.hsmin;
  reg.s32max = w.hsmax;
  reg.u32min = 0n;
  reg.u32max = w.humax;
}

/** `coerce_reg_to_size(reg, size)` (size in bytes, below 8). */
export function coerceRegToSize(reg: RegState, size: number): void {
  const w = W64;
  reg.varOff = tnumCast(reg.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((reg.umin & ~mask) === (reg.umax & ~mask)) {
    reg.umin &= mask;
    reg.umax &= mask;
  } else {
    reg.umin = 0n;
    reg.umax = mask;
  }
  reg.smin = reg.umin;
  reg.smax = reg.umax;
  if (size < 4) markReg32Unbounded(w, reg);
  regBoundsSync(w, reg);
}

function sextLimits(size: number): [bigint, bigint] {
  const b = BigInt(size * 8 - 1);
  return [-(1n << b), (1n << b) - 1n];
}

/**
 * The sign-extended range of `[smin, smax]` (a `srcBits`-bit signed range)
 * cut to its low `bits` bits, or null: both ends must lie in one block of
 * 2^bits values (the same top bits) and the cut ends must have one sign.
 */
function sextRange(smin: bigint, smax: bigint, srcBits: number, bits: number): [bigint, bigint] | null {
  const nb = BigInt(bits);
  if ((BigInt.asUintN(srcBits, smax) >> nb) !== (BigInt.asUintN(srcBits, smin) >> nb)) return null;
  const a = BigInt.asIntN(bits, smax), b = BigInt.asIntN(bits, smin);
  const hi = a > b ? a : b, lo = a < b ? a : b;
  return (hi >= 0n) === (lo >= 0n) ? [lo, hi] : null;
}

/** Sets all four ranges to the sign-extended `[lo, hi]` and var_off to its tnum_range. */
function setSextRange(w: Width, reg: RegState, lo: bigint, hi: bigint): void {
  reg.s32min = BigInt.asIntN(32, lo);
  reg.smin = lo;
  reg.s32max = BigInt.asIntN(32, hi);
  reg.smax = hi;
  reg.u32min = BigInt.asUintN(32, lo);
  reg.umin = BigInt.asUintN(64, lo);
  reg.u32max = BigInt.asUintN(32, hi);
  reg.umax = BigInt.asUintN(64, hi);
  reg.varOff = tnumRange(w, reg.umin, reg.umax);
}

/** `coerce_reg_to_size_sx(reg, size)`: sign extension from `size` bytes to 64 bits. */
export function coerceRegToSizeSx(reg: RegState, size: number): void {
  const w = W64;
  const bits = size * 8;
  if (tnumIsConst(reg.varOff)) {
    const v = BigInt.asUintN(64, BigInt.asIntN(bits, reg.varOff.value));
    reg.varOff = tnumConst(v);
    reg.smin = reg.smax = BigInt.asIntN(64, v);
    reg.umin = reg.umax = v;
    reg.s32min = reg.s32max = BigInt.asIntN(32, v);
    reg.u32min = reg.u32max = BigInt.asUintN(32, v);
    return;
  }
  const r64 = sextRange(reg.smin, reg.smax, 64, bits);
  if (r64) return setSextRange(w, reg, r64[0], r64[1]);
  // The running 6.18.y kernel also learns from the 32-bit bounds when the
  // 64-bit ones do not fit (measured, see tests/kernel_diff6): when the s32
  // range lies within the `size`-byte signed range the low 32 bits are
  // unchanged, so the s32 range is the sign-extended s64 range and the
  // u32 range stays.
  const [lo, hi] = sextLimits(size);
  if (reg.s32min >= lo && reg.s32max <= hi) {
    reg.smin = reg.s32min;
    reg.smax = reg.s32max;
    reg.umin = 0n;
    reg.umax = w.umax;
    reg.varOff = tnumUnknown(w);
    regBoundsSync(w, reg);
    return;
  }
  // set_sext64_default_val
  reg.smin = reg.s32min = lo;
  reg.smax = reg.s32max = hi;
  reg.umin = reg.u32min = 0n;
  reg.umax = w.umax;
  reg.u32max = w.humax;
  reg.varOff = tnumUnknown(w);
}

/** `coerce_subreg_to_size_sx(reg, size)`: sign extension from `size` bytes (1, 2) to 32 bits. */
export function coerceSubregToSizeSx(reg: RegState, size: number): void {
  const w = W64;
  const bits = size * 8;
  if (tnumIsConst(reg.varOff)) {
    const v = BigInt.asUintN(64, BigInt.asIntN(bits, BigInt.asUintN(32, reg.varOff.value)));
    reg.varOff = tnumConst(v);
    const u = BigInt.asUintN(32, v);
    reg.s32min = reg.s32max = BigInt.asIntN(32, u);
    reg.u32min = reg.u32max = u;
    return;
  }
  const r = sextRange(reg.s32min, reg.s32max, 32, bits);
  if (r) {
    reg.s32min = r[0];
    reg.s32max = r[1];
    reg.u32min = BigInt.asUintN(32, r[0]);
    reg.u32max = BigInt.asUintN(32, r[1]);
    // tnum_range(s32 min, s32 max) takes u64 arguments: the s32s sign-extend
    reg.varOff = tnumSubreg(w, tnumRange(w, r[0], r[1]));
    return;
  }
  const [lo, hi] = sextLimits(size);
  reg.s32min = lo;
  reg.s32max = hi;
  reg.u32min = 0n;
  reg.u32max = w.humax;
  reg.varOff = tnumSubreg(w, tnumUnknown(w));
}

void SCALAR_VALUE;
