/**
 * The timeline: drives a {@link StepEngine} and keeps enough history to
 * revisit any earlier moment of the walk (step back), plus the things the
 * engine does not track itself: the current path, breakpoints and the event
 * of every step. Pure logic, no UI.
 *
 * History: when the engine offers `snapshot()`/`restore()`, a checkpoint is
 * taken every {@link CHECKPOINT_EVERY} steps and going back restores the
 * nearest one and replays forward; otherwise the walk is restarted and
 * replayed. Either way going back costs at most one checkpoint interval (or
 * one replay) of engine steps.
 *
 * @module
 */
import type { EngineFactory, StepEngine, WalkEvent, WalkOptions } from "./engine.ts";
import { isFinal } from "./engine.ts";

/** Steps between checkpoints when the engine can snapshot. */
export const CHECKPOINT_EVERY = 256;

const EVENTS: WalkEvent[] = ["insn", "branch", "resume", "store", "prune", "error", "accept"];
const EVENT_CODE: Record<WalkEvent, number> = {
  insn: 0,
  branch: 1,
  resume: 2,
  store: 3,
  prune: 4,
  error: 5,
  accept: 6,
};

/** Events `continueToEvent` stops at (everything but a plain instruction or a stored state). */
export const STOP_EVENTS: ReadonlySet<WalkEvent> = new Set<WalkEvent>(["branch", "resume", "prune", "error", "accept"]);

/** A node of the current path (a persistent list, so paths share prefixes). */
interface PathNode {
  pc: number;
  depth: number;
  parent: PathNode | null;
}

interface Checkpoint {
  t: number;
  snap: unknown;
  tip: PathNode | null;
  pendingTips: Array<PathNode | null>;
}

/** Why a multi-step advance stopped. */
export type StopReason = "count" | "event" | "breakpoint" | "end";

/** History and control over one verifier walk. */
export class Timeline {
  /** The engine at the current moment. */
  engine: StepEngine;
  /** The options the walk was started with. */
  options: WalkOptions;
  /** Breakpoints (instruction indexes). They survive restarts. */
  readonly breakpoints: Set<number> = new Set();
  /** Bumped on every change; the UI re-renders when it moves. */
  version = 0;
  readonly #factory: EngineFactory;
  #t = 0;
  #events = new Uint8Array(1024);
  #pcs = new Int32Array(1024);
  #tip: PathNode | null = null;
  #pendingTips: Array<PathNode | null> = [];
  #onPath: Int32Array;
  #checkpoints: Checkpoint[] = [];
  #last: WalkEvent | null = null;

  /**
   * Start a walk.
   * @param factory makes a fresh engine for the program with given options
   * @param options profile and pruning
   */
  constructor(factory: EngineFactory, options: WalkOptions) {
    this.#factory = factory;
    this.options = { ...options };
    this.engine = factory(this.options);
    this.#onPath = new Int32Array(this.engine.len);
    this.#checkpoint();
  }

  /** Number of engine steps taken so far (the current moment). */
  get t(): number {
    return this.#t;
  }
  /** The event of the last step, or null at the start. */
  get lastEvent(): WalkEvent | null {
    return this.#last;
  }
  /** True once the walk has ended. */
  get done(): boolean {
    return this.engine.done;
  }
  /** The furthest step reached so far that is recorded (steps beyond `t` are forgotten on going back). */
  eventAt(step: number): WalkEvent {
    return EVENTS[this.#events[step - 1]];
  }
  /** The pc reported by step number `step` (1-based). */
  pcAt(step: number): number {
    return this.#pcs[step - 1];
  }
  /** Whether instruction `i` is on the current path. */
  onPath(i: number): boolean {
    if (this.engine.onPath) return this.engine.onPath(i);
    return this.#onPath[i] > 0;
  }
  /** The current path from the program start (or from where the walk began) to the current instruction. */
  path(): number[] {
    if (this.engine.pathInsns) return this.engine.pathInsns();
    const out: number[] = [];
    for (let n = this.#tip; n; n = n.parent) out.push(n.pc);
    return out.reverse();
  }

  /** Whether the engine can take a step now (an engine reading a pipe may have to wait for more). */
  get ready(): boolean {
    return !this.engine.ready || this.engine.ready();
  }

  /** Take one engine step. Returns its event (the final event again once done; the last one while not ready). */
  step(): WalkEvent {
    if (this.engine.done && this.#last && isFinal(this.#last)) return this.#last;
    if (!this.ready) return this.#last ?? "insn";
    const ev = this.engine.step();
    this.#record(ev);
    this.version++;
    return ev;
  }

  /**
   * Step until something noteworthy: one of {@link STOP_EVENTS}, a
   * breakpoint, or the end; at most `max` steps.
   */
  continueToEvent(max = 1_000_000): StopReason {
    const r = this.advance(max, true);
    return r;
  }

  /**
   * Take up to `n` steps, stopping early at the end, at a breakpoint, and
   * (when `untilEvent`) at one of {@link STOP_EVENTS}.
   */
  advance(n: number, untilEvent = false): StopReason {
    for (let k = 0; k < n; k++) {
      if (this.engine.done) return "end";
      if (!this.ready) {
        this.version++;
        return "count";
      }
      const ev = this.engine.step();
      this.#record(ev);
      if (isFinal(ev)) {
        this.version++;
        return "end";
      }
      if ((ev === "insn" || ev === "branch") && this.breakpoints.has(this.engine.pc)) {
        this.version++;
        return "breakpoint";
      }
      if (untilEvent && STOP_EVENTS.has(ev)) {
        this.version++;
        return "event";
      }
    }
    this.version++;
    return this.engine.done ? "end" : "count";
  }

  /** Run to the end (or a breakpoint when `stopAtBreakpoints`). */
  runToEnd(stopAtBreakpoints = false): StopReason {
    if (!stopAtBreakpoints) {
      while (!this.engine.done && this.ready) this.#record(this.engine.step());
      this.version++;
      return this.engine.done ? "end" : "count";
    }
    return this.advance(Number.MAX_SAFE_INTEGER);
  }

  /** Go back `n` steps (to step 0 at most). */
  back(n = 1): void {
    this.goTo(Math.max(0, this.#t - n));
  }

  /** Go back to the previous step whose event is one of {@link STOP_EVENTS} (or to the start). */
  backToEvent(): void {
    let s = this.#t - 1;
    while (s > 0 && !STOP_EVENTS.has(this.eventAt(s))) s--;
    this.goTo(Math.max(0, s));
  }

  /** Move to step `target`: back through history, or forward by stepping. */
  goTo(target: number): void {
    if (target < 0) target = 0;
    if (target < this.#t) {
      let cp: Checkpoint | undefined;
      for (let i = this.#checkpoints.length - 1; i >= 0; i--) {
        if (this.#checkpoints[i].t <= target) {
          cp = this.#checkpoints[i];
          break;
        }
      }
      if (cp && cp.snap !== undefined && this.engine.restore) {
        this.engine.restore(cp.snap);
        this.#t = cp.t;
        this.#tip = cp.tip;
        this.#pendingTips = cp.pendingTips.slice();
        this.#checkpoints.length = this.#checkpoints.indexOf(cp) + 1;
      } else {
        this.engine = this.#factory(this.options);
        this.#t = 0;
        this.#tip = null;
        this.#pendingTips = [];
        this.#checkpoints.length = 0;
        this.#checkpoint();
      }
      this.#rebuildOnPath();
      this.#last = this.#t > 0 ? this.eventAt(this.#t) : null;
    }
    while (this.#t < target && !this.engine.done && this.ready) this.#record(this.engine.step());
    this.version++;
  }

  /** Restart the walk, optionally with changed options. Breakpoints are kept. */
  restart(options: Partial<WalkOptions> = {}): void {
    this.options = { ...this.options, ...options };
    this.engine = this.#factory(this.options);
    this.#t = 0;
    this.#tip = null;
    this.#pendingTips = [];
    this.#onPath = new Int32Array(this.engine.len);
    this.#checkpoints = [];
    this.#last = null;
    this.#checkpoint();
    this.version++;
  }

  /** Toggle a breakpoint at instruction `i`; returns whether it is now set. */
  toggleBreakpoint(i: number): boolean {
    this.version++;
    if (this.breakpoints.delete(i)) return false;
    this.breakpoints.add(i);
    return true;
  }

  // ---- internals ----

  #record(ev: WalkEvent): void {
    const t = this.#t;
    if (t >= this.#events.length) {
      const e = new Uint8Array(this.#events.length * 2);
      e.set(this.#events);
      this.#events = e;
      const p = new Int32Array(this.#pcs.length * 2);
      p.set(this.#pcs);
      this.#pcs = p;
    }
    const pc = this.engine.pc;
    this.#events[t] = EVENT_CODE[ev];
    this.#pcs[t] = pc;
    this.#t = t + 1;
    this.#last = ev;
    switch (ev) {
      case "insn":
      case "error":
        this.#visit(pc);
        break;
      case "branch":
        this.#visit(pc);
        this.#pendingTips.push(this.#tip);
        break;
      case "resume": {
        const tip = this.#pendingTips.pop() ?? null;
        this.#setTip(tip);
        this.#visit(pc);
        break;
      }
    }
    // keep the parallel stack in step with the engine even if it signals differently
    const depth = this.engine.pendingDepth;
    if (this.#pendingTips.length > depth) this.#pendingTips.length = depth;
    while (this.#pendingTips.length < depth) this.#pendingTips.push(this.#tip);
    if (this.#t % CHECKPOINT_EVERY === 0) this.#checkpoint();
  }

  #visit(pc: number): void {
    if (pc < 0 || (this.#tip && this.#tip.pc === pc)) return;
    this.#tip = { pc, depth: (this.#tip?.depth ?? 0) + 1, parent: this.#tip };
    if (pc < this.#onPath.length) this.#onPath[pc]++;
  }

  /** Replace the path by another, touching only the nodes that differ. */
  #setTip(tip: PathNode | null): void {
    let a = this.#tip;
    let b = tip;
    const add: PathNode[] = [];
    const da = () => a?.depth ?? 0;
    const db = () => b?.depth ?? 0;
    while (da() > db()) {
      this.#dec(a!.pc);
      a = a!.parent;
    }
    while (db() > da()) {
      add.push(b!);
      b = b!.parent;
    }
    while (a !== b) {
      this.#dec(a!.pc);
      a = a!.parent;
      add.push(b!);
      b = b!.parent;
    }
    for (const n of add) if (n.pc < this.#onPath.length) this.#onPath[n.pc]++;
    this.#tip = tip;
  }

  #dec(pc: number): void {
    if (pc < this.#onPath.length && this.#onPath[pc] > 0) this.#onPath[pc]--;
  }

  #rebuildOnPath(): void {
    this.#onPath.fill(0);
    for (let n = this.#tip; n; n = n.parent) if (n.pc < this.#onPath.length) this.#onPath[n.pc]++;
  }

  #checkpoint(): void {
    if (!this.engine.snapshot) {
      if (this.#checkpoints.length === 0) {
        this.#checkpoints.push({ t: 0, snap: undefined, tip: null, pendingTips: [] });
      }
      return;
    }
    const last = this.#checkpoints[this.#checkpoints.length - 1];
    if (last && last.t === this.#t) return;
    this.#checkpoints.push({
      t: this.#t,
      snap: this.engine.snapshot(),
      tip: this.#tip,
      pendingTips: this.#pendingTips.slice(),
    });
  }
}
