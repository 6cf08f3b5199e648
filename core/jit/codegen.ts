/**
 * eBPF → JavaScript code generation (hi/lo int32 register locals).
 *
 * The program is split into basic blocks (leaders: insn 0, jump and call
 * targets, the instruction after a jump, exit, local call or bad
 * instruction, and every sentinel slot). The factory defines up to two
 * functions over register locals:
 * - `precise(max, n, b, depth)`: every block is a `case` of one
 *   `for (;;) switch (b)` (block id = the leader's instruction index) in
 *   program order, so a fall-through or a not-taken branch falls into the
 *   next `case` without a dispatch and a block branching to its own start is
 *   an inner `for (;;)`;
 * - `fast(max)`, when the control flow nests ({@link structure}: no jump
 *   into a loop past its header, none between functions): the whole
 *   program in program order with structured control flow: a back edge is
 *   `continue L<header>` of a labeled `for (;;)` loop, a forward jump is
 *   `break F<target>` of a labeled block ending just before the target, a
 *   fall-through is straight-line code. Local calls are inlined: the
 *   callee's body sits in a labeled block `C<n>` at the call site (its exits
 *   break out of it) between a save of r6..r10 and their restore, as the
 *   `switch` form's call and exit do; recursion, calls nested 8 deep, a
 *   large inlined size or an inlined `fast` too large for V8's optimising
 *   compiler (see {@link FUNCTION_MAX_TOKENS}) keep the `switch` form. `fast` has no dispatch and
 *   no cold paths merging into its loops, so V8 keeps its registers
 *   unboxed.
 *
 * The returned `run(max)` is `fast` when there is one (handing over to
 * `precise` when the budget runs short, see below), else `precise` from
 * block 0.
 *
 * ## Size
 * V8 optimises no function of more than 60 KiB of bytecode; a larger one
 * runs in its lower tiers at 3-80 ns per instruction, slower than the
 * interpreter. So when `fast` would exceed {@link FUNCTION_MAX_TOKENS}
 * tokens of source (about 600 ALU or 110 load/store instructions) it is not
 * emitted, and a `precise` that large is split into chunk functions of at
 * most 70 % of that size (blocks cut at {@link CHUNK_BLOCK_INSNS}
 * instructions; the checked twins in chunks of their own), each reloading
 * the registers on entry and writing them back when control leaves it, with
 * `precise` dispatching between them.
 *
 * ## Instruction budget (identical counts to the interpreter)
 * In the `switch` form each block of `L` instructions starts with
 * `if ((n += L) > max)`. When the budget does not cover the whole block,
 * control goes to the block's *checked* twin (case id `total + leader`): the
 * same instructions with the interpreter's per-instruction check, which
 * always ends in the limit fault inside that block (a block only leaves at
 * its last instruction). A fault at the j-th instruction of a fast block
 * subtracts the `L - j - 1` instructions it did not execute, so counts match
 * exactly.
 *
 * `fast` counts the budget down (`left`, an int32: one live value instead of
 * a count and its limit; a limit over 2^31 - 1 hands over to `precise` once
 * 2^31 - 1 instructions have run) and checks less often: only at its *check
 * points*, the first block of
 * every function, every loop header (every cycle passes through one) and
 * every return site of a call. A check point
 * looks ahead: it requires the budget to cover the longest run of
 * instructions that can follow before the next check point or the exit
 * (`lookahead`), and every other block only adds its length to `n`. When
 * the budget is short, `fast` writes the registers back (and, inside
 * inlined calls, the saved registers and return blocks of the calls in
 * progress into `frames`, as the `switch` form keeps them) and returns, and
 * `run` continues in `precise` at the same block, call depth and count, which
 * goes on to the end with per-block checks and twins. `precise` then runs at
 * most one look-ahead's worth of instructions before the limit, since the
 * budget was shorter than that.
 *
 * ## Registers and constants
 * Registers r0..r10 are locals `l0..l10` / `h0..h10` holding the low / high
 * 32 bits in signed int32 form (exactly what the interpreter's `Int32Array`s
 * hold). They are written back to the shared register arrays at exit and
 * around helper calls (helpers see and may change every register through
 * their env). K-form operands are inlined as literals, and so is a register
 * operand that {@link knownSources} proves constant (a multiply by such a
 * constant below 2^16 then needs two products instead of four).
 *
 * ## Value ranges
 * {@link knownRanges} (ranges.ts) finds registers whose value is below 2^32
 * on every path and its range (counted loops, bytes loaded, 32-bit results):
 * an addition or subtraction whose result provably stays in [0, 2^32)
 * becomes one 32-bit operation with a zero high word, an operand with a
 * zero high word drops out of the high word's arithmetic, and a comparison
 * of two such values compares the low words only.
 *
 * ## Memory
 * Every load and store makes the interpreter's checks. A block guard comes
 * first (in `fast` and in `precise`'s blocks; not in the checked twins): a load or store whose address is a register's value at
 * the block's start plus a constant (through copies and additions of
 * constants in the block), and whose pointer provenance (below) names stack
 * frame 0 or the entry region, is in bounds when that register's high word
 * names the region and its low word lies in a range. One test per such
 * register at the block's start (`h7 === sHi && l7 >= 0 && l7 <= 512 - 8`)
 * then covers all those accesses, which go straight to the region's
 * DataView, and an addition of a constant to such a pointer that cannot
 * carry (the range shows it) updates only the low word. When the test fails
 * the block runs with the per-access checks below, so faults, messages and
 * counts are unchanged. Inside a guarded block, a load of bytes a covered
 * store through the same pointer wrote earlier in the block takes the stored
 * value from a temporary, and a store whose bytes are overwritten later in
 * the block, before anything may read them or the run may end, is not made
 * (see `forwarding` in {@link generate}). Two per-access fast paths
 * compare the address with regions fixed for the whole run, stack frame 0
 * and the region r1 pointed into at entry (ctx or the memory buffer), whose
 * DataViews are constants of the function: V8 hoists the view checks out of
 * loops, which a cache updated inside the loop prevents. The pointer
 * provenance from {@link knownSources} decides which of the two is tried
 * first. Any other region (map values, deeper stack frames) goes through a
 * one-entry cache of the region last hit and, on a miss, the address
 * space's lookup, which produces the interpreter's fault messages. Writes
 * through the cache, atomics and helper arguments lower the region's
 * `low` mark; a call zeroes the callee's frame only from that mark up (the
 * frame-0 fast path needs no mark: a call never gets frame 0), so frames
 * read exactly as the interpreter's, which clears the whole frame.
 *
 * @module
 */
import {
  ATOMIC32,
  ATOMIC64,
  BAD,
  BE16,
  BE32,
  BE64,
  CALL_LOCAL,
  CTX_LDXW,
  type Decoded,
  LE16,
  LE32,
  LE64,
  MAY_GOTO,
  MOVSX32_16,
  MOVSX32_8,
  MOVSX64_16,
  MOVSX64_32,
  MOVSX64_8,
  OOB,
  SDIV32,
  SDIV64,
  SMOD32,
  SMOD64,
} from "../vm/decode.ts";
import { FRAME_SIZE, MAX_FRAMES } from "../vm/memory.ts";
import { knownRanges } from "./ranges.ts";
import {
  basicBlocks,
  type Block,
  type CodeRegion,
  isJump,
  isTerminator,
  type StructuredFn,
  structuredFunctions,
} from "./structure.ts";
import { constHi, constLo, isConstSource, knownSources, PTR_NONE, PTR_STACK } from "./sources.ts";
import { accessOf, planGuard } from "./guards.ts";

/** Code generation options. */
export interface CodegenOptions {
  /** `linux-3.18` div/mod semantics. */
  legacy: boolean;
  /** Emit structured control flow (labeled loops and blocks) when possible (default true); false: `switch` dispatch only. */
  structured?: boolean;
  /**
   * Tokens of source above which a generated function is too large for V8's
   * optimising compiler (default {@link FUNCTION_MAX_TOKENS}): a `fast` that
   * large gives way to `precise`, and a `precise` that large is split into
   * chunk functions. Tests set it low to exercise the chunks.
   */
  maxFunctionTokens?: number;
  /**
   * Generate the factory of the wasm tier (wasm_codegen.ts) instead: no
   * `fast`; `run` calls `R.wasm` and continues in `precise` when it hands
   * over; the code of these instructions as escapes (`R.escape`).
   */
  wasmEscapes?: number[];
}

/**
 * Code zeroing a callee's stack frame (`frame`: an expression for its
 * region) from the lowest offset written since it last was (the memory
 * region's `low`, core/vm/memory.ts). Inline rather than a method: a
 * method call per bpf-to-bpf call measured 0.41 against 0.23 ns/insn on
 * `tests/bench/jit_calls_bench.ts`.
 */
function zeroFrame(frame: string): string {
  return `{ const fr = ${frame}; if (fr.low < fr.len) { fr.u8.fill(0, fr.low); fr.low = fr.len; } }`;
}

/** A call in progress in the structured form: the names of the caller's saved r6..r10 and the return block. */
interface CallLevel {
  /** Prefix of the consts holding the caller's r6..r10 (`<saved>l6`, `<saved>h6`, ...). */
  saved: string;
  /** Suffix of the labeled block `C<suffix>` the inlined callee's exits break out of. */
  suffix: string;
  /** The block after the call instruction. */
  ret: number;
}

/** A block guard: one test at a block's start that puts its memory accesses in bounds (see `guardPlan` in {@link generate}). */
interface Guard {
  /** The test (JavaScript). */
  test: string;
  /** Covered loads and stores: insn → the DataView they go through without a check when the test holds. */
  dv: Map<number, string>;
  /** Additions of a constant to a pointer that cannot carry into its high word when the test holds. */
  noCarry: Set<number>;
  /** Loads that take stored values instead of reading memory: insn → their code. */
  fwd: Map<number, string>;
  /** Stores whose values forwarded loads use: insn → the temporaries' declaration. */
  temps: Map<number, string>;
  /** Stores overwritten later in the block: insn → 1 (first 4 bytes of 8), 2 (last 4), 3 (all) not made. */
  dead: Map<number, number>;
}

/**
 * Tokens of source (see {@link tokens}) above which V8 may not optimise a
 * generated function: it optimises no function of more than 60 KiB of
 * bytecode with TurboFan (`--max-optimized-bytecode-size`), and such a
 * function runs in the lower tiers, 3-80 ns per instruction. Measured (Deno
 * 2.9.6), a loop of ALU instructions was optimised at 31 300 tokens of
 * source (62 KB) and not at 33 600 (67 KB); a loop of loads and stores at
 * 32 700 tokens (72 KB) and not at 35 400 (78 KB): tokens, unlike
 * characters, give one bound for both. With four calls of an ALU function
 * inlined, `fast` over the bound ran at 83 ns per instruction, the `switch`
 * form of the same program at 0.7-1.0 ns.
 */
const FUNCTION_MAX_TOKENS = 30000;

/**
 * The number of tokens of JavaScript source `s` (identifiers, numbers and
 * punctuation characters; a close enough measure of its bytecode size).
 */
function tokens(s: string): number {
  let k = 0, inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
    if (word) {
      if (!inWord) k++;
      inWord = true;
    } else {
      inWord = false;
      if (c > 32) k++;
    }
  }
  return k;
}

/** Most instructions of a block in the chunks of a split `precise` (longer blocks are cut, falling through). */
const CHUNK_BLOCK_INSNS = 64;

const lit = (v: number): string => (v < 0 ? `(${v})` : `${v}`);

/**
 * The high word of the unsigned product of int32 `a` and a constant
 * `b` < 2^16: with a = a1·2^16 + a0, ⌊ab / 2^32⌋ = ⌊(a1·b + ⌊a0·b / 2^16⌋) / 2^16⌋,
 * and the sum stays below 2^32 (two products instead of four, a shorter chain).
 */
function mulhiuSmall(a: string, b: number): string {
  if (b === 0) return "0";
  return `((Math.imul(${a} >>> 16, ${b}) + (Math.imul(${a} & 0xffff, ${b}) >>> 16)) >>> 16)`;
}

/**
 * Generate the body of the factory `(R, mulhiu, bswap32) => run(max)`.
 * See the module documentation for the runtime object `R`.
 */
export function generate(d: Decoded, opts: CodegenOptions): string {
  const structured = opts.structured ?? true;
  const blocks = basicBlocks(d);
  const SLOW = d.total;
  const out: string[] = [];
  const emit = (s: string) => out.push(s);
  // a source operand is a constant when it is the instruction's immediate or a register known to hold one
  const known = knownSources(d, blocks);
  const isConst = (i: number) => isConstSource(d, known, i);
  const CL = (i: number) => constLo(d, known, i);
  const CH = (i: number) => constHi(d, known, i);
  const SL = (i: number) => (isConst(i) ? lit(CL(i)) : `l${d.src[i]}`);
  const SH = (i: number) => (isConst(i) ? lit(CH(i)) : `h${d.src[i]}`);
  const SLU = (i: number) => (isConst(i) ? `${CL(i) >>> 0}` : `(l${d.src[i]} >>> 0)`);
  // value ranges (ranges.ts): the range of a register before an instruction, of its source operand; null: unknown
  const ranges = knownRanges(d, blocks);
  const range = (i: number, r: number): [number, number] | null =>
    ranges.lo[i * 11 + r] >= 0 ? [ranges.lo[i * 11 + r], ranges.hi[i * 11 + r]] : null;
  const srcRange = (i: number): [number, number] | null =>
    isConst(i) ? (CH(i) === 0 ? [CL(i) >>> 0, CL(i) >>> 0] : null) : range(i, d.src[i]);
  const SHU = (i: number) => (isConst(i) ? `${CH(i) >>> 0}` : `(h${d.src[i]} >>> 0)`);
  const regs = Array.from({ length: 11 }, (_, r) => r);
  const writeBack = regs.map((r) => `lo[${r}] = l${r}; hi[${r}] = h${r};`).join(" ");
  const reload = regs.map((r) => `l${r} = lo[${r}]; h${r} = hi[${r}];`).join(" ");

  /** Jump condition of a conditional jump at i; `depth` is the call depth (may_goto's budget is the frame's). */
  const cond = (i: number, depth = "depth"): string => {
    const op = d.op[i], r = d.dst[i];
    // may_goto: jump once the budget is 0, else count it down and fall through
    if (op === MAY_GOTO) return `(mg[${depth}] === 0 || (mg[${depth}]--, false))`;
    const L = `l${r}`, H = `h${r}`, LU = `(l${r} >>> 0)`, HU = `(h${r} >>> 0)`;
    const sl = SL(i), sh = SH(i), slu = SLU(i), shu = SHU(i);
    // both operands below 2^32 (high words 0): a 64-bit comparison is one of the low words, signed ones unsigned
    if (range(i, r) !== null && srcRange(i) !== null) {
      const low: Record<number, string> = {
        0x1d: `${L} === ${sl}`,
        0x5d: `${L} !== ${sl}`,
        0x4d: `(${L} & ${sl}) !== 0`,
        0x2d: `${LU} > ${slu}`,
        0x3d: `${LU} >= ${slu}`,
        0xad: `${LU} < ${slu}`,
        0xbd: `${LU} <= ${slu}`,
        0x6d: `${LU} > ${slu}`,
        0x7d: `${LU} >= ${slu}`,
        0xcd: `${LU} < ${slu}`,
        0xdd: `${LU} <= ${slu}`,
      };
      if (low[op] !== undefined) return low[op];
    }
    switch (op) {
      case 0x1d:
        return `${L} === ${sl} && ${H} === ${sh}`;
      case 0x5d:
        return `${L} !== ${sl} || ${H} !== ${sh}`;
      case 0x4d:
        return `((${L} & ${sl}) | (${H} & ${sh})) !== 0`;
      case 0x2d:
        return `(${H} !== ${sh} ? ${HU} > ${shu} : ${LU} > ${slu})`;
      case 0x3d:
        return `(${H} !== ${sh} ? ${HU} > ${shu} : ${LU} >= ${slu})`;
      case 0xad:
        return `(${H} !== ${sh} ? ${HU} < ${shu} : ${LU} < ${slu})`;
      case 0xbd:
        return `(${H} !== ${sh} ? ${HU} < ${shu} : ${LU} <= ${slu})`;
      case 0x6d:
        return `(${H} !== ${sh} ? ${H} > ${sh} : ${LU} > ${slu})`;
      case 0x7d:
        return `(${H} !== ${sh} ? ${H} > ${sh} : ${LU} >= ${slu})`;
      case 0xcd:
        return `(${H} !== ${sh} ? ${H} < ${sh} : ${LU} < ${slu})`;
      case 0xdd:
        return `(${H} !== ${sh} ? ${H} < ${sh} : ${LU} <= ${slu})`;
      case 0x1e:
        return `${L} === ${sl}`;
      case 0x5e:
        return `${L} !== ${sl}`;
      case 0x4e:
        return `(${L} & ${sl}) !== 0`;
      case 0x2e:
        return `${LU} > ${slu}`;
      case 0x3e:
        return `${LU} >= ${slu}`;
      case 0xae:
        return `${LU} < ${slu}`;
      case 0xbe:
        return `${LU} <= ${slu}`;
      case 0x6e:
        return `${L} > ${sl}`;
      case 0x7e:
        return `${L} >= ${sl}`;
      case 0xce:
        return `${L} < ${sl}`;
      case 0xde:
        return `${L} <= ${sl}`;
    }
    throw new Error(`jit: no condition for internal opcode 0x${op.toString(16)}`);
  };

  /**
   * The load or store at i: its address register, size, direction and the
   * access itself through DataView `dv` at offset `t` (a local of the
   * generated code); null for any other instruction.
   */
  const memOp = (i: number): { a: number; size: number; write: boolean; access: (dv: string) => string } | null => {
    const m = accessOf(d, i);
    return m === null ? null : { ...m, access: (dv) => accessCode(i, dv) };
  };
  /** The load or store at i through DataView `dv` at offset `t` (a local of the generated code). */
  const accessCode = (i: number, dv: string): string => {
    const L = `l${d.dst[i]}`, H = `h${d.dst[i]}`, z = `${H} = 0;`;
    switch (d.op[i]) {
      case 0x79:
        return `{ ${L} = ${dv}.getInt32(t, true); ${H} = ${dv}.getInt32((t + 4) | 0, true); }`;
      case 0x61:
        return `{ ${L} = ${dv}.getInt32(t, true); ${z} }`;
      case 0x81:
        return `{ ${L} = ${dv}.getInt32(t, true); ${H} = ${L} >> 31; }`;
      case 0x69:
        return `{ ${L} = ${dv}.getUint16(t, true); ${z} }`;
      case 0x89:
        return `{ ${L} = ${dv}.getInt16(t, true); ${H} = ${L} >> 31; }`;
      case 0x71:
        return `{ ${L} = ${dv}.getUint8(t); ${z} }`;
      case 0x91:
        return `{ ${L} = ${dv}.getInt8(t); ${H} = ${L} >> 31; }`;
      // stores (ST imm: constant operand)
      case 0x7b:
        return `{ ${dv}.setInt32(t, ${SL(i)}, true); ${dv}.setInt32((t + 4) | 0, ${SH(i)}, true); }`;
      case 0x63:
        return `${dv}.setInt32(t, ${SL(i)}, true);`;
      case 0x6b:
        return `${dv}.setInt16(t, ${SL(i)}, true);`;
      default:
        return `${dv}.setInt8(t, ${SL(i)});`;
    }
  };

  /**
   * The block guard of the first `count` instructions of `blk` (see
   * "Memory" in the module doc and {@link planGuard}): the test of its base
   * registers, the covered accesses (insn → DataView), the additions of a
   * constant that cannot carry, and the store forwarding inside the block.
   */
  const guardPlan = (blk: Block, count: number): Guard | null => {
    const p = planGuard(d, known, blk, count);
    if (p === null) return null;
    const tests = p.bases.map(({ reg: b, region, lo, end }) => {
      const [hiName, len] = region === PTR_STACK ? ["sHi", `${FRAME_SIZE}`] : ["eHi", "eLen"];
      return `h${b} === ${hiName} && l${b} >= ${lit(lo)} && l${b} <= ${len} - ${lit(end)}`;
    });
    const dv = new Map<number, string>();
    for (const [i, b] of p.covered) dv.set(i, p.region[b] === PTR_STACK ? "sDv" : "eDv");
    return {
      test: tests.join(" && "),
      dv,
      noCarry: p.noCarry,
      ...forwarding(blk, count, p.covered, p.disp, p.region),
    };
  };

  // the guard of a block's first `count` instructions, computed once: the same instructions are emitted in `fast`,
  // in `precise` and in its chunks (whose blocks start at the same instructions), some of them twice to measure them
  const guards = new Map<number, Guard | null>();
  const guardOf = (blk: Block, count: number): Guard | null => {
    const key = blk.start * 2 ** 24 + count;
    let g = guards.get(key);
    if (g === undefined) guards.set(key, g = guardPlan(blk, count));
    return g;
  };

  /**
   * Whether instruction i can end the run in the middle of a block (a fault,
   * a helper, LD_ABS, a 3.18 division by zero), or touch memory the block
   * guard does not cover: the stores before it must all have been made.
   */
  const barrier = (i: number): boolean => {
    const op = d.op[i];
    if (op === 0x3c || op === 0x9c || op === 0x3f || op === 0x9f) return opts.legacy;
    // ALU operations (64 and 32 bits), sign-extending moves, divisions of signed values, byte swaps, LD_IMM64
    const alu = op < 0x100 && memOp(i) === null && ((op & 7) === 4 || (op & 7) === 7);
    return !(alu || op === 0x18 || (op >= SDIV32 && op <= BE64));
  };

  /**
   * Store forwarding and dead stores among the accesses a block guard covers
   * (`covered`: insn → base register, `disp`: insn → displacement from the
   * base's value at the block's start). Forward: a load of bytes that
   * covered stores through the same base wrote earlier in the block, with
   * nothing in between that may write them (a store through another pointer
   * into the same region, an access the guard does not cover, a helper, an
   * atomic), takes the stored values, kept in temporaries, instead of
   * reading memory (whole 32-bit words, or bytes and halves of one word).
   * Backward: a covered store (or half of an 8-byte one) whose bytes covered
   * stores through the same base overwrite later in the block, with nothing
   * in between that may read them (a load not forwarded, through any
   * pointer into the region) or end the run ({@link barrier}), is not made.
   */
  const forwarding = (
    blk: Block,
    count: number,
    covered: Map<number, number>,
    disp: Map<number, number>,
    region: Uint8Array,
  ): Pick<Guard, "fwd" | "temps" | "dead"> => {
    const fwd = new Map<number, string>(), temps = new Map<number, string>(), dead = new Map<number, number>();
    // forward: per base, displacement -> [word, byte in word] of the last covered store of that byte
    const bytes: Array<Map<number, [string, number]>> = Array.from({ length: 11 }, () => new Map());
    const sources = new Map<number, Set<number>>(); // load -> the stores whose temporaries it uses
    const wordOwner = new Map<string, number>();
    const clear = (rg: number, except: number) => {
      for (let b = 0; b < 11; b++) if (b !== except && (rg === PTR_NONE || region[b] === rg)) bytes[b].clear();
    };
    for (let j = 0; j < count; j++) {
      const i = blk.insns[j], b = covered.get(i);
      const m = memOp(i);
      if (b === undefined) {
        if (barrier(i) && (m === null || m.write || d.op[i] >= ATOMIC32)) clear(PTR_NONE, -1);
        continue;
      }
      const at = disp.get(i)!, map = bytes[b];
      if (m!.write) {
        clear(region[b], b);
        const words = m!.size === 8 ? [`f${i}l`, `f${i}h`] : [`f${i}l`];
        for (const w of words) wordOwner.set(w, i);
        for (let q = 0; q < m!.size; q++) map.set(at + q, [words[q >> 2], q & 3]);
        continue;
      }
      const src: Array<[string, number]> = [];
      for (let q = 0; q < m!.size; q++) {
        const x = map.get(at + q);
        if (x === undefined) break;
        src.push(x);
      }
      if (src.length < m!.size) continue;
      const L = `l${d.dst[i]}`, H = `h${d.dst[i]}`;
      // the temporary holding bytes from..from+n-1 of the load and their bit position in it; null: not one word's
      const word = (from: number, n: number): [string, number] | null => {
        const [w, k] = src[from];
        for (let q = 1; q < n; q++) if (src[from + q][0] !== w || src[from + q][1] !== k + q) return null;
        return n === 4 && k !== 0 ? null : [w, k * 8];
      };
      let code: string | null = null;
      const op = d.op[i];
      if (m!.size === 8) {
        const a = word(0, 4), c = word(4, 4);
        if (a !== null && c !== null) code = `${L} = ${a[0]}; ${H} = ${c[0]};`;
      } else {
        const x = word(0, m!.size);
        if (x !== null) {
          const [w, sh] = x;
          if (m!.size === 4) code = op === 0x81 ? `${L} = ${w}; ${H} = ${L} >> 31;` : `${L} = ${w}; ${H} = 0;`;
          else {
            const bits = m!.size * 8;
            code = op === 0x89 || op === 0x91
              ? `${L} = (${w} << ${32 - bits - sh}) >> ${32 - bits}; ${H} = ${L} >> 31;`
              : `${L} = (${w} >>> ${sh}) & ${bits === 8 ? "0xff" : "0xffff"}; ${H} = 0;`;
          }
        }
      }
      if (code === null) continue;
      fwd.set(i, code);
      sources.set(i, new Set(src.map(([w]) => wordOwner.get(w)!)));
    }
    for (const stores of sources.values()) {
      for (const i of stores) {
        temps.set(
          i,
          memOp(i)!.size === 8 ? `const f${i}l = ${SL(i)}, f${i}h = ${SH(i)};` : `const f${i}l = ${SL(i)};`,
        );
      }
    }
    // backward: per base, the displacements overwritten later in the block before anything reads them
    const over: Array<Set<number>> = Array.from({ length: 11 }, () => new Set());
    for (let j = count - 1; j >= 0; j--) {
      const i = blk.insns[j], b = covered.get(i);
      if (b === undefined) {
        if (barrier(i)) { for (const o of over) o.clear(); }
        continue;
      }
      const m = memOp(i)!, at = disp.get(i)!;
      if (!m.write) {
        if (fwd.has(i)) continue;
        for (let q = 0; q < m.size; q++) over[b].delete(at + q);
        for (let c = 0; c < 11; c++) if (c !== b && region[c] === region[b]) over[c].clear();
        continue;
      }
      const all = (from: number, n: number) => {
        for (let q = from; q < from + n; q++) if (!over[b].has(at + q)) return false;
        return true;
      };
      const mask = m.size === 8 ? (all(0, 4) ? 1 : 0) | (all(4, 4) ? 2 : 0) : all(0, m.size) ? 3 : 0;
      if (mask !== 0) dead.set(i, mask);
      for (let q = 0; q < m.size; q++) over[b].add(at + q);
    }
    return { fwd, temps, dead };
  };

  /** The code of instruction i inside a block whose guard `g` held (`stop`, `ret`: as for {@link body}). */
  const guardedBody = (i: number, g: Guard, stop: string, ret?: { depth: string; code: string }): string => {
    const dv = g.dv.get(i);
    if (dv !== undefined) {
      const forwarded = g.fwd.get(i);
      if (forwarded !== undefined) return forwarded;
      const m = memOp(i)!, off = d.off[i];
      const t = `t = ${off === 0 ? `l${m.a}` : `(l${m.a} + ${lit(off)}) | 0`};`;
      const temp = g.temps.get(i), dead = g.dead.get(i) ?? 0;
      if (!m.write || (temp === undefined && dead === 0)) return `${t} ${m.access(dv)}`;
      // a store whose value later loads take from temporaries, or of which a part is overwritten later in the block
      const vl = temp === undefined ? SL(i) : `f${i}l`, vh = temp === undefined ? SH(i) : `f${i}h`;
      const code = m.size === 8
        ? `${dead & 1 ? "" : `${dv}.setInt32(t, ${vl}, true); `}${
          dead & 2 ? "" : `${dv}.setInt32((t + 4) | 0, ${vh}, true);`
        }`
        : dead === 3
        ? ""
        : `${dv}.${m.size === 4 ? "setInt32" : m.size === 2 ? "setInt16" : "setInt8"}(t, ${vl}${
          m.size > 1 ? ", true" : ""
        });`;
      return `${temp ?? ""}${code === "" ? "" : ` ${t} ${code}`}`;
    }
    if (g.noCarry.has(i)) {
      const r = d.dst[i], c = d.op[i] === 0x0f ? CL(i) : -CL(i);
      return c === 0 ? "" : `l${r} = (l${r} + ${lit(c)}) | 0;`;
    }
    return body(i, stop, ret);
  };

  /**
   * Code of a non-terminator instruction; `stop` is the statement that
   * leaves after a fault. `ret` (inside a subprogram, or where the call
   * depth is a variable) is the call depth and the statement that returns
   * from the subprogram: a `bpf_tail_call` there returns after its target
   * ran (see `HelperRuntime.subprogTailCall`).
   */
  const body = (i: number, stop: string, ret?: { depth: string; code: string }): string => {
    const op = d.op[i], r = d.dst[i];
    const L = `l${r}`, H = `h${r}`;
    const sl = SL(i), sh = SH(i);
    const off = d.off[i];
    const z = `${H} = 0;`;
    // memory access through address register a: `access(dv)` is the load or store through DataView dv at offset t.
    // The offset in the region is computed in int32: with region lengths below 2^30 (larger regions never take a
    // fast path), `(t >>> 0) <= len - size` rejects every wrapped sum except a negative l (an offset of 2^31 or
    // more) plus a positive off, rejected by `l >= 0`. Two fast paths compare with regions fixed for the whole
    // run (the one r1 pointed into at entry and stack frame 0): their DataViews are constants of the function, so
    // V8 hoists the view checks out of loops. Anything else goes through a one-entry cache (updated in place) and
    // the slow lookup.
    const mem = (a: number, size: number, write: boolean, access: (dv: string) => string) => {
      const ok = (len: string) => `(t >>> 0) <= ${len} - ${size}${off > 0 ? ` && l${a} >= 0` : ""}`;
      const entry = { hi: "eHi", len: "eLen", dv: "eDv" }, stackFrame = { hi: "sHi", len: "sLen", dv: "sDv" };
      const [first, second] = known.ptr[i] === PTR_STACK ? [stackFrame, entry] : [entry, stackFrame];
      return `t = ${off === 0 ? `l${a}` : `(l${a} + ${lit(off)}) | 0`};
if (h${a} === ${first.hi} && ${ok(first.len)}) ${access(first.dv)}
else if (h${a} === ${second.hi} && ${ok(second.len)}) ${access(second.dv)}
else {
  if (h${a} !== cHi || !(${ok("cLen")})) {
    t = slow(h${a}, (l${a} >>> 0) + ${lit(off)}, ${size}, ${write}, ${i}); if (t < 0) { ${stop} }
    cHi = R.hit.hi; cLen = R.hit.len < 0x40000000 ? R.hit.len : 0; cDv = R.hit.dv; cB = R.hit.base; cR = R.hit;
  }
  ${write ? "if (t < cR.low) cR.low = t; " : ""}t += cB; ${access("cDv")}
}`;
    };
    const m = memOp(i);
    if (m !== null) return mem(m.a, m.size, m.write, m.access);
    switch (op) {
      case 0x0f: { // add
        // both operands and the sum below 2^32 (value ranges): no carry, no high word
        const a = range(i, r), b = srcRange(i);
        if (a !== null && b !== null && a[1] + b[1] <= 0xffffffff) return `${L} = (${L} + ${sl}) | 0; ${H} = 0;`;
        // branchless carry (the carry of random data is unpredictable): a comparison used as a number
        // (`(x < a) | 0`) is a setcc in V8's optimised code, while `x < a ? 1 : 0` is a branch
        const h = b !== null ? H : `${H} + ${sh}`;
        return `{ const al = ${L}, x = (al + ${sl}) | 0; ${H} = (${h} + ((x >>> 0) < (al >>> 0) | 0)) | 0; ${L} = x; }`;
      }
      case 0x1f: { // sub
        // a minuend never below the subtrahend, both below 2^32: no borrow, no high word
        const a = range(i, r), b = srcRange(i);
        if (a !== null && b !== null && a[0] >= b[1]) return `${L} = (${L} - ${sl}) | 0; ${H} = 0;`;
        // branchless borrow, as for add
        const h = b !== null ? H : `${H} - ${sh}`;
        return `{ const al = ${L}, bl = ${sl}; ${H} = (${h} - ((al >>> 0) < (bl >>> 0) | 0)) | 0; ${L} = (al - bl) | 0; }`;
      }
      case 0x2f: { // mul
        if (isConst(i)) {
          // by a constant b: hi = mulhiu(lo, b.lo) + lo * b.hi + hi * b.lo, with a shorter mulhiu when b.lo < 2^16
          const bl = CL(i), bh = CH(i);
          const parts = [bl >>> 0 < 0x10000 ? mulhiuSmall("al", bl) : `mulhiu(al, ${lit(bl)})`];
          if (bh !== 0) parts.push(`Math.imul(al, ${lit(bh)})`);
          if (bl !== 0) parts.push(`Math.imul(${H}, ${lit(bl)})`);
          return `{ const al = ${L}; ${H} = (${parts.join(" + ")}) | 0; ${L} = Math.imul(al, ${lit(bl)}); }`;
        }
        return `{ const al = ${L}, bl = ${sl}; ${H} = (mulhiu(al, bl) + Math.imul(al, ${sh}) + Math.imul(${H}, bl)) | 0; ${L} = Math.imul(al, bl); }`;
      }
      case 0x3f:
      case 0x9f: {
        const isDiv = op === 0x3f;
        if (opts.legacy) {
          return `if ((${sl} | ${sh}) === 0 || ${sl} === 0) { R.ret0 = true; ${stop} }
R.udiv64(${H}, ${L}, 0, ${sl}, ${isDiv}); ${L} = R.ol; ${H} = R.oh;`;
        }
        return `if ((${sl} | ${sh}) === 0) { ${isDiv ? `${L} = 0; ${H} = 0;` : ""} }
else if (${H} === 0 && ${sh} === 0) { const a = ${L} >>> 0, b = ${sl} >>> 0; ${L} = ${
          isDiv ? "((a / b) >>> 0) | 0" : "(a % b) | 0"
        }; }
else { R.udiv64(${H}, ${L}, ${sh}, ${sl}, ${isDiv}); ${L} = R.ol; ${H} = R.oh; }`;
      }
      case SDIV64:
      case SMOD64:
        return `if ((${sl} | ${sh}) === 0) { ${op === SDIV64 ? `${L} = 0; ${H} = 0;` : ""} }
else { R.sdiv64(${H}, ${L}, ${sh}, ${sl}, ${op === SDIV64}); ${L} = R.ol; ${H} = R.oh; }`;
      case 0x4f:
        return `${L} |= ${sl}; ${H} |= ${sh};`;
      case 0x5f:
        return `${L} &= ${sl}; ${H} &= ${sh};`;
      case 0xaf:
        return `${L} ^= ${sl}; ${H} ^= ${sh};`;
      case 0x6f:
      case 0x7f:
      case 0xcf: {
        if (isConst(i)) {
          const c = CL(i) & 63;
          if (c === 0) return "";
          if (op === 0x6f) {
            return c >= 32
              ? `${H} = ${L} << ${c - 32}; ${L} = 0;`
              : `${H} = (${H} << ${c}) | (${L} >>> ${32 - c}); ${L} = ${L} << ${c};`;
          }
          if (op === 0x7f) {
            return c >= 32
              ? `${L} = ${H} >>> ${c - 32} | 0; ${H} = 0;`
              : `${L} = (${L} >>> ${c}) | (${H} << ${32 - c}); ${H} = (${H} >>> ${c}) | 0;`;
          }
          return c >= 32
            ? `${L} = ${H} >> ${c - 32}; ${H} = ${H} >> 31;`
            : `${L} = (${L} >>> ${c}) | (${H} << ${32 - c}); ${H} = ${H} >> ${c};`;
        }
        const c = `(l${d.src[i]} & 63)`;
        if (op === 0x6f) {
          return `{ const c = ${c}; if (c >= 32) { ${H} = ${L} << (c - 32); ${L} = 0; } else if (c !== 0) { ${H} = (${H} << c) | (${L} >>> (32 - c)); ${L} = ${L} << c; } }`;
        }
        if (op === 0x7f) {
          return `{ const c = ${c}; if (c >= 32) { ${L} = (${H} >>> (c - 32)) | 0; ${H} = 0; } else if (c !== 0) { ${L} = (${L} >>> c) | (${H} << (32 - c)); ${H} = (${H} >>> c) | 0; } }`;
        }
        return `{ const c = ${c}; if (c >= 32) { ${L} = ${H} >> (c - 32); ${H} = ${H} >> 31; } else if (c !== 0) { ${L} = (${L} >>> c) | (${H} << (32 - c)); ${H} = ${H} >> c; } }`;
      }
      case 0x87:
        return `{ const x = ${L}; ${L} = -x | 0; ${H} = (~${H} + (x === 0 | 0)) | 0; }`;
      case 0xbf:
        return `${L} = ${sl}; ${H} = ${sh};`;
      case MOVSX64_8:
        return `${L} = (${sl} << 24) >> 24; ${H} = ${L} >> 31;`;
      case MOVSX64_16:
        return `${L} = (${sl} << 16) >> 16; ${H} = ${L} >> 31;`;
      case MOVSX64_32:
        return `${L} = ${sl}; ${H} = ${L} >> 31;`;
      // ALU32
      case 0x0c:
        return `${L} = (${L} + ${sl}) | 0; ${z}`;
      case 0x1c:
        return `${L} = (${L} - ${sl}) | 0; ${z}`;
      case 0x2c:
        return `${L} = Math.imul(${L}, ${sl}); ${z}`;
      case 0x3c:
      case 0x9c: {
        const isDiv = op === 0x3c;
        return `{ const b = ${sl} >>> 0, a = ${L} >>> 0;
if (b === 0) { ${opts.legacy ? `R.ret0 = true; ${stop}` : isDiv ? `${L} = 0;` : ""} }
else ${L} = ${isDiv ? "((a / b) >>> 0) | 0" : "(a % b) | 0"}; ${z} }`;
      }
      case SDIV32:
      case SMOD32:
        return `{ const b = ${sl}, a = ${L}; if (b === 0) { ${op === SDIV32 ? `${L} = 0;` : ""} } else ${L} = ${
          op === SDIV32 ? "(a / b) | 0" : "(a % b) | 0"
        }; ${z} }`;
      case 0x4c:
        return `${L} |= ${sl}; ${z}`;
      case 0x5c:
        return `${L} &= ${sl}; ${z}`;
      case 0xac:
        return `${L} ^= ${sl}; ${z}`;
      case 0x6c:
        return `${L} = ${L} << (${sl} & 31); ${z}`;
      case 0x7c:
        return `${L} = (${L} >>> (${sl} & 31)) | 0; ${z}`;
      case 0xcc:
        return `${L} = ${L} >> (${sl} & 31); ${z}`;
      case 0x84:
        return `${L} = -${L} | 0; ${z}`;
      case 0xbc:
        return `${L} = ${sl}; ${z}`;
      case MOVSX32_8:
        return `${L} = (${sl} << 24) >> 24; ${z}`;
      case MOVSX32_16:
        return `${L} = (${sl} << 16) >> 16; ${z}`;
      case LE16:
        return `${L} &= 0xffff; ${z}`;
      case LE32:
        return z;
      case LE64:
        return "";
      case BE16:
        return `${L} = ((${L} & 0xff) << 8) | ((${L} >>> 8) & 0xff); ${z}`;
      case BE32:
        return `${L} = bswap32(${L}); ${z}`;
      case BE64:
        return `{ const x = ${L}; ${L} = bswap32(${H}); ${H} = bswap32(x); }`;
      case 0x18:
        return `${L} = ${sl}; ${H} = ${sh};`;
      case 0x85:
        if (ret !== undefined && d.tailCallAt[i]) {
          return `${writeBack}
{ const k = R.call(${i}, ${ret.depth}); ${reload} cHi = 0; cLen = 0; if (k !== 1) { if (k === 0) { ${stop} } ${ret.code} } }`;
        }
        return `${writeBack}
{ const ok = R.call(${i}); ${reload} cHi = 0; cLen = 0; if (!ok) { ${stop} } }`;
      case CTX_LDXW: { // an ldxw at a converted ctx field's offset: its converted value when it reads the ctx
        const a = d.src[i];
        return `{ const w = h${a} === R.ctxHi ? R.ctxLoad((l${a} + ${lit(off)}) | 0) : -1;
if (w >= 0) { ${L} = w; ${H} = R.oh; }
else {
${mem(a, 4, false, (dv) => `{ ${L} = ${dv}.getInt32(t, true); ${z} }`)}
} }`;
      }
      case 0x40:
      case 0x48:
      case 0x50: {
        const size = op === 0x40 ? 4 : op === 0x48 ? 2 : 1;
        const v = size === 4
          ? "(pkt[k] << 24) | (pkt[k + 1] << 16) | (pkt[k + 2] << 8) | pkt[k + 3]"
          : size === 2
          ? "(pkt[k] << 8) | pkt[k + 1]"
          : "pkt[k]";
        return `if (h6 !== R.ctxHi || l6 !== 0) { R.ldabsFault(${i}, h6, l6); ${stop} }
{ const pkt = R.pkt; let k = (${sl} + ${lit(off)}) | 0;
  if (k < 0 && k >= -0x200000) k = k >= -0x100000 ? k + 0x100000 : k + 0x200000;
  if (k < 0 || k + ${size} > pkt.length) { R.ret0 = true; ${stop} }
  l0 = ${v}; h0 = 0; }`;
      }
    }
    if (op >= ATOMIC32 && op < ATOMIC64 + 10) {
      const is64 = op >= ATOMIC64, kind = op - (is64 ? ATOMIC64 : ATOMIC32), size = is64 ? 8 : 4;
      const s = d.src[i];
      const lines: string[] = [];
      lines.push(`t = (${L} >>> 0) + ${lit(off)}; t = slow(${H}, t, ${size}, true, ${i}); if (t < 0) { ${stop} }`);
      lines.push(
        `if (t < R.hit.low) R.hit.low = t; t += R.hit.base; { const dv = R.hit.dv, ol = dv.getInt32(t, true), oh = ${
          is64 ? "dv.getInt32((t + 4) | 0, true)" : "0"
        };`,
      );
      lines.push(`const sl = l${s}, sh = ${is64 ? `h${s}` : "0"};`);
      let nl = "sl", nh = "sh", write = "true";
      switch (kind >> 1) {
        case 0:
          lines.push(`const nl = (ol + sl) | 0, nh = (oh + sh + ((nl >>> 0) < (ol >>> 0) | 0)) | 0;`);
          nl = "nl", nh = "nh";
          break;
        case 1:
          nl = "(ol | sl)", nh = "(oh | sh)";
          break;
        case 2:
          nl = "(ol & sl)", nh = "(oh & sh)";
          break;
        case 3:
          nl = "(ol ^ sl)", nh = "(oh ^ sh)";
          break;
        case 4:
          if (kind === 9) write = is64 ? "l0 === ol && h0 === oh" : "l0 === ol";
          break;
      }
      lines.push(
        `if (${write}) { dv.setInt32(t, ${nl}, true); ${is64 ? `dv.setInt32((t + 4) | 0, ${nh}, true);` : ""} }`,
      );
      if (kind === 9) lines.push("l0 = ol; h0 = oh;");
      else if ((kind & 1) === 1 || kind === 8) lines.push(`l${s} = ol; h${s} = oh;`);
      lines.push("}");
      return lines.join("\n");
    }
    return `R.msg = "insn ${i}: unknown internal opcode 0x${op.toString(16)}"; R.pc = ${i}; ${stop}`;
  };

  // a call starts the callee's may_goto budget (its prologue), when the program has a may_goto
  const hasMayGoto = d.op.includes(MAY_GOTO);
  const mayGotoInit = (depth: string) => hasMayGoto ? ` mg[${depth}] = R.mgBudget;` : "";

  /** `exit` in the `switch` form: the end of the run, or the return to the caller's block. */
  const exitCode = `if (depth === 0) break run;
depth--; { const f = depth * 11; ${
    [6, 7, 8, 9, 10].map((r) => `l${r} = frames[f + ${(r - 6) * 2}]; h${r} = frames[f + ${(r - 6) * 2 + 1}];`)
      .join(" ")
  } b = frames[f + 10]; } continue run;`;
  /** `body`'s return of the `switch` form, after `give` (the statement giving back what was counted but not run). */
  const switchRet = (give: string) => ({ depth: "depth", code: `${give}${exitCode}` });

  /** The terminator of a block (last instruction), for the fast variant. */
  const terminator = (blk: Block, i: number, selfLoop: boolean, nextStart: number): string => {
    const op = d.op[i];
    if (op === BAD || op === OOB) return `R.badInsn(${i}); break run;`;
    if (op === 0x95) return exitCode;
    if (op === CALL_LOCAL) {
      return `if (depth + 1 >= ${MAX_FRAMES}) { R.msg = "insn ${i}: call stack too deep (at most ${MAX_FRAMES} frames)"; R.pc = ${i}; break run; }
{ const f = depth * 11; ${
        [6, 7, 8, 9, 10].map((r) => `frames[f + ${(r - 6) * 2}] = l${r}; frames[f + ${(r - 6) * 2 + 1}] = h${r};`)
          .join(" ")
      } frames[f + 10] = ${i + 1}; }
depth++;${mayGotoInit("depth")} l10 = ${FRAME_SIZE}; h10 = stack[depth].hi; ${zeroFrame("stack[depth]")}
b = ${d.tgt[i]}; continue run;`;
    }
    const T = d.tgt[i];
    const go = (to: number) => (selfLoop && to === blk.start ? "continue;" : `{ b = ${to}; continue run; }`);
    if (op === 0x05) {
      if (T === nextStart && !selfLoop) return "";
      return go(T);
    }
    // conditional
    const fall = blk.next === nextStart ? (selfLoop ? "break;" : "") : `{ b = ${blk.next}; continue run; }`;
    return `if (${cond(i)}) ${go(T)}\n${fall}`;
  };

  const regDecl = `let ${regs.map((r) => `l${r} = lo[${r}], h${r} = hi[${r}]`).join(", ")};`;
  // the regions of the two fast memory paths, fixed for the run: where r1 points at entry, and stack frame 0
  const fixedRegions = `const e1 = R.regionAt(h1), eHi = e1 === null ? -1 : e1.hi, eDv = e1 === null ? R.dv0 : e1.dv;
  const eLen = e1 === null || e1.len >= 0x40000000 ? 0 : e1.len, sHi = stack[0].hi, sLen = stack[0].len, sDv = stack[0].dv;`;
  const maxTokens = opts.maxFunctionTokens ?? FUNCTION_MAX_TOKENS;
  let inlined = 0; // inlined calls so far (their label suffixes)
  const size = (lines: string[]) => lines.reduce((k, line) => k + tokens(line), 0);
  // a token is at least one character: short code fits without being tokenized
  const fits = (lines: string[]) =>
    lines.reduce((k, line) => k + line.length, 0) <= maxTokens || size(lines) <= maxTokens;
  const wasm = opts.wasmEscapes;
  emit(`"use strict";
const lo = R.lo, hi = R.hi, stack = R.stack, slow = R.slow, mg = R.mg;
const frames = ${wasm ? "R.frames" : `new Int32Array(${MAX_FRAMES * 11})`};
let resumeAt = -1, resumeDepth = 0;`);
  const preciseStart = out.length;
  emitSwitchFunction(
    "precise(max, n, b, depth)",
    "",
    blocks,
    blocks,
    `R.msg = "jit: bad block id " + b; R.pc = b; break run;`,
    "return n;",
  );
  const preciseFits = fits(out.slice(preciseStart));
  if (wasm !== undefined) {
    // the wasm tier's factory: precise (in chunks if need be), the escapes, and run through R.wasm
    if (!preciseFits) {
      out.length = preciseStart;
      emitChunks();
    }
    emitEscapes(wasm);
    emit(`return function run(max) {
  R.resumeAt = -1;
  const n = R.wasm(max);
  return R.resumeAt < 0 ? n : precise(max, n, R.resumeAt, R.resumeDepth);
};`);
    return out.join("\n");
  }
  const fns = structured ? structuredFunctions(d, blocks) : null;
  if (fns !== null) {
    const fastStart = out.length;
    // the budget counts down in an int32 (one live value instead of a count and its limit); a budget over 2^31 - 1
    // hands over to precise (which counts up) once 2^31 - 1 instructions have run
    emit(`function fast(max) {
  ${regDecl}
  const budget = max < 0x7fffffff ? Math.floor(max) : 0x7fffffff;
  let left = budget, t = 0, cHi = 0, cLen = 0, cB = 0, cDv = R.dv0, cR = stack[0];
  ${fixedRegions}
  run: {`);
    emitFunction(fns, 0, "", []);
    if (fits(out.slice(fastStart))) {
      emit(`R.msg = "jit: fell off the structured program"; R.pc = 0;`);
      emit(`  }
  ${writeBack}
  return budget - left;
}
return function run(max) {
  resumeAt = -1;
  const n = fast(max);
  return resumeAt < 0 ? n : precise(max, n, resumeAt, resumeDepth);
};`);
      return out.join("\n");
    }
    // `fast` is too large for V8's optimising compiler: `precise` (calls not inlined), in chunks if need be
    out.length = fastStart;
  }
  if (!preciseFits) {
    out.length = preciseStart;
    emitChunks();
  }
  emit("return (max) => precise(max, 0, 0, 0);");
  return out.join("\n");

  /**
   * The escapes of the wasm tier (see wasm_codegen.ts): for each instruction
   * of `list`, a function `(depth) => status` running its code on the
   * register file (0: go on; 1: the run stops, `R.msg` / `R.ret0` set as the
   * other forms do; 2: return from the subprogram), dispatched by
   * `R.escape(insn, depth)`.
   */
  function emitEscapes(list: number[]): void {
    for (const i of list) {
      // only the registers the code names; no fixed regions (every access through the cache and the lookup)
      const code = body(i, "st = 1; break run;", { depth: "depth", code: "st = 2; break run;" });
      const used = regs.filter((r) => new RegExp(`\\b[lh]${r}\\b`).test(code));
      emit(`function x${i}(depth) {
  ${used.length ? `let ${used.map((r) => `l${r} = lo[${r}], h${r} = hi[${r}]`).join(", ")};` : ""}
  let t = 0, cHi = 0, cLen = 0, cB = 0, cDv = R.dv0, cR = stack[0], st = 0;
  const eHi = -1, eLen = 0, eDv = R.dv0, sHi = -1, sLen = 0, sDv = R.dv0;
  run: {
${code}
  }
  ${used.map((r) => `lo[${r}] = l${r}; hi[${r}] = h${r};`).join(" ")}
  return st;
}`);
    }
    emit(`const escapes = [];
${list.map((i) => `escapes[${i}] = x${i};`).join("\n")}
R.escape = (i, depth) => escapes[i](depth);`);
  }

  /**
   * `precise` split into chunk functions of at most about 70 % of
   * `maxTokens` each (blocks cut at {@link CHUNK_BLOCK_INSNS} instructions),
   * so that V8 optimises every one: each chunk is the `switch` over some
   * blocks, or over some checked twins, reloading the registers on entry and
   * writing them back when control leaves it; `precise` dispatches.
   */
  function emitChunks(): void {
    const cut = basicBlocks(d, CHUNK_BLOCK_INSNS);
    const limit = maxTokens * 0.7;
    // the blocks in chunks of their own, the checked twins (cold: entered when the budget runs out) in others
    const group = (emitOne: (blk: Block) => void): Block[][] => {
      const groups: Block[][] = [];
      let cur: Block[] = [], total = 0;
      for (const blk of cut) {
        const mark = out.length;
        emitOne(blk);
        const k = size(out.splice(mark));
        if (cur.length > 0 && total + k > limit) groups.push(cur), cur = [], total = 0;
        cur.push(blk);
        total += k;
      }
      if (cur.length > 0) groups.push(cur);
      return groups;
    };
    const main = group((blk) => emitSwitch([blk])), twins = group(emitTwin);
    const chunkOf = new Int32Array(2 * d.total).fill(-1); // block id (twin: SLOW + leader) → chunk
    const chunks = [
      ...main.map((c) => ({ cases: c, twins: [] as Block[] })),
      ...twins.map((c) => ({ cases: [], twins: c })),
    ];
    chunks.forEach((c, k) => {
      for (const blk of c.cases) chunkOf[blk.start] = k;
      for (const blk of c.twins) chunkOf[SLOW + blk.start] = k;
      emitSwitchFunction(
        `chunk${k}(max)`,
        "let n = cn, b = cb, depth = cdepth;",
        c.cases,
        c.twins,
        `${writeBack} cn = n; cb = b; cdepth = depth; return true;`,
        "cn = n;\n  return false;",
      );
    });
    emit(`const chunkOf = new Int32Array([${chunkOf.join(",")}]);
const chunks = [${chunks.map((_, k) => `chunk${k}`).join(", ")}];
let cn = 0, cb = 0, cdepth = 0;
function precise(max, n, b, depth) {
  cn = n, cb = b, cdepth = depth;
  for (;;) {
    const k = cb >= 0 && cb < chunkOf.length ? chunkOf[cb] : -1;
    if (k < 0) { R.msg = "jit: bad block id " + cb; R.pc = cb; break; }
    if (!chunks[k](max)) break;
  }
  return cn;
}`);
  }

  /**
   * A function `signature` that runs the blocks of `list` and the checked
   * twins of `twins` over register locals: `prologue`, the `switch` with
   * `dflt` as its default case, then (once the run is over) the write-back
   * and `epilogue`.
   */
  function emitSwitchFunction(
    signature: string,
    prologue: string,
    list: Block[],
    twins: Block[],
    dflt: string,
    epilogue: string,
  ): void {
    emit(`function ${signature} {${prologue ? `\n  ${prologue}` : ""}
  ${regDecl}
  let t = 0, cHi = 0, cLen = 0, cB = 0, cDv = R.dv0, cR = stack[0];
  ${fixedRegions}
  run: for (;;) {
    switch (b) {`);
    emitSwitch(list);
    for (const blk of twins) emitTwin(blk);
    emit(`default: ${dflt}
    }
  }
  ${writeBack}
  ${epilogue}
}`);
  }

  /** The checked twin of `blk` (case `SLOW + start`): a budget check per instruction, ending in the limit fault. */
  function emitTwin(blk: Block): void {
    emit(`case ${SLOW + blk.start}: {`);
    const L = blk.insns.length;
    for (let j = 0; j < L; j++) {
      const i = blk.insns[j];
      emit(`if (++n > max) { n--; R.limit(${i}); break run; }`);
      if (j < L - 1 || !isTerminator(d.op[i])) emit(body(i, `R.pc = ${i}; break run;`, switchRet("")));
    }
    emit(`R.msg = "jit: budget twin of block ${blk.start} ran past its end"; R.pc = ${blk.start}; break run; }`);
  }

  /**
   * Structured block code (count and body, without the terminator). At a
   * check point (`ahead` ≥ 0) the budget must cover the `ahead`
   * instructions that can run before the next check point, or control moves
   * to the precise copy of this block.
   */
  function blockBody(blk: Block, ahead: number, chain: readonly CallLevel[]): void {
    const L = blk.insns.length;
    const endsWithTerm = isTerminator(d.op[blk.insns[L - 1]]);
    // the hand-over to precise: inside inlined calls, the frames of the calls in progress first
    const frameWrites = chain.map((c, j) =>
      regs.slice(6).map((r, q) =>
        `frames[${j * 11 + q * 2}] = ${c.saved}l${r}; frames[${j * 11 + q * 2 + 1}] = ${c.saved}h${r};`
      )
        .join(" ") + ` frames[${j * 11 + 10}] = ${c.ret};`
    ).join(" ");
    const handOver = `left += ${L}; ${frameWrites}${
      frameWrites ? " " : ""
    }resumeAt = ${blk.start}; resumeDepth = ${chain.length}; break run;`;
    if (ahead >= 0) emit(`if ((left = (left - ${L}) | 0) < ${Math.max(0, ahead - L)}) { ${handOver} }`);
    else emit(`left = (left - ${L}) | 0;`);
    const callee = chain.length === 0 ? null : chain[chain.length - 1];
    emitInsns(
      blk,
      endsWithTerm ? L - 1 : L,
      "left +=",
      callee ? (give) => ({ depth: String(chain.length), code: `${give}break C${callee.suffix};` }) : undefined,
    );
  }

  /**
   * The first `count` instructions of `blk`, counted as a whole block (a
   * fault at the j-th gives back the `L - j - 1` it did not run: `giveBack`
   * is `n -=` in `precise`, `left +=` in `fast`), behind the block's guard
   * when it has one: the guarded copy, else the checked one. `ret` makes
   * {@link body}'s return from a subprogram from the give-back statement.
   */
  function emitInsns(
    blk: Block,
    count: number,
    giveBack = "n -=",
    ret?: (give: string) => { depth: string; code: string },
  ): void {
    const L = blk.insns.length;
    const give = (j: number) => (L - j - 1 ? `${giveBack} ${L - j - 1}; ` : "");
    const stop = (j: number) => `${give(j)}R.pc = ${blk.insns[j]}; break run;`;
    const retAt = (j: number) => ret?.(give(j));
    const g = guardOf(blk, count);
    if (g !== null) {
      emit(`if (${g.test}) {`);
      for (let j = 0; j < count; j++) emit(guardedBody(blk.insns[j], g, stop(j), retAt(j)));
      emit("} else {");
    }
    for (let j = 0; j < count; j++) emit(body(blk.insns[j], stop(j), retAt(j)));
    if (g !== null) emit("}");
  }

  /**
   * Emit function `start` with labeled loops and blocks (see
   * {@link structure}); local calls are inlined: the callee's body in a
   * labeled block `C<suffix>` whose exits break out of it, between a save of
   * r6..r10 (then a fresh stack frame) and their restore, as the `switch`
   * form's call and exit do.
   */
  function emitFunction(
    fns: Map<number, StructuredFn>,
    start: number,
    suffix: string,
    chain: readonly CallLevel[],
  ): void {
    const fn = fns.get(start)!, fb = fn.blocks, pos = fn.pos, k = fb.length;
    const opening = new Map<number, CodeRegion[]>();
    for (const r of fn.regions) {
      const list = opening.get(r.start) ?? [];
      list.push(r);
      opening.set(r.start, list);
    }
    for (const list of opening.values()) list.sort((a, b) => b.end - a.end || (a.loop ? -1 : 1));
    const label = (r: CodeRegion) => (r.loop ? `L${fb[r.start].start}${suffix}` : `F${fb[r.end].start}${suffix}`);
    const open: CodeRegion[] = [];
    const close = (p: number) => {
      while (open.length > 0 && open[open.length - 1].end === p) {
        const r = open.pop()!;
        emit(r.loop ? `break ${label(r)}; }` : "}");
      }
      if (open.some((r) => r.end === p)) throw new Error("jit: structured regions do not nest");
    };
    const exit = chain.length === 0 ? "break run;" : `break C${suffix};`;
    for (let i = 0; i < k; i++) {
      close(i);
      for (const r of opening.get(i) ?? []) {
        open.push(r);
        emit(r.loop ? `${label(r)}: for (;;) {` : `${label(r)}: {`);
      }
      const blk = fb[i];
      const go = (toInsn: number): string => {
        const t = pos.get(toInsn)!;
        if (t === i + 1) return "";
        return t <= i ? `continue L${toInsn}${suffix};` : `break F${toInsn}${suffix};`;
      };
      emit(`// block ${blk.start}`);
      blockBody(blk, fn.ahead[i], chain);
      const last = blk.insns[blk.insns.length - 1], op = d.op[last];
      if (op === BAD || op === OOB) emit(`R.badInsn(${last}); break run;`);
      else if (op === 0x95) emit(exit);
      else if (op === 0x05) emit(go(d.tgt[last]));
      else if (op === CALL_LOCAL) {
        const depth = chain.length + 1, id = `_${++inlined}`, saved = `s${id}`;
        emit(`{ const ${regs.slice(6).map((r) => `${saved}l${r} = l${r}, ${saved}h${r} = h${r}`).join(", ")};`);
        // the new frame is zeroed, from the lowest offset written since it last was (see Region.low)
        emit(
          `${mayGotoInit(String(depth))} l10 = ${FRAME_SIZE}; h10 = stack[${depth}].hi; ${
            zeroFrame(`stack[${depth}]`)
          }`,
        );
        emit(`C${id}: {`);
        emitFunction(fns, d.tgt[last], id, [...chain, { saved, suffix: id, ret: blk.next }]);
        emit("}");
        emit(`${regs.slice(6).map((r) => `l${r} = ${saved}l${r}; h${r} = ${saved}h${r};`).join(" ")} }`);
        emit(go(blk.next));
      } else if (isJump(op)) {
        const g = go(d.tgt[last]);
        if (g !== "") emit(`if (${cond(last, String(chain.length))}) ${g}`);
        else if (op === MAY_GOTO) emit(`${cond(last, String(chain.length))};`); // both ways lead on: count down all the same
        emit(go(blk.next));
      } else if (blk.next !== -1) emit(go(blk.next));
    }
    close(k);
    if (open.length !== 0) throw new Error("jit: structured regions left open");
  }

  /**
   * The blocks of `list` as `case`s of the dispatch `switch`, each with its
   * own budget check (the function `precise`, or one of its chunks): the
   * whole program when it has local calls or irreducible flow, else the
   * precise copy of the structured program that runs once the budget is
   * about to run out. A block falls through only into the next of `list`.
   */
  function emitSwitch(list: Block[]): void {
    for (let bi = 0; bi < list.length; bi++) {
      const blk = list[bi];
      const L = blk.insns.length;
      const nextStart = bi + 1 < list.length ? list[bi + 1].start : -1;
      const last = blk.insns[L - 1];
      const lastOp = d.op[last];
      const endsWithTerm = isTerminator(lastOp);
      const selfLoop = endsWithTerm && isJump(lastOp) && d.tgt[last] === blk.start;
      emit(`case ${blk.start}: ${selfLoop ? "for (;;) " : ""}{`);
      emit(`if ((n += ${L}) > max) { n -= ${L}; b = ${SLOW + blk.start}; continue run; }`);
      emitInsns(blk, endsWithTerm ? L - 1 : L, "n -=", switchRet);
      if (endsWithTerm) emit(terminator(blk, last, selfLoop, nextStart));
      else if (blk.next !== nextStart) emit(`b = ${blk.next}; continue run;`);
      emit("}");
    }
  }
}
