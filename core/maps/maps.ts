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
 *   a negative errno) and allocate no buffers: a hash update takes a slot of
 *   the value store below (a new chunk of slots now and then; keys and values
 *   of more than 32 bytes are copied through one `subarray` view).
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
 * | update hash | the quarantine of freed values is full during a run (see Element memory) | ENOMEM |
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
 * Hash values live in a slab: fixed-size chunks of value *slots* (a slot is
 * `round_up(value_size, 8)` bytes; a chunk holds min(1024, max_entries
 * rounded up to a power of two) slots, at least 16, fewer when that would
 * exceed 1 MiB). Chunks are allocated when slots run out and never move, so
 * lookups and updates allocate no memory (values and keys of more than 32
 * bytes are copied through one `subarray` view, which costs less than a long
 * byte loop). An element reference (`lookupRef`) is the slot of the
 * element's current value; `refBuffer` is its chunk and `refOffset` its byte
 * offset there. The VM maps each value it hands out as a region of its own
 * (a view of `value_size` bytes of the chunk), so an access past a value
 * faults.
 *
 * As in the kernel, an update of an existing key writes the new value into a
 * *new* slot and links the element at the head of its bucket (the kernel
 * allocates a new element, links it first and unlinks the old one), and a
 * delete unlinks the element. The old slot is then freed RCU-style: programs
 * run under `rcu_read_lock` ({@link BpfMap.rcuReadLock}, called by the
 * interpreter and the JIT for every map of the program for the whole run),
 * and a slot freed while the map is locked goes into quarantine, untouched,
 * until the lock depth drops back to 0 (the grace period is over); then it is
 * reusable. A slot freed while no run holds the map (user API calls between
 * runs) is reusable at once. So a pointer a program obtained before a delete
 * or a replacement keeps reading (and writing) the old value for the rest of
 * the run and never reaches another element's value: no slot is reused
 * within a run.
 *
 * The quarantine is bounded ({@link HashMap.quarantineCap}: 2^20 slots and
 * 256 MiB, the simulated allocation limit of map creation, whichever is
 * fewer slots): while it is full, an update returns ENOMEM, which is what
 * 3.19's `htab_map_update_elem` returns when `kmalloc` of the new element
 * fails (checked right after the flags, before E2BIG/EEXIST/ENOENT). Deletes
 * always succeed, so the quarantine can exceed the cap by at most
 * max_entries slots.
 *
 * Array values live in one buffer of `max_entries * round_up(value_size, 8)`
 * bytes and are never freed.
 *
 * @module
 */
import { BpfError, ERRNO } from "../errors.ts";
import type { MapDef } from "../isa/mod.ts";
import { jhash } from "./jhash.ts";
import { arrayIndex, arrayNextKey, checkBuffer, checkLen, copyBytes, fail, MAX_BYTES } from "./bytes.ts";

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
  /**
   * `rcu_read_lock()`: a program run that may hold pointers into this map's
   * values begins (calls nest). Until the matching {@link BpfMap.rcuReadUnlock}
   * brings the depth back to 0, value memory freed by a delete or a
   * replacement is not reused.
   */
  rcuReadLock(): void;
  /** `rcu_read_unlock()`: at depth 0 the grace period is over and freed value memory becomes reusable. */
  rcuReadUnlock(): void;
  /** Number of elements currently stored. */
  count(): number;
  /**
   * Find the element whose key is `keySize` bytes of `key` at `keyOff`: a
   * reference ≥ 0 to its current value, or -1. No allocation.
   */
  lookupRef(key: Uint8Array, keyOff: number): number;
  /** The buffer holding the value of reference `ref` (shared with other values; it never moves). */
  refBuffer(ref: number): Uint8Array;
  /** The offset of the value of element reference `ref` in {@link BpfMap.refBuffer}. */
  refOffset(ref: number): number;
  /** Update from raw memory; returns 0 or a negative errno number. */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number;
  /** Delete from raw memory; returns 0 or a negative errno number. */
  deleteRaw(key: Uint8Array, keyOff: number): number;
  /**
   * Write the key after `key` (null: the first key) into the first
   * `keySize` bytes of `out` (which may be `key` itself); returns 0 or a
   * negative errno number.
   */
  nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number;
  /**
   * `BPF_MAP_LOOKUP_ELEM`: a copy of the value, in a new array or, as the
   * kernel writes to `attr.value`, in the first `valueSize` bytes of `value`
   * (then returned; no allocation: an order of magnitude faster in Deno,
   * where a new `ArrayBuffer` costs about 1 µs). @throws BpfError ENOENT, EINVAL (also
   * when `value` is shorter than `valueSize`)
   */
  lookup(key: Uint8Array, value?: Uint8Array): Uint8Array;
  /** `BPF_MAP_UPDATE_ELEM`. @throws BpfError EINVAL, E2BIG, EEXIST, ENOENT */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** `BPF_MAP_DELETE_ELEM`. @throws BpfError ENOENT, EINVAL */
  delete(key: Uint8Array): void;
  /**
   * `BPF_MAP_GET_NEXT_KEY` (null: the first key): the next key, in a new
   * array or, as the kernel writes to `attr.next_key`, in the first
   * `keySize` bytes of `next` (then returned; it may be `key` itself).
   * @throws BpfError ENOENT, EINVAL (also when `next` is shorter than `keySize`)
   */
  getNextKey(key: Uint8Array | null, next?: Uint8Array): Uint8Array;
  /** All elements in get_next_key order, as copies. */
  entries(): Array<[Uint8Array, Uint8Array]>;
  /**
   * The CPU the map's operations run on (per-CPU and LRU maps; undefined
   * for the others): the engines set it to the CPU of a run while it lasts,
   * and put it back after (default 0, where user-space operations run).
   */
  cpu?: number;
}

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
  constructor(a: MapCreateAttr) {
    this.keySize = a.keySize;
    this.valueSize = a.valueSize;
    this.maxEntries = a.maxEntries;
    this.flags = a.mapFlags ?? 0;
    this.name = a.name ?? "map";
  }
  /** See {@link BpfMap}. Nothing to do for maps that never free value memory (array, unspec). */
  rcuReadLock(): void {}
  /** See {@link BpfMap}. */
  rcuReadUnlock(): void {}
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
  abstract nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number;

  /** See {@link BpfMap}. */
  lookup(key: Uint8Array, value?: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    if (value !== undefined) checkBuffer("value", value, this.valueSize);
    const r = this.lookupRef(key, 0);
    if (r < 0) fail(r === -1 ? -ERRNO.ENOENT : r);
    const buf = this.refBuffer(r), o = this.refOffset(r);
    if (value === undefined) return buf.slice(o, o + this.valueSize);
    copyBytes(value, 0, buf, o, this.valueSize);
    return value;
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
  getNextKey(key: Uint8Array | null, next?: Uint8Array): Uint8Array {
    if (key !== null) checkLen("key", key.length, this.keySize);
    if (next !== undefined) checkBuffer("next_key", next, this.keySize);
    const out = next ?? new Uint8Array(this.keySize);
    const r = this.nextKeyRaw(key, out);
    if (r < 0) fail(r);
    return out;
  }
  /** See {@link BpfMap}. */
  entries(): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    let k = new Uint8Array(this.keySize);
    let r = this.nextKeyRaw(null, k);
    while (r === 0) {
      out.push([k, this.lookup(k)]);
      const n = new Uint8Array(this.keySize);
      r = this.nextKeyRaw(k, n);
      k = n;
    }
    return out;
  }
}

/** Most value slots per chunk of a hash map's value store. */
const CHUNK_SLOTS_MAX = 1024;
/** Fewest value slots per chunk (unless a chunk would exceed {@link CHUNK_BYTES_MAX}). */
const CHUNK_SLOTS_MIN = 16;
/** Largest chunk of a hash map's value store in bytes, unless one value is larger (then one slot per chunk). */
const CHUNK_BYTES_MAX = 1 << 20;
/**
 * Most value slots a hash map keeps in quarantine (freed during an RCU
 * read-side critical section, not reusable until it ends); the byte limit is
 * the simulated allocation limit of map creation, 256 MiB (see
 * {@link HashMap.quarantineCap}).
 */
export const QUARANTINE_MAX_SLOTS = 1 << 20;

/** `BPF_MAP_TYPE_HASH` with the 3.19 semantics (see the module doc). */
export class HashMap extends MapBase {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_HASH;
  /** See {@link BpfMap}. */
  readonly typeName: string = "hash";
  /** Number of buckets: max_entries rounded up to a power of two. */
  readonly nBuckets: number;
  /** Bytes between value slots: value_size rounded up to 8. */
  readonly stride: number;
  /** Value slots per chunk of the value store (a power of two). */
  readonly chunkSlots: number;
  /**
   * How many freed value slots may wait in quarantine: min(2^20, 256 MiB /
   * stride), at least 1. While that many wait, updates fail with ENOMEM.
   */
  readonly quarantineCap: number;
  #heads: Int32Array;
  #next: Int32Array;
  #hash: Uint32Array;
  #slotOf: Int32Array; // the value slot of each element
  #keys: Uint8Array;
  #free: number[] = []; // free element indexes
  #used = 0; // element indexes handed out so far
  #count = 0;
  // the value store: slot s is at chunk s >> #shift, byte (s & #mask) * stride
  #chunks: Uint8Array[] = [];
  #shift: number;
  #mask: number;
  #slotsMade = 0; // slots handed out so far (the chunks hold at least this many)
  #freeSlots: number[] = [];
  #quarantine: number[] = [];
  #rcu = 0; // rcu_read_lock nesting depth

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
    this.#slotOf = new Int32Array(cap);
    this.#keys = new Uint8Array(cap * a.keySize);
    this.stride = (a.valueSize + 7) & ~7;
    let slots = CHUNK_SLOTS_MIN;
    while (slots < a.maxEntries && slots < CHUNK_SLOTS_MAX) slots *= 2;
    while (slots > 1 && slots * this.stride > CHUNK_BYTES_MAX) slots /= 2;
    this.chunkSlots = slots;
    this.#shift = Math.log2(slots);
    this.#mask = slots - 1;
    this.quarantineCap = Math.max(1, Math.min(QUARANTINE_MAX_SLOTS, Math.floor(MAX_BYTES / this.stride)));
  }

  /** See {@link BpfMap}. */
  count(): number {
    return this.#count;
  }

  /** Current `rcu_read_lock` nesting depth (0: no program run holds this map). */
  get rcuDepth(): number {
    return this.#rcu;
  }

  /** Number of freed value slots waiting for the end of the grace period. */
  get quarantined(): number {
    return this.#quarantine.length;
  }

  /** Number of chunks of the value store allocated so far. */
  get chunkCount(): number {
    return this.#chunks.length;
  }

  /** See {@link BpfMap}. */
  override rcuReadLock(): void {
    this.#rcu++;
  }

  /** See {@link BpfMap}. */
  override rcuReadUnlock(): void {
    if (this.#rcu === 0 || --this.#rcu > 0) return;
    // grace period over: the quarantined slots become reusable
    const q = this.#quarantine;
    if (this.#freeSlots.length === 0) {
      this.#quarantine = this.#freeSlots;
      this.#freeSlots = q;
    } else {
      for (let i = 0; i < q.length; i++) this.#freeSlots.push(q[i]);
      q.length = 0;
    }
  }

  #grow(): void {
    const cap = Math.min(this.maxEntries, this.#next.length * 2);
    const nx = new Int32Array(cap);
    nx.set(this.#next);
    this.#next = nx;
    const h = new Uint32Array(cap);
    h.set(this.#hash);
    this.#hash = h;
    const v = new Int32Array(cap);
    v.set(this.#slotOf);
    this.#slotOf = v;
    const k = new Uint8Array(cap * this.keySize);
    k.set(this.#keys);
    this.#keys = k;
  }

  /** A free value slot (a new chunk when none is left). */
  #allocSlot(): number {
    if (this.#freeSlots.length > 0) return this.#freeSlots.pop()!;
    const s = this.#slotsMade++;
    if (s >> this.#shift === this.#chunks.length) this.#chunks.push(new Uint8Array(this.chunkSlots * this.stride));
    return s;
  }

  /** Free value slot `s`: reusable at once, or after the grace period when a program run holds the map. */
  #freeSlot(s: number): void {
    if (this.#rcu > 0) this.#quarantine.push(s);
    else this.#freeSlots.push(s);
  }

  /** The bucket of element `e` (from its hash). */
  #bucketOf(e: number): number {
    return this.#hash[e] & (this.nBuckets - 1);
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
    const b = this.#bucketOf(e);
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
    const b = this.#bucketOf(e);
    this.#next[e] = this.#heads[b];
    this.#heads[b] = e;
  }

  /** See {@link BpfMap}. The reference is the value slot of the element's current value. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const e = this.#find(key, keyOff, jhash(key, keyOff, this.keySize, 0));
    return e < 0 ? -1 : this.#slotOf[e];
  }
  /** See {@link BpfMap}. The chunk of the value store that holds slot `ref`. */
  refBuffer(ref: number): Uint8Array {
    return this.#chunks[ref >> this.#shift];
  }
  /** See {@link BpfMap}. */
  refOffset(ref: number): number {
    return (ref & this.#mask) * this.stride;
  }

  /**
   * See {@link BpfMap}. `value` may be one of this map's chunks (a program's
   * pointer into a value resolves to the chunk itself): the copy is then a
   * memmove. Another view of a chunk that overlaps the new slot is not
   * detected (checking `value.buffer` would cost ~20 ns on every update).
   */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    if (flags >>> 0 > 2) return -ERRNO.EINVAL;
    // 3.19 allocates the new element (kmalloc) before it looks the key up
    if (this.#quarantine.length >= this.quarantineCap) return -ERRNO.ENOMEM;
    const h = jhash(key, keyOff, this.keySize, 0);
    const old = this.#find(key, keyOff, h);
    if (old < 0 && this.#count >= this.maxEntries) return -ERRNO.E2BIG;
    if (old >= 0 && flags === 1) return -ERRNO.EEXIST;
    if (old < 0 && flags === 2) return -ERRNO.ENOENT;
    const s = this.#allocSlot();
    const chunk = this.#chunks[s >> this.#shift];
    const off = (s & this.#mask) * this.stride;
    const vs = this.valueSize;
    if (value === chunk) chunk.copyWithin(off, valueOff, valueOff + vs); // memmove: the source may overlap
    else copyBytes(chunk, off, value, valueOff, vs);
    if (old >= 0) {
      // the kernel links a new element at the head and unlinks the old one
      const os = this.#slotOf[old];
      this.#unlink(old);
      this.#slotOf[old] = s;
      this.#pushHead(old);
      this.#freeSlot(os);
      return 0;
    }
    let e: number;
    if (this.#free.length > 0) e = this.#free.pop()!;
    else {
      if (this.#used === this.#next.length) this.#grow();
      e = this.#used++;
    }
    copyBytes(this.#keys, e * this.keySize, key, keyOff, this.keySize);
    this.#hash[e] = h;
    this.#slotOf[e] = s;
    this.#pushHead(e);
    this.#count++;
    return 0;
  }

  /** See {@link BpfMap}. */
  deleteRaw(key: Uint8Array, keyOff: number): number {
    const e = this.#find(key, keyOff, jhash(key, keyOff, this.keySize, 0));
    if (e < 0) return -ERRNO.ENOENT;
    this.#unlink(e);
    this.#freeSlot(this.#slotOf[e]);
    this.#free.push(e);
    this.#count--;
    return 0;
  }

  /** See {@link BpfMap}. */
  nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number {
    let e = -1;
    let b = 0;
    if (key !== null) {
      const h = jhash(key, 0, this.keySize, 0);
      const cur = this.#find(key, 0, h);
      if (cur >= 0) {
        e = this.#next[cur];
        b = this.#bucketOf(cur) + 1;
      }
    }
    while (e < 0 && b < this.nBuckets) e = this.#heads[b++];
    if (e < 0) return -ERRNO.ENOENT;
    copyBytes(out, 0, this.#keys, e * this.keySize, this.keySize);
    return 0;
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
  /** See {@link BpfMap}. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const i = arrayIndex(key, keyOff);
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
    const i = arrayIndex(key, keyOff);
    if (i >= this.maxEntries) return -ERRNO.E2BIG;
    if (flags === 1) return -ERRNO.EEXIST;
    // a program may pass a pointer into this array's own values: then the copy is a memmove
    if (value === this.values) value.copyWithin(i * this.stride, valueOff, valueOff + this.valueSize);
    else copyBytes(this.values, i * this.stride, value, valueOff, this.valueSize);
    return 0;
  }
  /** See {@link BpfMap}. */
  deleteRaw(_key: Uint8Array, _keyOff: number): number {
    return -ERRNO.EINVAL;
  }
  /** See {@link BpfMap}. */
  nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number {
    return arrayNextKey(key, this.maxEntries, out);
  }
}

/**
 * A map whose values programs cannot reach (unspec, prog_array, ringbuf): a
 * program's lookup finds nothing (NULL) and its update fails with -EINVAL.
 */
export abstract class NoValueMap extends MapBase {
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
  updateRaw(_key: Uint8Array, _keyOff: number, _value: Uint8Array, _valueOff: number, _flags: number): number {
    return -ERRNO.EINVAL;
  }
}

/** `BPF_MAP_TYPE_UNSPEC` of the 3.18 test stub: stores its sizes, has no element operations (EINVAL). */
export class UnspecMap extends NoValueMap {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_UNSPEC;
  /** See {@link BpfMap}. */
  readonly typeName: string = "unspec";
  /** See {@link BpfMap}. */
  count(): number {
    return 0;
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

/** The `BPF_MAP_CREATE` attributes of a map a program file declares. */
export function mapAttrOf(def: MapDef): MapCreateAttr {
  return {
    mapType: def.type,
    keySize: def.keySize,
    valueSize: def.valueSize,
    maxEntries: def.maxEntries,
    mapFlags: def.flags,
    name: def.name,
  };
}
