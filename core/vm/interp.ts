/**
 * The eBPF interpreter: the whole RFC 9669 instruction set with the current
 * kernel's semantics, plus a `linux-3.18` profile.
 *
 * Design (measured, see BENCHMARKS.md):
 * - the program is pre-decoded once into structure-of-arrays typed arrays
 *   (internal opcode, dst, src slot, offset, jump target); K-form operands
 *   are stored in per-instruction constant "registers" so K and X forms share
 *   one code path;
 * - registers are 64-bit values held as hi/lo 32-bit halves in two
 *   `Int32Array`s (BigInt registers were ~10x slower; see BENCHMARKS.md);
 *   nothing is allocated per instruction; 64-bit multiply uses 16-bit limbs,
 *   64-bit div/mod with operands ≥ 2^32 use a BigInt slow path;
 * - a dense `switch` on the internal opcode;
 * - every load/store is bounds-checked against the region its address names
 *   (see `memory.ts` for the address layout) with a one-entry cache of the
 *   last region hit.
 *
 * ## Profiles
 * - `modern` (default): div by zero gives 0, mod by zero leaves dst
 *   unchanged (32-bit: its low 32 bits, zero-extended), `INT_MIN s/ -1 =
 *   INT_MIN`, shift counts masked, r0 returned as 64 bits.
 * - `linux-3.18`: div/mod by zero ends the program with return value 0 (a
 *   divisor whose low 32 bits are zero does the same, where the 3.18 kernel
 *   would have hit a divide error); ALU64 div/mod use the low 32 bits of the
 *   divisor (unsigned); r0 is truncated to 32 bits as the return value; the
 *   test stub helper 0 exists.
 *
 * `may_goto` runs as the kernel's fixup makes it run: each call of a
 * function (the main program included) starts a budget of
 * {@link BPF_MAX_LOOPS}; a may_goto falls through, counting it down, while it
 * is above 0 and jumps once it is 0 (the kernel's x86-64 JIT refreshes it by
 * time instead: see the README).
 *
 * Faults (bad memory access, unknown opcode, unknown helper, jump out of
 * range, call depth, instruction limit) stop the program and are reported in
 * {@link RunResult.fault}; the interpreter never throws for a bad program.
 *
 * @module
 */
import type { Program } from "../isa/mod.ts";
import type { BpfMap, TailCallTarget } from "../maps/mod.ts";

import { ATOMIC32, ATOMIC64, BPF_MAX_LOOPS, CONST_BASE, CTX_LDXW, predecode, SDIV32, SDIV64 } from "./decode.ts";
export { BPF_MAX_LOOPS } from "./decode.ts";
import { HelperFault, HelperRuntime, TAIL_CALL } from "./runtime.ts";
import { ctxConvertedFields, type ProgContext } from "./context.ts";
import { defaultHelpers, type HelperEnv, type HelperFn, type HelperTable } from "./helpers.ts";
import {
  AddressSpace,
  type BoundInput,
  FRAME_SIZE,
  hex64,
  mapProgramRegions,
  MAX_FRAMES,
  type ProgramRegions,
  type Region,
  u64Of,
} from "./memory.ts";

/** Which kernel's run-time semantics to follow. */
export type VmProfile = "modern" | "linux-3.18";

/** Options fixed when a program is prepared for running. */
export interface InterpreterOptions {
  /** Semantics profile (default `modern`). */
  profile?: VmProfile;
  /** Resolve the map fd of a `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE` load. */
  resolveMap?: (fd: number) => BpfMap | undefined;
  /** Helper table (default {@link defaultHelpers} of the profile). */
  helpers?: HelperTable;
  /**
   * The program type (see `PROG_TYPES`): for `xdp`, `sched_cls` and
   * `sched_act`, 4-byte loads of the ctx's `data`/`data_end`/`data_meta`
   * give packet pointers when a {@link RunInput.context} is bound (see
   * core/vm/context.ts). Default: none.
   */
  progType?: number;
}

/** Entry-point input. */
export interface RunInput {
  /** The ctx buffer: r1 = its address (copied; see {@link RunResult.ctxOut}). */
  ctx?: Uint8Array;
  /**
   * Packet data (socket-filter style): LD_ABS/LD_IND read it big-endian,
   * r1 = the ctx (a zeroed 192-byte `__sk_buff` with `len` set when no ctx is given).
   */
  data?: Uint8Array;
  /** Raw memory buffer (the bench convention): r1 = its address, r2 = its length. */
  mem?: Uint8Array;
  /**
   * A packet program's ctx and packet, mapped without copying (instead of
   * `ctx`/`data`/`mem`): r1 = its ctx; what the run leaves there stays for
   * the caller (see core/vm/context.ts; the test runner builds them).
   */
  context?: ProgContext;
}

/** Per-run options. */
export interface RunOptions {
  /** Maximum executed instructions (default 1e9). */
  maxInsns?: number;
  /** Seed of get_prandom_u32 (default 1). */
  seed?: number;
  /** Clock of ktime_get_ns (default: performance.now() in ns). */
  clock?: () => bigint;
  /** Return all registers at exit. */
  regs?: boolean;
  /** The simulated CPU the run is on (`get_smp_processor_id`, per-CPU map values, LRU lists; default 0). */
  cpu?: number;
  /**
   * The may_goto budget each call of a function starts with (default
   * {@link BPF_MAX_LOOPS}, the kernel's); tests set it low to reach the jump.
   */
  mayGotoBudget?: number;
  /** Tail calls already made by the chain this run continues (the limit is 33 per chain; default 0). */
  tailCalls?: number;
  /**
   * Run the target of a `bpf_tail_call` made in a subprogram to its end
   * (its own tail calls included) on `input`, with `tailCalls` tail calls
   * made, this one counted: its r0 becomes the subprogram's return value,
   * as the kernel's JIT runs the target in place of the subprogram and
   * returns from it into the subprogram's caller. Without it such a tail
   * call ends the run like one from the main program
   * ({@link RunResult.tailCall}). core/testrun's chains provide it.
   */
  subprogTailCall?: (target: TailCallTarget, input: RunInput, tailCalls: number) => RunResult;
}

/** The may_goto budget of a run: {@link RunOptions.mayGotoBudget} as an int32 in [0, 2^31 - 1], else BPF_MAX_LOOPS. */
export function mayGotoBudget(opts: RunOptions): number {
  const b = opts.mayGotoBudget;
  return b === undefined || !(b >= 0) ? BPF_MAX_LOOPS : Math.min(Math.floor(b), 0x7fffffff);
}

/** A fault that stopped the program. */
export interface Fault {
  /** The message, naming the instruction index. */
  message: string;
  /** The instruction index. */
  pc: number;
}

/** The result of one run. */
export interface RunResult {
  /** The return value: r0 as an unsigned 64-bit value (3.18: truncated to 32 bits); 0 after a fault. */
  r0: bigint;
  /** Instructions executed (an LD_IMM64 counts once; the faulting instruction counts). */
  insnsExecuted: number;
  /** r0..r10 at exit (with `regs: true`). */
  regs?: bigint[];
  /** Helper output lines (trace_printk). */
  output: string[];
  /** null, or why the program stopped. */
  fault: Fault | null;
  /** The maps the program references, by index. */
  maps: BpfMap[];
  /** The ctx after the run (if one was given). */
  ctxOut?: Uint8Array;
  /** The packet after the run (if one was given). */
  dataOut?: Uint8Array;
  /** The memory buffer after the run (if one was given). */
  memOut?: Uint8Array;
  /**
   * The program a successful `bpf_tail_call` jumps to: the run ended at
   * that call (no fault) and the caller continues the chain with that
   * program on the same context (see core/testrun).
   */
  tailCall?: TailCallTarget;
  /** The chain's tail-call count when the run ended (`RunOptions.tailCalls`, plus those made from subprograms). */
  tailCalls?: number;
}

// internal opcodes and operand slots: see ./decode.ts; BRK marks a breakpoint while a session runs to it
const BRK = 0x1f2;

// set by a static block of Interpreter: how a VmSession reaches the run state
let accessOf: (it: Interpreter) => VmAccess;

function mulhiu(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** A program decoded for the interpreter, with its maps bound. Run it any number of times. */
export class Interpreter {
  /** The program. */
  readonly prog: Program;
  /** The semantics profile. */
  readonly profile: VmProfile;
  /** Maps referenced by the program, by index (map pointer k = map k). */
  readonly maps: BpfMap[];
  readonly #op: Uint16Array;
  readonly #dst: Uint8Array;
  readonly #src: Int32Array;
  readonly #off: Int32Array;
  readonly #tgt: Int32Array;
  readonly #lo: Int32Array;
  readonly #hi: Int32Array;
  readonly #helpers: Array<HelperFn | null>;
  readonly #tailCallAt: Uint8Array;
  readonly #helperTable: HelperTable;
  readonly #bad: Map<number, string>;
  readonly #space = new AddressSpace();
  readonly #rg: ProgramRegions;
  // the saved r6..r9, r10 and return pc of each call frame: one array for every run, since one run at a time is live
  readonly #frames = new Int32Array(MAX_FRAMES * 11);
  /** The may_goto budget of each frame in progress (the kernel's hidden stack slot; see {@link BPF_MAX_LOOPS}). */
  readonly #mayGoto = new Int32Array(MAX_FRAMES);
  // per-run state used by helpers
  #rt: HelperRuntime;
  #env: HelperEnv;
  #gen = 0;

  /** Decode `prog` (after map fd fixups) for running. Never throws for a bad program: bad instructions fault when executed. */
  constructor(prog: Program, opts: InterpreterOptions = {}) {
    this.prog = prog;
    this.profile = opts.profile ?? "modern";
    this.#helperTable = opts.helpers ?? defaultHelpers(this.profile, opts.progType);
    const d = predecode(prog, this.#helperTable, opts.resolveMap, ctxConvertedFields(opts.progType));
    this.#op = d.op;
    this.#dst = d.dst;
    this.#src = d.src;
    this.#off = d.off;
    this.#tgt = d.tgt;
    // register slots 0..10, then the constant operand of insn i at CONST_BASE + i
    this.#lo = new Int32Array(CONST_BASE + d.clo.length);
    this.#hi = new Int32Array(CONST_BASE + d.chi.length);
    this.#lo.set(d.clo, CONST_BASE);
    this.#hi.set(d.chi, CONST_BASE);
    this.#helpers = d.helpers;
    this.#tailCallAt = d.tailCallAt;
    this.#bad = d.bad;
    this.maps = d.maps;
    this.#rg = mapProgramRegions(this.#space, this.maps);
    this.#rt = new HelperRuntime(this.#lo, this.#hi, this.#space, this.maps);
    this.#env = this.#rt.env;
  }

  /** Run the program once. */
  run(input: RunInput = {}, opts: RunOptions = {}): RunResult {
    const st = this.#begin(input, opts);
    this.#advance(st, Infinity);
    return this.#result(st);
  }

  /**
   * Start a run that is executed in steps (a debugger): the returned
   * {@link VmSession} runs the same loop as {@link Interpreter.run}, paused
   * after a number of instructions or at breakpoints, with the same results.
   * Starting another run or session on this interpreter invalidates it.
   * Like a run, the session is one RCU read-side critical section over the
   * program's maps, from its first step until it ends (or is invalidated):
   * hash values freed meanwhile, by the program or by map API calls between
   * steps, are not reused before then.
   */
  start(input: RunInput = {}, opts: RunOptions = {}): VmSession {
    return new Session(this, this.#begin(input, opts));
  }

  #begin(input: RunInput, opts: RunOptions): LoopState {
    const maxInsns = opts.maxInsns ?? 1e9;
    this.#gen++;
    this.#rt.rcuReadUnlock(); // a paused run that this one supersedes ends here
    for (const r of this.#rg.stack) r.u8.fill(0);
    const budget = mayGotoBudget(opts);
    this.#mayGoto[0] = budget; // the main program's prologue
    const bound = this.#rt.beginRun(this.#rg, input, opts);
    return {
      gen: this.#gen,
      maxInsns,
      pc: 0,
      n: 0,
      depth: 0,
      frames: this.#frames,
      mayGoto: this.#mayGoto,
      mayGotoBudget: budget,
      done: false,
      closed: false,
      fault: null,
      ret0: false,
      regs: opts.regs ?? false,
      bound,
    };
  }

  /** Run `st` until `stopAt` executed instructions, a breakpoint or the end. */
  #advance(st: LoopState, stopAt: number): void {
    if (st.gen !== this.#gen) throw new Error("this VM session was superseded by another run of the interpreter");
    if (st.closed) throw new Error("this VM session was closed");
    if (st.done) return;
    // the run is one RCU read-side critical section over its maps, held across a session's pauses: freed map
    // values are not reused until it ends (exit, fault, instruction limit, an exception, or a superseding run)
    this.#rt.rcuReadLock();
    let threw = true;
    try {
      this.#loop(st.maxInsns, stopAt, st);
      threw = false;
    } finally {
      if (threw || st.done) this.#rt.rcuReadUnlock();
    }
  }

  /** End a paused run early: its RCU read-side critical section ends (see {@link VmSession.close}). */
  #close(st: LoopState): void {
    if (st.closed || st.done) return;
    st.closed = true;
    if (st.gen === this.#gen) this.#rt.rcuReadUnlock();
  }

  #result(st: LoopState): RunResult {
    return this.#rt.runResult(st.n, st.fault, st.ret0, this.profile === "linux-3.18", st.regs, st.bound);
  }

  static {
    accessOf = (it: Interpreter): VmAccess => ({
      advance: (st, stopAt) => it.#advance(st, stopAt),
      close: (st) => it.#close(st),
      result: (st) => it.#result(st),
      gen: () => it.#gen,
      lo: it.#lo,
      hi: it.#hi,
      stack: (f) => it.#rg.stack[f].u8!,
      output: () => it.#rt.output,
      op: it.#op,
    });
  }

  #loop(maxInsns: number, stopAt: number, st: LoopState): void {
    const OP = this.#op, D = this.#dst, S = this.#src, OFF = this.#off, T = this.#tgt;
    const lo = this.#lo, hi = this.#hi, space = this.#space;
    const legacy = this.profile === "linux-3.18";
    const rt = this.#rt, ctxHi = this.#rg.ctx.hi, pktHi = this.#rg.packet.hi;
    const frames = st.frames, mayGoto = st.mayGoto;
    let depth = st.depth;
    let pc = st.pc;
    let n = st.n;
    const limit = stopAt < maxInsns ? stopAt : maxInsns;
    // the count runs down in an int32 chunk of at most 2^31 - 1 instructions (cheaper than comparing a growing
    // count with the limit at every instruction): this loop has executed `chunk - left` since `n` was last updated
    // (a limit that is not an integer counts as the integer below it; NaN as no limit, as `++n > NaN` never holds)
    const room = (): number => {
      const r = Math.floor(limit - n);
      return r >= 0x7fffffff || r !== r ? 0x7fffffff : r < 0 ? 0 : r;
    };
    let chunk = room(), left = chunk;
    let paused = false;
    let cHi = 0, cLen = 0, cB = 0; // the cached region: hi word, length, base in its view
    let cDv = this.#rg.stack[0].dv;
    let faultMsg: string | null = null;
    let ret0 = false;
    // resolve an address that missed the cache: returns the offset or -1 (faultMsg set)
    let rHit: Region | null = null;
    const slow = (ah: number, t: number, size: number, write: boolean, at: number): number => {
      const o = space.resolve(ah, t, size, write, at);
      rHit = space.hit;
      if (o < 0) faultMsg = space.fault;
      return o;
    };
    run: for (;;) {
      if ((left = (left - 1) | 0) < 0) {
        n += chunk; // this instruction is not executed yet
        left = chunk = room();
        if (left-- === 0) {
          left = 0;
          if (n < Math.floor(maxInsns)) {
            paused = true; // a session's stop count: resume later from here
            break;
          }
          faultMsg = `insn ${pc}: instruction limit of ${maxInsns} executed instructions reached`;
          break;
        }
      }
      switch (OP[pc]) {
        // ---------------- ALU64 (K forms read the constant slot) ----------------
        case 0x0f: { // add
          const d = D[pc], s = S[pc], al = lo[d], bl = lo[s];
          const r = (al + bl) | 0;
          hi[d] = (hi[d] + hi[s] + Number((r >>> 0) < (al >>> 0))) | 0;
          lo[d] = r;
          pc++;
          continue;
        }
        case 0x1f: { // sub
          const d = D[pc], s = S[pc], al = lo[d], bl = lo[s];
          hi[d] = (hi[d] - hi[s] - Number((al >>> 0) < (bl >>> 0))) | 0;
          lo[d] = (al - bl) | 0;
          pc++;
          continue;
        }
        case 0x2f: { // mul
          const d = D[pc], s = S[pc], al = lo[d], bl = lo[s];
          hi[d] = (mulhiu(al, bl) + Math.imul(al, hi[s]) + Math.imul(hi[d], bl)) | 0;
          lo[d] = Math.imul(al, bl);
          pc++;
          continue;
        }
        case 0x3f: // div
        case 0x9f: { // mod
          const d = D[pc], s = S[pc], isDiv = OP[pc] === 0x3f;
          if (legacy) {
            if ((lo[s] | hi[s]) === 0 || lo[s] === 0) {
              ret0 = true;
              break run;
            }
            const a = u64Of(hi[d], lo[d]), b = BigInt(lo[s] >>> 0);
            const r = isDiv ? a / b : a % b;
            lo[d] = Number(r & 0xffffffffn) | 0;
            hi[d] = Number(r >> 32n) | 0;
          } else if ((lo[s] | hi[s]) === 0) {
            if (isDiv) lo[d] = hi[d] = 0;
          } else if (hi[d] === 0 && hi[s] === 0) {
            const a = lo[d] >>> 0, b = lo[s] >>> 0;
            lo[d] = isDiv ? (a / b) >>> 0 : a % b;
          } else {
            const a = u64Of(hi[d], lo[d]), b = u64Of(hi[s], lo[s]);
            const r = isDiv ? a / b : a % b;
            lo[d] = Number(r & 0xffffffffn) | 0;
            hi[d] = Number(r >> 32n) | 0;
          }
          pc++;
          continue;
        }
        case 0x102: // SDIV64
        case 0x103: { // SMOD64
          const d = D[pc], s = S[pc], isDiv = OP[pc] === SDIV64;
          if ((lo[s] | hi[s]) === 0) {
            if (isDiv) lo[d] = hi[d] = 0;
          } else {
            const a = BigInt.asIntN(64, u64Of(hi[d], lo[d])), b = BigInt.asIntN(64, u64Of(hi[s], lo[s]));
            const r = BigInt.asUintN(64, isDiv ? a / b : a % b);
            lo[d] = Number(r & 0xffffffffn) | 0;
            hi[d] = Number(r >> 32n) | 0;
          }
          pc++;
          continue;
        }
        case 0x4f: { // or
          const d = D[pc], s = S[pc];
          lo[d] |= lo[s];
          hi[d] |= hi[s];
          pc++;
          continue;
        }
        case 0x5f: { // and
          const d = D[pc], s = S[pc];
          lo[d] &= lo[s];
          hi[d] &= hi[s];
          pc++;
          continue;
        }
        case 0xaf: { // xor
          const d = D[pc], s = S[pc];
          lo[d] ^= lo[s];
          hi[d] ^= hi[s];
          pc++;
          continue;
        }
        case 0x6f: { // lsh
          const d = D[pc], c = lo[S[pc]] & 63;
          if (c >= 32) {
            hi[d] = lo[d] << (c - 32);
            lo[d] = 0;
          } else if (c !== 0) {
            hi[d] = (hi[d] << c) | (lo[d] >>> (32 - c));
            lo[d] = lo[d] << c;
          }
          pc++;
          continue;
        }
        case 0x7f: { // rsh
          const d = D[pc], c = lo[S[pc]] & 63;
          if (c >= 32) {
            lo[d] = hi[d] >>> (c - 32);
            hi[d] = 0;
          } else if (c !== 0) {
            lo[d] = (lo[d] >>> c) | (hi[d] << (32 - c));
            hi[d] = hi[d] >>> c;
          }
          pc++;
          continue;
        }
        case 0xcf: { // arsh
          const d = D[pc], c = lo[S[pc]] & 63;
          if (c >= 32) {
            lo[d] = hi[d] >> (c - 32);
            hi[d] = hi[d] >> 31;
          } else if (c !== 0) {
            lo[d] = (lo[d] >>> c) | (hi[d] << (32 - c));
            hi[d] = hi[d] >> c;
          }
          pc++;
          continue;
        }
        case 0x87: { // neg
          const d = D[pc], l = lo[d];
          lo[d] = -l | 0;
          hi[d] = (~hi[d] + Number(l === 0)) | 0;
          pc++;
          continue;
        }
        case 0xbf: { // mov
          const d = D[pc], s = S[pc];
          lo[d] = lo[s];
          hi[d] = hi[s];
          pc++;
          continue;
        }
        case 0x10a: { // MOVSX64_8
          const d = D[pc], v = (lo[S[pc]] << 24) >> 24;
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          continue;
        }
        case 0x10b: { // MOVSX64_16
          const d = D[pc], v = (lo[S[pc]] << 16) >> 16;
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          continue;
        }
        case 0x10c: { // MOVSX64_32
          const d = D[pc], v = lo[S[pc]];
          lo[d] = v;
          hi[d] = v >> 31;
          pc++;
          continue;
        }
        // ---------------- ALU32: low halves, zero-extended ----------------
        case 0x0c: {
          const d = D[pc];
          lo[d] = (lo[d] + lo[S[pc]]) | 0;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x1c: {
          const d = D[pc];
          lo[d] = (lo[d] - lo[S[pc]]) | 0;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x2c: {
          const d = D[pc];
          lo[d] = Math.imul(lo[d], lo[S[pc]]);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x3c: // div32
        case 0x9c: { // mod32
          const d = D[pc], b = lo[S[pc]] >>> 0, a = lo[d] >>> 0;
          if (b === 0) {
            if (legacy) {
              ret0 = true;
              break run;
            }
            if (OP[pc] === 0x3c) lo[d] = 0;
          } else lo[d] = OP[pc] === 0x3c ? (a / b) >>> 0 : a % b;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x100: // SDIV32
        case 0x101: { // SMOD32
          const d = D[pc], b = lo[S[pc]], a = lo[d];
          if (b === 0) {
            if (OP[pc] === SDIV32) lo[d] = 0;
          } else lo[d] = OP[pc] === SDIV32 ? (a / b) | 0 : (a % b) | 0;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x4c: {
          const d = D[pc];
          lo[d] |= lo[S[pc]];
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x5c: {
          const d = D[pc];
          lo[d] &= lo[S[pc]];
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0xac: {
          const d = D[pc];
          lo[d] ^= lo[S[pc]];
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x6c: {
          const d = D[pc];
          lo[d] = lo[d] << (lo[S[pc]] & 31);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x7c: {
          const d = D[pc];
          lo[d] = lo[d] >>> (lo[S[pc]] & 31);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0xcc: {
          const d = D[pc];
          lo[d] = lo[d] >> (lo[S[pc]] & 31);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x84: {
          const d = D[pc];
          lo[d] = -lo[d] | 0;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0xbc: {
          const d = D[pc];
          lo[d] = lo[S[pc]];
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x108: { // MOVSX32_8
          const d = D[pc];
          lo[d] = (lo[S[pc]] << 24) >> 24;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x109: { // MOVSX32_16
          const d = D[pc];
          lo[d] = (lo[S[pc]] << 16) >> 16;
          hi[d] = 0;
          pc++;
          continue;
        }
        // ---------------- byte swaps ----------------
        case 0x110: { // LE16
          const d = D[pc];
          lo[d] &= 0xffff;
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x111: // LE32
          hi[D[pc]] = 0;
          pc++;
          continue;
        case 0x112: // LE64
          pc++;
          continue;
        case 0x113: { // BE16
          const d = D[pc], v = lo[d];
          lo[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x114: { // BE32
          const d = D[pc];
          lo[d] = bswap32(lo[d]);
          hi[d] = 0;
          pc++;
          continue;
        }
        case 0x115: { // BE64
          const d = D[pc], l = lo[d];
          lo[d] = bswap32(hi[d]);
          hi[d] = bswap32(l);
          pc++;
          continue;
        }
        // ---------------- LD_IMM64 (constant or map pointer) ----------------
        case 0x18: {
          const d = D[pc], s = S[pc];
          lo[d] = lo[s];
          hi[d] = hi[s];
          pc += 2;
          continue;
        }
        // ---------------- jumps ----------------
        case 0x05:
          pc = T[pc];
          continue;
        case 0x1d: {
          const d = D[pc], s = S[pc];
          pc = lo[d] === lo[s] && hi[d] === hi[s] ? T[pc] : pc + 1;
          continue;
        }
        case 0x5d: {
          const d = D[pc], s = S[pc];
          pc = lo[d] !== lo[s] || hi[d] !== hi[s] ? T[pc] : pc + 1;
          continue;
        }
        case 0x4d: {
          const d = D[pc], s = S[pc];
          pc = ((lo[d] & lo[s]) | (hi[d] & hi[s])) !== 0 ? T[pc] : pc + 1;
          continue;
        }
        case 0x2d: { // jgt
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? (a >>> 0) > (b >>> 0) : (lo[d] >>> 0) > (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0x3d: { // jge
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? (a >>> 0) > (b >>> 0) : (lo[d] >>> 0) >= (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0xad: { // jlt
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? (a >>> 0) < (b >>> 0) : (lo[d] >>> 0) < (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0xbd: { // jle
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? (a >>> 0) < (b >>> 0) : (lo[d] >>> 0) <= (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0x6d: { // jsgt
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? a > b : (lo[d] >>> 0) > (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0x7d: { // jsge
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? a > b : (lo[d] >>> 0) >= (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0xcd: { // jslt
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? a < b : (lo[d] >>> 0) < (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        case 0xdd: { // jsle
          const d = D[pc], s = S[pc], a = hi[d], b = hi[s];
          pc = (a !== b ? a < b : (lo[d] >>> 0) <= (lo[s] >>> 0)) ? T[pc] : pc + 1;
          continue;
        }
        // JMP32: low halves
        case 0x1e:
          pc = lo[D[pc]] === lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0x5e:
          pc = lo[D[pc]] !== lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0x4e:
          pc = (lo[D[pc]] & lo[S[pc]]) !== 0 ? T[pc] : pc + 1;
          continue;
        case 0x2e:
          pc = (lo[D[pc]] >>> 0) > (lo[S[pc]] >>> 0) ? T[pc] : pc + 1;
          continue;
        case 0x3e:
          pc = (lo[D[pc]] >>> 0) >= (lo[S[pc]] >>> 0) ? T[pc] : pc + 1;
          continue;
        case 0xae:
          pc = (lo[D[pc]] >>> 0) < (lo[S[pc]] >>> 0) ? T[pc] : pc + 1;
          continue;
        case 0xbe:
          pc = (lo[D[pc]] >>> 0) <= (lo[S[pc]] >>> 0) ? T[pc] : pc + 1;
          continue;
        case 0x6e:
          pc = lo[D[pc]] > lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0x7e:
          pc = lo[D[pc]] >= lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0xce:
          pc = lo[D[pc]] < lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0xde:
          pc = lo[D[pc]] <= lo[S[pc]] ? T[pc] : pc + 1;
          continue;
        case 0x142: { // MAY_GOTO
          const c = mayGoto[depth];
          if (c === 0) pc = T[pc];
          else {
            mayGoto[depth] = c - 1;
            pc++;
          }
          continue;
        }
        // ---------------- calls and exit ----------------
        case 0x85: {
          try {
            this.#helpers[pc]!(this.#env);
            cHi = cLen = 0; // a helper may have changed a region (xdp_adjust_tail, a submitted ring buffer record)
            pc++;
            continue;
          } catch (e) {
            let msg: string | null;
            if (e !== TAIL_CALL) msg = e instanceof HelperFault ? e.message : `failed: ${(e as Error)?.message ?? e}`;
            // a tail call ends the run (the caller starts the target), but one a subprogram makes runs the target in
            // the subprogram's place, and the subprogram returns the target's r0 (falls through to exit)
            else if (depth === 0 || !this.#tailCallAt[pc] || !rt.nestsTailCalls) break run;
            else msg = rt.subprogTailCall();
            if (msg !== null) {
              faultMsg = `insn ${pc}: helper ${this.prog.imm(pc)}: ${msg}`;
              break run;
            }
            cHi = cLen = 0;
          }
        }
        // falls through
        case 0x95: {
          if (depth === 0) break run;
          depth--;
          const f = depth * 11;
          for (let r = 6; r <= 10; r++) {
            lo[r] = frames[f + (r - 6) * 2];
            hi[r] = frames[f + (r - 6) * 2 + 1];
          }
          pc = frames[f + 10];
          continue;
        }
        case 0x140: { // CALL_LOCAL
          if (depth + 1 >= MAX_FRAMES) {
            faultMsg = `insn ${pc}: call stack too deep (at most ${MAX_FRAMES} frames)`;
            break run;
          }
          const f = depth * 11;
          for (let r = 6; r <= 10; r++) {
            frames[f + (r - 6) * 2] = lo[r];
            frames[f + (r - 6) * 2 + 1] = hi[r];
          }
          frames[f + 10] = pc + 1;
          depth++;
          mayGoto[depth] = st.mayGotoBudget; // the callee's prologue
          lo[10] = FRAME_SIZE;
          hi[10] = this.#rg.stack[depth].hi;
          this.#rg.stack[depth].u8!.fill(0);
          pc = T[pc];
          continue;
        }
        // ---------------- loads ----------------
        case 0x79: { // ldxdw
          const s = S[pc];
          let t = (lo[s] >>> 0) + OFF[pc];
          const ah = hi[s];
          if (ah !== cHi || t < 0 || t > cLen - 8) {
            t = slow(ah, t, 8, false, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          const d = D[pc];
          lo[d] = cDv.getInt32(cB + t, true);
          hi[d] = cDv.getInt32(cB + t + 4, true);
          pc++;
          continue;
        }
        case CTX_LDXW: { // an ldxw that may read a converted ctx field (core/vm/context.ts)
          const s = S[pc];
          if (hi[s] === ctxHi) {
            const w = rt.ctxLoad((lo[s] + OFF[pc]) | 0, pktHi);
            if (w >= 0) {
              lo[D[pc]] = w;
              hi[D[pc]] = rt.ctxLoadHi;
              pc++;
              continue;
            }
          }
        }
        // falls through: any other address is an ordinary ldxw
        case 0x61: // ldxw
        case 0x81: { // ldxsw
          const s = S[pc];
          let t = (lo[s] >>> 0) + OFF[pc];
          const ah = hi[s];
          if (ah !== cHi || t < 0 || t > cLen - 4) {
            t = slow(ah, t, 4, false, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          const d = D[pc], v = cDv.getInt32(cB + t, true);
          lo[d] = v;
          hi[d] = OP[pc] === 0x81 ? v >> 31 : 0;
          pc++;
          continue;
        }
        case 0x69: // ldxh
        case 0x89: { // ldxsh
          const s = S[pc];
          let t = (lo[s] >>> 0) + OFF[pc];
          const ah = hi[s];
          if (ah !== cHi || t < 0 || t > cLen - 2) {
            t = slow(ah, t, 2, false, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          const d = D[pc];
          if (OP[pc] === 0x89) {
            const v = cDv.getInt16(cB + t, true);
            lo[d] = v;
            hi[d] = v >> 31;
          } else {
            lo[d] = cDv.getUint16(cB + t, true);
            hi[d] = 0;
          }
          pc++;
          continue;
        }
        case 0x71: // ldxb
        case 0x91: { // ldxsb
          const s = S[pc];
          let t = (lo[s] >>> 0) + OFF[pc];
          const ah = hi[s];
          if (ah !== cHi || t < 0 || t > cLen - 1) {
            t = slow(ah, t, 1, false, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          const d = D[pc];
          if (OP[pc] === 0x91) {
            const v = cDv.getInt8(cB + t);
            lo[d] = v;
            hi[d] = v >> 31;
          } else {
            lo[d] = cDv.getUint8(cB + t);
            hi[d] = 0;
          }
          pc++;
          continue;
        }
        // ---------------- stores (ST imm uses the constant slot) ----------------
        case 0x7b: {
          const a = D[pc];
          let t = (lo[a] >>> 0) + OFF[pc];
          const ah = hi[a];
          if (ah !== cHi || t < 0 || t > cLen - 8) {
            t = slow(ah, t, 8, true, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          const s = S[pc];
          cDv.setInt32(cB + t, lo[s], true);
          cDv.setInt32(cB + t + 4, hi[s], true);
          pc++;
          continue;
        }
        case 0x63: {
          const a = D[pc];
          let t = (lo[a] >>> 0) + OFF[pc];
          const ah = hi[a];
          if (ah !== cHi || t < 0 || t > cLen - 4) {
            t = slow(ah, t, 4, true, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          cDv.setInt32(cB + t, lo[S[pc]], true);
          pc++;
          continue;
        }
        case 0x6b: {
          const a = D[pc];
          let t = (lo[a] >>> 0) + OFF[pc];
          const ah = hi[a];
          if (ah !== cHi || t < 0 || t > cLen - 2) {
            t = slow(ah, t, 2, true, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          cDv.setInt16(cB + t, lo[S[pc]], true);
          pc++;
          continue;
        }
        case 0x73: {
          const a = D[pc];
          let t = (lo[a] >>> 0) + OFF[pc];
          const ah = hi[a];
          if (ah !== cHi || t < 0 || t > cLen - 1) {
            t = slow(ah, t, 1, true, pc);
            if (t < 0) break run;
            cHi = rHit!.hi, cLen = rHit!.len, cDv = rHit!.dv, cB = rHit!.base;
          }
          cDv.setInt8(cB + t, lo[S[pc]]);
          pc++;
          continue;
        }
        // ---------------- legacy packet loads ----------------
        case 0x40: // LD_IND/ABS W
        case 0x48: // H
        case 0x50: { // B
          const size = OP[pc] === 0x40 ? 4 : OP[pc] === 0x48 ? 2 : 1;
          if (hi[6] !== this.#rg.ctx.hi || lo[6] !== 0) {
            faultMsg = `insn ${pc}: LD_ABS/LD_IND needs r6 = the ctx pointer, r6 is ${hex64(u64Of(hi[6], lo[6]))}`;
            break run;
          }
          const pkt = this.#rg.ldabs;
          let k = (lo[S[pc]] + OFF[pc]) | 0;
          if (k < 0 && k >= -0x200000) k = k >= -0x100000 ? k + 0x100000 : k + 0x200000; // SKF_NET_OFF / SKF_LL_OFF: the packet start
          if (k < 0 || k + size > pkt.length) {
            ret0 = true; // the kernel ends the program with return value 0
            break run;
          }
          const v = size === 4
            ? (pkt[k] << 24) | (pkt[k + 1] << 16) | (pkt[k + 2] << 8) | pkt[k + 3]
            : size === 2
            ? (pkt[k] << 8) | pkt[k + 1]
            : pkt[k];
          lo[0] = v;
          hi[0] = 0;
          pc++;
          continue;
        }
        case 0x1f2: // BRK: a session's breakpoint (patched in by runUntil)
          left++; // not executed
          paused = true;
          break run;
        case 0x1f0: // BAD
        case 0x1f1: { // OOB
          const m = this.#bad.get(pc) ?? `insn ${pc}: invalid instruction`;
          faultMsg = m.startsWith("insn ") ? m : `insn ${pc}: ${m}`;
          break run;
        }
        default: {
          const op = OP[pc];
          if (op >= ATOMIC32 && op < ATOMIC64 + 10) {
            const is64 = op >= ATOMIC64, kind = op - (is64 ? ATOMIC64 : ATOMIC32), size = is64 ? 8 : 4;
            const a = D[pc], s = this.prog.src(pc);
            let t = (lo[a] >>> 0) + OFF[pc];
            t = slow(hi[a], t, size, true, pc);
            if (t < 0) break run;
            t += rHit!.base;
            const dv = rHit!.dv;
            const ol = dv.getInt32(t, true), oh = is64 ? dv.getInt32(t + 4, true) : 0;
            const sl = lo[s], sh = is64 ? hi[s] : 0;
            let nl = sl, nh = sh, write = true;
            switch (kind >> 1) {
              case 0: {
                nl = (ol + sl) | 0;
                nh = (oh + sh + Number((nl >>> 0) < (ol >>> 0))) | 0;
                break;
              }
              case 1:
                nl = ol | sl, nh = oh | sh;
                break;
              case 2:
                nl = ol & sl, nh = oh & sh;
                break;
              case 3:
                nl = ol ^ sl, nh = oh ^ sh;
                break;
              case 4:
                if (kind === 9) { // cmpxchg: compare with r0, r0 = old
                  write = is64 ? lo[0] === ol && hi[0] === oh : lo[0] === ol;
                }
                break;
            }
            if (write) {
              dv.setInt32(t, nl, true);
              if (is64) dv.setInt32(t + 4, nh, true);
            }
            if (kind === 9) {
              lo[0] = ol;
              hi[0] = oh;
            } else if ((kind & 1) === 1 || kind === 8) {
              lo[s] = ol;
              hi[s] = oh;
            }
            pc++;
            continue;
          }
          faultMsg = `insn ${pc}: unknown internal opcode 0x${op.toString(16)}`;
          break run;
        }
      }
    }
    st.pc = pc;
    st.n = n + chunk - left;
    st.depth = depth;
    if (!paused) {
      st.done = true;
      st.fault = faultMsg === null ? null : { message: faultMsg, pc };
      st.ret0 = ret0;
    }
  }
}

/** The state of one run between pauses. */
interface LoopState {
  gen: number;
  maxInsns: number;
  pc: number;
  n: number;
  depth: number;
  frames: Int32Array;
  mayGoto: Int32Array;
  mayGotoBudget: number;
  done: boolean;
  closed: boolean;
  fault: Fault | null;
  ret0: boolean;
  regs: boolean;
  bound: BoundInput;
}

interface VmAccess {
  advance(st: LoopState, stopAt: number): void;
  close(st: LoopState): void;
  result(st: LoopState): RunResult;
  gen(): number;
  lo: Int32Array;
  hi: Int32Array;
  stack(frame: number): Uint8Array;
  output(): string[];
  op: Uint16Array;
}

/**
 * A run executed in steps ({@link Interpreter.start}): the same loop and the
 * same results as {@link Interpreter.run}, paused between instructions.
 * Accessors read the live machine: they are valid until the next call that
 * executes, and the session is invalidated when its interpreter starts
 * another run.
 */
export interface VmSession {
  /** The interpreter. */
  readonly interp: Interpreter;
  /** The next instruction to execute (when done: the exit or faulting instruction). */
  readonly pc: number;
  /** Instructions executed so far (counted as {@link RunResult.insnsExecuted}). */
  readonly executed: number;
  /** True once the program exited or faulted. */
  readonly done: boolean;
  /** The fault once done, else null. */
  readonly fault: Fault | null;
  /** Current call depth (0 = the main program's frame). */
  readonly depth: number;
  /** Register `i` (0..10) as an unsigned 64-bit value. */
  reg(i: number): bigint;
  /** r0..r10. */
  regs(): bigint[];
  /** The bytes of stack frame `frame` (default: the current one), a live view of 512 bytes; r10 of that frame points past its end. */
  stack(frame?: number): Uint8Array;
  /** Helper output lines so far. */
  readonly output: readonly string[];
  /** The maps the program references (live). */
  readonly maps: readonly BpfMap[];
  /** Execute up to `n` instructions (default 1). Returns {@link VmSession.done}. */
  step(n?: number): boolean;
  /**
   * Run until the next instruction to execute is in `breakpoints` (at least
   * one instruction is executed first), or the end. Breakpoints cost nothing
   * per instruction (the instruction is patched while running). Returns
   * {@link VmSession.done}.
   */
  runUntil(breakpoints: Iterable<number>): boolean;
  /** The result once done (as {@link Interpreter.run} returns it, with registers). */
  result(): RunResult;
  /**
   * End the run where it stands, before it is done: a session holds its
   * maps' RCU read lock from its first step until it ends (so hash values
   * freed meanwhile are not reused while the program may hold pointers to
   * them), and a session dropped unfinished would hold it for good. Later
   * steps throw; registers and stack stay readable until another run starts.
   * Starting another run on the interpreter also ends it. Does nothing once
   * done or closed.
   */
  close(): void;
}

class Session implements VmSession {
  readonly interp: Interpreter;
  readonly #st: LoopState;
  readonly #a: VmAccess;
  constructor(interp: Interpreter, st: LoopState) {
    this.interp = interp;
    this.#st = st;
    this.#a = accessOf(interp);
  }
  get pc(): number {
    return this.#st.pc;
  }
  get executed(): number {
    return this.#st.n;
  }
  get done(): boolean {
    return this.#st.done;
  }
  get fault(): Fault | null {
    return this.#st.fault;
  }
  get depth(): number {
    return this.#st.depth;
  }
  #live(): void {
    if (this.#a.gen() !== this.#st.gen) {
      throw new Error("this VM session was superseded by another run of the interpreter");
    }
  }
  reg(i: number): bigint {
    this.#live();
    return u64Of(this.#a.hi[i], this.#a.lo[i]);
  }
  regs(): bigint[] {
    return Array.from({ length: 11 }, (_, i) => this.reg(i));
  }
  stack(frame: number = this.#st.depth): Uint8Array {
    this.#live();
    return this.#a.stack(frame);
  }
  get output(): readonly string[] {
    return this.#a.output();
  }
  get maps(): readonly BpfMap[] {
    return this.interp.maps;
  }
  step(n = 1): boolean {
    if (n > 0) this.#a.advance(this.#st, this.#st.n + n);
    return this.#st.done;
  }
  runUntil(breakpoints: Iterable<number>): boolean {
    if (this.step(1)) return true;
    const op = this.#a.op, len = this.interp.prog.len, saved = new Map<number, number>();
    for (const b of breakpoints) {
      if (Number.isInteger(b) && b >= 0 && b < len && !saved.has(b)) {
        saved.set(b, op[b]);
        op[b] = BRK;
      }
    }
    try {
      this.#a.advance(this.#st, Infinity);
    } finally {
      for (const [b, o] of saved) op[b] = o;
    }
    return this.#st.done;
  }
  result(): RunResult {
    if (!this.#st.done) throw new Error("the run has not ended");
    this.#live();
    return { ...this.#a.result(this.#st), regs: this.regs() };
  }
  close(): void {
    this.#a.close(this.#st);
  }
}
