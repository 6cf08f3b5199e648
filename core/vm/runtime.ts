/**
 * The per-run state helpers see, shared by the interpreter and the JIT: the
 * {@link HelperEnv} over an engine's register halves and address space, map
 * value regions (one per hash map value a lookup hands out, mapped on its
 * first use in a run), the run's RCU read-side critical section over the
 * program's maps, trace output, the seeded `get_prandom_u32` state, the
 * clock, and the set-up and result of a run for both engines.
 *
 * @module
 */
import { ArrayMap, type BpfMap, type TailCallTarget } from "../maps/mod.ts";
import type { HelperEnv } from "./helpers.ts";
import type { ProgContext } from "./context.ts";
import {
  type AddressSpace,
  bindContext,
  bindRunInput,
  type BoundInput,
  hex64,
  MAP_PTR_HI,
  type ProgramRegions,
  Region,
  REGION_HI_BASE,
  REGION_MAPS,
  u64Of,
} from "./memory.ts";
import type { Fault, RunInput, RunOptions, RunResult } from "./interp.ts";

/** A helper's own error: becomes a fault of the calling instruction. */
export class HelperFault {
  /** @param message why the helper failed */
  constructor(readonly message: string) {}
}

/**
 * Thrown by {@link HelperEnv.tailCall} to end a run at a successful
 * `bpf_tail_call` (the engines stop without a fault; the target is in
 * `RunResult.tailCall`).
 */
export const TAIL_CALL: { readonly tailCall: true } = Object.freeze({ tailCall: true as const });

/** One DataView per chunk of hash map values, shared by the regions of its values (chunks never move). */
const chunkViews: WeakMap<Uint8Array, DataView> = new WeakMap();

const defaultClock = (): bigint => BigInt(Math.round(performance.now() * 1e6));

/** The shared DataView of a chunk of map values (or any buffer regions are cut from). */
function chunkView(buf: Uint8Array): DataView {
  let dv = chunkViews.get(buf);
  if (dv === undefined) chunkViews.set(buf, dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
  return dv;
}

/** Helper-visible state of an engine's runs. */
export class HelperRuntime {
  /** The environment passed to helper functions. */
  readonly env: HelperEnv;
  /** Helper output lines of the current run. */
  output: string[] = [];
  // hash value regions by map and slot (kept across runs), and the number of the current run
  #valueRegions: Map<BpfMap, { name: string; bySlot: Array<Region | undefined> }> = new Map();
  #run = 0;
  #locked = false;
  #rand = 1;
  #clock: () => bigint = defaultClock;
  #tail: TailCallTarget | null = null;
  #savedCpus: number[] = [];
  // the run's regions, input and way of running the target of a tail call made in a subprogram
  #rg: ProgramRegions | null = null;
  #bound: BoundInput = {};
  #subprogTailCall: RunOptions["subprogTailCall"] | null = null;
  #nestedInsns = 0;
  readonly #maps: BpfMap[];
  readonly #lo: Int32Array;
  readonly #hi: Int32Array;
  readonly #space: AddressSpace;

  /**
   * @param lo low halves of the engine's registers (r0..r5 are read and r0 written)
   * @param hi high halves
   * @param space the engine's address space
   * @param maps the program's maps by index (map pointer k = map k)
   */
  constructor(lo: Int32Array, hi: Int32Array, space: AddressSpace, maps: BpfMap[]) {
    this.#maps = maps;
    this.#lo = lo;
    this.#hi = hi;
    this.#space = space;
    // deno-lint-ignore no-this-alias
    const self = this;
    const env: HelperEnv = {
      lo,
      hi,
      memOff: 0,
      arg: (i) => u64Of(hi[i], lo[i]),
      ret(v) {
        if (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 4294967295) {
          lo[0] = v | 0;
          hi[0] = v < 0 ? -1 : 0;
        } else {
          const x = BigInt.asUintN(64, BigInt(v));
          lo[0] = Number(x & 0xffffffffn) | 0;
          hi[0] = Number(x >> 32n) | 0;
        }
      },
      mem(i, size) {
        const r = space.find(hi[i], lo[i] >>> 0, size);
        if (r === null) {
          throw new HelperFault(
            `invalid helper access of ${size} bytes at ${hex64(u64Of(hi[i], lo[i]))} (arg r${i}): ${
              space.describe(u64Of(hi[i], lo[i]), size)
            }`,
          );
        }
        const off = lo[i] >>> 0;
        if (off < r.low) r.low = off; // the helper may write there (see Region.low)
        env.memOff = r.base + off;
        return r.u8!;
      },
      map(i) {
        const k = (lo[i] >> 8) - 1;
        if (hi[i] !== MAP_PTR_HI || (lo[i] & 0xff) !== 0 || k < 0 || k >= maps.length) {
          throw new HelperFault(`r${i} = ${hex64(u64Of(hi[i], lo[i]))} is not a map pointer`);
        }
        return maps[k];
      },
      retMapValue(m, ref) {
        if (m instanceof ArrayMap) {
          const k = maps.indexOf(m);
          if (k >= 0) {
            hi[0] = REGION_HI_BASE + REGION_MAPS + k;
            lo[0] = m.refOffset(ref);
            return;
          }
        }
        // a hash value is a region of its own (a view of its chunk), so an access past it faults; the region
        // objects outlive the run (slots never move) and are mapped again, under the next free id, in later runs
        let perMap = self.#valueRegions.get(m);
        if (perMap === undefined) {
          perMap = { name: `value of map ${JSON.stringify(m.name)}`, bySlot: [] };
          self.#valueRegions.set(m, perMap);
        }
        let r = perMap.bySlot[ref];
        if (r === undefined) {
          const buf = m.refBuffer(ref);
          const part = { base: m.refOffset(ref), len: m.valueSize, dv: chunkView(buf), slot: ref };
          r = new Region(space.regions.length, perMap.name, buf, part);
          while (perMap.bySlot.length < ref) perMap.bySlot.push(undefined);
          perMap.bySlot[ref] = r;
        }
        if (r.mappedIn !== self.#run) {
          r.moveTo(space.regions.length);
          r.mappedIn = self.#run;
          space.set(r);
        }
        hi[0] = r.hi;
        lo[0] = 0;
      },
      print: (line) => void self.output.push(line),
      rand() {
        let x = self.#rand;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        self.#rand = x;
        return x >>> 0;
      },
      nowNs: () => self.#clock(),
      fault(message): never {
        throw new HelperFault(message);
      },
      context: null,
      cpu: 0,
      tailCalls: 0,
      tailCall(target): never {
        self.#tail = target;
        throw TAIL_CALL;
      },
      retRegion(name, u8, base, len, tag) {
        const dv = base === 0 && len === u8.length
          ? new DataView(u8.buffer, u8.byteOffset, u8.byteLength)
          : chunkView(u8);
        const r = new Region(space.regions.length, name, u8, { base, len, dv, slot: -1 });
        r.tag = tag;
        r.mappedIn = self.#run;
        space.set(r);
        hi[0] = r.hi;
        lo[0] = 0;
        return r;
      },
      regionAt(i) {
        const r = space.find(hi[i], lo[i] >>> 0, 0);
        if (r === null) return null;
        env.memOff = lo[i] >>> 0;
        return r;
      },
    };
    this.env = env;
  }

  /** The high word of the last {@link HelperRuntime.ctxLoad}. */
  ctxLoadHi = 0;

  /**
   * A 4-byte load at offset `off` of the ctx region when `off` is a
   * converted field of the bound context (see core/vm/context.ts): the low
   * word (the high one in {@link HelperRuntime.ctxLoadHi}), else -1 (an
   * ordinary load). `pktHi` is the high word of packet addresses.
   */
  ctxLoad(off: number, pktHi: number): number {
    const c = this.env.context;
    if (c === null) return -1;
    const v = c.load(off, pktHi);
    if (v === null) return -1;
    this.ctxLoadHi = v[1];
    return v[0];
  }

  /**
   * Begin a run of either engine: {@link HelperRuntime.reset}, unmap the
   * value regions of the last run, zero r0..r10 and bind the input (r1, r2,
   * r10; the input copies in `alloc`'s bytes when given). The engine zeroes
   * its stack frames itself.
   */
  beginRun(
    rg: ProgramRegions,
    input: RunInput,
    opts: RunOptions,
    alloc?: (len: number) => Uint8Array,
  ): BoundInput {
    this.reset(opts.seed, opts.clock);
    const env = this.env as { context: ProgContext | null; cpu: number; tailCalls: number };
    env.context = input.context ?? null;
    env.cpu = opts.cpu ?? 0;
    env.tailCalls = opts.tailCalls ?? 0;
    this.#tail = null;
    this.#subprogTailCall = opts.subprogTailCall ?? null;
    this.#nestedInsns = 0;
    this.#space.truncate(rg.firstDynamic);
    this.#lo.fill(0, 0, 11);
    this.#hi.fill(0, 0, 11);
    this.#rg = rg;
    return this.#bound = bindRunInput(rg, input, this.#lo, this.#hi, alloc);
  }

  /** Whether the run can return from a tail call made in a subprogram ({@link HelperRuntime.subprogTailCall}). */
  get nestsTailCalls(): boolean {
    return this.#subprogTailCall !== null;
  }

  /**
   * The rest of a `bpf_tail_call` made in a subprogram (call depth above 0;
   * the engine caught {@link TAIL_CALL}): as the kernel's JIT runs the
   * target in place of the subprogram and returns from it into the
   * subprogram's caller, run the target (and its own tail calls) through
   * `RunOptions.subprogTailCall` on this run's context (or its buffers as
   * they are now, copied back after), with the chain's tail-call count, and
   * put its r0 in r0: the engine then returns from the subprogram. Its
   * trace lines and executed instructions count as this run's. Null, or
   * the fault message when the target faulted (the run ends there).
   */
  subprogTailCall(): string | null {
    const target = this.#tail!, c = this.env.context, b = this.#bound;
    this.#tail = null;
    const env = this.env as { tailCalls: number };
    const r = this.#subprogTailCall!(
      target,
      c !== null ? { context: c } : { ctx: b.ctx, data: b.data, mem: b.mem },
      env.tailCalls + 1,
    );
    for (const line of r.output) this.output.push(line);
    this.#nestedInsns += r.insnsExecuted;
    env.tailCalls = r.tailCalls ?? env.tailCalls + 1;
    // the target's run mapped the context into its own regions; buffers come back as it left them
    if (c !== null) bindContext(this.#rg!, c);
    else {
      if (b.ctx && r.ctxOut) b.ctx.set(r.ctxOut);
      if (b.data && r.dataOut) b.data.set(r.dataOut);
      if (b.mem && r.memOut) b.mem.set(r.memOut);
    }
    if (r.fault !== null) return `tail call from a subprogram: program ${target.id} faulted: ${r.fault.message}`;
    this.env.ret(r.r0);
    return null;
  }

  /**
   * The result of a run that ended after `n` instructions (either engine):
   * r0 (0 after a fault or a 3.18 LD_ABS/div-by-zero exit, `ret0`; 32 bits
   * under `legacy`), the output and the copies of the inputs given (the
   * instructions of the targets of tail calls from subprograms count too).
   */
  runResult(
    n: number,
    fault: Fault | null,
    ret0: boolean,
    legacy: boolean,
    regs: boolean,
    bound: BoundInput,
  ): RunResult {
    const lo = this.#lo, hi = this.#hi;
    let r0 = fault || ret0 ? 0n : u64Of(hi[0], lo[0]);
    if (legacy) r0 &= 0xffffffffn;
    const out: RunResult = {
      r0,
      insnsExecuted: n + this.#nestedInsns,
      output: this.output,
      fault,
      maps: this.#maps,
      tailCalls: this.env.tailCalls,
    };
    if (regs) out.regs = Array.from({ length: 11 }, (_, i) => u64Of(hi[i], lo[i]));
    if (bound.ctx) out.ctxOut = bound.ctx;
    if (bound.data) out.dataOut = bound.data;
    if (bound.mem) out.memOut = bound.mem;
    if (this.#tail !== null) out.tailCall = this.#tail;
    return out;
  }

  /** Start a run: fresh output, no value regions mapped yet, the seed, and the clock (given, else the real one). */
  reset(seed: number | undefined, clock: (() => bigint) | undefined): void {
    this.#rand = (seed ?? 1) | 0 || 1;
    this.#clock = clock ?? defaultClock;
    this.output = [];
    this.#run++;
  }

  /**
   * Begin the run's RCU read-side critical section: `rcuReadLock` on every map
   * of the program, so values freed during the run are not reused while the
   * program may still hold pointers to them. Does nothing when this runtime
   * already holds the lock (one lock per run).
   */
  rcuReadLock(): void {
    if (this.#locked) return;
    this.#locked = true;
    const cpu = this.env.cpu, saved = this.#savedCpus;
    saved.length = 0;
    for (const m of this.#maps) {
      m.rcuReadLock();
      // per-CPU and LRU maps work on the CPU of the run while it lasts
      if (m.cpu !== undefined) saved.push(m.cpu), m.cpu = cpu;
    }
  }

  /**
   * End the run's critical section (`rcuReadUnlock` on every map). Engines
   * call it when a run ends in any way: exit, fault, instruction limit, an
   * exception, or another run superseding a paused one. Does nothing when not
   * locked.
   */
  rcuReadUnlock(): void {
    if (!this.#locked) return;
    this.#locked = false;
    let k = 0;
    for (const m of this.#maps) {
      m.rcuReadUnlock();
      if (m.cpu !== undefined) m.cpu = this.#savedCpus[k++];
    }
  }
}
