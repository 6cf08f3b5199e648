/**
 * Tail-call chains: run a program and, when it ends in a successful
 * `bpf_tail_call` (`RunResult.tailCall`), the program it jumps to, on the
 * same input, until one exits or faults. The kernel starts the target with
 * the caller's r1 (the ctx) on the same skb or xdp_buff; here the target
 * gets the same {@link ProgContext} (or, for a run on plain buffers, the
 * buffers as the caller left them), a fresh stack, and the chain's
 * tail-call count (`MAX_TAIL_CALL_CNT` = 33 per chain).
 *
 * @module
 */
import type { TailCallTarget } from "../maps/mod.ts";
import type { VmEngine, VmEngineName } from "../jit/mod.ts";
import type { RunInput, RunOptions, RunResult } from "../vm/mod.ts";

/** A loaded program a chain can run: what prog_array slots hold, with its engines. */
export interface ChainProgram extends TailCallTarget {
  /** The program prepared for engine `name` (the JIT compiles on first use). */
  engine(name: VmEngineName): VmEngine;
}

/** The result of a chain: the last program's result, with counts and output of the whole chain. */
export interface ChainResult extends RunResult {
  /** Tail calls made. */
  tailCalls: number;
  /** The ids of the programs that ran, in order. */
  programs: number[];
}

/**
 * Run `first` and the programs its tail calls reach (see the module doc).
 * `insnsExecuted` and `output` cover the whole chain; the instruction limit
 * applies to each program.
 */
export function runChain(first: ChainProgram, input: RunInput, opts: RunOptions, engine: VmEngineName): ChainResult {
  let prog = first, tailCalls = opts.tailCalls ?? 0, insns = 0, inp = input;
  const output: string[] = [], programs: number[] = [];
  for (;;) {
    programs.push(prog.id);
    const r = prog.engine(engine).run(inp, { ...opts, tailCalls });
    insns += r.insnsExecuted;
    output.push(...r.output);
    if (r.tailCall === undefined || r.fault !== null) {
      return { ...r, insnsExecuted: insns, output, tailCalls, programs };
    }
    tailCalls++;
    prog = r.tailCall as ChainProgram;
    if (inp.context === undefined) inp = { ctx: r.ctxOut, data: r.dataOut, mem: r.memOut };
  }
}
