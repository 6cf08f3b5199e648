/**
 * `testRun(prog, options)`: the kernel's `BPF_PROG_TEST_RUN` for one
 * program, without a kernel. It creates the program's maps (with their
 * initial elements), loads the program into a fresh `Bpf` and test-runs it
 * (see run.ts for the contract).
 *
 * Programs run unverified for now: bpfscope's verifier profiles are Linux
 * 3.18/3.19, which refuse most programs that use these program types and
 * helpers. Every memory access is still bounds-checked by the machine (a
 * program that reaches outside its regions faults). A verifier is plugged in
 * with `verify` (a `VerifyHook`, as `Bpf` takes it); it then decides at load
 * time, as the kernel does.
 *
 * @module
 */
import { Bpf, loadWithMaps, type VerifyHook } from "../bpf.ts";
import { BpfError } from "../errors.ts";
import { PROG_TYPES, type Program } from "../isa/mod.ts";
import type { BpfMap } from "../maps/mod.ts";
import type { TestRunOptions, TestRunReport } from "./run.ts";

/** Options of {@link testRun}: the test run's, plus how to load the program. */
export interface ProgramTestRunOptions extends TestRunOptions {
  /** The program type (a number or a `PROG_TYPES` name; default the program's own). */
  progType?: number | string;
  /** The verifier run at load time (default null: unverified, see the module doc). */
  verify?: VerifyHook | null;
  /** Simulated number of possible CPUs of per-CPU and LRU maps (default 2). */
  cpus?: number;
}

/** A test run's report with the program's maps afterwards. */
export interface ProgramTestRunReport extends TestRunReport {
  /** The program's maps after the runs, in the order the program declares them. */
  maps: BpfMap[];
}

/**
 * Test-run `prog` as `BPF_PROG_TEST_RUN` would (see the module doc).
 * @throws BpfError the errno the kernel would give (EINVAL, ENOTSUPP, E2BIG, ENODEV, ...), or a
 * `ProgLoadError` when a `verify` hook refuses the program
 */
export function testRun(prog: Program, opts: ProgramTestRunOptions = {}): ProgramTestRunReport {
  const bpf = new Bpf({ verify: opts.verify ?? null, cpus: opts.cpus, engine: opts.engine });
  const t = opts.progType ?? prog.progType;
  const progType = typeof t === "number" ? t : PROG_TYPES[t];
  if (progType === undefined) throw new BpfError("EINVAL", `unknown program type '${t}'`);
  const fds: number[] = [];
  const p = progType === prog.progType ? prog : prog.clone({ progType });
  const fd = loadWithMaps(bpf, p, fds);
  const report = bpf.testRun(fd, opts);
  return { ...report, maps: fds.map((m) => bpf.map(m)) };
}
