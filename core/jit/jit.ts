/**
 * The JIT engine: compiles an eBPF program to one JavaScript function
 * (`new Function`, once per distinct generated source, cached) and runs it
 * with the interpreter's semantics, address space, helpers and fault
 * messages. See `codegen.ts` for the generated code's shape. Programs that
 * run long go through its WebAssembly tier (`wasm_codegen.ts`,
 * `wasm_tier.ts`; {@link JitOptions.wasm} chooses when).
 *
 * @module
 */
import { BoundedCache } from "./cache.ts";
import type { Program } from "../isa/mod.ts";
import type { BpfMap } from "../maps/mod.ts";
import {
  AddressSpace,
  defaultHelpers,
  type HelperEnv,
  hex64,
  type InterpreterOptions,
  mapProgramRegions,
  MAX_FRAMES,
  mayGotoBudget,
  type ProgramRegions,
  type Region,
  type RunInput,
  type RunOptions,
  type RunResult,
  u64Of,
  type VmProfile,
} from "../vm/mod.ts";
import { BPF_MAX_LOOPS, type Decoded, predecode } from "../vm/decode.ts";
import { HelperFault, HelperRuntime, TAIL_CALL } from "../vm/runtime.ts";
import { ctxConvertedFields } from "../vm/context.ts";
import { generate } from "./codegen.ts";
import { generateWasm } from "./wasm_codegen.ts";
import { WasmTier } from "./wasm_tier.ts";

function mulhiu(a: number, b: number): number {
  // int32-only arithmetic (Math.imul of 16-bit halves, read back unsigned): no float64 products
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = Math.imul(a0, b1), p10 = Math.imul(a1, b0);
  const mid = (Math.imul(a0, b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

type Factory = (R: JitRuntime, mulhiu: (a: number, b: number) => number, bswap32: (x: number) => number) => (
  max: number,
) => number;

/**
 * Compiled factories by generated source, bounded (below). V8 itself keeps
 * every distinct source given to `new Function` in its compilation cache
 * (the eval cache) for the life of the process, garbage collection or not:
 * about 2 bytes per character (the source and the function text made from
 * it), ~100 KB per fuzz-sized program, so a process that JITs many distinct
 * programs grows by that much per program (measured with V8 15.0 / Deno
 * 2.9.6: 4,000 programs of the `jitopt` fuzz target left 420 MB of heap in
 * use after full collections; with `--v8-flags=--no-compilation-cache`,
 * 44 MB, this cache's bound). Long campaigns run with that flag
 * (`deno task fuzz` does); nothing here can drop V8's entries.
 */
const factoryCache = new BoundedCache<Factory>(256, 32 * 1024 * 1024); // a 4000-instruction program is ~2.4 MB

function factoryFor(src: string): Factory {
  return factoryCache.getOrMake(src, () => new Function("R", "mulhiu", "bswap32", src) as Factory);
}

/** Compiled wasm modules by their bytes (a module is shared by every engine of its program; instances are per engine). */
const moduleCache = new BoundedCache<WebAssembly.Module>(256, 32 * 1024 * 1024);

/** The compiled module of `bytes` (cached), or null when the runtime refuses it. */
function compileModule(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  let key = "";
  for (let k = 0; k < bytes.length; k += 8192) key += String.fromCharCode(...bytes.subarray(k, k + 8192));
  return moduleCache.getOrMake(key, () => {
    try {
      return new WebAssembly.Module(bytes);
    } catch {
      return null;
    }
  });
}

/** Options of {@link Jit}: the interpreter's, and a code-size knob. */
export interface JitOptions extends InterpreterOptions {
  /**
   * Tokens of generated source above which a function is split (or an
   * inlined form given up) so that V8 optimises it; the default (30 000)
   * stays below V8's limit. Tests set it low to exercise the split form.
   */
  maxFunctionTokens?: number;
  /**
   * The WebAssembly tier (wasm_codegen.ts): `auto` (default) compiles it
   * once the engine's runs of at least {@link WASM_MIN_RUN_INSNS}
   * instructions have run {@link WASM_AFTER_INSNS} in all, and goes back to
   * the JavaScript code for good when a run through it takes more than one
   * escape per {@link WASM_MAX_ESCAPE_RATE} instructions (helper calls, map
   * values: each costs a call into JavaScript) or whose block guard failed
   * (the rest of that run was JavaScript's `precise`); `always` compiles it before
   * the first run and keeps it; `never` keeps the JavaScript code. Either
   * way it is used only where the control flow nests (else, or when
   * `WebAssembly` is missing or refuses the module, the JavaScript forms
   * run).
   */
  wasm?: "auto" | "always" | "never";
}

/**
 * Instructions run in long runs (see {@link WASM_MIN_RUN_INSNS}), over all
 * runs of one engine, after which the `auto` choice compiles the wasm tier:
 * it costs about as much as the JavaScript compile again, paid once per
 * engine (see BENCHMARKS.md).
 */
export const WASM_AFTER_INSNS = 1_000_000;

/**
 * Runs shorter than this do not count towards {@link WASM_AFTER_INSNS}: a
 * run through the wasm tier has a fixed cost about 0.2 µs higher (registers
 * and the region table exchanged), more than the tier saves on a short run.
 */
export const WASM_MIN_RUN_INSNS = 10_000;

/** The `auto` choice leaves the wasm tier after a run with more than one escape per this many instructions. */
export const WASM_MAX_ESCAPE_RATE = 64;

/**
 * Process-wide defaults of {@link JitOptions} (for engines created where no
 * option reaches, such as the test-run commands and the fuzz targets; tests
 * set `wasm` to `always` to compare the wasm tier).
 */
export const jitDefaults: { wasm: "auto" | "always" | "never" } = { wasm: "auto" };

/** The state the generated code reads and writes (internal; exported for the JSDoc of {@link Jit.source}). */
export interface JitRuntime {
  /** Register file, low words (helpers and entry/exit). */
  lo: Int32Array;
  /** Register file, high words. */
  hi: Int32Array;
  /** Stack frame regions. */
  stack: Region[];
  /** Any DataView (initial cache value). */
  dv0: DataView;
  /** The region the last slow-path lookup hit. */
  hit: Region | null;
  /** Fault message (null: none). */
  msg: string | null;
  /** Fault pc. */
  pc: number;
  /** Legacy "return 0" exit. */
  ret0: boolean;
  /** Hi word of ctx addresses. */
  ctxHi: number;
  /** The low word an ldxw at ctx offset `off` gives when that is a converted field of the bound context (the high word in `oh`), else -1. */
  ctxLoad(off: number): number;
  /** Packet bytes of this run. */
  pkt: Uint8Array;
  /** Result words of udiv64/sdiv64. */
  ol: number;
  /** Result words of udiv64/sdiv64. */
  oh: number;
  /** Resolve an address that missed the cache: the offset, or -1 with `msg` set. */
  slow(ah: number, t: number, size: number, write: boolean, at: number): number;
  /**
   * The region whose addresses have high word `hi`, for the fixed fast
   * memory path of the region r1 points into (null: none, or a stack frame:
   * `precise` may start with r1 in a callee's frame, whose writes must go
   * through the paths that record `Region.low`).
   */
  regionAt(hi: number): Region | null;
  /**
   * Call the helper of insn `pc` at call depth `depth` (given at the calls
   * of `bpf_tail_call` in subprograms, else 0): 1, or 0 when the run ends
   * there (a fault, with `msg`, or a tail call), or 2 when the target of a
   * tail call made in a subprogram ran and the subprogram returns (see
   * `HelperRuntime.subprogTailCall`).
   */
  call(pc: number, depth?: number): number;
  /** Fault for the bad/sentinel slot `pc`. */
  badInsn(pc: number): void;
  /** Instruction-limit fault at `pc`. */
  limit(pc: number): void;
  /** LD_ABS/LD_IND with r6 not the ctx. */
  ldabsFault(pc: number, h6: number, l6: number): void;
  /** Unsigned 64-bit div/mod through BigInt (sets ol/oh). */
  udiv64(ah: number, al: number, bh: number, bl: number, isDiv: boolean): void;
  /** Signed 64-bit div/mod through BigInt (sets ol/oh). */
  sdiv64(ah: number, al: number, bh: number, bl: number, isDiv: boolean): void;
  /** The saved registers and return blocks of the calls in progress when the wasm tier hands over to `precise`. */
  frames: Int32Array;
  /** The may_goto budget of each frame in progress (see `BPF_MAX_LOOPS` in core/vm/decode.ts). */
  mg: Int32Array;
  /** The budget a call starts with this run ({@link RunOptions.mayGotoBudget}). */
  mgBudget: number;
  /** The block `precise` resumes at after the wasm tier (-1: it does not). */
  resumeAt: number;
  /** The call depth it resumes at. */
  resumeDepth: number;
  /** The wasm tier's `fast` (see wasm_tier.ts). */
  wasm(max: number): number;
  /** The JavaScript code of one instruction for the wasm tier: 0 go on, 1 stop, 2 return from the subprogram. */
  escape(insn: number, depth: number): number;
}

/**
 * A program compiled to JavaScript, with its maps bound: the drop-in
 * alternative to {@link Interpreter} (same constructor options, same
 * {@link Jit.run} contract and results, including fault messages, fault pcs
 * and executed-instruction counts). Run it any number of times.
 */
export class Jit {
  /** The program. */
  readonly prog: Program;
  /** The semantics profile. */
  readonly profile: VmProfile;
  /** Maps referenced by the program, by index (map pointer k = map k). */
  readonly maps: BpfMap[];
  /** The generated JavaScript (the body of the compiled factory). */
  readonly source: string;
  /** Milliseconds spent decoding, generating and compiling (0 for the compile step on a cache hit). */
  readonly compileMs: number;
  readonly #d: Decoded;
  readonly #R: JitRuntime;
  #fn: (max: number) => number;
  /** The JavaScript code's entry (the `auto` choice goes back to it). */
  readonly #jsFn: (max: number) => number;
  readonly #wasmMode: "auto" | "always" | "never";
  #tier: WasmTier | null = null;
  /** Instructions run so far (the `auto` choice of the wasm tier; -1 once it has been made). */
  #insnsRun = 0;
  readonly #space = new AddressSpace();
  readonly #rg: ProgramRegions;
  #max = 1e9;
  readonly #rt: HelperRuntime;
  readonly #env: HelperEnv;
  readonly #maxTokens: number | undefined;

  /** Decode and compile `prog`. Never throws for a bad program: bad instructions fault when executed. */
  constructor(prog: Program, opts: JitOptions = {}) {
    const t0 = performance.now();
    this.prog = prog;
    this.profile = opts.profile ?? "modern";
    const d = predecode(
      prog,
      opts.helpers ?? defaultHelpers(this.profile, opts.progType),
      opts.resolveMap,
      ctxConvertedFields(opts.progType),
    );
    this.#d = d;
    this.maps = d.maps;
    this.#rg = mapProgramRegions(this.#space, this.maps);
    this.#R = this.#makeRuntime();
    this.#rt = new HelperRuntime(this.#R.lo, this.#R.hi, this.#space, this.maps);
    this.#env = this.#rt.env;
    this.#maxTokens = opts.maxFunctionTokens;
    this.#wasmMode = opts.wasm ?? jitDefaults.wasm;
    // forced on, the tier's factory is the only one (it never goes back to the JavaScript `fast`)
    const wasmSource = this.#wasmMode === "always" ? this.#wasmTier() : null;
    this.source = wasmSource ??
      generate(d, { legacy: this.profile === "linux-3.18", maxFunctionTokens: opts.maxFunctionTokens });
    this.#fn = this.#jsFn = factoryFor(this.source)(this.#R, mulhiu, bswap32);
    this.compileMs = performance.now() - t0;
  }

  /** Whether runs go through the wasm tier. */
  get wasm(): boolean {
    return this.#tier !== null;
  }

  /**
   * Compile and instantiate the wasm tier and the JavaScript factory that
   * goes with it (its `precise` and escapes); false, with nothing changed,
   * when the control flow does not nest or the runtime refuses the module.
   */
  #enableWasm(): void {
    const src = this.#wasmTier();
    if (src !== null) this.#fn = factoryFor(src)(this.#R, mulhiu, bswap32);
  }

  /**
   * Compile and instantiate the wasm tier: the source of the JavaScript
   * factory that goes with it (its `precise` and escapes), or null, with
   * nothing changed, when the control flow does not nest or the runtime
   * refuses the module.
   */
  #wasmTier(): string | null {
    this.#insnsRun = -1;
    if (typeof WebAssembly !== "object") return null;
    const legacy = this.profile === "linux-3.18";
    const w = generateWasm(this.#d, { legacy });
    if (w === null) return null;
    const module = compileModule(w.bytes);
    if (module === null) return null;
    let tier: WasmTier;
    try {
      // a runtime may refuse another wasm memory (each reserves address space) or the instance
      tier = new WasmTier(module, w, this.#R, this.#rg, this.#space);
    } catch {
      return null;
    }
    this.#tier = tier;
    return generate(this.#d, { legacy, maxFunctionTokens: this.#maxTokens, wasmEscapes: w.escapes });
  }

  #makeRuntime(): JitRuntime {
    const space = this.#space, d = this.#d;
    // deno-lint-ignore no-this-alias
    const self = this;
    const R: JitRuntime = {
      lo: new Int32Array(11),
      hi: new Int32Array(11),
      stack: this.#rg.stack,
      dv0: this.#rg.stack[0].dv,
      hit: null,
      msg: null,
      pc: 0,
      ret0: false,
      ctxHi: this.#rg.ctx.hi,
      ctxLoad(off) {
        const w = self.#rt.ctxLoad(off, self.#rg.packet.hi);
        R.oh = self.#rt.ctxLoadHi;
        return w;
      },
      pkt: new Uint8Array(0),
      ol: 0,
      oh: 0,
      slow(ah, t, size, write, at) {
        const o = space.resolve(ah, t, size, write, at);
        R.hit = space.hit;
        if (o < 0) R.msg = space.fault;
        return o;
      },
      regionAt(h) {
        const r = space.find(h, 0, 0);
        return r !== null && r.base === 0 && r.id >= MAX_FRAMES ? r : null;
      },
      call(pc, depth = 0) {
        try {
          d.helpers[pc]!(self.#env);
          return 1;
        } catch (e) {
          let msg: string | null;
          if (e !== TAIL_CALL) msg = e instanceof HelperFault ? e.message : `failed: ${(e as Error)?.message ?? e}`;
          // as the interpreter: a tail call ends the run (RunResult.tailCall), one in a subprogram returns from it
          else if (depth === 0 || !d.tailCallAt[pc] || !self.#rt.nestsTailCalls) return 0;
          else msg = self.#rt.subprogTailCall();
          if (msg === null) return 2;
          R.msg = `insn ${pc}: helper ${self.prog.imm(pc)}: ${msg}`;
          return 0;
        }
      },
      badInsn(pc) {
        const m = d.bad.get(pc) ?? `insn ${pc}: invalid instruction`;
        R.msg = m.startsWith("insn ") ? m : `insn ${pc}: ${m}`;
        R.pc = pc;
      },
      limit(pc) {
        R.msg = `insn ${pc}: instruction limit of ${self.#max} executed instructions reached`;
        R.pc = pc;
      },
      ldabsFault(pc, h6, l6) {
        R.msg = `insn ${pc}: LD_ABS/LD_IND needs r6 = the ctx pointer, r6 is ${hex64(u64Of(h6, l6))}`;
      },
      udiv64(ah, al, bh, bl, isDiv) {
        const a = u64Of(ah, al), b = u64Of(bh, bl);
        const r = isDiv ? a / b : a % b;
        R.ol = Number(r & 0xffffffffn) | 0;
        R.oh = Number(r >> 32n) | 0;
      },
      frames: new Int32Array(0),
      mg: new Int32Array(MAX_FRAMES),
      mgBudget: BPF_MAX_LOOPS,
      resumeAt: -1,
      resumeDepth: 0,
      wasm: () => 0,
      escape: () => 1,
      sdiv64(ah, al, bh, bl, isDiv) {
        const a = BigInt.asIntN(64, u64Of(ah, al)), b = BigInt.asIntN(64, u64Of(bh, bl));
        const r = BigInt.asUintN(64, isDiv ? a / b : a % b);
        R.ol = Number(r & 0xffffffffn) | 0;
        R.oh = Number(r >> 32n) | 0;
      },
    };
    return R;
  }

  /** Run the compiled program once (same contract as {@link Interpreter.run}). */
  run(input: RunInput = {}, opts: RunOptions = {}): RunResult {
    const maxInsns = opts.maxInsns ?? 1e9;
    this.#max = maxInsns;
    // frame 0 is written through an untracked fast path: zero it all; frames 1..7 from their low marks (as a call does)
    const stack = this.#rg.stack;
    stack[0].u8.fill(0);
    for (let f = 1; f < stack.length; f++) {
      const r = stack[f];
      if (r.low < r.len) r.u8.fill(0, r.low), r.low = r.len;
    }
    const R = this.#R;
    R.msg = null;
    R.pc = 0;
    R.ret0 = false;
    R.hit = null;
    R.mg[0] = R.mgBudget = mayGotoBudget(opts); // the main program's prologue starts its may_goto budget
    const tier = this.#tier;
    const bound = this.#rt.beginRun(this.#rg, input, opts, tier === null ? undefined : tier.prepare(input));
    R.pkt = this.#rg.ldabs;
    // the run is one RCU read-side critical section over its maps: freed map values are not reused until it ends
    this.#rt.rcuReadLock();
    let count: number;
    try {
      count = this.#fn(maxInsns);
    } finally {
      this.#rt.rcuReadUnlock();
    }
    const fault = R.msg === null ? null : { message: R.msg, pc: R.pc };
    // the wasm tier's input copies live in its memory, which the next run reuses: the results get their own
    const out = tier === null ? bound : { ctx: bound.ctx?.slice(), data: bound.data?.slice(), mem: bound.mem?.slice() };
    const result = this.#rt.runResult(count, fault, R.ret0, this.profile === "linux-3.18", opts.regs ?? false, out);
    if (this.#wasmMode === "auto") {
      if (this.#insnsRun >= 0 && count >= WASM_MIN_RUN_INSNS) {
        this.#insnsRun += count;
        if (this.#insnsRun >= WASM_AFTER_INSNS) this.#enableWasm();
      } else if (tier !== null) {
        if (tier.escapes * WASM_MAX_ESCAPE_RATE > count || tier.guardMisses > 0) {
          this.#tier = null;
          this.#fn = this.#jsFn;
        }
        tier.escapes = 0;
        tier.guardMisses = 0;
      }
    }
    return result;
  }
}
