// Verifier throughput: processed insns/s with logging off, on programs that use
// the whole 32768-insn budget. Run: deno bench -A tests/bench/verifier_bench.ts
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
  type Insn,
  Program,
} from "../../core/isa/mod.ts";
import { verify } from "../../core/verifier/mod.ts";

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

const chain = diamondChain(20);
const consts = constChain(200);
const constsOk = constChain(120);
const distinct = distinctChain(14);

function report(name: string, p: Program, prune: boolean) {
  const t0 = performance.now();
  let n = 0, runs = 0;
  while (performance.now() - t0 < 1500) {
    n += verify(p, { prune }).stats.processed_insns;
    runs++;
  }
  const dt = (performance.now() - t0) / 1000;
  const r = verify(p, { prune });
  console.log(
    `${name}: ${(n / dt / 1e6).toFixed(2)} M insns/s (${r.stats.processed_insns} insns/run, ${
      r.errno ?? "accepted"
    }, ${runs} runs)`,
  );
}

if (import.meta.main) {
  report("diamond chain x20, no pruning", chain, false);
  report("const chain x200, pruning", consts, true);
  report("const chain x120, pruning (accepted)", constsOk, true);
  report("distinct chain x14, no pruning", distinct, false);
  report("distinct chain x14, pruning (worst case: ~13k stored states, none match)", distinct, true);
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
