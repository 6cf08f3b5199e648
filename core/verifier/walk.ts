/**
 * The interface both verifier engines implement (the 3.18/3.19 one in
 * engine.ts and the 6.18 one in linux618/engine.ts): a stepping walk whose
 * `step()` returns the `EV_*` event codes, read-only accessors for
 * observers (TUI, CLI, tests), explain and snapshot/restore.
 *
 * @module
 */
import type { BranchDecision, EngineSnapshot, RegisterView, StateView } from "./engine.ts";

/** A verifier walk. */
export interface Walk {
  /** Number of instruction slots. */
  readonly len: number;
  /** Program type number. */
  readonly progType: number;
  /** Processed-instruction budget. */
  readonly limit: number;
  /** Whether pruning is on. */
  readonly prune: boolean;
  /** Log level. */
  readonly logLevel: number;
  /** Advance by one instruction or event. */
  step(): number;
  /** Run to the end; the final event. */
  run(): number;
  /** Give pooled buffers back (batch verification). */
  release(): void;
  /** True once the walk ended. */
  readonly done: boolean;
  /** The insn the last event is about. */
  readonly pc: number;
  /** The next insn the walk looks at. */
  readonly nextInsn: number;
  /** The last event code. */
  readonly lastEvent: number;
  /** For BRANCH_RESUMED: the branching insn. */
  readonly resumedFrom: number;
  /** Pending branches. */
  readonly pendingDepth: number;
  /** Deepest pending stack. */
  readonly peakPendingDepth: number;
  /** Pending entry `i` (0 = oldest). */
  pendingAt(i: number): { from: number; to: number };
  /** Instructions processed. */
  readonly processed: number;
  /** States stored at pruning points. */
  readonly storedStates: number;
  /** Largest number of states for one insn. */
  readonly maxStatesPerInsn: number;
  /** Paths pruned. */
  readonly prunes: number;
  /** How often insn `i` was processed. */
  insnCount(i: number): number;
  /** Explored states stored for insn `i`. */
  exploredCount(i: number): number;
  /** Explored state `k` of insn `i`. */
  exploredState(i: number, k: number): StateView | null;
  /** Whether insn `i` is a pruning point. */
  isPruningPoint(i: number): boolean;
  /** Whether slot `i` continues an LD_IMM64. */
  isContinuation(i: number): boolean;
  /** The log text of insn `i` in the profile's dialect. */
  insnText(i: number): string;
  /** The log so far. */
  readonly log: string;
  /** The current state. */
  state(): StateView;
  /** Register `r` of the current state. */
  register(r: number): RegisterView;
  /** On PRUNED: the state matched. */
  matchedState(): StateView | null;
  /** On PRUNED: its index in the insn's list. */
  readonly matchedIndex: number;
  /** Whether the walk ended with acceptance. */
  readonly accepted: boolean;
  /** errno name once rejected. */
  readonly errno: string | null;
  /** The error message, or null. */
  readonly errorMessage: string | null;
  /** The insn the error is about. */
  readonly errorInsn: number;
  /** The register the error is about. */
  readonly errorReg: number;
  /** Where that register got its value. */
  readonly errorRegOrigin: number;
  /** Branch decisions of the failing path (explain). */
  path(): BranchDecision[];
  /** A copy of the walk. */
  snapshot(): EngineSnapshot;
  /** Go back to a snapshot. */
  restore(snap: EngineSnapshot): void;
}
