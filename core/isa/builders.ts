/**
 * Instruction builders that mirror the kernel's `BPF_*` macros
 * (`include/linux/filter.h`), so programs can be written in TypeScript the
 * way kernel tests write them in C:
 *
 * ```ts
 * import { BPF_MOV64_IMM, BPF_EXIT_INSN, BPF_REG_0, Program } from "./mod.ts";
 * const p = Program.fromInsns([BPF_MOV64_IMM(BPF_REG_0, 42), BPF_EXIT_INSN()]);
 * ```
 *
 * Every builder returns one {@link Insn}; the 64-bit immediate loads return a
 * pair of slots, which `Program.fromInsns` flattens.
 *
 * @module
 */

import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STX,
  BPF_TO_LE,
  BPF_X,
} from "./opcodes.ts";
import type { Insn } from "./program.ts";

/** Register R0: return value and helper result. */
export const BPF_REG_0 = 0;
/** Register R1: first argument (ctx at entry). */
export const BPF_REG_1 = 1;
/** Register R2. */
export const BPF_REG_2 = 2;
/** Register R3. */
export const BPF_REG_3 = 3;
/** Register R4. */
export const BPF_REG_4 = 4;
/** Register R5. */
export const BPF_REG_5 = 5;
/** Register R6 (callee saved). */
export const BPF_REG_6 = 6;
/** Register R7 (callee saved). */
export const BPF_REG_7 = 7;
/** Register R8 (callee saved). */
export const BPF_REG_8 = 8;
/** Register R9 (callee saved). */
export const BPF_REG_9 = 9;
/** Register R10: read-only frame pointer. */
export const BPF_REG_10 = 10;
/** The frame pointer register (R10). */
export const BPF_REG_FP = 10;

/** Any slot, field by field. */
export function BPF_RAW_INSN(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

/** 64-bit ALU with a register source: `dst OP= src`. */
export function BPF_ALU64_REG(op: number, dst: number, src: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
/** 32-bit ALU with a register source. */
export function BPF_ALU32_REG(op: number, dst: number, src: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | op | BPF_X, dst, src, 0, 0);
}
/** 64-bit ALU with an immediate (sign-extended): `dst OP= imm`. */
export function BPF_ALU64_IMM(op: number, dst: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
/** 32-bit ALU with an immediate. */
export function BPF_ALU32_IMM(op: number, dst: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
/** 64-bit signed ALU (sdiv/smod: off = 1) with a register source. */
export function BPF_ALU64_REG_OFF(op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | op | BPF_X, dst, src, off, 0);
}
/** 32-bit signed ALU (sdiv/smod: off = 1) with a register source. */
export function BPF_ALU32_REG_OFF(op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | op | BPF_X, dst, src, off, 0);
}
/** 64-bit signed ALU (sdiv/smod: off = 1) with an immediate. */
export function BPF_ALU64_IMM_OFF(op: number, dst: number, imm: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | op | BPF_K, dst, 0, off, imm);
}
/** 32-bit signed ALU (sdiv/smod: off = 1) with an immediate. */
export function BPF_ALU32_IMM_OFF(op: number, dst: number, imm: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | op | BPF_K, dst, 0, off, imm);
}

/** Byte-order conversion: `type` is BPF_TO_LE or BPF_TO_BE, `len` 16/32/64. */
export function BPF_ENDIAN(type: number, dst: number, len: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | BPF_END | type, dst, 0, 0, len);
}
/** Unconditional byte swap (RFC 9669 ALU64|END), `len` 16/32/64. */
export function BPF_BSWAP(dst: number, len: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, len);
}

/** `dst = src` (64-bit). */
export function BPF_MOV64_REG(dst: number, src: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
/** `wdst = wsrc` (32-bit, zero-extending). */
export function BPF_MOV32_REG(dst: number, src: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
/** `dst = imm` (sign-extended to 64 bits). */
export function BPF_MOV64_IMM(dst: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
/** `wdst = imm` (zero-extended). */
export function BPF_MOV32_IMM(dst: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
/** `dst = (s8|s16|s32) src`, sign-extending to 64 bits (off = 8, 16 or 32). */
export function BPF_MOVSX64_REG(dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, off, 0);
}
/** `wdst = (s8|s16) wsrc`, sign-extending to 32 bits (off = 8 or 16). */
export function BPF_MOVSX32_REG(dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, off, 0);
}

/** Split a 64-bit value into the signed 32-bit low and high imm fields. */
function split64(imm: number | bigint): [number, number] {
  const v = BigInt.asUintN(64, BigInt(imm));
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
}

/** LD_IMM64 with a given src_reg (pseudo kind): two slots. */
export function BPF_LD_IMM64_RAW(dst: number, src: number, imm: number | bigint): [Insn, Insn] {
  const [lo, hi] = split64(imm);
  return [BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, lo), BPF_RAW_INSN(0, 0, 0, 0, hi)];
}
/** `dst = imm64 ll`: two slots. */
export function BPF_LD_IMM64(dst: number, imm: number | bigint): [Insn, Insn] {
  return BPF_LD_IMM64_RAW(dst, 0, imm);
}
/** `dst = map[fd] ll` (BPF_PSEUDO_MAP_FD): two slots. */
export function BPF_LD_MAP_FD(dst: number, fd: number): [Insn, Insn] {
  return BPF_LD_IMM64_RAW(dst, BPF_PSEUDO_MAP_FD, fd);
}
/** `dst = &map[fd].value + off` (BPF_PSEUDO_MAP_VALUE): two slots. */
export function BPF_LD_MAP_VALUE(dst: number, fd: number, off: number): [Insn, Insn] {
  return [
    BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_VALUE, 0, fd),
    BPF_RAW_INSN(0, 0, 0, 0, off),
  ];
}

/** Legacy packet load `r0 = ntoh(*(size *)skb[imm])`. */
export function BPF_LD_ABS(size: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_LD | size | BPF_ABS, 0, 0, 0, imm);
}
/** Legacy packet load `r0 = ntoh(*(size *)skb[src + imm])`. */
export function BPF_LD_IND(size: number, src: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_LD | size | BPF_IND, 0, src, 0, imm);
}

/** `dst = *(size *)(src + off)`. */
export function BPF_LDX_MEM(size: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
}
/** `dst = *(signed size *)(src + off)`, sign-extended. */
export function BPF_LDX_MEMSX(size: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_LDX | size | BPF_MEMSX, dst, src, off, 0);
}
/** `*(size *)(dst + off) = src`. */
export function BPF_STX_MEM(size: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_STX | size | BPF_MEM, dst, src, off, 0);
}
/** `*(size *)(dst + off) = imm`. */
export function BPF_ST_MEM(size: number, dst: number, off: number, imm: number): Insn {
  return BPF_RAW_INSN(BPF_ST | size | BPF_MEM, dst, 0, off, imm);
}
/** Atomic operation `op` (BPF_ADD, BPF_OR|BPF_FETCH, BPF_XCHG, ...) on `*(size *)(dst + off)`. */
export function BPF_ATOMIC_OP(size: number, op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_STX | size | BPF_ATOMIC, dst, src, off, op);
}
/** `lock *(size *)(dst + off) += src` (the 3.18 XADD). */
export function BPF_STX_XADD(size: number, dst: number, src: number, off: number): Insn {
  return BPF_ATOMIC_OP(size, 0, dst, src, off);
}

/** `if dst OP src goto pc+off`. */
export function BPF_JMP_REG(op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
/** `if dst OP imm goto pc+off`. */
export function BPF_JMP_IMM(op: number, dst: number, imm: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
/** `if wdst OP wsrc goto pc+off` (32-bit compare). */
export function BPF_JMP32_REG(op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
}
/** `if wdst OP imm goto pc+off` (32-bit compare). */
export function BPF_JMP32_IMM(op: number, dst: number, imm: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
/** `goto pc+off`. */
export function BPF_JMP_A(off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, off, 0);
}
/** `gotol pc+imm` (JMP32|JA with a 32-bit offset). */
export function BPF_JMP32_A(imm: number): Insn {
  return BPF_RAW_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, imm);
}
/** Call helper function `id`. */
export function BPF_EMIT_CALL(id: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id);
}
/** Call the local function at pc+imm+1 (bpf-to-bpf call). */
export function BPF_CALL_REL(imm: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, imm);
}
/** Call the kernel function with BTF id `id`. */
export function BPF_CALL_KFUNC(id: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id);
}
/** `exit`. */
export function BPF_EXIT_INSN(): Insn {
  return BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}
