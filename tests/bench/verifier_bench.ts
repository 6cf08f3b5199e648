/**
 * Verifier throughput: processed insns/s with logging off, on programs that
 * use the whole 32768-insn budget (and one short walk). `deno bench -A
 * tests/bench/verifier_bench.ts`, or run directly (`deno run -A
 * tests/bench/verifier_bench.ts [samples=7] [ms=300]`) for M insns/s (per
 * second of this process's CPU time) with the explored-state index and with
 * the plain list walk, taken in turns.
 *
 * @module
 */
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_JGT,
  BPF_JMP_IMM,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_ST_MEM,
  BPF_STX_MEM,
  type Insn,
  Program,
} from "../../core/isa/mod.ts";
import { verify } from "../../core/verifier/mod.ts";
import process from "node:process";

/** This process's CPU time in ms (a machine busy with other work slows it less than wall time). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** k diamonds `if r1 > i goto +0`: 2^k paths without pruning, 2k+3 insns with it. */
export function diamondChain(k: number): Program {
  const insns: Insn[] = [BPF_LDX_MEM(BPF_DW, 1, 1, 0), BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < k; i++) insns.push(BPF_JMP_IMM(BPF_JGT, 1, i, 0));
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns);
}

/**
 * Branches that make states differ so pruning cannot cut them: each of k
 * blocks `if r1 > i goto +1; r(2+i%8) += 1` ... writes a stack byte on one side,
 * so every path has a different stack: uses the budget even with pruning.
 */
export function distinctChain(k: number): Program {
  const insns: Insn[] = [BPF_LDX_MEM(BPF_DW, 1, 1, 0), BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < k; i++) {
    insns.push(BPF_JMP_IMM(BPF_JGT, 1, i, 1));
    insns.push(BPF_ST_MEM(BPF_DW, 10, -8 * (i + 1), 0));
    insns.push(BPF_ALU64_IMM(BPF_ADD, 0, 1));
  }
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns);
}

/**
 * k blocks `if r1 > i goto +1; r3 = i`: at the join of block i, r3 holds one
 * of i+1 constants, so i+1 states survive pruning there; the walk processes
 * about k^2 insns (the budget for k >= 182) with short explored lists.
 */
export function constChain(k: number): Program {
  const insns: Insn[] = [BPF_LDX_MEM(BPF_DW, 1, 1, 0), BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < k; i++) {
    insns.push(BPF_JMP_IMM(BPF_JGT, 1, i, 1));
    insns.push(BPF_MOV64_IMM(3, i));
  }
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns);
}

/**
 * k blocks `r3 = i; if r1 > i goto +1; *(u64 *)(r10 -8) = r3`: two states
 * per join that differ only in a spilled register, so the walk prunes at
 * once (a short walk: what the lookup costs when little is stored).
 */
export function spillChain(k: number): Program {
  const insns: Insn[] = [BPF_LDX_MEM(BPF_DW, 1, 1, 0), BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < k; i++) {
    insns.push(BPF_MOV64_IMM(3, i));
    insns.push(BPF_JMP_IMM(BPF_JGT, 1, i, 1));
    insns.push(BPF_STX_MEM(BPF_DW, 10, 3, -8));
  }
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns);
}

const chain = diamondChain(20);
const consts = constChain(200);
const constsOk = constChain(120);
const distinct = distinctChain(14);
const spills = spillChain(100);

/** The cases of the direct run: name, program, pruning. */
const CASES: Array<[string, Program, boolean]> = [
  ["diamond chain x20, no pruning", chain, false],
  ["const chain x200, pruning", consts, true],
  ["const chain x120, pruning (accepted)", constsOk, true],
  ["spill chain x100, pruning (accepted, short)", spills, true],
  ["distinct chain x14, no pruning", distinct, false],
  ["distinct chain x14, pruning (worst case: ~13k stored states, none match)", distinct, true],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * M processed insns per second of `p` with the explored-state index and
 * with the plain list walk, their samples (each at least `ms` long) taken
 * in turns: the medians of `samples` samples each, and the median of the
 * per-pair ratios (index ÷ list).
 */
function report(name: string, p: Program, prune: boolean, samples: number, ms: number) {
  const rate = (exploredIndex: boolean): number => {
    const t0 = cpuMs();
    let n = 0;
    while (cpuMs() - t0 < ms) n += verify(p, { prune, exploredIndex }).stats.processed_insns;
    return n / (cpuMs() - t0) / 1e3;
  };
  rate(true), rate(false); // warm-up
  const ix: number[] = [], ls: number[] = [];
  for (let k = 0; k < samples; k++) ix.push(rate(true)), ls.push(rate(false));
  const r = verify(p, { prune });
  console.log(
    `${name}: index ${median(ix).toFixed(2)} M insns/s, list ${median(ls).toFixed(2)} M insns/s, ratio ${
      median(ix.map((x, k) => x / ls[k])).toFixed(2)
    } (${r.stats.processed_insns} insns/run, ${r.errno ?? "accepted"}, ${r.stats.total_states} states stored)`,
  );
}

if (import.meta.main) {
  const samples = Number(Deno.args[0] ?? 7), ms = Number(Deno.args[1] ?? 300);
  if (!Number.isInteger(samples) || samples < 1 || !(ms > 0)) {
    console.error("usage: verifier_bench.ts [SAMPLES (default 7)] [MS of CPU time per sample (default 300)]");
    Deno.exit(2);
  }
  console.log(
    `Deno ${Deno.version.deno}; median of ${samples} samples of ${ms} ms of CPU time each, index and list walk in turns`,
  );
  for (const [name, p, prune] of CASES) report(name, p, prune, samples, ms);
}

Deno.bench("verifier: diamond chain, no pruning (32769 insns, E2BIG)", () => {
  verify(chain, { prune: false });
});
Deno.bench("verifier: diamond chain, pruning (43 insns)", () => {
  verify(chain);
});
Deno.bench("verifier: const chain x200, pruning (budget)", () => {
  verify(consts);
});
Deno.bench("verifier: const chain x120, pruning (accepted)", () => {
  verify(constsOk);
});
Deno.bench("verifier: distinct-stack chain, no pruning (budget)", () => {
  verify(distinct, { prune: false });
});
Deno.bench("verifier: distinct-stack chain, pruning (worst case for is_state_visited)", () => {
  verify(distinct);
});
Deno.bench("verifier: distinct-stack chain, pruning, list walk (no explored-state index)", () => {
  verify(distinct, { exploredIndex: false });
});
Deno.bench("verifier: spill chain x100, pruning (short walk)", () => {
  verify(spills);
});
