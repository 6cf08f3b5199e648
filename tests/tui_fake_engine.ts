/**
 * A small stand-in for the verifier's stepping engine, for TUI tests: a
 * depth-first walk with a pending stack, 3.18 pruning points, states that
 * track only a few register types, and a misalignment check. Not the
 * verifier: just enough behaviour to drive the timeline and the views.
 *
 * @module
 */
import type { PendingView, StateView, StepEngine, VerdictView, WalkEvent } from "../tui/engine.ts";
import type { Program } from "../core/isa/mod.ts";

const JA = 0x05, EXIT = 0x95, CALL = 0x85;

function isCondJump(code: number): boolean {
  return (code & 7) === 5 && code !== JA && code !== EXIT && code !== CALL;
}

interface Core {
  regs: Record<number, string>;
}

/** The fake engine. */
export class FakeEngine implements StepEngine {
  readonly len: number;
  readonly limit: number;
  done = false;
  pc = -1;
  processed = 0;
  stored = 0;
  prunes = 0;
  #p: Program;
  #pruning: boolean;
  #counts: Int32Array;
  #points: Uint8Array;
  #cur: Core = { regs: { 1: "ctx", 10: "fp" } };
  #next = 0;
  #ended = false;
  #storedHere = false;
  #pending: Array<{ from: number; to: number; st: Core }> = [];
  #explored: Map<number, string[]> = new Map();
  #log: string[] = [];
  #matched: Core | null = null;
  #verdict: VerdictView | null = null;
  #last: WalkEvent = "insn";

  constructor(p: Program, opts: { pruning: boolean; limit?: number }) {
    this.#p = p;
    this.len = p.len;
    this.limit = opts.limit ?? 32768;
    this.#pruning = opts.pruning;
    this.#counts = new Int32Array(p.len);
    this.#points = new Uint8Array(p.len + 1);
    for (let i = 0; i < p.len; i++) {
      const c = p.code(i);
      if (isCondJump(c)) this.#points[i + p.off(i) + 1] = 1;
      if (c === JA) this.#points[i + 1] = 1;
      if (c === 0x18) i++;
    }
  }

  #line(s: Core): string {
    return Object.keys(s.regs).map(Number).sort((a, b) => a - b).map((r) => ` R${r}=${s.regs[r]}`).join("");
  }

  step(): WalkEvent {
    if (this.done) return this.#last;
    this.#matched = null;
    if (this.#ended) {
      const e = this.#pending.pop();
      if (!e) {
        this.done = true;
        this.#verdict = { accepted: true };
        return (this.#last = "accept");
      }
      this.#cur = e.st;
      this.#next = e.to;
      this.#ended = false;
      this.#storedHere = false;
      this.pc = e.to;
      this.#log.push("", `from ${e.from} to ${e.to}:${this.#line(e.st)}`);
      return (this.#last = "resume");
    }
    const i = this.#next;
    this.pc = i;
    if (this.#pruning && this.#points[i] && !this.#storedHere) {
      const key = this.#line(this.#cur);
      const list = this.#explored.get(i) ?? [];
      if (list.includes(key)) {
        this.prunes++;
        this.#matched = { regs: { ...this.#cur.regs } };
        this.#ended = true;
        this.#log.push(`${i}: safe`);
        return (this.#last = "prune");
      }
      list.unshift(key);
      this.#explored.set(i, list);
      this.stored++;
      this.#storedHere = true;
      return (this.#last = "store");
    }
    this.#storedHere = false;
    this.processed++;
    this.#counts[i]++;
    if (this.processed > this.limit) {
      return this.#fail(`BPF program is too large. Proccessed ${this.processed} insn`, "E2BIG", i);
    }
    const p = this.#p, c = p.code(i);
    this.#log.push(`${i}: ${this.insnText(i)}`);
    const size = [4, 2, 1, 8][(c >> 3) & 3];
    if (((c & 7) === 2 || (c & 7) === 3 || (c & 7) === 1) && p.off(i) % size !== 0) {
      return this.#fail(`misaligned access off ${p.off(i)} size ${size}`, "EACCES", i);
    }
    if (c === EXIT) {
      this.#ended = true;
      return (this.#last = "insn");
    }
    if (c === JA) {
      this.#next = i + p.off(i) + 1;
      return (this.#last = "insn");
    }
    if (isCondJump(c)) {
      this.#pending.push({ from: i, to: i + p.off(i) + 1, st: { regs: { ...this.#cur.regs } } });
      this.#log.push(this.#line(this.#cur));
      this.#next = i + 1;
      return (this.#last = "branch");
    }
    if (c === 0xb7) this.#cur = { regs: { ...this.#cur.regs, [p.dst(i)]: `imm${p.imm(i)}` } };
    else if (c === 0x79) this.#cur = { regs: { ...this.#cur.regs, [p.dst(i)]: "inv" } };
    this.#next = c === 0x18 ? i + 2 : i + 1;
    return (this.#last = "insn");
  }

  #fail(message: string, errno: string, insn: number): WalkEvent {
    this.#log.push(message);
    this.done = true;
    this.#verdict = { accepted: false, message, errno, insn };
    return (this.#last = "error");
  }

  state(): StateView {
    return this.#view(this.#cur);
  }
  #view(s: Core): StateView {
    const regs = Object.keys(s.regs).map(Number).sort((a, b) => a - b).map((r) => ({
      reg: r,
      type: s.regs[r].replace(/[-0-9].*$/, ""),
      text: s.regs[r],
    }));
    return { regs, stack: [] };
  }
  matchedState(): StateView | null {
    return this.#matched ? this.#view(this.#matched) : null;
  }
  get pendingDepth(): number {
    return this.#pending.length;
  }
  pendingAt(i: number): PendingView {
    const e = this.#pending[i];
    return { from: e.from, to: e.to };
  }
  insnCount(i: number): number {
    return this.#counts[i];
  }
  isPruningPoint(i: number): boolean {
    return this.#points[i] === 1;
  }
  insnText(i: number): string {
    const p = this.#p, c = p.code(i), d = p.dst(i), sr = p.src(i), off = p.off(i), imm = p.imm(i);
    const h = `(${c.toString(16).padStart(2, "0")}) `;
    const o = off >= 0 ? `+${off}` : `${off}`;
    const sz = ["u32", "u16", "u8", "u64"][(c >> 3) & 3];
    const hex = (x: number) => "0x" + (x >>> 0).toString(16);
    switch (c) {
      case 0x7a:
      case 0x72:
      case 0x6a:
      case 0x62:
        return `${h}*(${sz} *)(r${d} ${o}) = ${imm}`;
      case 0x79:
      case 0x61:
      case 0x69:
      case 0x71:
        return `${h}r${d} = *(${sz} *)(r${sr} ${o})`;
      case 0xbf:
        return `${h}r${d} = r${sr}`;
      case 0xb7:
        return `${h}r${d} = ${imm}`;
      case 0x07:
        return `${h}r${d} += ${imm}`;
      case 0x18:
        return `${h}r${d} = ${hex(imm)}`;
      case 0x85:
        return `${h}call ${imm}`;
      case 0x05:
        return `${h}goto pc${o}`;
      case 0x95:
        return `${h}exit`;
      case 0x15:
        return `${h}if r${d} == ${hex(imm)} goto pc${o}`;
      case 0x55:
        return `${h}if r${d} != ${hex(imm)} goto pc${o}`;
      case 0x25:
        return `${h}if r${d} > ${hex(imm)} goto pc${o}`;
    }
    return `${h}op`;
  }
  isContinuation(i: number): boolean {
    return i > 0 && this.#p.code(i - 1) === 0x18;
  }
  get logLines(): number {
    return this.#log.length;
  }
  logLine(i: number): string {
    return this.#log[i];
  }
  verdict(): VerdictView | null {
    return this.#verdict;
  }
  snapshot(): unknown {
    return structuredClone({
      f: [this.done, this.pc, this.processed, this.stored, this.prunes, this.#next, this.#ended, this.#storedHere],
      counts: this.#counts,
      cur: this.#cur,
      pending: this.#pending,
      explored: this.#explored,
      log: this.#log,
      verdict: this.#verdict,
      last: this.#last,
    });
  }
  restore(snap: unknown): void {
    // deno-lint-ignore no-explicit-any
    const s = structuredClone(snap) as any;
    [this.done, this.pc, this.processed, this.stored, this.prunes, this.#next, this.#ended, this.#storedHere] = s.f;
    this.#counts = s.counts;
    this.#cur = s.cur;
    this.#pending = s.pending;
    this.#explored = s.explored;
    this.#log = s.log;
    this.#verdict = s.verdict;
    this.#last = s.last;
    this.#matched = null;
  }
}
