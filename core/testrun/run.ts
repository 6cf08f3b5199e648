/**
 * `BPF_PROG_TEST_RUN` as the kernel defines it for packet programs: build
 * the program type's ctx and packet from `data_in`/`ctx_in`
 * (contexts.ts), run the program `repeat` times on them (state carries over
 * from one run to the next, as on the kernel's single skb or xdp_buff),
 * following tail calls, and return `retval` (u32), `data_out`, `ctx_out` and
 * the average duration.
 *
 * | condition | errno |
 * |---|---|
 * | program type without a test run in the kernel (kprobe, tracepoint, ...) | ENOTSUPP |
 * | program type whose test run bpfscope does not model (cgroup_skb, lwt_*, flow_dissector, raw_tracepoint, syscall, ...) | ENOTSUPP |
 * | no `data_in` for a packet program, or a `data_in`/`ctx_in` the kernel refuses | EINVAL, E2BIG, ENODEV (see contexts.ts) |
 * | an empty `ctx_in` (`ctx_size_in` 0 with a `ctx_in` pointer) | EINVAL |
 * | `flags` other than BPF_F_TEST_SKB_CHECKSUM_COMPLETE (skb) / BPF_F_TEST_XDP_LIVE_FRAMES (xdp) | EINVAL |
 * | those two flags (not modelled) | ENOTSUPP |
 *
 * Deterministic by default: the clock of `ktime_get_ns` is fixed (0 unless
 * `clock` is given), `get_prandom_u32` is seeded (1 unless `seed` is
 * given), the program runs on simulated CPU 0 unless `cpu` says otherwise.
 * Only `durationNs` depends on the machine. As the kernel's `duration`,
 * it leaves out loading: every program the run may reach is prepared for
 * the engine (the JIT compiles it) before the clock starts.
 *
 * A program that faults (an access outside every region: what the kernel's
 * verifier would have refused) ends the test run there: `fault` says why and
 * `retval` is 0.
 *
 * @module
 */
import { BpfError } from "../errors.ts";
import type { VmEngineName } from "../jit/mod.ts";
import type { Fault, Redirect } from "../vm/mod.ts";
import { type ChainProgram, type ChainResult, runChain, timeRuns } from "./chain.ts";
import { skbTestRunContext, type TestRunContext, xdpTestRunContext } from "./contexts.ts";
import { PROG_SCHED_ACT, PROG_SCHED_CLS, PROG_SOCKET_FILTER, PROG_TYPES, PROG_XDP, progTypeName } from "../isa/mod.ts";

/** `BPF_F_TEST_XDP_LIVE_FRAMES`. */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 2;
/** `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`. */
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 4;

/** Program types with a test run in the kernel that bpfscope does not model. */
const UNMODELLED = new Set(
  [
    "cgroup_skb",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "raw_tracepoint",
    "flow_dissector",
    "tracing",
    "struct_ops",
    "sk_lookup",
    "syscall",
    "netfilter",
  ].map((t) => PROG_TYPES[t]),
);

/** Options of a test run: the kernel's attributes and bpfscope's deterministic environment. */
export interface TestRunOptions {
  /** `data_in`: the packet. */
  data?: Uint8Array;
  /** `ctx_in`: a `struct __sk_buff` or `struct xdp_md` (see contexts.ts). */
  ctx?: Uint8Array;
  /** Runs (`repeat`, a u32; 0 counts as 1). */
  repeat?: number;
  /** `flags` of the test run (see the module doc). */
  flags?: number;
  /** The simulated CPU the program runs on (default 0): `get_smp_processor_id`, per-CPU values, LRU lists. */
  cpu?: number;
  /** Seed of `get_prandom_u32` (default 1). */
  seed?: number;
  /** The clock of `ktime_get_ns` and friends: a fixed value, or a function called per use (default a fixed 0). */
  clock?: bigint | (() => bigint);
  /** Executed-instruction limit per program run (default 1e9). */
  maxInsns?: number;
  /** The may_goto budget each call of a function starts with (default BPF_MAX_LOOPS, 8,388,608, the kernel's). */
  mayGotoBudget?: number;
  /** `interp` or `jit` (default `interp`; identical results). */
  engine?: VmEngineName;
  /**
   * The clock `durationNs` is measured with, in ms (default
   * `performance.now`). It starts once every program the run may reach is
   * prepared (see `prepareChain`).
   */
  now?: () => number;
}

/** What a test run returns. */
export interface TestRunReport {
  /** `retval`: r0 of the last run as a u32 (0 after a fault). */
  retval: number;
  /** r0 of the last run as 64 bits (the kernel returns only `retval`). */
  r0: bigint;
  /** `data_out`: the packet after the last run. */
  dataOut: Uint8Array;
  /** `ctx_out`, when a `ctx_in` was given. */
  ctxOut: Uint8Array | null;
  /** `duration`: average wall time per run in ns (the only value that depends on the machine). */
  durationNs: number;
  /** trace_printk lines of all runs. */
  output: string[];
  /** The last `bpf_redirect` a run made (the test run does not send the packet). */
  redirect: Redirect | null;
  /** Why a run stopped (then the test run stopped too), or null. */
  fault: Fault | null;
  /** Instructions executed by the last run (all programs of its tail-call chain). */
  insnsExecuted: number;
  /** Tail calls the last run made. */
  tailCalls: number;
  /** Runs made (`repeat`, or fewer after a fault). */
  runs: number;
}

/** The ctx and packet of a test run of a program of type `progType` (see contexts.ts). @throws BpfError */
export function testRunContext(progType: number, data?: Uint8Array, ctx?: Uint8Array): TestRunContext {
  const isSkb = progType === PROG_SOCKET_FILTER || progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT;
  if (!isSkb && progType !== PROG_XDP) {
    const name = progTypeName(progType), type = name === String(progType) ? name : `${name} (${progType})`;
    throw new BpfError(
      "ENOTSUPP",
      UNMODELLED.has(progType)
        ? `program type ${type}: the kernel has a test run for it, bpfscope models only socket_filter, sched_cls, sched_act and xdp`
        : `program type ${type} has no test run (BPF_PROG_TEST_RUN supports packet, tracing and syscall programs)`,
    );
  }
  if (ctx !== undefined && ctx.length === 0) throw new BpfError("EINVAL", "ctx_in is empty (ctx_size_in 0)");
  if (data === undefined) throw new BpfError("EINVAL", "packet programs need data_in");
  return isSkb ? skbTestRunContext(progType, data, ctx) : xdpTestRunContext(data, ctx);
}

/**
 * `BPF_PROG_TEST_RUN` of `prog` (see the module doc).
 * @throws BpfError ENOTSUPP, EINVAL, E2BIG, ENODEV
 */
export function runTestRun(prog: ChainProgram, opts: TestRunOptions = {}): TestRunReport {
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0xffffffff) {
    throw new BpfError("EINVAL", `repeat must be a u32, got ${repeat}`);
  }
  const flags = opts.flags ?? 0;
  const xdp = prog.progType === PROG_XDP;
  const known = xdp ? BPF_F_TEST_XDP_LIVE_FRAMES : BPF_F_TEST_SKB_CHECKSUM_COMPLETE;
  if (!Number.isInteger(flags) || (flags & ~known) !== 0) throw new BpfError("EINVAL", `flags 0x${flags.toString(16)}`);
  const tc = testRunContext(prog.progType, opts.data, opts.ctx);
  if (flags !== 0) {
    throw new BpfError(
      "ENOTSUPP",
      xdp ? "BPF_F_TEST_XDP_LIVE_FRAMES is not modelled" : "BPF_F_TEST_SKB_CHECKSUM_COMPLETE is not modelled",
    );
  }
  const clock = opts.clock ?? 0n;
  const runOpts = {
    maxInsns: opts.maxInsns,
    mayGotoBudget: opts.mayGotoBudget,
    seed: opts.seed,
    cpu: opts.cpu,
    clock: typeof clock === "bigint" ? () => clock : clock,
    regs: false,
  };
  const engine = opts.engine ?? "interp";
  const output: string[] = [];
  let r!: ChainResult;
  const { durationNs, runs } = timeRuns(prog, engine, Math.max(1, repeat), () => {
    r = runChain(prog, { context: tc.context }, runOpts, engine);
    for (const line of r.output) output.push(line);
    return r.fault === null;
  }, opts.now);
  const r0 = r.fault === null ? r.r0 : 0n;
  return {
    retval: Number(r0 & 0xffffffffn),
    r0,
    dataOut: tc.dataOut(),
    ctxOut: tc.ctxOut(),
    durationNs,
    output,
    redirect: tc.context.redirect,
    fault: r.fault,
    insnsExecuted: r.insnsExecuted,
    tailCalls: r.tailCalls,
    runs,
  };
}
