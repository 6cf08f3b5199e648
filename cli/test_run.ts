/**
 * `bpfscope test-run`: `BPF_PROG_TEST_RUN` without a kernel (core/testrun):
 * a program of a file (every program and map of an ELF object is loaded,
 * prog_array slots filled) runs `--repeat` times on a packet, and prints
 * `retval`, `data_out`, `ctx_out`, trace output, redirects, tail calls and
 * the maps.
 *
 * @module
 */
import type { Command } from "commander";
import { BpfError, FormatError } from "../core/errors.ts";
import { verifyHook618 } from "../core/verifier/mod.ts";
import {
  PROG_SCHED_ACT,
  PROG_SCHED_CLS,
  PROG_SOCKET_FILTER,
  PROG_TYPES,
  PROG_XDP,
  progTypeName,
} from "../core/isa/mod.ts";
import { type BpfMap, DEFAULT_CPUS, RingBufMap } from "../core/maps/mod.ts";
import { BpfObject, type ObjectOptions } from "../core/testing/mod.ts";
import type { TestRunReport } from "../core/testrun/mod.ts";
import { mapEntries } from "./run.ts";
import {
  btfNotice,
  CliError,
  hex,
  parseHexOption,
  parseIntOption,
  readFileOrDie,
  readStdinOrDie,
  useColor,
  writeStdout,
} from "./util.ts";

/** Options of `bpfscope test-run`. */
export interface TestRunCliOptions {
  /** The program (section name) to run. */
  program?: string;
  /** Verify as Linux 6.18 before running. */
  verify?: boolean;
  /** false with --no-btf: the verifier gets the programs without their BTF func/line info. */
  btf: boolean;
  /** Program type override. */
  progType?: string;
  /** data_in as hex. */
  data?: string;
  /** data_in from a file. */
  dataFile?: string;
  /** ctx_in as hex. */
  ctx?: string;
  /** Runs. */
  repeat?: string;
  /** Engine. */
  engine: string;
  /** Simulated CPU of the run. */
  cpu?: string;
  /** Simulated CPU count. */
  cpus?: string;
  /** get_prandom_u32 seed. */
  seed?: string;
  /** Fixed ktime_get_ns value. */
  clock?: string;
  /** Executed-instruction limit per program run. */
  maxInsns?: string;
  /** MAP:INDEX=PROGRAM prog_array slots. */
  tail?: string[];
  /** MAP:KEYHEX=VALUEHEX elements stored before the run. */
  set?: string[];
  /** JSON output. */
  json?: boolean;
}

/** The packet of the examples: Ethernet, then an IPv4 header (UDP, from 10.0.0.66 to 10.0.0.1, valid checksum). */
const PKT = "00000000000100000000000208004500001400000000401166970a0000420a000001";

const XDP_ACTIONS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
const TC_ACTIONS: Record<number, string> = {
  0: "TC_ACT_OK",
  1: "TC_ACT_RECLASSIFY",
  2: "TC_ACT_SHOT",
  3: "TC_ACT_PIPE",
  4: "TC_ACT_STOLEN",
  5: "TC_ACT_QUEUED",
  6: "TC_ACT_REPEAT",
  7: "TC_ACT_REDIRECT",
  0xffffffff: "TC_ACT_UNSPEC",
};

/** What a program type's return value means (`XDP_PASS`, `TC_ACT_SHOT`, bytes kept by a socket filter). */
export function retvalMeaning(progType: number, retval: number): string {
  if (progType === PROG_XDP) return XDP_ACTIONS[retval] ?? "not an XDP action";
  if (progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT) return TC_ACTIONS[retval] ?? "not a TC action";
  if (progType === PROG_SOCKET_FILTER) {
    return retval === 0 ? "drop" : `keep ${retval === 0xffffffff ? "all" : retval} bytes`;
  }
  return "";
}

/** A map's contents for the report: elements, or ring buffer records (consumed). */
function mapRecord(m: BpfMap): { name: string; type: string; entries?: Array<[string, string]>; records?: string[] } {
  if (m instanceof RingBufMap) return { name: m.name, type: m.typeName, records: m.consume().map((r) => hex(r.data)) };
  return { name: m.name, type: m.typeName, entries: mapEntries(m) };
}

/** The JSON record of a test run (keys as `--help` lists them). */
export function testRunRecord(
  file: string,
  program: string,
  progType: number,
  r: TestRunReport,
  maps: BpfMap[],
): Record<string, unknown> {
  return {
    file,
    program,
    prog_type: progTypeName(progType),
    retval: r.retval,
    meaning: retvalMeaning(progType, r.retval),
    r0: r.r0.toString(),
    data_out: hex(r.dataOut),
    ctx_out: r.ctxOut === null ? null : hex(r.ctxOut),
    duration_ns: r.durationNs,
    runs: r.runs,
    insns_executed: r.insnsExecuted,
    tail_calls: r.tailCalls,
    redirect: r.redirect === null ? null : { ifindex: r.redirect.ifindex, flags: r.redirect.flags.toString() },
    output: r.output,
    maps: maps.map(mapRecord),
    error: r.fault?.message ?? null,
  };
}

function textReport(rec: Record<string, unknown>, dataIn: Uint8Array, dataOut: Uint8Array, color: boolean): string {
  const b = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[39m` : s);
  const out: string[] = [];
  const meaning = rec.meaning ? ` (${rec.meaning})` : "";
  // a JSON, raw or asm program is named by its file: once is enough
  const name = rec.program === rec.file ? rec.file : `${rec.file} ${rec.program}`;
  out.push(`${name} (${rec.prog_type}): retval ${b(String(rec.retval))}${meaning}`);
  let changed = 0;
  for (let i = 0; i < Math.max(dataIn.length, dataOut.length); i++) if (dataIn[i] !== dataOut[i]) changed++;
  const note = changed === 0 ? "unchanged" : `${changed} bytes differ from data_in`;
  out.push(`  data_out: ${dataOut.length} bytes, ${note}: ${rec.data_out}`);
  if (rec.ctx_out !== null) out.push(`  ctx_out: ${rec.ctx_out}`);
  out.push(
    `  ${rec.runs} run${
      rec.runs === 1 ? "" : "s"
    }, ${rec.insns_executed} insns executed (last run), ${rec.tail_calls} tail calls, ${rec.duration_ns} ns per run`,
  );
  const rd = rec.redirect as { ifindex: number; flags: string } | null;
  if (rd) out.push(`  redirect: ifindex ${rd.ifindex} flags ${rd.flags}`);
  for (const line of rec.output as string[]) out.push(`  trace: ${line}`);
  for (const m of rec.maps as Array<ReturnType<typeof mapRecord>>) {
    if (m.records) {
      out.push(`  map ${m.name} (${m.type}): ${m.records.length} records`);
      for (const r of m.records) out.push(`    ${r}`);
    } else {
      out.push(`  map ${m.name} (${m.type}): ${m.entries!.length} entries`);
      for (const [k, v] of m.entries!) out.push(`    ${k}: ${v}`);
    }
  }
  if (rec.error) out.push(red(`  error: ${rec.error}`));
  return out.join("\n");
}

/** `--prog-type`: a type's name (PROG_TYPES) or number; a usage error otherwise. */
function progTypeArg(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return parseIntOption("--prog-type", text, 0, 0xffffffff);
  if (text in PROG_TYPES) return text;
  throw new CliError(
    `--prog-type: expected socket_filter, sched_cls, sched_act, xdp (or another program type's name or number), got '${text}'`,
    2,
  );
}

function parseAssignment(opt: string, text: string, sep: string): [string, string, string] {
  const c = text.indexOf(":"), e = text.indexOf(sep, c + 1);
  if (c <= 0 || e <= c + 1 || e === text.length - 1) {
    throw new CliError(`${opt}: expected MAP:${sep === "=" ? "KEY=VALUE" : "INDEX=PROGRAM"}, got '${text}'`, 2);
  }
  return [text.slice(0, c), text.slice(c + 1, e), text.slice(e + 1)];
}

/** Register `bpfscope test-run` on the command tree. */
export function registerTestRun(program: Command): void {
  program
    .command("test-run")
    .description("BPF_PROG_TEST_RUN without a kernel: run a packet program as the kernel's test run does")
    .argument(
      "<file>",
      "an ELF object (all its programs and maps are loaded) or a JSON, raw or asm program; - reads it from stdin",
    )
    .option("--program <section>", "the program to run (ELF: its section; default the object's entry program)")
    .option(
      "--prog-type <type>",
      "program type (socket_filter, sched_cls, sched_act, xdp, or a number; default from the file)",
    )
    .option("--data <hex>", "data_in: the packet")
    .option("--data-file <file>", "data_in read from a file (- for stdin)")
    .option("--ctx <hex>", "ctx_in: a struct __sk_buff or xdp_md (its fields as the kernel allows them)")
    .option("--repeat <n>", "runs on the same packet and context (default 1)")
    .option("--engine <name>", "jit | interp (identical results)", "jit")
    .option("--cpu <n>", "the simulated CPU the program runs on (default 0)")
    .option("--cpus <n>", "simulated number of CPUs of per-CPU and LRU maps (default 2)")
    .option("--seed <n>", "seed of get_prandom_u32 (default 1)")
    .option("--clock <ns>", "the fixed value of ktime_get_ns (default 0)")
    .option("--max-insns <n>", "executed-instruction limit per program run (default 1e9)")
    .option("--verify", "verify the programs as Linux 6.18 does before running (the linux-6.18 profile)")
    .option(
      "--no-btf",
      "with --verify: verify ELF programs without their BTF func/line info, as kbpf.py loads them (a global function is then verified as a static one); by default it is passed, as bpftool does",
    )
    .option("--tail <MAP:INDEX=PROGRAM>", "put a program in a prog_array slot (repeatable)", collect)
    .option("--set <MAP:KEY=VALUE>", "store an element (hex) before the run (repeatable)", collect)
    .option(
      "--json",
      "one JSON object: file, program, prog_type, retval, meaning, r0, data_out, ctx_out, duration_ns, runs, insns_executed, tail_calls, redirect, output, maps, error",
    )
    .addHelpText(
      "after",
      `
Programs run unverified (every memory access bounds-checked). The packet and
context are built as Linux 6.18's test run builds them, with its errnos.

The duration leaves out loading (the JIT compiles every program first), as
the kernel's does; a single run still pays for JavaScript's warm-up: time
with --repeat.

Examples:
  cd tests/fixtures      # in the bpfscope sources
  PKT=${PKT}      # IPv4 from 10.0.0.66
  bpfscope test-run --data $PKT xdp_firewall.o
  bpfscope test-run --set blocklist:0a000042=00000000 --json --data $PKT xdp_firewall.o
  echo $PKT | xxd -r -p | bpfscope test-run --data-file - --repeat 50 xdp_firewall.o
  bpfscope test-run --program xdp/ipv4 --data $PKT xdp_firewall.o
  bpfscope test-run --ctx 00000000000000002a000000 --data $PKT tc_portmap.o     # ctx_in: mark 42
  bpfscope test-run --verify --data $PKT xdp_firewall.o   # verified as Linux 6.18 first (refused: exit 2)
  cat xdp_firewall.o | bpfscope test-run --data $PKT -     # the object from a pipe

Exit status: 0 when the program ran to exit, 1 when it faulted, 2 when the
test run was refused (the kernel's errno: EINVAL, ENOTSUPP, ...) or on bad usage.`,
    )
    .action((file: string, o: TestRunCliOptions) => {
      if (o.engine !== "interp" && o.engine !== "jit") {
        throw new CliError(`--engine: unknown engine '${o.engine}' (available: jit, interp)`, 2);
      }
      if (o.data !== undefined && o.dataFile !== undefined) {
        throw new CliError("--data and --data-file exclude each other", 2);
      }
      const data = o.data !== undefined
        ? parseHexOption("--data", o.data)
        : o.dataFile === "-"
        ? readStdinOrDie("the packet", 2)
        : o.dataFile !== undefined
        ? readFileOrDie(o.dataFile, 2)
        : undefined;
      const ctx = o.ctx !== undefined ? parseHexOption("--ctx", o.ctx) : undefined;
      const int = (name: string, v: string | undefined, min: number, max: number) =>
        v === undefined ? undefined : parseIntOption(name, v, min, max);
      const repeat = int("--repeat", o.repeat, 0, 0xffffffff);
      const cpus = int("--cpus", o.cpus, 1, 4096);
      const cpu = int("--cpu", o.cpu, 0, (cpus ?? DEFAULT_CPUS) - 1);
      const seed = int("--seed", o.seed, 0, 0xffffffff);
      const maxInsns = int("--max-insns", o.maxInsns, 1, Number.MAX_SAFE_INTEGER);
      let clock: bigint | undefined;
      if (o.clock !== undefined) {
        // ktime_get_ns returns a u64
        if (!/^\d+$/.test(o.clock.trim()) || BigInt(o.clock.trim()) > 0xffffffffffffffffn) {
          throw new CliError(`--clock: expected nanoseconds from 0 to 18446744073709551615, got '${o.clock}'`, 2);
        }
        clock = BigInt(o.clock.trim());
      }
      // `-`: the program from stdin (its format by content), as verify reads one
      if (file === "-" && o.dataFile === "-") {
        throw new CliError("stdin can be the program or --data-file, not both", 2);
      }
      const bytes = file === "-" ? readStdinOrDie("a program", 2) : readFileOrDie(file, 2);
      if (file === "-" && bytes.length === 0) throw new CliError("stdin: empty input, no program", 2);
      if (file === "-") file = "stdin";
      const opts: ObjectOptions = { engine: o.engine as "interp" | "jit", cpus, progType: progTypeArg(o.progType) };
      if (o.verify) {
        // a malformed .BTF.ext is ignored with a one-line warning, and --no-btf on a program without BTF gets a
        // note, as verify says them
        const said = new Set<string>();
        opts.verify = (prog, req) => {
          const notice = btfNotice(prog, file, "linux-6.18", o.btf);
          if (notice && !said.has(notice)) said.add(notice), console.error(notice);
          return verifyHook618(o.btf ? prog : prog.clone({ btf: undefined }), req);
        };
      } else if (!o.btf) {
        console.error("note: --no-btf has no effect without --verify (programs run unverified)");
      }
      let obj: BpfObject;
      let rec: Record<string, unknown>;
      let dataOut: Uint8Array;
      try {
        obj = BpfObject.fromBytes(bytes, file, opts);
        for (const t of o.tail ?? []) {
          const [map, idx, prog] = parseAssignment("--tail", t, "=");
          const i = parseIntOption("--tail", idx, 0, 0xffffffff);
          mapOption(obj, "--tail", t, map, () => obj.setTailCall(map, i, prog));
        }
        for (const s of o.set ?? []) {
          const [map, k, v] = parseAssignment("--set", s, "=");
          const key = parseHexOption("--set", k), value = parseHexOption("--set", v);
          mapOption(obj, "--set", s, map, () => obj.map(map).set(key, value));
        }
        const name = o.program ?? obj.entry ?? "";
        const r = obj.run(data, { program: name, ctx, repeat, cpu, seed, clock, maxInsns });
        const progType = obj.bpf.prog(obj.programFd(name)).prog.progType;
        rec = testRunRecord(file, name, progType, r, obj.maps.map((m) => obj.map(m).raw));
        dataOut = r.dataOut;
      } catch (e) {
        if (e instanceof FormatError) throw new CliError(e.message, 2);
        if (e instanceof BpfError) {
          // the hint only where the kernel's refusal is about the missing packet, not a program it cannot load
          const msg = data === undefined && e.errno === "EINVAL" && /\bdata_in\b/.test(e.message)
            ? `${e.message} (give the packet with --data)`
            : e.message;
          if (o.json) {
            writeStdout(JSON.stringify({ file, errno: e.errno, error: msg }) + "\n");
            Deno.exitCode = 2;
            return;
          }
          throw new CliError(`${file}: test run: ${msg}`, 2);
        }
        throw e;
      }
      writeStdout(
        (o.json ? JSON.stringify(rec) : textReport(rec, data ?? new Uint8Array(0), dataOut, useColor())) + "\n",
      );
      if (rec.error) Deno.exitCode = 1;
    });
}

/**
 * Do what `--set`/`--tail` asks of `map`; the kernel's refusal is a usage error naming the option (and for E2BIG,
 * an index past the end of an array, the map's size).
 */
function mapOption(obj: BpfObject, opt: string, text: string, map: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const size = e.errno === "E2BIG" && obj.maps.includes(map)
      ? ` (map ${map} holds at most ${obj.map(map).raw.maxEntries})`
      : "";
    throw new CliError(`${opt} ${text}: ${e.message}${size}`, 2);
  }
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}
