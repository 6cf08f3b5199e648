/**
 * Path reconstruction: from the walk steps of a log ({@link StepKind}), the
 * tree of paths the verifier explored, how often it processed each
 * instruction, and the pending branches at every step.
 *
 * Every processed instruction (a visit, a prune, the unprinted instruction
 * an error was detected at) is a node whose parent is the previous node on
 * the same path, so the path to any node is its chain of parents. The
 * verifier keeps the branches it still has to explore on a stack
 * (`push_stack`: the target of a conditional jump whose outcome is unknown,
 * the fall-through of `may_goto`, an iterator's next state, a callback);
 * `from X to Y` in a level-2 log is the top of that stack being resumed.
 * The log never says when a branch was pushed, so pushes are found from the
 * pops: the entry resumed by `from X to Y` is the most recent visit of X
 * still on the stack, and every visit above it that no pop claimed was not a
 * push (its outcome was known). A visit of X that went on to Y itself cannot
 * have pushed Y (unless Y is the next instruction). The resumed path's
 * parent is that visit.
 *
 * The visit counts add up to the `processed N insns` figure of a level-2
 * log (the kernel counts every processed instruction, prunes included).
 *
 * @module
 */
import type { KernLog } from "./parser.ts";
import { StepKind } from "./parser.ts";
import { IntVec } from "./vec.ts";

/** Tree of paths, visits and pending branches of one log. */
export class PathBuilder {
  /** Times each instruction was processed. */
  readonly visits: IntVec = new IntVec();
  /** Per step: the previous node on its path (a step index), -1 for a root or a step that is no node. */
  readonly parent: IntVec = new IntVec();
  /** Per step: nodes on the path up to and including it (0 for steps that are no node). */
  readonly pathLen: IntVec = new IntVec();
  /** Per step: call depth (frames) of the node. */
  readonly depth: IntVec = new IntVec();
  /** Per step: the step of the Resume that popped the branch this visit pushed, -1 when it pushed none (known so far). */
  readonly popOf: IntVec = new IntVec();
  /** Per Resume step: the visit step that pushed the resumed branch, -1 when none was found. */
  readonly pushOf: IntVec = new IntVec();
  /** Per step: the node that is the current path's tip after the step. */
  readonly tipAt: IntVec = new IntVec();
  /** Per step (after {@link PathBuilder.finish}): the top pending push after the step, -1 when none. */
  topAt: Int32Array | null = null;
  /** Per push step (after finish): the push below it on the pending stack, -1 at the bottom. */
  below: Int32Array | null = null;
  /** Pushes matched so far (visit steps), in the order their pops were seen. */
  readonly pushes: IntVec = new IntVec();
  /** Nodes (processed instructions) counted so far. */
  processed: number = 0;
  /** Resumes whose push could not be matched (level-1 logs have none, so none are expected there). */
  unmatched: number = 0;
  /** True after {@link PathBuilder.finish}. */
  finished: boolean = false;
  #tip = -1;
  #curDepth = 0;
  #cands: IntVec = new IntVec();
  #firstChild: IntVec = new IntVec();

  /** Take step `s` of `log` into account (called by the parser for each new step). */
  onStep(log: KernLog, s: number): void {
    const kind = log.stepKind.get(s);
    const insn = log.stepInsn.get(s);
    this.parent.set(s, -1);
    this.pathLen.set(s, 0);
    this.popOf.set(s, -1);
    this.pushOf.set(s, -1);
    this.#firstChild.set(s, -1);
    switch (kind) {
      case StepKind.Visit:
      case StepKind.Prune:
      case StepKind.Unprinted: {
        if (insn >= 0) this.visits.add(insn, 1);
        this.processed++;
        const p = this.#tip;
        this.parent.set(s, p);
        this.pathLen.set(s, p >= 0 ? this.pathLen.get(p) + 1 : 1);
        this.depth.set(s, this.#curDepth);
        if (p >= 0 && this.#firstChild.get(p) < 0) this.#firstChild.set(p, s);
        this.#tip = s;
        if (kind === StepKind.Visit) this.#cands.push(s);
        break;
      }
      case StepKind.Resume: {
        const from = log.stepAux.get(s);
        let found = -1;
        // the most recent candidate visit of `from` that could have pushed `insn`
        for (let k = this.#cands.length - 1; k >= 0; k--) {
          const c = this.#cands.get(k);
          if (log.stepInsn.get(c) !== from) continue;
          const fc = this.#firstChild.get(c);
          if (fc >= 0 && log.stepInsn.get(fc) === insn && insn !== from + 1) continue;
          found = k;
          break;
        }
        if (found >= 0) {
          const c = this.#cands.get(found);
          this.#cands.length = found;
          this.popOf.set(c, s);
          this.pushOf.set(s, c);
          this.pushes.push(c);
          this.#tip = c;
          this.#curDepth = this.depth.get(c);
        } else {
          this.unmatched++;
          this.#tip = -1;
        }
        break;
      }
      case StepKind.Call:
        this.#curDepth++;
        break;
      case StepKind.Return:
        if (this.#curDepth > 0) this.#curDepth--;
        break;
      case StepKind.Walk:
        this.#tip = -1;
        this.#curDepth = 0;
        this.#cands.length = 0;
        break;
    }
    this.depth.set(s, this.#curDepth);
    this.tipAt.set(s, this.#tip);
  }

  /** Compute the pending stack at every step (once the whole log is read). */
  finish(log: KernLog): void {
    const n = log.steps;
    const top = new Int32Array(n);
    const below = new Int32Array(n).fill(-1);
    const stack: number[] = [];
    for (let s = 0; s < n; s++) {
      const kind = log.stepKind.get(s);
      if (kind === StepKind.Resume) {
        const p = this.pushOf.get(s);
        if (p >= 0) {
          const at = stack.lastIndexOf(p);
          if (at >= 0) stack.length = at;
        }
      } else if (kind === StepKind.Walk) {
        stack.length = 0;
      }
      if (this.popOf.get(s) >= 0) {
        below[s] = stack.length ? stack[stack.length - 1] : -1;
        stack.push(s);
      }
      top[s] = stack.length ? stack[stack.length - 1] : -1;
    }
    this.topAt = top;
    this.below = below;
    this.finished = true;
  }

  /**
   * The pending branches after step `s`, bottom first, as push steps. Exact
   * once the log is finished; before that, the pushes whose pops were
   * already read.
   */
  pendingAt(s: number): number[] {
    if (s < 0) return [];
    if (this.topAt && this.below && s < this.topAt.length) {
      const out: number[] = [];
      for (let p = this.topAt[s]; p >= 0; p = this.below[p]) out.push(p);
      return out.reverse();
    }
    const out: number[] = [];
    for (let k = 0; k < this.pushes.length; k++) {
      const p = this.pushes.get(k);
      if (p <= s && this.popOf.get(p) > s) out.push(p);
    }
    return out.sort((a, b) => a - b);
  }

  /** The nodes (steps) of the path ending at node `s`, from its root. */
  pathSteps(s: number): number[] {
    const out: number[] = [];
    for (let n = s; n >= 0; n = this.parent.get(n)) out.push(n);
    return out.reverse();
  }
}
