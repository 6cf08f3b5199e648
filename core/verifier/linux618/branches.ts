/**
 * Branch refinement of Linux 6.18 on scalars: `is_scalar_branch_taken`
 * (dead-branch elimination), `flip_opcode`, `rev_opcode`,
 * `regs_refine_cond_op` (what each side of a comparison learns about both
 * operands) and the bound synchronisation of `reg_set_min_max`. Pointer
 * cases (`is_branch_taken` with pointers, packet pointers) live with the
 * jump check.
 *
 * Opcodes are `BPF_OP` values (`0x10` JEQ ... `0xd0` JSLE); the reverse of
 * JSET is `JSET | BPF_X` (`0x48`), as in the kernel.
 *
 * @module
 */
import { isRegConst, regBoundsSync, regConstValue, type RegState } from "./reg.ts";
import {
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumOverlap,
  tnumSubreg,
  tnumWithSubreg,
} from "./tnum.ts";
import type { Width } from "./width.ts";

/** JEQ */
export const JEQ = 0x10;
/** JGT */
export const JGT = 0x20;
/** JGE */
export const JGE = 0x30;
/** JSET */
export const JSET = 0x40;
/** JNE */
export const JNE = 0x50;
/** JSGT */
export const JSGT = 0x60;
/** JSGE */
export const JSGE = 0x70;
/** JLT */
export const JLT = 0xa0;
/** JLE */
export const JLE = 0xb0;
/** JSLT */
export const JSLT = 0xc0;
/** JSLE */
export const JSLE = 0xd0;
/** The reverse of JSET (`BPF_JSET | BPF_X`). */
export const JSET_REV = 0x48;

/** `flip_opcode(op)`: `a op b` as `b op' a`. */
export function flipOpcode(op: number): number {
  switch (op) {
    case JGE:
      return JLE;
    case JGT:
      return JLT;
    case JLE:
      return JGE;
    case JLT:
      return JGT;
    case JSGE:
      return JSLE;
    case JSGT:
      return JSLT;
    case JSLE:
      return JSGE;
    case JSLT:
      return JSGT;
    case JEQ:
    case JNE:
    case JSET:
      return op;
    default:
      return 0;
  }
}

/** `rev_opcode(op)`: the condition of the false branch. */
export function revOpcode(op: number): number {
  switch (op) {
    case JEQ:
      return JNE;
    case JNE:
      return JEQ;
    case JSET:
      return JSET_REV;
    case JSET_REV:
      return JSET;
    case JGE:
      return JLT;
    case JGT:
      return JLE;
    case JLE:
      return JGT;
    case JLT:
      return JGE;
    case JSGE:
      return JSLT;
    case JSGT:
      return JSLE;
    case JSLE:
      return JSGT;
    case JSLT:
      return JSGE;
    default:
      return 0;
  }
}

/** `is_scalar_branch_taken(reg1, reg2, opcode, is_jmp32)`: 1 taken, 0 not taken, -1 unknown. */
export function isScalarBranchTaken(w: Width, reg1: RegState, reg2: RegState, op: number, jmp32: boolean): number {
  let t1 = jmp32 ? tnumSubreg(w, reg1.varOff) : reg1.varOff;
  let t2 = jmp32 ? tnumSubreg(w, reg2.varOff) : reg2.varOff;
  const umin1 = jmp32 ? reg1.u32min : reg1.umin, umax1 = jmp32 ? reg1.u32max : reg1.umax;
  const smin1 = jmp32 ? reg1.s32min : reg1.smin, smax1 = jmp32 ? reg1.s32max : reg1.smax;
  const umin2 = jmp32 ? reg2.u32min : reg2.umin, umax2 = jmp32 ? reg2.u32max : reg2.umax;
  const smin2 = jmp32 ? reg2.s32min : reg2.smin, smax2 = jmp32 ? reg2.s32max : reg2.smax;
  switch (op) {
    case JEQ:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 0;
      if (umin1 > umax2 || umax1 < umin2) return 0;
      if (smin1 > smax2 || smax1 < smin2) return 0;
      if (!jmp32) {
        if (reg1.u32min > reg2.u32max || reg1.u32max < reg2.u32min) return 0;
        if (reg1.s32min > reg2.s32max || reg1.s32max < reg2.s32min) return 0;
      }
      break;
    case JNE:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 1;
      if (umin1 > umax2 || umax1 < umin2) return 1;
      if (smin1 > smax2 || smax1 < smin2) return 1;
      if (!jmp32) {
        if (reg1.u32min > reg2.u32max || reg1.u32max < reg2.u32min) return 1;
        if (reg1.s32min > reg2.s32max || reg1.s32max < reg2.s32min) return 1;
      }
      break;
    case JSET: {
      let r2 = reg2;
      if (!isRegConst(w, r2, jmp32)) {
        r2 = reg1;
        const t = t1;
        t1 = t2;
        t2 = t;
      }
      if (!isRegConst(w, r2, jmp32)) return -1;
      if ((~t1.mask & t1.value) & t2.value) return 1;
      if (!((t1.mask | t1.value) & t2.value)) return 0;
      break;
    }
    case JGT:
      if (umin1 > umax2) return 1;
      else if (umax1 <= umin2) return 0;
      break;
    case JSGT:
      if (smin1 > smax2) return 1;
      else if (smax1 <= smin2) return 0;
      break;
    case JLT:
      if (umax1 < umin2) return 1;
      else if (umin1 >= umax2) return 0;
      break;
    case JSLT:
      if (smax1 < smin2) return 1;
      else if (smin1 >= smax2) return 0;
      break;
    case JGE:
      if (umin1 >= umax2) return 1;
      else if (umax1 < umin2) return 0;
      break;
    case JSGE:
      if (smin1 >= smax2) return 1;
      else if (smax1 < smin2) return 0;
      break;
    case JLE:
      if (umax1 <= umin2) return 1;
      else if (umin1 > umax2) return 0;
      break;
    case JSLE:
      if (smax1 <= smin2) return 1;
      else if (smin1 > smax2) return 0;
      break;
  }
  return -1;
}

function isPowerOf2(v: bigint): boolean {
  return v !== 0n && (v & (v - 1n)) === 0n;
}

/** `regs_refine_cond_op(reg1, reg2, opcode, is_jmp32)`: both operands learn from `reg1 op reg2` being true. */
export function regsRefineCondOp(w: Width, reg1: RegState, reg2: RegState, op: number, jmp32: boolean): void {
  const hb = w.half, b = w.bits;
  switch (op) {
    case JGE:
    case JGT:
    case JSGE:
    case JSGT: {
      op = flipOpcode(op);
      const t = reg1;
      reg1 = reg2;
      reg2 = t;
      break;
    }
  }
  switch (op) {
    case JEQ:
      if (jmp32) {
        reg1.u32min = max(reg1.u32min, reg2.u32min);
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg1.s32min = max(reg1.s32min, reg2.s32min);
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.u32min = reg1.u32min;
        reg2.u32max = reg1.u32max;
        reg2.s32min = reg1.s32min;
        reg2.s32max = reg1.s32max;
        const t = tnumIntersect(tnumSubreg(w, reg1.varOff), tnumSubreg(w, reg2.varOff));
        reg1.varOff = tnumWithSubreg(w, reg1.varOff, t);
        reg2.varOff = tnumWithSubreg(w, reg2.varOff, t);
      } else {
        reg1.umin = max(reg1.umin, reg2.umin);
        reg1.umax = min(reg1.umax, reg2.umax);
        reg1.smin = max(reg1.smin, reg2.smin);
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.umin = reg1.umin;
        reg2.umax = reg1.umax;
        reg2.smin = reg1.smin;
        reg2.smax = reg1.smax;
        reg1.varOff = tnumIntersect(reg1.varOff, reg2.varOff);
        reg2.varOff = reg1.varOff;
      }
      break;
    case JNE: {
      if (!isRegConst(w, reg2, jmp32)) {
        const t = reg1;
        reg1 = reg2;
        reg2 = t;
      }
      if (!isRegConst(w, reg2, jmp32)) break;
      const val = regConstValue(w, reg2, jmp32);
      if (jmp32) {
        const u = BigInt.asUintN(hb, val), s = BigInt.asIntN(hb, val);
        if (reg1.u32min === u) reg1.u32min = BigInt.asUintN(hb, reg1.u32min + 1n);
        if (reg1.u32max === u) reg1.u32max = BigInt.asUintN(hb, reg1.u32max - 1n);
        if (reg1.s32min === s) reg1.s32min = BigInt.asIntN(hb, reg1.s32min + 1n);
        if (reg1.s32max === s) reg1.s32max = BigInt.asIntN(hb, reg1.s32max - 1n);
      } else {
        const u = BigInt.asUintN(b, val), s = BigInt.asIntN(b, val);
        if (reg1.umin === u) reg1.umin = BigInt.asUintN(b, reg1.umin + 1n);
        if (reg1.umax === u) reg1.umax = BigInt.asUintN(b, reg1.umax - 1n);
        if (reg1.smin === s) reg1.smin = BigInt.asIntN(b, reg1.smin + 1n);
        if (reg1.smax === s) reg1.smax = BigInt.asIntN(b, reg1.smax - 1n);
      }
      break;
    }
    case JSET: {
      if (!isRegConst(w, reg2, jmp32)) {
        const t = reg1;
        reg1 = reg2;
        reg2 = t;
      }
      if (!isRegConst(w, reg2, jmp32)) break;
      const val = regConstValue(w, reg2, jmp32);
      if (!isPowerOf2(val)) break;
      if (jmp32) {
        const t = tnumOr(tnumSubreg(w, reg1.varOff), tnumConst(val));
        reg1.varOff = tnumWithSubreg(w, reg1.varOff, t);
      } else {
        reg1.varOff = tnumOr(reg1.varOff, tnumConst(val));
      }
      break;
    }
    case JSET_REV: {
      if (!isRegConst(w, reg2, jmp32)) {
        const t = reg1;
        reg1 = reg2;
        reg2 = t;
      }
      if (!isRegConst(w, reg2, jmp32)) break;
      const val = regConstValue(w, reg2, jmp32);
      markUnbounded(w, reg1);
      const notVal = BigInt.asUintN(b, ~val);
      if (jmp32) {
        const t = tnumAnd(tnumSubreg(w, reg1.varOff), tnumConst(notVal));
        reg1.varOff = tnumWithSubreg(w, reg1.varOff, t);
      } else {
        reg1.varOff = tnumAnd(reg1.varOff, tnumConst(notVal));
      }
      break;
    }
    case JLE:
      if (jmp32) {
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg2.u32min = max(reg1.u32min, reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, reg2.umax);
        reg2.umin = max(reg1.umin, reg2.umin);
      }
      break;
    case JLT:
      if (jmp32) {
        reg1.u32max = min(reg1.u32max, BigInt.asUintN(hb, reg2.u32max - 1n));
        reg2.u32min = max(BigInt.asUintN(hb, reg1.u32min + 1n), reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, BigInt.asUintN(b, reg2.umax - 1n));
        reg2.umin = max(BigInt.asUintN(b, reg1.umin + 1n), reg2.umin);
      }
      break;
    case JSLE:
      if (jmp32) {
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.s32min = max(reg1.s32min, reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.smin = max(reg1.smin, reg2.smin);
      }
      break;
    case JSLT:
      if (jmp32) {
        reg1.s32max = min(reg1.s32max, BigInt.asIntN(hb, reg2.s32max - 1n));
        reg2.s32min = max(BigInt.asIntN(hb, reg1.s32min + 1n), reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, BigInt.asIntN(b, reg2.smax - 1n));
        reg2.smin = max(BigInt.asIntN(b, reg1.smin + 1n), reg2.smin);
      }
      break;
  }
}

function markUnbounded(w: Width, reg: RegState): void {
  reg.smin = w.smin;
  reg.smax = w.smax;
  reg.umin = 0n;
  reg.umax = w.umax;
  reg.s32min = w.hsmin;
  reg.s32max = w.hsmax;
  reg.u32min = 0n;
  reg.u32max = w.humax;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * The scalar part of `reg_set_min_max`: refine the false branch's operands
 * with the reversed condition and the true branch's with the condition,
 * then `reg_bounds_sync` all four. Returns nothing; the caller runs
 * `reg_bounds_sanity_check` on the four registers.
 */
export function regSetMinMaxScalars(
  w: Width,
  trueReg1: RegState,
  trueReg2: RegState,
  falseReg1: RegState,
  falseReg2: RegState,
  op: number,
  jmp32: boolean,
): void {
  regsRefineCondOp(w, falseReg1, falseReg2, revOpcode(op), jmp32);
  regBoundsSync(w, falseReg1);
  regBoundsSync(w, falseReg2);
  regsRefineCondOp(w, trueReg1, trueReg2, op, jmp32);
  regBoundsSync(w, trueReg1);
  regBoundsSync(w, trueReg2);
}
