/**
 * The assembler for the llvm-style text printed by `llvmInsnText` /
 * `disassemble`.
 *
 * Syntax, one statement per line:
 * - comments start with `#`, `;` or `//`;
 * - `name:` defines a label (also before a statement on the same line;
 *   `.LBB0_1:` style names are fine); a trailing `<name>` annotation, as
 *   llvm-objdump prints after jumps, is ignored;
 *   a leading number `N:` is a slot index as printed by the disassembler and
 *   is ignored;
 * - jump targets are `+N`/`-N` (relative, as printed), `pc+N`, or a label;
 *   `may_goto +N` (also `may_goto pc+N`, as the 6.18 verifier log prints it,
 *   or a label) is the loop-budget jump `BPF_JMP | BPF_JCOND` (0xe5);
 *   `call LABEL` / `call pc+N` is a local (bpf-to-bpf) call;
 * - directives: `.map NAME TYPE key=N value=N max=N [flags=N]` declares a map
 *   (TYPE a name such as `hash` or a number), `.init NAME KEYHEX VALUEHEX`
 *   stores an element before the run, `.fixup SLOT NAME|INDEX` adds a fixup,
 *   `.prog_type NAME|NUMBER`, `.license "GPL"`, and `.insn 0x<16 hex digits>`
 *   (raw slot bytes in file order) or `.insn CODE, DST, SRC, OFF, IMM`; an
 *   `.insn` with code 0x18 (the first slot of LD_IMM64) must be followed by
 *   its second slot, unless it ends in the word `unpaired` (a deliberately
 *   truncated pair, as the disassembler prints one);
 * - `r1 = map[NAME] ll` loads the declared map NAME: it assembles to
 *   LD_IMM64 with src_reg 1 and imm 0 and records a fixup.
 *
 * Errors are {@link FormatError}s located `file:line:col`.
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import { MAP_TYPES, PROG_TYPES } from "../isa/opcodes.ts";
import { type Insn, type MapDef, mapDef, Program } from "../isa/program.ts";

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** File name used in error locations and the program's origin (default `<asm>`). */
  file?: string;
  /** Maximum number of slots (default 1,000,000). */
  maxSlots?: number;
}

interface Tok {
  k: "id" | "num" | "op" | "str";
  v: string;
  col: number;
}

const OPS = [
  "s>>=",
  "<<=",
  ">>=",
  "s/=",
  "s%=",
  "s>=",
  "s<=",
  "+=",
  "-=",
  "*=",
  "/=",
  "|=",
  "&=",
  "^=",
  "%=",
  "==",
  "!=",
  ">=",
  "<=",
  "s>",
  "s<",
  ">",
  "<",
  "&",
  "=",
  "(",
  ")",
  "*",
  ",",
  "[",
  "]",
  "+",
  "-",
  ":",
];

const ALU_OPS: Readonly<Record<string, [number, number]>> = {
  "+=": [0x00, 0],
  "-=": [0x10, 0],
  "*=": [0x20, 0],
  "/=": [0x30, 0],
  "s/=": [0x30, 1],
  "|=": [0x40, 0],
  "&=": [0x50, 0],
  "<<=": [0x60, 0],
  ">>=": [0x70, 0],
  "%=": [0x90, 0],
  "s%=": [0x90, 1],
  "^=": [0xa0, 0],
  "s>>=": [0xc0, 0],
};

const JMP_OPS: Readonly<Record<string, number>> = {
  "==": 0x10,
  ">": 0x20,
  ">=": 0x30,
  "&": 0x40,
  "!=": 0x50,
  "s>": 0x60,
  "s>=": 0x70,
  "<": 0xa0,
  "<=": 0xb0,
  "s<": 0xc0,
  "s<=": 0xd0,
};

const SIZE_BITS: Readonly<Record<string, number>> = { u32: 0x00, u16: 0x08, u8: 0x10, u64: 0x18 };
const SSIZE_BITS: Readonly<Record<string, number>> = { s32: 0x00, s16: 0x08, s8: 0x10 };
const LOCK_OPS: Readonly<Record<string, number>> = { "+=": 0x00, "|=": 0x40, "&=": 0x50, "^=": 0xa0 };
const FETCH_OPS: Readonly<Record<string, number>> = {
  atomic_fetch_add: 0x01,
  atomic_fetch_or: 0x41,
  atomic_fetch_and: 0x51,
  atomic_fetch_xor: 0xa1,
};

const REG_RE = /^([rw])(\d+)$/;

/** `table[key]` for own keys only (so `toString` or `constructor` are not names). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function stripComment(line: string): string {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === "#" || c === ";" || (c === "/" && line[i + 1] === "/")) return line.slice(0, i);
  }
  return line;
}

interface Ref {
  slot: number;
  label: string;
  where: string;
  wide: boolean;
}

interface Reg {
  n: number;
  w: boolean;
  tok: Tok;
}

/** Assembles one source text; a fresh instance per call. */
class Assembler {
  readonly file: string;
  readonly max: number;
  readonly slots: Insn[] = [];
  readonly lines: number[] = [];
  readonly labels = new Map<string, [number, number]>();
  readonly refs: Ref[] = [];
  readonly maps: MapDef[] = [];
  readonly mapLine = new Map<string, number>();
  readonly mapRefs: Array<{ slot: number; name: string; where: string }> = [];
  readonly fixupRefs: Array<{ slot: number; map: string; where: string }> = [];
  readonly inits: Array<{ name: string; key: Uint8Array; value: Uint8Array; where: string }> = [];
  /** The last `.insn` LD_IMM64 first half not marked `unpaired`: its slot and location. */
  lastHalf: { slot: number; where: string } | null = null;
  progType = PROG_TYPES.unspec;
  license = "GPL";
  // per line
  lineNo = 0;
  toks: Tok[] = [];
  pos = 0;
  endCol = 1;

  constructor(opts: AssembleOptions) {
    this.file = opts.file ?? "<asm>";
    this.max = opts.maxSlots ?? 1_000_000;
  }

  where(col: number): string {
    return `${this.file}:${this.lineNo}:${col}`;
  }

  fail(tok: Tok | undefined, msg: string): never {
    throw new FormatError(this.where(tok ? tok.col : this.endCol), msg);
  }

  tokenize(line: string): Tok[] {
    const toks: Tok[] = [];
    let i = 0;
    outer: while (i < line.length) {
      const c = line[i];
      if (c === " " || c === "\t" || c === "\r") {
        i++;
        continue;
      }
      const col = i + 1;
      if (c === '"') {
        let s = "";
        let j = i + 1;
        for (; j < line.length && line[j] !== '"'; j++) {
          if (line[j] === "\\" && j + 1 < line.length) {
            j++;
            const e = line[j];
            s += e === "n" ? "\n" : e === "t" ? "\t" : e;
          } else s += line[j];
        }
        if (j >= line.length) {
          throw new FormatError(this.where(col), "unterminated string");
        }
        toks.push({ k: "str", v: s, col });
        i = j + 1;
        continue;
      }
      if (c !== "s" || !/[<>/%]/.test(line[i + 1] ?? "")) {
        const id = /^[A-Za-z_.][\w.]*/.exec(line.slice(i));
        if (id) {
          toks.push({ k: "id", v: id[0], col });
          i += id[0].length;
          continue;
        }
        const num = /^[0-9][0-9A-Za-z_]*/.exec(line.slice(i));
        if (num) {
          toks.push({ k: "num", v: num[0], col });
          i += num[0].length;
          continue;
        }
      }
      for (const op of OPS) {
        if (line.startsWith(op, i)) {
          toks.push({ k: "op", v: op, col });
          i += op.length;
          continue outer;
        }
      }
      throw new FormatError(this.where(col), `unexpected character '${c}'`);
    }
    return toks;
  }

  peek(k = 0): Tok | undefined {
    return this.toks[this.pos + k];
  }
  next(): Tok | undefined {
    return this.toks[this.pos++];
  }
  isOp(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.k === "op" && t.v === v;
  }
  isId(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.k === "id" && t.v === v;
  }
  found(t: Tok | undefined): string {
    return t === undefined ? "end of line" : `'${t.v}'`;
  }
  op(v: string): Tok {
    const t = this.next();
    if (!t || t.k !== "op" || t.v !== v) this.fail(t, `expected '${v}', found ${this.found(t)}`);
    return t;
  }
  word(v: string): Tok {
    const t = this.next();
    if (!t || t.k !== "id" || t.v !== v) this.fail(t, `expected '${v}', found ${this.found(t)}`);
    return t;
  }
  ident(what: string): Tok {
    const t = this.next();
    if (!t || t.k !== "id") this.fail(t, `expected ${what}, found ${this.found(t)}`);
    return t;
  }
  end(): void {
    const t = this.peek();
    if (t) this.fail(t, `unexpected ${this.found(t)} after the instruction`);
  }

  isReg(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.k === "id" && REG_RE.test(t.v);
  }
  reg(): Reg {
    const t = this.next();
    const m = t && t.k === "id" ? REG_RE.exec(t.v) : null;
    if (!t || !m) this.fail(t, `expected a register, found ${this.found(t)}`);
    const n = Number(m[2]);
    if (n > 15 || m[2].length > 2) this.fail(t, `register ${t.v} does not exist (r0..r15)`);
    return { n, w: m[1] === "w", tok: t };
  }
  reg64(): number {
    const r = this.reg();
    if (r.w) this.fail(r.tok, `expected a 64-bit register, found '${r.tok.v}'`);
    return r.n;
  }
  sameWidth(a: Reg, b: Reg): void {
    if (a.w !== b.w) this.fail(b.tok, `'${b.tok.v}' mixes 32-bit and 64-bit registers with '${a.tok.v}'`);
  }

  /** An integer with an optional sign; returns [value, token of first char]. */
  bigint(what: string): [bigint, Tok] {
    let t = this.next();
    const first = t;
    let neg = false;
    if (t && t.k === "op" && (t.v === "-" || t.v === "+")) {
      neg = t.v === "-";
      t = this.next();
    }
    if (!t || t.k !== "num") this.fail(t, `expected ${what}, found ${this.found(t)}`);
    let v: bigint;
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(t.v)) v = BigInt(t.v);
    else this.fail(t, `bad number '${t.v}'`);
    return [neg ? -v : v, first!];
  }
  int(what: string, min: number, max: number): number {
    const [v, t] = this.bigint(what);
    if (v < BigInt(min) || v > BigInt(max)) this.fail(t, `${what} ${v} is out of range (${min}..${max})`);
    return Number(v);
  }
  imm32(what = "an immediate"): number {
    return this.int(what, -0x80000000, 0xffffffff) | 0;
  }
  offset(): number {
    if (!this.isOp("+") && !this.isOp("-")) return 0;
    return this.int("offset", -32768, 32767);
  }
  /** `(rN +off)` */
  mem(): [number, number] {
    this.op("(");
    const r = this.reg64();
    const off = this.offset();
    this.op(")");
    return [r, off];
  }
  /** `(u64 *)` and the like; returns the name. */
  sizeCast(): Tok {
    this.op("(");
    const t = this.ident("a size (u8, u16, u32, u64)");
    this.op("*");
    this.op(")");
    return t;
  }
  usize(t: Tok): number {
    const s = own(SIZE_BITS, t.v);
    if (s === undefined) this.fail(t, `unknown size '${t.v}' (u8, u16, u32, u64)`);
    return s;
  }

  emit(x: Insn): void {
    if (this.slots.length >= this.max) {
      this.fail(undefined, `too many instructions (the limit is ${this.max} slots)`);
    }
    this.slots.push(x);
    this.lines.push(this.lineNo);
  }

  /** A jump target: `+N`, `-N`, `pc+N`, `N` or a label; returns the offset or records a ref. */
  target(wide: boolean): number {
    if (this.isId("pc")) this.next();
    const t = this.peek();
    if (t && t.k === "id") {
      this.next();
      this.refs.push({ slot: this.slots.length, label: t.v, where: this.where(t.col), wide });
      return 0;
    }
    return wide ? this.imm32("jump offset") : this.int("jump offset", -32768, 32767);
  }

  line(text: string, lineNo: number): void {
    this.lineNo = lineNo;
    // llvm-objdump's `goto +2 <LBB0_3>` target annotations are dropped
    const body = stripComment(text).replace(/<[\w.$]+>\s*$/, "");
    this.endCol = body.trimEnd().length + 1;
    this.toks = this.tokenize(body);
    this.pos = 0;
    // leading labels and indexes
    while (this.peek() && this.isOp(":", 1)) {
      const t = this.peek()!;
      if (t.k === "num") {
        this.pos += 2;
        continue;
      }
      if (t.k !== "id") break;
      if (REG_RE.test(t.v) || t.v === "pc") this.fail(t, `'${t.v}' cannot be a label name`);
      const prev = this.labels.get(t.v);
      if (prev) this.fail(t, `duplicate label '${t.v}' (first defined at line ${prev[1]})`);
      this.labels.set(t.v, [this.slots.length, lineNo]);
      this.pos += 2;
    }
    if (!this.peek()) return;
    this.statement();
    this.end();
  }

  statement(): void {
    const t = this.peek()!;
    if (t.k === "op" && t.v === "*") return this.store();
    if (t.k !== "id") this.fail(t, `expected an instruction, found ${this.found(t)}`);
    if (REG_RE.test(t.v)) return this.regStatement();
    this.next();
    switch (t.v) {
      case "exit":
        return this.emit({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
      case "call":
        return this.call();
      case "goto":
        return this.emit({ code: 0x05, dst: 0, src: 0, off: this.target(false), imm: 0 });
      case "gotol":
        return this.emit({ code: 0x06, dst: 0, src: 0, off: 0, imm: this.target(true) });
      case "may_goto":
        return this.emit({ code: 0xe5, dst: 0, src: 0, off: this.target(false), imm: 0 });
      case "if":
        return this.cond();
      case "lock":
        return this.lock();
      case ".insn":
        return this.rawInsn();
      case ".map":
        return this.mapDirective();
      case ".init":
        return this.initDirective();
      case ".fixup": {
        const slot = this.int("slot", 0, this.max - 1);
        const m = this.next();
        if (!m || (m.k !== "id" && m.k !== "num")) this.fail(m, `expected a map name or index, found ${this.found(m)}`);
        this.fixupRefs.push({ slot, map: m.v, where: this.where(m.col) });
        return;
      }
      case ".prog_type": {
        const v = this.next();
        if (v && v.k === "num") {
          this.pos--;
          this.progType = this.int("program type", 0, 0xffffffff);
        } else if (v && v.k === "id" && own(PROG_TYPES, v.v) !== undefined) this.progType = PROG_TYPES[v.v];
        else this.fail(v, `unknown program type ${this.found(v)}`);
        return;
      }
      case ".license": {
        const v = this.next();
        if (!v || v.k !== "str") this.fail(v, `expected a quoted license string, found ${this.found(v)}`);
        this.license = v.v;
        return;
      }
    }
    this.fail(t, `unknown instruction '${t.v}'`);
  }

  call(): void {
    const t = this.peek();
    if (this.isId("pc")) {
      this.next();
      return this.emit({ code: 0x85, dst: 0, src: 1, off: 0, imm: this.imm32("call offset") });
    }
    if (this.isId("kfunc") && this.isOp(":", 1)) {
      this.pos += 2;
      return this.emit({ code: 0x85, dst: 0, src: 2, off: 0, imm: this.imm32("kfunc id") });
    }
    if (t && t.k === "id") return this.emit({ code: 0x85, dst: 0, src: 1, off: 0, imm: this.target(true) });
    this.emit({ code: 0x85, dst: 0, src: 0, off: 0, imm: this.imm32("helper id") });
  }

  cond(): void {
    const a = this.reg();
    const o = this.next();
    if (!o || o.k !== "op" || own(JMP_OPS, o.v) === undefined) {
      this.fail(o, `expected a comparison, found ${this.found(o)}`);
    }
    const cls = a.w ? 0x06 : 0x05;
    let code: number, src = 0, imm = 0;
    if (this.isReg()) {
      const b = this.reg();
      this.sameWidth(a, b);
      code = cls | JMP_OPS[o.v] | 0x08;
      src = b.n;
    } else {
      code = cls | JMP_OPS[o.v];
      imm = this.imm32();
    }
    this.word("goto");
    this.emit({ code, dst: a.n, src, off: this.target(false), imm });
  }

  lock(): void {
    this.op("*");
    const st = this.sizeCast();
    if (st.v !== "u32" && st.v !== "u64") this.fail(st, `atomic operations are u32 or u64, not '${st.v}'`);
    const [dst, off] = this.mem();
    const o = this.next();
    if (!o || o.k !== "op" || own(LOCK_OPS, o.v) === undefined) {
      this.fail(o, `expected an atomic operation (+=, |=, &=, ^=), found ${this.found(o)}`);
    }
    const r = this.reg();
    if (r.w !== (st.v === "u32")) this.fail(r.tok, `use ${st.v === "u32" ? "w" : "r"}${r.n} with ${st.v}`);
    this.emit({ code: 0xc3 | (st.v === "u64" ? 0x18 : 0), dst, src: r.n, off, imm: LOCK_OPS[o.v] });
  }

  store(): void {
    this.next();
    const size = this.usize(this.sizeCast());
    const [dst, off] = this.mem();
    this.op("=");
    if (this.isReg()) {
      const r = this.reg();
      if (r.w) this.fail(r.tok, `stores take a 64-bit register name, not '${r.tok.v}'`);
      return this.emit({ code: 0x63 | size, dst, src: r.n, off, imm: 0 });
    }
    this.emit({ code: 0x62 | size, dst, src: 0, off, imm: this.imm32() });
  }

  regStatement(): void {
    const d = this.reg();
    const R = d.w ? 0x04 : 0x07;
    const o = this.next();
    if (!o || o.k !== "op") this.fail(o, `expected '=' or an operator, found ${this.found(o)}`);
    const alu = own(ALU_OPS, o.v);
    if (alu !== undefined) {
      if (this.isReg()) {
        const s = this.reg();
        this.sameWidth(d, s);
        return this.emit({ code: R | alu[0] | 0x08, dst: d.n, src: s.n, off: alu[1], imm: 0 });
      }
      return this.emit({ code: R | alu[0], dst: d.n, src: 0, off: alu[1], imm: this.imm32() });
    }
    if (o.v !== "=") this.fail(o, `unknown operator '${o.v}'`);
    const t = this.peek();
    if (!t) this.fail(t, "expected a value after '='");
    if (t.k === "op" && t.v === "*") return this.load(d);
    if (t.k === "op" && t.v === "-" && this.isReg(1)) {
      this.next();
      const s = this.reg();
      this.sameWidth(d, s);
      if (s.n !== d.n) this.fail(s.tok, `negation is in place: expected ${d.tok.v}`);
      return this.emit({ code: R | 0x80, dst: d.n, src: 0, off: 0, imm: 0 });
    }
    if (t.k === "op" && t.v === "(") {
      this.next();
      const c = this.ident("a cast (s8, s16, s32)");
      const bits = own({ s8: 8, s16: 16, s32: 32 }, c.v);
      if (bits === undefined || (bits === 32 && d.w)) this.fail(c, `unknown sign-extension cast '${c.v}'`);
      this.op(")");
      const s = this.reg();
      this.sameWidth(d, s);
      return this.emit({ code: R | 0xb8, dst: d.n, src: s.n, off: bits, imm: 0 });
    }
    if (this.isReg()) {
      const s = this.reg();
      this.sameWidth(d, s);
      return this.emit({ code: R | 0xb8, dst: d.n, src: s.n, off: 0, imm: 0 });
    }
    if (t.k === "id") return this.namedValue(d, t);
    const [v, vt] = this.bigint("a value");
    if (this.isId("ll")) {
      this.next();
      if (d.w) this.fail(d.tok, "64-bit immediate loads take an r register");
      if (v < -(1n << 63n) || v >= 1n << 64n) this.fail(vt, `value ${v} does not fit in 64 bits`);
      return this.ldImm64(d.n, 0, v);
    }
    if (v < -0x80000000n || v > 0xffffffffn) {
      this.fail(vt, `immediate ${v} is out of range (-2147483648..4294967295); use 'll' for 64-bit values`);
    }
    this.emit({ code: R | 0xb0, dst: d.n, src: 0, off: 0, imm: Number(v) | 0 });
  }

  ldImm64(dst: number, src: number, v: bigint, hi?: number): void {
    const u = BigInt.asUintN(64, v);
    const lo = Number(BigInt.asIntN(32, u));
    this.emit({ code: 0x18, dst, src, off: 0, imm: lo });
    this.emit({ code: 0, dst: 0, src: 0, off: 0, imm: hi ?? Number(BigInt.asIntN(32, u >> 32n)) });
  }

  optLl(): void {
    if (this.isId("ll")) this.next();
  }

  /** `le16 r1`, `map[..]`, `atomic_fetch_add(..)`, `xchg_64(..)`, ... after `rD =`. */
  namedValue(d: Reg, t: Tok): void {
    this.next();
    const end = /^(le|be|bswap)(16|32|64)$/.exec(t.v);
    if (end) {
      if (d.w) this.fail(d.tok, `byte swaps take an r register`);
      const s = this.reg();
      if (s.w || s.n !== d.n) this.fail(s.tok, `byte swaps are in place: expected ${d.tok.v}`);
      const code = end[1] === "le" ? 0xd4 : end[1] === "be" ? 0xdc : 0xd7;
      return this.emit({ code, dst: d.n, src: 0, off: 0, imm: Number(end[2]) });
    }
    if (t.v === "map" || t.v === "map_value" || t.v === "btf_id" || t.v === "func") {
      if (d.w) this.fail(d.tok, "64-bit immediate loads take an r register");
      this.op("[");
      if (t.v === "btf_id" || t.v === "func") {
        const v = this.imm32(t.v === "func" ? "function offset" : "BTF id");
        this.op("]");
        this.optLl();
        return this.ldImm64(d.n, t.v === "func" ? 4 : 3, BigInt(v), 0);
      }
      const kind = this.ident("fd:, idx: or a map name");
      if ((kind.v === "fd" || kind.v === "idx") && this.isOp(":")) {
        this.next();
        const v = this.imm32(kind.v === "fd" ? "map fd" : "map index");
        this.op("]");
        let hi = 0;
        if (t.v === "map_value") hi = this.isOp("+") || this.isOp("-") ? this.imm32("value offset") : 0;
        this.optLl();
        const src = (kind.v === "fd" ? 1 : 5) + (t.v === "map_value" ? 1 : 0);
        return this.ldImm64(d.n, src, BigInt(v), hi);
      }
      if (t.v !== "map") this.fail(kind, `expected fd: or idx:, found '${kind.v}'`);
      this.op("]");
      this.optLl();
      this.mapRefs.push({ slot: this.slots.length, name: kind.v, where: this.where(kind.col) });
      return this.ldImm64(d.n, 1, 0n, 0);
    }
    const fetch = own(FETCH_OPS, t.v);
    if (fetch !== undefined) {
      this.op("(");
      const st = this.sizeCast();
      if (st.v !== "u32" && st.v !== "u64") this.fail(st, `atomic operations are u32 or u64, not '${st.v}'`);
      if (d.w !== (st.v === "u32")) this.fail(d.tok, `use ${st.v === "u32" ? "w" : "r"}${d.n} with ${st.v}`);
      const [dst, off] = this.mem();
      this.op(",");
      const s = this.reg();
      this.sameWidth(d, s);
      if (s.n !== d.n) this.fail(s.tok, `the fetched register must be the operand: expected ${d.tok.v}`);
      this.op(")");
      return this.emit({ code: 0xc3 | (d.w ? 0 : 0x18), dst, src: s.n, off, imm: fetch });
    }
    const xchg = /^(cmpxchg|xchg)(_64|32_32)$/.exec(t.v);
    if (xchg) {
      if (d.w !== (xchg[2] === "32_32")) this.fail(d.tok, `use ${xchg[2] === "_64" ? "r" : "w"}${d.n} with ${t.v}`);
      this.op("(");
      const dst = this.reg64();
      const off = this.offset();
      this.op(",");
      let s = this.reg();
      this.sameWidth(d, s);
      if (xchg[1] === "cmpxchg") {
        if (d.n !== 0 || s.n !== 0) this.fail(d.n !== 0 ? d.tok : s.tok, "cmpxchg compares and returns in r0");
        this.op(",");
        s = this.reg();
        this.sameWidth(d, s);
      } else if (s.n !== d.n) this.fail(s.tok, `xchg returns into its operand: expected ${d.tok.v}`);
      this.op(")");
      const imm = xchg[1] === "cmpxchg" ? 0xf1 : 0xe1;
      return this.emit({ code: 0xc3 | (d.w ? 0 : 0x18), dst, src: s.n, off, imm });
    }
    this.fail(t, `unknown operand '${t.v}'`);
  }

  load(d: Reg): void {
    this.next();
    const st = this.sizeCast();
    if (this.isId("skb")) {
      this.next();
      const size = this.usize(st);
      if (size === 0x18) this.fail(st, "packet loads are u8, u16 or u32");
      if (d.w || d.n !== 0) this.fail(d.tok, "packet loads write r0");
      this.op("[");
      if (this.isReg()) {
        const s = this.reg64();
        let imm = 0;
        if (this.isOp("+") || this.isOp("-")) {
          if (this.isOp("+")) this.next();
          imm = this.imm32();
        }
        this.op("]");
        return this.emit({ code: 0x40 | size, dst: 0, src: s, off: 0, imm });
      }
      const imm = this.imm32();
      this.op("]");
      return this.emit({ code: 0x20 | size, dst: 0, src: 0, off: 0, imm });
    }
    if (d.w) this.fail(d.tok, `loads take a 64-bit register name, not '${d.tok.v}'`);
    const sx = own(SSIZE_BITS, st.v);
    const size = sx ?? this.usize(st);
    const [src, off] = this.mem();
    this.emit({ code: (sx === undefined ? 0x61 : 0x81) | size, dst: d.n, src, off, imm: 0 });
  }

  rawInsn(): void {
    const t = this.peek();
    const at = this.slots.length, where = this.where(t ? t.col : this.endCol);
    this.rawSlot();
    if (this.slots[at].code === 0x18) {
      if (this.isId("unpaired")) this.next();
      else this.lastHalf = { slot: at, where };
    } else if (this.isId("unpaired")) this.fail(this.peek(), "only an LD_IMM64 slot (code 0x18) can be 'unpaired'");
  }

  rawSlot(): void {
    const t = this.peek();
    if (t && t.k === "num" && !this.isOp(",", 1)) {
      this.next();
      const h = t.v.replace(/^0x/i, "");
      if (!/^[0-9a-f]{16}$/i.test(h)) this.fail(t, `expected 16 hex digits (8 raw bytes), found '${t.v}'`);
      const b = new Uint8Array(8);
      for (let k = 0; k < 8; k++) b[k] = parseInt(h.slice(2 * k, 2 * k + 2), 16);
      const dv = new DataView(b.buffer);
      return this.emit({
        code: b[0],
        dst: b[1] & 15,
        src: b[1] >> 4,
        off: dv.getInt16(2, true),
        imm: dv.getInt32(4, true),
      });
    }
    const code = this.int("code", 0, 255);
    this.op(",");
    const dst = this.int("dst", 0, 15);
    this.op(",");
    const src = this.int("src", 0, 15);
    this.op(",");
    const off = this.int("off", -32768, 32767);
    this.op(",");
    const imm = this.imm32("imm");
    this.emit({ code, dst, src, off, imm });
  }

  mapDirective(): void {
    const name = this.ident("a map name");
    if (this.mapLine.has(name.v)) {
      this.fail(name, `duplicate map '${name.v}' (first declared at line ${this.mapLine.get(name.v)})`);
    }
    const tt = this.next();
    let type: number;
    if (tt && tt.k === "num") {
      this.pos--;
      type = this.int("map type", 0, 0xffffffff);
    } else if (tt && tt.k === "id" && own(MAP_TYPES, tt.v) !== undefined) type = MAP_TYPES[tt.v];
    else this.fail(tt, `unknown map type ${this.found(tt)}`);
    const f: Record<string, number> = {};
    while (this.peek()) {
      const k = this.ident("key=, value=, max= or flags=");
      if (!["key", "value", "max", "flags"].includes(k.v)) this.fail(k, `unknown map attribute '${k.v}'`);
      this.op("=");
      f[k.v] = this.int(k.v, 0, 0xffffffff);
    }
    for (const k of ["key", "value", "max"]) {
      if (f[k] === undefined) this.fail(undefined, `map '${name.v}' needs ${k}=N`);
    }
    this.mapLine.set(name.v, this.lineNo);
    this.maps.push(
      mapDef(
        { name: name.v, type, keySize: f.key, valueSize: f.value, maxEntries: f.max, flags: f.flags ?? 0 },
        this.maps.length,
      ),
    );
  }

  hexBytes(what: string): Uint8Array {
    const t = this.next();
    if (!t || (t.k !== "num" && t.k !== "id")) this.fail(t, `expected ${what} as hex, found ${this.found(t)}`);
    const h = t.v.replace(/^0x/i, "");
    if (!/^([0-9a-f]{2})*$/i.test(h)) this.fail(t, `${what} '${t.v}' is not an even number of hex digits`);
    const b = new Uint8Array(h.length / 2);
    for (let k = 0; k < b.length; k++) b[k] = parseInt(h.slice(2 * k, 2 * k + 2), 16);
    return b;
  }

  initDirective(): void {
    const name = this.ident("a map name");
    const key = this.hexBytes("key");
    const value = this.hexBytes("value");
    this.inits.push({ name: name.v, key, value, where: this.where(name.col) });
  }

  finish(): Program {
    if (this.slots.length === 0) throw new FormatError(this.file, "no instructions");
    if (this.lastHalf && this.lastHalf.slot === this.slots.length - 1) {
      throw new FormatError(
        this.lastHalf.where,
        `LD_IMM64 at slot ${this.lastHalf.slot} is missing its second slot ` +
          "(add '.insn 0, 0, 0, 0, HIGH32' after it, or mark it 'unpaired')",
      );
    }
    for (const r of this.refs) {
      const l = this.labels.get(r.label);
      if (!l) throw new FormatError(r.where, `undefined label '${r.label}'`);
      const off = l[0] - (r.slot + 1);
      if (r.wide) this.slots[r.slot].imm = off;
      else if (off < -32768 || off > 32767) {
        throw new FormatError(r.where, `jump offset ${off} to '${r.label}' is out of range (-32768..32767)`);
      } else this.slots[r.slot].off = off;
    }
    const index = (name: string, where: string): number => {
      const i = this.maps.findIndex((m) => m.name === name);
      if (i < 0) throw new FormatError(where, `unknown map '${name}' (declare it with .map)`);
      return i;
    };
    const fixups: Array<[number, number]> = [];
    for (const m of this.mapRefs) fixups.push([m.slot, index(m.name, m.where)]);
    for (const f of this.fixupRefs) {
      let i: number;
      if (/^\d+$/.test(f.map)) {
        i = Number(f.map);
        if (i >= this.maps.length) throw new FormatError(f.where, `map index ${i} is not declared`);
      } else i = index(f.map, f.where);
      if (f.slot >= this.slots.length) {
        throw new FormatError(f.where, `fixup slot ${f.slot} is outside the program (${this.slots.length} slots)`);
      }
      fixups.push([f.slot, i]);
    }
    fixups.sort((a, b) => a[0] - b[0]);
    for (const it of this.inits) {
      const m = this.maps[index(it.name, it.where)];
      if (it.key.length !== m.keySize) {
        throw new FormatError(it.where, `key is ${it.key.length} bytes, map '${m.name}' has key=${m.keySize}`);
      }
      if (it.value.length !== m.valueSize) {
        throw new FormatError(it.where, `value is ${it.value.length} bytes, map '${m.name}' has value=${m.valueSize}`);
      }
      m.init.push([it.key, it.value]);
    }
    return Program.fromInsns(this.slots, {
      maps: this.maps,
      fixups,
      progType: this.progType,
      license: this.license,
      origin: { file: this.file, lines: this.lines },
    });
  }
}

/**
 * Assemble llvm-style source text into a {@link Program}. The output of
 * `disassemble(p, { style: "llvm" })` assembles back into the same slot bytes.
 * @throws FormatError located `file:line:col` for any problem in the text.
 */
export function assemble(source: string, opts: AssembleOptions = {}): Program {
  const a = new Assembler(opts);
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) a.line(lines[i], i + 1);
  return a.finish();
}
