/**
 * Instruction text exactly as the Linux 3.18 verifier log prints it
 * (`print_bpf_insn` in `kernel/bpf/verifier.c`).
 *
 * Ops the 3.18 string tables lack (ALU ops 0xe0/0xf0 and JMP ops 0xa0 and up)
 * index past the end of the table in 3.18, printing whatever pointer follows
 * it in `.rodata`; bpfscope prints `(null)` instead, which is what later
 * kernels print for a missing table entry.
 *
 * @module
 */
import type { Program } from "../isa/program.ts";

const ALU_OPS: readonly string[] = [
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
  "(null)",
  "(null)",
];

const JMP_OPS: readonly string[] = [
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
  "(null)",
  "(null)",
  "(null)",
  "(null)",
  "(null)",
  "(null)",
];

/** Size names indexed by `size >> 3` (W, H, B, DW). */
const SIZES: readonly string[] = ["u32", "u16", "u8", "u64"];

/** `%02x` of the opcode byte, in parentheses. */
const CODES: readonly string[] = Array.from({ length: 256 }, (_, c) => `(${c.toString(16).padStart(2, "0")})`);

/** `%+d` */
function signed(n: number): string {
  return n < 0 ? String(n) : "+" + n;
}

/**
 * The 3.18 verifier log text of slot `i` of `p`, without the `"N: "` prefix
 * and without the trailing newline, e.g. `(07) r2 += -8`,
 * `(7b) *(u64 *)(r10 -8) = r1` or `(15) if r0 == 0x0 goto pc+1`.
 *
 * An LD_IMM64 prints only its first slot's imm (as unsigned 32-bit hex); the
 * second slot is never printed by the kernel, but if asked for it this
 * returns the text of an opcode-0 slot (`(00) r0 = 0x...`).
 */
export function kernelInsnText(p: Program, i: number): string {
  const code = p.code(i);
  const cls = code & 0x07;
  switch (cls) {
    case 0x04:
    case 0x07: {
      const w = cls === 0x04 ? "(u32) " : "";
      const op = ALU_OPS[code >> 4];
      if (code & 0x08) return `${CODES[code]} ${w}r${p.dst(i)} ${op} ${w}r${p.src(i)}`;
      return `${CODES[code]} ${w}r${p.dst(i)} ${op} ${w}${p.imm(i)}`;
    }
    case 0x03: {
      const mode = code & 0xe0;
      if (mode === 0x60) {
        return `${CODES[code]} *(${SIZES[(code >> 3) & 3]} *)(r${p.dst(i)} ${signed(p.off(i))}) = r${p.src(i)}`;
      }
      if (mode === 0xc0) {
        return `${CODES[code]} lock *(${SIZES[(code >> 3) & 3]} *)(r${p.dst(i)} ${signed(p.off(i))}) += r${p.src(i)}`;
      }
      return "BUG_" + CODES[code].slice(1, 3);
    }
    case 0x02:
      if ((code & 0xe0) !== 0x60) return "BUG_st_" + CODES[code].slice(1, 3);
      return `${CODES[code]} *(${SIZES[(code >> 3) & 3]} *)(r${p.dst(i)} ${signed(p.off(i))}) = ${p.imm(i)}`;
    case 0x01:
      if ((code & 0xe0) !== 0x60) return "BUG_ldx_" + CODES[code].slice(1, 3);
      return `${CODES[code]} r${p.dst(i)} = *(${SIZES[(code >> 3) & 3]} *)(r${p.src(i)} ${signed(p.off(i))})`;
    case 0x00: {
      const mode = code & 0xe0;
      if (mode === 0x20) return `${CODES[code]} r0 = *(${SIZES[(code >> 3) & 3]} *)skb[${p.imm(i)}]`;
      if (mode === 0x40) {
        return `${CODES[code]} r0 = *(${SIZES[(code >> 3) & 3]} *)skb[r${p.src(i)} + ${p.imm(i)}]`;
      }
      if (mode === 0x00) return `${CODES[code]} r${p.dst(i)} = 0x${(p.imm(i) >>> 0).toString(16)}`;
      return "BUG_ld_" + CODES[code].slice(1, 3);
    }
    case 0x05: {
      const op = code & 0xf0;
      if (op === 0x80) return `${CODES[code]} call ${p.imm(i)}`;
      if (code === 0x05) return `(05) goto pc${signed(p.off(i))}`;
      if (code === 0x95) return "(95) exit";
      if (code & 0x08) {
        return `${CODES[code]} if r${p.dst(i)} ${JMP_OPS[op >> 4]} r${p.src(i)} goto pc${signed(p.off(i))}`;
      }
      return `${CODES[code]} if r${p.dst(i)} ${JMP_OPS[op >> 4]} 0x${(p.imm(i) >>> 0).toString(16)} goto pc${
        signed(p.off(i))
      }`;
    }
    default:
      return `${CODES[code]} BUG`;
  }
}
