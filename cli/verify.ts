/**
 * `bpfscope verify`: run the Linux 3.18/3.19 or 6.18 verifier on program files.
 *
 * @module
 */
import type { Command } from "commander";
import { PROFILE_NAMES, progTypeNumber, verify, type VerifyResult } from "../core/verifier/mod.ts";
import { btfNotice, CliError, loadEachProgramFile, painter, parseIntOption, useColor, writeStdout } from "./util.ts";

/** Options of `bpfscope verify`. */
export interface VerifyCliOptions {
  /** `linux-3.18`, `linux-3.19` or `linux-6.18`. */
  profile: string;
  /** Program type name or number (default: the file's). */
  progType?: string;
  /** Log level. */
  logLevel?: string;
  /** false with --no-prune. */
  prune: boolean;
  /** Processed-insn budget. */
  insnLimit?: string;
  /** Explain rejections. */
  explain?: boolean;
  /** One JSON object per file. */
  json?: boolean;
  /** ELF objects: the section of the program. */
  section?: string;
  /** false with --no-btf: linux-6.18 loads ELF programs without their BTF func/line info. */
  btf: boolean;
}

/** The JSON record of one program (one file, or one program of an object with several). */
export interface VerifyRecord {
  /** File path. */
  file: string;
  /** Objects with several programs: the program's section. */
  section?: string;
  /** Objects with several programs: the program's function (the symbol at the start of its section). */
  program?: string;
  /** Verdict. */
  accepted: boolean;
  /** errno name or null. */
  errno: string | null;
  /** Error message or null. */
  error: string | null;
  /** Why, when the kernel prints nothing for a rejection (bpfscope's words; absent otherwise). */
  note?: string;
  /** Verifier log. */
  log: string;
  /** Statistics. */
  stats: VerifyResult["stats"];
  /** With --explain on a rejection. */
  explain?: VerifyResult["explain"];
}

/** Fail with a usage error (exit 2) naming `flag` unless `name` is a verifier profile (`linux-3.18`, `linux-3.19`, `linux-6.18`). */
export function checkVerifierProfile(flag: string, name: string): void {
  if (!PROFILE_NAMES.includes(name)) {
    throw new CliError(`${flag}: expected one of ${PROFILE_NAMES.join(", ")}, got '${name}'`, 2);
  }
}

/** The help text of `--prog-type` (verify, tui). */
export const PROG_TYPE_HELP =
  "program type: unspec | socket_filter | sched_cls | sched_act | xdp | cgroup_skb | number (default: the file's)";

/** A `--prog-type` value as a number, or a usage error (exit 2). */
export function progTypeOption(text: string): number {
  const t = progTypeNumber(text);
  if (t === undefined) {
    throw new CliError(
      `--prog-type: expected unspec, socket_filter, sched_cls, sched_act, xdp, cgroup_skb or a number, got '${text}'`,
      2,
    );
  }
  return t;
}

/** A rejection in words: `rejected, ERRNO: error` (and the note, when there is one). */
export function rejectionText(r: Pick<VerifyResult, "errno" | "error" | "note">): string {
  return `rejected, ${r.errno}${r.error ? `: ${r.error}` : ""}${r.note ? ` (${r.note})` : ""}`;
}

/** Longest error text in the table (veristat too cuts it short); the log and --json have all of it. */
const TABLE_ERROR_WIDTH = 60;

function shorten(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 3) + "...";
}

function table(recs: VerifyRecord[]): string {
  // Program and Section columns when some file is an object with several programs
  const progs = recs.some((r) => r.section !== undefined);
  const head = [
    "File",
    ...(progs ? ["Program", "Section"] : []),
    "Verdict",
    "Errno",
    "Insns",
    "States",
    "Peak states",
    "Max/insn",
    "Prunes",
    "Stack",
    "Time (us)",
    "Error",
  ];
  const rows = recs.map((r) => [
    r.file,
    ...(progs ? [r.program ?? "-", r.section ?? "-"] : []),
    r.accepted ? "success" : "failure",
    r.errno ?? "-",
    String(r.stats.processed_insns),
    String(r.stats.total_states),
    String(r.stats.peak_states),
    String(r.stats.max_states_per_insn),
    String(r.stats.prunes),
    String(r.stats.peak_stack_depth),
    String(r.stats.duration_us),
    shorten(r.error ?? r.note ?? "", TABLE_ERROR_WIDTH),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const last = head.length - 1;
  const left = progs ? 5 : 3;
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === last ? c : i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ").trimEnd();
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

/** Register `bpfscope verify` on the command tree. */
export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("verify programs as the Linux 3.18/3.19 or 6.18 verifier does (verdict, errno, log byte for byte)")
    .argument("<files...>", "program files (JSON, raw, asm, ELF; - reads one from stdin)")
    .option("--profile <name>", "kernel profile: linux-3.18 | linux-3.19 | linux-6.18", "linux-3.19")
    .option("--prog-type <type>", PROG_TYPE_HELP)
    .option(
      "--log-level <n>",
      "log level (0 = off; 1 and 2 print the same in 3.18/3.19; 6.18: 1, 2 = every state, +4 = stats; default 1, 0 for several files)",
    )
    .option("--section <name>", "ELF objects: the section of the program (default: every program of the object)")
    .option(
      "--no-btf",
      "linux-6.18, ELF objects: load without the object's BTF func/line info (no '; source @ file:line' lines), as kbpf.py does; by default it is passed, as bpftool prog load does",
    )
    .option("--no-prune", "disable state pruning (watch the insn budget drain)")
    .option("--insn-limit <n>", "processed-instruction budget (default 32768; linux-6.18: 1000000)")
    .option(
      "--explain",
      "on rejection, show the branch decisions of the failing path and where the register got its type",
    )
    .option(
      "--json",
      "one JSON object per file per line: file, accepted, errno, error, log, stats (processed_insns, total_states, peak_states, max_states_per_insn, prunes, peak_stack_depth, duration_us); an object with several programs: an array of those with section and program; a file that cannot be read: {file, error}",
    )
    .addHelpText(
      "after",
      `
Examples:
  bpfscope verify prog.json                          log and verdict (linux-3.19)
  bpfscope verify --profile linux-3.18 prog.json     as Linux 3.18 (test stub helper 0)
  bpfscope verify --profile linux-6.18 --log-level 6 prog.json   as Linux 6.18, every state and the stats
  bpfscope verify --profile linux-6.18 progs.o       every program of an object: a header, log and verdict
                                                     for each, then a table (program, section, verdict, ...)
  bpfscope verify --log-level 0 progs.o             just the table
  bpfscope verify --json progs.o                     one JSON array: a record per program (with section and program)
  bpfscope verify --profile linux-6.18 --section xdp/ipv4 prog.o  one program of an ELF object
                                                     (with '; source @ file:line' lines from its BTF, as bpftool prog load)
  bpfscope verify --profile linux-6.18 --no-btf prog.o   the same without BTF, as kbpf.py loads it
  bpfscope verify --no-prune --log-level 0 big.json  the budget without pruning
  bpfscope verify --explain bad.json                 why: the failing path and the culprit insn
  bpfscope verify a.json b.json c.json               veristat-style table
  bpfscope verify --json *.json                      one JSON object per file
  clang -O2 -target bpf -c x.c -o - | bpfscope verify --profile linux-6.18 -   from a pipe

Exit status: 0 when every program is accepted, 1 when any is rejected, 2 on bad input
(with several files, each file that cannot be read says so on stderr and the others are verified;
with --json it gets a record {"file", "error"}).`,
    )
    .action((files: string[], o: VerifyCliOptions) => {
      checkVerifierProfile("--profile", o.profile);
      const progType = o.progType !== undefined ? progTypeOption(o.progType) : undefined;
      const many = files.length > 1;
      const logLevel = o.logLevel !== undefined
        ? parseIntOption("--log-level", o.logLevel, 0, 0xffffffff)
        : many && !o.json
        ? 0
        : 1;
      const insnLimit = o.insnLimit !== undefined ? parseIntOption("--insn-limit", o.insnLimit, 1) : undefined;
      const loaded = loadEachProgramFile(files, o.section);
      // several programs: a header per program, the table at the end
      const several = many || loaded.some((l) => "value" in l && l.value.length > 1);
      const recs: VerifyRecord[] = [];
      const notices = new Set<string>();
      const paint = painter(!o.json && useColor());
      for (const l of loaded) {
        if ("error" in l) {
          // the line is on stderr already; --json keeps a record of the file
          if (o.json) writeStdout(JSON.stringify({ file: l.file, error: l.error }) + "\n");
          continue;
        }
        const multi = l.value.length > 1;
        const fileRecs: VerifyRecord[] = [];
        for (const { program: prog, section, func } of l.value) {
          const file = l.file;
          const r = verify(prog, {
            profile: o.profile,
            progType,
            logLevel,
            prune: o.prune,
            insnLimit,
            explain: o.explain,
            btf: o.btf,
          });
          const notice = btfNotice(prog, file, o.profile, o.btf);
          if (notice && !notices.has(notice)) notices.add(notice), console.error(notice);
          const rec: VerifyRecord = {
            file,
            ...(multi ? { section, program: func } : {}),
            accepted: r.accepted,
            errno: r.errno,
            error: r.error,
            log: r.log,
            stats: r.stats,
          };
          if (r.note) rec.note = r.note;
          if (r.explain) rec.explain = r.explain;
          fileRecs.push(rec);
          if (!o.json && (!several || logLevel > 0)) {
            let out = !several ? "" : paint("1", multi ? `${file}: ${section} (${func}):` : `${file}:`) + "\n";
            out += r.log;
            out += r.accepted
              ? paint("32", `verdict: accepted (${r.stats.processed_insns} insns processed)`) + "\n"
              : paint("31", `verdict: ${rejectionText(r)}`) + "\n";
            if (r.explain) out += "explain:\n" + r.explain.text.map((l) => `  ${l}\n`).join("");
            writeStdout(out);
          }
        }
        recs.push(...fileRecs);
        // --json: one line per file, an array for an object with several programs
        if (o.json) writeStdout(JSON.stringify(multi ? fileRecs : fileRecs[0]) + "\n");
      }
      if (several && !o.json) writeStdout(table(recs));
      if (recs.some((r) => !r.accepted)) Deno.exitCode = 1;
      if (loaded.some((l) => "error" in l)) Deno.exitCode = 2;
    });
}
