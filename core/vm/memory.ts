/**
 * The interpreter's virtual address space.
 *
 * ## Address layout (deterministic)
 *
 * Every region a program can reach lives in a `Uint8Array` and has a 64-bit
 * address: the **high 32 bits** are `REGION_HI_BASE + id` and the **low 32
 * bits** are the byte offset in the region. Region ids are fixed:
 *
 * | id | hi word | region |
 * |---|---|---|
 * | 0..7 | 0x1000..0x1007 | stack frames 0..7 (512 bytes each; r10 of frame k = `0x0000_1000_0000_0200 + k<<32`) |
 * | 8 | 0x1008 | ctx |
 * | 9 | 0x1009 | packet data |
 * | 10 | 0x100a | memory buffer (the `mem` entry: r1 = `0x0000_100a_0000_0000`, r2 = length) |
 * | 11 + k | 0x100b + k | the values of array map k (k = index of the map among the program's maps) |
 * | after those | | hash map values, one region each, numbered from the first id after the last fixed region in the order a run hands them out (lookup) |
 *
 * Map *objects* (what `r1 = map[fd] ll` loads) are not memory: map k is the
 * pointer `MAP_PTR_HI << 32 | (k + 1) << 8` = `0x0000_0800_0000_0100` for the
 * first map. Dereferencing it faults.
 *
 * A hash map keeps its values in chunks of fixed-size slots that never move
 * (see core/maps). Each value a lookup hands out in a run is mapped as a
 * region of its own, `value_size` bytes of its chunk from the slot's start
 * ({@link Region.base}; no typed array is allocated), and stays mapped for
 * the run, so an access past a value faults naming it, even when the next
 * slot is in the same chunk. A value whose element left its map during the
 * run (delete, or an update that replaced it) is not reused before the run
 * ends (the maps' RCU grace period), so a stale pointer keeps reading and
 * writing the old value, never another element's. Array map values are one
 * region per map, laid out as in the kernel: one past an array value is the
 * next value.
 *
 * The region objects of hash values are kept for the life of the engine, one
 * per value slot it ever handed out (about 170 bytes each, measured: a
 * program that looks up each of a million values keeps about 170 MB).
 *
 * Value region ids are handed out again from the same first id in every run,
 * so a run's addresses depend only on its own lookups (a replay gives the
 * same registers). A pointer kept from an earlier run (an unverified program
 * can store one in a map) is a use after free: it may reach whichever value
 * holds its id in this run, as freed memory in the kernel may hold another
 * element by then.
 *
 * @module
 */

import { ArrayMap, type BpfMap } from "../maps/mod.ts";
import type { ProgContext } from "./context.ts";

const TWO32 = 4294967296;

/** The high 32 bits of region 0's addresses. */
export const REGION_HI_BASE = 0x1000;
/** Region id of stack frame 0 (frames 0..7 are ids 0..7). */
export const REGION_STACK = 0;
/** Number of stack frames (bpf-to-bpf call depth limit). */
export const MAX_FRAMES = 8;
/** Bytes per stack frame. */
export const FRAME_SIZE = 512;
/** Region id of the ctx. */
export const REGION_CTX = 8;
/** Region id of the packet data. */
export const REGION_PACKET = 9;
/** Region id of the memory buffer. */
export const REGION_MEM = 10;
/** Region id of the first array map's values. */
export const REGION_MAPS = 11;
/** High 32 bits of map object pointers. */
export const MAP_PTR_HI = 0x0800;

/** One mapped region. */
export class Region {
  /** Region id (hi word minus {@link REGION_HI_BASE}). */
  id: number;
  /** High 32 bits of its addresses (signed 32-bit form). */
  hi: number;
  /** The run that last mapped it (bookkeeping for regions reused across runs; -1: none). */
  mappedIn: number = -1;
  /**
   * The lowest offset the JIT may have written since the region was last
   * zeroed (`len`: none; kept for stack frames, which a call zeroes from
   * here up only). Writes outside the JIT's frame-0 fast path lower it.
   */
  low: number = 0;
  readonly #name: string;
  readonly #slot: number;
  /** The bytes (the region is `len` bytes of them from `base`). */
  u8: Uint8Array;
  /** A DataView over the same bytes as `u8` (little-endian access at `base + offset`). */
  dv: DataView;
  /** Where offset 0 of the region is in `u8` / `dv` (non-zero for one value in a chunk of hash map values). */
  base: number;
  /** Length in bytes. */
  len: number;
  /** What the region holds, for the helper that handed it out (a ring buffer record); null for others. */
  tag: unknown = null;

  /**
   * Map `u8` as region `id`; or, with `part`, only `part.len` bytes of it
   * from `part.base`, accessed through the existing view `part.dv` (the map
   * value in slot `part.slot` of a chunk: no new typed array is allocated).
   */
  constructor(
    id: number,
    name: string,
    u8: Uint8Array,
    part?: { base: number; len: number; dv: DataView; slot: number },
  ) {
    this.id = id;
    this.hi = (REGION_HI_BASE + id) | 0;
    this.#name = name;
    this.#slot = part?.slot ?? -1;
    this.u8 = u8;
    this.dv = part?.dv ?? new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.base = part?.base ?? 0;
    this.len = part?.len ?? u8.length;
  }

  /** Name used in fault messages (a map value's names its slot: built only when a message needs it). */
  get name(): string {
    return this.#slot < 0 ? this.#name : `${this.#name} (slot ${this.#slot})`;
  }

  /** Give the region another id (a map value region mapped again in a later run). */
  moveTo(id: number): void {
    this.id = id;
    this.hi = (REGION_HI_BASE + id) | 0;
  }

  /** Replace the bytes (per-run regions such as ctx and packet); nothing to do when they are the same. */
  rebind(u8: Uint8Array): void {
    if (u8 === this.u8) return;
    this.u8 = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.base = 0;
    this.len = u8.length;
  }

  /** The 64-bit address of offset `off`. */
  addr(off = 0): bigint {
    return (BigInt(this.hi >>> 0) << 32n) + BigInt(off);
  }
}

/** Format a 64-bit address as 0x + 16 hex digits. */
export function hex64(x: bigint): string {
  return "0x" + BigInt.asUintN(64, x).toString(16).padStart(16, "0");
}

/** The 64-bit value of a hi/lo pair. */
export function u64Of(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The regions of one interpreter, indexed by id. */
export class AddressSpace {
  /** Regions by id (null: unused id). */
  regions: Array<Region | null> = [];
  /** Names of map objects by map index (for fault messages about map pointers). */
  mapNames: string[] = [];

  /** Put region `r` at its id. */
  set(r: Region): void {
    while (this.regions.length <= r.id) this.regions.push(null);
    this.regions[r.id] = r;
  }

  /** Drop every region with id ≥ `n`. */
  truncate(n: number): void {
    if (this.regions.length > n) this.regions.length = n;
  }

  /** The region the last successful {@link AddressSpace.resolve} hit. */
  hit: Region | null = null;
  /** Why the last failed {@link AddressSpace.resolve} failed (the engines' fault message). */
  fault = "";

  /**
   * An engine's access of `size` bytes at hi word `ah` plus offset `t`, where
   * `t` is the address register's low word plus the instruction's offset (in
   * [-2^15, 2^32 + 2^15): it may carry into the hi word or borrow from it).
   * Returns the offset in the region ({@link AddressSpace.hit}), or -1 with
   * {@link AddressSpace.fault} set to `insn <at>: invalid read|write ...`.
   */
  resolve(ah: number, t: number, size: number, write: boolean, at: number): number {
    if (t < 0) {
      t += TWO32;
      ah = (ah - 1) | 0;
    } else if (t >= TWO32) {
      t -= TWO32;
      ah = (ah + 1) | 0;
    }
    this.hit = this.find(ah, t, size);
    if (this.hit !== null) return t;
    const addr = u64Of(ah, t);
    this.fault = `insn ${at}: invalid ${write ? "write" : "read"} of ${size} bytes at ${hex64(addr)}: ${
      this.describe(addr, size)
    }`;
    return -1;
  }

  /** The region that holds `size` bytes at (hi, off), or null. `off` is in [0, 2^32). */
  find(hi: number, off: number, size: number): Region | null {
    const id = (hi - REGION_HI_BASE) | 0;
    if (id < 0 || id >= this.regions.length) return null;
    const r = this.regions[id];
    if (r === null || off + size > r.len) return null;
    return r;
  }

  /**
   * Why an access of `size` bytes at `addr` failed, naming the nearest region
   * (e.g. `8 bytes past the end of stack frame 0 [0x..., 0x...)`).
   */
  describe(addr: bigint, size: number): string {
    const a = BigInt.asUintN(64, addr);
    const hi = Number(a >> 32n);
    if (hi === MAP_PTR_HI) {
      const k = (Number(a & 0xffffffffn) >> 8) - 1;
      return `it points at map object ${JSON.stringify(this.mapNames[k] ?? String(k))}, which is not memory`;
    }
    let best: Region | null = null;
    let bestDist = -1n;
    for (const r of this.regions) {
      if (r === null) continue;
      const lo = r.addr(0), end = r.addr(r.len);
      const d = a < lo ? lo - a : a + BigInt(size) > end ? a + BigInt(size) - end : 0n;
      if (bestDist < 0n || d < bestDist) {
        best = r;
        bestDist = d;
      }
    }
    if (best === null) return "no region is mapped";
    const range = `[${hex64(best.addr(0))}, ${hex64(best.addr(best.len))})`;
    const base = best.addr(0);
    if (a < base) return `nearest region: ${best.name} ${range}, ${base - a} bytes before its start`;
    if (a >= best.addr(best.len)) {
      return `nearest region: ${best.name} ${range}, ${a - best.addr(best.len)} bytes past its end`;
    }
    return `nearest region: ${best.name} ${range}, the access runs ${
      a + BigInt(size) - best.addr(best.len)
    } bytes past its end`;
  }
}

/** The fixed regions of a program's address space (see the layout above). */
export interface ProgramRegions {
  /** Stack frames 0..7. */
  stack: Region[];
  /** The ctx (rebound per run). */
  ctx: Region;
  /** The packet (rebound per run). */
  packet: Region;
  /** The memory buffer (rebound per run). */
  mem: Region;
  /** The first region id handed out during a run (hash map values): the one after the last fixed region. */
  firstDynamic: number;
  /** The ctx of a packet run without a ctx (a 192-byte `__sk_buff`), allocated once and refilled per run. */
  skb: Uint8Array;
  /** The bytes LD_ABS/LD_IND read (the packet, or a bound context's `skb->data` window). */
  ldabs: Uint8Array;
}

/** The bytes of an absent input: one empty array for every run (a new typed array costs about 1 µs in Deno). */
const NO_BYTES = new Uint8Array(0);
/** Bytes of the `__sk_buff` ctx a packet run gets when it has no ctx of its own. */
const SKB_SIZE = 192;

/** Map the fixed regions into `space`: stack frames, ctx, packet, memory buffer, the values of array maps. */
export function mapProgramRegions(space: AddressSpace, maps: readonly BpfMap[]): ProgramRegions {
  const stack: Region[] = [];
  for (let f = 0; f < MAX_FRAMES; f++) {
    const r = new Region(f, `stack frame ${f}`, new Uint8Array(FRAME_SIZE));
    stack.push(r);
    space.set(r);
  }
  const ctx = new Region(REGION_CTX, "ctx", NO_BYTES);
  const packet = new Region(REGION_PACKET, "packet", NO_BYTES);
  const mem = new Region(REGION_MEM, "memory buffer", NO_BYTES);
  for (const r of [ctx, packet, mem]) space.set(r);
  space.mapNames = maps.map((m) => m.name);
  maps.forEach((m, k) => {
    if (m instanceof ArrayMap) {
      space.set(new Region(REGION_MAPS + k, `values of map ${JSON.stringify(m.name)}`, m.values));
    }
  });
  // the ids after the last fixed region are handed out during runs: every run starts numbering there
  return {
    stack,
    ctx,
    packet,
    mem,
    firstDynamic: space.regions.length,
    skb: new Uint8Array(SKB_SIZE),
    ldabs: NO_BYTES,
  };
}

/** The copies of a run's input buffers that the program's regions now map (the outputs of the run). */
export interface BoundInput {
  /** The copy of the ctx, if one was given (a packet run without one gets {@link ProgramRegions.skb}). */
  ctx?: Uint8Array;
  /** The packet copy. */
  data?: Uint8Array;
  /** The memory buffer copy. */
  mem?: Uint8Array;
}

/**
 * Map a {@link ProgContext} into the program's regions without a copy (see
 * {@link bindRunInput}); again after another program's run mapped it into
 * its own.
 */
export function bindContext(rg: ProgramRegions, c: ProgContext): void {
  rg.ctx.rebind(c.ctx);
  rg.packet.rebind(c.pkt);
  rg.packet.len = c.end;
  c.onResize = () => void (rg.packet.len = c.end);
  rg.ldabs = c.window;
  rg.mem.rebind(NO_BYTES);
}

/**
 * Start a run's entry point: copy the input into the ctx, packet and memory
 * regions and set r1 (ctx or memory buffer), r2 (the buffer's length) and
 * r10 (top of stack frame 0) in the register halves. A `context` is mapped
 * as it is, without a copy: its ctx image as the ctx region, its packet
 * buffer as the packet region up to `data_end` (kept up to date when a
 * helper moves it), its `skb->data` window for LD_ABS. `alloc` gives the
 * bytes of each copy (default: a new array).
 */
export function bindRunInput(
  rg: ProgramRegions,
  input: { ctx?: Uint8Array; data?: Uint8Array; mem?: Uint8Array; context?: ProgContext },
  lo: Int32Array,
  hi: Int32Array,
  alloc?: (len: number) => Uint8Array,
): BoundInput {
  // the copies: fresh arrays, or (the JIT's wasm tier) bytes of its memory
  const copy = (a: Uint8Array | undefined): Uint8Array | undefined => {
    if (a === undefined) return undefined;
    if (alloc === undefined) return a.slice();
    const c = alloc(a.length);
    c.set(a);
    return c;
  };
  const c = input.context;
  if (c !== undefined) {
    bindContext(rg, c);
    hi[1] = rg.ctx.hi;
    lo[1] = 0;
    hi[10] = rg.stack[0].hi;
    lo[10] = FRAME_SIZE;
    return {};
  }
  const ctx = copy(input.ctx);
  if (ctx) rg.ctx.rebind(ctx);
  else if (input.data) {
    const skb = rg.skb.fill(0); // __sk_buff.len (offset 0, little-endian) = the packet's length
    const len = input.data.length;
    skb[0] = len;
    skb[1] = len >>> 8;
    skb[2] = len >>> 16;
    skb[3] = len >>> 24;
    rg.ctx.rebind(skb);
  } else rg.ctx.rebind(NO_BYTES);
  const data = copy(input.data);
  rg.packet.rebind(data ?? NO_BYTES);
  rg.packet.len = rg.packet.u8.length;
  rg.ldabs = rg.packet.u8;
  const mem = copy(input.mem);
  rg.mem.rebind(mem ?? NO_BYTES);
  if (mem) {
    hi[1] = rg.mem.hi;
    lo[1] = 0;
    lo[2] = mem.length;
  } else {
    hi[1] = rg.ctx.hi;
    lo[1] = 0;
  }
  hi[10] = rg.stack[0].hi;
  lo[10] = FRAME_SIZE;
  return { ctx, data, mem };
}
