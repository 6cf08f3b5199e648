// Test runs recorded from the running kernel (6.18, BPF_PROG_TEST_RUN via
// tests/kernel_diff/testrun_diff.ts --record) replayed in bpfscope without a
// kernel: every step's errno, retval, data_out and ctx_out, every map, ring
// buffer record and trace_printk line must be what the kernel gave, on the
// interpreter and on the JIT.
import assert from "node:assert/strict";
import { type CaseResult, runCase, type TestRunCase } from "./kernel_diff/testrun_case.ts";
import { firstDiff } from "./kernel_diff/testrun_diff.ts";

const DIR = new URL("./data/testrun/", import.meta.url);

async function records(file: string): Promise<Array<{ case: TestRunCase; kernel: CaseResult }>> {
  const gz = await Deno.readFile(new URL(file, DIR));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

for (const entry of Deno.readDirSync(DIR)) {
  if (!entry.name.endsWith(".jsonl.gz")) continue;
  Deno.test(`test runs recorded from the kernel: ${entry.name}`, async () => {
    const recs = await records(entry.name);
    assert.ok(recs.length > 0, "no records");
    let steps = 0;
    for (const { case: c, kernel } of recs) {
      for (const engine of ["interp", "jit"] as const) {
        const d = firstDiff(kernel, runCase(c, engine));
        assert.equal(d, null, `${c.id} (${engine})${d}`);
      }
      steps += c.steps.length;
    }
    assert.ok(steps >= recs.length);
  });
}
