/**
 * eBPF maps with the Linux 3.19 semantics: `hash` (jhash with seed 0,
 * buckets = max_entries rounded up to a power of two, newest element first
 * in its bucket), `array` (pre-allocated, zeroed, value stride rounded up to
 * 8) and, for the 3.18 profile, `unspec` (no validation, no element ops).
 *
 * Every operation has two forms:
 * - the `bpf()`-style methods (`lookup`, `update`, `delete`, `getNextKey`)
 *   take and return byte arrays and throw {@link BpfError} with the kernel's
 *   errno name;
 * - the raw methods used by the interpreter's helpers (`lookupRef`,
 *   `updateRaw`, `deleteRaw`) read the key and value straight out of program
 *   memory (a buffer and an offset), return numbers (an element reference or
 *   a negative errno) and allocate nothing on lookup.
 *
 * ## Errno behaviour (3.19)
 *
 * | operation | condition | errno |
 * |---|---|---|
 * | create hash | key_size, value_size or max_entries is 0 | EINVAL |
 * | create hash | key_size > 512 | E2BIG |
 * | create hash | flags other than BPF_F_NO_PREALLOC (1) / BPF_F_ZERO_SEED (0x40) | EINVAL |
 * | create array | key_size != 4, value_size or max_entries is 0, any flags | EINVAL |
 * | create (any) | more than 2^24 buckets / 256 MiB of values (simulated allocation limit) | ENOMEM |
 * | create | unknown type; `unspec` outside the linux-3.18 profile | EINVAL |
 * | update | flags > 2 | EINVAL |
 * | update hash | key absent and map full (checked before the flags) | E2BIG |
 * | update hash/array | key present and BPF_NOEXIST | EEXIST |
 * | update hash | key absent and BPF_EXIST | ENOENT |
 * | update array | index >= max_entries | E2BIG |
 * | lookup | key absent / index out of range | ENOENT |
 * | delete hash | key absent | ENOENT |
 * | delete array | always | EINVAL |
 * | get_next_key | no next key | ENOENT |
 * | any element op on `unspec` | always | EINVAL |
 * | key/value of the wrong length (API misuse) | | EINVAL |
 *
 * Note: modern kernels (checked on 6.18) test the flags before the size in
 * hash updates, so "absent key, full map, BPF_EXIST" gives ENOENT there and
 * E2BIG here (3.19).
 *
 * ## Element memory
 *
 * A hash element's value is its own `Uint8Array`. An update of an existing
 * key allocates a new value buffer (as the kernel allocates a new element)
 * and a delete unlinks the element; the old buffer is then *detached*: the
 * map calls {@link BpfMap.onDetach} with it, and the interpreter keeps the
 * memory readable/writable for pointers it already handed out (as RCU would)
 * but it is no longer part of the map. A stale pointer can never reach
 * another element's memory because no two elements share a buffer.
 * Array values live in one buffer of `max_entries * round_up(value_size, 8)`
 * bytes and are never detached.
 *
 * @module
 */
import { BpfError, ERRNO } from "../errors.ts";
import { jhash } from "./jhash.ts";

/** Map type number: unspec (the 3.18 test stub type). */
export const MAP_TYPE_UNSPEC = 0;
/** Map type number: hash. */
export const MAP_TYPE_HASH = 1;
/** Map type number: array. */
export const MAP_TYPE_ARRAY = 2;
/** Map flag: do not pre-allocate hash elements (accepted, no effect here). */
export const BPF_F_NO_PREALLOC = 0x01;
/** Map flag: hash with seed 0 (always the case here). */
export const BPF_F_ZERO_SEED = 0x40;

/** Attributes of `BPF_MAP_CREATE`. */
export interface MapCreateAttr {
  /** Map type number (0 unspec, 1 hash, 2 array). */
  mapType: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Maximum number of elements. */
  maxEntries: number;
  /** `map_flags` (default 0). */
  mapFlags?: number;
  /** A name for output (default `map`). */
  name?: string;
}

/** Which kernel's rules map creation follows. */
export type MapProfile = "modern" | "linux-3.18";

/** The interface every map implements (see the module doc for semantics). */
export interface BpfMap {
  /** Map type number. */
  readonly type: number;
  /** Map type name (`hash`, `array`, `unspec`). */
  readonly typeName: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of elements. */
  readonly maxEntries: number;
  /** `map_flags` given at creation. */
  readonly flags: number;
  /** Name used in output. */
  name: string;
  /** Called with the value buffer of an element that leaves the map (delete or replacement). */
  onDetach: ((value: Uint8Array) => void) | null;
  /** Number of elements currently stored. */
  count(): number;
  /** Find the element whose key is `keySize` bytes of `key` at `keyOff`: a reference ≥ 0, or -1. No allocation. */
  lookupRef(key: Uint8Array, keyOff: number): number;
  /** The buffer holding the value of element reference `ref`. */
  refBuffer(ref: number): Uint8Array;
  /** The offset of the value of element reference `ref` in {@link BpfMap.refBuffer}. */
  refOffset(ref: number): number;
  /** Update from raw memory; returns 0 or a negative errno number. */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number;
  /** Delete from raw memory; returns 0 or a negative errno number. */
  deleteRaw(key: Uint8Array, keyOff: number): number;
  /** The next key after `key` (null: the first key), or a negative errno number. */
  nextKeyRaw(key: Uint8Array | null): Uint8Array | number;
  /** `BPF_MAP_LOOKUP_ELEM`: a copy of the value. @throws BpfError ENOENT, EINVAL */
  lookup(key: Uint8Array): Uint8Array;
  /** `BPF_MAP_UPDATE_ELEM`. @throws BpfError EINVAL, E2BIG, EEXIST, ENOENT */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** `BPF_MAP_DELETE_ELEM`. @throws BpfError ENOENT, EINVAL */
  delete(key: Uint8Array): void;
  /** `BPF_MAP_GET_NEXT_KEY` (null: the first key). @throws BpfError ENOENT, EINVAL */
  getNextKey(key: Uint8Array | null): Uint8Array;
  /** All elements in get_next_key order, as copies. */
  entries(): Array<[Uint8Array, Uint8Array]>;
}

function fail(errno: number): never {
  const name = Object.keys(ERRNO).find((k) => ERRNO[k] === -errno) ?? "EINVAL";
  throw new BpfError(name);
}

function checkLen(what: string, got: number, want: number): void {
  if (got !== want) throw new BpfError("EINVAL", `${what} must be ${want} bytes, got ${got}`);
}

const MAX_BUCKETS = 1 << 24;
const MAX_BYTES = 256 * 1024 * 1024;

/** Base of the maps: the byte-array API on top of the raw methods. */
export abstract class MapBase implements BpfMap {
  /** See {@link BpfMap}. */
  abstract readonly type: number;
  /** See {@link BpfMap}. */
  abstract readonly typeName: string;
  /** See {@link BpfMap}. */
  readonly keySize: number;
  /** See {@link BpfMap}. */
  readonly valueSize: number;
  /** See {@link BpfMap}. */
  readonly maxEntries: number;
  /** See {@link BpfMap}. */
  readonly flags: number;
  /** See {@link BpfMap}. */
  name: string;
  /** See {@link BpfMap}. */
  onDetach: ((value: Uint8Array) => void) | null = null;

  /** See {@link BpfMap}. */
  constructor(a: MapCreateAttr) {
    this.keySize = a.keySize;
    this.valueSize = a.valueSize;
    this.maxEntries = a.maxEntries;
    this.flags = a.mapFlags ?? 0;
    this.name = a.name ?? "map";
  }
  /** See {@link BpfMap}. */
  abstract count(): number;
  /** See {@link BpfMap}. */
  abstract lookupRef(key: Uint8Array, keyOff: number): number;
  /** See {@link BpfMap}. */
  abstract refBuffer(ref: number): Uint8Array;
  /** See {@link BpfMap}. */
  abstract refOffset(ref: number): number;
  /** See {@link BpfMap}. */
  abstract updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number;
  /** See {@link BpfMap}. */
  abstract deleteRaw(key: Uint8Array, keyOff: number): number;
  /** See {@link BpfMap}. */
  abstract nextKeyRaw(key: Uint8Array | null): Uint8Array | number;

  /** See {@link BpfMap}. */
  lookup(key: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    const r = this.lookupRef(key, 0);
    if (r < 0) fail(r === -1 ? -ERRNO.ENOENT : r);
    const o = this.refOffset(r);
    return this.refBuffer(r).slice(o, o + this.valueSize);
  }
  /** See {@link BpfMap}. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkLen("key", key.length, this.keySize);
    checkLen("value", value.length, this.valueSize);
    const e = this.updateRaw(key, 0, value, 0, flags);
    if (e < 0) fail(e);
  }
  /** See {@link BpfMap}. */
  delete(key: Uint8Array): void {
    checkLen("key", key.length, this.keySize);
    const e = this.deleteRaw(key, 0);
    if (e < 0) fail(e);
  }
  /** See {@link BpfMap}. */
  getNextKey(key: Uint8Array | null): Uint8Array {
    if (key !== null) checkLen("key", key.length, this.keySize);
    const r = this.nextKeyRaw(key);
    if (typeof r === "number") fail(r);
    return r;
  }
  /** See {@link BpfMap}. */
  entries(): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    let k: Uint8Array | number = this.nextKeyRaw(null);
    while (typeof k !== "number") {
      out.push([k, this.lookup(k)]);
      k = this.nextKeyRaw(k);
    }
    return out;
  }
}

/** `BPF_MAP_TYPE_HASH` with the 3.19 semantics (see the module doc). */
export class HashMap extends MapBase {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_HASH;
  /** See {@link BpfMap}. */
  readonly typeName: string = "hash";
  /** Number of buckets: max_entries rounded up to a power of two. */
  readonly nBuckets: number;
  #heads: Int32Array;
  #next: Int32Array;
  #hash: Uint32Array;
  #bucketOf: Int32Array;
  #keys: Uint8Array;
  #vals: Array<Uint8Array | null> = [];
  #free: number[] = [];
  #used = 0; // slots handed out so far
  #count = 0;

  /** Create a hash map (use {@link createMap} for the kernel's checks). */
  constructor(a: MapCreateAttr) {
    super(a);
    let n = 1;
    while (n < a.maxEntries) n *= 2;
    this.nBuckets = n;
    this.#heads = new Int32Array(n).fill(-1);
    const cap = Math.min(a.maxEntries, 16);
    this.#next = new Int32Array(cap);
    this.#hash = new Uint32Array(cap);
    this.#bucketOf = new Int32Array(cap);
    this.#keys = new Uint8Array(cap * a.keySize);
  }

  /** See {@link BpfMap}. */
  count(): number {
    return this.#count;
  }

  #grow(): void {
    const cap = Math.min(this.maxEntries, this.#next.length * 2);
    const nx = new Int32Array(cap);
    nx.set(this.#next);
    this.#next = nx;
    const h = new Uint32Array(cap);
    h.set(this.#hash);
    this.#hash = h;
    const b = new Int32Array(cap);
    b.set(this.#bucketOf);
    this.#bucketOf = b;
    const k = new Uint8Array(cap * this.keySize);
    k.set(this.#keys);
    this.#keys = k;
  }

  #find(key: Uint8Array, off: number, h: number): number {
    const ks = this.keySize;
    const keys = this.#keys;
    for (let e = this.#heads[h & (this.nBuckets - 1)]; e >= 0; e = this.#next[e]) {
      if (this.#hash[e] !== h) continue;
      let i = 0;
      const base = e * ks;
      while (i < ks && keys[base + i] === key[off + i]) i++;
      if (i === ks) return e;
    }
    return -1;
  }

  #unlink(e: number): void {
    const b = this.#bucketOf[e];
    if (this.#heads[b] === e) {
      this.#heads[b] = this.#next[e];
      return;
    }
    for (let p = this.#heads[b]; p >= 0; p = this.#next[p]) {
      if (this.#next[p] === e) {
        this.#next[p] = this.#next[e];
        return;
      }
    }
  }

  #pushHead(e: number): void {
    const b = this.#bucketOf[e];
    this.#next[e] = this.#heads[b];
    this.#heads[b] = e;
  }

  /** See {@link BpfMap}. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    return this.#find(key, keyOff, jhash(key, keyOff, this.keySize, 0));
  }
  /** See {@link BpfMap}. */
  refBuffer(ref: number): Uint8Array {
    return this.#vals[ref]!;
  }
  /** See {@link BpfMap}. */
  refOffset(_ref: number): number {
    return 0;
  }

  /** See {@link BpfMap}. */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    if (flags >>> 0 > 2) return -ERRNO.EINVAL;
    const h = jhash(key, keyOff, this.keySize, 0);
    const old = this.#find(key, keyOff, h);
    if (old < 0 && this.#count >= this.maxEntries) return -ERRNO.E2BIG;
    if (old >= 0 && flags === 1) return -ERRNO.EEXIST;
    if (old < 0 && flags === 2) return -ERRNO.ENOENT;
    const v = value.slice(valueOff, valueOff + this.valueSize);
    if (old >= 0) {
      // the kernel links a new element at the head and unlinks the old one
      const ob = this.#vals[old]!;
      this.#unlink(old);
      this.#vals[old] = v;
      this.#pushHead(old);
      this.onDetach?.(ob);
      return 0;
    }
    let e: number;
    if (this.#free.length > 0) e = this.#free.pop()!;
    else {
      if (this.#used === this.#next.length) this.#grow();
      e = this.#used++;
    }
    this.#keys.set(key.subarray(keyOff, keyOff + this.keySize), e * this.keySize);
    this.#hash[e] = h;
    this.#bucketOf[e] = h & (this.nBuckets - 1);
    this.#vals[e] = v;
    this.#pushHead(e);
    this.#count++;
    return 0;
  }

  /** See {@link BpfMap}. */
  deleteRaw(key: Uint8Array, keyOff: number): number {
    const e = this.#find(key, keyOff, jhash(key, keyOff, this.keySize, 0));
    if (e < 0) return -ERRNO.ENOENT;
    this.#unlink(e);
    const ob = this.#vals[e]!;
    this.#vals[e] = null;
    this.#free.push(e);
    this.#count--;
    this.onDetach?.(ob);
    return 0;
  }

  /** See {@link BpfMap}. */
  nextKeyRaw(key: Uint8Array | null): Uint8Array | number {
    let e = -1;
    let b = 0;
    if (key !== null) {
      const h = jhash(key, 0, this.keySize, 0);
      const cur = this.#find(key, 0, h);
      if (cur >= 0) {
        e = this.#next[cur];
        b = this.#bucketOf[cur] + 1;
      }
    }
    while (e < 0 && b < this.nBuckets) e = this.#heads[b++];
    if (e < 0) return -ERRNO.ENOENT;
    return this.#keys.slice(e * this.keySize, (e + 1) * this.keySize);
  }
}

/** `BPF_MAP_TYPE_ARRAY` with the 3.19 semantics (see the module doc). */
export class ArrayMap extends MapBase {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_ARRAY;
  /** See {@link BpfMap}. */
  readonly typeName: string = "array";
  /** Bytes between values: value_size rounded up to 8. */
  readonly stride: number;
  /** All values, `max_entries * stride` bytes (addressable by programs). */
  readonly values: Uint8Array;

  /** Create an array map (use {@link createMap} for the kernel's checks). */
  constructor(a: MapCreateAttr) {
    super(a);
    this.stride = (a.valueSize + 7) & ~7;
    this.values = new Uint8Array(this.stride * a.maxEntries);
  }
  /** See {@link BpfMap}. */
  count(): number {
    return this.maxEntries;
  }
  #index(key: Uint8Array, off: number): number {
    return (key[off] | (key[off + 1] << 8) | (key[off + 2] << 16) | (key[off + 3] << 24)) >>> 0;
  }
  /** See {@link BpfMap}. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const i = this.#index(key, keyOff);
    return i < this.maxEntries ? i : -1;
  }
  /** See {@link BpfMap}. */
  refBuffer(_ref: number): Uint8Array {
    return this.values;
  }
  /** See {@link BpfMap}. */
  refOffset(ref: number): number {
    return ref * this.stride;
  }
  /** See {@link BpfMap}. */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    if (flags >>> 0 > 2) return -ERRNO.EINVAL;
    const i = this.#index(key, keyOff);
    if (i >= this.maxEntries) return -ERRNO.E2BIG;
    if (flags === 1) return -ERRNO.EEXIST;
    this.values.set(value.subarray(valueOff, valueOff + this.valueSize), i * this.stride);
    return 0;
  }
  /** See {@link BpfMap}. */
  deleteRaw(_key: Uint8Array, _keyOff: number): number {
    return -ERRNO.EINVAL;
  }
  /** See {@link BpfMap}. */
  nextKeyRaw(key: Uint8Array | null): Uint8Array | number {
    const i = key === null ? -1 : this.#index(key, 0);
    let n: number;
    if (i === -1 || i >= this.maxEntries) n = 0;
    else if (i === this.maxEntries - 1) return -ERRNO.ENOENT;
    else n = i + 1;
    return new Uint8Array(new Uint32Array([n]).buffer);
  }
}

/** `BPF_MAP_TYPE_UNSPEC` of the 3.18 test stub: stores its sizes, has no element operations (EINVAL). */
export class UnspecMap extends MapBase {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_UNSPEC;
  /** See {@link BpfMap}. */
  readonly typeName: string = "unspec";
  /** See {@link BpfMap}. */
  count(): number {
    return 0;
  }
  /** See {@link BpfMap}. */
  lookupRef(_key: Uint8Array, _keyOff: number): number {
    return -1;
  }
  /** See {@link BpfMap}. */
  refBuffer(_ref: number): Uint8Array {
    return new Uint8Array(0);
  }
  /** See {@link BpfMap}. */
  refOffset(_ref: number): number {
    return 0;
  }
  /** See {@link BpfMap}. */
  updateRaw(): number {
    return -ERRNO.EINVAL;
  }
  /** See {@link BpfMap}. */
  deleteRaw(): number {
    return -ERRNO.EINVAL;
  }
  /** See {@link BpfMap}. */
  nextKeyRaw(): number {
    return -ERRNO.EINVAL;
  }
  /** See {@link BpfMap}. */
  override lookup(_key: Uint8Array): Uint8Array {
    throw new BpfError("EINVAL", "unspec maps have no element operations");
  }
  /** See {@link BpfMap}. */
  override entries(): Array<[Uint8Array, Uint8Array]> {
    return [];
  }
}

/**
 * `BPF_MAP_CREATE`: validate the attributes as the kernel does and build the
 * map. `unspec` is accepted only with the `linux-3.18` profile.
 * @throws BpfError EINVAL, E2BIG, ENOMEM (see the module doc)
 */
export function createMap(a: MapCreateAttr, profile: MapProfile = "modern"): BpfMap {
  const ks = a.keySize, vs = a.valueSize, n = a.maxEntries, flags = a.mapFlags ?? 0;
  for (const [k, v] of [["keySize", ks], ["valueSize", vs], ["maxEntries", n], ["mapFlags", flags]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BpfError("EINVAL", `${k} must be a u32`);
  }
  switch (a.mapType) {
    case MAP_TYPE_UNSPEC:
      if (profile !== "linux-3.18") {
        throw new BpfError("EINVAL", "map type unspec exists only in the linux-3.18 profile");
      }
      return new UnspecMap(a);
    case MAP_TYPE_HASH: {
      if (n === 0 || ks === 0 || vs === 0) {
        throw new BpfError("EINVAL", "hash: key_size, value_size and max_entries must be non-zero");
      }
      if ((flags & ~(BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED)) !== 0) {
        throw new BpfError("EINVAL", `hash: unsupported map_flags 0x${flags.toString(16)}`);
      }
      if (ks > 512) throw new BpfError("E2BIG", "hash: key_size > 512");
      if (n > MAX_BUCKETS || vs > MAX_BYTES) throw new BpfError("ENOMEM", "hash: too large");
      return new HashMap(a);
    }
    case MAP_TYPE_ARRAY: {
      if (ks !== 4 || vs === 0 || n === 0) {
        throw new BpfError("EINVAL", "array: key_size must be 4, value_size and max_entries non-zero");
      }
      if (flags !== 0) throw new BpfError("EINVAL", `array: unsupported map_flags 0x${flags.toString(16)}`);
      if (vs > MAX_BYTES || Math.ceil(vs / 8) * 8 * n > MAX_BYTES) throw new BpfError("ENOMEM", "array: too large");
      return new ArrayMap(a);
    }
    default:
      throw new BpfError("EINVAL", `unsupported map type ${a.mapType}`);
  }
}
