/**
 * The linux-6.18 profile against the running kernel (needs root and bpf();
 * not part of `deno task test`):
 *
 *   sudo deno run -A tests/kernel_diff6/run.ts STAGE COUNT [SEED] [--save DIR] [--record FILE N]
 *
 * STAGE names a generator (`alu`, ...; see stages.ts). COUNT programs are
 * generated from SEED on, verified in the kernel (batched through
 * tests/kernel_diff6/batch.py and kbpf.py at log level 2 with stats) and by
 * bpfscope's linux-6.18 profile, and compared:
 *
 * - verdict agreement on all programs;
 * - `processed` and `total_states` on the programs both accept;
 * - the error line (the last log line before the stats) on the programs
 *   both reject;
 * - the whole level-2 log, modulo the `verification time` value and the
 *   kernel addresses printed for map loads (`r1 = 0xffff...`).
 *
 * Prints a JSON summary; `--save DIR` writes every disagreeing program with
 * both logs; `--record FILE N` writes the first N programs and the kernel's
 * results (a gzip'd JSONL corpus for tests/data/); `--record-max-processed M`
 * leaves out of it the programs the kernel processed more than M insns of;
 * `--max-processed M` compares only the programs a first, stats-only kernel
 * pass processed at most M insns of (the others are counted as skipped).
 *
 * @module
 */
import { decodeJson } from "../../core/formats/json.ts";
import { verify } from "../../core/verifier/mod.ts";
import { GENERATORS } from "./stages.ts";
import { specBtf } from "./global_gen.ts";
import type { Spec } from "./alu_gen.ts";

/** The kernel's answer for one program. */
export interface KernelVerdict {
  /** Loaded. */
  accepted: boolean;
  /** errno name. */
  errno: string;
  /** Level-2 log with stats. */
  log: string;
  /** `processed` of the stats line. */
  processed: number;
  /** `total_states`. */
  total_states: number;
  /** `peak_states`. */
  peak_states: number;
  /** `max_states_per_insn`. */
  max_states_per_insn: number;
  /** `verification time` in µs. */
  time_usec: number;
}

/** Lines of a log without the stats lines. */
export function logBody(log: string): string[] {
  return log.split("\n").filter((l) =>
    l !== "" && !l.startsWith("verification time ") && !l.startsWith("stack depth ") && !l.startsWith("processed ")
  );
}

/** The error line: the last line of the log before the stats. */
export function errorLine(log: string): string {
  const b = logBody(log);
  // a message without its newline (`expected prog array map for tail call`) runs into the stats line
  return (b[b.length - 1] ?? "").replace(/verification time \d+ usec$/, "");
}

/** A log normalised for comparison: no verification time, map addresses as `MAP`. */
export function normaliseLog(log: string): string {
  return log
    .replace(/verification time \d+ usec$/m, "verification time N usec")
    .replace(/(\(18\) r\d+ = )0x[0-9a-f]{9,16}/g, "$1MAP");
}

/** bpfscope's answer in the kernel's terms. */
export function ours(spec: Spec, level = 2 | 4) {
  let prog = decodeJson(JSON.stringify(spec), "gen");
  // the global stage's specs carry BTF (global_gen.ts)
  const btf = specBtf(spec);
  if (btf) prog = prog.clone({ btf });
  // kbpf.py grows its buffer until the whole log fits: no ENOSPC, no truncation
  const r = verify(prog, { profile: "linux-6.18", logLevel: level, logSize: 0x3fffffff });
  return r;
}

/** The log level of the campaign (`--level N`, default 2); stats are always on. */
let LEVEL = 2;

/**
 * The spec as kbpf.py takes it: an LD_IMM64 of a map value (`src_reg` 2,
 * bpfscope's JSON keeps the offset in the second slot) becomes kbpf's
 * `[insn, map, offset]` fixup.
 */
function kbpfSpec(s: Spec): Spec {
  if (!s.fixup?.some(([i]) => s.insns[i]?.[2] === 2)) return s;
  const fixup = s.fixup.map(([i, m]) => s.insns[i][2] === 2 ? [i, m, s.insns[i + 1][4]] : [i, m]);
  return { ...s, fixup } as unknown as Spec;
}

async function runKernel(specs: Spec[], level: number): Promise<KernelVerdict[]> {
  const dir = await Deno.makeTempDir({ prefix: "kdiff6" });
  const inp = `${dir}/in.jsonl`, outp = `${dir}/out.jsonl`;
  await Deno.writeTextFile(inp, specs.map((s) => JSON.stringify(kbpfSpec(s))).join("\n") + "\n");
  const script = new URL("./batch.py", import.meta.url).pathname;
  const st = await new Deno.Command("python3", { args: [script, inp, outp, String(level)], stderr: "inherit" })
    .output();
  if (!st.success) throw new Error(`batch.py failed (${st.code})`);
  // one result per line; read line by line (logs of budget-sized programs are large)
  const out: KernelVerdict[] = [];
  const f = await Deno.open(outp);
  let rest = "";
  for await (const chunk of f.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const l of parts) if (l.trim()) out.push(JSON.parse(l));
  }
  if (rest.trim()) out.push(JSON.parse(rest));
  await Deno.remove(dir, { recursive: true });
  return out;
}

/** Counts of one comparison campaign. */
export interface Summary {
  /** Programs compared. */
  programs: number;
  /** Both accept. */
  both_accept: number;
  /** Both reject. */
  both_reject: number;
  /** Only bpfscope accepts. */
  only_bpfscope_accepts: number;
  /** Only the kernel accepts. */
  only_kernel_accepts: number;
  /** bpfscope rejects with a "not modelled" note (counted in only_kernel_accepts or both_reject). */
  not_modelled: number;
  /** Both accept with the same processed count. */
  same_processed: number;
  /** Both accept with the same total_states. */
  same_total_states: number;
  /** Both accept with the same processed and total_states. */
  same_processed_and_states: number;
  /** Both accept with the same peak_states. */
  same_peak_states: number;
  /** Both reject with the same error line. */
  same_error_line: number;
  /** Same errno when both reject. */
  same_errno: number;
  /** Identical level-2 logs (normalised). */
  same_log: number;
  /** Processed instructions summed over both-accepted programs (bpfscope). */
  processed_total: number;
  /** Processed insns of every program as the kernel counted them (speed figures). */
  processed_all_kernel: number;
  /** Processed insns of every program as bpfscope counted them. */
  processed_all_bpfscope: number;
  /** Kernel verification time summed (µs). */
  kernel_usec: number;
  /** bpfscope verification time summed (µs). */
  bpfscope_usec: number;
}

/** Compare one program; returns the disagreement kinds (empty: full agreement). */
export function compareOne(spec: Spec, k: KernelVerdict, s: Summary): string[] {
  const r = ours(spec, LEVEL | 4);
  const kinds: string[] = [];
  s.programs++;
  s.kernel_usec += k.time_usec ?? 0;
  s.bpfscope_usec += r.stats.duration_us;
  s.processed_all_kernel += k.processed ?? 0;
  s.processed_all_bpfscope += r.stats.processed_insns;
  if (r.errno === "EOPNOTSUPP") s.not_modelled++;
  if (r.accepted && k.accepted) {
    s.both_accept++;
    s.processed_total += r.stats.processed_insns;
    const p = r.stats.processed_insns === k.processed, t = r.stats.total_states === k.total_states;
    if (p) s.same_processed++;
    else kinds.push("processed");
    if (t) s.same_total_states++;
    else kinds.push("total_states");
    if (p && t) s.same_processed_and_states++;
    if (r.stats.peak_states === k.peak_states) s.same_peak_states++;
    else kinds.push("peak_states");
  } else if (!r.accepted && !k.accepted) {
    s.both_reject++;
    if (r.errno === k.errno) s.same_errno++;
    else kinds.push("errno");
    if (errorLine(r.log) === errorLine(k.log)) s.same_error_line++;
    else kinds.push("error_line");
  } else if (r.accepted) {
    s.only_bpfscope_accepts++;
    kinds.push("verdict");
  } else {
    s.only_kernel_accepts++;
    kinds.push("verdict");
  }
  if (normaliseLog(r.log) === normaliseLog(k.log)) s.same_log++;
  else kinds.push("log");
  return kinds;
}

function emptySummary(): Summary {
  return {
    programs: 0,
    both_accept: 0,
    both_reject: 0,
    only_bpfscope_accepts: 0,
    only_kernel_accepts: 0,
    not_modelled: 0,
    same_processed: 0,
    same_total_states: 0,
    same_processed_and_states: 0,
    same_peak_states: 0,
    same_error_line: 0,
    same_errno: 0,
    same_log: 0,
    processed_total: 0,
    processed_all_kernel: 0,
    processed_all_bpfscope: 0,
    kernel_usec: 0,
    bpfscope_usec: 0,
  };
}

/** Percentages of a summary for the report. */
export function rates(s: Summary): Record<string, string> {
  const pct = (a: number, b: number) => (b ? (100 * a / b).toFixed(2) + " %" : "n/a");
  return {
    verdict_agreement: pct(s.both_accept + s.both_reject, s.programs),
    processed_and_states_on_both_accepted: pct(s.same_processed_and_states, s.both_accept),
    error_line_on_both_rejected: pct(s.same_error_line, s.both_reject),
    log_identical: pct(s.same_log, s.programs),
  };
}

async function main() {
  const args = Deno.args.filter((a, i) =>
    !a.startsWith("--") &&
    !["--save", "--record", "--level", "--record-max-processed", "--max-processed"].includes(Deno.args[i - 1])
  );
  const stage = args[0] ?? "alu";
  const count = Number(args[1] ?? 1000), seed0 = Number(args[2] ?? 1);
  const li = Deno.args.indexOf("--level");
  if (li >= 0) LEVEL = Number(Deno.args[li + 1]);
  const si = Deno.args.indexOf("--save");
  const saveDir = si >= 0 ? Deno.args[si + 1] : null;
  const ri = Deno.args.indexOf("--record");
  const recordFile = ri >= 0 ? Deno.args[ri + 1] : null, recordN = ri >= 0 ? Number(Deno.args[ri + 2]) : 0;
  // --record-max-processed N: leave out of the record the programs the kernel processed more than N insns of
  const mi = Deno.args.indexOf("--record-max-processed");
  const recordMax = mi >= 0 ? Number(Deno.args[mi + 1]) : Infinity;
  // --max-processed N: a stats-only kernel pass first; programs it processed more than N insns of are not compared
  // (their level-2 logs are hundreds of MB)
  const xi = Deno.args.indexOf("--max-processed");
  const maxProcessed = xi >= 0 ? Number(Deno.args[xi + 1]) : Infinity;
  let skipped = 0;
  const gen = GENERATORS[stage];
  if (!gen) throw new Error(`unknown stage '${stage}' (${Object.keys(GENERATORS).join(", ")})`);
  if (saveDir) await Deno.mkdir(saveDir, { recursive: true });
  const s = emptySummary();
  const kinds: Record<string, number> = {};
  const byError: Record<string, number> = {};
  const recorded: string[] = [];
  const BATCH = 500;
  const t0 = performance.now();
  for (let b = 0; b < count; b += BATCH) {
    const n = Math.min(BATCH, count - b);
    let seeds = Array.from({ length: n }, (_, i) => seed0 + b + i);
    let specs = seeds.map((x) => gen(x));
    if (maxProcessed < Infinity) {
      const pre = await runKernel(specs, 0);
      const keep = pre.map((k, i) => (k.processed ?? 0) <= maxProcessed ? i : -1).filter((i) => i >= 0);
      skipped += n - keep.length;
      seeds = keep.map((i) => seeds[i]);
      specs = keep.map((i) => specs[i]);
    }
    const ks = await runKernel(specs, LEVEL);
    for (let i = 0; i < specs.length; i++) {
      const seed = seeds[i];
      const ks_ = ks[i];
      const d = compareOne(specs[i], ks_, s);
      for (const k of d) kinds[k] = (kinds[k] ?? 0) + 1;
      if (d.includes("verdict") || d.includes("error_line")) {
        const key = (ks_.accepted ? "kernel accepts" : errorLine(ks_.log)).replace(/\d+/g, "N");
        byError[key] = (byError[key] ?? 0) + 1;
      }
      if (saveDir && d.length && !(d.length === 1 && d[0] === "log" && !Deno.args.includes("--save-logs"))) {
        const r = ours(specs[i], LEVEL | 4);
        await Deno.writeTextFile(
          `${saveDir}/${stage}_${seed}.json`,
          JSON.stringify({ seed, kinds: d, spec: specs[i], kernel: ks_, bpfscope_log: r.log }, null, 1),
        );
      }
      if (recordFile && recorded.length < recordN && ks_.processed <= recordMax) {
        recorded.push(JSON.stringify({
          seed,
          ...(LEVEL !== 2 ? { level: LEVEL } : {}),
          spec: specs[i],
          accepted: ks_.accepted,
          errno: ks_.errno,
          error: ks_.accepted ? null : errorLine(ks_.log),
          processed: ks_.processed,
          total_states: ks_.total_states,
          peak_states: ks_.peak_states,
          time_usec: ks_.time_usec,
          log: normaliseLog(ks_.log),
        }));
      }
    }
  }
  if (recordFile) {
    const data = new TextEncoder().encode(recorded.join("\n") + "\n");
    const gz = new Response(new Blob([data]).stream().pipeThrough(new CompressionStream("gzip")));
    await Deno.writeFile(recordFile, new Uint8Array(await gz.arrayBuffer()));
  }
  console.log(JSON.stringify(
    {
      stage,
      count,
      seed: seed0,
      ...(maxProcessed < Infinity ? { max_processed: maxProcessed, skipped_over_max_processed: skipped } : {}),
      summary: s,
      rates: rates(s),
      disagreements: kinds,
      by_kernel_error: byError,
      ms: Math.round(performance.now() - t0),
    },
    null,
    1,
  ));
}

if (import.meta.main) await main();
