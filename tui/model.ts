/**
 * What one frame of the TUI shows, as a plain object derived from the
 * timeline and the UI state. Building a frame reads only what is on screen
 * (the visible window of instruction rows, the tail of the log, the top of
 * the pending stack), so its cost is proportional to the terminal size, not
 * to the program.
 *
 * @module
 */
import type { PendingView, StateView, VerdictView, WalkEvent } from "./engine.ts";
import type { Timeline } from "./timeline.ts";

/** Smallest terminal the layout supports. */
export const MIN_COLS = 80;
/** Smallest terminal the layout supports (rows). */
export const MIN_ROWS = 24;

/** One row of the instruction panel. */
export interface InsnRow {
  /** Instruction index. */
  idx: number;
  /** Kernel-style text (without `N: `). */
  text: string;
  /** How many times the walk processed it. */
  heat: number;
  /** The current instruction. */
  current: boolean;
  /** On the current path. */
  onPath: boolean;
  /** A pruning point. */
  pruning: boolean;
  /** A breakpoint is set. */
  breakpoint: boolean;
  /** The instruction of the error. */
  error: boolean;
  /** The UI cursor is on it. */
  cursor: boolean;
  /** Second slot of an LD_IMM64. */
  continuation: boolean;
}

/** Processed-instruction budget and counters. */
export interface BudgetView {
  /** Instructions processed. */
  processed: number;
  /** The limit (32768). */
  limit: number;
  /** States stored. */
  stored: number;
  /** Paths pruned. */
  prunes: number;
}

/** Which overlay covers the body, if any. */
export type Overlay = "none" | "help" | "gallery";

/** Terminal-independent layout: panel sizes in cells. */
export interface Layout {
  /** Terminal columns. */
  cols: number;
  /** Rows we draw (one less than the terminal when the last row is reserved). */
  rows: number;
  /** Terminal rows. */
  termRows: number;
  /** Too small to draw the UI. */
  tooSmall: boolean;
  /** Width of the left (instructions, log) column. */
  leftW: number;
  /** Width of the right (state, pending, budget) column. */
  rightW: number;
  /** Instruction rows visible (without the panel title). */
  insnRows: number;
  /** Log lines visible. */
  logRows: number;
  /** Pending-stack entries visible. */
  pendingRows: number;
  /** State panel lines (without title). */
  stateRows: number;
}

/**
 * Compute the layout for a terminal size. With `reserveLastRow` the last
 * terminal row stays empty (needed when output ends with a newline, as
 * Ink's own renderer does).
 */
export function computeLayout(cols: number, termRows: number, reserveLastRow = true): Layout {
  const rows = reserveLastRow ? termRows - 1 : termRows;
  const tooSmall = cols < MIN_COLS || termRows < MIN_ROWS;
  const rightW = cols >= 160 ? 64 : cols >= 120 ? 50 : Math.max(30, Math.floor(cols * 0.42));
  const leftW = cols - rightW - 1;
  const body = Math.max(0, rows - 2); // header + footer
  const logRows = Math.max(4, Math.floor(body * 0.28));
  const insnRows = Math.max(1, body - logRows - 2); // two panel titles
  const budgetH = 3; // title + bar + counters
  const pendingRows = Math.max(2, Math.min(8, Math.floor((body - budgetH) * 0.25)));
  const stateRows = Math.max(1, body - budgetH - (pendingRows + 1) - 1);
  return { cols, rows, termRows, tooSmall, leftW, rightW, insnRows, logRows, pendingRows, stateRows };
}

/** UI state the frame depends on besides the walk. */
export interface UiState {
  /** Cursor instruction (for breakpoints and jumps). */
  cursor: number;
  /** When true the instruction list follows the current instruction. */
  follow: boolean;
  /** First visible instruction row when not following. */
  scroll: number;
  /** Animation running. */
  playing: boolean;
  /** Animation speed in steps per second. */
  speed: number;
  /** Overlay. */
  overlay: Overlay;
  /** Selected gallery entry. */
  gallerySel: number;
  /** Text typed into the go-to prompt, or null when not prompting. */
  prompt: string | null;
  /** A short message for the status line. */
  message: string;
  /** Going on to the end as the log gets parsed (`e` before a log is fully read). */
  toEnd?: boolean;
}

/** Default UI state. */
export function initialUi(): UiState {
  return {
    cursor: 0,
    follow: true,
    scroll: 0,
    playing: false,
    speed: 20,
    overlay: "none",
    gallerySel: 0,
    prompt: null,
    message: "",
  };
}

/** Everything a frame draws. */
export interface Frame {
  /** Program title. */
  title: string;
  /** Kernel profile. */
  profile: string;
  /** Pruning on. */
  pruning: boolean;
  /** Steps taken. */
  t: number;
  /** Last event. */
  event: WalkEvent | null;
  /** Current instruction (-1 before the first step). */
  pc: number;
  /** Program length. */
  len: number;
  /** Visible instruction rows. */
  rows: InsnRow[];
  /** Pending-stack depth. */
  pendingDepth: number;
  /** Top pending entries, top of stack first. */
  pending: PendingView[];
  /** Budget. */
  budget: BudgetView;
  /** Current state. */
  state: StateView;
  /** On a prune: the stored state it matched. */
  matched: StateView | null;
  /** Last log lines. */
  log: string[];
  /** Total log lines. */
  logTotal: number;
  /** Verdict once done. */
  verdict: VerdictView | null;
  /** The path that led to the current instruction (the error path once rejected). */
  path: number[];
  /** Text of the instruction of the error (empty when none). */
  errorText?: string;
  /** Number of breakpoints. */
  breakpoints: number;
  /** UI state. */
  ui: UiState;
  /** Layout. */
  layout: Layout;
  /** Whether colours are used. */
  color: boolean;
  /** The C source line of the current instruction, when the engine knows source lines (else undefined). */
  source?: string | null;
  /** A loading note for the header (`parsing 45%`), when the engine is still loading. */
  progress?: string | null;
}

/** First row of the instruction window for a UI state. */
export function windowStart(ui: UiState, pc: number, len: number, visible: number): number {
  const focus = ui.follow ? Math.max(0, pc) : ui.cursor;
  let start = ui.follow ? focus - Math.floor(visible / 3) : ui.scroll;
  if (!ui.follow) {
    if (focus < start) start = focus;
    if (focus >= start + visible) start = focus - visible + 1;
  }
  return Math.max(0, Math.min(start, Math.max(0, len - visible)));
}

/** Build the frame for the current moment of a timeline. */
export function buildFrame(tl: Timeline, ui: UiState, layout: Layout, title: string, color: boolean): Frame {
  const e = tl.engine;
  const pc = e.pc;
  const verdict = e.done ? e.verdict() : null;
  const errInsn = verdict && !verdict.accepted && verdict.insn !== undefined ? verdict.insn : -1;
  // an engine with source lines gives the instruction panel's last row to the current one's source line
  const insnRows = e.sourceAt ? Math.max(1, layout.insnRows - 1) : layout.insnRows;
  const start = windowStart(ui, pc, e.len, insnRows);
  const end = Math.min(e.len, start + insnRows);
  const rows: InsnRow[] = [];
  for (let i = start; i < end; i++) {
    rows.push({
      idx: i,
      text: e.insnText(i),
      heat: e.insnCount(i),
      current: i === pc,
      onPath: tl.onPath(i),
      pruning: e.isPruningPoint(i),
      breakpoint: tl.breakpoints.has(i),
      error: i === errInsn,
      cursor: !ui.follow && i === ui.cursor,
      continuation: e.isContinuation(i),
    });
  }
  const depth = e.pendingDepth;
  const pending: PendingView[] = [];
  for (let k = 0; k < Math.min(depth, layout.pendingRows); k++) pending.push(e.pendingAt(depth - 1 - k));
  const logTotal = e.logLines;
  const log: string[] = [];
  for (let i = Math.max(0, logTotal - layout.logRows); i < logTotal; i++) log.push(e.logLine(i));
  return {
    title,
    profile: tl.options.profile,
    pruning: tl.options.pruning,
    t: tl.t,
    event: tl.lastEvent,
    pc,
    len: e.len,
    rows,
    pendingDepth: depth,
    pending,
    budget: { processed: e.processed, limit: e.limit, stored: e.stored, prunes: e.prunes },
    state: e.state(),
    matched: tl.lastEvent === "prune" ? e.matchedState() : null,
    log,
    logTotal,
    verdict,
    path: verdict && !verdict.accepted ? tl.path() : [],
    errorText: errInsn >= 0 ? e.insnText(errInsn) : "",
    breakpoints: tl.breakpoints.size,
    ui,
    layout,
    color,
    source: e.sourceAt ? e.sourceAt(ui.follow ? pc : ui.cursor) : undefined,
    progress: e.progress ? e.progress() : undefined,
  };
}

/** Heat as one of nine block characters on a log2 scale (no need to know the maximum). */
export function heatChar(count: number): string {
  if (count <= 0) return " ";
  const b = Math.min(8, Math.ceil(Math.log2(count + 1)));
  return " ▁▂▃▄▅▆▇█"[b];
}

/** Heat bucket 0..8 (for colour). */
export function heatLevel(count: number): number {
  return count <= 0 ? 0 : Math.min(8, Math.ceil(Math.log2(count + 1)));
}

/** A text progress bar of `width` cells for `value / max`. */
export function bar(value: number, max: number, width: number): string {
  const w = Math.max(1, width);
  const frac = max > 0 ? Math.min(1, value / max) : 0;
  const eighths = Math.round(frac * w * 8);
  const full = Math.floor(eighths / 8);
  const rem = eighths % 8;
  let s = "█".repeat(full);
  if (full < w) s += rem ? "▏▎▍▌▋▊▉"[rem - 1] : "";
  return s + "·".repeat(Math.max(0, w - [...s].length));
}

/** Fit text to exactly `w` cells (truncate with `…` or pad with spaces). ASCII-width assumption for speed; box characters count as one. */
export function fit(s: string, w: number): string {
  if (w <= 0) return "";
  if (s.length > w) return w === 1 ? "…" : s.slice(0, w - 1) + "…";
  return s + " ".repeat(w - s.length);
}
