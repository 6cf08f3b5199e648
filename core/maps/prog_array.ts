/**
 * `BPF_MAP_TYPE_PROG_ARRAY` (3): the jump table of `bpf_tail_call`.
 *
 * Each slot holds a loaded program or nothing. User space fills slots
 * through `bpf()` with program fds (4-byte values); the map turns an fd into
 * a program with the resolver its owner (the `Bpf` facade) installs. Like
 * the kernel, the first program stored (or the first program loaded that
 * uses the map) fixes the map's program type, and later programs must have
 * the same type.
 *
 * | operation | condition | errno |
 * |---|---|---|
 * | create | key_size != 4, value_size != 4, max_entries 0, flags | EINVAL |
 * | update | flags != 0 (BPF_ANY) | EINVAL |
 * | update | index >= max_entries | E2BIG |
 * | update | the fd is not open / not a program | EBADF / EINVAL |
 * | update | the program's type differs from the map's | EINVAL |
 * | lookup | empty slot | ENOENT (else the program's id, a u32) |
 * | delete | index >= max_entries / empty slot | E2BIG / ENOENT |
 * | update, lookup from a program | (the kernel's verifier refuses them) | EINVAL, NULL (see `NoValueMap`) |
 *
 * @module
 */
import { BpfError, ERRNO } from "../errors.ts";
import { arrayIndex, arrayNextKey, checkLen, fail } from "./bytes.ts";
import { type MapCreateAttr, NoValueMap } from "./maps.ts";

/** Map type number: prog_array. */
export const MAP_TYPE_PROG_ARRAY = 3;
/** `MAX_TAIL_CALL_CNT`: tail calls a chain of programs may make (the 34th program is never reached). */
export const MAX_TAIL_CALL_CNT = 33;

/** A loaded program a prog_array slot can hold. */
export interface TailCallTarget {
  /** The program type number. */
  readonly progType: number;
  /** Its id (what a `bpf()` lookup of the slot returns). */
  readonly id: number;
}

/** `BPF_MAP_TYPE_PROG_ARRAY` (see the module doc). */
export class ProgArrayMap extends NoValueMap {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_PROG_ARRAY;
  /** See {@link BpfMap}. */
  readonly typeName: string = "prog_array";
  /** The program type of the map's programs (-1 until the first is stored or loaded). */
  ownerType: number = -1;
  /**
   * Resolve a program fd of a `bpf()` update: the program, or a negative
   * errno (-EBADF, -EINVAL). Installed by the map's owner; none: -EBADF.
   */
  resolveFd: ((fd: number) => TailCallTarget | number) | null = null;
  readonly #slots: Array<TailCallTarget | null>;

  /** Create the map (use `createMap` for the kernel's checks). */
  constructor(a: MapCreateAttr) {
    super(a);
    this.#slots = new Array(a.maxEntries).fill(null);
  }
  /** The program in slot `i`, or null (also out of range). */
  progAt(i: number): TailCallTarget | null {
    return i < this.#slots.length ? this.#slots[i] : null;
  }
  /**
   * Store `prog` in slot `i` (null: empty it). @throws BpfError E2BIG
   * (index), EINVAL (a program of another type than the map's)
   */
  setProg(i: number, prog: TailCallTarget | null): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.maxEntries) throw new BpfError("E2BIG", `index ${i}`);
    if (prog !== null) this.claim(prog.progType);
    this.#slots[i] = prog;
  }
  /**
   * Check that programs of type `progType` may use the map and, the first
   * time, make it the map's type (`bpf_prog_map_compatible`). @throws BpfError EINVAL
   */
  claim(progType: number): void {
    if (this.ownerType === -1) this.ownerType = progType;
    else if (this.ownerType !== progType) {
      throw new BpfError("EINVAL", `prog_array holds programs of type ${this.ownerType}, not ${progType}`);
    }
  }
  /** The programs of the occupied slots, in slot order. */
  programs(): TailCallTarget[] {
    return this.#slots.filter((p) => p !== null);
  }
  /** See {@link BpfMap}: occupied slots. */
  count(): number {
    return this.programs().length;
  }
  /** See {@link BpfMap}: `fd_array_map_delete_elem`. */
  deleteRaw(key: Uint8Array, keyOff: number): number {
    const i = arrayIndex(key, keyOff);
    if (i >= this.maxEntries) return -ERRNO.E2BIG;
    if (this.#slots[i] === null) return -ERRNO.ENOENT;
    this.#slots[i] = null;
    return 0;
  }
  /** See {@link BpfMap}: array order (every index, occupied or not, as the kernel's array iteration). */
  nextKeyRaw(key: Uint8Array | null, out: Uint8Array): number {
    return arrayNextKey(key, this.maxEntries, out);
  }
  /** `BPF_MAP_LOOKUP_ELEM`: the id of the slot's program (u32). @throws BpfError ENOENT, EINVAL */
  override lookup(key: Uint8Array, value?: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    const p = this.progAt(arrayIndex(key, 0));
    if (p === null) fail(-ERRNO.ENOENT);
    const out = value ?? new Uint8Array(4);
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, p.id, true);
    return out;
  }
  /** `BPF_MAP_UPDATE_ELEM` with a program fd (`bpf_fd_array_map_update_elem`). @throws BpfError EINVAL, E2BIG, EBADF */
  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkLen("key", key.length, this.keySize);
    checkLen("value", value.length, this.valueSize);
    if (flags !== 0) fail(-ERRNO.EINVAL);
    const i = arrayIndex(key, 0);
    if (i >= this.maxEntries) fail(-ERRNO.E2BIG);
    const fd = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    const p = this.resolveFd === null ? -ERRNO.EBADF : this.resolveFd(fd);
    if (typeof p === "number") fail(p);
    this.setProg(i, p);
  }
  /** See {@link BpfMap}: every occupied slot as [index, program id]. */
  override entries(): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    this.#slots.forEach((p, i) => {
      if (p === null) return;
      const k = new Uint8Array(4), v = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      new DataView(v.buffer).setUint32(0, p.id, true);
      out.push([k, v]);
    });
    return out;
  }
}
