/**
 * `bpfscope run`: execute programs in the interpreter.
 *
 * @module
 */
import type { Command } from "commander";
import { BpfError } from "../core/errors.ts";
import { Bpf, loadWithMaps, ProgLoadError, type VerifyHook } from "../core/bpf.ts";
import { PROG_SCHED_ACT, PROG_SCHED_CLS, PROG_XDP, type Program, progTypeName } from "../core/isa/mod.ts";
import type { RunResult, VmProfile } from "../core/vm/mod.ts";
import { ArrayMap, type BpfMap } from "../core/maps/mod.ts";
import { verifyHook } from "../core/verifier/mod.ts";
import {
  applyWasmOption,
  CliError,
  hex,
  loadProgramFiles,
  type Paint,
  painter,
  parseHexOption,
  parseIntOption,
  readFileOrDie,
  useColor,
  WASM_OPTION,
} from "./util.ts";

/** Options of `bpfscope run`. */
export interface RunCliOptions {
  /** The JIT's WebAssembly tier: `auto`, `always` or `never`. */
  wasm: string;
  /** Execution engine: `jit` (default) or `interp`. */
  engine: string;
  /** ctx bytes as hex. */
  ctx?: string;
  /** packet bytes as hex. */
  data?: string;
  /** memory buffer file (r1 = pointer, r2 = length). */
  mem?: string;
  /** print all registers. */
  regs?: boolean;
  /** executed-instruction limit. */
  maxInsns?: string;
  /** `linux-3.18` or `modern`. */
  profile: string;
  /** get_prandom_u32 seed. */
  seed?: string;
  /** one JSON object per file. */
  json?: boolean;
  /** verify before running. */
  verify?: boolean;
  /** ELF objects: the section of the program. */
  section?: string;
}

/**
 * The verifier of `--verify`: linux-3.19 (linux-3.18 with `--profile
 * linux-3.18`). A program type it lacks is refused with verify's note, whose
 * advice (`--profile linux-6.18`, `--prog-type`) names options run does not
 * have: it names the commands that verify as Linux 6.18 instead.
 */
export function loadVerifier(): VerifyHook {
  return (prog, req) => {
    const v = verifyHook(prog, req);
    if (v.accepted || !v.error?.startsWith("program type ")) return v;
    const error = v.error.replace(
      /; [^;]*--prog-type overrides it$/,
      "; run --verify verifies as Linux 3.19: test-run --verify or verify --profile linux-6.18 verify as Linux 6.18",
    );
    return { ...v, error };
  };
}

/** Program types whose context `test-run` builds from a packet (xdp_md, __sk_buff). */
const PACKET_TYPES: readonly number[] = [PROG_XDP, PROG_SCHED_CLS, PROG_SCHED_ACT];

/** Array maps with more elements than this list only their non-zero elements. */
export const ARRAY_LIST_ALL_MAX = 1024;

/**
 * A map's contents as `[key_hex, value_hex]` pairs, in get_next_key order.
 * Array maps over {@link ARRAY_LIST_ALL_MAX} elements list only elements
 * whose value is not all zero, read in place (output and time stay
 * proportional to what the program wrote, not to max_entries).
 */
export function mapEntries(m: BpfMap): Array<[string, string]> {
  if (!(m instanceof ArrayMap) || m.maxEntries <= ARRAY_LIST_ALL_MAX) {
    return m.entries().map(([k, v]) => [hex(k), hex(v)]);
  }
  const out: Array<[string, string]> = [];
  const key = new Uint8Array(4);
  const kv = new DataView(key.buffer);
  const vals = m.values;
  for (let i = 0; i < m.maxEntries; i++) {
    const o = i * m.stride;
    let j = 0;
    while (j < m.valueSize && vals[o + j] === 0) j++;
    if (j === m.valueSize) continue;
    kv.setUint32(0, i, true);
    out.push([hex(key), hex(vals.subarray(o, o + m.valueSize))]);
  }
  return out;
}

/** The JSON record of one run (keys as documented in `--help`). */
export interface RunRecord {
  /** The program file. */
  file: string;
  /** r0 as an unsigned decimal string. */
  r0: string;
  /** Executed instructions. */
  insns_executed: number;
  /** r0..r10 as decimal strings (with --regs). */
  regs?: string[];
  /** Map contents after the run. */
  maps: Array<{ name: string; type: string; entries: Array<[string, string]> }>;
  /** Helper output lines. */
  output: string[];
  /** null, or the fault / load error message. */
  error: string | null;
}

/**
 * Run one program the way `bpfscope run` does: create and fill its maps,
 * apply fixups, load (verified or not) and run once.
 */
export function runProgram(
  file: string,
  prog: Program,
  input: { ctx?: Uint8Array; data?: Uint8Array; mem?: Uint8Array },
  opts: {
    profile: VmProfile;
    maxInsns?: number;
    seed?: number;
    regs?: boolean;
    verify?: VerifyHook | null;
    /** `interp` (default here) or `jit` (same results, compiled to JavaScript). */
    engine?: "interp" | "jit";
  },
): RunRecord {
  const bpf = new Bpf({ profile: opts.profile, verify: opts.verify ?? null, engine: opts.engine });
  const rec: RunRecord = { file, r0: "0", insns_executed: 0, maps: [], output: [], error: null };
  const fds: number[] = [];
  try {
    const progFd = loadWithMaps(bpf, prog, fds);
    const runOpts = { maxInsns: opts.maxInsns, seed: opts.seed, regs: opts.regs };
    const r: RunResult = bpf.progTestRun(progFd, { ...input, ...runOpts });
    rec.r0 = r.r0.toString();
    rec.insns_executed = r.insnsExecuted;
    rec.output = r.output;
    rec.error = r.fault?.message ?? null;
    if (r.regs) rec.regs = r.regs.map(String);
  } catch (e) {
    if (e instanceof ProgLoadError) rec.error = `rejected by the verifier: ${e.message}`;
    else if (e instanceof BpfError || e instanceof RangeError) rec.error = e.message;
    else throw e;
  }
  rec.maps = fds.map((fd) => {
    const m = bpf.map(fd);
    return { name: m.name, type: m.typeName, entries: mapEntries(m) };
  });
  return rec;
}

function textReport(rec: RunRecord, many: boolean, paint: Paint): string {
  const lines: string[] = [];
  const r0 = BigInt(rec.r0);
  const pre = many ? `${rec.file}: ` : "";
  if (rec.error && rec.insns_executed === 0 && rec.output.length === 0) return pre + paint("31", `error: ${rec.error}`);
  lines.push(`${pre}r0 = 0x${r0.toString(16).padStart(16, "0")} (${rec.r0}), ${rec.insns_executed} insns executed`);
  if (rec.regs) {
    rec.regs.forEach((v, i) =>
      lines.push(`  r${i}`.padEnd(6) + ` = 0x${BigInt(v).toString(16).padStart(16, "0")} (${v})`)
    );
  }
  for (const o of rec.output) lines.push(`  trace: ${o}`);
  for (const m of rec.maps) {
    lines.push(`  map ${m.name} (${m.type}): ${m.entries.length} entries`);
    for (const [k, v] of m.entries) lines.push(`    ${k}: ${v}`);
  }
  if (rec.error) lines.push("  " + paint("31", `error: ${rec.error}`));
  return lines.join("\n");
}

/** Register `bpfscope run` on the command tree. */
export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run programs (JIT by default, or the interpreter; unverified unless --verify)")
    .argument("<files...>", "program files (JSON, raw, asm or ELF; - reads one from stdin)")
    .option("--engine <name>", "execution engine: jit (compiled to JavaScript) | interp; identical results", "jit")
    .option(...WASM_OPTION)
    .option("--ctx <hex>", "ctx bytes (r1 points at a copy)")
    .option("--data <hex>", "packet bytes (socket filter: LD_ABS/LD_IND read them)")
    .option("--mem <file>", "memory buffer: r1 = its address, r2 = its length")
    .option("--regs", "print all registers at exit")
    .option("--max-insns <n>", "executed-instruction limit (default 1e9)")
    .option("--profile <name>", "semantics: modern | linux-3.18", "modern")
    .option("--seed <n>", "seed of get_prandom_u32 (default 1)")
    .option("--verify", "verify before running, as Linux 3.19 (3.18 with --profile linux-3.18)")
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
    .option("--json", "one JSON object per file per line: file, r0, insns_executed, regs, maps, output, error")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope run prog.json                            run with an empty ctx
  bpfscope run --mem input256.mem bench.json        r1 = copy of the file, r2 = its length
  bpfscope run --data 45000054 --regs filter.json   packet program, all registers
  bpfscope run --json --profile linux-3.18 a.json b.json
  bpfscope run --wasm always --regs prog.json       the JIT through its WebAssembly tier from the first run

Maps are listed after the run (array maps over 1024 elements: only non-zero elements).
Exit status: 0 when every program ran to exit, 1 when any faulted, 2 on bad usage or input.`,
    )
    .action((files: string[], o: RunCliOptions) => {
      applyWasmOption(o.wasm);
      if (o.engine !== "interp" && o.engine !== "jit") {
        throw new CliError(`--engine: unknown engine '${o.engine}' (available: jit, interp)`, 2);
      }
      if (o.profile !== "modern" && o.profile !== "linux-3.18") {
        throw new CliError(`--profile: expected modern or linux-3.18, got '${o.profile}'`, 2);
      }
      const input = {
        ctx: o.ctx !== undefined ? parseHexOption("--ctx", o.ctx) : undefined,
        data: o.data !== undefined ? parseHexOption("--data", o.data) : undefined,
        mem: o.mem !== undefined ? readFileOrDie(o.mem, 2) : undefined,
      };
      const maxInsns = o.maxInsns !== undefined ? parseIntOption("--max-insns", o.maxInsns, 1) : undefined;
      const seed = o.seed !== undefined ? parseIntOption("--seed", o.seed, 0, 0xffffffff) : undefined;
      const verify = o.verify ? loadVerifier() : null;
      const { progs, bad } = loadProgramFiles(files, o.section);
      let failed = false;
      const paint = painter(!o.json && useColor());
      const enc = new TextEncoder();
      for (const [file, prog] of progs) {
        const rec = runProgram(file, prog, input, {
          profile: o.profile as VmProfile,
          maxInsns,
          seed,
          regs: o.regs,
          verify,
          engine: o.engine as "interp" | "jit",
        });
        if (rec.error) failed = true;
        // a packet program read past the empty ctx it got: what a user of run most likely wanted is test-run
        if (
          rec.error && input.ctx === undefined && PACKET_TYPES.includes(prog.progType) && /: ctx \[/.test(rec.error)
        ) {
          console.error(
            `note: ${file}: run gives a ${progTypeName(prog.progType)} program an empty ctx (give one with --ctx); ` +
              "test-run builds its context from a packet as the kernel's test run does",
          );
        }
        const text = o.json ? JSON.stringify(rec) : textReport(rec, progs.length > 1, paint);
        Deno.stdout.writeSync(enc.encode(text + "\n"));
      }
      if (failed) Deno.exitCode = 1;
      if (bad) Deno.exitCode = 2;
    });
}
