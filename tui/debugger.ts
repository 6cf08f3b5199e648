/**
 * Run mode: a debugger over the interpreter ({@link VmSession}). Step the
 * machine and watch the registers, the stack frame, the maps and the helper
 * output change; breakpoints; step back by replaying from the start (runs
 * are deterministic: fixed seed, fixed clock, fresh maps on every start).
 *
 * Pure logic and plain-string rendering (no React/Ink), so the run view
 * draws its first frame without loading them, and `--run` without a
 * terminal prints a text trace ({@link traceText}).
 *
 * @module
 */
import type { Program } from "../core/isa/mod.ts";
import { kernelInsnText, llvmInsnWithWidth } from "../core/asm/mod.ts";
import { type BpfMap, createMap, mapAttrOf } from "../core/maps/mod.ts";
import { Interpreter, type RunInput, type VmProfile, type VmSession } from "../core/vm/mod.ts";
import type { Key } from "./controller.ts";

/** Options of a debugged run. */
export interface VmRunOptions {
  /** Semantics profile (default `modern`). */
  profile?: VmProfile;
  /** get_prandom_u32 seed (default 1). */
  seed?: number;
  /** Executed-instruction limit (default 1e9). */
  maxInsns?: number;
}

/** Starts a fresh run of the same program (fresh maps, same input): every start is identical. */
export type VmFactory = () => VmSession;

/** A fixed clock for ktime_get_ns, so replays are identical. */
export const FIXED_CLOCK_NS = 1_000_000_000n;

/** A factory of runs of `prog` with its maps created (and initialised) as `bpfscope run` does. */
export function vmFactory(prog: Program, input: RunInput = {}, opts: VmRunOptions = {}): VmFactory {
  const profile = opts.profile ?? "modern";
  return () => {
    const maps: BpfMap[] = prog.maps.map((def) => {
      const m = createMap(mapAttrOf(def), profile);
      for (const [k, v] of def.init) m.update(k, v, 0);
      return m;
    });
    const fds = maps.map((_, i) => 1000 + i);
    const it = new Interpreter(prog.maps.length ? prog.withMapFds(fds) : prog, {
      profile,
      resolveMap: (fd) => maps[fd - 1000],
    });
    return it.start(input, { seed: opts.seed, maxInsns: opts.maxInsns, clock: () => FIXED_CLOCK_NS });
  };
}

/** Instruction text style. */
export type InsnStyle = "llvm" | "kernel";

/** Text of instruction `i` (with how many slots it takes). */
export function insnText(p: Program, i: number, style: InsnStyle): [string, number] {
  if (style === "kernel") return [kernelInsnText(p, i), p.code(i) === 0x18 && i + 1 < p.len ? 2 : 1];
  return llvmInsnWithWidth(p, i);
}

/** A register as hex and decimal: `0x000000000000002a  42`. */
export function regText(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return `0x${v.toString(16).padStart(16, "0")}  ${v}${s < 0n ? ` (${s})` : ""}`;
}

function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** The run-mode keys (the footer, the help line and `tui/README.md` use this table). */
export const RUN_KEYS: ReadonlyArray<{ keys: string; what: string }> = [
  { keys: "s  →  Enter", what: "step one instruction" },
  { keys: "S", what: "step 10 instructions" },
  { keys: "c", what: "continue to a breakpoint or the end" },
  { keys: "b  ←", what: "step back (replays from the start)" },
  { keys: "x", what: "toggle breakpoint at the cursor" },
  { keys: "j k  ↓ ↑", what: "move the cursor (f: follow pc)" },
  { keys: "v", what: "llvm / kernel instruction text" },
  { keys: "R  0", what: "restart" },
  { keys: "m", what: "switch to the verifier view" },
  { keys: "q", what: "quit" },
];

const BOLD = "\x1b[1m",
  REV = "\x1b[7m",
  YEL = "\x1b[33m",
  RED = "\x1b[31m",
  GRN = "\x1b[32m",
  DIM = "\x1b[2m",
  RST = "\x1b[0m";

/** Pad or cut plain text to `w` columns. */
function fit(s: string, w: number): string {
  return s.length > w ? s.slice(0, Math.max(0, w)) : s + " ".repeat(w - s.length);
}

/** The debugger: a session, breakpoints, a cursor, and the previous registers (to highlight changes). */
export class Debugger {
  /** The program. */
  readonly prog: Program;
  /** Title for the header. */
  readonly title: string;
  /** The current run. */
  vm: VmSession;
  /** Breakpoints (instruction indexes). */
  readonly breakpoints: Set<number> = new Set();
  /** Cursor in the instruction list. */
  cursor = 0;
  /** The cursor follows pc. */
  follow = true;
  /** Instruction text style. */
  style: InsnStyle = "llvm";
  /** Registers before the last action (changed ones are highlighted). */
  prev: bigint[];
  /** A one-line message for the footer. */
  message = "";
  /** Set by `q`. */
  quit = false;
  /** Set by `m`: the user wants the verifier view. */
  switchToVerifier = false;
  readonly #make: VmFactory;
  readonly #slots: number[]; // instruction starts (LD_IMM64 second slots skipped)

  /** @param make starts identical runs; @param prog the program; @param title header title */
  constructor(make: VmFactory, prog: Program, title: string) {
    this.#make = make;
    this.prog = prog;
    this.title = title;
    this.vm = make();
    this.prev = this.vm.regs();
    this.#slots = [];
    for (let i = 0; i < prog.len;) {
      this.#slots.push(i);
      i += insnText(prog, i, "llvm")[1];
    }
  }

  /** Execute `n` instructions. */
  step(n = 1): void {
    if (this.vm.done) {
      this.message = "the program has ended (b: back, R: restart)";
      return;
    }
    this.prev = this.vm.regs();
    this.vm.step(n);
    this.#after();
  }

  /** Continue to the next breakpoint or the end. */
  cont(): void {
    if (this.vm.done) return this.step();
    this.prev = this.vm.regs();
    this.vm.runUntil(this.breakpoints);
    this.#after();
    if (!this.vm.done) this.message = `breakpoint at ${this.vm.pc}`;
  }

  /** One instruction back: replay from the start. */
  back(): void {
    const target = this.vm.executed - 1;
    if (target < 0) {
      this.message = "at the start";
      return;
    }
    this.goto(target);
  }

  /** Replay from the start to `count` executed instructions. */
  goto(count: number): void {
    this.vm = this.#make();
    if (count > 0) this.vm.step(count - 1);
    this.prev = this.vm.regs();
    if (count > 0) this.vm.step(1);
    this.#after();
    this.message = `replayed ${count} instructions`;
  }

  /** Start again. */
  restart(): void {
    this.vm = this.#make();
    this.prev = this.vm.regs();
    this.message = "restarted";
    this.follow = true;
    this.cursor = 0;
  }

  #after(): void {
    this.message = "";
    if (this.follow) this.cursor = Math.min(this.vm.pc, this.prog.len - 1);
  }

  #moveCursor(d: number): void {
    const k = this.#slots.findIndex((s) => s >= this.cursor);
    const j = Math.max(0, Math.min(this.#slots.length - 1, (k < 0 ? this.#slots.length - 1 : k) + d));
    this.cursor = this.#slots[j];
    this.follow = false;
  }

  /** Handle a key. */
  key(k: Key): void {
    if (k.ctrl && k.name === "c") {
      this.quit = true;
      return;
    }
    // other Ctrl keys are not the letter's action (Ctrl-L, the terminal's redraw, is the driver's: tui/run.ts)
    if (k.ctrl) return;
    switch (k.name) {
      case "s":
      case "right":
      case "enter":
        return this.step();
      case "S":
        return this.step(10);
      case "c":
        return this.cont();
      case "b":
      case "left":
      case "backspace":
        return this.back();
      case "x":
        if (this.breakpoints.has(this.cursor)) this.breakpoints.delete(this.cursor);
        else this.breakpoints.add(this.cursor);
        this.message = `${this.breakpoints.has(this.cursor) ? "breakpoint" : "no breakpoint"} at ${this.cursor}`;
        return;
      case "j":
      case "down":
        return this.#moveCursor(1);
      case "k":
      case "up":
        return this.#moveCursor(-1);
      case "f":
        this.follow = true;
        this.cursor = Math.min(this.vm.pc, this.prog.len - 1);
        return;
      case "v":
        this.style = this.style === "llvm" ? "kernel" : "llvm";
        return;
      case "R":
      case "0":
        return this.restart();
      case "m":
        this.switchToVerifier = true;
        return;
      case "q":
        this.quit = true;
        return;
    }
  }

  /** The status: running, exited with r0, or the fault. */
  status(): string {
    const v = this.vm;
    if (!v.done) return `pc ${v.pc}  executed ${v.executed}`;
    if (v.fault) return `FAULT after ${v.executed} insns: ${v.fault.message}`;
    const r = v.result();
    return `EXIT r0 = ${r.r0} (0x${r.r0.toString(16)}) after ${v.executed} insns`;
  }

  /** The screen as `rows` lines of at most `cols` columns (ANSI colours when `color`). */
  lines(cols: number, rows: number, color: boolean): string[] {
    const c = (code: string, s: string) => (color ? code + s + RST : s);
    const out: string[] = [];
    const v = this.vm;
    if (cols < 60 || rows < 16) return [fit(`terminal too small (${cols}x${rows}, need 60x16)`, cols)];
    const head = ` bpfscope run  ${this.title}  │ ${this.status()}`;
    out.push(c(REV, fit(head, cols)));
    const bodyRows = rows - 3;
    const leftW = Math.min(56, Math.floor(cols * 0.48));
    const rightW = cols - leftW - 1;
    // instructions: a window around the cursor
    const left: string[] = [c(BOLD, fit(` instructions (${this.style})`, leftW))];
    const n = bodyRows - 1;
    const ci = Math.max(0, this.#slots.findIndex((s) => s >= this.cursor));
    const first = Math.max(0, Math.min(ci - Math.floor(n / 3), this.#slots.length - n));
    for (let r = 0; r < n; r++) {
      const i = this.#slots[first + r];
      if (i === undefined) {
        left.push(" ".repeat(leftW));
        continue;
      }
      const isPc = i === v.pc && !v.done, fault = v.done && v.fault && i === v.fault.pc;
      const ended = v.done && !v.fault && i === v.pc;
      const mark = isPc ? "▶" : fault ? "✗" : ended ? "■" : " ";
      const bp = this.breakpoints.has(i) ? "●" : " ";
      const text = fit(`${mark}${bp}${String(i).padStart(4)}: ${insnText(this.prog, i, this.style)[0]}`, leftW);
      let s = text;
      if (isPc || ended) s = c(GRN + BOLD, text);
      else if (fault) s = c(RED + BOLD, text);
      else if (this.breakpoints.has(i)) s = c(RED, text);
      if (i === this.cursor && !this.follow) s = c(REV, text);
      left.push(s);
    }
    // registers, stack, maps, output
    const right: string[] = [c(BOLD, fit(" registers", rightW))];
    const regs = v.regs();
    for (let r = 0; r <= 10; r++) {
      const changed = regs[r] !== this.prev[r];
      const t = fit(`${changed ? "*" : " "}r${r}`.padEnd(5) + regText(regs[r]), rightW);
      right.push(changed ? c(YEL + BOLD, t) : t);
    }
    const stack = v.stack();
    let low = 0;
    while (low < stack.length && stack[low] === 0) low++;
    const used = stack.length - low;
    right.push(c(BOLD, fit(` stack frame ${v.depth} (${used} of ${stack.length} bytes used)`, rightW)));
    const room = Math.max(2, bodyRows - right.length - 6);
    const start = Math.floor(low / 16) * 16;
    const stackRows: string[] = [];
    for (let o = start; o < stack.length; o += 16) {
      const chunk = stack.subarray(o, o + 16);
      const bytes = [0, 4, 8, 12].map((g) => hex(chunk.subarray(g, g + 4))).join(" ");
      stackRows.push(fit(` fp-${String(stack.length - o).padEnd(4)}${bytes}`, rightW));
    }
    right.push(...stackRows.slice(0, Math.min(stackRows.length, Math.ceil(room / 2))));
    if (stackRows.length > Math.ceil(room / 2)) right.push(c(DIM, fit(" ...", rightW)));
    const maps = v.maps;
    if (maps.length) {
      right.push(c(BOLD, fit(" maps", rightW)));
      for (const m of maps) {
        const es = m.entries();
        right.push(fit(`  ${m.name} (${m.typeName}): ${es.length} entries`, rightW));
        for (const [k, val] of es.slice(0, 3)) right.push(fit(`    ${hex(k)}: ${hex(val)}`, rightW));
      }
    }
    if (v.output.length) {
      right.push(c(BOLD, fit(` output (${v.output.length} lines)`, rightW)));
      for (const o of v.output.slice(-3)) right.push(fit(`  ${o}`, rightW));
    }
    for (let r = 0; r < bodyRows; r++) {
      out.push((left[r] ?? " ".repeat(leftW)) + " " + (right[r] ?? fit("", rightW)));
    }
    const msg = this.message || (v.done ? this.status() : "");
    out.push(fit(msg ? ` ${msg}` : "", cols));
    const hint = " s step  c continue  b back  x breakpoint  j/k cursor  v style  R restart  m verifier  q quit";
    out.push(c(DIM, fit(hint, cols)));
    return out;
  }
}

/**
 * The text trace of `--run` without a terminal: one line per executed
 * instruction (index, text, registers it changed), at most `maxLines`, then
 * a summary (r0 or the fault, executed count, output, maps).
 */
export function traceText(make: VmFactory, prog: Program, title: string, maxLines: number): string {
  const vm = make();
  const out: string[] = [`run ${title}: ${prog.len} slots`];
  let prev = vm.regs();
  let lines = 0;
  while (!vm.done && lines < maxLines) {
    const pc = vm.pc;
    vm.step(1);
    const regs = vm.regs();
    const ch: string[] = [];
    for (let r = 0; r <= 10; r++) if (regs[r] !== prev[r]) ch.push(`r${r}=0x${regs[r].toString(16)}`);
    prev = regs;
    const text = insnText(prog, pc, "llvm")[0];
    out.push(`${String(pc).padStart(5)}: ${ch.length ? text.padEnd(32) + " ; " + ch.join(" ") : text}`);
    lines++;
  }
  if (!vm.done) {
    out.push(`... trace stopped after ${maxLines} instructions (--max-events); running to the end`);
    vm.runUntil([]);
  }
  const r = vm.result();
  out.push(
    vm.fault
      ? `fault: ${vm.fault.message} (${vm.executed} insns executed)`
      : `exit: r0 = ${r.r0} (0x${r.r0.toString(16)}), ${vm.executed} insns executed`,
  );
  for (const o of r.output) out.push(`  trace: ${o}`);
  for (const m of r.maps) {
    const es = m.entries();
    out.push(`  map ${m.name} (${m.typeName}): ${es.length} entries`);
    for (const [k, val] of es.slice(0, 20)) out.push(`    ${hex(k)}: ${hex(val)}`);
  }
  return out.join("\n") + "\n";
}
