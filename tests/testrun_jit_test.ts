// Differential tests of the test-run features: the JIT (core/jit) against the
// interpreter (core/vm) on program-type contexts (converted ctx fields, the
// packet region as helpers move it), every new helper, map type and tail
// calls. Every step's errno, retval, r0 (64 bits), data_out, ctx_out, fault,
// executed instructions, tail calls, redirect and trace lines, every map and
// ring buffer record must be identical. Cases: the hand-written semantic
// cases, generated cases the kernel's verifier accepts, and mutated ones
// (flipped instruction bytes, packets and ctx_in of any size) that fault.
import assert from "node:assert/strict";
import { runCase } from "./kernel_diff/testrun_case.ts";
import { firstDiff } from "./kernel_diff/testrun_diff.ts";
import { semanticCases } from "./kernel_diff/testrun_semantics.ts";
import { generateCases } from "./kernel_diff/testrun_gen.ts";
import { fuzzTestRun } from "./fuzz/testrun_target.ts";

function same(c: Parameters<typeof runCase>[0]): void {
  const a = runCase(c, "interp", 2, true), b = runCase(c, "jit", 2, true);
  assert.equal(firstDiff(a, b), null, c.id);
}

Deno.test("testrun jit: the semantic cases (contexts, helpers, maps, tail calls) on both engines", () => {
  const cases = semanticCases();
  assert.ok(cases.length >= 38);
  for (const c of cases) same(c);
});

Deno.test("testrun jit: 150 generated cases (valid programs never fault) on both engines", () => {
  let runs = 0;
  for (const c of generateCases(150, 20261205)) {
    same(c);
    const r = runCase(c, "jit", 2, true);
    for (const s of r.steps) {
      assert.equal(s.fault, undefined, `${c.id}: ${s.fault}`);
      if (s.detail) runs++;
    }
  }
  assert.ok(runs > 300, `${runs} runs`);
});

Deno.test("testrun jit: mutated cases fault or are refused identically on both engines (seed 1, 200 cases)", () => {
  const s = fuzzTestRun({ seed: 1, iterations: 200 });
  assert.deepEqual(s.findings, [], JSON.stringify(s.findings.slice(0, 2), null, 1).slice(0, 3000));
  assert.ok((s.counts["faulted runs"] ?? 0) > 50, JSON.stringify(s.counts));
  assert.ok((s.counts["refused EINVAL"] ?? 0) > 10, JSON.stringify(s.counts));
});
