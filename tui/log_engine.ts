/**
 * Replaying a kernel verifier log in the TUI: a {@link StepEngine} over a
 * parsed log ({@link KernLog}) so the existing views work, plus what the log
 * adds: the heat of every instruction from the visit counts, the C source
 * line, registers and stack described in words, prunes, and the pending
 * branches reconstructed from `from X to Y` lines.
 *
 * The log may still be arriving ({@link LogFeed}): the engine steps through
 * what is parsed, parses more on demand when the text is already there (a
 * file), and says it is not {@link LogStepEngine.ready} when it waits for a
 * pipe. Going back is cheap: a step is an index into the parsed steps, and
 * the state at any line is replayed from the nearest checkpoint.
 *
 * @module
 */
import {
  describeSlot,
  describeValue,
  type KernLog,
  LineKind,
  LogParser,
  parseRegValue,
  parseState,
  type Slice,
  sliceError,
  sliceKindWords,
  type SliceLink,
  StateTracker,
  StepKind,
} from "../core/kernlog/mod.ts";
import type {
  EngineFactory,
  PendingView,
  RegView,
  SlotView,
  StateView,
  StepEngine,
  VerdictView,
  WalkEvent,
} from "./engine.ts";

/** Text of a log arriving in pieces, parsed in slices of work. */
export class LogFeed {
  /** The parser. */
  readonly parser: LogParser = new LogParser();
  #queue: string[] = [];
  #queued = 0;
  #ended = false;
  /** Total characters given so far. */
  received: number = 0;
  /** The size of the whole input when known in advance (a file), in characters (bytes for ASCII). */
  expected: number = 0;

  /** Add text (a chunk of a file or a pipe). */
  feed(text: string): void {
    if (!text) return;
    // big chunks are cut so one pump stays short
    for (let i = 0; i < text.length; i += 1 << 18) {
      const piece = text.slice(i, i + (1 << 18));
      this.#queue.push(piece);
      this.#queued += piece.length;
    }
    this.received += text.length;
  }

  /** No more text will come. */
  end(): void {
    this.#ended = true;
  }

  /** True once the input ended and every piece was parsed. */
  get finished(): boolean {
    return this.#ended && this.#queue.length === 0 && this.#parsedEnd;
  }

  /** Characters waiting to be parsed. */
  get pending(): number {
    return this.#queued;
  }

  /** Whether the input ended (parsing may still be going on). */
  get ended(): boolean {
    return this.#ended;
  }

  #parsedEnd = false;

  /**
   * Parse queued text for up to `ms` milliseconds (at least one piece).
   * Returns true when anything was parsed.
   */
  pump(ms: number): boolean {
    const t0 = performance.now();
    let did = false;
    while (this.#queue.length) {
      const s = this.#queue.shift()!;
      this.#queued -= s.length;
      this.parser.push(s);
      did = true;
      if (performance.now() - t0 >= ms) break;
    }
    if (this.#ended && this.#queue.length === 0 && !this.#parsedEnd) {
      this.parser.end();
      this.#parsedEnd = true;
      did = true;
    }
    return did;
  }

  /** The log to replay: the first with the verifier's lines (the first log while none has them yet). */
  get log(): KernLog {
    const logs = this.parser.logs;
    return logs.find((l) => l.hasVerifierLines) ?? logs[0];
  }

  /** Fraction parsed, 0..1 (of the expected size when known, else of what was received). */
  get progress(): number {
    const total = Math.max(this.expected, this.received);
    return total === 0 ? (this.#ended ? 1 : 0) : (this.received - this.#queued) / total;
  }
}

/** The visit list of an instruction not processed yet. */
const NO_VISITS = new Int32Array(0);

function searchLE(v: Int32Array, n: number, x: number): number {
  // number of entries <= x in the sorted prefix v[0..n)
  let lo = 0, hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (v[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

const KIND_WORDS: Record<string, string> = {
  scalar: "scalar",
  ctx: "ctx",
  stack: "fp",
  map_ptr: "map_ptr",
  map_value: "map_value",
  pkt: "pkt",
  pkt_end: "pkt_end",
};

/** The TUI's view of a parsed (or still parsing) verifier log. */
export class LogStepEngine implements StepEngine {
  readonly #feed: LogFeed;
  #log: KernLog;
  #tracker: StateTracker;
  #s = -1; // the current log step; a synthetic final step is log.steps
  #last: WalkEvent = "insn";
  #finalDone = false;
  // per-instruction sorted lists of the steps that processed it (heat at any step)
  #visitSteps: Int32Array[] = [];
  #visitN: number[] = [];
  #nodePrefix: Int32Array = new Int32Array(1024); // processed nodes in steps [0, s]
  #prunePrefix: Int32Array = new Int32Array(1024);
  #indexed = 0; // steps taken into the tables above
  #prunePoints = new Set<number>();
  #verdict: VerdictView | null = null;
  // the current path's instructions, kept as counts for cheap updates
  #onPath = new Int32Array(64);
  #tip = -1;

  /**
   * Replay the log of `feed` from its first step.
   * @param feed the log's text, parsed as it arrives
   */
  constructor(feed: LogFeed) {
    this.#feed = feed;
    this.#log = feed.log;
    this.#tracker = new StateTracker(this.#log);
  }

  /** The log being replayed. */
  get log(): KernLog {
    return this.#log;
  }

  #index(): void {
    const log = this.#log;
    const n = log.steps;
    if (this.#indexed >= n) return;
    if (n > this.#nodePrefix.length) {
      let cap = this.#nodePrefix.length;
      while (cap < n) cap *= 2;
      const a = new Int32Array(cap), b = new Int32Array(cap);
      a.set(this.#nodePrefix);
      b.set(this.#prunePrefix);
      this.#nodePrefix = a;
      this.#prunePrefix = b;
    }
    let nodes = this.#indexed ? this.#nodePrefix[this.#indexed - 1] : 0;
    let prunes = this.#indexed ? this.#prunePrefix[this.#indexed - 1] : 0;
    for (let s = this.#indexed; s < n; s++) {
      const k = log.stepKind.get(s);
      if (k === StepKind.Visit || k === StepKind.Prune || k === StepKind.Unprinted) {
        nodes++;
        const i = log.stepInsn.get(s);
        if (i >= 0) {
          // instructions never processed share one empty list (a log may name a few high indices only)
          while (this.#visitSteps.length <= i) {
            this.#visitSteps.push(NO_VISITS);
            this.#visitN.push(0);
          }
          let arr = this.#visitSteps[i];
          if (this.#visitN[i] === arr.length) {
            const g = new Int32Array(Math.max(4, arr.length * 2));
            g.set(arr);
            this.#visitSteps[i] = arr = g;
          }
          arr[this.#visitN[i]++] = s;
        }
        if (k === StepKind.Prune) {
          prunes++;
          this.#prunePoints.add(i);
        }
      }
      this.#nodePrefix[s] = nodes;
      this.#prunePrefix[s] = prunes;
    }
    this.#indexed = n;
  }

  /** Whether step `s` is parsed; at the edge, parse a little more (a few ms) from text already received. */
  #ensure(s: number): boolean {
    for (let k = 0; k < 4 && this.#log.steps <= s && !this.#log.done; k++) {
      if (!this.#feed.pump(2)) break;
      if (this.#feed.log !== this.#log && this.#s < 0) this.#switchLog();
    }
    this.#index();
    return this.#log.steps > s;
  }

  #switchLog(): void {
    // the first log turned out to hold only tool lines: follow the one with the verifier's lines
    this.#log = this.#feed.log;
    this.#tracker = new StateTracker(this.#log);
    this.#visitSteps = [];
    this.#visitN = [];
    this.#indexed = 0;
    this.#prunePoints.clear();
  }

  /**
   * Whether `step()` can make progress now: the next step is parsed, or the
   * log is read to its end. False at the edge of what is parsed so far
   * (parsing goes on between frames).
   */
  ready(): boolean {
    if (this.done) return true;
    this.#index();
    if (this.#feed.log !== this.#log && this.#s < 0) this.#switchLog();
    return this.#log.steps > this.#s + 1 || this.#log.done;
  }

  /** Number of instruction slots seen so far. */
  get len(): number {
    return Math.max(1, this.#log.insnCount);
  }

  /** Advance by one step of the log. */
  step(): WalkEvent {
    if (this.done) return this.#last;
    // the program's own start is not a step of its own (the first instruction is)
    if (this.#s < 0 && this.#ensure(1) && this.#log.stepKind.get(0) === StepKind.Walk) this.#s = 0;
    if (this.#ensure(this.#s + 1)) {
      this.#s++;
      this.#last = this.#eventOf(this.#s);
      this.#moveTip();
      return this.#last;
    }
    if (this.#log.done) {
      // the end: accepted, or rejected by the loader, or a log that stops without telling
      this.#finalDone = true;
      this.#s = this.#log.steps;
      this.#last = !this.#log.rejected && this.#log.stats.processed !== null ? "accept" : "error";
      return this.#last;
    }
    return this.#last;
  }

  #eventOf(s: number): WalkEvent {
    const log = this.#log;
    switch (log.stepKind.get(s)) {
      case StepKind.Visit:
        return log.paths.popOf.get(s) >= 0 ? "branch" : "insn";
      case StepKind.Prune:
        return "prune";
      case StepKind.Resume:
      case StepKind.Walk: // a global function's walk starts a path of its own
        return "resume";
      case StepKind.Error:
        return "error";
      default:
        return "insn";
    }
  }

  /** True once the final event was reached. */
  get done(): boolean {
    if (this.#finalDone) return true;
    return this.#s >= 0 && this.#s < this.#log.steps && this.#log.stepKind.get(this.#s) === StepKind.Error;
  }

  /** The instruction of the current step. */
  get pc(): number {
    const log = this.#log;
    if (this.#s < 0) return -1;
    if (this.#s >= log.steps) return log.errorInsn >= 0 ? log.errorInsn : this.#lastInsn();
    const i = log.stepInsn.get(this.#s);
    if (i >= 0) return i;
    // a global function's walk ("Validating f() func#N..."): at the first insn it visits
    if (log.stepKind.get(this.#s) === StepKind.Walk && this.#ensure(this.#s + 1)) {
      const next = log.stepInsn.get(this.#s + 1);
      if (next >= 0) return next;
    }
    return this.#lastInsn();
  }

  #lastInsn(): number {
    for (let s = Math.min(this.#s, this.#log.steps - 1); s >= 0; s--) {
      const i = this.#log.stepInsn.get(s);
      if (i >= 0) return i;
    }
    return -1;
  }

  /** The line of the log the current step is at (-1 before the first). */
  get line(): number {
    if (this.#s < 0) return -1;
    if (this.#s >= this.#log.steps) return this.#log.lines.length - 1;
    return this.#log.stepLine.get(this.#s);
  }

  /** Lines of the log up to the next step (what the kernel printed about this one). */
  #lineEnd(): number {
    const log = this.#log;
    if (this.#s < 0) return log.steps ? log.stepLine.get(0) : log.lines.length;
    if (this.#s + 1 < log.steps) return log.stepLine.get(this.#s + 1);
    // the end: the error and the statistics, not what a wrapping tool printed after them
    let end = log.lines.length;
    while (end > 0 && !this.#isVerifierTail(log.kind(end - 1))) end--;
    return Math.max(end, Math.min(log.lines.length, (this.#s < log.steps ? log.stepLine.get(this.#s) : 0) + 1));
  }

  #isVerifierTail(k: number): boolean {
    return k === LineKind.Processed || k === LineKind.VerifTime || k === LineKind.StackDepth ||
      k === LineKind.Message || k === LineKind.LoopState;
  }

  /**
   * The push of the branch the current step resumes when the kernel pruned it
   * at once (`from X to Y: safe` prints no state), else -1.
   */
  #prunedResumePush(): number {
    const log = this.#log;
    const s = this.#s;
    if (s < 0 || s >= log.steps) return -1;
    const li = log.stepLine.get(s);
    if (log.kind(li) !== LineKind.FromSafe) return -1;
    // the line is one Resume step and one Prune step
    const r = log.stepKind.get(s) === StepKind.Resume ? s : s - 1;
    return r >= 0 && log.stepLine.get(r) === li && log.stepKind.get(r) === StepKind.Resume
      ? log.paths.pushOf.get(r)
      : -1;
  }

  /** The state after the current step, with every register and slot in words. */
  state(): StateView {
    // a branch pruned as it is resumed has no state of its own in the log: the one printed after its
    // push is the nearest (not the previous path's end, which is where the log's lines stand)
    const push = this.#prunedResumePush();
    const st = this.#tracker.at(push >= 0 ? this.#log.stepLine.get(push) + 1 : this.#lineEnd());
    const f = st.frames[st.cur];
    const regs: RegView[] = [];
    const stack: SlotView[] = [];
    const note = push >= 0
      ? `as printed after insn ${this.#log.stepInsn.get(push)} pushed this branch (the log prints no state for it)`
      : undefined;
    if (!f) return { regs, stack, note };
    for (let r = 0; r < 11; r++) {
      const text = f.regs[r];
      if (text === null) continue;
      let words = "", type = "?";
      try {
        const v = parseRegValue(text);
        words = describeValue(v);
        type = KIND_WORDS[v.kind] ?? v.type;
      } catch { /* shown as printed */ }
      regs.push({ reg: r, type, text, words });
    }
    const offs = [...f.slots.keys()].sort((a, b) => b - a);
    for (const off of offs) {
      const text = f.slots.get(off)!;
      let words = "", spill = false;
      try {
        const sl = parseState(` fp${off}=${text}`).stack[0];
        words = describeSlot(sl);
        spill = sl.spill !== null;
      } catch { /* shown as printed */ }
      stack.push({ off, size: 8, text, spill, raw: true, words });
    }
    return { regs, stack, frame: st.cur, note };
  }

  /** The log prints no stored state for a prune. */
  matchedState(): StateView | null {
    return null;
  }

  #pending(): number[] {
    if (this.#s < 0 || this.#s >= this.#log.steps) return [];
    return this.#log.paths.pendingAt(this.#s);
  }

  /** Pending branches after the current step (those whose resume was already parsed while parsing goes on). */
  get pendingDepth(): number {
    return this.#pending().length;
  }

  /** Pending entry `i` (0 = the oldest). */
  pendingAt(i: number): PendingView {
    const p = this.#pending()[i];
    const log = this.#log;
    const pop = log.paths.popOf.get(p);
    return { from: log.stepInsn.get(p), to: pop >= 0 ? log.stepInsn.get(pop) : -1 };
  }

  /** Instructions processed up to the current step. */
  get processed(): number {
    if (this.#s < 0) return 0;
    this.#index();
    const s = Math.min(this.#s, this.#log.steps - 1);
    return s >= 0 ? this.#nodePrefix[s] : 0;
  }

  /** The kernel's limit (from the statistics line; 1M for today's kernels). */
  get limit(): number {
    return this.#log.stats.limit ?? 1_000_000;
  }

  /** States the kernel kept (`total_states` of the statistics line, once read; 0 before). */
  get stored(): number {
    return this.#log.stats.totalStates ?? 0;
  }

  /** Prunes up to the current step. */
  get prunes(): number {
    if (this.#s < 0) return 0;
    this.#index();
    const s = Math.min(this.#s, this.#log.steps - 1);
    return s >= 0 ? this.#prunePrefix[s] : 0;
  }

  /** Times instruction `i` was processed up to the current step. */
  insnCount(i: number): number {
    this.#index();
    if (i >= this.#visitSteps.length || this.#s < 0) return 0;
    return searchLE(this.#visitSteps[i], this.#visitN[i], this.#s);
  }

  /** Times instruction `i` was processed in the whole log (parsed so far). */
  totalCount(i: number): number {
    this.#index();
    return i < this.#visitN.length ? this.#visitN[i] : 0;
  }

  /** Instructions where the log shows a prune (`N: safe`). */
  isPruningPoint(i: number): boolean {
    this.#index();
    return this.#prunePoints.has(i);
  }

  /** The kernel's text of instruction `i` (as the log printed it). */
  insnText(i: number): string {
    return this.#log.insnText[i] ?? "";
  }

  /** The second slot of an LD_IMM64 (the log never prints it). */
  isContinuation(i: number): boolean {
    return i > 0 && this.#log.insnText[i] === undefined && (this.#log.insnText[i - 1] ?? "").startsWith("(18)");
  }

  /** The C source line of instruction `i`: `text  (file:line)`, or null. */
  sourceAt(i: number): string | null {
    const s = i >= 0 ? this.#log.sourceFor(i) : null;
    if (!s) return null;
    return s.file ? `${s.text}  (${s.file}:${s.line})` : s.text;
  }

  /** Log lines up to the current step. */
  get logLines(): number {
    return this.#lineEnd();
  }

  /** Log line `i`. */
  logLine(i: number): string {
    return this.#log.lines.get(i);
  }

  /** The verdict once the end was reached. */
  verdict(): VerdictView | null {
    if (!this.done) return null;
    if (this.#verdict) return this.#verdict;
    const log = this.#log;
    if (!log.rejected) {
      this.#verdict = log.stats.processed === null
        ? { accepted: false, message: "the log ends here without an error or the statistics line (cut short?)" }
        : { accepted: true };
      return this.#verdict;
    }
    const sl = sliceError(log);
    const explain: string[] = [];
    if (sl) {
      const origin = sl.origin === null
        ? ""
        : sl.origin < 0
        ? sl.entryGlobal ? ` (from the BTF prototype of global ${sl.entryGlobal}())` : " (from the entry)"
        : ` (from insn ${sl.origin})`;
      if (sl.loc) {
        explain.push(`${sl.loc}: ${sliceKindWords(sl.kind)}${origin}`);
      }
      const line = (c: SliceLink) => `${c.insn}: ${c.text.replace(/^\([0-9a-f]{2}\) /, "")} — ${c.note}`;
      for (const c of sl.chain.slice(1)) explain.push(line(c));
      // where the operands that brought a range came from, each level indented once more
      const operands = (s: Slice, indent: string): void => {
        for (const o of s.operands) {
          for (const c of o.chain) explain.push(`${indent}${line(c)}`);
          operands(o, indent + "  ");
        }
      };
      operands(sl, "  ");
    }
    this.#verdict = {
      accepted: false,
      errno: log.errno ?? undefined,
      message: log.errorText || log.errno || "rejected",
      insn: log.errorInsn >= 0 ? log.errorInsn : undefined,
      explain,
    };
    return this.#verdict;
  }

  /** The current step (cheap: an index). */
  snapshot(): unknown {
    return { s: this.#s, last: this.#last, finalDone: this.#finalDone };
  }

  /** Go back to a snapshot. */
  restore(snap: unknown): void {
    const x = snap as { s: number; last: WalkEvent; finalDone: boolean };
    this.#s = x.s;
    this.#last = x.last;
    this.#finalDone = x.finalDone;
    this.#verdict = null;
    this.#moveTip();
  }

  // ---- the current path ----

  #moveTip(): void {
    const log = this.#log;
    const s = Math.min(this.#s, log.steps - 1);
    const tip = s >= 0 ? log.paths.tipAt.get(s) : -1;
    if (tip === this.#tip) return;
    const p = log.paths;
    const len = (n: number) => (n >= 0 ? p.pathLen.get(n) : 0);
    let a = this.#tip, b = tip;
    const add: number[] = [];
    while (len(a) > len(b)) {
      this.#dec(log.stepInsn.get(a));
      a = p.parent.get(a);
    }
    while (len(b) > len(a)) {
      add.push(b);
      b = p.parent.get(b);
    }
    while (a !== b) {
      this.#dec(log.stepInsn.get(a));
      a = p.parent.get(a);
      add.push(b);
      b = p.parent.get(b);
    }
    for (const n of add) this.#inc(log.stepInsn.get(n));
    this.#tip = tip;
  }

  #inc(i: number): void {
    if (i < 0) return;
    if (i >= this.#onPath.length) {
      let cap = this.#onPath.length;
      while (cap <= i) cap *= 2;
      const g = new Int32Array(cap);
      g.set(this.#onPath);
      this.#onPath = g;
    }
    this.#onPath[i]++;
  }

  #dec(i: number): void {
    if (i >= 0 && i < this.#onPath.length && this.#onPath[i] > 0) this.#onPath[i]--;
  }

  /** Whether instruction `i` is on the path to the current step. */
  onPath(i: number): boolean {
    return i < this.#onPath.length && this.#onPath[i] > 0;
  }

  /** The instructions of the path to the current step, from its start. */
  pathInsns(): number[] {
    return this.#tip >= 0 ? this.#log.paths.pathSteps(this.#tip).map((s) => this.#log.stepInsn.get(s)) : [];
  }

  /** Where parsing is, for the header (`parsing 45%`), or null once done. */
  progress(): string | null {
    if (this.#feed.finished) return null;
    if (this.#feed.ended || this.#feed.expected) return `parsing ${Math.floor(this.#feed.progress * 100)}%`;
    return `reading ${(this.#feed.received / 1e6).toFixed(1)} MB`;
  }
}

/** An engine factory replaying one log (every restart starts at its first step again). */
export function logEngineFactory(feed: LogFeed): EngineFactory {
  return () => new LogStepEngine(feed);
}
