/**
 * The running side of the JIT's wasm tier (the code: wasm_codegen.ts): the
 * wasm memory and instance of one {@link Jit}, the stack frames and input
 * copies placed in that memory, the region table, and the `R.wasm` entry
 * that exchanges registers and the hand-over state with the JavaScript
 * forms.
 *
 * @module
 */
import type { AddressSpace, ProgramRegions, RunInput } from "../vm/mod.ts";
import { FRAME_SIZE, MAX_FRAMES } from "../vm/memory.ts";
import type { JitRuntime } from "./jit.ts";
import { WASM_LAYOUT as L, type WasmProgram } from "./wasm_codegen.ts";

const PAGE = 65536;
/** Regions at least this long never take the wasm fast path (as in the JavaScript forms). */
const FAST_MAX_LEN = 0x40000000;
const align8 = (n: number) => (n + 7) & ~7;

/** One Jit's wasm instance and memory. */
export class WasmTier {
  readonly #mem: WebAssembly.Memory;
  readonly #fast: (budget: number) => number;
  readonly #R: JitRuntime;
  readonly #rg: ProgramRegions;
  readonly #space: AddressSpace;
  /** Deepest inlined call: frames 1..this are in the table (written by wasm code without `Region.low` marks). */
  readonly #maxDepth: number;
  /** Whether the program has a may_goto: its budgets go into wasm memory and back around a run. */
  readonly #mayGoto: boolean;
  /** Bytes of the ctx of a packet run without one (a view of a detached buffer has length 0: kept from the start). */
  readonly #skbLen: number;
  #i32: Int32Array = new Int32Array(0);
  #next = 0;
  /** The views handed out by the allocator in the last run, in order (reused while lengths repeat: see `prepare`). */
  #allocated: Uint8Array[] = [];
  #k = 0;
  readonly #alloc = (len: number): Uint8Array => {
    const k = this.#k++, buf = this.#mem.buffer;
    let v = this.#allocated[k];
    // the same view again (its region then keeps its DataView: a new typed array costs about a microsecond)
    if (v === undefined || v.buffer !== buf || v.byteOffset !== this.#next || v.length !== len) {
      v = this.#allocated[k] = new Uint8Array(buf, this.#next, len);
    }
    this.#next += align8(len);
    return v;
  };
  /** Escapes taken (the engine's choice counts them). */
  escapes = 0;
  /** Hand-overs to `precise` because a block guard failed (the engine's choice counts them). */
  guardMisses = 0;

  /** Instantiate `w` (compiled as `module`) for the runtime `R` over the regions `rg` of `space`. */
  constructor(module: WebAssembly.Module, w: WasmProgram, R: JitRuntime, rg: ProgramRegions, space: AddressSpace) {
    this.#R = R;
    this.#rg = rg;
    this.#space = space;
    this.#maxDepth = w.maxDepth;
    this.#mayGoto = w.mayGoto ?? false;
    this.#skbLen = rg.skb.length;
    this.#mem = new WebAssembly.Memory({ initial: Math.ceil(L.INPUT / PAGE) });
    const instance = new WebAssembly.Instance(module, {
      env: {
        mem: this.#mem,
        exec: (i: number, depth: number) => this.#exec(i, depth),
        bad: (pc: number) => R.badInsn(pc),
      },
    });
    this.#fast = instance.exports.fast as (budget: number) => number;
    this.#views();
    R.frames = new Int32Array(MAX_FRAMES * 11);
    R.wasm = (max) => this.#run(max);
  }

  /** (Re)create the views over the memory's buffer: the stack frames, the skb ctx, the register file. */
  #views(): void {
    const buf = this.#mem.buffer;
    this.#i32 = new Int32Array(buf);
    this.#rg.stack.forEach((r, f) => r.rebind(new Uint8Array(buf, L.STACK + f * FRAME_SIZE, FRAME_SIZE)));
    // refilled by every run that uses it (bindRunInput)
    this.#rg.skb = new Uint8Array(buf, L.SKB, this.#skbLen);
  }

  /**
   * Make room for the copies of `input` (growing the memory, which moves
   * every view onto the new buffer) and return the allocator that hands out
   * their bytes for this run; `undefined` when the memory cannot grow that
   * far (wasm32's 4 GiB, or the host refuses): the copies are then ordinary
   * arrays outside it, which the region table marks as such, so their
   * accesses take the checked JavaScript path.
   */
  prepare(input: RunInput): ((len: number) => Uint8Array) | undefined {
    const need = L.INPUT + align8(input.ctx?.length ?? 0) + align8(input.data?.length ?? 0) +
      align8(input.mem?.length ?? 0);
    const have = this.#mem.buffer.byteLength;
    if (need > have) {
      try {
        this.#mem.grow(Math.ceil((need - have) / PAGE));
      } catch {
        return undefined;
      }
      this.#views();
    }
    this.#next = L.INPUT;
    this.#k = 0;
    return this.#alloc;
  }

  /** The table of regions 0..10 as they are now (a region outside wasm memory, or too long, gets length 0). */
  #table(): void {
    const i32 = this.#i32, buf = this.#mem.buffer, regions = this.#space.regions;
    for (let id = 0; id < L.TABLE_IDS; id++) {
      const r = id < MAX_FRAMES && id > this.#maxDepth ? null : regions[id];
      const inMem = r != null && r.u8.buffer === buf && r.len < FAST_MAX_LEN;
      i32[(L.TABLE >> 2) + 2 * id] = inMem ? r.u8.byteOffset + r.base : 0;
      i32[(L.TABLE >> 2) + 2 * id + 1] = inMem ? r.len : 0;
    }
  }

  #regsIn(): void {
    const i32 = this.#i32, lo = this.#R.lo, hi = this.#R.hi;
    for (let r = 0; r < 11; r++) i32[2 * r] = lo[r], i32[2 * r + 1] = hi[r];
  }

  #regsOut(): void {
    const i32 = this.#i32, lo = this.#R.lo, hi = this.#R.hi;
    for (let r = 0; r < 11; r++) lo[r] = i32[2 * r], hi[r] = i32[2 * r + 1];
  }

  /** The `exec` import: one instruction's JavaScript code on the register file. */
  #exec(i: number, depth: number): number {
    this.escapes++;
    this.#regsOut();
    const st = this.#R.escape(i, depth);
    this.#regsIn();
    this.#table();
    return st;
  }

  /** `R.wasm`: run `fast` with a budget of `max` (as the JavaScript `fast`), setting the hand-over state. */
  #run(max: number): number {
    const R = this.#R, i32 = this.#i32;
    const budget = max < 0x7fffffff ? Math.floor(max) : 0x7fffffff;
    this.#regsIn();
    this.#table();
    i32[L.STATUS >> 2] = 0;
    const mg = L.MAYGOTO >> 2;
    if (this.#mayGoto) i32.set(R.mg, mg), i32[L.MAYGOTO_BUDGET >> 2] = R.mgBudget;
    let n: number;
    try {
      n = this.#fast(budget);
      if (this.#mayGoto) R.mg.set(i32.subarray(mg, mg + MAX_FRAMES));
    } catch (e) {
      // a trap (none is known to be reachable: it would be a bug of the tier) or an exception thrown through an
      // escape ends the run as a fault, never as an exception to the caller; the engine's choice drops the tier
      for (let f = 1; f <= this.#maxDepth; f++) this.#rg.stack[f].low = 0;
      this.guardMisses++;
      R.msg = `jit: the wasm tier trapped: ${e instanceof Error ? e.message : String(e)}`;
      R.pc = 0;
      return 0;
    }
    this.#regsOut();
    // frames the wasm code wrote are zeroed whole by the next call into them
    for (let f = 1; f <= this.#maxDepth; f++) this.#rg.stack[f].low = 0;
    switch (i32[L.STATUS >> 2]) {
      case 1:
        R.pc = i32[L.PC >> 2];
        break;
      case 4:
        this.guardMisses++;
      /* falls through */
      case 2:
        R.resumeAt = i32[L.RESUME_AT >> 2];
        R.resumeDepth = i32[L.RESUME_DEPTH >> 2];
        R.frames.set(i32.subarray(L.FRAMES >> 2, (L.FRAMES >> 2) + MAX_FRAMES * 11));
        break;
      case 3:
        R.msg = "jit: fell off the structured program";
        R.pc = 0;
        break;
    }
    return n;
  }
}
