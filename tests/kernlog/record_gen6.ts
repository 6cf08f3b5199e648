/**
 * Rebuild tests/data/kernlog/gen6.jsonl.gz: the generated part of the
 * kernlog corpus, with the running kernel's level-1 and level-2 logs (needs
 * root and bpf(); not part of `deno task test`):
 *
 *   sudo deno run -A tests/kernlog/record_gen6.ts [OUT.jsonl.gz]
 *
 * Set A: seeds 1-300 with the generator's default knobs; set B: seeds
 * 1001-1100 with larger programs, longer loops and more bugs. One JSON line
 * per program: `{seed, knobs, features, bug, program, kernel: {"1", "2"}}`.
 *
 * @module
 */
import type { Gen6Knobs } from "../gen6/gen.ts";
import { generatePrograms, verifyInKernel } from "../gen6/record.ts";

/** The two sets of the committed corpus. */
export const GEN6_SETS: Array<{ seed: number; count: number; knobs: Partial<Gen6Knobs> }> = [
  { seed: 1, count: 300, knobs: {} },
  { seed: 1001, count: 100, knobs: { blocks: [8, 20], maxTrips: 16, bugRate: 0.5 } },
];

if (import.meta.main) {
  const out = Deno.args[0] ?? new URL("../data/kernlog/gen6.jsonl.gz", import.meta.url).pathname;
  const lines: string[] = [];
  for (const set of GEN6_SETS) {
    const progs = generatePrograms(set.seed, set.count, set.knobs);
    const res = await verifyInKernel(progs.map((p) => JSON.stringify(p.program)), "1,2");
    progs.forEach((p, i) => lines.push(JSON.stringify({ ...p, knobs: set.knobs, kernel: res[i] })));
  }
  const gz = new Blob([lines.join("\n") + "\n"]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(out, gz);
  console.error(`${lines.length} programs -> ${out}`);
}
