/**
 * The streaming log parser: text chunks in, a growing {@link KernLog} out.
 *
 * `push()` takes any piece of the input (a pipe delivers it in arbitrary
 * chunks); every complete line is classified at once ({@link classifyLine})
 * and turned into the log's tables: the line kinds, the program text and
 * source lines seen so far, the walk as steps ({@link StepKind}: an
 * instruction processed, a prune, a pending branch resumed, a call, a
 * return, the error), the statistics and the error. A consumer (the TUI,
 * `bpfscope log -`) can read everything parsed so far between pushes, so it
 * can show the start of a long log while the rest is still arriving.
 *
 * One input may hold several logs (bpftool loading every program of an
 * object, veristat's output, logs pasted one after the other): each gets its
 * own {@link KernLog}, started at a `-- BEGIN PROG LOAD LOG --` or a
 * veristat header, or when a new walk starts after a statistics line.
 *
 * @module
 */
import {
  classifyLine,
  type LineInfo,
  LineKind,
  type LineKindCode,
  MAX_INSN_INDEX,
  newLineInfo,
  parseSourceLine,
  type SourceParts,
} from "./lines.ts";
import { ERRNO } from "../errors.ts";
import { PathBuilder } from "./paths.ts";
import { ByteVec, IntVec } from "./vec.ts";

/** What one step of the walk is. */
export const StepKind = {
  /** An instruction processed (its line printed). */
  Visit: 0,
  /** The walk reached a stored state it matched: the path ends as safe (counts as processed). */
  Prune: 1,
  /** A pending branch was resumed (`from X to Y`): `insn` = Y, `aux` = X. */
  Resume: 2,
  /** A bpf-to-bpf call entered a subprogram: `aux` = the call instruction. */
  Call: 3,
  /** A subprogram returned: `insn` = the instruction returned to, `aux` = the exit. */
  Return: 4,
  /** The verifier stopped with an error: `insn` = the instruction it is about (-1 if none). */
  Error: 5,
  /** A walk starts: the program's (aux = 0) or a global function's (aux = its func#). */
  Walk: 6,
  /** An instruction processed without a line (the one an error was detected at before printing it). */
  Unprinted: 7,
} as const;

/** One of {@link StepKind}. */
export type StepKindCode = typeof StepKind[keyof typeof StepKind];

/** A `; source @ file:line` line. */
export type SourceLine = SourceParts;

/** The statistics lines. */
export interface LogStats {
  /** `processed N insns`. */
  processed: number | null;
  /** `(limit N)`. */
  limit: number | null;
  /** `max_states_per_insn`. */
  maxStatesPerInsn: number | null;
  /** `total_states`. */
  totalStates: number | null;
  /** `peak_states`. */
  peakStates: number | null;
  /** `mark_read`. */
  markRead: number | null;
  /** `verification time N usec`. */
  verificationTimeUsec: number | null;
  /** `stack depth A+B+...`, per subprogram. */
  stackDepth: number[] | null;
}

/**
 * The lines of a log without a string object per line: the text stays in
 * the chunks it arrived in and a line is sliced out when asked for (a log
 * of a million instructions has millions of lines).
 */
export class LineStore {
  readonly #chunks: string[] = [];
  readonly #chunk: IntVec = new IntVec();
  readonly #start: IntVec = new IntVec();
  readonly #end: IntVec = new IntVec();

  /** Number of lines. */
  get length(): number {
    return this.#chunk.length;
  }

  /** Add a line: `text.slice(start, end)` of a chunk (the same string object for the lines of one chunk). */
  add(text: string, start: number, end: number): void {
    const n = this.#chunks.length;
    if (n === 0 || this.#chunks[n - 1] !== text) this.#chunks.push(text);
    this.#chunk.push(this.#chunks.length - 1);
    this.#start.push(start);
    this.#end.push(end);
  }

  /** Line `i` (without its newline), or "" when there is none. */
  get(i: number): string {
    if (i < 0 || i >= this.#chunk.length) return "";
    return this.#chunks[this.#chunk.get(i)].slice(this.#start.get(i), this.#end.get(i));
  }

  /** Lines `a..b` (exclusive). */
  slice(a = 0, b: number = this.length): string[] {
    const out: string[] = [];
    for (let i = Math.max(0, a); i < Math.min(b, this.length); i++) out.push(this.get(i));
    return out;
  }

  /** Every line, in order. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/** One program's verifier log, as parsed so far. */
export class KernLog {
  /** The program's name, when a wrapping tool printed it (libbpf, veristat). */
  name: string | null = null;
  /** Index in the whole input of this log's first line (0-based). */
  readonly lineBase: number;
  /** The lines (without newlines). */
  readonly lines: LineStore = new LineStore();
  /** Kind of each line ({@link LineKind}). */
  readonly kinds: ByteVec = new ByteVec();
  /** Where each line's instruction text starts, and ends (packed: start << 16 | end), or -1. */
  readonly textSpan: IntVec = new IntVec();
  /** Where each line's state text starts, or -1. */
  readonly stateStart: IntVec = new IntVec();
  /** Kernel-style text of each instruction seen (`(07) r2 += -8`), by index. */
  readonly insnText: string[] = [];
  /** Opcode byte of each instruction seen, -1 when unseen. */
  readonly insnCode: IntVec = new IntVec();
  /** The source line of each instruction (index into {@link KernLog.sources}), -1 when none. */
  readonly sourceOf: IntVec = new IntVec();
  /** Distinct source lines. */
  readonly sources: SourceLine[] = [];
  /** The `Live regs before insn:` table: instruction -> the registers live before it (bit N: rN). */
  readonly liveRegs: Map<number, number> = new Map();
  /** `func#N @M`: the start of each subprogram. */
  readonly funcs: Array<{ index: number; start: number }> = [];
  /** Step kinds. */
  readonly stepKind: ByteVec = new ByteVec();
  /** Step instruction. */
  readonly stepInsn: IntVec = new IntVec();
  /** Step line (index into {@link KernLog.lines}). */
  readonly stepLine: IntVec = new IntVec();
  /** Step second value (see {@link StepKind}). */
  readonly stepAux: IntVec = new IntVec();
  /** The statistics. */
  readonly stats: LogStats = {
    processed: null,
    limit: null,
    maxStatesPerInsn: null,
    totalStates: null,
    peakStates: null,
    markRead: null,
    verificationTimeUsec: null,
    stackDepth: null,
  };
  /** Lines of the error message (indexes into {@link KernLog.lines}); empty when there is none. */
  errorLines: number[] = [];
  /** The instruction the error is about, -1 if none or unknown. */
  errorInsn: number = -1;
  /** The errno a wrapping tool reported (`EACCES`), or null. */
  errno: string | null = null;
  /** Lines that were not recognised (indexes into {@link KernLog.lines}). */
  readonly unknown: number[] = [];
  /** Paths, visit counts and pending branches, built step by step. */
  readonly paths: PathBuilder = new PathBuilder();
  /** True once the whole input was read. */
  done: boolean = false;
  /** Log level inferred from the content: 2 when `from X to Y` or per-instruction states of every path appear, else 1. */
  level: number = 1;

  /**
   * Start an empty log.
   * @param lineBase index in the whole input of the first line
   */
  constructor(lineBase: number) {
    this.lineBase = lineBase;
  }

  /** Number of steps so far. */
  get steps(): number {
    return this.stepKind.length;
  }

  /** Kind of line `i`. */
  kind(i: number): LineKindCode {
    return this.kinds.get(i) as LineKindCode;
  }

  /** The instruction text of line `i` (`(07) r2 += -8`), or "". */
  lineInsnText(i: number): string {
    const sp = this.textSpan.get(i);
    return sp < 0 ? "" : this.lines.get(i).slice(sp >>> 16, sp & 0xffff);
  }

  /** The state text of line `i` (with its leading space), or null. */
  lineState(i: number): string | null {
    const s = this.stateStart.get(i);
    return s < 0 ? null : this.lines.get(i).slice(s);
  }

  /** The error message (its lines joined), or "". */
  get errorText(): string {
    return this.errorLines.map((i) => this.lines.get(i)).join("\n");
  }

  /** Whether the log shows a rejection: an error message, or an errno from the loader. */
  get rejected(): boolean {
    return this.errorLines.length > 0 || (this.errno !== null && this.errno !== "OK");
  }

  /** Whether the log holds any of the verifier's own lines (not only tool output). */
  get hasVerifierLines(): boolean {
    return this.steps > 0 || this.stats.processed !== null || this.errorLines.length > 0 || this.funcs.length > 0;
  }

  /** The number of instruction slots seen (highest index + 1). */
  get insnCount(): number {
    return this.insnCode.length;
  }

  /** The source line of instruction `i`, or null. */
  sourceFor(i: number): SourceLine | null {
    const k = i < this.sourceOf.length ? this.sourceOf.get(i) : -1;
    return k >= 0 ? this.sources[k] : null;
  }
}

/** errno names by number (libbpf prints `failed to load: -13`). */
const ERRNO_NAME: Record<number, string> = Object.fromEntries(Object.entries(ERRNO).map(([k, v]) => [v, k]));

const WALK_KINDS = new Set<number>([
  LineKind.Insn,
  LineKind.State,
  LineKind.StateCont,
  LineKind.From,
  LineKind.FromSafe,
  LineKind.Safe,
  LineKind.Source,
  LineKind.Caller,
  LineKind.Callee,
  LineKind.Returning,
  LineKind.ToCaller,
  LineKind.MarkPrecise,
  LineKind.Scc,
  LineKind.Liveness,
  LineKind.GlobalFunc,
]);

/** Parses a verifier log (or a tool's output around one) chunk by chunk. */
export class LogParser {
  /** The logs found so far (at least one). */
  readonly logs: KernLog[] = [];
  /** Lines read so far. */
  lineCount: number = 0;
  /** Bytes of text read so far (UTF-16 units). */
  chars: number = 0;
  /** Lines with NUL or other control characters (a binary file). */
  binaryLines: number = 0;
  #tail = "";
  #info: LineInfo = newLineInfo();
  #cur: KernLog;
  #sawBegin = false;
  /** The last source line printed (it applies to the instructions after it). */
  #pendingSource = -1;
  #lastVisitInsn = -1;
  #inCallBlock = 0; // 1 after caller:, 2 after callee:, 3 after returning from callee:, 4 after to caller at
  #lastReturnTo = -1;
  #msgRun: number[] = [];
  #ended = false;

  /** Start with one empty log. */
  constructor() {
    this.#cur = new KernLog(0);
    this.logs.push(this.#cur);
  }

  /** The log being filled. */
  get current(): KernLog {
    return this.#cur;
  }

  /** Feed a piece of text. */
  push(text: string): void {
    if (this.#ended) throw new Error("push() after end()");
    this.chars += text.length;
    let start = 0;
    if (this.#tail.length) {
      // the line that spans the previous chunk and this one becomes a string of its own
      const nl = text.indexOf("\n");
      if (nl < 0) {
        this.#tail += text;
        return;
      }
      let line = this.#tail + text.slice(0, nl);
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      this.#tail = "";
      this.#line(line, line, 0, line.length);
      start = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.#line(text.slice(start, end), text, start, end);
      start = nl + 1;
    }
    if (start < text.length) this.#tail = text.slice(start);
  }

  /** The input ended: read the last partial line and finish every log. */
  end(): void {
    if (this.#ended) return;
    if (this.#tail.length) {
      const line = this.#tail.endsWith("\r") ? this.#tail.slice(0, -1) : this.#tail;
      this.#line(line, line, 0, line.length);
    }
    if (this.#indent === null) this.#decideIndent();
    this.#tail = "";
    this.#finish(this.#cur);
    this.#ended = true;
  }

  #newLog(): void {
    this.#finish(this.#cur);
    this.#cur = new KernLog(this.lineCount - 1);
    this.logs.push(this.#cur);
    this.#pendingSource = -1;
    this.#lastVisitInsn = -1;
    this.#inCallBlock = 0;
    this.#lastReturnTo = -1;
    this.#msgRun = [];
    this.#sourceIndex = new Map();
  }

  #finish(log: KernLog): void {
    if (log.done) return;
    this.#settleError(log);
    log.paths.finish(log);
    log.done = true;
  }

  /** The messages after the last walk line are the error. */
  #settleError(log: KernLog): void {
    if (this.#msgRun.length && log.errorLines.length === 0) {
      log.errorLines = this.#msgRun.slice();
      const text = log.errorLines.map((i) => log.lines.get(i)).join("\n");
      const at = /(?:at|from) insn (\d+)|^unreachable insn (\d+)/m.exec(text);
      // an index beyond any program (a damaged message) is not an instruction
      const insnOf = (m: string | undefined) =>
        m !== undefined && Number(m) <= MAX_INSN_INDEX ? Number(m) : this.#lastVisitInsn;
      log.errorInsn = at ? insnOf(at[1] ?? at[2]) : this.#lastVisitInsn;
      if (/infinite loop detected at insn (\d+)/.test(text) || /BPF program is too large/.test(text)) {
        const n = /infinite loop detected at insn (\d+)/.exec(text);
        this.#step(log, StepKind.Unprinted, insnOf(n?.[1]), this.#msgRun[0], 0);
      }
      this.#step(log, StepKind.Error, log.errorInsn, this.#msgRun[0], 0);
    }
    this.#msgRun = [];
  }

  #step(log: KernLog, kind: number, insn: number, line: number, aux: number): void {
    log.stepKind.push(kind);
    log.stepInsn.push(insn);
    log.stepLine.push(line);
    log.stepAux.push(aux);
    log.paths.onStep(log, log.steps - 1);
  }

  /**
   * A log pasted with an indentation (a Markdown code block, a test
   * harness's output) has every line behind the same spaces or tab: the
   * first lines decide it, then every line loses that prefix.
   */
  #indent: string | null = null;
  #held: Array<[string, string, number, number]> = [];

  #line(line: string, chunk: string, from: number, to: number): void {
    if (this.#indent === null) {
      this.#held.push([line, chunk, from, to]);
      if (this.#held.filter(([l]) => l.trim().length).length >= 8) this.#decideIndent();
      return;
    }
    if (this.#indent.length && line.startsWith(this.#indent)) {
      const n = this.#indent.length;
      this.#lineOf(line.slice(n), chunk, from + n, to);
    } else this.#lineOf(line, chunk, from, to);
  }

  #decideIndent(): void {
    const lines = this.#held.map(([l]) => l).filter((l) => l.trim().length);
    let prefix = lines.length ? /^[ \t]*/.exec(lines[0])![0] : "";
    for (const l of lines) while (prefix && !l.startsWith(prefix)) prefix = prefix.slice(0, -1);
    // one leading space is the kernel's own (a state on its own line); a tab or two spaces are not,
    // unless the lines read as they are (an excerpt that starts inside the live registers table)
    if (prefix !== "\t" && prefix.length < 2) prefix = "";
    if (prefix) {
      const info = newLineInfo();
      const unknown = (ls: string[]) => ls.filter((l) => classifyLine(l, info) === LineKind.Unknown).length;
      if (unknown(lines.map((l) => l.slice(prefix.length))) >= unknown(lines)) prefix = "";
    }
    this.#indent = prefix;
    const held = this.#held;
    this.#held = [];
    for (const [l, c, f, t] of held) this.#line(l, c, f, t);
  }

  #lineOf(line: string, chunk: string, from: number, to: number): void {
    const info = this.#info;
    this.lineCount++;
    const kind = classifyLine(line, info);
    if (kind === LineKind.Unknown) {
      for (let k = 0; k < line.length && k < 64; k++) {
        const c = line.charCodeAt(k);
        if (c === 0 || (c < 32 && c !== 9) || c === 0xfffd) {
          this.binaryLines++;
          break;
        }
      }
    }
    // where a new log starts
    if (kind === LineKind.Begin) {
      if (this.#sawBegin || this.#cur.hasVerifierLines) this.#newLog();
      this.#sawBegin = true;
      const m = /^libbpf: prog '([^']*)': /.exec(line);
      if (m) this.#cur.name = m[1];
    } else if (kind === LineKind.Veristat) {
      if (this.#cur.hasVerifierLines) this.#newLog();
      const m = /^PROCESSING (?:.*\/)?([^/,]+), DURATION/.exec(line);
      if (m) this.#cur.name = m[1];
    } else if (
      this.#cur.stats.processed !== null &&
      (kind === LineKind.Insn || kind === LineKind.Func || kind === LineKind.LiveHeader ||
        (kind === LineKind.State && info.a === 0))
    ) {
      this.#newLog();
    }
    const log = this.#cur;
    const li = log.lines.length;
    log.lines.add(chunk, from, to);
    log.kinds.push(kind);
    log.textSpan.push(
      info.textStart >= 0 && info.textStart < 0x8000 && info.textEnd < 0x10000
        ? (info.textStart << 16) | info.textEnd
        : -1,
    );
    log.stateStart.push(info.stateStart);
    if (WALK_KINDS.has(kind)) {
      // messages followed by more of the walk were notes, not the error
      if (this.#msgRun.length && kind !== LineKind.Source) this.#msgRun = [];
    }
    switch (kind) {
      case LineKind.Insn: {
        const idx = info.a;
        if (idx >= log.insnCode.length || log.insnCode.get(idx) < 0) {
          this.#setInsn(log, idx, info.b, line.slice(info.textStart, info.textEnd));
        }
        // the kernel prints a source line when it changes: it holds for the instructions that follow
        if (this.#pendingSource >= 0 && log.sourceOf.get(idx) < 0) log.sourceOf.set(idx, this.#pendingSource);
        if (log.steps === 0) this.#step(log, StepKind.Walk, idx, li, 0);
        if (this.#inCallBlock === 2) this.#step(log, StepKind.Call, idx, li, this.#lastVisitInsn);
        this.#inCallBlock = 0;
        this.#step(log, StepKind.Visit, idx, li, 0);
        this.#lastVisitInsn = idx;
        break;
      }
      case LineKind.Safe:
        if (log.steps === 0) this.#step(log, StepKind.Walk, info.a, li, 0);
        this.#step(log, StepKind.Prune, info.a, li, 0);
        this.#inCallBlock = 0;
        break;
      case LineKind.From:
      case LineKind.FromSafe:
        log.level = 2;
        if (this.#inCallBlock === 4 && info.b === this.#lastReturnTo) {
          // the state printed after a return to the caller: the same path goes on
          this.#inCallBlock = 0;
        } else {
          this.#inCallBlock = 0;
          this.#step(log, StepKind.Resume, info.b, li, info.a);
        }
        if (kind === LineKind.FromSafe) this.#step(log, StepKind.Prune, info.b, li, 0);
        break;
      case LineKind.Source: {
        let k = this.#sourceIndex.get(line);
        if (k === undefined) {
          k = log.sources.length;
          log.sources.push(parseSourceLine(line)!);
          this.#sourceIndex.set(line, k);
        }
        // `;  @ file.c:0`: the compiler gave the instructions that follow no line (DWARF line 0)
        const src = log.sources[k];
        this.#pendingSource = src.text === "" && src.line === 0 ? -1 : k;
        break;
      }
      case LineKind.Func:
        log.funcs.push({ index: info.a, start: info.b });
        log.level = 2;
        break;
      case LineKind.LiveRow:
        log.liveRegs.set(info.a, info.live);
        if (info.a >= log.insnCode.length || log.insnCode.get(info.a) < 0) {
          this.#setInsn(log, info.a, info.b, line.slice(info.textStart, info.textEnd));
        }
        break;
      case LineKind.Caller:
        this.#inCallBlock = 1;
        break;
      case LineKind.Callee:
        this.#inCallBlock = 2;
        break;
      case LineKind.Returning:
        this.#inCallBlock = 3;
        break;
      case LineKind.ToCaller:
        this.#inCallBlock = 4;
        this.#lastReturnTo = info.a;
        this.#step(log, StepKind.Return, info.a, li, this.#lastVisitInsn);
        break;
      case LineKind.GlobalFunc: {
        const m = /^Validating .*\(\) func#(\d+)\.\.\.$/.exec(line);
        if (m) this.#step(log, StepKind.Walk, -1, li, Number(m[1]));
        break;
      }
      case LineKind.Processed: {
        this.#settleError(log);
        const st = log.stats;
        st.processed = info.a;
        st.limit = info.b >= 0 ? info.b : null;
        const m = /max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/.exec(line);
        if (m) {
          st.maxStatesPerInsn = Number(m[1]);
          st.totalStates = Number(m[2]);
          st.peakStates = Number(m[3]);
          st.markRead = Number(m[4]);
        }
        const d = /stack depth ([\d+]+)/.exec(line);
        if (d) st.stackDepth = d[1].split("+").map(Number);
        break;
      }
      case LineKind.VerifTime:
        this.#settleError(log);
        log.stats.verificationTimeUsec = Number(/\d+/.exec(line)![0]);
        break;
      case LineKind.StackDepth:
        this.#settleError(log);
        log.stats.stackDepth = line.slice(12).split("+").map(Number);
        break;
      case LineKind.Message:
      case LineKind.LoopState:
        this.#msgRun.push(li);
        break;
      case LineKind.Libbpf: {
        const m = /failed to load: -(\d+)$/.exec(line) ??
          /^libbpf: prog '[^']*': BPF program load failed: .*$/.exec(line);
        if (m && m[1]) log.errno = ERRNO_NAME[Number(m[1])] ?? `E${m[1]}`;
        const n = /^libbpf: prog '([^']*)'/.exec(line);
        if (n && log.name === null && log.hasVerifierLines) log.name = n[1];
        if (this.#msgRun.length) this.#settleError(log);
        break;
      }
      case LineKind.End:
        this.#settleError(log);
        break;
      case LineKind.State:
        if (log.steps === 0) this.#step(log, StepKind.Walk, info.a, li, 0);
        break;
      case LineKind.Unknown:
        log.unknown.push(li);
        break;
    }
  }

  #sourceIndex = new Map<string, number>();

  #setInsn(log: KernLog, idx: number, code: number, text: string): void {
    if (idx < 0 || idx > 0x7fffffff) return;
    if (log.insnText[idx] === undefined) log.insnText[idx] = text;
    if (idx >= log.insnCode.length || log.insnCode.get(idx) < 0) {
      for (let k = log.insnCode.length; k < idx; k++) log.insnCode.set(k, -1);
      log.insnCode.set(idx, code);
    }
    for (let k = log.sourceOf.length; k <= idx; k++) log.sourceOf.set(k, -1);
  }
}

/** Parse a whole text at once. */
export function parseLog(text: string): KernLog[] {
  const p = new LogParser();
  p.push(text);
  p.end();
  return p.logs;
}
