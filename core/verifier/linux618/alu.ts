/**
 * `check_alu_op` of Linux 6.18 and `adjust_reg_min_max_vals`: operand and
 * reserved-field checks, `div by zero`, `invalid shift`, MOV with register
 * ids (`assign_scalar_id_before_mov`), sign-extending moves, scalar ALU via
 * `adjust_scalar_min_max_vals`, pointer arithmetic via
 * `adjust_ptr_min_max_vals` (ptr_alu.ts), the `BPF_ADD_CONST` link of
 * `rX += const`, and `reg_bounds_sanity_check`.
 *
 * @module
 */
import { curRegs, E2BIG, EACCES, EINVAL, type Env, markRegScratched, verbose } from "./env.ts";
import { pushStack } from "./states.ts";
import { markChainPrecision } from "./precision.ts";
import { adjustPtrMinMaxVals } from "./ptr_alu.ts";
import {
  BPF_ADD_CONST,
  BPF_ADD_CONST32,
  BPF_ADD_CONST64,
  copyReg,
  isRegConst,
  markReg32Known,
  markRegKnown,
  markRegKnownImm,
  markRegNotInit,
  markRegUnbounded,
  markRegUnknown,
  NOT_INIT,
  PTR_TO_ARENA,
  regBoundsSync,
  regBoundsViolation,
  regConstValue,
  RegState,
  SCALAR_VALUE,
} from "./reg.ts";
import {
  adjustScalarMinMaxVals,
  coerceRegToSize,
  coerceRegToSizeSx,
  coerceSubregToSizeSx,
  zext32To64,
} from "./scalar_alu.ts";
import { W64 } from "./width.ts";
import { tnum, tnumIsConst } from "./tnum.ts";

function swab(v: bigint, bytes: number): bigint {
  let r = 0n;
  for (let k = 0; k < bytes; k++) r = (r << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
  return r;
}

/**
 * BPF_END on a scalar, as the running 6.18.y kernel tracks it (6.18.0 made
 * the register unknown): `le64` only syncs the bounds, `le16`/`le32` truncate as
 * `coerce_reg_to_size`, and a byte swap (`be*` on this little-endian
 * machine, `bswap*`) swaps the tnum's bytes and derives the bounds from it.
 * Measured on 6.18.44 (see tests/kernel_diff6).
 */
function scalarByteSwap(reg: RegState, alu64: boolean, toBe: boolean, size: number): void {
  if (!alu64 && !toBe) {
    if (size === 64) {
      // no swap, no truncation; the bounds are synced as after every ALU op (the id stays)
      regBoundsSync(W64, reg);
      return;
    }
    reg.id = 0;
    coerceRegToSize(reg, size / 8);
    return;
  }
  reg.id = 0;
  const bytes = size / 8;
  reg.varOff = tnum(swab(reg.varOff.value, bytes), swab(reg.varOff.mask, bytes));
  markRegUnbounded(W64, reg);
  regBoundsSync(W64, reg);
}

/**
 * `maybe_fork_scalars(env, insn, dst_reg)` as the running 6.18.y kernel has
 * it: a dst in [-1, 0] (64-bit, else 32-bit) is split; the pushed state
 * resumes at this insn (`from N to N:`) with dst = 0, the current one goes
 * on with dst = -1.
 */
function maybeForkScalars(env: Env, i: number, dst: RegState): number {
  let alu32: boolean;
  if (dst.smin === -1n && dst.smax === 0n) alu32 = false;
  else if (dst.s32min === -1n && dst.s32max === 0n) alu32 = true;
  else return 0;
  const branch = pushStack(env, i, i, env.pathLen);
  if (!branch) return E2BIG;
  const r = branch.frame[branch.curframe]!.regs[env.dst[i]];
  if (alu32) {
    markReg32Known(W64, r, 0n);
    markReg32Known(W64, dst, -1n);
  } else {
    markRegKnown(W64, r, 0n);
    markRegKnown(W64, dst, -1n);
  }
  return 0;
}

/** The immediate operand of an ALU insn as a register (reused; nothing keeps it). */
const offReg = new RegState();

/** `enum reg_arg_type`. */
export const SRC_OP = 0;
/** Destination operand, marked unknown. */
export const DST_OP = 1;
/** Destination operand, checked only. */
export const DST_OP_NO_MARK = 2;

/** `check_reg_arg(env, regno, t)` on the current frame. */
export function checkRegArg(env: Env, regno: number, t: number): number {
  return checkRegArgIn(env, curRegs(env), regno, t);
}

/**
 * `clear_caller_saved_regs(env, regs)`: R0-R5 are scratched by a call (a
 * helper, a bpf-to-bpf call, LD_ABS/LD_IND).
 */
export function clearCallerSavedRegs(env: Env, regs: RegState[]): void {
  for (let r = 0; r <= 5; r++) {
    markRegNotInit(regs[r]);
    checkRegArgIn(env, regs, r, DST_OP_NO_MARK);
  }
}

/** `__check_reg_arg(env, regs, regno, t)`. */
export function checkRegArgIn(env: Env, regs: RegState[], regno: number, t: number): number {
  if (regno >= 11) {
    verbose(env, `R${regno} is invalid\n`);
    return EINVAL;
  }
  markRegScratched(env, regno);
  const reg = regs[regno];
  if (t === SRC_OP) {
    if (reg.type === NOT_INIT) {
      verbose(env, `R${regno} !read_ok\n`);
      return EACCES;
    }
    return 0;
  }
  if (regno === 10) {
    verbose(env, "frame pointer is read only\n");
    return EACCES;
  }
  if (t === DST_OP) markRegUnknown(reg);
  return 0;
}

/** `reg_bounds_sanity_check(env, reg, ctx)`. */
export function regBoundsSanityCheck(env: Env, reg: RegState, ctx: string): number {
  const msg = regBoundsViolation(W64, reg);
  if (msg === null) return 0;
  const h = (v: bigint, bits: number) => "0x" + BigInt.asUintN(bits, v).toString(16);
  verbose(
    env,
    `verifier bug: REG INVARIANTS VIOLATION (${ctx}): ${msg} u64=[${h(reg.umin, 64)}, ${h(reg.umax, 64)}] ` +
      `s64=[${h(reg.smin, 64)}, ${h(reg.smax, 64)}] u32=[${h(reg.u32min, 32)}, ${h(reg.u32max, 32)}] ` +
      `s32=[${h(reg.s32min, 32)}, ${h(reg.s32max, 32)}] var_off=(${h(reg.varOff.value, 64)}, ` +
      `${h(reg.varOff.mask, 64)})\n`,
  );
  markRegUnbounded(W64, reg);
  return 0;
}

/** `assign_scalar_id_before_mov(env, src_reg)`. */
export function assignScalarIdBeforeMov(env: Env, src: RegState): void {
  if (src.type !== SCALAR_VALUE) return;
  if (src.id & BPF_ADD_CONST) {
    src.id = 0;
    src.off = 0;
  }
  if (!src.id && src.varOff.mask !== 0n) src.id = ++env.idGen;
}

/** `get_reg_width(reg)`: bits needed for umax. */
export function getRegWidth(reg: RegState): number {
  return reg.umax === 0n ? 0 : reg.umax.toString(2).length;
}

const ALU_NAMES = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];

/** `bpf_alu_string[op >> 4]`. */
export function aluString(op: number): string {
  return ALU_NAMES[op >> 4] ?? "";
}

/** `adjust_reg_min_max_vals(env, insn)`. */
function adjustRegMinMaxVals(env: Env, i: number): number {
  const regs = curRegs(env);
  const code = env.code[i], op = code & 0xf0, alu32 = (code & 7) !== 7;
  const dst = regs[env.dst[i]];
  if (dst.type === PTR_TO_ARENA) return 0;
  const ptrReg = dst.type !== SCALAR_VALUE ? dst : null;
  let src: RegState;
  if (code & 8) {
    src = regs[env.src[i]];
    if (src.type !== SCALAR_VALUE) {
      if (dst.type !== SCALAR_VALUE) {
        if (op === 0x10) {
          markRegUnknown(dst);
          return 0;
        }
        verbose(env, `R${env.dst[i]} pointer ${aluString(op)} pointer prohibited\n`);
        return EACCES;
      }
      const err = markChainPrecision(env, env.dst[i]);
      if (err) return err;
      return adjustPtrMinMaxVals(env, i, src, dst);
    } else if (ptrReg) {
      const err = markChainPrecision(env, env.src[i]);
      if (err) return err;
      return adjustPtrMinMaxVals(env, i, dst, src);
    } else if (dst.precise) {
      const err = markChainPrecision(env, env.src[i]);
      if (err) return err;
    }
  } else {
    src = offReg; // the kernel's `struct bpf_reg_state off_reg = {0}`
    src.type = SCALAR_VALUE;
    src.frameno = 0;
    src.subregDef = 0;
    src.precise = false;
    markRegKnownImm(src, env.imm[i]);
    if (ptrReg) return adjustPtrMinMaxVals(env, i, ptrReg, src);
  }
  // The 6.18.y kernel forks a scalar in [-1, 0] on AND/OR with a constant
  // (maybe_fork_scalars): the pushed state redoes the insn with dst = 0.
  if ((op === 0x50 || op === 0x40) && tnumIsConst(src.varOff)) {
    const err = maybeForkScalars(env, i, dst);
    if (err) return err;
  }
  const dstUmax = dst.umax;
  copyReg(env.fakeReg[1], src); // the kernel passes src_reg by value
  adjustScalarMinMaxVals(W64, !alu32, op, dst, env.fakeReg[1]);
  // Linked scalars (the 6.18.y backport of "Support negative offsets,
  // BPF_SUB, and alu32 for linked register tracking" and "Clear delta when
  // clearing reg id for non-{add,sub} ops").
  if ((op === 0x00 || op === 0x10) && dst.id && isRegConst(W64, src, alu32)) {
    const val = regConstValue(W64, src, alu32);
    let off = Number(BigInt.asIntN(32, val));
    let clear = (!alu32 && (BigInt.asIntN(64, val) < -0x80000000n || BigInt.asIntN(64, val) > 0x7fffffffn)) ||
      (alu32 && dstUmax > 0xffffffffn);
    if (!clear && op === 0x10) {
      if (off === -0x80000000) clear = true;
      else off = -off;
    }
    if (clear || (dst.id & BPF_ADD_CONST)) {
      dst.off = 0;
      dst.id = 0;
    } else {
      dst.id = (dst.id | (alu32 ? BPF_ADD_CONST32 : BPF_ADD_CONST64)) >>> 0;
      dst.off = off;
    }
  } else {
    dst.id = 0;
    dst.off = 0;
  }
  return 0;
}

/** `check_alu_op(env, insn)`. */
export function checkAluOp(env: Env, i: number): number {
  const regs = curRegs(env);
  const code = env.code[i], op = code & 0xf0, cls = code & 7;
  const d = env.dst[i], s = env.src[i], off = env.off[i], imm = env.imm[i];
  let err: number;
  if (op === 0xd0 || op === 0x80) {
    if (op === 0x80) {
      if ((code & 8) || s !== 0 || off !== 0 || imm !== 0) {
        verbose(env, "BPF_NEG uses reserved fields\n");
        return EINVAL;
      }
    } else if (s !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (cls === 7 && (code & 8))) {
      verbose(env, "BPF_END uses reserved fields\n");
      return EINVAL;
    }
    if ((err = checkRegArg(env, d, SRC_OP))) return err;
    if (op === 0x80 && regs[d].type === SCALAR_VALUE) {
      err = checkRegArg(env, d, DST_OP_NO_MARK);
      if (!err) {
        copyReg(env.fakeReg[1], regs[d]);
        adjustScalarMinMaxVals(W64, cls === 7, op, regs[d], env.fakeReg[1]);
      }
    } else if (op === 0xd0 && regs[d].type === SCALAR_VALUE) {
      err = checkRegArg(env, d, DST_OP_NO_MARK);
      if (!err) scalarByteSwap(regs[d], cls === 7, (code & 8) !== 0, imm);
    } else {
      err = checkRegArg(env, d, DST_OP);
    }
    if (err) return err;
  } else if (op === 0xb0) {
    if (code & 8) {
      if (cls === 4) {
        if ((off !== 0 && off !== 8 && off !== 16) || imm) {
          verbose(env, "BPF_MOV uses reserved fields\n");
          return EINVAL;
        }
      } else if (off === 1) {
        if (imm !== 1 && imm !== 1 << 16) {
          verbose(env, "addr_space_cast insn can only convert between address space 1 and 0\n");
          return EINVAL;
        }
        verbose(env, "addr_space_cast insn can only be used in a program that has an associated arena\n");
        return EINVAL;
      } else if ((off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm) {
        verbose(env, "BPF_MOV uses reserved fields\n");
        return EINVAL;
      }
      if ((err = checkRegArg(env, s, SRC_OP))) return err;
    } else if (s !== 0 || off !== 0) {
      verbose(env, "BPF_MOV uses reserved fields\n");
      return EINVAL;
    }
    if ((err = checkRegArg(env, d, DST_OP_NO_MARK))) return err;
    if (code & 8) {
      const src = regs[s], dst = regs[d];
      if (cls === 7) {
        if (off === 0) {
          assignScalarIdBeforeMov(env, src);
          copyReg(dst, src);
          dst.subregDef = 0;
        } else if (src.type === SCALAR_VALUE) {
          const noSext = src.umax < (1n << BigInt(off - 1));
          if (noSext) assignScalarIdBeforeMov(env, src);
          copyReg(dst, src);
          if (!noSext) dst.id = 0;
          coerceRegToSizeSx(dst, off >> 3);
          dst.subregDef = 0;
        } else {
          markRegUnknown(dst);
        }
      } else {
        if (src.type === SCALAR_VALUE) {
          if (off === 0) {
            const isU32 = getRegWidth(src) <= 32;
            if (isU32) assignScalarIdBeforeMov(env, src);
            copyReg(dst, src);
            if (!isU32) dst.id = 0;
            dst.subregDef = env.insnIdx + 1;
          } else {
            const noSext = src.umax < (1n << BigInt(off - 1));
            if (noSext) assignScalarIdBeforeMov(env, src);
            copyReg(dst, src);
            if (!noSext) dst.id = 0;
            dst.subregDef = env.insnIdx + 1;
            coerceSubregToSizeSx(dst, off >> 3);
          }
        } else {
          markRegUnknown(dst);
        }
        zext32To64(W64, dst);
        regBoundsSync(W64, dst);
      }
    } else {
      markRegUnknown(regs[d]);
      regs[d].type = SCALAR_VALUE;
      markRegKnownImm(regs[d], cls === 7 ? imm : imm >>> 0);
    }
  } else if (op > 0xd0) {
    verbose(env, `invalid BPF_ALU opcode ${op.toString(16)}\n`);
    return EINVAL;
  } else {
    if (code & 8) {
      if (imm !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== 0x90 && op !== 0x30)) {
        verbose(env, "BPF_ALU uses reserved fields\n");
        return EINVAL;
      }
      if ((err = checkRegArg(env, s, SRC_OP))) return err;
    } else if (s !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== 0x90 && op !== 0x30)) {
      verbose(env, "BPF_ALU uses reserved fields\n");
      return EINVAL;
    }
    if ((err = checkRegArg(env, d, SRC_OP))) return err;
    if ((op === 0x90 || op === 0x30) && !(code & 8) && imm === 0) {
      verbose(env, "div by zero\n");
      return EINVAL;
    }
    if ((op === 0x60 || op === 0x70 || op === 0xc0) && !(code & 8)) {
      const size = cls === 7 ? 64 : 32;
      if (imm < 0 || imm >= size) {
        verbose(env, `invalid shift ${imm}\n`);
        return EINVAL;
      }
    }
    err = checkRegArg(env, d, DST_OP_NO_MARK);
    if (!err) err = adjustRegMinMaxVals(env, i);
    if (err) return err;
  }
  return regBoundsSanityCheck(env, regs[d], "alu");
}
