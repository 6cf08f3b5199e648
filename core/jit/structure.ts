/**
 * The control-flow structure the JIT's code generators share: basic blocks,
 * the nesting of loops and forward jumps ({@link structure}), the functions
 * of a program with their local calls ({@link structuredFunctions}) and the
 * instruction-budget check points ({@link lookahead}). The JavaScript form
 * (codegen.ts) emits labeled loops and blocks from them, the WebAssembly
 * tier (wasm_codegen.ts) `loop`s and `block`s.
 *
 * @module
 */
import { BAD, CALL_LOCAL, type Decoded, MAY_GOTO, OOB } from "../vm/decode.ts";
import { MAX_FRAMES } from "../vm/memory.ts";

/** One basic block. */
export interface Block {
  /** Leader instruction index (the block id). */
  start: number;
  /** Instruction indices executed in order (an LD_IMM64 appears once). */
  insns: number[];
  /** The instruction after the last one when the block falls through (-1: it never does). */
  next: number;
}

const JCOND = new Set([
  0x1d,
  0x5d,
  0x4d,
  0x2d,
  0x3d,
  0xad,
  0xbd,
  0x6d,
  0x7d,
  0xcd,
  0xdd,
  0x1e,
  0x5e,
  0x4e,
  0x2e,
  0x3e,
  0xae,
  0xbe,
  0x6e,
  0x7e,
  0xce,
  0xde,
  MAY_GOTO, // jumps when the frame's loop budget is used up
]);

export function isJump(op: number): boolean {
  return op === 0x05 || JCOND.has(op);
}

/**
 * The instructions control can go to from the end of `blk`: its jump target
 * and its fall-through; a local call's target too when `intoCalls` (else a
 * call block only falls through to its return site).
 */
export function successors(d: Decoded, blk: Block, intoCalls: boolean): number[] {
  const last = blk.insns[blk.insns.length - 1], op = d.op[last];
  const out: number[] = [];
  if (isJump(op) || (intoCalls && op === CALL_LOCAL)) out.push(d.tgt[last]);
  if (blk.next !== -1) out.push(blk.next);
  return out;
}

export function isTerminator(op: number): boolean {
  return isJump(op) || op === 0x95 || op === CALL_LOCAL || op === BAD || op === OOB;
}

/** Split a decoded program into basic blocks, in program order. */
export function basicBlocks(d: Decoded, maxLen = Infinity): Block[] {
  const leader = new Uint8Array(d.total);
  leader[0] = 1;
  for (let i = d.n; i < d.total; i++) leader[i] = 1;
  for (let i = 0; i < d.n; i++) {
    const op = d.op[i];
    if (isJump(op) || op === CALL_LOCAL) leader[d.tgt[i]] = 1;
    if (isTerminator(op) && i + 1 < d.total) leader[i + 1] = 1;
    if (op === 0x18) i++;
  }
  // second slots of LD_IMM64s that are jump targets: their successor starts a block too
  for (let i = 0; i < d.n; i++) if (leader[i] && d.op[i] === BAD && i + 1 < d.total) leader[i + 1] = 1;
  const blocks: Block[] = [];
  for (let s = 0; s < d.total; s++) {
    if (!leader[s]) continue;
    const insns: number[] = [];
    let pc = s, next = -1;
    for (;;) {
      insns.push(pc);
      const op = d.op[pc];
      if (isTerminator(op)) {
        next = op === CALL_LOCAL || (isJump(op) && op !== 0x05) ? pc + 1 : -1;
        break;
      }
      pc += op === 0x18 ? 2 : 1;
      if (leader[pc] || insns.length >= maxLen) {
        leader[pc] = 1; // a block cut at maxLen falls through into the next
        next = pc;
        break;
      }
    }
    blocks.push({ start: s, insns, next });
  }
  return blocks;
}

/** A labeled region of the structured emission: `[start, end)` in block positions. */
export interface CodeRegion {
  /** First block position inside. */
  start: number;
  /** Position after the last block inside (a forward region's jump target). */
  end: number;
  /** A loop (`L<header>: for (;;)`, entered at `start`) or a forward block (`F<end>: { }`). */
  loop: boolean;
}

/** A function of the program for the structured form (see {@link structuredFunctions}). */
export interface StructuredFn {
  /** Its blocks, in program order. */
  blocks: Block[];
  /** Block start → position in `blocks`. */
  pos: Map<number, number>;
  /** Its loops and forward blocks. */
  regions: CodeRegion[];
  /** Budget look-ahead per block position (-1: not a check point). */
  ahead: Int32Array;
  /** Targets of its local calls. */
  calls: number[];
  /** Instructions in it. */
  size: number;
}

/** Inlined size above which a program with local calls keeps the `switch` form (a bound on the call-tree walk). */
const INLINE_MAX_INSNS = 16384;

/** Limit of blocks for the structured emitter (its nesting fixpoint is quadratic). */
const STRUCTURE_MAX_BLOCKS = 400;

/**
 * Structured control flow for `blocks` (program order): a loop region per
 * back-edge target (header to the last back edge), a forward region per
 * forward jump target (ending just before it, starting at or before every
 * source), starts widened until all regions nest. Null when that is
 * impossible (a jump into a loop past its header, overlapping loops), when
 * the blocks have local calls and `allowCalls` is false (the generator
 * passes true: it structures each function and inlines the calls), or when
 * it is large; the caller then uses the `switch` dispatch for the whole
 * program.
 */
export function structure(
  d: Decoded,
  blocks: Block[],
  allowCalls = false,
): { regions: CodeRegion[]; pos: Map<number, number> } | null {
  const k = blocks.length;
  if (k > STRUCTURE_MAX_BLOCKS) return null;
  const pos = new Map<number, number>();
  blocks.forEach((b, i) => pos.set(b.start, i));
  const loops = new Map<number, CodeRegion>(), fwds = new Map<number, CodeRegion>();
  const edge = (s: number, t: number) => {
    if (t <= s) {
      const r = loops.get(t);
      if (r === undefined) loops.set(t, { start: t, end: s + 1, loop: true });
      else r.end = Math.max(r.end, s + 1);
    } else if (t > s + 1) {
      const r = fwds.get(t);
      if (r === undefined) fwds.set(t, { start: s, end: t, loop: false });
      else r.start = Math.min(r.start, s);
    }
  };
  for (let i = 0; i < k; i++) {
    const blk = blocks[i], last = blk.insns[blk.insns.length - 1], op = d.op[last];
    if (op === CALL_LOCAL && !allowCalls) return null;
    for (const to of successors(d, blk, false)) {
      const t = pos.get(to);
      if (t === undefined) return null; // a jump or fall-through out of these blocks (another function)
      edge(i, t);
    }
  }
  const regions = [...loops.values(), ...fwds.values()];
  for (let changed = true; changed;) {
    changed = false;
    for (const a of regions) {
      for (const b of regions) {
        if (!(a.start < b.start && b.start < a.end && a.end < b.end)) continue;
        if (b.loop) return null; // a crosses into loop b past its header
        b.start = a.start;
        changed = true;
      }
    }
  }
  return { regions, pos };
}

/**
 * The functions of the program for the structured form: the main program
 * (from insn 0) and every target of a local call, each its own run of
 * blocks with its structure and budget look-ahead. Null (switch form only)
 * when a function does not nest, jumps or falls into another, calls itself
 * (directly or not), nests calls 8 deep, or would inline to more than
 * {@link INLINE_MAX_INSNS} instructions.
 */
export function structuredFunctions(d: Decoded, blocks: Block[]): Map<number, StructuredFn> | null {
  const starts = new Set<number>([0]), leaders = new Set(blocks.map((b) => b.start));
  for (let i = 0; i < d.n; i++) {
    if (d.op[i] !== CALL_LOCAL) continue;
    const t = d.tgt[i];
    if (t >= d.n || !leaders.has(t)) return null;
    starts.add(t);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const fns = new Map<number, StructuredFn>();
  for (let f = 0; f < sorted.length; f++) {
    const from = sorted[f], to = f + 1 < sorted.length ? sorted[f + 1] : Infinity;
    const own = blocks.filter((b) => b.start >= from && b.start < to);
    const st = structure(d, own, true);
    if (st === null) return null;
    const calls: number[] = [];
    let size = 0;
    for (const b of own) {
      size += b.insns.length;
      const last = b.insns[b.insns.length - 1];
      if (d.op[last] === CALL_LOCAL) calls.push(d.tgt[last]);
    }
    fns.set(from, { blocks: own, pos: st.pos, regions: st.regions, ahead: new Int32Array(0), calls, size });
  }
  // no recursion, at most 7 nested calls, a bounded inlined size (counted as the call tree is walked, which stops
  // at the bound: a wide call tree costs at most INLINE_MAX_INSNS steps, never its full exponential size)
  let inlinedSize = 0;
  const inlinable = (f: number, depth: number, path: Set<number>): boolean => {
    if (path.has(f) || depth >= MAX_FRAMES) return false;
    const fn = fns.get(f)!;
    inlinedSize += fn.size;
    if (inlinedSize > INLINE_MAX_INSNS) return false;
    path.add(f);
    for (const c of fn.calls) if (!inlinable(c, depth + 1, path)) return false;
    path.delete(f);
    return true;
  };
  if (!inlinable(0, 0, new Set())) return null;
  for (const fn of fns.values()) fn.ahead = lookahead(d, fn);
  return fns;
}

/**
 * The budget check points of a function and how far each looks ahead: its
 * first block, every loop header (every cycle passes through one) and
 * every return site of a call (the callee's first block is a check point
 * of its own), each with the largest number of instructions that can run
 * from its start before control reaches a check point again or leaves
 * (the longest path through the acyclic blocks in between). -1: no check.
 */
export function lookahead(d: Decoded, fn: StructuredFn): Int32Array {
  const fb = fn.blocks, pos = fn.pos, k = fb.length;
  const check = new Uint8Array(k);
  check[0] = 1;
  for (const r of fn.regions) if (r.loop) check[r.start] = 1;
  for (let p = 0; p < k; p++) {
    const last = fb[p].insns[fb[p].insns.length - 1];
    if (d.op[last] === CALL_LOCAL) check[pos.get(fb[p].next)!] = 1;
  }
  // longest[p]: instructions from the start of block p to the next check point or exit (not counting that check point)
  const longest = new Float64Array(k).fill(-1);
  // every edge to a non-check-point block goes forward, so positions in reverse order see successors first
  for (let p = k - 1; p >= 0; p--) {
    let m = 0;
    for (const to of successors(d, fb[p], false)) {
      const s = pos.get(to)!;
      if (check[s]) continue;
      if (s <= p) throw new Error("jit: a backward edge to a block that is not a loop header");
      m = Math.max(m, longest[s]);
    }
    longest[p] = fb[p].insns.length + m;
  }
  const ahead = new Int32Array(k).fill(-1);
  for (let p = 0; p < k; p++) if (check[p]) ahead[p] = Math.min(longest[p], 0x7fffffff);
  return ahead;
}
