/**
 * A small seeded PRNG (xorshift32) shared by the fuzz targets, so every
 * finding can be replayed from its seed.
 *
 * @module
 */

/** A seeded xorshift32 generator with helpers. */
export class Rng {
  #s: number;

  /** Create a generator; seed 0 is replaced by 1. */
  constructor(seed: number) {
    this.#s = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }

  /** A signed 32-bit integer. */
  i32(): number {
    return this.u32() | 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  /** One element of `xs`. */
  pick<T>(xs: ReadonlyArray<T>): T {
    return xs[this.int(xs.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** An "interesting" 32-bit immediate: edge values, small values or random bits. */
  imm(): number {
    switch (this.int(6)) {
      case 0:
        return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0x80, 0xff, 0xffff, 63, 64, 31, 32]);
      case 1:
      case 2:
        return this.range(-16, 16);
      default:
        return this.i32();
    }
  }
}
