/**
 * `reg_bounds_sync` of Linux 6.18 for the kernel's width (64-bit registers,
 * 32-bit subregisters) computed on 32-bit halves: the register's eight
 * bounds and its `var_off` are read into numbers (through one 8-byte scratch
 * buffer, so reading a bigint allocates nothing), the kernel's
 * `__update_reg_bounds`, three rounds of `__reg_deduce_bounds`,
 * `__reg_bound_offset` and `__update_reg_bounds` again run on those numbers,
 * and only the bounds that changed are written back as new bigints.
 *
 * The bigint code of reg.ts (every width) is the reference; this is the same
 * sequence of the same operations, checked against it by
 * tests/linux618_sync64_test.ts on random registers and on values at the
 * edges (2^31, 2^32, 2^53, 2^63, 2^64-1, negative signed bounds).
 *
 * A 64-bit quantity is a pair of uint32 numbers `H`, `L` (its two's
 * complement bits); its signed and unsigned readings share the pair and
 * differ only in the comparison used (`slt` or `ult`). The 32-bit bounds are
 * numbers: `s32*` an int32, `u32*` a uint32.
 *
 * @module
 */
import type { RegState } from "./reg.ts";

const buf = new ArrayBuffer(8);
const U64 = new BigUint64Array(buf);
const I64 = new BigInt64Array(buf);
const U32 = new Uint32Array(buf);
U32[0] = 1;
/** Index of the low and high half of the scratch word in {@link U32} (the platform's byte order). */
const LO = U64[0] === 1n ? 0 : 1, HI = 1 - LO;
U64[0] = 0n;

// ---- the register being synchronised (module state: no object per call) ----
let vH = 0, vL = 0, mH = 0, mL = 0; // var_off value and mask
let sminH = 0, sminL = 0, smaxH = 0, smaxL = 0;
let uminH = 0, uminL = 0, umaxH = 0, umaxL = 0;
let s32min = 0, s32max = 0, u32min = 0, u32max = 0;
// ---- results of tnumRange and tnumStep ----
let rvH = 0, rvL = 0, rmH = 0, rmL = 0;
let stH = 0, stL = 0;

/** `a < b`, both unsigned 64-bit. */
function ult(aH: number, aL: number, bH: number, bL: number): boolean {
  return aH < bH || (aH === bH && aL < bL);
}
/** `a < b`, both signed 64-bit. */
function slt(aH: number, aL: number, bH: number, bL: number): boolean {
  return (aH | 0) < (bH | 0) || (aH === bH && aL < bL);
}

/** `fls64` of the pair. */
function fls64(h: number, l: number): number {
  return h !== 0 ? 64 - Math.clz32(h) : 32 - Math.clz32(l);
}

/** The low half of `(1 << n) - 1`. */
function onesL(n: number): number {
  return n >= 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
}
/** The high half of `(1 << n) - 1`. */
function onesH(n: number): number {
  return n <= 32 ? 0 : n >= 64 ? 0xffffffff : ((1 << (n - 32)) - 1) >>> 0;
}

/** `tnum_range(a, b)` (64-bit) into rv/rm. */
function tnumRange64(aH: number, aL: number, bH: number, bL: number): void {
  const bits = fls64((aH ^ bH) >>> 0, (aL ^ bL) >>> 0);
  if (bits > 63) {
    rvH = rvL = 0;
    rmH = rmL = 0xffffffff;
    return;
  }
  const dH = onesH(bits), dL = onesL(bits);
  rvH = (aH & ~dH) >>> 0;
  rvL = (aL & ~dL) >>> 0;
  rmH = dH;
  rmL = dL;
}

/** `tnum_step(var_off, z)` into st. */
function tnumStep64(zH: number, zL: number): void {
  const tH = (vH | mH) >>> 0, tL = (vL | mL) >>> 0;
  if (!ult(zH, zL, tH, tL)) {
    stH = tH;
    stL = tL;
    return;
  }
  if (ult(zH, zL, vH, vL)) {
    stH = vH;
    stL = vL;
    return;
  }
  // d = z - value (z >= value here)
  const dL0 = zL - vL;
  const dL = dL0 >>> 0, dH = (zH - vH - (dL0 < 0 ? 1 : 0)) >>> 0;
  const n = fls64((dH & ~mH) >>> 0, (dL & ~mL) >>> 0);
  const fH = (dH | onesH(n) | ~mH) >>> 0, fL = (dL | onesL(n) | ~mL) >>> 0;
  // inc = (filled + 1) & mask
  let iH = fH, iL = fL + 1;
  if (iL > 0xffffffff) {
    iL = 0;
    iH = (iH + 1) >>> 0;
  }
  stH = (vH | (iH & mH)) >>> 0;
  stL = (vL | (iL & mL)) >>> 0;
}

/** `___mark_reg_known(reg, x)` on the halves. */
function markKnown(h: number, l: number): void {
  vH = h;
  vL = l;
  mH = mL = 0;
  sminH =
    smaxH =
    uminH =
    umaxH =
      h;
  sminL =
    smaxL =
    uminL =
    umaxL =
      l;
  s32min = s32max = l | 0;
  u32min = u32max = l;
}

/** `__update_reg32_bounds`. */
function updateReg32Bounds(): void {
  const lo = (vL | (mL & 0x80000000)) | 0, hi = (vL | (mL & 0x7fffffff)) | 0;
  if (lo > s32min) s32min = lo;
  if (hi < s32max) s32max = hi;
  if (vL > u32min) u32min = vL;
  const m = (vL | mL) >>> 0;
  if (m < u32max) u32max = m;
}

/** `__update_reg64_bounds` with the 6.18.y single-member step (reg.ts: `regTnumSingleValue`). */
function updateReg64Bounds(): void {
  const loH = (vH | (mH & 0x80000000)) >>> 0;
  if (slt(sminH, sminL, loH, vL)) {
    sminH = loH;
    sminL = vL;
  }
  const hiH = (vH | (mH & 0x7fffffff)) >>> 0, hiL = (vL | mL) >>> 0;
  if (slt(hiH, hiL, smaxH, smaxL)) {
    smaxH = hiH;
    smaxL = hiL;
  }
  if (ult(uminH, uminL, vH, vL)) {
    uminH = vH;
    uminL = vL;
  }
  const tH = (vH | mH) >>> 0, tL = (vL | mL) >>> 0;
  if (ult(tH, tL, umaxH, umaxL)) {
    umaxH = tH;
    umaxL = tL;
  }
  // regTnumSingleValue
  tnumStep64(uminH, uminL);
  const nH = stH, nL = stL;
  const uminIn = ((uminH & ~mH) >>> 0) === vH && ((uminL & ~mL) >>> 0) === vL;
  if (uminIn) {
    if (ult(umaxH, umaxL, nH, nL)) markKnown(uminH, uminL);
  } else if (nH === tH && nL === tL) markKnown(tH, tL);
  else if (!ult(umaxH, umaxL, nH, nL)) {
    tnumStep64(nH, nL);
    if (ult(umaxH, umaxL, stH, stL)) markKnown(nH, nL);
  }
}

/** `__reg32_deduce_bounds`. */
function reg32DeduceBounds(): void {
  let v: number;
  if (uminH === umaxH) {
    if (uminL > u32min) u32min = uminL;
    if (umaxL < u32max) u32max = umaxL;
    if ((uminL | 0) <= (umaxL | 0)) {
      v = uminL | 0;
      if (v > s32min) s32min = v;
      v = umaxL | 0;
      if (v < s32max) s32max = v;
    }
  }
  if (sminH === smaxH) {
    if (sminL <= smaxL) {
      if (sminL > u32min) u32min = sminL;
      if (smaxL < u32max) u32max = smaxL;
    }
    if ((sminL | 0) <= (smaxL | 0)) {
      v = sminL | 0;
      if (v > s32min) s32min = v;
      v = smaxL | 0;
      if (v < s32max) s32max = v;
    }
  }
  if (((uminH + 1) >>> 0) === umaxH && (uminL | 0) < 0 && (umaxL | 0) >= 0) {
    v = uminL | 0;
    if (v > s32min) s32min = v;
    v = umaxL | 0;
    if (v < s32max) s32max = v;
  }
  if (((sminH + 1) >>> 0) === smaxH && (sminL | 0) < 0 && (smaxL | 0) >= 0) {
    v = sminL | 0;
    if (v > s32min) s32min = v;
    v = smaxL | 0;
    if (v < s32max) s32max = v;
  }
  if ((u32min | 0) <= (u32max | 0)) {
    v = u32min | 0;
    if (v > s32min) s32min = v;
    v = u32max | 0;
    if (v < s32max) s32max = v;
  }
  if (s32min >>> 0 <= s32max >>> 0) {
    v = s32min >>> 0;
    if (v > u32min) u32min = v;
    v = s32max >>> 0;
    if (v < u32max) u32max = v;
  } else if (u32max < s32min >>> 0) {
    s32min = u32min | 0;
    v = s32max >>> 0;
    if (v < u32max) u32max = v;
  } else if (s32max >>> 0 < u32min) {
    s32max = u32max | 0;
    v = s32min >>> 0;
    if (v > u32min) u32min = v;
  }
}

/** `__reg64_deduce_bounds`. */
function reg64DeduceBounds(): void {
  if (!slt(umaxH, umaxL, uminH, uminL)) {
    if (slt(sminH, sminL, uminH, uminL)) {
      sminH = uminH;
      sminL = uminL;
    }
    if (slt(umaxH, umaxL, smaxH, smaxL)) {
      smaxH = umaxH;
      smaxL = umaxL;
    }
  }
  if (!ult(smaxH, smaxL, sminH, sminL)) {
    if (ult(uminH, uminL, sminH, sminL)) {
      uminH = sminH;
      uminL = sminL;
    }
    if (ult(smaxH, smaxL, umaxH, umaxL)) {
      umaxH = smaxH;
      umaxL = smaxL;
    }
  } else if (ult(umaxH, umaxL, sminH, sminL)) {
    sminH = uminH;
    sminL = uminL;
    if (ult(smaxH, smaxL, umaxH, umaxL)) {
      umaxH = smaxH;
      umaxL = smaxL;
    }
  } else if (ult(smaxH, smaxL, uminH, uminL)) {
    smaxH = umaxH;
    smaxL = umaxL;
    if (ult(uminH, uminL, sminH, sminL)) {
      uminH = sminH;
      uminL = sminL;
    }
  }
}

/** `__reg_deduce_mixed_bounds`. */
function regDeduceMixedBounds(): void {
  // new umin/umax: the high halves of the 64-bit bounds, the low halves of the 32-bit ones
  const newUminIsGreater = ult(uminH, uminL, uminH, u32min);
  const newUmaxIsLess = ult(umaxH, u32max, umaxH, umaxL);
  if (newUminIsGreater) uminL = u32min;
  if (newUmaxIsLess) umaxL = u32max;
  if (slt(sminH, sminL, sminH, u32min)) sminL = u32min;
  if (slt(smaxH, u32max, smaxH, smaxL)) smaxL = u32max;
  // s32min >= 0 and S32_MIN <= smin, smax <= S32_MAX
  if (s32min >= 0 && !slt(sminH, sminL, 0xffffffff, 0x80000000) && !slt(0, 0x7fffffff, smaxH, smaxL)) {
    sminH = uminH = 0;
    sminL = uminL = s32min >>> 0;
    smaxH = umaxH = s32max < 0 ? 0xffffffff : 0;
    smaxL = umaxL = s32max >>> 0;
    tnumRange64(sminH, sminL, smaxH, smaxL);
    tnumIntersect64();
  }
}

/** `var_off = tnum_intersect(var_off, rv/rm)`. */
function tnumIntersect64(): void {
  const xH = vH | rvH, xL = vL | rvL;
  mH = (mH & rmH) >>> 0;
  mL = (mL & rmL) >>> 0;
  vH = (xH & ~mH) >>> 0;
  vL = (xL & ~mL) >>> 0;
}

/** `__reg_deduce_bounds`. */
function regDeduceBounds(): void {
  reg32DeduceBounds();
  reg64DeduceBounds();
  regDeduceMixedBounds();
}

/** `__reg_bound_offset`. */
function regBoundOffset(): void {
  tnumRange64(uminH, uminL, umaxH, umaxL);
  tnumIntersect64(); // var64
  // var32 = tnum_intersect(tnum_subreg(var64), tnum_range(u32min, u32max))
  tnumRange64(0, u32min, 0, u32max);
  const xL = vL | rvL, m32 = (mL & rmL) >>> 0, v32 = (xL & ~m32) >>> 0;
  // tnum_or(tnum_clear_subreg(var64), var32)
  mH = (mH & ~vH) >>> 0;
  vL = v32;
  mL = (m32 & ~v32) >>> 0;
}

function load64(x: bigint): void {
  U64[0] = x;
}
/** The pair as an unsigned bigint (one allocation). */
function u64(h: number, l: number): bigint {
  U32[HI] = h;
  U32[LO] = l;
  return U64[0];
}
/** The pair as a signed bigint. */
function s64(h: number, l: number): bigint {
  U32[HI] = h;
  U32[LO] = l;
  return I64[0];
}

/** `reg_bounds_sync(reg)` at 64 bits (see the module doc). */
export function regBoundsSync64(reg: RegState): void {
  load64(reg.varOff.value);
  const ovH = U32[HI], ovL = U32[LO];
  load64(reg.varOff.mask);
  const omH = U32[HI], omL = U32[LO];
  load64(reg.smin);
  const osminH = U32[HI], osminL = U32[LO];
  load64(reg.smax);
  const osmaxH = U32[HI], osmaxL = U32[LO];
  load64(reg.umin);
  const ouminH = U32[HI], ouminL = U32[LO];
  load64(reg.umax);
  const oumaxH = U32[HI], oumaxL = U32[LO];
  const os32min = Number(reg.s32min), os32max = Number(reg.s32max);
  const ou32min = Number(reg.u32min), ou32max = Number(reg.u32max);
  // A constant whose eight bounds already say so is a fixed point.
  if (
    omH === 0 && omL === 0 && ouminH === ovH && ouminL === ovL && oumaxH === ovH && oumaxL === ovL &&
    osminH === ovH && osminL === ovL && osmaxH === ovH && osmaxL === ovL && ou32min === ovL && ou32max === ovL &&
    os32min === (ovL | 0) && os32max === (ovL | 0)
  ) return;
  vH = ovH, vL = ovL, mH = omH, mL = omL;
  sminH = osminH, sminL = osminL, smaxH = osmaxH, smaxL = osmaxL;
  uminH = ouminH, uminL = ouminL, umaxH = oumaxH, umaxL = oumaxL;
  s32min = os32min, s32max = os32max, u32min = ou32min, u32max = ou32max;

  updateReg32Bounds();
  updateReg64Bounds();
  regDeduceBounds();
  regDeduceBounds();
  regDeduceBounds();
  regBoundOffset();
  updateReg32Bounds();
  updateReg64Bounds();

  if (vH !== ovH || vL !== ovL || mH !== omH || mL !== omL) reg.varOff = { value: u64(vH, vL), mask: u64(mH, mL) };
  if (sminH !== osminH || sminL !== osminL) reg.smin = s64(sminH, sminL);
  if (smaxH !== osmaxH || smaxL !== osmaxL) reg.smax = s64(smaxH, smaxL);
  if (uminH !== ouminH || uminL !== ouminL) reg.umin = u64(uminH, uminL);
  if (umaxH !== oumaxH || umaxL !== oumaxL) reg.umax = u64(umaxH, umaxL);
  if (s32min !== os32min) reg.s32min = BigInt(s32min);
  if (s32max !== os32max) reg.s32max = BigInt(s32max);
  if (u32min !== ou32min) reg.u32min = BigInt(u32min);
  if (u32max !== ou32max) reg.u32max = BigInt(u32max);
}

/**
 * Whether `reg` is a constant at 64 bits that all eight bounds agree on
 * (what `reg_bounds_sync` leaves for a constant `var_off`); no allocation.
 */
export function isConstReg64(reg: RegState): boolean {
  const t = reg.varOff;
  if (t.mask !== 0n || reg.umin !== t.value || reg.umax !== t.value || reg.smin !== reg.smax) return false;
  load64(reg.smin);
  const h = U32[HI], l = U32[LO];
  load64(t.value);
  if (h !== U32[HI] || l !== U32[LO]) return false;
  return reg.s32min === reg.s32max && reg.u32min === reg.u32max && Number(reg.s32min) === (l | 0) &&
    Number(reg.u32min) === l;
}

/**
 * The constant checks of `reg_bounds_sanity_check` at 64 bits, without
 * allocation: null when they hold, else the kernel's message part (reg.ts:
 * `regBoundsViolation` checks the ranges first).
 */
export function constViolation64(reg: RegState): string | null {
  load64(reg.varOff.mask);
  const mH = U32[HI], mL = U32[LO];
  load64(reg.varOff.value);
  const vH = U32[HI], vL = U32[LO];
  if (mH === 0 && mL === 0) {
    const u = reg.varOff.value;
    let ok = reg.umin === u && reg.umax === u && reg.smin === reg.smax;
    if (ok) {
      load64(reg.smin);
      ok = U32[HI] === vH && U32[LO] === vL;
    }
    if (!ok) return "const tnum out of sync with range bounds";
  }
  if (mL === 0) {
    if (
      Number(reg.u32min) !== vL || Number(reg.u32max) !== vL || Number(reg.s32min) !== (vL | 0) ||
      Number(reg.s32max) !== (vL | 0)
    ) return "const subreg tnum out of sync with range bounds";
  }
  return null;
}
