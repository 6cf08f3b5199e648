/**
 * Block guards (the JIT's memory fast path): one test at a block's start
 * that puts the block's loads and stores through a pointer in bounds, so
 * they need no check of their own ({@link planGuard}). The JavaScript form
 * tests a pointer's words and goes through the region's DataView; the
 * WebAssembly tier tests the 64-bit value and addresses the region's bytes
 * in its memory.
 *
 * @module
 */
import { ATOMIC32, ATOMIC64, type Decoded } from "../vm/decode.ts";
import { FRAME_SIZE } from "../vm/memory.ts";
import { constHi, constLo, isConstSource, PTR_NONE, PTR_STACK, type Sources } from "./sources.ts";
import { type Block, isJump } from "./structure.ts";

/** A load or store: its address register, size and direction. */
export interface Access {
  /** The address register. */
  a: number;
  /** Bytes accessed. */
  size: number;
  /** A store. */
  write: boolean;
}

const LOAD_SIZE: Record<number, number> = { 0x79: 8, 0x61: 4, 0x81: 4, 0x69: 2, 0x89: 2, 0x71: 1, 0x91: 1 };
const STORE_SIZE: Record<number, number> = { 0x7b: 8, 0x63: 4, 0x6b: 2, 0x73: 1 };

/** The plain load (LDX, sign-extending or not) or store (ST, STX) at insn i; null for any other instruction. */
export function accessOf(d: Decoded, i: number): Access | null {
  const op = d.op[i];
  const load = LOAD_SIZE[op];
  if (load !== undefined) return { a: d.src[i], size: load, write: false };
  const store = STORE_SIZE[op];
  if (store !== undefined) return { a: d.dst[i], size: store, write: true };
  return null;
}

/** The guard of a block (see {@link planGuard}). */
export interface GuardPlan {
  /**
   * The tested registers: their values at the block's start must point
   * into `region` ({@link PTR_STACK}: stack frame 0; `PTR_ENTRY`: the region
   * r1 pointed into at entry), with a low word in `[lo, len - end]`.
   */
  bases: Array<{ reg: number; region: number; lo: number; end: number }>;
  /** Covered loads and stores: insn → the tested register they go through. */
  covered: Map<number, number>;
  /** Covered loads and stores: insn → their address minus the tested register's value at the block's start. */
  disp: Map<number, number>;
  /** Additions of a constant to a pointer that cannot carry into its high word when the test holds. */
  noCarry: Set<number>;
  /** The region of each register's accesses (`PTR_NONE`: not tested). */
  region: Uint8Array;
}

/**
 * The block guard of the first `count` instructions of `blk`: every load and
 * store in them whose address is a register's value at the block's start
 * plus a constant (through copies and additions of constants), with that
 * register's provenance pointing at stack frame 0 or the entry region, is in
 * bounds when the register's low word lies in a range; one test of each such
 * register at the block's start then covers all of them. Null when the
 * block has no access to cover.
 */
export function planGuard(d: Decoded, known: Sources, blk: Block, count: number): GuardPlan | null {
  const base = new Int8Array(11), delta = new Float64Array(11);
  // a tested base is at least 0: a negative low word (2^31 or more) plus a displacement carries into the next region
  const lo = new Float64Array(11), end = new Float64Array(11).fill(-Infinity);
  const region = new Uint8Array(11);
  const covered = new Map<number, number>(), disp = new Map<number, number>(), carryFree = new Map<number, number>();
  // a constant operand that is a sign-extended int32 (a pointer plus or minus it keeps its high word, unless it carries)
  const small = (i: number): number | null => {
    if (!isConstSource(d, known, i) || constHi(d, known, i) !== constLo(d, known, i) >> 31) return null;
    const c = d.op[i] === 0x0f ? constLo(d, known, i) : -constLo(d, known, i);
    return Math.abs(c) < 0x20000000 ? c : null;
  };
  // pass 0 collects the bounds each base must satisfy; pass 1, with them fixed, the covered accesses and the
  // additions that cannot carry (an addition that might makes its register unknown: accesses through it are then
  // left to the per-access checks; their bounds only make the test stricter)
  for (let pass = 0; pass < 2; pass++) {
    for (let r = 0; r < 11; r++) base[r] = r, delta[r] = 0;
    for (let j = 0; j < count; j++) {
      const i = blk.insns[j], op = d.op[i], r = d.dst[i];
      const m = accessOf(d, i);
      if (m !== null) {
        const b = base[m.a], rg = known.ptr[i];
        if (b >= 0 && rg !== PTR_NONE) {
          const at = delta[m.a] + d.off[i];
          if (pass === 0) {
            if (region[b] === PTR_NONE) region[b] = rg;
            if (region[b] === rg) lo[b] = Math.max(lo[b], -at), end[b] = Math.max(end[b], at + m.size);
          } else if (region[b] === rg) covered.set(i, b), disp.set(i, at);
        }
        if (!m.write) base[r] = -1;
        continue;
      }
      if ((op === 0x0f || op === 0x1f) && base[r] >= 0 && small(i) !== null) {
        const b = base[r], c = small(i)!;
        // carry-free when the sum stays in [0, 2^32) for every low word the test admits (below 2^30)
        const sum = delta[r] + c;
        if (pass === 1 && (region[b] === PTR_NONE || lo[b] + sum < 0 || sum > 0x7fffffff)) base[r] = -1;
        else {
          delta[r] += c;
          if (pass === 1) carryFree.set(i, b);
        }
      } else if (op === 0xbf && !isConstSource(d, known, i)) {
        base[r] = base[d.src[i]];
        delta[r] = delta[d.src[i]];
      } else if (op === 0x85 || op === 0x40 || op === 0x48 || op === 0x50) base.fill(-1);
      else if (op >= ATOMIC32 && op < ATOMIC64 + 16) base[0] = base[d.src[i] & 15] = -1;
      else if (!isJump(op) && op !== 0x95) base[r] = -1;
    }
    if (pass === 0) {
      // a base whose accesses cannot all fit in its region at once is not tested
      for (let b = 0; b < 11; b++) {
        if (region[b] !== PTR_NONE && (lo[b] + end[b] > (region[b] === PTR_STACK ? FRAME_SIZE : 0x40000000))) {
          region[b] = PTR_NONE;
        }
      }
    }
  }
  if (covered.size === 0) return null;
  const tested = new Set(covered.values());
  // an addition is known not to carry only when its base is tested (a base without covered accesses is not)
  const noCarry = new Set([...carryFree].filter(([_, b]) => tested.has(b)).map(([i]) => i));
  const bases = [...tested].map((b) => ({ reg: b, region: region[b], lo: lo[b], end: end[b] }));
  return { bases, covered, disp, noCarry, region };
}
