/**
 * `bpfscope bench`: time programs on the interpreter and/or the JIT
 * (ns per executed instruction, median of several runs after warm-up), and
 * optionally the verifier on them (`--verifier`) and map operations
 * (`--maps`, cases in `bench_maps.ts`).
 *
 * @module
 */
import type { Command } from "commander";
import { BpfError } from "../core/errors.ts";
import { Bpf } from "../core/bpf.ts";
import type { Program } from "../core/isa/mod.ts";
import type { RunInput, RunResult, VmProfile } from "../core/vm/mod.ts";
import { createVm, type VmEngine, type VmEngineName } from "../core/jit/mod.ts";
import { DEFAULT_PROFILE, verify } from "../core/verifier/mod.ts";
import { loadWithMaps } from "../core/bpf.ts";
import { benchMaps, type MapsBenchResult, mapsTable, median, OPS } from "./bench_maps.ts";
import { checkVerifierProfile, rejectionText } from "./verify.ts";
import {
  applyWasmOption,
  CliError,
  loadProgramFiles,
  parseIntOption,
  readFileOrDie,
  WASM_OPTION,
  writeStdout,
} from "./util.ts";

/** Options of `bpfscope bench`. */
export interface BenchCliOptions {
  /** ELF objects: the section of the program. */
  section?: string;
  /** The JIT's WebAssembly tier: `auto`, `always` or `never`. */
  wasm: string;
  /** `interp`, `jit` or `both` (default). */
  engine: string;
  /** Timed samples per engine. */
  runs: string;
  /** Untimed warm-up samples per engine. */
  warmup: string;
  /** Memory buffer file (r1 = pointer, r2 = length). */
  mem?: string;
  /** `linux-3.18` or `modern`. */
  profile: string;
  /** Executed-instruction limit per run. */
  maxInsns?: string;
  /** One JSON object per file (and per map size). */
  json?: boolean;
  /** Also time the verifier on each file. */
  verifier?: boolean;
  /** Verifier profile for `--verifier` (`linux-3.18` or `linux-3.19`, the default). */
  verifierProfile?: string;
  /** Run the map benchmarks. */
  maps?: boolean;
  /** Map size for `--maps` (default: 1000, then 100000). */
  mapSize?: string;
  /** `wall` (default) or `cpu`: what the program and verifier samples are timed by. */
  clock: string;
}

/** A clock in milliseconds. */
export type Clock = () => number;

/**
 * The process's CPU time (user + system) in ms: unlike wall time, it does not
 * count time other processes take. (`node:process` is imported only here, so
 * the other commands do not load it.)
 */
export async function cpuClock(): Promise<Clock> {
  const { default: process } = await import("node:process");
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

/** Timing of one engine on one program. */
export interface EngineTiming {
  /** Median nanoseconds per executed instruction. */
  ns_per_insn: number;
  /** Median milliseconds per run. */
  ms_per_run: number;
  /** Timed samples (each the mean of `batch` runs). */
  runs: number;
  /** Program runs per sample (short programs are repeated to last at least 5 ms). */
  batch: number;
  /** Milliseconds to prepare the engine (JIT: decode, generate, compile). */
  setup_ms: number;
  /** Milliseconds of the first run (JIT: V8 parses and compiles the generated function). */
  first_run_ms: number;
}

/** Timing of the verifier on one program (`--verifier`; logging off). */
export interface VerifierTiming {
  /** `accepted`, or `rejected, ERRNO: error` as `bpfscope verify` prints it. */
  verdict: string;
  /** Instructions the verifier processed (the counter the 32768 budget applies to). */
  insns_processed: number;
  /** Median milliseconds per verification. */
  ms: number;
  /** Millions of processed instructions per second: `insns_processed / ms / 1000`. */
  m_insns_per_s: number;
}

/**
 * The JSON record of `bpfscope bench --json` for one file: `file`,
 * `insns_executed`, `r0`, `engines`, `speedup`, `error`, `verifier`
 * with `--verifier`, and `clock`. (With `--maps`, each map size adds a line
 * `{"maps": MapsBenchResult}`: `size`, `ops` (ns per operation by case name),
 * `program` (per engine: `lookup_loop`, `baseline_loop`, `helper_call`, ns per
 * iteration).)
 */
export interface BenchRecord {
  /** The program file. */
  file: string;
  /** Executed instructions per run. */
  insns_executed: number;
  /** r0 as an unsigned decimal string. */
  r0: string;
  /** Timings by engine. */
  engines: Partial<Record<VmEngineName, EngineTiming>>;
  /** interp ns/insn ÷ jit ns/insn (both engines only). */
  speedup?: number;
  /** null, or the fault / load error (then the engines are not timed). */
  error: string | null;
  /** With `--verifier` (also when the engines faulted). */
  verifier?: VerifierTiming;
  /** What the samples were timed by (`--clock`; set by the CLI). */
  clock?: "wall" | "cpu";
}

/**
 * Median milliseconds of one call of each of `runs`: `warmup` untimed then
 * `samples` timed samples of each; the untimed samples (at least one, even
 * with `warmup` 0) raise the calls per sample (`batch`) so that a sample
 * lasts at least 5 ms. The functions take turns sample by sample, so that
 * their ratio compares samples taken over the same seconds (a busy moment
 * on a shared machine slows all of them alike).
 */
function sampleMs(
  runs: Array<() => unknown>,
  samples: number,
  warmup: number,
  clock: Clock = () => performance.now(),
): Array<{ ms: number; batch: number }> {
  const batch = runs.map(() => 1);
  const sample = (i: number): number => {
    const run = runs[i], n = batch[i];
    const s = clock();
    for (let k = 0; k < n; k++) run();
    return (clock() - s) / n;
  };
  for (let k = 0; k < Math.max(1, warmup); k++) {
    for (let i = 0; i < runs.length; i++) {
      const ms = sample(i);
      if (ms * batch[i] < 5) batch[i] = Math.min(1e6, Math.ceil(5 / Math.max(ms, 1e-4)));
    }
  }
  const ms: number[][] = runs.map(() => []);
  for (let k = 0; k < samples; k++) for (let i = 0; i < runs.length; i++) ms[i].push(sample(i));
  return runs.map((_, i) => ({ ms: median(ms[i]), batch: batch[i] }));
}

/**
 * Time the verifier on `prog` (profile `profile`, logging off): median
 * milliseconds per verification over `runs` samples after `warmup`.
 * @throws RangeError for an unknown profile or a fixup outside the program
 */
export function benchVerifier(
  prog: Program,
  opts: { runs: number; warmup: number; profile: string; clock?: Clock },
): VerifierTiming {
  const vopts = { profile: opts.profile, logLevel: 0 };
  const r = verify(prog, vopts);
  const [{ ms }] = sampleMs([() => verify(prog, vopts)], opts.runs, opts.warmup, opts.clock);
  const n = r.stats.processed_insns;
  return { verdict: r.accepted ? "accepted" : rejectionText(r), insns_processed: n, ms, m_insns_per_s: n / ms / 1e3 };
}

/** Prepare `prog` on `engine` with its maps created and filled (as `bpfscope run` does, unverified). */
function prepare(prog: Program, profile: VmProfile, engine: VmEngineName): VmEngine {
  const bpf = new Bpf({ profile, verify: null });
  const fds: number[] = [];
  const progFd = loadWithMaps(bpf, prog, fds);
  return createVm(bpf.prog(progFd).prog, {
    profile,
    resolveMap: (fd) => (fds.includes(fd) ? bpf.map(fd) : undefined),
  }, engine);
}

/** Options of {@link benchProgram}. */
export interface BenchProgramOptions {
  /** The engines to time, in order. */
  engines: VmEngineName[];
  /** Timed samples per engine (and for the verifier). */
  runs: number;
  /** Untimed warm-up samples per engine (and for the verifier). */
  warmup: number;
  /** VM semantics. */
  profile: VmProfile;
  /** Executed-instruction limit per run. */
  maxInsns?: number;
  /** When set, also time the verifier with this profile (`linux-3.18` or `linux-3.19`). */
  verifierProfile?: string;
  /** What samples are timed by (default: wall time, `performance.now()`). */
  clock?: Clock;
}

/**
 * Benchmark one program: per engine, `warmup` untimed then `runs` timed
 * samples; a sample repeats the run enough times to last at least 5 ms.
 * With `verifierProfile`, the verifier is timed the same way.
 */
export function benchProgram(file: string, prog: Program, input: RunInput, opts: BenchProgramOptions): BenchRecord {
  const rec = benchEngines(file, prog, input, opts);
  if (opts.verifierProfile !== undefined) {
    try {
      rec.verifier = benchVerifier(prog, {
        runs: opts.runs,
        warmup: opts.warmup,
        profile: opts.verifierProfile,
        clock: opts.clock,
      });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      rec.error ??= `verifier: ${e.message}`;
    }
  }
  return rec;
}

function benchEngines(file: string, prog: Program, input: RunInput, opts: BenchProgramOptions): BenchRecord {
  const rec: BenchRecord = { file, insns_executed: 0, r0: "0", engines: {}, error: null };
  const runOpts = { maxInsns: opts.maxInsns };
  try {
    const vms: VmEngine[] = [], setupMs: number[] = [], firstMs: number[] = [];
    for (const name of opts.engines) {
      const t0 = performance.now();
      const vm = prepare(prog, opts.profile, name);
      setupMs.push(performance.now() - t0);
      const t1 = performance.now();
      const first: RunResult = vm.run(input, runOpts);
      firstMs.push(performance.now() - t1);
      rec.insns_executed = first.insnsExecuted;
      if (first.fault) {
        rec.error = first.fault.message;
        return rec;
      }
      rec.r0 = first.r0.toString();
      vms.push(vm);
    }
    // the engines take turns sample by sample (see sampleMs), so the speedup compares the same seconds
    const timed = sampleMs(vms.map((vm) => () => vm.run(input, runOpts)), opts.runs, opts.warmup, opts.clock);
    opts.engines.forEach((name, i) => {
      rec.engines[name] = {
        ns_per_insn: (timed[i].ms * 1e6) / rec.insns_executed,
        ms_per_run: timed[i].ms,
        runs: opts.runs,
        batch: timed[i].batch,
        setup_ms: setupMs[i],
        first_run_ms: firstMs[i],
      };
    });
  } catch (e) {
    if (e instanceof BpfError || e instanceof RangeError) {
      rec.error = e.message;
      return rec;
    }
    throw e;
  }
  const i = rec.engines.interp, j = rec.engines.jit;
  if (i && j) rec.speedup = i.ns_per_insn / j.ns_per_insn;
  return rec;
}

function verifierLines(v: VerifierTiming, runs: number, profile: string, cpu: boolean): string[] {
  return [
    `  verifier ${v.ms.toFixed(3).padStart(9)} ms/verification  ${v.insns_processed} insns processed  ${
      v.m_insns_per_s.toFixed(2)
    } M insns/s  (median of ${runs} samples${cpu ? ", CPU time" : ""}; ${profile}, log off)`,
    `  verdict: ${v.verdict}`,
  ];
}

function textReport(rec: BenchRecord, runs: number, verifierProfile: string): string {
  const extra = rec.verifier ? verifierLines(rec.verifier, runs, verifierProfile, rec.clock === "cpu") : [];
  if (rec.error) return [`${rec.file}: error: ${rec.error}`, ...extra].join("\n");
  const lines = [
    `${rec.file}: ${rec.insns_executed} insns executed per run, r0 = 0x${
      BigInt(rec.r0).toString(16).padStart(16, "0")
    }`,
  ];
  for (const [name, t] of Object.entries(rec.engines)) {
    const extra = name === "jit"
      ? `compile ${t.setup_ms.toFixed(2)} ms + first call ${t.first_run_ms.toFixed(2)} ms`
      : `setup ${t.setup_ms.toFixed(2)} ms`;
    lines.push(
      `  ${name.padEnd(6)} ${t.ns_per_insn.toFixed(3).padStart(9)} ns/insn  ${
        t.ms_per_run.toFixed(3).padStart(9)
      } ms/run  (median of ${t.runs} × ${t.batch} runs${rec.clock === "cpu" ? ", CPU time" : ""}; ${extra})`,
    );
  }
  if (rec.speedup !== undefined) lines.push(`  jit is ${rec.speedup.toFixed(1)}x the interpreter`);
  return [...lines, ...extra].join("\n");
}

/** Register `bpfscope bench` on the command tree. */
export function registerBench(program: Command): void {
  program
    .command("bench")
    .description(
      "time programs: ns per executed instruction on the interpreter and/or the JIT; the verifier; map operations",
    )
    .argument("[files...]", "program files (JSON, raw, asm or ELF); optional with --maps")
    .option("--engine <name>", "interp | jit | both", "both")
    .option(...WASM_OPTION)
    .option("--runs <n>", "timed samples per engine, verifier or map case (median reported)", "7")
    .option(
      "--warmup <n>",
      "untimed warm-up samples per engine, verifier or map case (for programs and the verifier at least one, which sizes the batch)",
      "3",
    )
    .option("--mem <file>", "memory buffer: r1 = its address, r2 = its length (else an empty ctx)")
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
    .option("--profile <name>", "semantics: modern | linux-3.18", "modern")
    .option("--max-insns <n>", "executed-instruction limit per run (default 1e9)")
    .option("--verifier", "also time the verifier on each file (logging off)")
    .option("--verifier-profile <name>", "verifier profile for --verifier: linux-3.18 | linux-3.19 (default)")
    .option("--maps", "time map lookups and updates (hash and array) and a map_lookup_elem program")
    .option("--map-size <n>", "elements per map for --maps (default: 1000, then 100000)")
    .option("--clock <name>", "time program and verifier samples by wall | cpu (this process's CPU time)", "wall")
    .option("--json", "one JSON object per line: per file, and per map size with --maps (fields below)")
    .addHelpText(
      "after",
      `
Each sample repeats the program until it has run for at least 5 ms; the median
sample is reported. With both engines their samples alternate, so the speedup
compares runs taken over the same seconds. Programs run unverified, maps are
created from the file. --clock cpu times samples by the process's CPU time
(user + system) instead of wall time, so a machine busy with other processes
slows the figures less (the map benchmarks keep wall time).

--verifier also times the verifier on each file the same way (logging off,
--verifier-profile, linux-3.19 by default): ms per verification, instructions
processed, M instructions processed per second, and the verdict. A rejected
program is timed too; a rejection does not change the exit status.

--maps times ${OPS} operations per sample on maps of --map-size elements: hash
maps with 8-byte keys and values (lookup of present and missing keys, update of
present keys, lookup (into a new array and into a caller's buffer) and update
through the byte-array API), array maps with
4-byte keys (lookup, update, API lookup); then, per engine, a program calling
map_lookup_elem once per key of a hash map against the same loop without the
call. --runs and --warmup apply; no program file is needed.

JSON lines (--json):
  per file      file, insns_executed, r0 (unsigned decimal string), engines (per
                engine: ns_per_insn, ms_per_run, runs, batch, setup_ms,
                first_run_ms), speedup (interp / jit), error (null or the fault),
                with --verifier: verifier {verdict, insns_processed, ms,
                m_insns_per_s}, clock (wall or cpu)
  per map size  {"maps": {size, ops: {"<case>": ns per op}, program: {"<engine>":
                {lookup_loop, baseline_loop, helper_call}}}} (ns per iteration)

Examples:
  bpfscope bench --mem input256.mem alu_loop.json        interp and JIT, speedup
  bpfscope bench --engine jit --runs 15 a.json b.json    JIT only, 15 samples
  bpfscope bench --json --mem input256.mem *.json        machine-readable
  bpfscope bench --verifier --engine jit prog.json       and the verifier: ms, M insns/s
  bpfscope bench --clock cpu --mem input256.mem *.json   CPU time instead of wall time
  bpfscope bench --engine jit --wasm never a.json        the JIT's JavaScript code alone (no WebAssembly tier)
  bpfscope bench --maps                                  map ns/op at 1000 and 100000 elements
  bpfscope bench --maps --map-size 4096 --engine jit     one size; the program case on the JIT

Exit status: 0 when every program ran to exit, 1 when any faulted, 2 on bad usage or input.`,
    )
    .action(async (files: string[], o: BenchCliOptions) => {
      applyWasmOption(o.wasm);
      if (o.engine !== "interp" && o.engine !== "jit" && o.engine !== "both") {
        throw new CliError(`--engine: unknown engine '${o.engine}' (available: interp, jit, both)`, 2);
      }
      if (o.profile !== "modern" && o.profile !== "linux-3.18") {
        throw new CliError(`--profile: expected modern or linux-3.18, got '${o.profile}'`, 2);
      }
      if (o.clock !== "wall" && o.clock !== "cpu") {
        throw new CliError(`--clock: expected wall or cpu, got '${o.clock}'`, 2);
      }
      const runs = parseIntOption("--runs", o.runs, 1, 1000);
      const warmup = parseIntOption("--warmup", o.warmup, 0, 1000);
      const maxInsns = o.maxInsns !== undefined ? parseIntOption("--max-insns", o.maxInsns, 1) : undefined;
      const mapSize = o.mapSize !== undefined ? parseIntOption("--map-size", o.mapSize, 1, 10_000_000) : undefined;
      if (mapSize !== undefined && !o.maps) throw new CliError("--map-size: only with --maps", 2);
      if (o.verifierProfile !== undefined) {
        if (!o.verifier) throw new CliError("--verifier-profile: only with --verifier", 2);
        checkVerifierProfile("--verifier-profile", o.verifierProfile);
      }
      if (files.length === 0 && o.verifier) throw new CliError("--verifier: no program files given", 2);
      if (files.length === 0 && !o.maps) {
        throw new CliError("no program files given (bpfscope bench FILE..., or --maps for the map benchmarks)", 2);
      }
      const input: RunInput = o.mem !== undefined ? { mem: readFileOrDie(o.mem, 2) } : {};
      const engines: VmEngineName[] = o.engine === "both" ? ["interp", "jit"] : [o.engine];
      const verifierProfile = o.verifier ? o.verifierProfile ?? DEFAULT_PROFILE : undefined;
      const { progs, bad } = loadProgramFiles(files, o.section);
      const clock = o.clock === "cpu" ? await cpuClock() : undefined;
      let failed = false;
      for (const [file, prog] of progs) {
        const rec = benchProgram(file, prog, input, {
          engines,
          runs,
          warmup,
          profile: o.profile as VmProfile,
          maxInsns,
          verifierProfile,
          clock,
        });
        rec.clock = o.clock as "wall" | "cpu";
        if (rec.error) failed = true;
        writeStdout((o.json ? JSON.stringify(rec) : textReport(rec, runs, verifierProfile ?? "")) + "\n");
      }
      if (o.maps) {
        if (!o.json) {
          writeStdout(
            `${
              progs.length ? "\n" : ""
            }maps: ${OPS} operations per sample, median of ${runs} samples after ${warmup} warm-up calls\n`,
          );
        }
        for (const size of mapSize !== undefined ? [mapSize] : [1000, 100000]) {
          const r: MapsBenchResult = benchMaps(size, { runs, warmup, engines });
          writeStdout(o.json ? JSON.stringify({ maps: r }) + "\n" : `\n${mapsTable(r)}\n`);
        }
      }
      if (failed) Deno.exitCode = 1;
      if (bad) Deno.exitCode = 2;
    });
}
