/**
 * The `testrun` fuzz target: test-run cases from the kernel comparison's
 * generator (tests/kernel_diff/testrun_gen.ts: packet programs over the
 * program-type contexts, every new helper and map type, tail calls, in a
 * third of the cases also from subprograms), run on
 * the interpreter and the JIT through the `Bpf` facade. Unchanged cases are
 * programs the kernel's verifier accepts (100 % in the kernel campaigns):
 * they must never fault (soundness of the machine on valid programs);
 * mutated ones (instruction bytes flipped, packets and `ctx_in` of any size)
 * may fault or be refused with an errno, but both engines must give the
 * same steps, maps, ring buffer records and trace lines, and nothing but a
 * `BpfError` may escape.
 *
 * @module
 */
import { BpfError } from "../../core/errors.ts";
import { generateCases } from "../kernel_diff/testrun_gen.ts";
import { runCase, type TestRunCase } from "../kernel_diff/testrun_case.ts";
import { firstDiff } from "../kernel_diff/testrun_diff.ts";
import type { FuzzOptions, FuzzStats } from "./targets.ts";
import { Rng } from "./rng.ts";

function mutate(r: Rng, c: TestRunCase): TestRunCase {
  const progs = c.progs.map((p) => {
    const insns = p.insns.map((x) => [...x]);
    const n = r.range(1, 4);
    for (let k = 0; k < n; k++) {
      const i = r.int(insns.length), f = r.int(5);
      insns[i][f] = f === 0
        ? r.int(256)
        : f < 3
        ? r.int(16)
        : f === 3
        ? r.range(-600, 600)
        : r.pick([0, 1, -1, 4096, r.u32() | 0]);
    }
    return { ...p, insns };
  });
  const steps = c.steps.map((s) => {
    if (s.op !== "run" || !r.chance(0.3)) return s;
    const data = r.chance(0.5)
      ? Array.from(r.bytes(r.int(80)), (b) => b.toString(16).padStart(2, "0")).join("")
      : s.data;
    const ctx = r.chance(0.3)
      ? Array.from(r.bytes(r.int(200)), (b) => (b & 3).toString(16).padStart(2, "0")).join("")
      : s.ctx;
    return { ...s, data, ctx };
  });
  return { ...c, id: c.id + "/mutated", progs, steps };
}

/** The `testrun` target (see the module doc). */
export function fuzzTestRun(opts: FuzzOptions = {}): FuzzStats {
  const stats: FuzzStats = { target: "testrun", iterations: 0, ms: 0, counts: {}, findings: [] };
  const seen = new Set<string>();
  const count = (k: string) => void (stats.counts[k] = (stats.counts[k] ?? 0) + 1);
  const find = (kind: string, seed: number, message: string, c: TestRunCase) => {
    count("findings");
    const key = kind + message.replace(/\d+/g, "N").slice(0, 80);
    if (seen.has(key)) return;
    seen.add(key);
    stats.findings.push({ target: "testrun", kind, seed, message, input: JSON.stringify(c) });
  };
  const t0 = performance.now();
  const seed0 = opts.seed ?? 1, max = opts.iterations ?? Infinity, ms = opts.ms ?? (opts.iterations ? Infinity : 1000);
  let i = 0;
  for (; i < max && performance.now() - t0 < ms; i++) {
    const seed = seed0 + i;
    const r = new Rng(seed);
    const base = generateCases(1, seed, seed % 3 === 0)[0]; // a third with tail calls from subprograms
    const mutated = r.chance(0.5);
    const c = mutated ? mutate(r, base) : base;
    count(mutated ? "mutated" : "valid");
    const results = [];
    for (const engine of ["interp", "jit"] as const) {
      const s = performance.now();
      try {
        results.push(runCase(c, engine, 2, true, 100_000));
      } catch (e) {
        if (!(e instanceof BpfError)) find("crash", seed, `${engine}: ${(e as Error)?.stack ?? e}`, c);
        results.push({ error: e instanceof BpfError ? e.errno : String(e) });
      }
      if (performance.now() - s > 3000) find("slow", seed, `${engine}: ${Math.round(performance.now() - s)} ms`, c);
    }
    const d = firstDiff(results[0], results[1]);
    if (d) find("engine-mismatch", seed, `interp / jit ${d}`, c);
    const steps = (results[0] as { steps?: Array<{ fault?: string; errno: string }> }).steps ?? [];
    for (const st of steps) {
      count(st.fault ? "faulted runs" : st.errno === "OK" ? "runs" : `refused ${st.errno}`);
      if (st.fault && !mutated) find("fault of a valid program", seed, st.fault, c);
    }
  }
  stats.iterations = i;
  stats.ms = Math.round(performance.now() - t0);
  return stats;
}
