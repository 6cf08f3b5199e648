/**
 * What the JIT's code generators know about operands before running a
 * program: which source registers hold a known constant, and where address
 * registers point ({@link knownSources}).
 *
 * @module
 */
import { ATOMIC32, ATOMIC64, CALL_LOCAL, CONST_BASE, type Decoded } from "../vm/decode.ts";
import { type Block, isTerminator, successors } from "./structure.ts";

/** The facts of {@link knownSources}, by instruction. */
export interface Sources {
  /** 1 where the source operand is a register known to hold a constant. */
  known: Uint8Array;
  /** That constant's low word. */
  lo: Int32Array;
  /** That constant's high word. */
  hi: Int32Array;
  /** The provenance of the address register of a load or store ({@link PTR_STACK}, {@link PTR_ENTRY} or {@link PTR_NONE}). */
  ptr: Uint8Array;
}

/** Whether the source operand of insn `i` is a constant: its immediate, or a register known to hold one. */
export function isConstSource(d: Decoded, known: Sources, i: number): boolean {
  return d.src[i] >= CONST_BASE || known.known[i] === 1;
}

/** The low word of the constant source operand of insn `i` (see {@link isConstSource}). */
export function constLo(d: Decoded, known: Sources, i: number): number {
  return d.src[i] >= CONST_BASE ? d.clo[i] : known.lo[i];
}

/** The high word of the constant source operand of insn `i`. */
export function constHi(d: Decoded, known: Sources, i: number): number {
  return d.src[i] >= CONST_BASE ? d.chi[i] : known.hi[i];
}

/** Where a register points, as far as the JIT can tell (a hint for the order of the memory fast paths). */
export const PTR_NONE = 0, PTR_STACK = 1, PTR_ENTRY = 2;

/**
 * Forward dataflow over the basic blocks to a fixpoint, two facts per
 * register before each instruction:
 * - constant propagation: for an instruction whose source operand is a
 *   register, whether that register holds the same known constant on every
 *   path reaching it (set by a `mov` or `lddw` of an immediate, or copied
 *   from such a register; anything else that writes a register makes it
 *   unknown; helper and local calls make every register unknown, since
 *   helpers may change any of them);
 * - pointer provenance, only a hint: for a load or store, whether its
 *   address register is derived (by copies, additions and subtractions) from
 *   r10 or from r1 at entry on every path, so the generated code tries stack
 *   frame 0 or the entry region first.
 */
export function knownSources(d: Decoded, blocks: Block[]): Sources {
  const known = new Uint8Array(d.total), lo = new Int32Array(d.total), hi = new Int32Array(d.total);
  const ptr = new Uint8Array(d.total);
  const k = blocks.length;
  const pos = new Map<number, number>();
  blocks.forEach((b, i) => pos.set(b.start, i));
  const inKn = new Int32Array(k).fill(-1); // -1: not reached yet; else a bit mask of known registers
  const inLo = new Int32Array(k * 11), inHi = new Int32Array(k * 11), inPv = new Uint8Array(k * 11);
  const vl = new Int32Array(11), vh = new Int32Array(11), pv = new Uint8Array(11);
  let kn = 0;
  const merge = (p: number): boolean => {
    if (inKn[p] === -1) {
      inKn[p] = kn;
      for (let r = 0; r < 11; r++) inLo[p * 11 + r] = vl[r], inHi[p * 11 + r] = vh[r], inPv[p * 11 + r] = pv[r];
      return true;
    }
    let m = inKn[p] & kn, changed = false;
    for (let r = 0; r < 11; r++) {
      if ((m >> r) & 1 && (inLo[p * 11 + r] !== vl[r] || inHi[p * 11 + r] !== vh[r])) m &= ~(1 << r);
      if (inPv[p * 11 + r] !== PTR_NONE && inPv[p * 11 + r] !== pv[r]) inPv[p * 11 + r] = PTR_NONE, changed = true;
    }
    if (m === inKn[p]) return changed;
    inKn[p] = m;
    return true;
  };
  const set = (r: number, l: number, h: number) => {
    kn |= 1 << r;
    vl[r] = l;
    vh[r] = h;
  };
  inKn[0] = 0;
  inPv[1] = PTR_ENTRY;
  inPv[10] = PTR_STACK;
  const work = [0];
  const queued = new Uint8Array(k);
  queued[0] = 1;
  while (work.length > 0) {
    const p = work.pop()!;
    queued[p] = 0;
    kn = inKn[p];
    for (let r = 0; r < 11; r++) vl[r] = inLo[p * 11 + r], vh[r] = inHi[p * 11 + r], pv[r] = inPv[p * 11 + r];
    const blk = blocks[p];
    for (const i of blk.insns) {
      const op = d.op[i], r = d.dst[i], s = d.src[i];
      const sKnown = s < 11 && ((kn >> s) & 1) === 1;
      known[i] = sKnown ? 1 : 0;
      if (sKnown) lo[i] = vl[s], hi[i] = vh[s];
      const store = op === 0x7b || op === 0x63 || op === 0x6b || op === 0x73;
      ptr[i] = store ? pv[r] : s < 11 ? pv[s] : PTR_NONE;
      if (op === 0xbf || op === 0x18) {
        if (s >= CONST_BASE) set(r, d.clo[i], d.chi[i]);
        else if (sKnown) set(r, vl[s], vh[s]);
        else kn &= ~(1 << r);
        pv[r] = s < 11 ? pv[s] : PTR_NONE;
      } else if (op === 0xbc) {
        if (s >= CONST_BASE) set(r, d.clo[i], 0);
        else if (sKnown) set(r, vl[s], 0);
        else kn &= ~(1 << r);
        pv[r] = PTR_NONE;
      } else if (op === 0x85 || op === CALL_LOCAL) {
        kn = 0;
        pv.fill(PTR_NONE, 0, 6);
      } else if (op >= ATOMIC32 && op < ATOMIC64 + 16) {
        kn &= ~((1 << (s & 15)) | 1);
        pv[s & 15] = pv[0] = PTR_NONE;
      } else if (op === 0x40 || op === 0x48 || op === 0x50) {
        kn &= ~1;
        pv[0] = PTR_NONE;
      } else if (!(store || isTerminator(op))) {
        kn &= ~(1 << r);
        if (op !== 0x0f && op !== 0x1f) pv[r] = PTR_NONE; // a pointer plus or minus a scalar stays a pointer
      }
    }
    for (const to of successors(d, blk, true)) {
      const q = pos.get(to)!;
      if (merge(q) && !queued[q]) {
        queued[q] = 1;
        work.push(q);
      }
    }
  }
  return { known, lo, hi, ptr };
}
