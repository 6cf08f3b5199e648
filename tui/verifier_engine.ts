/**
 * Adapts core/verifier's stepping engines ({@link Walk}) to the
 * TUI's {@link StepEngine}: event codes become event names, state views
 * become the panels' views, and the log string is split into lines
 * incrementally (per-frame cost stays proportional to what is new).
 *
 * @module
 */
import { findLineInfo, type LineInfo, type Program } from "../core/isa/mod.ts";
import {
  createEngine,
  Engine618,
  type EngineSnapshot,
  EV_ACCEPTED,
  EV_BRANCH_PUSHED,
  EV_BRANCH_RESUMED,
  EV_ERROR,
  EV_PRUNED,
  EV_STATE_STORED,
  explainEngine,
  silentRejectionNote,
  type StateView as CoreStateView,
  type Walk,
} from "../core/verifier/mod.ts";
import type {
  EngineFactory,
  PendingView,
  StateView,
  StepEngine,
  VerdictView,
  WalkEvent,
  WalkOptions,
} from "./engine.ts";

/** A program, or a function building it for a profile (gallery entries differ per profile). */
export type ProgramSource = Program | ((profile: string) => Program);

/** Makes an engine factory for a program. */
export type EngineMaker = (src: ProgramSource) => EngineFactory;

/** The program of a source for a profile. */
export function programFor(src: ProgramSource, profile: string): Program {
  return typeof src === "function" ? src(profile) : src;
}

function eventName(ev: number): WalkEvent {
  switch (ev) {
    case EV_BRANCH_PUSHED:
      return "branch";
    case EV_BRANCH_RESUMED:
      return "resume";
    case EV_STATE_STORED:
      return "store";
    case EV_PRUNED:
      return "prune";
    case EV_ERROR:
      return "error";
    case EV_ACCEPTED:
      return "accept";
    default:
      return "insn";
  }
}

function stateView(s: CoreStateView): StateView {
  return {
    regs: s.regs.map((r) => ({ reg: r.reg, type: r.typeName, text: r.text })),
    stack: s.stack.map((k) => ({ off: k.off, size: 8, text: k.text, spill: k.spill })),
  };
}

/** The TUI's view of one verifier walk. */
export class VerifierStepEngine implements StepEngine {
  readonly #e: Walk;
  #last: WalkEvent = "insn";
  #lines: string[] = [];
  #parsed = 0; // characters of the log already split into #lines
  #starts: number[] = [0]; // #starts[i]: where line i begins (one more entry than #lines)
  #verdict: VerdictView | null = null;

  readonly #lineInfo: ReadonlyArray<LineInfo> | undefined;
  readonly #silentNote: ((errno: string | null) => string) | undefined;
  /** The C source line of instruction `i` (`text  (file:line)`), or null; only with BTF line info. */
  readonly sourceAt?: (i: number) => string | null;

  /**
   * Wrap an engine (created with logging and explain on); `lineInfo`: the
   * program's BTF line info, for the source line of the cursor's instruction;
   * `silentNote`: why a rejection the kernel prints nothing for happened (the
   * note `verify` prints, {@link silentRejectionNote}).
   */
  constructor(engine: Walk, lineInfo?: ReadonlyArray<LineInfo>, silentNote?: (errno: string | null) => string) {
    this.#e = engine;
    this.#silentNote = silentNote;
    if (lineInfo?.length) {
      this.#lineInfo = lineInfo;
      this.sourceAt = (i) => {
        const k = findLineInfo(lineInfo, i);
        if (k < 0) return null;
        const li = lineInfo[k], f = li.file ?? "";
        return `${(li.line ?? "").trim()}  (${f.slice(f.lastIndexOf("/") + 1)}:${li.lineNum})`;
      };
    }
  }
  /** Number of instruction slots. */
  get len(): number {
    return this.#e.len;
  }
  /** Advance by one instruction or event. */
  step(): WalkEvent {
    if (this.#e.done) return this.#last;
    this.#last = eventName(this.#e.step());
    return this.#last;
  }
  /** True once the walk ended. */
  get done(): boolean {
    return this.#e.done;
  }
  /** The instruction the last event is about. */
  get pc(): number {
    return this.#e.pc;
  }
  /** The current verifier state. */
  state(): StateView {
    return stateView(this.#e.state());
  }
  /** On a prune: the stored state the current one matched. */
  matchedState(): StateView | null {
    if (this.#last !== "prune") return null;
    const m = this.#e.matchedState();
    return m ? stateView(m) : null;
  }
  /** Number of pending branches. */
  get pendingDepth(): number {
    return this.#e.pendingDepth;
  }
  /** Pending entry `i` (0 = oldest). */
  pendingAt(i: number): PendingView {
    return this.#e.pendingAt(i);
  }
  /** Instructions processed. */
  get processed(): number {
    return this.#e.processed;
  }
  /** The processed-instruction limit. */
  get limit(): number {
    return this.#e.limit;
  }
  /** States stored at pruning points. */
  get stored(): number {
    return this.#e.storedStates;
  }
  /** Paths pruned. */
  get prunes(): number {
    return this.#e.prunes;
  }
  /** How often instruction `i` was processed. */
  insnCount(i: number): number {
    return this.#e.insnCount(i);
  }
  /** Whether instruction `i` is a pruning point. */
  isPruningPoint(i: number): boolean {
    return this.#e.isPruningPoint(i);
  }
  /** Kernel-style text of instruction `i`. */
  insnText(i: number): string {
    return this.#e.insnText(i);
  }
  /** Whether slot `i` is the second half of an LD_IMM64. */
  isContinuation(i: number): boolean {
    return this.#e.isContinuation(i);
  }
  #syncLog(): void {
    const log = this.#e.log;
    // The 6.18 log rewinds: a state joined to its insn line (`2: (bf) r2 = r10   ; R2=fp0`) drops that
    // line's newline and writes on, so a line taken before may have changed; take it again. A level-1 log is
    // also cut back to nothing after each successful walk (a global function's walk follows), and what is
    // written then may end at the same place: the last line taken must still be there.
    while (
      this.#parsed > 0 &&
      (log.length < this.#parsed || log.charCodeAt(this.#parsed - 1) !== 10 ||
        !log.startsWith(this.#lines[this.#lines.length - 1], this.#starts[this.#lines.length - 1]))
    ) {
      this.#lines.pop();
      this.#parsed = this.#starts[this.#lines.length];
      this.#starts.length = this.#lines.length + 1;
    }
    let nl = log.indexOf("\n", this.#parsed);
    while (nl >= 0) {
      this.#lines.push(log.slice(this.#parsed, nl));
      this.#parsed = nl + 1;
      this.#starts.push(this.#parsed);
      nl = log.indexOf("\n", this.#parsed);
    }
  }
  /** Complete log lines so far. */
  get logLines(): number {
    this.#syncLog();
    return this.#lines.length;
  }
  /** Log line `i`. */
  logLine(i: number): string {
    this.#syncLog();
    return this.#lines[i] ?? "";
  }
  /** The verdict once done. */
  verdict(): VerdictView | null {
    const e = this.#e;
    if (!e.done) return null;
    if (this.#verdict) return this.#verdict;
    this.#verdict = e.accepted ? { accepted: true } : {
      accepted: false,
      errno: e.errno ?? undefined,
      // a refusal of something the profile does not model has no kernel message: its note says why, as does
      // verify's note for a rejection the kernel is silent about (a program type the profile does not know)
      message: e.errorMessage ?? (e instanceof Engine618 ? e.note : null) ?? this.#silentNote?.(e.errno) ??
        e.errno ?? undefined,
      insn: e.errorInsn >= 0 ? e.errorInsn : undefined,
      explain: explainEngine(e, this.#lineInfo).text,
    };
    return this.#verdict;
  }
  /** A copy of the whole walk. */
  snapshot(): unknown {
    return { snap: this.#e.snapshot(), last: this.#last };
  }
  /** Go back to a snapshot of this engine. */
  restore(s: unknown): void {
    const { snap, last } = s as { snap: EngineSnapshot; last: WalkEvent };
    this.#e.restore(snap);
    this.#last = last;
    this.#verdict = null;
    this.#lines = [];
    this.#parsed = 0;
    this.#starts = [0];
  }
}

/** A maker of engine factories backed by core/verifier. */
export function verifierMaker(src: ProgramSource): EngineFactory {
  return (opts: WalkOptions): StepEngine => {
    const prog = programFor(src, opts.profile);
    const engine = createEngine(prog, {
      profile: opts.profile,
      logLevel: 1,
      prune: opts.pruning,
      explain: true,
    });
    return new VerifierStepEngine(
      engine,
      prog.btf?.lineInfo,
      (errno) => silentRejectionNote(prog, { profile: opts.profile, logLevel: 1 }, errno),
    );
  };
}

/** The engine maker the CLI uses (kept async so callers need not change if loading becomes lazy again). */
export function loadVerifier(): Promise<EngineMaker> {
  return Promise.resolve(verifierMaker);
}
