/**
 * Per-CPU maps with the 6.18 semantics: `percpu_array` (6) and
 * `percpu_hash` (5), over `nCpus` simulated CPUs.
 *
 * Every element has one value per CPU, each `round_up(value_size, 8)` bytes
 * (the stride). A program sees only the value of the CPU its run is on
 * ({@link BpfMap.cpu}, set by the engines from `RunOptions.cpu`): a lookup
 * returns a pointer to it, an update writes `value_size` bytes of it. The
 * user-space (`bpf()`) forms work on all CPUs at once, as the syscall does:
 * `lookup` returns and `update` takes `stride * nCpus` bytes, CPU 0 first,
 * padding included (the kernel copies whole strides both ways).
 *
 * | operation | condition | errno |
 * |---|---|---|
 * | create | key_size != 4 (array), value_size 0, max_entries 0 | EINVAL |
 * | create | round_up(value_size, 8) > 32768 (PCPU_MIN_UNIT_SIZE) | E2BIG |
 * | update (program) | flags other than 0, 1, 2 | EINVAL (array: after the index check with BPF_F_LOCK, as the kernel) |
 * | update (bpf()) | flags > 2 | EINVAL |
 * | update array | index >= max_entries | E2BIG |
 * | update array | BPF_NOEXIST | EEXIST |
 * | update hash | BPF_NOEXIST on a present key / BPF_EXIST on an absent key | EEXIST / ENOENT |
 * | update hash | absent key, map full (after the flags) | E2BIG |
 * | delete array | always | EINVAL |
 *
 * An update of a present percpu_hash key writes its values in place (the
 * element keeps its place in its bucket); a new element's other CPUs' values
 * start zeroed when a program adds it (`pcpu_init_value`). Deleted elements
 * go back to the pool at once (the kernel's preallocated elements are reused
 * without an RCU grace period).
 *
 * @module
 */
import { BpfError, ERRNO } from "../errors.ts";
import { arrayIndex, arrayNextKey, checkBuffer, checkLen, copyBytes, copyOut, fail } from "./bytes.ts";
import { Htab } from "./htab.ts";
import { MapBase, type MapCreateAttr } from "./maps.ts";

/** Map type number: percpu_hash. */
export const MAP_TYPE_PERCPU_HASH = 5;
/** Map type number: percpu_array. */
export const MAP_TYPE_PERCPU_ARRAY = 6;
/** The simulated number of possible CPUs when none is given (the kernel the project checks against has 2). */
export const DEFAULT_CPUS = 2;
/** Largest per-CPU value stride (`PCPU_MIN_UNIT_SIZE`). */
export const PCPU_MAX_VALUE = 32768;

/** What the per-CPU maps share: the CPU count and the whole-map value form of the `bpf()` API. */
export interface PerCpuMap {
  /** Number of simulated CPUs (values per element). */
  readonly nCpus: number;
  /** Bytes between the CPUs' values: value_size rounded up to 8. */
  readonly stride: number;
  /** Bytes of a `bpf()` value: `stride * nCpus`. */
  readonly userValueSize: number;
  /** The CPUs' values of `key` as views of `value_size` bytes (CPU 0 first). @throws BpfError ENOENT, EINVAL */
  lookupPerCpu(key: Uint8Array): Uint8Array[];
}

/** True for the per-CPU maps. */
export function isPerCpu(m: unknown): m is PerCpuMap & MapBase {
  return m instanceof PercpuArrayMap || m instanceof PercpuHashMap;
}

function splitCpus(buf: Uint8Array, off: number, nCpus: number, stride: number, vs: number): Uint8Array[] {
  return Array.from({ length: nCpus }, (_, c) => buf.subarray(off + c * stride, off + c * stride + vs));
}

/** `BPF_MAP_TYPE_PERCPU_ARRAY` (see the module doc). */
export class PercpuArrayMap extends MapBase implements PerCpuMap {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_PERCPU_ARRAY;
  /** See {@link BpfMap}. */
  readonly typeName: string = "percpu_array";
  /** See {@link PerCpuMap}. */
  readonly nCpus: number;
  /** See {@link PerCpuMap}. */
  readonly stride: number;
  /** See {@link PerCpuMap}. */
  readonly userValueSize: number;
  /** All values: element i's value of CPU c at `(i * nCpus + c) * stride`. */
  readonly values: Uint8Array;
  /** See {@link BpfMap.cpu}. */
  cpu = 0;

  /** Create the map (use `createMap` for the kernel's checks). */
  constructor(a: MapCreateAttr, nCpus: number) {
    super(a);
    this.nCpus = nCpus;
    this.stride = (a.valueSize + 7) & ~7;
    this.userValueSize = this.stride * nCpus;
    this.values = new Uint8Array(a.maxEntries * this.userValueSize);
  }
  /** See {@link BpfMap}. */
  count(): number {
    return this.maxEntries;
  }
  /** See {@link BpfMap}: the value of element `key` on CPU {@link PercpuArrayMap.cpu}. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const i = arrayIndex(key, keyOff);
    return i < this.maxEntries ? i * this.nCpus + this.cpu : -1;
  }
  /** See {@link BpfMap}. */
  refBuffer(_ref: number): Uint8Array {
    return this.values;
  }
  /** See {@link BpfMap}. */
  refOffset(ref: number): number {
    return ref * this.stride;
  }
  /** See {@link BpfMap}: a program's update, of the value on CPU {@link PercpuArrayMap.cpu} (`array_map_update_elem`). */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    if ((flags & ~4) >>> 0 > 2) return -ERRNO.EINVAL;
    const i = arrayIndex(key, keyOff);
    if (i >= this.maxEntries) return -ERRNO.E2BIG;
    if (flags & 1) return -ERRNO.EEXIST;
    if (flags & 4) return -ERRNO.EINVAL; // BPF_F_LOCK without a bpf_spin_lock in the value
    const dst = (i * this.nCpus + this.cpu) * this.stride;
    if (value === this.values) value.copyWithin(dst, valueOff, valueOff + this.valueSize);
    else copyBytes(this.values, dst, value, valueOff, this.valueSize);
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
  /** `BPF_MAP_LOOKUP_ELEM`: every CPU's value (`stride * nCpus` bytes). @throws BpfError ENOENT, EINVAL */
  override lookup(key: Uint8Array, value?: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    if (value !== undefined) checkBuffer("value", value, this.userValueSize);
    const i = arrayIndex(key, 0);
    if (i >= this.maxEntries) fail(-ERRNO.ENOENT);
    return copyOut(this.values, i * this.userValueSize, this.userValueSize, value);
  }
  /** `BPF_MAP_UPDATE_ELEM` of every CPU's value (`bpf_percpu_array_update`). @throws BpfError EINVAL, E2BIG, EEXIST */
  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkLen("key", key.length, this.keySize);
    checkLen("value", value.length, this.userValueSize);
    if (flags >>> 0 > 2 || flags < 0) fail(-ERRNO.EINVAL);
    const i = arrayIndex(key, 0);
    if (i >= this.maxEntries) fail(-ERRNO.E2BIG);
    if (flags === 1) fail(-ERRNO.EEXIST);
    this.values.set(value, i * this.userValueSize);
  }
  /** See {@link PerCpuMap}. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] {
    checkLen("key", key.length, this.keySize);
    const i = arrayIndex(key, 0);
    if (i >= this.maxEntries) throw new BpfError("ENOENT");
    return splitCpus(this.values, i * this.userValueSize, this.nCpus, this.stride, this.valueSize);
  }
}

/** `BPF_MAP_TYPE_PERCPU_HASH` (see the module doc). */
export class PercpuHashMap extends Htab implements PerCpuMap {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_PERCPU_HASH;
  /** See {@link BpfMap}. */
  readonly typeName: string = "percpu_hash";
  /** See {@link PerCpuMap}. */
  readonly nCpus: number;
  /** See {@link PerCpuMap}. */
  readonly userValueSize: number;
  /** Element e's value of CPU c at `(e * nCpus + c) * stride`. */
  readonly values: Uint8Array;
  /** See {@link BpfMap.cpu}. */
  cpu = 0;
  readonly #free: number[] = [];

  /** Create the map (use `createMap` for the kernel's checks). */
  constructor(a: MapCreateAttr, nCpus: number) {
    super(a);
    this.nCpus = nCpus;
    this.userValueSize = this.stride * nCpus;
    this.values = new Uint8Array(a.maxEntries * this.userValueSize);
    for (let e = a.maxEntries - 1; e >= 0; e--) this.#free.push(e);
  }
  /** See {@link BpfMap}: the value of `key` on CPU {@link PercpuHashMap.cpu}. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const e = this.find(key, keyOff, this.hashOf(key, keyOff));
    return e < 0 ? -1 : e * this.nCpus + this.cpu;
  }
  /** See {@link BpfMap}. */
  refBuffer(_ref: number): Uint8Array {
    return this.values;
  }
  /** See {@link BpfMap}. */
  refOffset(ref: number): number {
    return ref * this.stride;
  }
  /**
   * A program's update (`onallcpus` false): the value on CPU
   * {@link PercpuHashMap.cpu} in place, or a new element whose value is
   * `value` there and zero on the other CPUs (`value_size` bytes each).
   */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    return this.#update(key, keyOff, value, valueOff, flags, false);
  }
  #update(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number, all: boolean): number {
    if (flags >>> 0 > 2 || flags < 0) return -ERRNO.EINVAL;
    const h = this.hashOf(key, keyOff);
    const old = this.find(key, keyOff, h);
    const err = this.checkFlags(old, flags);
    if (err < 0) return err;
    const vals = this.values, st = this.stride, uvs = this.userValueSize;
    if (old >= 0) {
      if (all) vals.set(value.subarray(valueOff, valueOff + uvs), old * uvs);
      else if (value === vals) {
        vals.copyWithin((old * this.nCpus + this.cpu) * st, valueOff, valueOff + this.valueSize);
      } else copyBytes(vals, (old * this.nCpus + this.cpu) * st, value, valueOff, this.valueSize);
      return 0;
    }
    if (this.#free.length === 0) return -ERRNO.E2BIG;
    const e = this.#free.pop()!;
    this.setKey(e, key, keyOff, h);
    if (all) vals.set(value.subarray(valueOff, valueOff + uvs), e * uvs);
    else {
      // pcpu_init_value: this CPU's value is `value`, the others' zero (value_size bytes each; padding untouched)
      const src = value === vals ? vals.slice(valueOff, valueOff + this.valueSize) : value;
      for (let c = 0; c < this.nCpus; c++) {
        const o = (e * this.nCpus + c) * st;
        if (c !== this.cpu) vals.fill(0, o, o + this.valueSize);
        else copyBytes(vals, o, src, value === vals ? 0 : valueOff, this.valueSize);
      }
    }
    this.link(e);
    return 0;
  }
  /** See {@link BpfMap}. */
  deleteRaw(key: Uint8Array, keyOff: number): number {
    const e = this.find(key, keyOff, this.hashOf(key, keyOff));
    if (e < 0) return -ERRNO.ENOENT;
    this.unlink(e);
    this.#free.push(e);
    return 0;
  }
  /** `BPF_MAP_LOOKUP_ELEM`: every CPU's value (`stride * nCpus` bytes). @throws BpfError ENOENT, EINVAL */
  override lookup(key: Uint8Array, value?: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    if (value !== undefined) checkBuffer("value", value, this.userValueSize);
    const e = this.find(key, 0, this.hashOf(key, 0));
    if (e < 0) fail(-ERRNO.ENOENT);
    return copyOut(this.values, e * this.userValueSize, this.userValueSize, value);
  }
  /** `BPF_MAP_UPDATE_ELEM` of every CPU's value (`onallcpus`). @throws BpfError EINVAL, EEXIST, ENOENT, E2BIG */
  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkLen("key", key.length, this.keySize);
    checkLen("value", value.length, this.userValueSize);
    const e = this.#update(key, 0, value, 0, flags, true);
    if (e < 0) fail(e);
  }
  /** See {@link PerCpuMap}. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] {
    checkLen("key", key.length, this.keySize);
    const e = this.find(key, 0, this.hashOf(key, 0));
    if (e < 0) throw new BpfError("ENOENT");
    return splitCpus(this.values, e * this.userValueSize, this.nCpus, this.stride, this.valueSize);
  }
}
