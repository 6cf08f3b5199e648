/**
 * `bpfscope log FILE|-`: read a verifier log of a 5.x/6.x kernel (a bare
 * log, bpftool's or libbpf's output around it, veristat's) and report what
 * happened: the verdict and the error, the failing instruction and its
 * source line, the backward slice that explains the error, the path that led
 * there, the hottest instructions and loops, the statistics, and any line it
 * could not place. Reads a file or a pipe, in chunks.
 *
 * @module
 */
import type { Command } from "commander";
import {
  describeValue,
  type KernLog,
  LogParser,
  type LogSummary,
  parseRegValue,
  type Slice,
  sliceKindWords,
  summarize,
  verifierLineCount,
} from "../core/kernlog/mod.ts";
import { CliError, type Paint, painter, parseIntOption, useColor, writeStdout } from "./util.ts";

/** Options of `bpfscope log`. */
export interface LogCliOptions {
  /** One JSON object per program log. */
  json?: boolean;
  /** Hot instructions and loops shown. */
  top: string;
  /** Path decisions shown. */
  path: string;
  /** false with --no-explain. */
  explain: boolean;
  /** Print every unrecognised line (default: the first 10). */
  lines?: boolean;
}

/** A log input opened for reading in chunks. */
export interface LogInput {
  /** The bytes, as they arrive. */
  stream: ReadableStream<Uint8Array>;
  /** The size of a file (0 for a pipe). */
  size: number;
  /** How errors name it: the file, or `stdin`. */
  name: string;
}

/**
 * Open a log file, or stdin for `-` (which must not be a terminal), turning
 * every OS error into a one-line CliError (exit 2); `command` is the one the
 * terminal-stdin error shows at the end of a pipe (`log -`, `tui --log -`).
 */
export function openLogInput(file: string, command = "log -"): LogInput {
  if (file === "-") {
    if (Deno.stdin.isTerminal()) {
      throw new CliError(`stdin is a terminal; pipe a log in (... 2>&1 | bpfscope ${command}) or give a file`, 2);
    }
    return { stream: Deno.stdin.readable, size: 0, name: "stdin" };
  }
  try {
    const st = Deno.statSync(file);
    if (st.isDirectory) throw new CliError(`${file}: is a directory`, 2);
    const stream = Deno.openSync(file).readable;
    // a log kept gzipped is read through gunzip (its size is not the log's: no progress fraction)
    if (/\.gz$/i.test(file)) {
      return { stream: stream.pipeThrough(new DecompressionStream("gzip")), size: 0, name: file };
    }
    return { stream, size: st.size, name: file };
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new CliError(`${file}: no such file`, 2);
    if (e instanceof Deno.errors.PermissionDenied) throw new CliError(`${file}: permission denied`, 2);
    throw new CliError(`${file}: cannot read: ${(e as Error).message}`, 2);
  }
}

/** Read a file or stdin (`-`) into a parser, chunk by chunk. */
export async function readLogInput(file: string, onChunk?: (p: LogParser) => void): Promise<LogParser> {
  const parser = new LogParser();
  const { stream } = openLogInput(file);
  const dec = new TextDecoder("utf-8", { fatal: false });
  try {
    for await (const chunk of stream) {
      parser.push(dec.decode(chunk, { stream: true }));
      onChunk?.(parser);
    }
  } catch (e) {
    throw new CliError(`${file === "-" ? "stdin" : file}: read failed: ${(e as Error).message}`, 2);
  }
  parser.push(dec.decode());
  parser.end();
  return parser;
}

/**
 * The logs of an input that hold the verifier's lines, or a CliError saying
 * why there is none (empty input, binary data, another tool's output).
 */
export function verifierLogs(parser: LogParser, name: string): KernLog[] {
  if (parser.chars === 0) throw new CliError(`${name}: empty input, no verifier log`, 2);
  const logs = parser.logs.filter((l) => verifierLineCount(l) > 0 && l.hasVerifierLines);
  if (logs.length) return logs;
  const first = parser.logs[0];
  const line1 = first ? first.lines.get(0) ?? "" : "";
  // a program given to log instead of verify: say which command reads it
  const arg = name === "stdin" ? "-" : name;
  // (gzip's magic 1f 8b: the 8b is not UTF-8, the decoder made it U+FFFD)
  const program = line1.startsWith("\x1f\ufffd") || line1.startsWith("\x1f\x8b")
    ? `; gzip data: name it .gz (or zcat ${arg} | bpfscope log -)`
    : line1.startsWith("\x7fELF")
    ? `; an ELF object: bpfscope verify ${arg} verifies it`
    : /^\s*[[{]/.test(line1) && /"insns"|^\s*\[?\s*\[\s*\d/m.test([...first!.lines].slice(0, 50).join("\n"))
    ? `; a JSON program: bpfscope verify ${arg} verifies it`
    : "";
  if (parser.binaryLines > 0 && parser.binaryLines * 2 >= parser.lineCount) {
    throw new CliError(`${name}: binary data, not a verifier log (${parser.lineCount} lines)${program}`, 2);
  }
  const sample = first ? [...first.lines].find((l) => l.trim().length > 0) ?? "" : "";
  throw new CliError(
    `${name}: no verifier log found in ${parser.lineCount} line${parser.lineCount === 1 ? "" : "s"} (line 1: ${
      JSON.stringify(sample.slice(0, 60))
    })${program}`,
    2,
  );
}

function src(s: { source: { text: string; file: string | null; line: number } | null }): string {
  if (!s.source || !s.source.file) return "";
  const where = s.source.file ? `${s.source.file}:${s.source.line}` : "";
  return where;
}

function words(text: string | null): string {
  if (!text) return "";
  try {
    return describeValue(parseRegValue(text));
  } catch {
    return "";
  }
}

function sliceText(sl: Slice, paint: Paint, indent: string): string[] {
  const out: string[] = [];
  for (const c of sl.chain) {
    const role = c.role === "error"
      ? paint("31", "error ")
      : c.role === "origin"
      ? paint("32;1", "origin")
      : c.role.padEnd(6);
    const w = words(c.value);
    const at = src(c);
    out.push(
      `${indent}${role} ${String(c.insn).padStart(4)}: ${c.text.padEnd(36)} ${c.note}${
        at ? paint("2", `  (${at})`) : ""
      }`,
    );
    if (c.value && c.role !== "error") {
      out.push(`${indent}       ${" ".repeat(6)}${c.loc} = ${c.value}${w ? ` (${w})` : ""}`);
    }
    if (c.role === "error" && c.value) {
      out.push(`${indent}       ${" ".repeat(6)}${c.loc} = ${c.value}${w ? ` (${w})` : ""}`);
    }
  }
  for (const o of sl.operands) {
    if (!o.chain.length) continue;
    out.push(`${indent}  where ${o.loc} before insn ${o.errorInsn} came from:`);
    out.push(...sliceText(o, paint, indent + "  "));
  }
  return out;
}

/** The text report of one log. */
export function summaryText(s: LogSummary, color: boolean, allUnknown = false): string {
  const paint = painter(color);
  const out: string[] = [];
  const head = [
    s.name ? `program ${s.name}` : "verifier log",
    `level ${s.level}`,
    s.stats.processed !== null
      ? `${s.stats.processed} insns processed`
      : `${s.visits} insns processed (no statistics line)`,
    `${s.insns} instruction slots seen`,
  ];
  out.push(paint("1", head.join(", ")));
  if (s.verdict === "rejected") {
    const first = (s.error ?? "").split("\n");
    out.push(`verdict: ${paint("31;1", "rejected")}${s.errno ? `, ${s.errno}` : ""}${first[0] ? `: ${first[0]}` : ""}`);
    for (const l of first.slice(1)) out.push(`         ${l}`);
    if (s.errorAt) {
      out.push(`at insn ${s.errorAt.insn}: ${s.errorAt.text}`);
      if (s.errorAt.source) {
        const at = src(s.errorAt);
        out.push(`   source: ${s.errorAt.source.text}${at ? paint("2", `  (${at})`) : ""}`);
      }
    }
  } else if (s.verdict === "accepted") out.push(`verdict: ${paint("32;1", "accepted")}`);
  else out.push(`verdict: ${paint("33;1", "incomplete")} (no error and no statistics line: the log looks cut)`);
  if (s.slice) {
    const sl = s.slice;
    if (sl.loc === null) {
      out.push(`explain: the error is not about a register (${sliceKindWords(sl.kind === "ref" ? "ref" : "none")})`);
      if (sl.kind === "ref") out.push(...sliceText(sl, paint, "  "));
    } else {
      const what = sliceKindWords(sl.kind);
      const origin = sl.origin === null
        ? "not found in the log (it may start after it)"
        : sl.origin < 0
        ? sl.entryGlobal
          ? `the arguments of global function ${sl.entryGlobal}(), from its BTF prototype (its own walk)`
          : "the entry of the program or function"
        : `insn ${sl.origin}`;
      out.push(`explain: ${sl.loc} (${what}); origin: ${origin}`);
      out.push(...sliceText(sl, paint, "  "));
    }
  }
  if (s.path.length) {
    out.push(
      `path to ${s.verdict === "rejected" ? "the error" : "the end"} (${s.pathLength} insns${
        s.pathOmitted ? `; last ${s.path.length} decisions` : ""
      }):`,
    );
    if (s.pathOmitted) out.push(`  ... ${s.pathOmitted} earlier decisions`);
    for (const d of s.path) {
      const at = src(d);
      out.push(
        `  ${String(d.insn).padStart(5)}: ${d.text.padEnd(36)} -> ${d.what} (${d.next})${
          d.times > 1 ? ` x${d.times}` : ""
        }${at ? paint("2", `  ${at}`) : ""}`,
      );
    }
  }
  if (s.hot.length) {
    out.push("hottest instructions (times processed):");
    const w = String(s.hot[0].visits).length;
    for (const h of s.hot) {
      const at = src(h);
      out.push(
        `  ${String(h.visits).padStart(w)}x ${String(h.insn).padStart(5)}: ${at ? h.text.padEnd(36) : h.text}${
          at ? paint("2", ` ${at}`) : ""
        }`,
      );
    }
  }
  if (s.loops.length) {
    out.push("loops (back-edges taken):");
    for (const l of s.loops) {
      out.push(`  ${l.from} -> ${l.head}: ${l.taken} times (head processed ${l.headVisits} times)`);
    }
  }
  const st = s.stats;
  const parts: string[] = [];
  if (st.processed !== null) parts.push(`processed ${st.processed}${st.limit !== null ? ` of ${st.limit}` : ""}`);
  if (st.totalStates !== null) {
    parts.push(`states ${st.totalStates} total, ${st.peakStates} peak, ${st.maxStatesPerInsn} max per insn`);
  }
  if (st.verificationTimeUsec !== null) parts.push(`${st.verificationTimeUsec} us`);
  if (st.stackDepth) parts.push(`stack depth ${st.stackDepth.join("+")}`);
  parts.push(`${s.prunes} prunes, ${s.resumes} branches resumed`);
  out.push(`statistics: ${parts.join("; ")}`);
  if (s.unknown.length) {
    const shown = allUnknown ? s.unknown : s.unknown.slice(0, 10);
    out.push(paint("33", `lines not recognised: ${s.unknown.length}`));
    for (const u of shown) out.push(`  line ${u.line}: ${u.text.slice(0, 160)}`);
    if (shown.length < s.unknown.length) out.push(`  ... ${s.unknown.length - shown.length} more (--lines shows all)`);
  }
  return out.join("\n") + "\n";
}

/** The JSON record of one log (what `--json` prints). */
export function summaryRecord(s: LogSummary, input: string, index: number, firstLine: number): Record<string, unknown> {
  return { input, log: index, first_line: firstLine, ...s };
}

/** Register `bpfscope log`. */
export function registerLog(program: Command): void {
  program
    .command("log")
    .description("read a 5.x/6.x verifier log and explain it: error, failing line, slice, path, heat")
    .argument("<file>", "the log, or - to read a pipe (bare log, bpftool/libbpf output, veristat -v)")
    .option("--json", "one JSON object per program log")
    .option("--top <n>", "hot instructions and loops shown", "8")
    .option("--path <n>", "decisions of the path to the error shown", "12")
    .option("--no-explain", "skip the backward slice of the error")
    .option("--lines", "print every line that was not recognised (default: the first 10)")
    .addHelpText(
      "after",
      `
Examples:
  bpftool prog load x.o /sys/fs/bpf/x 2>&1 | bpfscope log -    why the load failed
  bpftool -d prog load x.o /sys/fs/bpf/x 2>&1 | bpfscope log -  with the level-2 log: heat, loops, prunes
  bpfscope log verifier.log                                     a log saved to a file
  bpfscope log --json verifier.log | jq .slice.origin           the instruction that caused the error
  bpfscope tui --log verifier.log                               step through it in the terminal UI

Exit status: 0 when every log shows an accepted program, 1 when one shows a rejection,
2 on bad input (no verifier log, binary data, an empty pipe, a log that is cut short).`,
    )
    .action(async (file: string, o: LogCliOptions) => {
      const top = parseIntOption("--top", o.top, 0, 1000);
      const decisions = parseIntOption("--path", o.path, 0, 100000);
      const name = file === "-" ? "stdin" : file;
      const parser = await readLogInput(file);
      const logs = verifierLogs(parser, name);
      const color = !o.json && useColor(Deno.stdout);
      let rejected = false, incomplete = false;
      logs.forEach((log, i) => {
        const s = summarize(log, { top, decisions, explain: o.explain });
        if (s.verdict === "rejected") rejected = true;
        if (s.verdict === "incomplete") incomplete = true;
        if (o.json) {
          writeStdout(JSON.stringify(summaryRecord(s, name, i, log.lineBase + 1), jsonBigint) + "\n");
        } else {
          if (logs.length > 1) {
            writeStdout(`${i ? "\n" : ""}== log ${i + 1} of ${logs.length} (from line ${log.lineBase + 1})\n`);
          }
          writeStdout(summaryText(s, color, o.lines));
        }
        if (s.verdict === "incomplete") {
          console.error(
            `bpfscope: ${name}: log ${i + 1} ends at line ${
              log.lineBase + log.lines.length
            } without an error or the statistics line (cut short?)`,
          );
        }
      });
      Deno.exitCode = incomplete ? 2 : rejected ? 1 : 0;
    });
}

function jsonBigint(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
