/**
 * The two passes before the walk: `replace_map_fd_with_map_ptr` (the
 * LD_IMM64 / map-fd pre-pass) and `check_cfg` (iterative DFS, back-edge and
 * reachability checks, pruning-point marking). Neither prints a trace; each
 * fails with one log line and an errno.
 *
 * ## Fake kernel address space for maps
 *
 * The kernel writes a map's `struct bpf_map *` into the LD_IMM64's two imm
 * fields. bpfscope gives the k-th distinct map (in order of first reference)
 * the address `0xffff8800_00000000 | (0xd1b5c000 + k * 0x400)`: every map
 * shares the upper half `0xffff8800`, as kernel heap pointers do, so a
 * register turned into `imm0` by a null check keeps that stale upper half
 * and is not identical to an `imm0` from `r = 0` (pruning quirk of 3.18).
 * The log line of the load prints the low half, e.g. `(18) r1 = 0xd1b5c000`.
 *
 * @module
 */

/** Upper 32 bits of every fake map address. */
export const MAP_ADDR_HI = 0xffff8800 | 0;
/** Low 32 bits of the first map's address. */
export const MAP_ADDR_LO_BASE = 0xd1b5c000;
/** Distance between two maps' addresses. */
export const MAP_ADDR_STRIDE = 0x400;
/** At most this many distinct maps per program (`MAX_USED_MAPS`). */
export const MAX_USED_MAPS = 64;

/** A map as the verifier needs it. */
export interface VerifierMap {
  /** Map type number. */
  type: number;
  /** key_size. */
  keySize: number;
  /** value_size. */
  valueSize: number;
  /** max_entries. */
  maxEntries: number;
}

/** Resolves a map fd: the map, or the errno of `fdget`/`bpf_map_get`. */
export type MapFdResolver = (fd: number) => VerifierMap | "EBADF" | "EINVAL";

/** A pass failure: errno name and the log line (with `\n`; empty for silent failures). */
export interface PassError {
  /** errno name. */
  errno: string;
  /** Log text (may be empty). */
  msg: string;
}

/** Result of the map-fd pre-pass. */
export interface MapPass {
  /** Distinct maps in order of first reference. */
  maps: VerifierMap[];
  /** The fd each map was first referenced by. */
  fds: number[];
  /** Per slot: index into `maps` of the map the LD_IMM64 loads, or -1. */
  mapAt: Int32Array;
}

/**
 * `replace_map_fd_with_map_ptr`: check every code-0x18 slot, resolve map fds
 * and write the fake kernel address into `imm` (slot i) and the next imm
 * (slot i+1) of the given mutable copies of the imm and src arrays.
 */
export function replaceMapFdWithMapPtr(
  len: number,
  code: Uint8Array,
  dst: Uint8Array,
  src: Uint8Array,
  off: Int16Array,
  imm: Int32Array,
  resolve: MapFdResolver,
): MapPass | PassError {
  const maps: VerifierMap[] = [];
  const fds: number[] = [];
  const byFd = new Map<number, number>();
  const mapAt = new Int32Array(len).fill(-1);
  for (let i = 0; i < len; i++) {
    if (code[i] !== 0x18) continue;
    if (i === len - 1 || code[i + 1] !== 0 || dst[i + 1] !== 0 || src[i + 1] !== 0 || off[i + 1] !== 0) {
      return { errno: "EINVAL", msg: "invalid bpf_ld_imm64 insn\n" };
    }
    if (src[i] !== 0) {
      if (src[i] !== 1) return { errno: "EINVAL", msg: "unrecognized bpf_ld_imm64 insn\n" };
      const fd = imm[i];
      let k = byFd.get(fd) ?? -1;
      if (k < 0) {
        const m = resolve(fd);
        if (m === "EBADF" || m === "EINVAL") return { errno: m, msg: `fd ${fd} is not pointing to valid bpf_map\n` };
        // used_maps is deduplicated by map (pointer), not by fd: two fds of one map are one map
        k = maps.indexOf(m);
        if (k < 0) {
          if (maps.length >= MAX_USED_MAPS) return { errno: "E2BIG", msg: "" };
          k = maps.length;
          maps.push(m);
          fds.push(fd);
        }
        byFd.set(fd, k);
      }
      imm[i] = (MAP_ADDR_LO_BASE + k * MAP_ADDR_STRIDE) | 0;
      imm[i + 1] = MAP_ADDR_HI;
      mapAt[i] = k;
    }
    i++;
  }
  return { maps, fds, mapAt };
}

const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;

/**
 * `check_cfg`: the kernel's iterative DFS. Returns the pruning-point marks
 * (1 at conditional-branch targets and after each JA) or the failure.
 */
export function checkCfg(len: number, code: Uint8Array, off: Int16Array): Uint8Array | PassError {
  const state = new Uint8Array(len);
  const stack = new Int32Array(len);
  const mark = new Uint8Array(len);
  let sp = 0;
  let err: PassError | null = null;

  // push_insn: 1 = descended, 0 = edge done, -1 = error (in err)
  const pushInsn = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t] >= (DISCOVERED | FALLTHROUGH)) return 0;
    if (e === BRANCH && state[t] >= (DISCOVERED | BRANCH)) return 0;
    if (w < 0 || w >= len) {
      err = { errno: "EINVAL", msg: `jump out of range from insn ${t} to ${w}\n` };
      return -1;
    }
    if (e === BRANCH) mark[w] = 1;
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      if (sp >= len) {
        err = { errno: "E2BIG", msg: "" };
        return -1;
      }
      stack[sp++] = w;
      return 1;
    } else if ((state[w] & 0xf0) === DISCOVERED) {
      err = { errno: "EINVAL", msg: `back-edge from insn ${t} to ${w}\n` };
      return -1;
    } else if (state[w] === EXPLORED) {
      state[t] = DISCOVERED | e;
    } else {
      err = { errno: "EFAULT", msg: "insn state internal bug\n" };
      return -1;
    }
    return 0;
  };

  state[0] = DISCOVERED;
  stack[0] = 0;
  sp = 1;
  peek: while (sp > 0) {
    const t = stack[sp - 1];
    const c = code[t];
    let ret: number;
    if ((c & 0x07) === 0x05) {
      const op = c & 0xf0;
      if (op === 0x90) {
        // exit: no successors
      } else if (op === 0x80) {
        ret = pushInsn(t, t + 1, FALLTHROUGH);
        if (ret === 1) continue peek;
        if (ret < 0) return err!;
      } else if (op === 0x00) {
        if (c & 0x08) return { errno: "EINVAL", msg: "" };
        ret = pushInsn(t, t + off[t] + 1, FALLTHROUGH);
        if (ret === 1) continue peek;
        if (ret < 0) return err!;
        if (t + 1 < len) mark[t + 1] = 1;
      } else {
        ret = pushInsn(t, t + 1, FALLTHROUGH);
        if (ret === 1) continue peek;
        if (ret < 0) return err!;
        ret = pushInsn(t, t + off[t] + 1, BRANCH);
        if (ret === 1) continue peek;
        if (ret < 0) return err!;
      }
    } else {
      ret = pushInsn(t, t + 1, FALLTHROUGH);
      if (ret === 1) continue peek;
      if (ret < 0) return err!;
    }
    state[t] = EXPLORED;
    sp--;
  }
  for (let i = 0; i < len; i++) {
    if (state[i] !== EXPLORED) return { errno: "EINVAL", msg: `unreachable insn ${i}\n` };
  }
  return mark;
}
