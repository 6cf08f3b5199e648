// Throughput of the linux-6.18 verifier profile: processed insns/s on the
// recorded kernel samples (tests/data/kernel618: 200 generated programs per
// stage, the kernel's own processed counts) and on the limits programs (the
// 1,000,000-insn budget, 8193 pending branches).
//
//   deno bench -A tests/bench/verifier618_bench.ts
//   deno run -A tests/bench/verifier618_bench.ts [LEVEL]   # a table of insns/s per corpus
//
// The kernel's side of the comparison (its `verification_time_usec` on the
// same programs, measured in the same run as ours) comes from
// `sudo nice deno run -A tests/kernel_diff6/run.ts STAGE 2000 SEED --level 4`
// (summary: processed_total, kernel_usec, bpfscope_usec); see BENCHMARKS.md.
import { decodeJson } from "../../core/formats/mod.ts";
import type { Program } from "../../core/isa/mod.ts";
import { verify } from "../../core/verifier/mod.ts";
import { LIMIT_PROGRAMS } from "../kernel_diff6/limits.ts";

interface Sample {
  spec: unknown;
  processed: number;
}

async function load(file: string): Promise<Sample[]> {
  const gz = await Deno.readFile(new URL(`../data/kernel618/${file}`, import.meta.url));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return text.split("\n").filter((l) => l).map((l) => JSON.parse(l));
}

const CORPORA = ["alu_200", "mem_200", "loops_200", "calls_200"];
const corpora: Record<string, { progs: Program[]; processed: number }> = {};
for (const c of CORPORA) {
  const recs = await load(`${c}.jsonl.gz`);
  corpora[c] = {
    progs: recs.map((r) => decodeJson(JSON.stringify(r.spec), "gen")),
    processed: recs.reduce((a, r) => a + r.processed, 0),
  };
}
const limit = (name: string) =>
  decodeJson(JSON.stringify(LIMIT_PROGRAMS.find((p) => p.name.startsWith(name))!.spec), name);
const budget = limit("1M insn budget");
const jumps = limit("8193 pending branches");

function verifyAll(progs: Program[], logLevel: number): number {
  let n = 0;
  for (const p of progs) n += verify(p, { profile: "linux-6.18", logLevel, logSize: 0x3fffffff }).stats.processed_insns;
  return n;
}

function report(name: string, run: () => number, minMs: number) {
  run(); // warm-up
  const t0 = performance.now();
  let n = 0, runs = 0;
  while (performance.now() - t0 < minMs || runs < 2) {
    n += run();
    runs++;
  }
  const dt = (performance.now() - t0) / 1000;
  console.log(
    `${name}: ${(n / dt / 1e6).toFixed(3)} M insns/s (${n / runs} processed insns per run, ${runs} runs, ${
      (dt / runs * 1000).toFixed(1)
    } ms per run)`,
  );
}

if (import.meta.main) {
  const level = Number(Deno.args[0] ?? 0);
  console.log(`linux-6.18 profile, log level ${level}`);
  for (const c of CORPORA) report(`${c} (200 programs)`, () => verifyAll(corpora[c].progs, level), 3000);
  report("1M insn budget (E2BIG)", () => verifyAll([budget], level), 1);
  report("8193 pending branches (E2BIG)", () => verifyAll([jumps], level), 1);
}

for (const c of CORPORA) {
  Deno.bench(`linux-6.18: ${c} corpus (${corpora[c].processed} processed insns), log off`, () => {
    verifyAll(corpora[c].progs, 0);
  });
}
Deno.bench("linux-6.18: 8193 pending branches (8194 insns, E2BIG), log off", { n: 5, warmup: 1 }, () => {
  verifyAll([jumps], 0);
});
Deno.bench("linux-6.18: 1M insn budget (1000001 insns, E2BIG), log off", { n: 3, warmup: 1 }, () => {
  verifyAll([budget], 0);
});
