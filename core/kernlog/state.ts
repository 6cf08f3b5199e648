/**
 * The verifier state at any point of a log, reconstructed from what the
 * kernel printed. A level-2 log prints the whole state at a few points (a
 * resumed branch `from X to Y:`, a call's `caller:`/`callee:`, a return's
 * `to caller at N:`, the first instruction) and, after each instruction,
 * only the registers and stack slots it touched (`; R0=... fp-8=...`). The
 * tracker replays those lines in order: a whole state replaces the frame's
 * state, a partial one updates the entries it prints, and a helper call
 * forgets r1..r5 (the kernel marks them not initialised without printing
 * them). The scalars linked with a register a conditional jump narrowed are
 * narrowed with it (linked.ts), and the packet pointers that share the id
 * of one a packet check proved get its range (pkt.ts), as the kernel does
 * without printing them.
 *
 * Entries are kept as their text (`map_value(id=1,ks=8,vs=8)`) and parsed
 * only when asked for ({@link parseRegValue}).
 *
 * @module
 */
import { LineKind } from "./lines.ts";
import { type KernLog, StepKind } from "./parser.ts";
import { parseLogInsn } from "./insn.ts";
import { forEachEntry } from "./value.ts";
import { syncLinkedScalars } from "./linked.ts";
import { findGoodPktPointers } from "./pkt.ts";
import { MAX_CALL_FRAMES } from "../verifier/linux618/state.ts";

/** One frame's registers and stack slots, as text. */
export interface FrameText {
  /** Register entries (`map_value(...)`), index 0..10; null when not initialised or never printed. */
  regs: Array<string | null>;
  /** Liveness suffix printed with each register (`_w`), "" when none. */
  live: string[];
  /** Stack slots: offset (negative) -> the text after `fpN=`. */
  slots: Map<number, string>;
}

/** A reconstructed state: the frames from the outermost to the current one. */
export interface TrackedState {
  /** Frames, index = frame number. */
  frames: FrameText[];
  /** The current frame. */
  cur: number;
  /** `refs=` of the last state that printed them. */
  refs: string | null;
}

function emptyFrame(): FrameText {
  return { regs: new Array(11).fill(null), live: new Array(11).fill(""), slots: new Map() };
}

function cloneState(s: TrackedState): TrackedState {
  return {
    frames: s.frames.map((f) => ({ regs: f.regs.slice(), live: f.live.slice(), slots: new Map(f.slots) })),
    cur: s.cur,
    refs: s.refs,
  };
}

/** Split a state text into its entries (spaces inside parentheses do not split). */
export function stateEntries(text: string): string[] {
  const out: string[] = [];
  forEachEntry(text, (i, j) => out.push(text.slice(i, j)));
  return out;
}

/**
 * Apply a state text to `st`: `full` replaces the frame, otherwise the
 * printed entries update it. Returns the frame the text was about.
 */
export function applyStateText(st: TrackedState, text: string, full: boolean): number {
  const ents = stateEntries(text);
  let frame = 0;
  let k = 0;
  if (ents.length && /^frame\d+:$/.test(ents[0])) {
    frame = Number(ents[0].slice(5, -1));
    k = 1;
    // the kernel has at most MAX_CALL_FRAMES frames: a bigger number is a damaged line, not a frame to make
    if (frame >= MAX_CALL_FRAMES) return st.cur;
  }
  while (st.frames.length <= frame) st.frames.push(emptyFrame());
  if (full) st.frames[frame] = emptyFrame();
  const f = st.frames[frame];
  for (; k < ents.length; k++) {
    const e = ents[k];
    const eq = e.indexOf("=");
    if (eq < 0) continue;
    if (e[0] === "R") {
      const name = e.slice(1, eq);
      const us = name.indexOf("_");
      const r = Number(us < 0 ? name : name.slice(0, us));
      if (r >= 0 && r <= 10) {
        f.regs[r] = e.slice(eq + 1);
        f.live[r] = us < 0 ? "" : name.slice(us);
      }
    } else if (e.startsWith("fp")) {
      const name = e.slice(2, eq);
      const us = name.indexOf("_");
      const off = Number(us < 0 ? name : name.slice(0, us));
      if (Number.isFinite(off)) f.slots.set(off, e.slice(eq + 1));
    } else if (e.startsWith("refs=")) {
      st.refs = e.slice(5);
    }
  }
  return frame;
}

/** The step of line `i`, -1 when no step is on it (steps are in line order). */
function stepOfLine(log: KernLog, i: number): number {
  let lo = 0, hi = log.steps - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = log.stepLine.get(mid);
    if (l === i) return mid;
    if (l < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The index of an instruction line (`12: (bf) r1 = r2`). */
function insnIndex(line: string): number {
  return parseInt(line, 10);
}

/** Replays a log's lines to reconstruct the state at any line, with checkpoints for going back. */
export class StateTracker {
  readonly #log: KernLog;
  #st: TrackedState = { frames: [emptyFrame()], cur: 0, refs: null };
  #line = 0; // lines applied: [0, #line)
  #nextFull = true; // the next state printed is a whole one
  #callBlock = 0;
  /** The call sites of the current path's outer frames, outermost first, when the walk entered them in view. */
  #callsites: number[] = [];
  readonly #checkpoints: Array<
    { line: number; st: TrackedState; nextFull: boolean; callBlock: number; callsites: number[] }
  > = [];
  /** Lines between checkpoints. */
  static readonly EVERY: number = 512;

  /**
   * Replay `log` (lines already parsed; more may come).
   * @param log the log to replay
   */
  constructor(log: KernLog) {
    this.#log = log;
  }

  /** The state after the first `line` lines (seeking back restores the nearest checkpoint). */
  at(line: number): TrackedState {
    if (line < this.#line) {
      let cp = null;
      for (let i = this.#checkpoints.length - 1; i >= 0; i--) {
        if (this.#checkpoints[i].line <= line) {
          cp = this.#checkpoints[i];
          break;
        }
      }
      if (cp) {
        this.#st = cloneState(cp.st);
        this.#line = cp.line;
        this.#nextFull = cp.nextFull;
        this.#callBlock = cp.callBlock;
        this.#callsites = cp.callsites.slice();
      } else {
        this.#st = { frames: [emptyFrame()], cur: 0, refs: null };
        this.#line = 0;
        this.#nextFull = true;
        this.#callBlock = 0;
        this.#callsites = [];
      }
    }
    const end = Math.min(line, this.#log.lines.length);
    while (this.#line < end) {
      if (this.#line % StateTracker.EVERY === 0 && this.#checkpoints.at(-1)?.line !== this.#line) {
        if (!this.#checkpoints.length || this.#checkpoints.at(-1)!.line < this.#line) {
          this.#checkpoints.push({
            line: this.#line,
            st: cloneState(this.#st),
            nextFull: this.#nextFull,
            callBlock: this.#callBlock,
            callsites: this.#callsites.slice(),
          });
        }
      }
      this.#apply(this.#line++);
    }
    return this.#st;
  }

  #apply(i: number): void {
    const log = this.#log;
    const kind = log.kind(i);
    const st = this.#st;
    switch (kind) {
      case LineKind.Insn: {
        const text = log.lineInsnText(i);
        const x = parseLogInsn(text);
        const f = st.frames[st.cur] ?? (st.frames[st.cur] = emptyFrame());
        if (x.op === "call") { for (let r = 1; r <= 5; r++) f.regs[r] = null; }
        const s = log.lineState(i);
        if (s !== null) {
          // a level-1 log can glue the first (whole) state of a resumed path to a branch line
          const glued = log.lines.get(i).charCodeAt(log.stateStart.get(i) - 1) === 58;
          const full = glued || this.#nextFull;
          // a conditional jump narrows the scalars linked with the compared ones without printing them
          // (registers r0..r10 only: a damaged line can name any number)
          const compared = x.op === "cond" && !full && x.dst <= 10 && x.src <= 10
            ? (x.src >= 0 ? [x.src, x.dst] : [x.dst]).map((reg) => ({ reg, before: f.regs[reg] }))
            : null;
          st.cur = applyStateText(st, s, full);
          this.#nextFull = false;
          if (compared) {
            const at = insnIndex(log.lines.get(i));
            const cs = this.#callsites.length === st.cur ? this.#callsites : null;
            const step = stepOfLine(log, i);
            const pushed = step >= 0 && step < log.paths.popOf.length && log.paths.popOf.get(step) >= 0;
            syncLinkedScalars(st.frames, st.cur, compared, (frame) => {
              const where = frame === st.cur ? at : cs ? cs[frame] : -1;
              return log.liveRegs.get(where) ?? 0x3ff;
            }, pushed);
            if (x.src >= 0) {
              const cf = st.frames[st.cur];
              const changed = pushed || compared.some((c) => cf.regs[c.reg] !== c.before);
              findGoodPktPointers(st.frames, st.cur, x.code, x.dst, x.src, changed);
            }
          }
        }
        if (x.op === "call_sub") this.#callsites.push(insnIndex(log.lines.get(i)));
        this.#callBlock = 0;
        break;
      }
      case LineKind.State: {
        st.cur = applyStateText(st, log.lineState(i)!, this.#nextFull);
        this.#nextFull = false;
        break;
      }
      case LineKind.StateCont: {
        const frame = applyStateText(st, log.lines.get(i), true);
        if (this.#callBlock === 4) {
          // to caller at N: the caller's frame is current again
          st.cur = frame;
          st.frames.length = frame + 1;
          this.#callsites.length = Math.min(this.#callsites.length, frame);
        } else if (this.#callBlock === 2 || this.#callBlock === 0) st.cur = frame;
        break;
      }
      case LineKind.From: {
        st.cur = applyStateText(st, log.lineState(i)!, true);
        st.frames.length = st.cur + 1;
        // a resumed path's call sites are not printed: those of the frames it shares with the last path
        // are the best guess, and are used only when their number fits
        this.#callsites.length = Math.min(this.#callsites.length, st.cur);
        this.#nextFull = true;
        break;
      }
      case LineKind.FromSafe:
      case LineKind.Safe:
        this.#nextFull = true;
        break;
      case LineKind.Caller:
        this.#callBlock = 1;
        break;
      case LineKind.Callee:
        this.#callBlock = 2;
        break;
      case LineKind.Returning:
        this.#callBlock = 3;
        break;
      case LineKind.ToCaller:
        this.#callBlock = 4;
        break;
      case LineKind.GlobalFunc:
        if (log.lines.get(i).startsWith("Validating")) {
          this.#st = { frames: [emptyFrame()], cur: 0, refs: null };
          this.#nextFull = true;
        }
        break;
    }
  }
}

/**
 * The states the log shows at each processing of instruction `insn`: for
 * every step that processed it, the state right before it (replayed as
 * {@link StateTracker} does). At most `max` (default 100), first ones first.
 */
export function statesAt(log: KernLog, insn: number, max = 100): Array<{ step: number; state: TrackedState }> {
  const out: Array<{ step: number; state: TrackedState }> = [];
  const t = new StateTracker(log);
  for (let s = 0; s < log.steps && out.length < max; s++) {
    const k = log.stepKind.get(s);
    if (log.stepInsn.get(s) !== insn || (k !== StepKind.Visit && k !== StepKind.Prune)) continue;
    const st = t.at(log.stepLine.get(s));
    out.push({
      step: s,
      state: {
        frames: st.frames.map((f) => ({ regs: f.regs.slice(), live: f.live.slice(), slots: new Map(f.slots) })),
        cur: st.cur,
        refs: st.refs,
      },
    });
  }
  return out;
}
