/**
 * Growable typed arrays for the log reader's per-line and per-step tables
 * (no per-entry allocation).
 *
 * @module
 */

/** A growable Int32Array. */
export class IntVec {
  /** The storage; only the first {@link IntVec.length} entries are valid. */
  data: Int32Array;
  /** Number of entries. */
  length: number = 0;

  /**
   * Create an empty vector.
   * @param cap initial capacity
   */
  constructor(cap = 1024) {
    this.data = new Int32Array(cap);
  }

  /** Append a value. */
  push(v: number): void {
    if (this.length === this.data.length) this.#grow(this.length + 1);
    this.data[this.length++] = v;
  }

  /** Entry `i`. */
  get(i: number): number {
    return this.data[i];
  }

  /** Set entry `i`, growing (with zeros) when `i` is past the end. */
  set(i: number, v: number): void {
    if (i >= this.data.length) this.#grow(i + 1);
    if (i >= this.length) this.length = i + 1;
    this.data[i] = v;
  }

  /** Add `d` to entry `i`, growing when needed. */
  add(i: number, d: number): void {
    this.set(i, (i < this.length ? this.data[i] : 0) + d);
  }

  /** The last entry (undefined behaviour when empty). */
  last(): number {
    return this.data[this.length - 1];
  }

  /** Remove and return the last entry. */
  pop(): number {
    return this.data[--this.length];
  }

  /** A copy of the valid entries. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }

  #grow(min: number): void {
    let cap = this.data.length * 2 || 16;
    while (cap < min) cap *= 2;
    const d = new Int32Array(cap);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }
}

/** A growable Uint8Array. */
export class ByteVec {
  /** The storage; only the first {@link ByteVec.length} entries are valid. */
  data: Uint8Array;
  /** Number of entries. */
  length: number = 0;

  /**
   * Create an empty vector.
   * @param cap initial capacity
   */
  constructor(cap = 1024) {
    this.data = new Uint8Array(cap);
  }

  /** Append a value. */
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Uint8Array(this.data.length * 2 || 16);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }

  /** Entry `i`. */
  get(i: number): number {
    return this.data[i];
  }
}
