/**
 * Tail-call chains: run a program and, when it ends in a successful
 * `bpf_tail_call` (`RunResult.tailCall`), the program it jumps to, on the
 * same input, until one exits or faults. The kernel starts the target with
 * the caller's r1 (the ctx) on the same skb or xdp_buff; here the target
 * gets the same {@link ProgContext} (or, for a run on plain buffers, the
 * buffers as the caller left them), a fresh stack, and the chain's
 * tail-call count (`MAX_TAIL_CALL_CNT` = 33 per chain).
 *
 * A tail call made in a bpf-to-bpf subprogram does not end the run: as the
 * kernel's JIT runs the target in place of the subprogram and returns from
 * it into the subprogram's caller, the target's chain runs while the run
 * waits (`RunOptions.subprogTailCall`), and its r0 is what the subprogram
 * returns. The count is the whole run's: the kernel shares it between the
 * frames. A program whose run waits so is run again on another instance of
 * its engine.
 *
 * Before a test run is timed, {@link prepareChain} prepares every program
 * the chain may reach (the JIT compiles them), as the kernel JITs programs
 * when they are loaded: the duration covers the runs only.
 *
 * @module
 */
import { ProgArrayMap, type TailCallTarget } from "../maps/mod.ts";
import type { VmEngine, VmEngineName } from "../jit/mod.ts";
import type { RunInput, RunOptions, RunResult } from "../vm/mod.ts";

/** A loaded program a chain can run: what prog_array slots hold, with its engines. */
export interface ChainProgram extends TailCallTarget {
  /**
   * The program prepared for engine `name` (the JIT compiles on first
   * use): an instance that is not in `busy` (the engines whose runs wait for
   * a tail call from a subprogram).
   */
  engine(name: VmEngineName, busy?: ReadonlySet<VmEngine>): VmEngine;
}

/** The result of a chain: the last program's result, with counts and output of the whole chain. */
export interface ChainResult extends RunResult {
  /** Tail calls made. */
  tailCalls: number;
}

/**
 * Prepare `first` and every program its tail calls may reach (the programs
 * in the prog_array slots of its maps, and theirs) for engine `engine`.
 * Programs cannot change prog_array slots, so these are all the programs a
 * run from `first` can start.
 */
export function prepareChain(first: ChainProgram, engine: VmEngineName): void {
  const seen = new Set<ChainProgram>([first]);
  for (const todo = [first]; todo.length > 0;) {
    for (const m of todo.pop()!.engine(engine).maps) {
      if (!(m instanceof ProgArrayMap)) continue;
      for (const p of m.programs() as ChainProgram[]) {
        if (!seen.has(p)) seen.add(p), todo.push(p);
      }
    }
  }
}

/**
 * Time up to `n` runs: prepare the programs a chain from `first` may reach
 * ({@link prepareChain}), then start the clock (`now`, in ms) and call
 * `once` until it has run `n` times or returns false (the run that returned
 * false counts). The average ns per run, rounded down as the kernel's
 * `duration`, and the number of runs.
 */
export function timeRuns(
  first: ChainProgram,
  engine: VmEngineName,
  n: number,
  once: () => boolean,
  now: () => number = () => performance.now(),
): { durationNs: number; runs: number } {
  prepareChain(first, engine);
  let runs = 0;
  const t0 = now();
  while (runs < n) {
    runs++;
    if (!once()) break;
  }
  return { durationNs: Math.floor(((now() - t0) * 1e6) / runs), runs };
}

/**
 * Run `first` and the programs its tail calls reach (see the module doc).
 * `insnsExecuted` and `output` cover the whole chain; the instruction limit
 * applies to each program.
 */
export function runChain(
  first: ChainProgram,
  input: RunInput,
  opts: RunOptions,
  engine: VmEngineName,
  busy: Set<VmEngine> = new Set(),
): ChainResult {
  let prog = first, tailCalls = opts.tailCalls ?? 0, insns = 0, inp = input;
  const output: string[] = [];
  const subprogTailCall = (target: TailCallTarget, nested: RunInput, calls: number) =>
    runChain(target as ChainProgram, nested, { ...opts, tailCalls: calls }, engine, busy);
  for (;;) {
    const vm = prog.engine(engine, busy);
    let r: RunResult;
    busy.add(vm);
    try {
      r = vm.run(inp, { ...opts, tailCalls, subprogTailCall });
    } finally {
      busy.delete(vm);
    }
    insns += r.insnsExecuted;
    for (const line of r.output) output.push(line);
    tailCalls = r.tailCalls ?? tailCalls;
    if (r.tailCall === undefined || r.fault !== null) {
      return { ...r, insnsExecuted: insns, output, tailCalls };
    }
    tailCalls++;
    prog = r.tailCall as ChainProgram;
    if (inp.context === undefined) inp = { ctx: r.ctxOut, data: r.dataOut, mem: r.memOut };
  }
}
