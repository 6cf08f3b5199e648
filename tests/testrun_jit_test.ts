// Differential tests of the test-run features: the JIT (core/jit) against the
// interpreter (core/vm) on program-type contexts (converted ctx fields, the
// packet region as helpers move it), every new helper, map type and tail
// calls. Every step's errno, retval, r0 (64 bits), data_out, ctx_out, fault,
// executed instructions, tail calls, redirect and trace lines, every map and
// ring buffer record must be identical. Cases: the hand-written semantic
// cases, generated cases the kernel's verifier accepts, and mutated ones
// (flipped instruction bytes, packets and ctx_in of any size) that fault.
import assert from "node:assert/strict";
import {
  assemble,
  type ChainProgram,
  createMap,
  createVm,
  type Jit,
  jitDefaults,
  type ProgArrayMap,
  runTestRun,
  toBytes,
  u64,
  type VmEngine,
} from "../mod.ts";
import { runCase } from "./kernel_diff/testrun_case.ts";
import { firstDiff } from "./kernel_diff/testrun_diff.ts";
import { semanticCases } from "./kernel_diff/testrun_semantics.ts";
import { generateCases } from "./kernel_diff/testrun_gen.ts";
import { fuzzTestRun } from "./fuzz/testrun_target.ts";

function same(c: Parameters<typeof runCase>[0]): void {
  const a = runCase(c, "interp", 2, true), b = runCase(c, "jit", 2, true);
  assert.equal(firstDiff(a, b), null, c.id);
  // the JIT with its wasm tier forced on
  jitDefaults.wasm = "always";
  try {
    assert.equal(firstDiff(a, runCase(c, "jit", 2, true)), null, `${c.id} (wasm tier)`);
  } finally {
    jitDefaults.wasm = "auto";
  }
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

Deno.test("testrun jit: 100 generated cases with tail calls from subprograms never fault, same on both engines", () => {
  let nested = 0;
  for (const c of generateCases(100, 20261206, true)) {
    same(c);
    const r = runCase(c, "jit", 2, true);
    for (const s of r.steps) assert.equal(s.fault, undefined, `${c.id}: ${s.fault}`);
    if (c.progs.some((p) => p.insns.some(([code, , src]) => code === 0x85 && src === 1))) nested++;
  }
  assert.ok(nested > 20, `${nested} cases call a subprogram`);
});

Deno.test("testrun jit: mutated cases fault or are refused identically on both engines (seed 1, 200 cases)", () => {
  jitDefaults.wasm = "always";
  try {
    const w = fuzzTestRun({ seed: 1, iterations: 200 });
    assert.deepEqual(w.findings, [], `wasm tier: ${JSON.stringify(w.findings.slice(0, 2), null, 1).slice(0, 3000)}`);
  } finally {
    jitDefaults.wasm = "auto";
  }
  const s = fuzzTestRun({ seed: 1, iterations: 200 });
  assert.deepEqual(s.findings, [], JSON.stringify(s.findings.slice(0, 2), null, 1).slice(0, 3000));
  assert.ok((s.counts["faulted runs"] ?? 0) > 50, JSON.stringify(s.counts));
  assert.ok((s.counts["refused EINVAL"] ?? 0) > 10, JSON.stringify(s.counts));
});

// the structured form returns from an inlined subprogram, the switch form (chunks; and what the structured form hands
// over to when the budget runs short) from a frame, the budget twins count instruction by instruction
Deno.test("testrun jit: tail calls from subprograms in every JIT form and under every instruction limit", () => {
  const out = createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  const jmp = createMap({ mapType: 3, keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
  const decl = ".prog_type xdp\n.map out array key=4 value=8 max=1\n.map jmp prog_array key=4 value=4 max=4\n";
  const say = (w: string) =>
    `*(u32 *)(r10 -4) = ${w.charCodeAt(0) | (w.charCodeAt(1) << 8)}\nr1 = r10\nr1 += -4\nr2 = 4\ncall 6`;
  const texts = [
    // main: a subprogram tail-calls slot 0 and returns its r0; r7 and the caller's stack are kept
    `r6 = r1\nr7 = 5\n*(u64 *)(r10 -16) = 1000\ncall sub\nr8 = r0\n${say("mn")}\nr0 = r8\nr0 += r7\n` +
    `r1 = *(u64 *)(r10 -16)\nr0 += r1\nexit\nsub:\nr2 = map[jmp] ll\nr3 = 0\ncall 12\nr0 = 1\nexit`,
    // slot 0: counts its runs, says so, tail-calls slot 1 from a subprogram two frames deep
    `r6 = r1\n*(u32 *)(r10 -8) = 0\nr1 = map[out] ll\nr2 = r10\nr2 += -8\ncall 1\nif r0 == 0 goto end\n` +
    `r1 = *(u64 *)(r0 +0)\nr1 += 1\n*(u64 *)(r0 +0) = r1\nend:\n${say("tg")}\nr1 = r6\ncall s1\nr0 += 7\nexit\n` +
    `s1:\ncall s2\nr0 += 30\nexit\ns2:\nr2 = map[jmp] ll\nr3 = 1\ncall 12\nr0 = 1\nexit`,
    // slot 1
    `${say("s1")}\nr0 = 400\nexit`,
  ];
  type Form = {
    name: string;
    engine: "interp" | "jit";
    maxFunctionTokens?: number;
    source?: RegExp;
    wasm?: "always";
  };
  const forms: Form[] = [
    { name: "interp", engine: "interp" },
    { name: "jit fast", engine: "jit", source: /function fast\(max\)/ },
    { name: "jit chunks", engine: "jit", maxFunctionTokens: 200, source: /function chunk1\(max\)/ },
    { name: "jit wasm", engine: "jit", wasm: "always" },
  ];
  const results = forms.map((form) => {
    const progs = texts.map((t, id): ChainProgram => {
      const prog = assemble(decl + t).withMapFds([1, 2]);
      const opts = {
        progType: 6,
        resolveMap: (fd: number) => (fd === 1 ? out : jmp),
        maxFunctionTokens: form.maxFunctionTokens,
        wasm: form.wasm,
      };
      const made: VmEngine[] = [];
      return {
        id,
        progType: 6,
        engine(_name, busy) {
          let e = made.find((x) => !busy?.has(x));
          if (e === undefined) made.push(e = createVm(prog, opts, form.engine));
          if (form.source && id < 2) assert.match((e as Jit).source, form.source, form.name);
          if (form.wasm) assert.ok((e as Jit).wasm, form.name);
          return e;
        },
      };
    });
    jmp.setProg(0, progs[1]);
    jmp.setProg(1, progs[2]);
    out.update(toBytes(0, 4), new Uint8Array(8));
    const runs = [];
    for (const maxInsns of [undefined, ...Array.from({ length: 60 }, (_, k) => k + 1)]) {
      const r = runTestRun(progs[0], { data: new Uint8Array(60), engine: form.engine, maxInsns });
      runs.push({ maxInsns, r: { ...r, durationNs: 0 }, out: u64(out.lookup(toBytes(0, 4))) });
    }
    return runs;
  });
  const full = results[0][0].r;
  assert.equal(full.retval, 400 + 30 + 7 + 5 + 1000, "slot 1's r0 through s2, s1 and slot 0 into main");
  assert.deepEqual(full.output, ["tg", "s1", "mn"]);
  assert.equal(full.tailCalls, 2);
  assert.equal(results[0][0].out, 1n);
  assert.ok(results[0].some(({ r }) => r.fault !== null) && results[0].some(({ r }) => r.fault === null && r !== full));
  for (let f = 1; f < forms.length; f++) assert.deepEqual(results[f], results[0], forms[f].name);
});
