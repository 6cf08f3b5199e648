/**
 * What `bpfscope log` reports about one log: the verdict and the error, the
 * failing instruction and its source line, the decisions on the path that
 * led to it, the hottest instructions and loops, the statistics, the lines
 * the reader could not place, and the backward slice ({@link sliceError}).
 *
 * @module
 */
import { parseLogInsn } from "./insn.ts";
import { LineKind } from "./lines.ts";
import { type KernLog, type SourceLine, StepKind } from "./parser.ts";
import { type Slice, sliceError } from "./slice.ts";

/** An instruction with its text and source line. */
export interface InsnRef {
  /** Index. */
  insn: number;
  /** Kernel-style text (`(07) r2 += -8`). */
  text: string;
  /** C source line, if the log has one. */
  source: SourceLine | null;
}

/** A decision on the path to the error. */
export interface PathDecision extends InsnRef {
  /** `taken` / `not taken` for a conditional jump, `call` / `return` for bpf-to-bpf calls, `resumed` where a pending branch was resumed. */
  what: "taken" | "not taken" | "call" | "return";
  /** The instruction the path went on to. */
  next: number;
  /** Times in a row the path took this decision (a loop). */
  times: number;
}

/** A loop: a back-edge and how often the walk took it. */
export interface LoopHeat {
  /** The loop head (the back-edge's target). */
  head: number;
  /** The instruction of the back-edge. */
  from: number;
  /** Times the walk took the back-edge. */
  taken: number;
  /** Times the head was processed. */
  headVisits: number;
}

/** A log's summary. */
export interface LogSummary {
  /** Program name (from libbpf or veristat), or null. */
  name: string | null;
  /** Log level inferred from the content (1 or 2). */
  level: number;
  /** `accepted`, `rejected`, or `incomplete` (no error and no statistics: a cut log). */
  verdict: "accepted" | "rejected" | "incomplete";
  /** errno reported by the loader, if any. */
  errno: string | null;
  /** The error message, or null. */
  error: string | null;
  /** The instruction the error is at, or null. */
  errorAt: InsnRef | null;
  /** Statistics lines. */
  stats: KernLog["stats"];
  /** Instructions processed according to the visit counts. */
  visits: number;
  /** Instruction slots seen in the log. */
  insns: number;
  /** Paths pruned (`safe`). */
  prunes: number;
  /** Pending branches resumed (`from X to Y`). */
  resumes: number;
  /** Nodes on the path to the error (or to the last instruction). */
  pathLength: number;
  /** The last decisions on that path (oldest first). */
  path: PathDecision[];
  /** Decisions on the path before those shown (runs of one decision count once). */
  pathOmitted: number;
  /** The most processed instructions (those processed more than once). */
  hot: Array<InsnRef & { visits: number }>;
  /** Loops, most taken first. */
  loops: LoopHeat[];
  /** Lines not recognised: 1-based line numbers in the input and their text. */
  unknown: Array<{ line: number; text: string }>;
  /** The backward slice of the error, or null. */
  slice: Slice | null;
}

/** Options of {@link summarize}. */
export interface SummaryOptions {
  /** How many hot instructions and loops (default 8). */
  top?: number;
  /** How many path decisions (default 12). */
  decisions?: number;
  /** Compute the slice (default true). */
  explain?: boolean;
}

function ref(log: KernLog, insn: number): InsnRef {
  return { insn, text: log.insnText[insn] ?? "", source: log.sourceFor(insn) };
}

/** Summarise a finished log. */
export function summarize(log: KernLog, opts: SummaryOptions = {}): LogSummary {
  const top = opts.top ?? 8;
  const nDec = opts.decisions ?? 12;
  const p = log.paths;
  let prunes = 0, resumes = 0, lastNode = -1, errStep = -1;
  for (let s = 0; s < log.steps; s++) {
    const k = log.stepKind.get(s);
    if (k === StepKind.Prune) prunes++;
    else if (k === StepKind.Resume) resumes++;
    else if (k === StepKind.Error) errStep = s;
    if ((k === StepKind.Visit || k === StepKind.Unprinted || k === StepKind.Prune) && errStep < 0) lastNode = s;
  }
  let visits = 0;
  for (let i = 0; i < p.visits.length; i++) visits += p.visits.get(i);
  const rejected = log.rejected;
  const verdict = rejected ? "rejected" : log.stats.processed !== null ? "accepted" : "incomplete";
  // the path to the error (or to where the log ends): its decisions, runs of the same one folded
  const nodes = lastNode >= 0 ? p.pathSteps(lastNode) : [];
  const insnCache = new Map<number, ReturnType<typeof parseLogInsn>>();
  const insnAt = (i: number) => {
    let x = insnCache.get(i);
    if (!x) insnCache.set(i, x = parseLogInsn(log.insnText[i] ?? ""));
    return x;
  };
  const decisions: PathDecision[] = [];
  for (let k = 0; k + 1 < nodes.length; k++) {
    const s = nodes[k], n = nodes[k + 1];
    const insn = log.stepInsn.get(s), next = log.stepInsn.get(n);
    const x = insnAt(insn);
    let what: PathDecision["what"] | null = null;
    // may_goto decides as a conditional jump: the jump once the budget is used up, else the fall-through
    if (x.op === "cond" || x.op === "may_goto") what = next === insn + 1 && x.off !== 0 ? "not taken" : "taken";
    else if (x.op === "call_sub") what = "call";
    else if (x.op === "exit" && p.depth.get(n) < p.depth.get(s)) what = "return";
    if (what === null) continue;
    const prev = decisions[decisions.length - 1];
    if (prev && prev.insn === insn && prev.what === what && prev.next === next) prev.times++;
    else decisions.push({ ...ref(log, insn), what, next, times: 1 });
  }
  // heat
  const order: number[] = [];
  for (let i = 0; i < p.visits.length; i++) if (p.visits.get(i) > 0) order.push(i);
  order.sort((a, b) => p.visits.get(b) - p.visits.get(a) || a - b);
  // heat tells something only about instructions processed more than once
  const hot = order.filter((i) => p.visits.get(i) > 1).slice(0, top).map((i) => ({
    ...ref(log, i),
    visits: p.visits.get(i),
  }));
  // loops: back-edges taken between consecutive nodes of a path
  const back = new Map<number, number>();
  for (let s = 0; s < log.steps; s++) {
    const par = p.parent.get(s);
    if (par < 0) continue;
    const a = log.stepInsn.get(par), b = log.stepInsn.get(s);
    if (b <= a && p.depth.get(s) === p.depth.get(par)) {
      const key = a * 0x100000 + b;
      back.set(key, (back.get(key) ?? 0) + 1);
    }
  }
  const loops = [...back].map(([key, taken]) => {
    const from = Math.floor(key / 0x100000), head = key % 0x100000;
    return { head, from, taken, headVisits: p.visits.get(head) };
  }).sort((a, b) => b.taken - a.taken).slice(0, top);
  const unknown = log.unknown.map((i) => ({ line: log.lineBase + i + 1, text: log.lines.get(i) }));
  const errIns = log.errorInsn >= 0 ? ref(log, log.errorInsn) : null;
  return {
    name: log.name,
    level: log.level,
    verdict,
    errno: log.errno,
    error: log.errorLines.length ? log.errorText : null,
    errorAt: rejected ? errIns : null,
    stats: log.stats,
    visits,
    insns: log.insnCount,
    prunes,
    resumes,
    pathLength: nodes.length,
    path: decisions.slice(-nDec),
    pathOmitted: Math.max(0, decisions.length - nDec),
    hot,
    loops,
    unknown,
    slice: rejected && opts.explain !== false ? sliceError(log) : null,
  };
}

/** Whether any line of the log is the verifier's (for telling a log from other text). */
export function verifierLineCount(log: KernLog): number {
  let n = 0;
  for (let i = 0; i < log.lines.length; i++) {
    const k = log.kind(i);
    if (
      k !== LineKind.Unknown && k !== LineKind.Blank && k !== LineKind.Libbpf && k !== LineKind.Tool &&
      k !== LineKind.Begin && k !== LineKind.End && k !== LineKind.Veristat
    ) n++;
  }
  return n;
}
