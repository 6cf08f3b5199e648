/**
 * Value ranges for the JIT: which registers hold a value below 2^32 (a zero
 * high word) and in what range, before each instruction, on every path.
 *
 * A forward dataflow over the basic blocks to a fixpoint. A register's fact
 * is an unsigned range `[lo, hi]` with `0 <= lo <= hi < 2^32` (so its high
 * word is 0), or unknown. Constants, zero-extending loads and 32-bit
 * operations start ranges; additions, subtractions, masks, shifts and
 * multiplications keep them while the result provably stays below 2^32 and
 * above 0; conditional jumps against constants narrow them on each edge
 * (`if r1 != 0 goto loop` gives `r1 >= 1` on the back edge). A range that
 * keeps changing at a block's entry is widened to the next of a few
 * thresholds (the constants jumps compare with, plus and minus one, and
 * `2^32 - 1`), so the fixpoint is reached in a few rounds: a counted loop
 * `r1 = 1000000; loop: ...; r1 -= 1; if r1 != 0 goto loop` gets `r1` in
 * `[1, 1000000]` at the loop's head, so `r1 -= 1` can neither borrow nor leave
 * a high word, and code generation drops that arithmetic.
 *
 * Helper and local calls make every register unknown (helpers may change
 * any of them); so do atomics for the registers they write, and any
 * operation not modelled here.
 *
 * @module
 */
import {
  ATOMIC32,
  ATOMIC64,
  BE16,
  BE32,
  CALL_LOCAL,
  CONST_BASE,
  type Decoded,
  LE16,
  LE32,
  LE64,
  MAY_GOTO,
  MOVSX32_16,
  MOVSX32_8,
  SDIV32,
  SMOD32,
} from "../vm/decode.ts";
import type { Block } from "./structure.ts";

const U32 = 0xffffffff;

/** Ranges before each instruction: `lo[i * 11 + r]`, `hi[...]` for register r; `lo < 0`: unknown. */
export interface Ranges {
  /** Lower bounds (-1: unknown). */
  lo: Float64Array;
  /** Upper bounds. */
  hi: Float64Array;
}

/** Whether internal opcode `op` is a conditional jump (JMP or JMP32 class, not ja, call or exit). */
function isCond(op: number): boolean {
  return op < 0x100 && ((op & 7) === 5 || (op & 7) === 6) && op !== 0x05 && op !== 0x85 && op !== 0x95;
}

/** Ranges of the registers before every instruction of `blocks` (see the module doc). */
export function knownRanges(d: Decoded, blocks: Block[]): Ranges {
  const k = blocks.length;
  const out: Ranges = { lo: new Float64Array(d.total * 11).fill(-1), hi: new Float64Array(d.total * 11) };
  const pos = new Map<number, number>();
  blocks.forEach((b, i) => pos.set(b.start, i));
  // the widening thresholds: 0, 1, 2^32 - 1, and every constant a conditional jump compares with, plus and minus one
  const th = new Set([0, 1, U32]);
  for (let i = 0; i < d.n; i++) {
    if (!isCond(d.op[i]) || d.src[i] < CONST_BASE || d.chi[i] !== 0) continue;
    const c = d.clo[i] >>> 0;
    for (const x of [c - 1, c, c + 1]) if (x >= 0 && x <= U32) th.add(x);
  }
  const thresholds = [...th].sort((a, b) => a - b);
  const inLo = new Float64Array(k * 11).fill(-1), inHi = new Float64Array(k * 11);
  const reached = new Uint8Array(k), changes = new Uint16Array(k);
  const lo = new Float64Array(11), hi = new Float64Array(11);
  const eLo = new Float64Array(11), eHi = new Float64Array(11);
  const unknown = (r: number) => void (lo[r] = -1);
  const set = (r: number, a: number, b: number) => {
    if (a < 0 || b > U32 || a > b) lo[r] = -1;
    else lo[r] = a, hi[r] = b;
  };
  const bits = (x: number) => (x <= 0 ? 0 : x >= U32 ? U32 : 2 ** Math.ceil(Math.log2(x + 1)) - 1);
  // the range of an instruction's source operand: a constant, or a register's
  const src = (i: number): [number, number] => {
    const s = d.src[i];
    if (s >= CONST_BASE) return d.chi[i] === 0 ? [d.clo[i] >>> 0, d.clo[i] >>> 0] : [-1, 0];
    return [lo[s], hi[s]];
  };
  const step = (i: number) => {
    const op = d.op[i], r = d.dst[i];
    const [sl, sh] = op < 0x100 || op === CALL_LOCAL ? src(i) : [-1, 0];
    const a = lo[r] >= 0, b = sl >= 0;
    switch (op) {
      case 0xbf: // mov
      case 0x18:
        return set(r, sl, sh);
      case 0x0f: // add
        return a && b ? set(r, lo[r] + sl, hi[r] + sh) : unknown(r);
      case 0x1f: // sub
        return a && b ? set(r, lo[r] - sh, hi[r] - sl) : unknown(r);
      case 0x2f: // mul
        return a && b ? set(r, lo[r] * sl, hi[r] * sh) : unknown(r);
      case 0x5f: // and
        return a || b ? set(r, 0, Math.min(a ? hi[r] : U32, b ? sh : U32)) : unknown(r);
      case 0x4f: // or, xor
      case 0xaf:
        return a && b ? set(r, 0, bits(Math.max(hi[r], sh))) : unknown(r);
      case 0x7f: // rsh by a constant
      case 0xcf:
        if (d.src[i] < CONST_BASE) return unknown(r);
        {
          const c = d.clo[i] & 63;
          if (a) return set(r, Math.floor(lo[r] / 2 ** c), Math.floor(hi[r] / 2 ** c));
          return op === 0x7f && c >= 32 ? set(r, 0, 2 ** (64 - c) - 1) : unknown(r);
        }
      case 0x6f: // lsh by a constant
        return a && d.src[i] >= CONST_BASE
          ? set(r, lo[r] * 2 ** (d.clo[i] & 63), hi[r] * 2 ** (d.clo[i] & 63))
          : unknown(r);
      case 0x3f: // div, mod (unsigned): never above the dividend
      case 0x9f:
        return a ? set(r, 0, hi[r]) : unknown(r);
      case 0xbc: // mov32
        return set(r, b ? sl : 0, b ? sh : U32);
      case 0x5c: // and32
        return set(r, 0, b ? sh : U32);
      case 0x71: // zero-extending loads
        return set(r, 0, 0xff);
      case 0x69:
      case LE16:
      case BE16:
        return set(r, 0, 0xffff);
      case 0x61:
      case LE32:
      case BE32:
        return set(r, 0, U32);
      case LE64:
        return;
      case 0x40: // LD_ABS / LD_IND: r0 = the zero-extended bytes
      case 0x48:
      case 0x50:
        return set(0, 0, U32);
      case 0x85:
      case CALL_LOCAL:
        return lo.fill(-1);
      case 0x7b: // stores
      case 0x63:
      case 0x6b:
      case 0x73:
      case 0x95:
      case 0x05:
      case MAY_GOTO:
        return;
    }
    if (op >= ATOMIC32 && op < ATOMIC64 + 16) {
      lo[0] = lo[d.src[i] & 15] = -1;
      return;
    }
    if (isCond(op)) return;
    // every other ALU32 operation leaves a zero-extended 32-bit value; the rest: unknown
    const alu32 = op < 0x100 && (op & 7) === 4;
    if (alu32 || op === MOVSX32_8 || op === MOVSX32_16 || op === SDIV32 || op === SMOD32) set(r, 0, U32);
    else if (r < 11) unknown(r);
  };
  // narrow the range of the jump's register on one edge (taken or not) of the conditional jump at i
  const narrow = (i: number, taken: boolean) => {
    const op = d.op[i], r = d.dst[i];
    if ((op & 7) !== 5) return; // JMP32 compares only low words
    const [sl, sh] = src(i);
    if (sl < 0) return;
    let a = lo[r], b = hi[r];
    const known = a >= 0;
    if (!known) a = 0, b = U32; // unknown, but the comparisons below bound it from above only when they hold
    const cond = taken ? op : ({ 0x1d: 0x5d, 0x5d: 0x1d, 0x2d: 0xbd, 0x3d: 0xad, 0xad: 0x3d, 0xbd: 0x2d } as Record<
      number,
      number
    >)[op];
    switch (cond) {
      case 0x1d: // ==
        if (sl === sh && (!known || (sl >= a && sl <= b))) a = b = sl;
        else if (!known) return;
        break;
      case 0x5d: // !=
        if (!known) return;
        if (sl === sh && a === sl) a++;
        if (sl === sh && b === sl) b--;
        break;
      case 0x2d: // >
        if (!known) return;
        a = Math.max(a, sl + 1);
        break;
      case 0x3d: // >=
        if (!known) return;
        a = Math.max(a, sl);
        break;
      case 0xad: // <
        b = Math.min(b, sh - 1);
        break;
      case 0xbd: // <=
        b = Math.min(b, sh);
        break;
      default:
        return;
    }
    if (a <= b) lo[r] = a, hi[r] = b; // an empty range: the edge is never taken, keep the facts as they are
  };
  const merge = (p: number): boolean => {
    if (!reached[p]) {
      reached[p] = 1;
      inLo.set(lo, p * 11);
      inHi.set(hi, p * 11);
      return true;
    }
    let changed = false;
    const widen = ++changes[p] > 3;
    for (let r = 0; r < 11; r++) {
      const q = p * 11 + r, ol = inLo[q], oh = inHi[q];
      if (ol < 0) continue;
      if (lo[r] < 0) {
        inLo[q] = -1;
        changed = true;
        continue;
      }
      let nl = Math.min(ol, lo[r]), nh = Math.max(oh, hi[r]);
      if (widen && nl < ol) nl = thresholds[Math.max(0, upper(thresholds, nl) - 1)];
      if (widen && nh > oh) nh = thresholds[Math.min(thresholds.length - 1, upper(thresholds, nh - 1))];
      if (nl !== ol || nh !== oh) inLo[q] = nl, inHi[q] = nh, changed = true;
    }
    return changed;
  };
  lo.fill(-1);
  merge(0);
  const work = [0], queued = new Uint8Array(k);
  queued[0] = 1;
  const push = (to: number) => {
    const q = pos.get(to);
    if (q !== undefined && merge(q) && !queued[q]) queued[q] = 1, work.push(q);
  };
  while (work.length > 0) {
    const p = work.pop()!;
    queued[p] = 0;
    lo.set(inLo.subarray(p * 11, p * 11 + 11));
    hi.set(inHi.subarray(p * 11, p * 11 + 11));
    const blk = blocks[p], last = blk.insns[blk.insns.length - 1], op = d.op[last];
    for (const i of blk.insns) step(i);
    if (isCond(op)) {
      eLo.set(lo), eHi.set(hi);
      narrow(last, true);
      push(d.tgt[last]);
      lo.set(eLo), hi.set(eHi);
      narrow(last, false);
      if (blk.next !== -1) push(blk.next);
      continue;
    }
    if (op === 0x05 || op === CALL_LOCAL || op === MAY_GOTO) push(d.tgt[last]);
    if (blk.next !== -1) push(blk.next);
  }
  // the facts before each instruction, from the fixpoint's block entries
  for (let p = 0; p < k; p++) {
    if (!reached[p]) continue;
    lo.set(inLo.subarray(p * 11, p * 11 + 11));
    hi.set(inHi.subarray(p * 11, p * 11 + 11));
    for (const i of blocks[p].insns) {
      out.lo.set(lo, i * 11);
      out.hi.set(hi, i * 11);
      step(i);
    }
  }
  return out;
}

/** The index of the first element of sorted `xs` above `x`. */
function upper(xs: number[], x: number): number {
  let a = 0, b = xs.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m] <= x) a = m + 1;
    else b = m;
  }
  return a;
}
