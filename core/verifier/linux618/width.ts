/**
 * The bit widths the 6.18 scalar domain is computed in. The kernel works on
 * u64 registers with a u32 subregister; every tnum and range operator here
 * takes a {@link Width} so the same code also runs on small analogues (an
 * 8-bit register with a 4-bit subregister), where tests can enumerate every
 * abstract value and every concrete member.
 *
 * Values are bigints: unsigned ones in `[0, 2^bits)`, signed ones in
 * `[-2^(bits-1), 2^(bits-1))`.
 *
 * @module
 */

/** A register width and its subregister width, with the derived limits. */
export interface Width {
  /** Register width in bits (64 in the kernel). */
  readonly bits: number;
  /** `bits` as a bigint. */
  readonly n: bigint;
  /** `U64_MAX`. */
  readonly umax: bigint;
  /** `S64_MIN`. */
  readonly smin: bigint;
  /** `S64_MAX`. */
  readonly smax: bigint;
  /** Subregister width in bits (32 in the kernel). */
  readonly half: number;
  /** `half` as a bigint. */
  readonly hn: bigint;
  /** `U32_MAX`. */
  readonly humax: bigint;
  /** `S32_MIN`. */
  readonly hsmin: bigint;
  /** `S32_MAX`. */
  readonly hsmax: bigint;
}

/** A width of `bits` with a subregister of `bits / 2`. */
export function makeWidth(bits: number): Width {
  const n = BigInt(bits), half = bits / 2, hn = BigInt(half);
  return {
    bits,
    n,
    umax: (1n << n) - 1n,
    smin: -(1n << (n - 1n)),
    smax: (1n << (n - 1n)) - 1n,
    half,
    hn,
    humax: (1n << hn) - 1n,
    hsmin: -(1n << (hn - 1n)),
    hsmax: (1n << (hn - 1n)) - 1n,
  };
}

/** The kernel's width: 64-bit registers, 32-bit subregisters. */
export const W64: Width = makeWidth(64);

/** `(u64)x`. */
export function u64(w: Width, x: bigint): bigint {
  return BigInt.asUintN(w.bits, x);
}
/** `(s64)x`. */
export function s64(w: Width, x: bigint): bigint {
  return BigInt.asIntN(w.bits, x);
}
/** `(u32)x`. */
export function u32(w: Width, x: bigint): bigint {
  return BigInt.asUintN(w.half, x);
}
/** `(s32)x`. */
export function s32(w: Width, x: bigint): bigint {
  return BigInt.asIntN(w.half, x);
}
