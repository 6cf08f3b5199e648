/**
 * `tnum`: the kernel's tracked (tristate) numbers, from
 * `kernel/bpf/tnum.c` of Linux 6.18. A tnum is a pair (value, mask): a bit
 * set in `mask` is unknown, otherwise it equals the bit of `value`
 * (`value & mask` is always 0). Every operation over-approximates: the
 * concrete result of the operation on any members of the operands is a
 * member of the result.
 *
 * All functions take the {@link Width} to compute in (the kernel's is
 * {@link W64}); tnums are immutable objects.
 *
 * @module
 */
import { W64, type Width } from "./width.ts";

/** A tristate number: bits in `mask` are unknown, the others equal `value`'s. */
export interface Tnum {
  /** Known bits (0 where unknown). */
  readonly value: bigint;
  /** Unknown bits. */
  readonly mask: bigint;
}

/** `TNUM(v, m)`. */
export function tnum(value: bigint, mask: bigint): Tnum {
  return { value, mask };
}

/** `tnum_const(v)`. */
export function tnumConst(value: bigint): Tnum {
  return { value, mask: 0n };
}

/** The constant 0. */
export const TNUM_ZERO: Tnum = tnumConst(0n);
/** `tnum_unknown` (64-bit). */
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: W64.umax };

/** `tnum_unknown` of a width. */
export function tnumUnknown(w: Width): Tnum {
  return w === W64 ? TNUM_UNKNOWN : { value: 0n, mask: w.umax };
}

/** `fls64(x)`: 1-based index of the highest set bit, 0 for 0. */
export function fls(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** `tnum_range(min, max)`: a tnum holding every value in [min, max] (and possibly more). */
export function tnumRange(w: Width, min: bigint, max: bigint): Tnum {
  // the kernel's arguments are u64: signed callers' values convert
  min = BigInt.asUintN(w.bits, min);
  max = BigInt.asUintN(w.bits, max);
  const chi = min ^ max;
  const bits = fls(chi);
  if (bits > w.bits - 1) return tnumUnknown(w);
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta, mask: delta };
}

/** `tnum_lshift(a, shift)`. */
export function tnumLshift(w: Width, a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: (a.value << s) & w.umax, mask: (a.mask << s) & w.umax };
}

/** `tnum_rshift(a, shift)`. */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** `tnum_arshift(a, min_shift, insn_bitness)`: bitness is `w.bits` or `w.half`. */
export function tnumArshift(w: Width, a: Tnum, minShift: number, bitness: number): Tnum {
  const s = BigInt(minShift);
  if (bitness === w.half) {
    return {
      value: BigInt.asUintN(w.half, BigInt.asIntN(w.half, a.value) >> s),
      mask: BigInt.asUintN(w.half, BigInt.asIntN(w.half, a.mask) >> s),
    };
  }
  return {
    value: BigInt.asUintN(w.bits, BigInt.asIntN(w.bits, a.value) >> s),
    mask: BigInt.asUintN(w.bits, BigInt.asIntN(w.bits, a.mask) >> s),
  };
}

/** `tnum_add(a, b)`. */
export function tnumAdd(w: Width, a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & w.umax;
  const sv = (a.value + b.value) & w.umax;
  const sigma = (sm + sv) & w.umax;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu, mask: mu };
}

/** `tnum_sub(a, b)`. */
export function tnumSub(w: Width, a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & w.umax;
  const alpha = (dv + a.mask) & w.umax;
  const beta = (dv - b.mask) & w.umax;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu, mask: mu };
}

/** `tnum_neg(a)`. */
export function tnumNeg(w: Width, a: Tnum): Tnum {
  return tnumSub(w, TNUM_ZERO, a);
}

/** `tnum_and(a, b)`. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v };
}

/** `tnum_or(a, b)`. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v };
}

/** `tnum_xor(a, b)`. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu, mask: mu };
}

/** `tnum_mul(a, b)`: long multiplication, a union of both cases for an unknown bit of a. */
export function tnumMul(w: Width, a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = TNUM_ZERO;
  let av = a.value, am = a.mask;
  let bt = b;
  while (av !== 0n || am !== 0n) {
    if (av & 1n) acc = tnumAdd(w, acc, bt);
    else if (am & 1n) acc = tnumUnion(acc, tnumAdd(w, acc, bt));
    av >>= 1n;
    am >>= 1n;
    bt = tnumLshift(w, bt, 1);
  }
  return acc;
}

/** `tnum_overlap(a, b)`: whether the known bits of both agree. */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask;
  return (a.value & mu) === (b.value & mu);
}

/** `tnum_intersect(a, b)`: numbers satisfying both (a known 1 wins a disagreement). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu, mask: mu };
}

/** `tnum_union(a, b)`: numbers satisfying either. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return { value: v & ~mu, mask: mu };
}

/** `tnum_cast(a, size)` for a size in bytes below the register width. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** `tnum_is_aligned(a, size)`. */
export function tnumIsAligned(a: Tnum, size: bigint): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & (size - 1n)) === 0n;
}

/** `tnum_in(a, b)`: whether b's members are all members of a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/** `tnum_subreg(a)`: the low half. */
export function tnumSubreg(w: Width, a: Tnum): Tnum {
  return { value: a.value & w.humax, mask: a.mask & w.humax };
}

/** `tnum_clear_subreg(a)`: the high half, low half known zero. */
export function tnumClearSubreg(w: Width, a: Tnum): Tnum {
  return tnumLshift(w, tnumRshift(a, w.half), w.half);
}

/** `tnum_with_subreg(reg, subreg)`. */
export function tnumWithSubreg(w: Width, reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(w, reg), tnumSubreg(w, subreg));
}

/** `tnum_const_subreg(a, value)`. */
export function tnumConstSubreg(w: Width, a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(w, a, tnumConst(value));
}

/** `tnum_is_const(a)`. */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

/** `tnum_equals_const(a, b)`. */
export function tnumEqualsConst(a: Tnum, b: bigint): boolean {
  return a.mask === 0n && a.value === b;
}

/** `tnum_is_unknown(a)`. */
export function tnumIsUnknown(w: Width, a: Tnum): boolean {
  return a.mask === w.umax;
}

/** `tnum_subreg_is_const(a)`. */
export function tnumSubregIsConst(w: Width, a: Tnum): boolean {
  return (a.mask & w.humax) === 0n;
}

/** Whether the concrete value `x` is a member of `a`. */
export function tnumContains(a: Tnum, x: bigint): boolean {
  return (x & ~a.mask) === a.value;
}

/**
 * `tnum_step(t, z)`: the smallest member of `t` greater than `z`; `tmax`
 * (the largest member) when `z >= tmax`, `t.value` when `z < t.value`.
 * The 6.18.y backport of upstream "bpf: Introduce tnum_step to step through
 * tnum's members" (not in 6.18.0), in its branchless form: increment
 * `z - t.value` within the mask.
 */
export function tnumStep(w: Width, t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const d = z - t.value;
  const carry = (1n << BigInt(fls(d & ~t.mask & w.umax))) - 1n;
  const filled = (d | carry | (~t.mask & w.umax)) & w.umax;
  const inc = ((filled + 1n) & w.umax) & t.mask;
  return t.value | inc;
}
