/**
 * A cache keyed by strings (generated JavaScript source, or a wasm module's
 * bytes as a string), bounded by its number of entries and by the total length
 * of its keys (a compiled artefact costs about as much as its source): when an
 * insertion would pass either bound, the oldest entries go first.
 *
 * @module
 */

/** A string-keyed cache bounded by entries and by the total length of its keys; the oldest are dropped first. */
export class BoundedCache<V> {
  readonly #map = new Map<string, V>();
  #chars = 0;

  /**
   * @param maxEntries most entries kept
   * @param maxChars most characters in all keys together
   */
  constructor(readonly maxEntries: number, readonly maxChars: number) {}

  /** Entries held. */
  get size(): number {
    return this.#map.size;
  }

  /** Characters in all keys held. */
  get chars(): number {
    return this.#chars;
  }

  /** The value cached under `key`, or the one `make` returns (cached, unless it is `null`). */
  getOrMake<W extends V | null>(key: string, make: () => W): V | W {
    const hit = this.#map.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    if (v === null) return v;
    while (this.#map.size > 0 && (this.#map.size >= this.maxEntries || this.#chars + key.length > this.maxChars)) {
      const oldest = this.#map.keys().next().value!;
      this.#chars -= oldest.length;
      this.#map.delete(oldest);
    }
    this.#map.set(key, v as V);
    this.#chars += key.length;
    return v;
  }
}
