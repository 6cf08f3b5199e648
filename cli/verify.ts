/**
 * `bpfscope verify`: run the Linux 3.18/3.19 or 6.18 verifier on program files.
 *
 * @module
 */
import type { Command } from "commander";
import { PROFILE_NAMES, progTypeNumber, verify, type VerifyResult } from "../core/verifier/mod.ts";
import { btfNotice, CliError, loadProgramFiles, painter, parseIntOption, useColor, writeStdout } from "./util.ts";

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

/** The JSON record of one file. */
export interface VerifyRecord {
  /** File path. */
  file: string;
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

function table(recs: VerifyRecord[]): string {
  const head = [
    "File",
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
    r.accepted ? "success" : "failure",
    r.errno ?? "-",
    String(r.stats.processed_insns),
    String(r.stats.total_states),
    String(r.stats.peak_states),
    String(r.stats.max_states_per_insn),
    String(r.stats.prunes),
    String(r.stats.peak_stack_depth),
    String(r.stats.duration_us),
    r.error ?? r.note ?? "",
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const last = head.length - 1;
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === last ? c : i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ").trimEnd();
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
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
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
      "one JSON object per file per line: file, accepted, errno, error, log, stats (processed_insns, total_states, peak_states, max_states_per_insn, prunes, peak_stack_depth, duration_us)",
    )
    .addHelpText(
      "after",
      `
Examples:
  bpfscope verify prog.json                          log and verdict (linux-3.19)
  bpfscope verify --profile linux-3.18 prog.json     as Linux 3.18 (test stub helper 0)
  bpfscope verify --profile linux-6.18 --log-level 6 prog.json   as Linux 6.18, every state and the stats
  bpfscope verify --profile linux-6.18 --section xdp/ipv4 prog.o  one program of an ELF object
                                                     (with '; source @ file:line' lines from its BTF, as bpftool prog load)
  bpfscope verify --profile linux-6.18 --no-btf prog.o   the same without BTF, as kbpf.py loads it
  bpfscope verify --no-prune --log-level 0 big.json  the budget without pruning
  bpfscope verify --explain bad.json                 why: the failing path and the culprit insn
  bpfscope verify a.json b.json c.json               veristat-style table
  bpfscope verify --json *.json                      one JSON object per file
  clang -O2 -target bpf -c x.c -o - | bpfscope verify --profile linux-6.18 -   from a pipe

Exit status: 0 when every program is accepted, 1 when any is rejected, 2 on bad input
(with several files, each file that cannot be read says so on stderr and the others are verified).`,
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
      const { progs, bad: badInput } = loadProgramFiles(files, o.section);
      const recs: VerifyRecord[] = [];
      const notices = new Set<string>();
      const paint = painter(!o.json && useColor());
      for (const [file, prog] of progs) {
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
          accepted: r.accepted,
          errno: r.errno,
          error: r.error,
          log: r.log,
          stats: r.stats,
        };
        if (r.note) rec.note = r.note;
        if (r.explain) rec.explain = r.explain;
        recs.push(rec);
        if (o.json) {
          writeStdout(JSON.stringify(rec) + "\n");
        } else if (!many || logLevel > 0) {
          let out = many ? `${file}:\n` : "";
          out += r.log;
          out += r.accepted
            ? paint("32", `verdict: accepted (${r.stats.processed_insns} insns processed)`) + "\n"
            : paint("31", `verdict: ${rejectionText(r)}`) + "\n";
          if (r.explain) out += "explain:\n" + r.explain.text.map((l) => `  ${l}\n`).join("");
          writeStdout(out);
        }
      }
      if (many && !o.json) writeStdout(table(recs));
      if (recs.some((r) => !r.accepted)) Deno.exitCode = 1;
      if (badInput) Deno.exitCode = 2;
    });
}
