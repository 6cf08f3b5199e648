/**
 * Instruction text as the Linux 6.18 verifier log prints it
 * (`print_bpf_insn` of `kernel/bpf/disasm.c`): `w` registers for 32-bit
 * ALU and JMP32, `s/=`/`s%=` for signed division, `(s8)` sign-extending
 * moves, `bswap`, atomics, `gotol`, `may_goto`, helper names
 * (`call bpf_map_lookup_elem#1`).
 *
 * @module
 */
import { helperName } from "../isa/helpers.ts";

const ALU: readonly string[] = [
  "+=",
  "-=",
  "*=",
  "/=",
  "|=",
  "&=",
  "<<=",
  ">>=",
  "neg",
  "%=",
  "^=",
  "=",
  "s>>=",
  "endian",
  "",
  "",
];
const JMP: readonly string[] = [
  "jmp",
  "==",
  ">",
  ">=",
  "&",
  "!=",
  "s>",
  "s>=",
  "call",
  "exit",
  "<",
  "<=",
  "s<",
  "s<=",
  "(null)", // BPF_JCOND other than may_goto: the 6.18 table has no string, printk prints (null) (measured)
  "",
];
const LDST: readonly string[] = ["u32", "u16", "u8", "u64"];
const LDSX: readonly string[] = ["s32", "s16", "s8", ""];
const ATOMIC_ALU: Readonly<Record<number, string>> = { 0x00: "add", 0x50: "and", 0x40: "or", 0xa0: "xor" };

function hex2(c: number): string {
  return c.toString(16).padStart(2, "0");
}
function sgn(n: number): string {
  return n < 0 ? String(n) : "+" + n;
}

/**
 * The 6.18 log text of one instruction (without the `N: ` prefix), e.g.
 * `(07) r3 += 10`. `imm2` is the next slot's imm for LD_IMM64; `ptrImm`,
 * when given, is the 64-bit value printed for a map load (the kernel prints
 * the `struct bpf_map *` it patched in).
 */
export function kernel618InsnText(
  code: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  imm2 = 0,
  ptrImm?: bigint,
): string {
  const cls = code & 7, c = "(" + hex2(code) + ")";
  if (cls === 4 || cls === 7) {
    const w = cls === 4 ? "w" : "r", op = code & 0xf0;
    if (op === 0xd0) {
      const kind = cls === 7 ? "bswap" : (code & 8) ? "be" : "le";
      return `${c} r${dst} = ${kind}${imm} r${dst}`;
    }
    if (op === 0x80) return `${c} ${w}${dst} = -${w}${dst}`;
    if (code === 0xbf && off === 1) {
      return `${c} r${dst} = addr_space_cast(r${src}, ${(imm >>> 16)}, ${imm & 0xffff})`;
    }
    if (code === 0xbf && off === -1) return `${c} r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = (op === 0x30 || op === 0x90) && off === 1;
    const name = sdiv ? (op === 0x30 ? "s/=" : "s%=") : ALU[op >> 4];
    if (code & 8) {
      const sx = op === 0xb0 && (off === 8 || off === 16 || off === 32) ? `(s${off})` : "";
      return `${c} ${w}${dst} ${name} ${sx}${w}${src}`;
    }
    return `${c} ${w}${dst} ${name} ${imm}`;
  }
  if (cls === 3) {
    const mode = code & 0xe0, size = LDST[(code >> 3) & 3];
    if (mode === 0x60) return `${c} *(${size} *)(r${dst} ${sgn(off)}) = r${src}`;
    if (mode === 0xc0) {
      const a = imm & ~1;
      if ((imm === 0x00 || imm === 0x50 || imm === 0x40 || imm === 0xa0)) {
        return `${c} lock *(${size} *)(r${dst} ${sgn(off)}) ${ALU[imm >> 4]} r${src}`;
      }
      const w64 = (code & 0x18) === 0x18 ? "64" : "";
      if ((imm & 1) && ATOMIC_ALU[a] !== undefined) {
        return `${c} r${src} = atomic${w64}_fetch_${ATOMIC_ALU[a]}((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      }
      if (imm === 0xf1) return `${c} r0 = atomic${w64}_cmpxchg((${size} *)(r${dst} ${sgn(off)}), r0, r${src})`;
      if (imm === 0xe1) return `${c} r${src} = atomic${w64}_xchg((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0x100) return `${c} r${dst} = load_acquire((${size} *)(r${src} ${sgn(off)}))`;
      if (imm === 0x110) return `${c} store_release((${size} *)(r${dst} ${sgn(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (cls === 2) {
    const mode = code & 0xe0;
    if (mode === 0x60) return `${c} *(${LDST[(code >> 3) & 3]} *)(r${dst} ${sgn(off)}) = ${imm}`;
    if (mode === 0xc0) return `${c} nospec`;
    return `BUG_st_${hex2(code)}`;
  }
  if (cls === 1) {
    const mode = code & 0xe0;
    if (mode !== 0x60 && mode !== 0x80) return `BUG_ldx_${hex2(code)}`;
    const size = mode === 0x60 ? LDST[(code >> 3) & 3] : LDSX[(code >> 3) & 3];
    return `${c} r${dst} = *(${size} *)(r${src} ${sgn(off)})`;
  }
  if (cls === 0) {
    const mode = code & 0xe0, size = LDST[(code >> 3) & 3];
    if (mode === 0x20) return `${c} r0 = *(${size} *)skb[${imm}]`;
    if (mode === 0x40) return `${c} r0 = *(${size} *)skb[r${src} + ${imm}]`;
    if (mode === 0 && (code & 0x18) === 0x18) {
      let v = (BigInt.asUintN(32, BigInt(imm2)) << 32n) | BigInt.asUintN(32, BigInt(imm));
      if (ptrImm !== undefined && (src === 1 || src === 2)) v = ptrImm;
      return `${c} r${dst} = 0x${v.toString(16)}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }
  // JMP, JMP32
  const op = code & 0xf0;
  if (op === 0x80) {
    if (src === 1) return `${c} call pc${sgn(imm)}`;
    if (src === 2) return `${c} call kernel-function#${imm}`;
    return `${c} call ${helperName(imm)}#${imm}`;
  }
  if (code === 0x05) return `${c} goto pc${sgn(off)}`;
  if (code === 0xe5 && src === 0) return `${c} may_goto pc${sgn(off)}`;
  if (code === 0x06) return `${c} gotol pc${sgn(imm)}`;
  if (code === 0x95) return `${c} exit`;
  const w = cls === 6 ? "w" : "r";
  if (code & 8) return `${c} if ${w}${dst} ${JMP[op >> 4]} ${w}${src} goto pc${sgn(off)}`;
  return `${c} if ${w}${dst} ${JMP[op >> 4]} 0x${(imm >>> 0).toString(16)} goto pc${sgn(off)}`;
}
