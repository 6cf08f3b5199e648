/**
 * Test runs against the running kernel (needs root and bpf(); not part of
 * `deno task test`):
 *
 *   sudo deno run -A tests/kernel_diff/testrun_diff.ts semantics [--record FILE]
 *   sudo deno run -A tests/kernel_diff/testrun_diff.ts gen COUNT SEED [--record FILE]
 *   sudo deno run -A tests/kernel_diff/testrun_diff.ts elf PER_OBJECT SEED [--record FILE]
 *   sudo deno run -A tests/kernel_diff/testrun_diff.ts maygoto [--record FILE]
 *
 * `semantics`: the hand-written cases of testrun_semantics.ts (contexts,
 * every helper and map type, their errnos and limits); `gen`: COUNT
 * generated cases (testrun_gen.ts); `elf`: clang-built objects over many
 * inputs (testrun_elf.ts). Each case runs in the kernel (one python
 * process per batch: testrun.py) and in bpfscope on the interpreter and the
 * JIT; every step's errno, retval, data_out and ctx_out, every map, ring
 * buffer record and trace line must be equal. `--record FILE` writes
 * `{case, kernel}` lines (gzipped when FILE ends in .gz) for
 * tests/testrun_kernel_test.ts, which replays them without a kernel.
 *
 * Prints a JSON summary and the first mismatches on stdout.
 *
 * @module
 */
import { type CaseResult, runCase, type TestRunCase } from "./testrun_case.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** Run `cases` in the kernel, `batch` per python process. */
export async function kernelResults(cases: TestRunCase[], batch = 500): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  const dir = await Deno.makeTempDir({ prefix: "bpfscope-testrun-" });
  try {
    for (let i = 0; i < cases.length; i += batch) {
      const inp = `${dir}/in.jsonl`, res = `${dir}/out.jsonl`;
      await Deno.writeTextFile(inp, cases.slice(i, i + batch).map((c) => JSON.stringify(c)).join("\n") + "\n");
      const p = await new Deno.Command("python3", { args: [`${HERE}testrun.py`, inp, res], stderr: "inherit" })
        .output();
      if (!p.success) throw new Error(`testrun.py failed (${p.code})`);
      for (const line of (await Deno.readTextFile(res)).split("\n")) if (line.trim()) out.push(JSON.parse(line));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return out;
}

/** The first difference between two JSON values, as a path and the two values, or null. */
export function firstDiff(a: unknown, b: unknown, path = ""): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: kernel ${JSON.stringify(a)?.slice(0, 300)} / bpfscope ${JSON.stringify(b)?.slice(0, 300)}`;
}

/** Compare one case on both engines with the kernel's result: null when equal, else the difference. */
export function compareCase(c: TestRunCase, kernel: CaseResult): string | null {
  for (const engine of ["interp", "jit"] as const) {
    let mine: CaseResult;
    try {
      mine = runCase(c, engine);
    } catch (e) {
      return `${engine}: ${(e as Error).message}`;
    }
    const d = firstDiff(kernel, mine);
    if (d) return `${engine}${d}`;
  }
  return null;
}

async function writeRecord(file: string, cases: TestRunCase[], kernel: CaseResult[]): Promise<void> {
  const text = cases.map((c, i) => JSON.stringify({ case: c, kernel: kernel[i] })).join("\n") + "\n";
  let bytes: Uint8Array = new TextEncoder().encode(text);
  if (file.endsWith(".gz")) {
    const s = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(s).arrayBuffer());
  }
  await Deno.writeFile(file, bytes);
}

async function main(args: string[]): Promise<void> {
  const ri = args.indexOf("--record");
  const record = ri >= 0 ? args[ri + 1] : undefined;
  const rest = ri >= 0 ? [...args.slice(0, ri), ...args.slice(ri + 2)] : args;
  let cases: TestRunCase[];
  if (rest[0] === "semantics") cases = (await import("./testrun_semantics.ts")).semanticCases();
  else if (rest[0] === "gen") {
    cases = (await import("./testrun_gen.ts")).generateCases(Number(rest[1] ?? 100), Number(rest[2] ?? 1));
  } else if (rest[0] === "elf") {
    cases = (await import("./testrun_elf.ts")).elfCases(Number(rest[1] ?? 100), Number(rest[2] ?? 1));
  } else if (rest[0] === "maygoto") cases = (await import("./testrun_maygoto.ts")).mayGotoCases();
  else throw new Error("usage: testrun_diff.ts semantics|gen COUNT SEED|elf|maygoto [--record FILE]");
  const t0 = performance.now();
  const kernel = await kernelResults(cases);
  const mismatches: Array<{ id: string; diff: string }> = [];
  const rejections: Record<string, number> = {};
  let rejected = 0, steps = 0, runs = 0;
  const helpers: Record<number, number> = {}, mapTypes: Record<string, number> = {};
  for (let i = 0; i < cases.length; i++) {
    if (kernel[i].load?.some((x) => x !== "OK") || kernel[i].error) {
      // programs the kernel's verifier refuses are not compared (bpfscope runs them unverified)
      rejected++;
      const why = (kernel[i].load_error ?? kernel[i].error ?? "?").replace(/\d+/g, "N").slice(0, 80);
      rejections[why] = (rejections[why] ?? 0) + 1;
      continue;
    }
    steps += cases[i].steps.length;
    runs += cases[i].steps.filter((st) => st.op === "run").length;
    // coverage: programs calling each helper, cases using each map type
    for (const p of cases[i].progs) {
      for (const id of new Set(p.insns.filter(([code, , src]) => code === 0x85 && src === 0).map((x) => x[4]))) {
        helpers[id] = (helpers[id] ?? 0) + 1;
      }
    }
    for (const t of new Set(cases[i].maps.map((m) => m.type))) mapTypes[t] = (mapTypes[t] ?? 0) + 1;
    const d = compareCase(cases[i], kernel[i]);
    if (d) mismatches.push({ id: cases[i].id, diff: d });
  }
  if (record) {
    const keep = cases.map((_, i) => i).filter((i) => !(kernel[i].load?.some((x) => x !== "OK") || kernel[i].error));
    await writeRecord(record, keep.map((i) => cases[i]), keep.map((i) => kernel[i]));
  }
  console.log(JSON.stringify(
    {
      cases: cases.length,
      kernel_rejected_or_failed: rejected,
      compared: cases.length - rejected,
      steps_compared: steps,
      runs_compared: runs,
      programs_calling_helper: helpers,
      cases_with_map_type: mapTypes,
      mismatches: mismatches.length,
      rejections,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      first: mismatches.slice(0, 20),
    },
    null,
    1,
  ));
}

if (import.meta.main) await main(Deno.args);
