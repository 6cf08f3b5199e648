/**
 * Instruction text in the llvm-objdump / bpftool style, for the whole RFC 9669
 * instruction set. Every form printed here is read back by the assembler
 * (`assemble`), and reproduces the same bytes.
 *
 * Forms beyond llvm-objdump's (documented choices):
 * - map loads: `r1 = map[fd:3] ll` (BPF_PSEUDO_MAP_FD), `r1 = map[NAME] ll` when
 *   a fixup names the slot (and its imm is 0), `r1 = map_value[fd:3]+8 ll`,
 *   `r1 = btf_id[7] ll`, `r1 = func[+4] ll`, `r1 = map[idx:2] ll`,
 *   `r1 = map_value[idx:2]+8 ll` for LD_IMM64 src 1..6;
 * - local and kfunc calls: `call pc+3`, `call kfunc:17`;
 * - legacy packet loads: `r0 = *(u32 *)skb[4]` (LD ABS) and
 *   `r0 = *(u32 *)skb[r1 + 4]` (LD IND), as the kernel log prints them;
 * - any slot that is not a defined instruction, or whose unused fields are not
 *   zero (so the text could not carry them), prints as `.insn 0x` followed by
 *   its 8 raw bytes in file order (16 hex digits, the JSON string slot form);
 *   an LD_IMM64 first slot (code 0x18) that ends the program, so has no
 *   second slot, prints as `.insn 0x18... unpaired` (the assembler rejects a
 *   trailing 0x18 `.insn` without that word, as a likely mistake).
 *
 * @module
 */
import type { Program } from "../isa/program.ts";

/** Options of {@link llvmInsnText}. */
export interface LlvmTextOptions {
  /**
   * Map name by slot index, for `r1 = map[NAME] ll`. When absent it is
   * computed from the program's fixups and maps (a linear scan; pass
   * {@link fixupNames} of the program when printing many slots).
   */
  mapNames?: ReadonlyMap<number, string>;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** The `.insn 0x<16 hex digits>` raw form of slot `i` (bytes in file order). */
export function rawInsnText(p: Program, i: number): string {
  let s = ".insn 0x";
  const o = i << 3;
  for (let k = 0; k < 8; k++) s += HEX[p.bytes[o + k]];
  return s;
}

/**
 * Map name by slot, from the program's fixups, for maps that have a name of
 * their own: an identifier other than the default `map<i>` of map `i`
 * (unnamed maps keep the `map[fd:N]` form, as a reference disassembler
 * prints them).
 */
export function fixupNames(p: Program): Map<number, string> {
  const m = new Map<number, string>();
  for (const [slot, idx] of p.fixups) {
    const def = p.maps[idx];
    if (def && def.name !== `map${idx}` && /^[A-Za-z_][\w.]*$/.test(def.name) && !/^[rw]\d+$/.test(def.name)) {
      m.set(slot, def.name);
    }
  }
  return m;
}

const ALU_OPS: readonly (string | null)[] = [
  "+=",
  "-=",
  "*=",
  "/=",
  "|=",
  "&=",
  "<<=",
  ">>=",
  null, // neg
  "%=",
  "^=",
  null, // mov
  "s>>=",
  null, // end
  null,
  null,
];

const JMP_OPS: readonly (string | null)[] = [
  null, // ja
  "==",
  ">",
  ">=",
  "&",
  "!=",
  "s>",
  "s>=",
  null, // call
  null, // exit
  "<",
  "<=",
  "s<",
  "s<=",
  null,
  null,
];

/** Size names indexed by `size >> 3` (W, H, B, DW). */
const USIZE: readonly string[] = ["u32", "u16", "u8", "u64"];
const SSIZE: readonly (string | null)[] = ["s32", "s16", "s8", null];

const ATOMIC_OPS: Readonly<Record<number, [string, string]>> = {
  0x00: ["+=", "add"],
  0x40: ["|=", "or"],
  0x50: ["&=", "and"],
  0xa0: ["^=", "xor"],
};

function sgn(n: number): string {
  return n < 0 ? String(n) : "+" + n;
}

function hex64(lo: number, hi: number): string {
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return "0x" + v.toString(16);
}

/**
 * Text and slot count of slot `i`: LD_IMM64 pairs take 2 slots, everything
 * else (including a pair printed raw) takes 1.
 */
export function llvmInsnWithWidth(p: Program, i: number, opts?: LlvmTextOptions): [string, 1 | 2] {
  const code = p.code(i);
  if (code === 0x18) {
    const t = ldImm64(p, i, opts);
    if (t !== null) return [t, 2];
  }
  return [llvmInsnText(p, i, opts), 1];
}

function ldImm64(p: Program, i: number, opts?: LlvmTextOptions): string | null {
  if (i + 1 >= p.len || p.off(i) !== 0) return null;
  const j = i + 1;
  if (p.code(j) !== 0 || p.dst(j) !== 0 || p.src(j) !== 0 || p.off(j) !== 0) return null;
  const lo = p.imm(i), hi = p.imm(j), d = `r${p.dst(i)} = `;
  switch (p.src(i)) {
    case 0:
      return `${d}${hex64(lo, hi)} ll`;
    case 1: {
      if (hi !== 0) return null;
      if (lo === 0) {
        const name = (opts?.mapNames ?? fixupNames(p)).get(i);
        if (name !== undefined) return `${d}map[${name}] ll`;
      }
      return `${d}map[fd:${lo}] ll`;
    }
    case 2:
      return `${d}map_value[fd:${lo}]${sgn(hi)} ll`;
    case 3:
      return hi === 0 ? `${d}btf_id[${lo}] ll` : null;
    case 4:
      return hi === 0 ? `${d}func[${sgn(lo)}] ll` : null;
    case 5:
      return hi === 0 ? `${d}map[idx:${lo}] ll` : null;
    case 6:
      return `${d}map_value[idx:${lo}]${sgn(hi)} ll`;
    default:
      return null;
  }
}

/**
 * The llvm-style text of slot `i` of `p` (no index prefix), e.g. `w1 = w2`,
 * `r1 = 0x1 ll`, `*(u64 *)(r10 -8) = r1`, `if w1 < w2 goto +3`.
 * An LD_IMM64 prints its 64-bit value from both slots; the second slot on
 * its own prints raw.
 */
export function llvmInsnText(p: Program, i: number, opts?: LlvmTextOptions): string {
  const code = p.code(i);
  const cls = code & 7;
  const dst = p.dst(i), src = p.src(i), off = p.off(i), imm = p.imm(i);
  const t = text(code, cls, dst, src, off, imm, p, i, opts);
  if (t !== null) return t;
  // a lone LD_IMM64 first half at the end of the program: say so, the assembler requires it
  return code === 0x18 && i === p.len - 1 ? rawInsnText(p, i) + " unpaired" : rawInsnText(p, i);
}

function text(
  code: number,
  cls: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  p: Program,
  i: number,
  opts?: LlvmTextOptions,
): string | null {
  switch (cls) {
    case 0x04:
    case 0x07: {
      const R = cls === 7 ? "r" : "w";
      const op = code & 0xf0, x = code & 8;
      if (op === 0x80) return x || src || off || imm ? null : `${R}${dst} = -${R}${dst}`;
      if (op === 0xd0) {
        if (src || off || (imm !== 16 && imm !== 32 && imm !== 64)) return null;
        if (cls === 4) return `r${dst} = ${x ? "be" : "le"}${imm} r${dst}`;
        return x ? null : `r${dst} = bswap${imm} r${dst}`;
      }
      if (op === 0xb0) {
        if (x) {
          if (imm) return null;
          if (off === 0) return `${R}${dst} = ${R}${src}`;
          if (off === 8 || off === 16 || (off === 32 && cls === 7)) return `${R}${dst} = (s${off})${R}${src}`;
          return null;
        }
        return src || off ? null : `${R}${dst} = ${imm}`;
      }
      let s = ALU_OPS[op >> 4];
      if (s === null) return null;
      if (off !== 0) {
        if (off !== 1 || (op !== 0x30 && op !== 0x90)) return null;
        s = "s" + s;
      }
      if (x) return imm ? null : `${R}${dst} ${s} ${R}${src}`;
      return src ? null : `${R}${dst} ${s} ${imm}`;
    }
    case 0x05:
    case 0x06: {
      const op = code & 0xf0, x = code & 8;
      if (op === 0x00) {
        if (x || dst || src) return null;
        if (cls === 5) return imm ? null : `goto ${sgn(off)}`;
        return off ? null : `gotol ${sgn(imm)}`;
      }
      if (op === 0x80) {
        if (cls !== 5 || x || dst || off) return null;
        if (src === 0) return `call ${imm}`;
        if (src === 1) return `call pc${sgn(imm)}`;
        if (src === 2) return `call kfunc:${imm}`;
        return null;
      }
      if (op === 0x90) return cls !== 5 || x || dst || src || off || imm ? null : "exit";
      if (op === 0xe0) return cls !== 5 || x || dst || src || imm ? null : `may_goto ${sgn(off)}`;
      const s = JMP_OPS[op >> 4];
      if (s === null) return null;
      const R = cls === 5 ? "r" : "w";
      if (x) return imm ? null : `if ${R}${dst} ${s} ${R}${src} goto ${sgn(off)}`;
      return src ? null : `if ${R}${dst} ${s} ${imm} goto ${sgn(off)}`;
    }
    case 0x01: {
      const mode = code & 0xe0;
      if (imm) return null;
      if (mode === 0x60) return `r${dst} = *(${USIZE[(code >> 3) & 3]} *)(r${src} ${sgn(off)})`;
      if (mode === 0x80) {
        const sz = SSIZE[(code >> 3) & 3];
        return sz === null ? null : `r${dst} = *(${sz} *)(r${src} ${sgn(off)})`;
      }
      return null;
    }
    case 0x02:
      if ((code & 0xe0) !== 0x60 || src) return null;
      return `*(${USIZE[(code >> 3) & 3]} *)(r${dst} ${sgn(off)}) = ${imm}`;
    case 0x03: {
      const mode = code & 0xe0, size = code & 0x18;
      if (mode === 0x60) return imm ? null : `*(${USIZE[size >> 3]} *)(r${dst} ${sgn(off)}) = r${src}`;
      if (mode !== 0xc0 || (size !== 0x00 && size !== 0x18)) return null;
      const R = size === 0x18 ? "r" : "w";
      const addr = `r${dst} ${sgn(off)}`;
      const sz = size === 0x18 ? "u64" : "u32";
      if (imm === 0xe1) return `${R}${src} = ${size === 0x18 ? "xchg_64" : "xchg32_32"}(${addr}, ${R}${src})`;
      if (imm === 0xf1) {
        return `${R}0 = ${size === 0x18 ? "cmpxchg_64" : "cmpxchg32_32"}(${addr}, ${R}0, ${R}${src})`;
      }
      const a = ATOMIC_OPS[imm & ~1];
      if (a === undefined || (imm & ~0xf1) !== 0) return null;
      if (imm & 1) return `${R}${src} = atomic_fetch_${a[1]}((${sz} *)(${addr}), ${R}${src})`;
      return `lock *(${sz} *)(${addr}) ${a[0]} ${R}${src}`;
    }
    case 0x00: {
      const mode = code & 0xe0, size = code & 0x18;
      if (mode === 0x00) return size === 0x18 ? ldImm64(p, i, opts) : null;
      if (size === 0x18 || dst || off) return null;
      if (mode === 0x20) return src ? null : `r0 = *(${USIZE[size >> 3]} *)skb[${imm}]`;
      if (mode === 0x40) return `r0 = *(${USIZE[size >> 3]} *)skb[r${src} + ${imm}]`;
      return null;
    }
  }
  return null;
}
