/**
 * `bpfscope bench`: time programs on the interpreter and/or the JIT
 * (ns per executed instruction, median of several runs after warm-up).
 *
 * @module
 */
import type { Command } from "commander";
import { BpfError } from "../core/errors.ts";
import { Bpf } from "../core/bpf.ts";
import type { Program } from "../core/isa/mod.ts";
import type { RunInput, RunResult, VmProfile } from "../core/vm/mod.ts";
import { createVm, type VmEngine, type VmEngineName } from "../core/jit/mod.ts";
import { loadWithMaps } from "./run.ts";
import { CliError, loadProgramFile, parseIntOption, readFileOrDie } from "./util.ts";

/** Options of `bpfscope bench`. */
export interface BenchCliOptions {
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
  /** One JSON object per file. */
  json?: boolean;
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

/** The JSON record of `bpfscope bench --json` for one file. */
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
  /** null, or the fault / load error (then nothing is timed). */
  error: string | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
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

/**
 * Benchmark one program: per engine, `warmup` untimed then `runs` timed
 * samples; a sample repeats the run enough times to last at least 5 ms.
 */
export function benchProgram(
  file: string,
  prog: Program,
  input: RunInput,
  opts: { engines: VmEngineName[]; runs: number; warmup: number; profile: VmProfile; maxInsns?: number },
): BenchRecord {
  const rec: BenchRecord = { file, insns_executed: 0, r0: "0", engines: {}, error: null };
  const runOpts = { maxInsns: opts.maxInsns };
  try {
    for (const name of opts.engines) {
      const t0 = performance.now();
      const vm = prepare(prog, opts.profile, name);
      const setup = performance.now() - t0;
      const t1 = performance.now();
      const first: RunResult = vm.run(input, runOpts);
      const firstMs = performance.now() - t1;
      if (first.fault) {
        rec.error = first.fault.message;
        rec.insns_executed = first.insnsExecuted;
        return rec;
      }
      rec.insns_executed = first.insnsExecuted;
      rec.r0 = first.r0.toString();
      let batch = 1;
      const sample = (): number => {
        const s = performance.now();
        for (let k = 0; k < batch; k++) vm.run(input, runOpts);
        return (performance.now() - s) / batch;
      };
      for (let k = 0; k < opts.warmup; k++) {
        const ms = sample();
        if (ms * batch < 5) batch = Math.min(1e6, Math.ceil(5 / Math.max(ms, 1e-4)));
      }
      const ms: number[] = [];
      for (let k = 0; k < opts.runs; k++) ms.push(sample());
      const m = median(ms);
      rec.engines[name] = {
        ns_per_insn: (m * 1e6) / first.insnsExecuted,
        ms_per_run: m,
        runs: opts.runs,
        batch,
        setup_ms: setup,
        first_run_ms: firstMs,
      };
    }
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

function textReport(rec: BenchRecord): string {
  if (rec.error) return `${rec.file}: error: ${rec.error}`;
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
      } ms/run  (median of ${t.runs} × ${t.batch} runs; ${extra})`,
    );
  }
  if (rec.speedup !== undefined) lines.push(`  jit is ${rec.speedup.toFixed(1)}x the interpreter`);
  return lines.join("\n");
}

/** Register `bpfscope bench` on the command tree. */
export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time programs: ns per executed instruction on the interpreter and/or the JIT")
    .argument("<files...>", "program files (JSON, raw, asm or ELF)")
    .option("--engine <name>", "interp | jit | both", "both")
    .option("--runs <n>", "timed samples per engine (median reported)", "7")
    .option("--warmup <n>", "untimed warm-up samples per engine", "3")
    .option("--mem <file>", "memory buffer: r1 = its address, r2 = its length (else an empty ctx)")
    .option("--profile <name>", "semantics: modern | linux-3.18", "modern")
    .option("--max-insns <n>", "executed-instruction limit per run (default 1e9)")
    .option("--json", "one JSON object per file per line: file, insns_executed, r0, engines, speedup, error")
    .addHelpText(
      "after",
      `
Each sample repeats the program until it has run for at least 5 ms; the median
sample is reported. Programs run unverified, maps are created from the file.

Examples:
  bpfscope bench --mem input256.mem alu_loop.json        interp and JIT, speedup
  bpfscope bench --engine jit --runs 15 a.json b.json    JIT only, 15 samples
  bpfscope bench --json --mem input256.mem *.json        machine-readable

Exit status: 0 when every program ran to exit, 1 when any faulted, 2 on bad usage.`,
    )
    .action((files: string[], o: BenchCliOptions) => {
      if (o.engine !== "interp" && o.engine !== "jit" && o.engine !== "both") {
        throw new CliError(`--engine: unknown engine '${o.engine}' (available: interp, jit, both)`, 2);
      }
      if (o.profile !== "modern" && o.profile !== "linux-3.18") {
        throw new CliError(`--profile: expected modern or linux-3.18, got '${o.profile}'`, 2);
      }
      const runs = parseIntOption("--runs", o.runs, 1, 1000);
      const warmup = parseIntOption("--warmup", o.warmup, 0, 1000);
      const maxInsns = o.maxInsns !== undefined ? parseIntOption("--max-insns", o.maxInsns, 1) : undefined;
      const input: RunInput = o.mem !== undefined ? { mem: readFileOrDie(o.mem, 2) } : {};
      const engines: VmEngineName[] = o.engine === "both" ? ["interp", "jit"] : [o.engine];
      const progs = files.map((f) => [f, loadProgramFile(f, 2)] as const);
      let failed = false;
      const enc = new TextEncoder();
      for (const [file, prog] of progs) {
        const rec = benchProgram(file, prog, input, {
          engines,
          runs,
          warmup,
          profile: o.profile as VmProfile,
          maxInsns,
        });
        if (rec.error) failed = true;
        Deno.stdout.writeSync(enc.encode((o.json ? JSON.stringify(rec) : textReport(rec)) + "\n"));
      }
      if (failed) Deno.exitCode = 1;
    });
}
