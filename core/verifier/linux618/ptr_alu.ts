/**
 * Pointer arithmetic of Linux 6.18 (`adjust_ptr_min_max_vals`,
 * `check_reg_sane_offset`): which pointer types allow it, 64-bit ADD and
 * SUB only, constant offsets folded into `off`, variable ones tracked in
 * the bounds and `var_off` (packet pointers get a new id and lose their
 * range), the `BPF_MAX_VAR_OFF` limits. Privileged loads skip Spectre
 * sanitation (`bypass_spec_v1`).
 *
 * @module
 */
import { curRegs, EACCES, EINVAL, type Env, verbose } from "./env.ts";
import { regTypeStr } from "./print.ts";
import {
  baseType,
  CONST_PTR_TO_DYNPTR,
  CONST_PTR_TO_MAP,
  markReg32Unbounded,
  markRegUnknown,
  PTR_MAYBE_NULL,
  PTR_TO_BTF_ID,
  PTR_TO_BUF,
  PTR_TO_CTX,
  PTR_TO_FLOW_KEYS,
  PTR_TO_FUNC,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_PACKET,
  PTR_TO_PACKET_META,
  PTR_TO_STACK,
  PTR_TO_TP_BUFFER,
  regBoundsSync,
  RegState,
  typeIsPktPointer,
} from "./reg.ts";
import { tnumAdd, tnumIsConst, tnumSub } from "./tnum.ts";
import { W64 } from "./width.ts";

/** `BPF_MAX_VAR_OFF`. */
export const BPF_MAX_VAR_OFF = 1 << 29;

const ALU_NAMES = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];

/** `check_reg_sane_offset(env, reg, type)`. */
export function checkRegSaneOffset(env: Env, reg: RegState, type: number): boolean {
  const known = tnumIsConst(reg.varOff);
  const val = BigInt.asIntN(64, reg.varOff.value);
  const max = BigInt(BPF_MAX_VAR_OFF);
  if (known && (val >= max || val <= -max)) {
    verbose(env, `math between ${regTypeStr(type)} pointer and ${val} is not allowed\n`);
    return false;
  }
  if (reg.off >= BPF_MAX_VAR_OFF || reg.off <= -BPF_MAX_VAR_OFF) {
    verbose(env, `${regTypeStr(type)} pointer offset ${reg.off} is not allowed\n`);
    return false;
  }
  if (reg.smin === W64.smin) {
    verbose(env, `math between ${regTypeStr(type)} pointer and register with unbounded min value is not allowed\n`);
    return false;
  }
  if (reg.smin >= max || reg.smin <= -max) {
    verbose(env, `value ${reg.smin} makes ${regTypeStr(type)} pointer be out of bounds\n`);
    return false;
  }
  return true;
}

/** The pointer's union, saved before dst (which may be the pointer) changes; reused. */
const rawScratch = new RegState();

function copyRaw(d: RegState, s: RegState): void {
  d.map = s.map;
  d.mapUid = s.mapUid;
  d.range = s.range;
  d.memSize = s.memSize;
  d.subprogno = s.subprogno;
}

function clearRaw(d: RegState): void {
  d.map = -1;
  d.mapUid = 0;
  d.range = 0;
  d.memSize = 0;
  d.subprogno = 0;
}

/** `adjust_ptr_min_max_vals(env, insn, ptr_reg, off_reg)`. */
export function adjustPtrMinMaxVals(env: Env, i: number, ptrIn: RegState, off: RegState): number {
  const regs = curRegs(env);
  const d = env.dst[i], code = env.code[i], op = code & 0xf0;
  const dst = regs[d];
  // the kernel reads ptr_reg/off_reg through pointers that may alias dst_reg
  const ptr = ptrIn;
  const known = tnumIsConst(off.varOff);
  const sminVal = off.smin, smaxVal = off.smax, uminVal = off.umin, umaxVal = off.umax;
  const sminPtr = ptr.smin, smaxPtr = ptr.smax, uminPtr = ptr.umin, umaxPtr = ptr.umax;
  if ((known && (sminVal !== smaxVal || uminVal !== umaxVal)) || sminVal > smaxVal || uminVal > umaxVal) {
    markRegUnknown(dst);
    return 0;
  }
  if ((code & 7) !== 7) {
    if (op === 0x10) {
      markRegUnknown(dst);
      return 0;
    }
    verbose(env, `R${d} 32-bit pointer arithmetic prohibited\n`);
    return EACCES;
  }
  const ptrType = ptr.type;
  if (ptrType & PTR_MAYBE_NULL) {
    verbose(env, `R${d} pointer arithmetic on ${regTypeStr(ptrType)} prohibited, null-check it first\n`);
    return EACCES;
  }
  switch (baseType(ptrType)) {
    case PTR_TO_CTX:
    case PTR_TO_MAP_VALUE:
    case PTR_TO_MAP_KEY:
    case PTR_TO_STACK:
    case PTR_TO_PACKET_META:
    case PTR_TO_PACKET:
    case PTR_TO_TP_BUFFER:
    case PTR_TO_BTF_ID:
    case PTR_TO_MEM:
    case PTR_TO_BUF:
    case PTR_TO_FUNC:
    case CONST_PTR_TO_DYNPTR:
      break;
    case PTR_TO_FLOW_KEYS:
      if (known) break;
    /* falls through */
    case CONST_PTR_TO_MAP:
      if (known && sminVal === 0n && op === 0x00) break;
    /* falls through */
    default:
      verbose(env, `R${d} pointer arithmetic on ${regTypeStr(ptrType)} prohibited\n`);
      return EACCES;
  }
  dst.type = ptrType;
  dst.id = ptr.id;
  if (!checkRegSaneOffset(env, off, ptrType) || !checkRegSaneOffset(env, ptr, ptrType)) return EINVAL;
  markReg32Unbounded(W64, dst);
  const ptrOff = ptr.off, ptrVarOff = ptr.varOff, ptrId = ptr.id;
  const raw = rawScratch;
  copyRaw(raw, ptr);
  switch (op) {
    case 0x00: {
      const sum = BigInt(ptrOff) + sminVal;
      if (known && sum === BigInt.asIntN(32, sum)) {
        dst.smin = sminPtr;
        dst.smax = smaxPtr;
        dst.umin = uminPtr;
        dst.umax = umaxPtr;
        dst.varOff = ptrVarOff;
        dst.off = Number(sum);
        copyRaw(dst, raw);
        break;
      }
      const s1 = sminPtr + sminVal, s2 = smaxPtr + smaxVal;
      if (s1 !== BigInt.asIntN(64, s1) || s2 !== BigInt.asIntN(64, s2)) {
        dst.smin = W64.smin;
        dst.smax = W64.smax;
      } else {
        dst.smin = s1;
        dst.smax = s2;
      }
      const u1 = uminPtr + uminVal, u2 = umaxPtr + umaxVal;
      if (u1 > W64.umax || u2 > W64.umax) {
        dst.umin = 0n;
        dst.umax = W64.umax;
      } else {
        dst.umin = u1;
        dst.umax = u2;
      }
      dst.varOff = tnumAdd(W64, ptrVarOff, off.varOff);
      dst.off = ptrOff;
      copyRaw(dst, raw);
      if (typeIsPktPointer(ptrType)) {
        dst.id = ++env.idGen;
        clearRaw(dst);
      }
      break;
    }
    case 0x10: {
      if (dst === off) {
        verbose(env, `R${d} tried to subtract pointer from scalar\n`);
        return EACCES;
      }
      if (ptrType === PTR_TO_STACK) {
        verbose(env, `R${d} subtraction from stack pointer prohibited\n`);
        return EACCES;
      }
      const diff = BigInt(ptrOff) - sminVal;
      if (known && diff === BigInt.asIntN(32, diff)) {
        dst.smin = sminPtr;
        dst.smax = smaxPtr;
        dst.umin = uminPtr;
        dst.umax = umaxPtr;
        dst.varOff = ptrVarOff;
        dst.id = ptrId;
        dst.off = Number(diff);
        copyRaw(dst, raw);
        break;
      }
      const s1 = sminPtr - smaxVal, s2 = smaxPtr - sminVal;
      if (s1 !== BigInt.asIntN(64, s1) || s2 !== BigInt.asIntN(64, s2)) {
        dst.smin = W64.smin;
        dst.smax = W64.smax;
      } else {
        dst.smin = s1;
        dst.smax = s2;
      }
      if (uminPtr < umaxVal) {
        dst.umin = 0n;
        dst.umax = W64.umax;
      } else {
        dst.umin = uminPtr - umaxVal;
        dst.umax = umaxPtr - uminVal;
      }
      dst.varOff = tnumSub(W64, ptrVarOff, off.varOff);
      dst.off = ptrOff;
      copyRaw(dst, raw);
      if (typeIsPktPointer(ptrType)) {
        dst.id = ++env.idGen;
        if (sminVal < 0n) clearRaw(dst);
      }
      break;
    }
    case 0x50:
    case 0x40:
    case 0xa0:
      verbose(env, `R${d} bitwise operator ${ALU_NAMES[op >> 4]} on pointer prohibited\n`);
      return EACCES;
    default:
      verbose(env, `R${d} pointer arithmetic with ${ALU_NAMES[op >> 4]} operator prohibited\n`);
      return EACCES;
  }
  // 6.18.y: an AT_PKT_END/BEYOND_PKT_END range says where this pointer is; moved, it says nothing (r=0)
  if (typeIsPktPointer(ptrType) && dst.range < 0) dst.range = 0;
  if (!checkRegSaneOffset(env, dst, ptrType)) return EINVAL;
  regBoundsSync(W64, dst);
  return 0;
}
