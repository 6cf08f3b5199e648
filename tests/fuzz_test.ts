// Fixed-seed short runs of the fuzz targets (tests/fuzz/): a few seconds in
// total. Longer runs: `deno task fuzz TARGET SECONDS [SEED]`.
import assert from "node:assert/strict";
import {
  fuzzLimits,
  fuzzParsers,
  fuzzSoundness,
  fuzzSoundness618,
  type FuzzStats,
  fuzzVerifier,
} from "./fuzz/targets.ts";
import { fuzzTestRun } from "./fuzz/testrun_target.ts";
import { fuzzJitOpt } from "./fuzz/jitopt_target.ts";
import { jitDefaults } from "../core/jit/mod.ts";
import { generateProgram } from "./fuzz/gen.ts";
import { Rng } from "./fuzz/rng.ts";
import { verify } from "../core/verifier/mod.ts";
import { decodeProgram } from "../core/formats/mod.ts";
import { FormatError } from "../core/errors.ts";

const noFindings = (s: FuzzStats) => assert.deepEqual(s.findings, [], JSON.stringify(s.findings, null, 1));

Deno.test("fuzz: the generator is deterministic for a seed", () => {
  const a = generateProgram(new Rng(42), { profile: "linux-3.19" }).prog;
  const b = generateProgram(new Rng(42), { profile: "linux-3.19" }).prog;
  assert.deepEqual(a.bytes, b.bytes);
  assert.deepEqual(a.fixups, b.fixups);
});

Deno.test("fuzz: soundness — accepted programs never fault, interp and JIT agree (seed 1, 150 programs)", () => {
  const s = fuzzSoundness({ seed: 1, iterations: 150, runs: 4 });
  noFindings(s);
  const accepted = (s.counts["accepted linux-3.19"] ?? 0) + (s.counts["accepted linux-3.18"] ?? 0);
  // the generator is biased towards valid programs: a good share must be accepted
  assert.ok(accepted / s.iterations > 0.4, `acceptance ${accepted}/${s.iterations}`);
  assert.ok((s.counts["accepted linux-3.18"] ?? 0) > 10);
  assert.ok(s.counts.runs > 500);
});

Deno.test("fuzz: soundness618 — programs linux-6.18 accepts (socket_filter, sched_cls, xdp) never fault on test runs, interp and JIT agree (seed 1, 150 programs)", () => {
  const s = fuzzSoundness618({ seed: 1, iterations: 150, runs: 4 });
  noFindings(s);
  assert.ok((s.counts.accepted ?? 0) / s.iterations > 0.4, `acceptance ${s.counts.accepted}/${s.iterations}`);
  assert.ok(s.counts.runs > 400);
  assert.ok(s.counts["programs xdp"] > 20 && s.counts["programs sched_cls"] > 20, JSON.stringify(s.counts));
});

Deno.test("fuzz: verifier — mutated, random and huge programs end in a verdict (seed 1, 1500 inputs)", () => {
  const s = fuzzVerifier({ seed: 1, iterations: 1500, slowMs: 5000 });
  noFindings(s);
  assert.ok(s.counts.huge > 0 && s.counts.mutated > 0 && s.counts.random > 0);
});

Deno.test("fuzz: parsers — mutated JSON, raw, asm and ELF end in FormatError or a program (seed 1, 1500 inputs)", () => {
  const s = fuzzParsers({ seed: 1, iterations: 1500, slowMs: 5000 });
  noFindings(s);
  assert.ok(s.counts["input elf"] > 0 && s.counts["input json"] > 0 && s.counts["input asm"] > 0);
  assert.ok(s.counts["input raw"] > 0 && s.counts.decoded > 0 && s.counts["format-error"] > 0);
});

Deno.test("fuzz: limits — runaway programs stop at the instruction limit on both engines (seed 1, 40 programs)", () => {
  const s = fuzzLimits({ seed: 1, iterations: 40 });
  noFindings(s);
  assert.ok(s.counts["stopped by the limit"] > 0);
});

Deno.test("fuzz: testrun — valid test-run programs never fault, interp and JIT agree (seed 7, 120 cases)", () => {
  const s = fuzzTestRun({ seed: 7, iterations: 120 });
  noFindings(s);
  assert.ok((s.counts.valid ?? 0) > 30 && (s.counts.mutated ?? 0) > 30, JSON.stringify(s.counts));
  assert.ok((s.counts.runs ?? 0) > 100 && (s.counts["faulted runs"] ?? 0) > 10, JSON.stringify(s.counts));
});

Deno.test("fuzz: jitopt — programs aimed at the JIT's value ranges, block guards and store forwarding agree with the interpreter (seed 1, 250 programs)", () => {
  const s = fuzzJitOpt({ seed: 1, iterations: 250 });
  noFindings(s);
  // the programs reach what they are aimed at (marks in the generated code), and run to the end as well as fault
  for (const k of ["block guards", "forwarded stores", "32-bit arithmetic from ranges", "clean", "faults"]) {
    assert.ok((s.counts[k] ?? 0) > 40, JSON.stringify(s.counts));
  }
});

Deno.test("fuzz: jitopt with the JIT's wasm tier forced on agrees with the interpreter (seed 2, 250 programs)", () => {
  jitDefaults.wasm = "always";
  try {
    const s = fuzzJitOpt({ seed: 2, iterations: 250 });
    noFindings(s);
    assert.ok((s.counts.faults ?? 0) > 40 && (s.counts.clean ?? 0) > 40, JSON.stringify(s.counts));
  } finally {
    jitDefaults.wasm = "auto";
  }
});

Deno.test("fuzz: corpus — every file decodes or fails with a FormatError, and verifies without throwing", () => {
  const dir = new URL("./data/corpus/", import.meta.url).pathname;
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || e.name === "README.md") continue;
    n++;
    const bytes = Deno.readFileSync(dir + e.name);
    try {
      const p = decodeProgram(bytes, e.name);
      for (const profile of ["linux-3.18", "linux-3.19"]) verify(p, { profile });
    } catch (err) {
      assert.ok(err instanceof FormatError, `${e.name}: ${err}`);
    }
  }
  assert.ok(n >= 5);
});
