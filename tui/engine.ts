/**
 * The small interface the TUI needs from a verifier walk: a stepping engine
 * with read-only accessors. `tui/verifier_engine.ts` adapts core/verifier to
 * it; tests use hand-written fakes.
 *
 * @module
 */

/** What one `step()` did. */
export type WalkEvent =
  /** one instruction processed */
  | "insn"
  /** a conditional jump pushed its branch target on the pending stack */
  | "branch"
  /** a path ended and the most recently pushed branch was resumed */
  | "resume"
  /** the state at a pruning point was remembered */
  | "store"
  /** the current state matched a remembered one: the path ends as safe */
  | "prune"
  /** the walk stopped with an error (the program is rejected) */
  | "error"
  /** no pending branches are left: the program is accepted */
  | "accept";

/** Events that end the walk. */
export function isFinal(ev: WalkEvent): boolean {
  return ev === "error" || ev === "accept";
}

/** One register as the verifier log prints it. */
export interface RegView {
  /** Register number 0..10. */
  reg: number;
  /** The type's log name (`inv`, `ctx`, `map_value`, `fp`, `imm`, ...). */
  type: string;
  /** The whole log text after `R<n>=`, e.g. `map_value(ks=8,vs=8)`, `imm0`, `fp-8`. */
  text: string;
  /** The value in words (`scalar in [0, 255], multiple of 4`), when the engine describes values. */
  words?: string;
}

/** One stack slot in use (a spilled register or written bytes). */
export interface SlotView {
  /** Offset from the frame pointer (negative). */
  off: number;
  /** Size in bytes the entry covers (8 for a spill, 1..8 for misc bytes). */
  size: number;
  /** What the slot holds, e.g. `ctx` for a spill, `misc` for data. */
  text: string;
  /** True for a spilled register. */
  spill: boolean;
  /** The text is the slot as the log prints it (`mmmm????`, `????scalar()`): shown without `/size`. */
  raw?: boolean;
  /** The slot in words, when the engine describes values. */
  words?: string;
}

/** A verifier state as shown in the state panel. */
export interface StateView {
  /** Initialised registers, R0..R10 order. */
  regs: RegView[];
  /** Stack slots in use, highest offset first. */
  stack: SlotView[];
  /** The frame (call depth) the state is of, when the engine knows it. */
  frame?: number;
  /** Where the state shown comes from, when it is not the one right after the current step (a log replay). */
  note?: string;
}

/** A pending branch: the conditional jump at `from`, to be resumed at `to`. */
export interface PendingView {
  /** Index of the conditional jump. */
  from: number;
  /** Index of the branch target. */
  to: number;
}

/** The end of the walk. */
export interface VerdictView {
  /** Whether the program was accepted. */
  accepted: boolean;
  /** errno name when rejected (`EACCES`, `E2BIG`, ...). */
  errno?: string;
  /** The error message (last log line) when rejected. */
  message?: string;
  /** The instruction the error is about, if any. */
  insn?: number;
  /** The verifier's explanation of the path that led to the error (lines), if it gives one. */
  explain?: string[];
}

/** The stepping engine the TUI drives. Accessors must be cheap: the UI reads them every frame. */
export interface StepEngine {
  /** Number of instruction slots. */
  readonly len: number;
  /** Advance by one instruction or event. Calling it after the end keeps returning the final event. */
  step(): WalkEvent;
  /** True once the walk ended (accepted or rejected). */
  readonly done: boolean;
  /** The instruction the last event is about (the one processed, the branch, the resume target, ...); -1 before the first step. */
  readonly pc: number;
  /** The current verifier state. */
  state(): StateView;
  /** On a prune: the stored state the current one matched. */
  matchedState(): StateView | null;
  /** Number of pending branches. */
  readonly pendingDepth: number;
  /** Pending entry `i`, 0 = the oldest (bottom of the stack). */
  pendingAt(i: number): PendingView;
  /** Instructions processed so far (counted against the limit). */
  readonly processed: number;
  /** The processed-instructions limit (32768 in 3.18). */
  readonly limit: number;
  /** States stored at pruning points so far. */
  readonly stored: number;
  /** Paths pruned so far. */
  readonly prunes: number;
  /** How many times instruction `i` was processed. */
  insnCount(i: number): number;
  /** Whether instruction `i` is a pruning point (set by the CFG pass). */
  isPruningPoint(i: number): boolean;
  /** Kernel-style text of instruction `i` (without the `N: ` prefix). */
  insnText(i: number): string;
  /** Whether slot `i` is the second half of an LD_IMM64 (not printed). */
  isContinuation(i: number): boolean;
  /** Number of complete log lines so far. */
  readonly logLines: number;
  /** Log line `i` (no newline). */
  logLine(i: number): string;
  /** The verdict once done, else null. */
  verdict(): VerdictView | null;
  /** An opaque copy of the whole walk state (optional: without it the timeline replays from the start). */
  snapshot?(): unknown;
  /** Go back to a snapshot taken from this engine. */
  restore?(snap: unknown): void;
  /**
   * Whether `step()` can make progress now (optional: an engine over a log
   * still arriving through a pipe says false while it waits for more).
   */
  ready?(): boolean;
  /** Optional: the engine tracks the current path itself; whether instruction `i` is on it. */
  onPath?(i: number): boolean;
  /** Optional, with {@link StepEngine.onPath}: the instructions of the current path from its start. */
  pathInsns?(): number[];
  /** Optional: the C source line of instruction `i`, or null. */
  sourceAt?(i: number): string | null;
  /** Optional: a note for the header while the engine is still loading (`parsing 45%`), or null. */
  progress?(): string | null;
}

/** Options a walk is (re)started with. */
export interface WalkOptions {
  /** Kernel profile, e.g. `linux-3.18`. */
  profile: string;
  /** Whether pruning is on (off: watch the budget drain). */
  pruning: boolean;
}

/** Creates a fresh engine for a program with the given options. */
export type EngineFactory = (opts: WalkOptions) => StepEngine;
