/**
 * Explaining a rejection: the backward slice from the error to the
 * instruction that gave the offending register its type or range.
 *
 * The error message names the offending register (`R0 invalid mem access
 * 'map_value_or_null'`, `invalid access to packet, ..., R2(...)`, `R1
 * !read_ok`), or it is the base register of the failing load or store
 * (`invalid access to map value`, `invalid bpf_context access`). From the
 * failing instruction the slice walks back along the path that led there
 * ({@link PathBuilder.pathSteps}) and follows the value: through register
 * copies (`r6 = r0`), fills from the stack (`r1 = *(u64 *)(r10 -16)`) to
 * the spill that stored it (`*(u64 *)(r10 -16) = r0`), across bpf-to-bpf
 * calls (arguments r1..r5, the return value r0), until it reaches the
 * instruction that made the value what the error is about:
 * - a type error (a NULL-able, scalar or wrong-typed pointer): the
 *   instruction that created the value (a helper's return, a load, a
 *   constant, a copy of the frame pointer, arithmetic that changed the type:
 *   `r3 -= r2` of two packet pointers), passing over arithmetic that
 *   keeps the type;
 * - a range error (outside a map value, the packet, the stack, the allowed
 *   return values): the last instruction that changed the range (pointer
 *   arithmetic, a masking op, a branch that narrowed the register as its own
 *   line shows, or the bounds check that gave a packet pointer its `r=`),
 *   with the operand that brought the range followed further;
 * - an uninitialised register: the call that clobbered it, or the entry;
 * - a leaked reference: the call that acquired it;
 * - an access the program type does not allow at that place of the context
 *   (`invalid bpf_context access`): the access itself (the context pointer
 *   is the one the program got, nothing earlier made it wrong).
 *
 * When a helper's memory argument is out of bounds (`invalid write to stack
 * R1 off=-16 size=32`) and the next argument holds the size the message
 * names, that size register is followed too, as an operand of the slice.
 *
 * The origin is -1 when the value comes from the entry of the program (the
 * context in R1) or of the subprogram.
 *
 * @module
 */
import { type LogInsn, parseLogInsn, regsWritten } from "./insn.ts";
import { type KernLog, type SourceLine, StepKind } from "./parser.ts";
import { StateTracker, type TrackedState } from "./state.ts";
import { isSlotTypes, parseRegValue } from "./value.ts";

/** Which property of the value the error is about. */
export type SliceKind = "type" | "range" | "init" | "ref" | "access" | "none";

/** What a slice kind is about, in words (`its type`, ...). */
export function sliceKindWords(kind: SliceKind): string {
  switch (kind) {
    case "type":
      return "its type";
    case "range":
      return "its range";
    case "init":
      return "not initialised";
    case "ref":
      return "a reference";
    case "access":
      return "the access itself";
    case "none":
      return "no slice";
  }
}

/** One link of the chain, from the error back to the origin. */
export interface SliceLink {
  /** The step of the log (a node of the path). */
  step: number;
  /** The instruction index. */
  insn: number;
  /** Its kernel-style text (`(bf) r6 = r0`). */
  text: string;
  /** Its C source line, when the log has them. */
  source: SourceLine | null;
  /** What the link is. */
  role: "error" | "copy" | "fill" | "spill" | "arith" | "arg" | "return" | "narrow" | "origin";
  /** The location followed before this instruction (`r0`, `fp-16`); for the error, the offending one. */
  loc: string;
  /** The value of that location right after the instruction, as the log printed it, or null. */
  value: string | null;
  /** The link in words. */
  note: string;
}

/** A backward slice. */
export interface Slice {
  /** The error message (its lines joined). */
  error: string;
  /** The failing instruction (-1 if none). */
  errorInsn: number;
  /** What the error is about. */
  kind: SliceKind;
  /** The offending location at the error (`r0`, `fp-8`), or null. */
  loc: string | null;
  /** The chain from the error (first) to the origin (last). */
  chain: SliceLink[];
  /** The origin instruction: -1 for the entry of the program or subprogram, null when none was found. */
  origin: number | null;
  /**
   * With origin -1 at the start of the path: the global function whose own walk (`Validating f() func#N...`)
   * the path begins in, whose arguments come from its BTF prototype; null for the program's entry.
   */
  entryGlobal?: string | null;
  /** Slices of the operands that brought a range (e.g. `r1` of `r0 += r1`). */
  operands: Slice[];
}

type Loc = { reg: number; off?: undefined } | { reg: -1; off: number };

function locName(l: Loc): string {
  return l.reg >= 0 ? `r${l.reg}` : `fp${l.off}`;
}

interface ErrorFacts {
  kind: SliceKind;
  reg: number;
  /** The error's own packet pointer range (`r=N` of `invalid access to packet`), -1 if none. */
  pktRange: number;
  /** The access offset the packet error names (`off=N` in `R2(id=0,off=N,r=M)`). */
  pktOff: number;
  /** Alloc insn named by the message. */
  allocInsn: number;
  /** The failing instruction itself is where the value was last defined (pointer arithmetic errors). */
  skipFailing: boolean;
}

/** The base register of a memory access (-1 if it is none). */
function memBase(x: LogInsn): number {
  if (x.op === "load") return x.src;
  if (x.op === "store" || x.op === "store_imm" || x.op === "atomic") return x.dst;
  return -1;
}

/** What the error is about, read from its message and the failing instruction. */
export function errorFacts(msg: string, x: LogInsn | null): ErrorFacts {
  const f: ErrorFacts = { kind: "none", reg: -1, pktRange: -1, pktOff: 0, allocInsn: -1, skipFailing: false };
  let m: RegExpExecArray | null;
  if ((m = /invalid access to packet, off=-?\d+ size=\d+, R(\d+)\(id=\d+,off=(-?\d+),r=(\d+)\)/.exec(msg))) {
    return { ...f, kind: "range", reg: Number(m[1]), pktRange: Number(m[3]), pktOff: Number(m[2]) };
  }
  if ((m = /^R(\d+) !read_ok/m.exec(msg))) return { ...f, kind: "init", reg: Number(m[1]) };
  if ((m = /Unreleased reference id=\d+ alloc_insn=(\d+)/.exec(msg))) {
    return { ...f, kind: "ref", allocInsn: Number(m[1]) };
  }
  if (/reference leak|Unreleased reference|unreleased reference/.test(msg)) return { ...f, kind: "ref" };
  if (
    (m = /^R(\d+) (?:pointer arithmetic|bitwise operator|32-bit pointer arithmetic|pointer \S+ pointer prohibited)/m
      .exec(msg))
  ) {
    return { ...f, kind: "type", reg: Number(m[1]), skipFailing: true };
  }
  if (
    (m = /^R(\d+) (?:invalid mem access|type=|is not a|has unknown|leaks addr|tried to|invalid zero-sized)/m.exec(msg))
  ) {
    return { ...f, kind: "type", reg: Number(m[1]) };
  }
  if ((m = /^R(\d+) (?:min value is|max value is|unbounded memory access|offset is outside|unbounded)/m.exec(msg))) {
    return { ...f, kind: "range", reg: Number(m[1]) };
  }
  if ((m = /(?:to|from) stack R(\d+)|stack R(\d+) off/.exec(msg))) {
    return { ...f, kind: "range", reg: Number(m[1] ?? m[2]) };
  }
  if ((m = /At (?:sub)?program exit the register R(\d+) (is not a scalar|is not a known value)?/.exec(msg))) {
    return { ...f, kind: m[2] ? "type" : "range", reg: Number(m[1]) };
  }
  if (/cannot return stack pointer/.test(msg)) return { ...f, kind: "type", reg: 0 };
  if (/invalid access to map value|invalid access to memory|value_size=/.test(msg) && x) {
    return { ...f, kind: "range", reg: memBase(x) };
  }
  if (/invalid bpf_context access/.test(msg) && x) return { ...f, kind: "access", reg: memBase(x) };
  if (/dereference of modified ctx ptr/.test(msg) && x) return { ...f, kind: "type", reg: memBase(x) };
  if (/math between .* pointer and/.test(msg) && x) return { ...f, kind: "range", reg: x.dst };
  if ((m = /\bR(\d+)\b/.exec(msg.split("\n")[0]))) return { ...f, kind: "type", reg: Number(m[1]) };
  return f;
}

/** The text of a location in a reconstructed state (frame `frame`), or null. */
function valueIn(st: TrackedState, frame: number, l: Loc): string | null {
  const f = st.frames[frame];
  if (!f) return null;
  return l.reg >= 0 ? f.regs[l.reg] : f.slots.get(l.off!) ?? null;
}

/** Where a spilled slot's value sits when the slot is `fp-N=????scalar(...)`: drop the slot characters. */
function slotValue(text: string | null): string | null {
  if (text === null || isSlotTypes(text)) return text;
  const m = /^[?rm0dif]{0,7}(?=[a-zP0-9-])/.exec(text);
  return m ? text.slice(m[0].length) : text;
}

/** The kind of a value's text (`scalar`, `pkt`, ...), or null when there is none or it does not parse. */
function kindOf(text: string | null): string | null {
  if (text === null) return null;
  try {
    return parseRegValue(text).kind;
  } catch {
    return null;
  }
}

/** The checked range (`r=`) of a packet pointer's text, or -1. */
function pktRangeOf(text: string): number {
  try {
    const v = parseRegValue(text);
    return v.kind === "pkt" || v.kind === "pkt_meta" ? v.range : -1;
  } catch {
    return -1;
  }
}

/** Builds slices of one log. */
class Slicer {
  readonly log: KernLog;
  readonly tracker: StateTracker;
  readonly path: number[];
  constructor(log: KernLog, path: number[]) {
    this.log = log;
    this.tracker = new StateTracker(log);
    this.path = path;
  }

  readonly #insns = new Map<number, LogInsn>();
  insnOf(k: number): LogInsn {
    const i = this.log.stepInsn.get(this.path[k]);
    let x = this.#insns.get(i);
    if (!x) this.#insns.set(i, x = parseLogInsn(this.log.insnText[i] ?? ""));
    return x;
  }
  depthOf(k: number): number {
    return this.log.paths.depth.get(this.path[k]);
  }
  lineOf(k: number): number {
    return this.log.stepLine.get(this.path[k]);
  }
  /**
   * Whether the path begins at the entry of the program (insn 0) or of a
   * function, rather than where an excerpt of a log happens to start.
   */
  startsAtEntry(): boolean {
    if (!this.path.length) return false;
    const first = this.path[0];
    const insn = this.log.stepInsn.get(first);
    if (insn === 0 || this.log.funcs.some((f) => f.start === insn && f.index > 0)) return true;
    for (let s = first - 1; s >= 0; s--) {
      if (this.log.stepKind.get(s) === StepKind.Walk) return this.log.stepAux.get(s) > 0; // Validating func#N
    }
    return false;
  }

  /**
   * The global function whose own walk (`Validating f() func#N...`) the path
   * begins in, or null when it begins in the main program's walk.
   */
  globalWalk(): string | null {
    if (!this.path.length) return null;
    for (let s = this.path[0] - 1; s >= 0; s--) {
      if (this.log.stepKind.get(s) !== StepKind.Walk) continue;
      if (this.log.stepAux.get(s) <= 0) return null;
      const m = /^Validating (.*)\(\) func#\d+\.\.\.$/.exec(this.log.lines.get(this.log.stepLine.get(s)));
      return m ? m[1] : null;
    }
    return null;
  }

  /**
   * Whether path node `k` (in frame `d`) stores into slot `off` of frame
   * `frame`: through r10 of that frame, or through a register whose value
   * before the store is a pointer to it (`fp-16`, `fp[0]-16`).
   */
  storesTo(k: number, d: number, frame: number, off: number): boolean {
    const x = this.insnOf(k);
    if ((x.op !== "store" && x.op !== "store_imm") || x.size !== 8) return false;
    if (x.dst === 10) return d === frame && x.off === off;
    const v = valueIn(this.before(k), d, { reg: x.dst });
    const m = v === null ? null : /^fp(?:\[(\d+)\])?(-?\d+)$/.exec(v);
    if (!m) return false;
    const target = m[1] !== undefined ? Number(m[1]) : d;
    return target === frame && Number(m[2]) + x.off === off;
  }

  /** The state before path node k. */
  before(k: number): TrackedState {
    return this.tracker.at(this.lineOf(k));
  }
  /** The state after path node k (before the next node, or at the next line for the last). */
  after(k: number): TrackedState {
    const next = k + 1 < this.path.length ? this.lineOf(k + 1) : this.lineOf(k) + 1;
    return this.tracker.at(next);
  }
  link(k: number, role: SliceLink["role"], loc: Loc, note: string, frame: number): SliceLink {
    const s = this.path[k];
    const insn = this.log.stepInsn.get(s);
    const v = valueIn(this.after(k), frame, loc);
    return {
      step: s,
      insn,
      text: this.log.insnText[insn] ?? "",
      source: this.log.sourceFor(insn),
      role,
      loc: locName(loc),
      value: loc.reg >= 0 ? v : slotValue(v),
      note,
    };
  }

  /**
   * Follow `loc` (in frame `frame`) backwards from path node `from`
   * (exclusive) and return the chain and the origin.
   */
  follow(from: number, loc0: Loc, frame0: number, kind: SliceKind, facts: ErrorFacts, depthLeft: number): {
    chain: SliceLink[];
    origin: number | null;
    operands: Slice[];
    entryGlobal?: string | null;
  } {
    const chain: SliceLink[] = [];
    const operands: Slice[] = [];
    let loc = loc0;
    let frame = frame0;
    let lastPktCheck = -1;
    for (let k = from - 1; k >= 0; k--) {
      const d = this.depthOf(k);
      const x = this.insnOf(k);
      if (d > frame) {
        // inside a callee called after the point we follow: its return value, or a store it made
        // into our frame through a pointer it was passed, is all that matters
        if (loc.reg === 0 && this.depthOf(k + 1) === frame) {
          frame = d;
          chain.push(this.link(k, "return", loc, `r0 returned by the subprogram`, frame));
        } else if (loc.reg < 0 && this.storesTo(k, d, frame, loc.off!)) {
          // handled below as a store into the followed slot
        } else continue;
      }
      if (d < frame) {
        // we left the callee through its entry: r1..r5 are the caller's arguments
        if (loc.reg >= 1 && loc.reg <= 5) {
          frame = d;
          chain.push(this.link(k, "arg", loc, `${locName(loc)} passed as an argument by the call`, frame));
          continue;
        }
        return { chain, origin: -1, operands };
      }
      const name = locName(loc);
      if (loc.reg >= 0) {
        const r = loc.reg;
        if (x.op === "call" || x.op === "call_sub" || x.op === "ld_abs") {
          if (r === 0 && x.op !== "call_sub") {
            chain.push(this.link(k, "origin", loc, `r0 is the return value of ${x.oper || "the call"}`, frame));
            return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
          }
          if (r >= 1 && r <= 5) {
            chain.push(this.link(k, "origin", loc, `${name} is not kept across a call (r1..r5 are scratched)`, frame));
            return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
          }
          continue;
        }
        if (!regsWritten(x).includes(r)) {
          // a branch on the register narrowed it (its line prints the narrowed value); when the log printed
          // no value before it (a level-1 log of 4.x/5.x prints states only after branches), a packet pointer
          // with the range the error names after it is the one this bounds check gave
          if (kind === "range" && x.op === "cond" && (x.dst === r || x.src === r)) {
            const b = valueIn(this.before(k), frame, loc), a = valueIn(this.after(k), frame, loc);
            if (a !== null && (b !== null ? a !== b : facts.pktRange > 0 && pktRangeOf(a) === facts.pktRange)) {
              chain.push(this.link(k, "narrow", loc, `the branch narrowed ${name}`, frame));
              return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
            }
          }
          if (facts.pktRange > 0 && x.op === "cond" && x.src >= 0 && lastPktCheck < 0) {
            const st = this.before(k);
            const t1 = valueIn(st, frame, { reg: x.dst }) ?? "", t2 = valueIn(st, frame, { reg: x.src }) ?? "";
            if (
              /^pkt(?:_meta)?[(]/.test(t1) && t2.startsWith("pkt_end") ||
              /^pkt(?:_meta)?[(]/.test(t2) && t1.startsWith("pkt_end")
            ) {
              lastPktCheck = k;
            }
          }
          continue;
        }
        if (kind === "init") {
          chain.push(this.link(k, "origin", loc, `${name} was last written here`, frame));
          return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
        }
        if (x.op === "mov_reg" && !/\(s\d+\)/.test(x.text)) {
          if (x.src === 10) {
            chain.push(this.link(k, "origin", loc, `${name} = r10: a pointer to the stack`, frame));
            return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
          }
          chain.push(this.link(k, "copy", loc, `${name} copied from r${x.src}`, frame));
          loc = { reg: x.src };
          continue;
        }
        if (x.op === "load" && x.src === 10) {
          const slot = { reg: -1 as const, off: x.off };
          const sv = valueIn(this.before(k), frame, slot);
          // a slot the log never printed (an excerpt) is followed as a spill: its store may be earlier
          if (sv === null || !isSlotTypes(sv)) {
            chain.push(this.link(k, "fill", loc, `${name} filled from fp${x.off}`, frame));
            loc = slot;
            continue;
          }
          chain.push(
            this.link(k, "origin", loc, `${name} loaded from stack bytes fp${x.off} (not a spilled register)`, frame),
          );
          return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
        }
        if (x.op === "alu" && kind === "type") {
          // arithmetic that changed the type is the origin (`r3 -= r2` of two packet pointers is a number);
          // other arithmetic keeps it and the value is followed further
          const b = kindOf(valueIn(this.before(k), frame, loc)), a = kindOf(valueIn(this.after(k), frame, loc));
          if (a !== null && b !== null && a !== b) {
            chain.push(
              this.link(
                k,
                "origin",
                loc,
                `${name} ${x.oper} ${x.src >= 0 ? "r" + x.src : x.imm} turned ${name} (${b}) into a ${a}`,
                frame,
              ),
            );
            return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
          }
          chain.push(this.link(k, "arith", loc, `arithmetic on ${name} keeps its type`, frame));
          continue;
        }
        if (x.op === "alu" && kind === "range" && facts.pktRange > 0 && lastPktCheck >= 0) {
          // the packet range came from a later bounds check, not from this arithmetic
          break;
        }
        // the value was made here
        const what = x.op === "load"
          ? `${name} loaded from memory at r${x.src}${x.off < 0 ? x.off : "+" + x.off}`
          : x.op === "alu"
          ? `${name} ${
            x.oper === "neg"
              ? "negated"
              : x.oper === "end"
              ? "byte-swapped"
              : `${x.oper} ${x.src >= 0 ? "r" + x.src : x.imm}`
          } sets its range`
          : x.op === "ld_imm64"
          ? `${name} = ${x.oper}`
          : x.op === "mov_imm"
          ? `${name} = ${x.imm}`
          : `${name} written`;
        if (kind === "range" && facts.pktRange > 0 && lastPktCheck >= 0) break;
        chain.push(this.link(k, "origin", loc, what, frame));
        if (kind === "range" && x.op === "alu" && depthLeft > 0) {
          // the range came from the operand (r0 += r1: r1), or from the register's value before (r1 <<= 3)
          const from = x.src >= 0 && x.src !== 10
            ? x.src
            : x.oper === "neg" || x.oper === "end" || x.src < 0
            ? x.dst
            : -1;
          if (from >= 0) {
            const sub = this.follow(k, { reg: from }, frame, "range", { ...facts, pktRange: -1 }, depthLeft - 1);
            operands.push({
              error: "",
              errorInsn: this.log.stepInsn.get(this.path[k]),
              kind: "range",
              loc: `r${from}`,
              chain: sub.chain,
              origin: sub.origin,
              operands: sub.operands,
            });
          }
        }
        return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
      } else {
        // a stack slot: find the store that wrote it (through r10, a copy of it, or a pointer into
        // this frame that a callee was passed)
        const off = loc.off!;
        if (this.storesTo(k, d, frame, off)) {
          const via = d === frame ? "" : ` (by the called function, through r${x.dst})`;
          if (x.op === "store") {
            chain.push(this.link(k, "spill", { reg: x.src }, `r${x.src} stored to fp${off}${via}`, d));
            loc = { reg: x.src };
            frame = d;
            continue;
          }
          chain.push(this.link(k, "origin", loc, `fp${off} = ${x.imm}${via}`, frame));
          return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
        }
        if (x.op === "call") {
          const b = valueIn(this.before(k), frame, loc), a = valueIn(this.after(k), frame, loc);
          if (a !== b) {
            chain.push(this.link(k, "origin", loc, `fp${off} written by ${x.oper}`, frame));
            return { chain, origin: this.log.stepInsn.get(this.path[k]), operands };
          }
        }
      }
    }
    if (lastPktCheck >= 0) {
      chain.push(
        this.link(
          lastPktCheck,
          "narrow",
          loc,
          `this bounds check gave ${locName(loc)} its packet range (r=${facts.pktRange} at the error)`,
          frame,
        ),
      );
      // the log does not print the checked pointer again: its value here would be the one from before the check
      chain[chain.length - 1].value = null;
      return { chain, origin: this.log.stepInsn.get(this.path[lastPktCheck]), operands };
    }
    // the start of the path: the program's entry, unless the log is an excerpt that starts later
    if (!this.startsAtEntry()) return { chain, origin: null, operands };
    return { chain, origin: -1, operands, entryGlobal: this.globalWalk() };
  }
}

/** The failing node of a finished log (the last processed instruction before the error), or -1. */
function failingNode(log: KernLog): number {
  let err = -1;
  for (let s = log.steps - 1; s >= 0; s--) {
    if (log.stepKind.get(s) === StepKind.Error) {
      err = s;
      break;
    }
  }
  if (err < 0) return -1;
  for (let s = err - 1; s >= 0; s--) {
    const k = log.stepKind.get(s);
    if (k === StepKind.Visit || k === StepKind.Unprinted || k === StepKind.Prune) return s;
  }
  return -1;
}

/** The backward slice of a rejected log's error, or null when the log shows no error. */
export function sliceError(log: KernLog): Slice | null {
  if (!log.errorLines.length) return null;
  const error = log.errorText;
  const fail = failingNode(log);
  const failInsn = fail >= 0 ? log.stepInsn.get(fail) : -1;
  const x = failInsn >= 0 ? parseLogInsn(log.insnText[failInsn] ?? "") : null;
  const facts = errorFacts(error, x);
  const base: Slice = {
    error,
    errorInsn: log.errorInsn,
    kind: facts.kind,
    loc: facts.reg >= 0 ? `r${facts.reg}` : null,
    chain: [],
    origin: null,
    operands: [],
  };
  if (fail < 0) return base;
  const path = log.paths.pathSteps(fail);
  const sl = new Slicer(log, path);
  const last = path.length - 1;
  const frame = sl.depthOf(last);
  base.chain.push(
    sl.link(last, "error", facts.reg >= 0 ? { reg: facts.reg } : { reg: 0 }, error.split("\n")[0], frame),
  );
  if (base.chain[0]) {
    // the packet pointer's checked range as the error message gives it (the log's last print of the
    // register may predate the check; the message's off= is the access's offset, not the register's)
    base.chain[0].value = facts.pktRange >= 0
      ? `pkt(r=${facts.pktRange})`
      : facts.reg >= 0
      ? valueIn(sl.before(last), frame, { reg: facts.reg })
      : null;
  }
  if (facts.kind === "ref") {
    const origin = facts.allocInsn >= 0 ? facts.allocInsn : refOrigin(sl, path);
    base.origin = origin;
    if (origin !== null) {
      const k = path.findIndex((s) => log.stepInsn.get(s) === origin);
      if (k >= 0) base.chain.push(sl.link(k, "origin", { reg: 0 }, "the reference was acquired here", sl.depthOf(k)));
    }
    return base;
  }
  if (facts.reg < 0) {
    base.origin = null;
    return base;
  }
  if (facts.kind === "access") {
    base.chain.push(
      sl.link(last, "origin", { reg: facts.reg }, "the access itself: not allowed at this place of the context", frame),
    );
    base.origin = failInsn;
    return base;
  }
  const r = sl.follow(last, { reg: facts.reg }, frame, facts.kind, facts, 4);
  base.chain.push(...r.chain);
  base.origin = r.origin;
  if (r.entryGlobal !== undefined) base.entryGlobal = r.entryGlobal;
  base.operands = r.operands;
  const size = helperSizeReg(sl, last, frame, x, facts, error);
  if (size >= 0) {
    const sub = sl.follow(last, { reg: size }, frame, "range", { ...facts, pktRange: -1 }, 3);
    base.operands.push({
      error: "",
      errorInsn: failInsn,
      kind: "range",
      loc: `r${size}`,
      chain: sub.chain,
      origin: sub.origin,
      operands: sub.operands,
    });
  }
  return base;
}

/**
 * The register holding the size of a helper's out-of-bounds memory argument:
 * the kernel checks a memory argument with the size in the argument after it
 * (`ARG_PTR_TO_MEM` + `ARG_CONST_SIZE`), so R(n+1) when its value before the
 * call is the size the message names; -1 otherwise (a map key or value, whose
 * size is the map's).
 */
function helperSizeReg(
  sl: Slicer,
  last: number,
  frame: number,
  x: LogInsn | null,
  facts: ErrorFacts,
  error: string,
): number {
  if (!x || x.op !== "call" || facts.kind !== "range" || facts.reg < 1 || facts.reg > 4) return -1;
  const m = /\bsize[= ](\d+)/.exec(error);
  if (!m) return -1;
  const text = valueIn(sl.before(last), frame, { reg: facts.reg + 1 });
  if (text === null) return -1;
  try {
    const v = parseRegValue(text);
    return v.kind === "scalar" && v.umax === BigInt(m[1]) ? facts.reg + 1 : -1;
  } catch {
    return -1;
  }
}

/** The call that acquired a reference still held at the error: the first node whose result has a ref_obj_id in `refs=`. */
function refOrigin(sl: Slicer, path: number[]): number | null {
  const st = sl.before(path.length - 1);
  const refs = (st.refs ?? "").split(",").filter((x) => x);
  for (let k = 0; k < path.length; k++) {
    const x = sl.insnOf(k);
    if (x.op !== "call") continue;
    const after = sl.after(k);
    const f = after.frames[sl.depthOf(k)];
    const r0 = f?.regs[0] ?? "";
    const m = /ref_obj_id=(\d+)/.exec(r0);
    if (m && (refs.length === 0 || refs.includes(m[1]))) return sl.log.stepInsn.get(path[k]);
    // an iterator or dynptr on the stack gets its ref_id there
    for (const v of f?.slots.values() ?? []) {
      const n = /ref_id=(\d+)/.exec(v);
      if (n && (refs.length === 0 || refs.includes(n[1]))) return sl.log.stepInsn.get(path[k]);
    }
  }
  return null;
}
