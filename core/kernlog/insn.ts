/**
 * The instruction text of a verifier log (`print_bpf_insn` in
 * kernel/bpf/disasm.c: `(07) r2 += -8`, `(61) r2 = *(u32 *)(r1 +76)`,
 * `(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)`, `(85) call
 * bpf_map_lookup_elem#1`, ...) read back into what the instruction does:
 * which register or stack slot it writes, which it reads, whether it is a
 * copy, a spill, a fill, a call or a jump. The opcode byte printed in
 * parentheses gives the class; the text gives the operands.
 *
 * @module
 */

/** What an instruction does, as far as a backward slice needs it. */
export type InsnOp =
  /** `dst = src` (64 or 32 bit, with or without sign extension). */
  | "mov_reg"
  /** `dst = imm`. */
  | "mov_imm"
  /** `dst = 0x...` (LD_IMM64: a constant, a map, a map value). */
  | "ld_imm64"
  /** `dst op= src` / `dst op= imm`, `dst = -dst`, byte swaps. */
  | "alu"
  /** `dst = *(size *)(src + off)`. */
  | "load"
  /** `*(size *)(dst + off) = src`. */
  | "store"
  /** `*(size *)(dst + off) = imm`. */
  | "store_imm"
  /** Atomic read-modify-write (`lock ...`, `atomic64_*`). */
  | "atomic"
  /** Legacy packet loads into r0 (`skb[...]`). */
  | "ld_abs"
  /** A helper or kfunc call. */
  | "call"
  /** A bpf-to-bpf call (`call pc+N`). */
  | "call_sub"
  /** `exit`. */
  | "exit"
  /** `goto pc+N`, `gotol pc+N`. */
  | "ja"
  /** `if dst op src|imm goto pc+N`. */
  | "cond"
  /** `may_goto pc+N`. */
  | "may_goto"
  /** Anything else (not a valid instruction in the log's view). */
  | "other";

/** A decoded log instruction. */
export interface LogInsn {
  /** The opcode byte. */
  code: number;
  /** What it does. */
  op: InsnOp;
  /** Destination register (-1 if none). */
  dst: number;
  /** Source register (-1 if none). */
  src: number;
  /** Memory offset or jump offset. */
  off: number;
  /** Immediate (as printed; LD_IMM64 loads keep their text in {@link LogInsn.text}). */
  imm: bigint;
  /** Access size in bytes of a load/store/atomic (0 otherwise). */
  size: number;
  /** 32-bit operation (`w` registers). */
  w32: boolean;
  /** Operator of an ALU op or condition (`+=`, `==`, `s>`, ...), or the call's name. */
  oper: string;
  /** The text after the opcode (`r2 += -8`). */
  text: string;
}

const SIZES: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4 };

function reg(s: string): number {
  return Number(s.slice(1));
}

function mk(code: number, op: InsnOp, text: string): LogInsn {
  return { code, op, dst: -1, src: -1, off: 0, imm: 0n, size: 0, w32: false, oper: "", text };
}

/** `dst = *(size *)(src + off)` (a plain load or a load-acquire). */
function load(code: number, text: string, dst: string, size: string, src: string, off: string): LogInsn {
  const x = mk(code, "load", text);
  x.dst = Number(dst);
  x.size = SIZES[size] ?? 0;
  x.src = Number(src);
  x.off = Number(off);
  return x;
}

const RE_MOV_REG = /^([rw])(\d+) = (?:\(s(?:8|16|32)\))?([rw])(\d+)$/;
const RE_ALU_IMM = /^([rw])(\d+) (s?[-+*/|&^%]=|<<=|s?>>=|=) (-?\d+|0x[0-9a-f]+)$/;
const RE_ALU_REG = /^([rw])(\d+) (s?[-+*/|&^%]=|<<=|s?>>=) ([rw])(\d+)$/;
const RE_NEG = /^([rw])(\d+) = -[rw]\d+$/;
const RE_END = /^r(\d+) = (?:be|le|bswap)(\d+) r\d+$/;
const RE_LOAD = /^r(\d+) = \*\(([su]\d+) \*\)\(r(\d+) ([+-]\d+)\)$/;
const RE_STORE = /^\*\(([su]\d+) \*\)\(r(\d+) ([+-]\d+)\) = (r\d+|-?\d+)$/;
const RE_LOCK = /^lock \*\((u\d+) \*\)\(r(\d+) ([+-]\d+)\) (\S+) r(\d+)$/;
const RE_ATOMIC = /^r(\d+) = atomic(?:64)?_(\w+)\(\((u\d+) \*\)\(r(\d+) ([+-]\d+)\), (?:r\d+, )?r(\d+)\)$/;
const RE_LOAD_ACQ = /^r(\d+) = load_acquire\(\((u\d+) \*\)\(r(\d+) ([+-]\d+)\)\)$/;
const RE_STORE_REL = /^store_release\(\((u\d+) \*\)\(r(\d+) ([+-]\d+)\), r(\d+)\)$/;
const RE_LDIMM = /^r(\d+) = (.+)$/;
const RE_COND = /^if ([rw])(\d+) (\S+) (?:([rw])(\d+)|(0x[0-9a-f]+|-?\d+)) goto pc([+-]\d+)$/;
const RE_JA = /^(?:goto|gotol) pc([+-]\d+)$/;
const RE_CALL = /^call (.+)$/;
const RE_LDABS = /^r0 = \*\((u\d+) \*\)skb\[(?:r(\d+) \+ )?(-?\d+)\]$/;

/**
 * Decode a log instruction: `text` is what follows `N: ` (`(07) r2 += -8`).
 * Returns an `other` instruction when the text is not one `print_bpf_insn`
 * writes.
 */
export function parseLogInsn(text: string): LogInsn {
  const m0 = /^\(([0-9a-f]{2})\) (.*)$/.exec(text);
  if (!m0) return mk(-1, "other", text);
  const code = parseInt(m0[1], 16);
  const t = m0[2];
  const cls = code & 7;
  let m: RegExpExecArray | null;
  if (cls === 4 || cls === 7) {
    if ((m = RE_MOV_REG.exec(t))) {
      const x = mk(code, "mov_reg", t);
      x.dst = Number(m[2]);
      x.src = Number(m[4]);
      x.w32 = m[1] === "w";
      x.oper = "=";
      return x;
    }
    if ((m = RE_ALU_IMM.exec(t))) {
      const x = mk(code, m[3] === "=" ? "mov_imm" : "alu", t);
      x.dst = Number(m[2]);
      x.w32 = m[1] === "w";
      x.oper = m[3];
      x.imm = BigInt(m[4]);
      return x;
    }
    if ((m = RE_ALU_REG.exec(t))) {
      const x = mk(code, "alu", t);
      x.dst = Number(m[2]);
      x.src = Number(m[5]);
      x.w32 = m[1] === "w";
      x.oper = m[3];
      return x;
    }
    if ((m = RE_NEG.exec(t))) {
      const x = mk(code, "alu", t);
      x.dst = Number(m[2]);
      x.w32 = m[1] === "w";
      x.oper = "neg";
      return x;
    }
    if ((m = RE_END.exec(t))) {
      const x = mk(code, "alu", t);
      x.dst = Number(m[1]);
      x.oper = "end";
      x.imm = BigInt(m[2]);
      return x;
    }
    return mk(code, "other", t);
  }
  if (cls === 1) {
    if ((m = RE_LOAD.exec(t))) return load(code, t, m[1], m[2], m[3], m[4]);
    return mk(code, "other", t);
  }
  if (cls === 2 || cls === 3) {
    if ((m = RE_STORE.exec(t))) {
      const isReg = m[4][0] === "r";
      const x = mk(code, isReg ? "store" : "store_imm", t);
      x.size = SIZES[m[1]] ?? 0;
      x.dst = Number(m[2]);
      x.off = Number(m[3]);
      if (isReg) x.src = reg(m[4]);
      else x.imm = BigInt(m[4]);
      return x;
    }
    if ((m = RE_LOCK.exec(t))) {
      const x = mk(code, "atomic", t);
      x.size = SIZES[m[1]] ?? 0;
      x.dst = Number(m[2]);
      x.off = Number(m[3]);
      x.oper = m[4];
      x.src = Number(m[5]);
      return x;
    }
    if ((m = RE_ATOMIC.exec(t))) {
      // rD = atomic_op((size *)(rB + off), [r0,] rS): writes rD (the fetched value), memory at rB
      const x = mk(code, "atomic", t);
      x.oper = m[2];
      x.size = SIZES[m[3]] ?? 0;
      x.dst = Number(m[4]);
      x.off = Number(m[5]);
      x.src = Number(m[6]);
      x.imm = BigInt(m[1]); // the register that receives the old value
      return x;
    }
    if ((m = RE_LOAD_ACQ.exec(t))) return load(code, t, m[1], m[2], m[3], m[4]);
    if ((m = RE_STORE_REL.exec(t))) {
      const x = mk(code, "store", t);
      x.size = SIZES[m[1]] ?? 0;
      x.dst = Number(m[2]);
      x.off = Number(m[3]);
      x.src = Number(m[4]);
      return x;
    }
    return mk(code, "other", t);
  }
  if (cls === 0) {
    if (code === 0x18 && (m = RE_LDIMM.exec(t))) {
      const x = mk(code, "ld_imm64", t);
      x.dst = Number(m[1]);
      x.oper = m[2];
      return x;
    }
    if ((m = RE_LDABS.exec(t))) {
      const x = mk(code, "ld_abs", t);
      x.dst = 0;
      x.size = SIZES[m[1]] ?? 0;
      x.src = m[2] !== undefined ? Number(m[2]) : -1;
      x.imm = BigInt(m[3]);
      return x;
    }
    return mk(code, "other", t);
  }
  // JMP / JMP32
  if (t === "exit") return mk(code, "exit", t);
  if ((m = RE_JA.exec(t))) {
    const x = mk(code, "ja", t);
    x.off = Number(m[1]);
    return x;
  }
  if ((m = /^may_goto pc([+-]\d+)$/.exec(t))) {
    const x = mk(code, "may_goto", t);
    x.off = Number(m[1]);
    return x;
  }
  if ((m = RE_COND.exec(t))) {
    const x = mk(code, "cond", t);
    x.w32 = m[1] === "w";
    x.dst = Number(m[2]);
    x.oper = m[3];
    if (m[5] !== undefined) x.src = Number(m[5]);
    else x.imm = BigInt(m[6]);
    x.off = Number(m[7]);
    return x;
  }
  if ((m = RE_CALL.exec(t))) {
    const sub = /^pc([+-]\d+)$/.exec(m[1]);
    const x = mk(code, sub ? "call_sub" : "call", t);
    if (sub) x.off = Number(sub[1]);
    x.oper = sub ? "" : m[1];
    return x;
  }
  return mk(code, "other", t);
}

/** The registers an instruction writes (r0..r10); a helper call writes r0 and clobbers r1..r5. */
export function regsWritten(x: LogInsn): number[] {
  switch (x.op) {
    case "mov_reg":
    case "mov_imm":
    case "ld_imm64":
    case "alu":
    case "load":
      return [x.dst];
    case "ld_abs":
      return [0, 1, 2, 3, 4, 5];
    case "atomic":
      // a fetching op writes the register it names before '=' (cmpxchg: r0); `lock ... += r` writes none
      return x.oper === "cmpxchg" ? [0] : x.text.includes("atomic") ? [Number(x.imm)] : [];
    case "call":
    case "call_sub":
      return [0, 1, 2, 3, 4, 5];
    default:
      return [];
  }
}
