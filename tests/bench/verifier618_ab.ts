/**
 * Two checkouts' linux-6.18 verifiers in one process: the `verify()` of
 * tree A and of tree B (each imported from its own `core/`) take turns on the
 * same workloads, timed by this process's CPU time, so a change is measured
 * against the code before it over the same seconds (the load of a shared
 * machine moves single figures by 2x; the ratio of runs taken side by side
 * moves far less). Every result of B is checked against A's: verdict, errno,
 * error line, stats and log, so a speed-up that changes an answer fails here.
 *
 * Workloads: the recorded samples of tests/data/kernel618 (alu, mem, loops,
 * calls: 200 programs each; directed: 224), the 1,000,000-insn budget loop and
 * the 8193-pending-branches program (tests/kernel_diff6/limits.ts).
 *
 * ```sh
 * git worktree add /tmp/base main   # or: git archive main core | tar -x -C /tmp/base
 * nice deno run -A tests/bench/verifier618_ab.ts /tmp/base . [--runs 7] [--reps 4] [--level 0] [WORKLOAD...]
 * ```
 *
 * A corpus is verified `--reps` times per run. Prints per workload the median CPU ms of each side, B's median ÷ A's and
 * the median of the per-pair ratios.
 *
 * @module
 */
import { cpu, median, takeOption } from "./ab_util.ts";
import { decodeJson } from "../../core/formats/mod.ts";
import type { Program } from "../../core/isa/mod.ts";
import { LIMIT_PROGRAMS } from "../kernel_diff6/limits.ts";

interface Result {
  accepted: boolean;
  errno: string;
  error: string | null;
  log: string;
  stats: Record<string, number>;
}
type Verify = (p: Program, o: Record<string, unknown>) => Result;

async function corpus(file: string): Promise<Program[]> {
  const gz = await Deno.readFile(new URL(`../data/kernel618/${file}.jsonl.gz`, import.meta.url));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return text.split("\n").filter((l) => l).map((l) => decodeJson(JSON.stringify(JSON.parse(l).spec), "gen"));
}

/** The result without its timing, as one comparable string. */
function summary(r: Result): string {
  const { duration_us: _, ...stats } = r.stats;
  return JSON.stringify([r.accepted, r.errno, r.error, stats, r.log]);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string, dflt: string): string => takeOption(args, name, dflt);
  const runs = Number(opt("--runs", "7")), level = Number(opt("--level", "0")), reps = Number(opt("--reps", "4"));
  const [dirA, dirB, ...names] = args;
  if (!dirA || !dirB || !(runs > 0)) {
    console.error("usage: verifier618_ab.ts DIR_A DIR_B [--runs N] [--reps N] [--level L] [WORKLOAD...]");
    Deno.exit(2);
  }
  const load = async (dir: string): Promise<Verify> => {
    const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
    const root = new URL(`file://${abs.endsWith("/") ? abs : abs + "/"}`);
    return (await import(new URL("core/verifier/mod.ts", root).href)).verify;
  };
  const [va, vb] = [await load(dirA), await load(dirB)];
  const limit = (name: string) =>
    decodeJson(JSON.stringify(LIMIT_PROGRAMS.find((p) => p.name.startsWith(name))!.spec), name);
  const workloads: [string, () => Promise<Program[]>][] = [
    ["alu", () => corpus("alu_200")],
    ["mem", () => corpus("mem_200")],
    ["loops", () => corpus("loops_200")],
    ["calls", () => corpus("calls_200")],
    ["directed", () => corpus("directed_224")],
    ["branches8193", () => Promise.resolve([limit("8193 pending branches")])],
    ["budget1M", () => Promise.resolve([limit("1M insn budget")])],
  ];
  const o = { profile: "linux-6.18", logLevel: level, logSize: 0x3fffffff };
  console.log(
    `linux-6.18 verify(): A ${dirA}, B ${dirB}; log level ${level}, ${runs} runs each after 1 warm-up, CPU ms`,
  );
  for (const [name, get] of workloads) {
    if (names.length && !names.includes(name)) continue;
    const progs = await get();
    // a corpus is verified `reps` times per run (about 0.2 s at 2026-12 speeds): short runs time the noise
    const n = progs.length > 1 ? reps : 1;
    const want = progs.map((p) => summary(va(p, o)));
    progs.forEach((p, i) => {
      if (summary(vb(p, o)) !== want[i]) throw new Error(`${name}: program ${i}: B's result differs from A's`);
    });
    const xa: number[] = [], xb: number[] = [];
    let insns = 0;
    for (let k = 0; k < runs; k++) {
      for (const [v, xs] of (k & 1 ? [[vb, xb], [va, xa]] : [[va, xa], [vb, xb]]) as [Verify, number[]][]) {
        const s = cpu();
        let total = 0;
        for (let r = 0; r < n; r++) for (const p of progs) total += v(p, o).stats.processed_insns;
        xs.push(cpu() - s);
        insns = total;
      }
    }
    const ma = median(xa), mb = median(xb);
    console.log(
      `${name.padEnd(13)} ${String(insns).padStart(8)} insns | A ${ma.toFixed(1)} ms | B ${mb.toFixed(1)} ms | B/A ${
        (mb / ma).toFixed(3)
      }, pairs ${median(xa.map((x, i) => xb[i] / x)).toFixed(3)}`,
    );
  }
}
