/**
 * The hash table of the modern (6.18) preallocated hash maps, `percpu_hash`
 * and `lru_hash`: buckets of `max_entries` rounded up to a power of two,
 * jhash with seed 0 (the kernel's with `BPF_F_ZERO_SEED`; without it the
 * kernel picks a random seed per map, so only the set of keys, not their
 * get_next_key order, is comparable), newest element first in its bucket,
 * and a fixed pool of `max_entries` elements (`htab_map_alloc` preallocates
 * them). An element is its index in the pool; where its value lives is up
 * to the map.
 *
 * @module
 */
import { ERRNO } from "../errors.ts";
import { copyBytes } from "./bytes.ts";
import { jhash } from "./jhash.ts";
import { MapBase, type MapCreateAttr } from "./maps.ts";

/** Buckets, chains and keys over a pool of `max_entries` elements (see the module doc). */
export abstract class Htab extends MapBase {
  /** Number of buckets: max_entries rounded up to a power of two. */
  readonly nBuckets: number;
  /** Bytes between values: value_size rounded up to 8 (the kernel's per-CPU and element value stride). */
  readonly stride: number;
  readonly #heads: Int32Array;
  readonly #next: Int32Array;
  /** The hash of each element's key (the LRU lists find an element's bucket by it). */
  protected readonly hashes: Uint32Array;
  readonly #keys: Uint8Array;
  /** 1 while the element is in the table. */
  protected readonly linked: Uint8Array;
  #count = 0;

  /** Allocate the table for `a.maxEntries` elements. */
  constructor(a: MapCreateAttr) {
    super(a);
    let n = 1;
    while (n < a.maxEntries) n *= 2;
    this.nBuckets = n;
    this.stride = (a.valueSize + 7) & ~7;
    this.#heads = new Int32Array(n).fill(-1);
    this.#next = new Int32Array(a.maxEntries);
    this.hashes = new Uint32Array(a.maxEntries);
    this.#keys = new Uint8Array(a.maxEntries * a.keySize);
    this.linked = new Uint8Array(a.maxEntries);
  }

  /** See {@link BpfMap}: elements in the table. */
  count(): number {
    return this.#count;
  }

  /** The hash of a key (jhash, seed 0). */
  protected hashOf(key: Uint8Array, off: number): number {
    return jhash(key, off, this.keySize, 0);
  }

  /** The element holding `key` (hash `h`), or -1. */
  protected find(key: Uint8Array, off: number, h: number): number {
    const ks = this.keySize, keys = this.#keys;
    for (let e = this.#heads[h & (this.nBuckets - 1)]; e >= 0; e = this.#next[e]) {
      if (this.hashes[e] !== h) continue;
      let i = 0;
      const base = e * ks;
      while (i < ks && keys[base + i] === key[off + i]) i++;
      if (i === ks) return e;
    }
    return -1;
  }

  /** Give element `e` the key at `key[off]` with hash `h` (it is not linked yet). */
  protected setKey(e: number, key: Uint8Array, off: number, h: number): void {
    copyBytes(this.#keys, e * this.keySize, key, off, this.keySize);
    this.hashes[e] = h;
  }

  /** Link element `e` at the head of its bucket (`hlist_nulls_add_head_rcu`). */
  protected link(e: number): void {
    const b = this.hashes[e] & (this.nBuckets - 1);
    this.#next[e] = this.#heads[b];
    this.#heads[b] = e;
    this.linked[e] = 1;
    this.#count++;
  }

  /** Take element `e` out of its bucket; false when it was not in the table. */
  protected unlink(e: number): boolean {
    if (!this.linked[e]) return false;
    const b = this.hashes[e] & (this.nBuckets - 1);
    if (this.#heads[b] === e) this.#heads[b] = this.#next[e];
    else {
      for (let p = this.#heads[b]; p >= 0; p = this.#next[p]) {
        if (this.#next[p] === e) {
          this.#next[p] = this.#next[e];
          break;
        }
      }
    }
    this.linked[e] = 0;
    this.#count--;
    return true;
  }

  /** See {@link BpfMap}: the next element in bucket order (the first, when `key` is null or absent). */
  nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number {
    let e = -1;
    let b = 0;
    if (key !== null) {
      const h = this.hashOf(key, 0);
      const cur = this.find(key, 0, h);
      if (cur >= 0) {
        e = this.#next[cur];
        b = (h & (this.nBuckets - 1)) + 1;
      }
    }
    while (e < 0 && b < this.nBuckets) e = this.#heads[b++];
    if (e < 0) return -ERRNO.ENOENT;
    copyBytes(out, 0, this.#keys, e * this.keySize, this.keySize);
    return 0;
  }

  /**
   * The check of `htab_map_update_elem` and friends once the old element is
   * known: BPF_NOEXIST on a present key gives -EEXIST, BPF_EXIST on an
   * absent one -ENOENT, else 0.
   */
  protected checkFlags(old: number, flags: number): number {
    if (old >= 0 && flags === 1) return -ERRNO.EEXIST;
    if (old < 0 && flags === 2) return -ERRNO.ENOENT;
    return 0;
  }
}
