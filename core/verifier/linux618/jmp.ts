/**
 * `check_cond_jmp_op` of Linux 6.18: operand checks, `is_branch_taken`
 * (scalars, pointers against 0, packet pointers against pkt_end) with
 * precision marks on a decided branch, linked scalar ids
 * (`collect_linked_regs`, `sync_linked_regs`), `push_stack` of the target,
 * `reg_set_min_max` on both branches, NULL checks of maybe-NULL pointers
 * (`mark_ptr_or_null_regs`) and packet range discovery
 * (`try_match_pkt_pointers`, `find_good_pkt_pointers`, `mark_pkt_end`).
 *
 * @module
 */
import { checkRegArg, DST_OP, regBoundsSanityCheck, SRC_OP } from "./alu.ts";
import { E2BIG, EACCES, EINVAL, type Env, verbose } from "./env.ts";
import { flipOpcode, isScalarBranchTaken, JEQ, JGE, JGT, JLE, JLT, JNE, regSetMinMaxScalars } from "./branches.ts";
import {
  INSN_F_DST_REG_STACK,
  INSN_F_SRC_REG_STACK,
  type LinkedReg,
  linkedRegsPack,
  markChainPrecision,
  pushJmpHistory,
} from "./precision.ts";
import {
  baseType,
  BPF_ADD_CONST,
  BPF_ADD_CONST32,
  CONST_PTR_TO_MAP,
  copyReg,
  isRegConst,
  markRegKnown,
  markRegKnownImm,
  PTR_MAYBE_NULL,
  PTR_TO_BTF_ID,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_PACKET,
  PTR_TO_PACKET_END,
  PTR_TO_PACKET_META,
  PTR_TO_SOCK_COMMON,
  PTR_TO_SOCKET,
  PTR_TO_STACK,
  PTR_TO_TCP_SOCK,
  regBoundsSync,
  regConstValue,
  RegState,
  SCALAR_VALUE,
  typeIsPktPointer,
  typeMayBeNull,
} from "./reg.ts";
import { scalar32MinMaxAdd, scalarMinMaxAdd, zext32To64 } from "./scalar_alu.ts";
import { BPF_REG_FP, BPF_REG_SIZE, STACK_SPILL, type VerifierState } from "./state.ts";
import { findPrevEntry, pushStack, widenImpreciseScalars } from "./states.ts";
import { releaseReferenceNomark } from "./refs.ts";
import { tnumAdd, tnumEqualsConst } from "./tnum.ts";
import { W64 } from "./width.ts";
import { printInsnState } from "./trace.ts";
import { BPF_LOG_LEVEL } from "./log.ts";

/** `AT_PKT_END`: a packet pointer known to be at pkt_end. */
export const AT_PKT_END = -1;
/** `BEYOND_PKT_END`: a packet pointer known to be past pkt_end. */
export const BEYOND_PKT_END = -2;
/** `BPF_MAY_GOTO`: the src_reg of `may_goto` (the only `BPF_JCOND` instruction). */
export const BPF_MAY_GOTO = 0;
/** `MAX_PACKET_OFF`. */
export const MAX_PACKET_OFF = 0xffff;

/** `reg_not_null(reg)`. */
export function regNotNull(reg: RegState): boolean {
  const t = reg.type;
  if (typeMayBeNull(t)) return false;
  const b = baseType(t);
  return b === PTR_TO_SOCKET || b === PTR_TO_TCP_SOCK || b === PTR_TO_MAP_VALUE || b === PTR_TO_MAP_KEY ||
    b === PTR_TO_SOCK_COMMON || b === PTR_TO_MEM || b === CONST_PTR_TO_MAP;
}

function isPktAny(reg: RegState): boolean {
  return typeIsPktPointer(reg.type) || reg.type === PTR_TO_PACKET_END;
}

/** `is_pkt_ptr_branch_taken(dst_reg, src_reg, opcode)`. */
function isPktPtrBranchTaken(dst: RegState, src: RegState, op: number): number {
  let pkt: RegState;
  if (src.type === PTR_TO_PACKET_END) pkt = dst;
  else if (dst.type === PTR_TO_PACKET_END) {
    pkt = src;
    op = flipOpcode(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case JLE:
    case JGT:
      if (pkt.range === BEYOND_PKT_END) return op === JGT ? 1 : 0;
      break;
    case JLT:
    case JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === JGE ? 1 : 0;
      break;
  }
  return -1;
}

/** `is_branch_taken(reg1, reg2, opcode, is_jmp32)`. */
export function isBranchTaken(reg1: RegState, reg2: RegState, op: number, jmp32: boolean): number {
  if (isPktAny(reg1) && isPktAny(reg2) && !jmp32) return isPktPtrBranchTaken(reg1, reg2, op);
  if (reg1.type !== SCALAR_VALUE || reg2.type !== SCALAR_VALUE) {
    if (!isRegConst(W64, reg2, jmp32)) {
      op = flipOpcode(op);
      const t = reg1;
      reg1 = reg2;
      reg2 = t;
    }
    if (!isRegConst(W64, reg2, jmp32)) return -1;
    if (!regNotNull(reg1)) return -1;
    const val = regConstValue(W64, reg2, jmp32);
    if (val !== 0n) return -1;
    if (op === JEQ) return 0;
    if (op === JNE) return 1;
    return -1;
  }
  return isScalarBranchTaken(W64, reg1, reg2, op, jmp32);
}

/** `find_good_pkt_pointers(vstate, dst_reg, type, range_right_open)`. */
function findGoodPktPointers(vs: VerifierState, dst: RegState, type: number, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  let range = dst.off;
  if (rightOpen) range++;
  forEachReg(vs, (reg) => {
    if (reg.type === type && reg.id === dst.id) reg.range = Math.max(reg.range, range);
  });
}

/** `bpf_for_each_reg_in_vstate`. */
export function forEachReg(vs: VerifierState, fn: (reg: RegState, frame: number) => void): void {
  for (let i = 0; i <= vs.curframe; i++) {
    const f = vs.frame[i]!;
    for (let j = 0; j < 11; j++) fn(f.regs[j], i);
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      if (f.stack[j].slotType[BPF_REG_SIZE - 1] === STACK_SPILL) fn(f.stack[j].spilled, i);
    }
  }
}

/** `mark_pkt_end(vstate, regn, range_open)`. */
function markPktEnd(vs: VerifierState, regn: number, rangeOpen: boolean): void {
  const reg = vs.frame[vs.curframe]!.regs[regn];
  if (reg.type !== PTR_TO_PACKET) return;
  reg.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

/** `reg_is_init_pkt_pointer(reg, which)`. */
function isInitPkt(reg: RegState, which: number): boolean {
  return reg.type === which && reg.id === 0 && reg.off === 0 && tnumEqualsConst(reg.varOff, 0n);
}

/** `try_match_pkt_pointers(insn, dst_reg, src_reg, this_branch, other_branch)`. */
function tryMatchPktPointers(
  env: Env,
  i: number,
  dst: RegState,
  src: RegState,
  thisB: VerifierState,
  otherB: VerifierState,
): boolean {
  const code = env.code[i];
  if (!(code & 8)) return false;
  if ((code & 7) === 6) return false;
  const op = code & 0xf0;
  const dFirst = (dst.type === PTR_TO_PACKET && src.type === PTR_TO_PACKET_END) ||
    (dst.type === PTR_TO_PACKET_META && isInitPkt(src, PTR_TO_PACKET));
  const sFirst = (dst.type === PTR_TO_PACKET_END && src.type === PTR_TO_PACKET) ||
    (isInitPkt(dst, PTR_TO_PACKET) && src.type === PTR_TO_PACKET_META);
  const d = env.dst[i], s = env.src[i];
  switch (op) {
    case JGT:
      if (dFirst) {
        findGoodPktPointers(thisB, dst, dst.type, false);
        markPktEnd(otherB, d, true);
      } else if (sFirst) {
        findGoodPktPointers(otherB, src, src.type, true);
        markPktEnd(thisB, s, false);
      } else return false;
      break;
    case JLT:
      if (dFirst) {
        findGoodPktPointers(otherB, dst, dst.type, true);
        markPktEnd(thisB, d, false);
      } else if (sFirst) {
        findGoodPktPointers(thisB, src, src.type, false);
        markPktEnd(otherB, s, true);
      } else return false;
      break;
    case JGE:
      if (dFirst) {
        findGoodPktPointers(thisB, dst, dst.type, true);
        markPktEnd(otherB, d, false);
      } else if (sFirst) {
        findGoodPktPointers(otherB, src, src.type, false);
        markPktEnd(thisB, s, true);
      } else return false;
      break;
    case JLE:
      if (dFirst) {
        findGoodPktPointers(otherB, dst, dst.type, false);
        markPktEnd(thisB, d, true);
      } else if (sFirst) {
        findGoodPktPointers(thisB, src, src.type, true);
        markPktEnd(otherB, s, false);
      } else return false;
      break;
    default:
      return false;
  }
  return true;
}

/** `mark_ptr_not_null_reg(reg)`. */
export function markPtrNotNullReg(reg: RegState): void {
  if (baseType(reg.type) === PTR_TO_MAP_VALUE) {
    reg.type = PTR_TO_MAP_VALUE;
    return;
  }
  reg.type &= ~PTR_MAYBE_NULL;
}

/** `mark_ptr_or_null_regs(vstate, regno, is_null)`. */
function markPtrOrNullRegs(vs: VerifierState, regno: number, isNull: boolean): void {
  const regs = vs.frame[vs.curframe]!.regs;
  const id = regs[regno].id, refObjId = regs[regno].refObjId;
  // the "== NULL" branch of a referenced pointer: nothing to release any more
  if (refObjId && refObjId === id && isNull) releaseReferenceNomark(vs, id);
  forEachReg(vs, (reg) => {
    if (typeMayBeNull(reg.type) && reg.id === id && reg.id) {
      if (reg.smin || reg.smax || !tnumEqualsConst(reg.varOff, 0n)) return;
      if (reg.off) return;
      if (isNull) {
        reg.type = SCALAR_VALUE;
        reg.id = 0;
        reg.refObjId = 0;
        return;
      }
      markPtrNotNullReg(reg);
      reg.id = 0;
    }
  });
}

/**
 * `collect_linked_regs(env, vstate, id, linked_regs)`, with the 6.18.y
 * backport of "collect only live registers" (upstream 2658a1720a19): a
 * register dead before the frame's current insn (`frame_insn_idx`) is
 * neither collected nor synced.
 */
function collectLinkedRegs(env: Env, vs: VerifierState, idIn: number, out: LinkedReg[]): void {
  const id = (idIn & ~BPF_ADD_CONST) >>> 0;
  const visit = (reg: RegState, frameno: number, spiOrReg: number, isReg: boolean) => {
    if (reg.type !== SCALAR_VALUE || ((reg.id & ~BPF_ADD_CONST) >>> 0) !== id) return;
    if (out.length < 6) out.push({ frameno, spiOrReg, isReg });
    else reg.id = 0;
  };
  for (let i = vs.curframe; i >= 0; i--) {
    const f = vs.frame[i]!;
    const live = env.liveRegsBefore[i === vs.curframe ? env.insnIdx : vs.frame[i + 1]!.callsite];
    for (let j = 0; j < BPF_REG_FP; j++) if (live & (1 << j)) visit(f.regs[j], i, j, true);
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      if (f.stack[j].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      visit(f.stack[j].spilled, i, j, false);
    }
  }
}

/** `sync_linked_regs(vstate, known_reg, linked_regs)`. */
/** The constant delta of `sync_linked_regs` (reused). */
const fakeLinkReg = new RegState();

function syncLinkedRegs(vs: VerifierState, known: RegState, linked: LinkedReg[]): void {
  for (const e of linked) {
    const f = vs.frame[e.frameno]!;
    const reg = e.isReg ? f.regs[e.spiOrReg] : f.stack[e.spiOrReg].spilled;
    if (reg.type !== SCALAR_VALUE || reg === known) continue;
    if (((reg.id & ~BPF_ADD_CONST) >>> 0) !== ((known.id & ~BPF_ADD_CONST) >>> 0)) continue;
    // 6.18.y: a 32-bit and a 64-bit link of one base do not sync (the delta holds in one width only)
    if ((((reg.id ^ known.id) & BPF_ADD_CONST) >>> 0) === BPF_ADD_CONST >>> 0) continue;
    const savedSubreg = reg.subregDef;
    if ((!(reg.id & BPF_ADD_CONST) && !(known.id & BPF_ADD_CONST)) || reg.off === known.off) {
      copyReg(reg, known);
      reg.subregDef = savedSubreg;
    } else {
      syncLinkedDelta(reg, known);
      reg.subregDef = savedSubreg;
    }
  }
}

/**
 * The other half of `sync_linked_regs` for one register: `reg` is linked
 * with `known` through different added constants (`id=N+a`, `id=N+b`), so it
 * becomes `known` moved by the difference of the two (`scalar_min_max_add`,
 * `scalar32_min_max_add`, `tnum_add`, the 32-bit zero extension of an alu32
 * link, `reg_bounds_sync`), keeping its own id, flag and offset (6.18.y).
 * Also what the log reader uses to replay a jump (core/kernlog/linked.ts).
 */
export function syncLinkedDelta(reg: RegState, known: RegState): void {
  const savedOff = reg.off, savedId = reg.id, savedSubreg = reg.subregDef;
  const fake = fakeLinkReg;
  fake.type = SCALAR_VALUE;
  markRegKnown(W64, fake, BigInt(reg.off | 0) - BigInt(known.off | 0));
  copyReg(reg, known);
  reg.off = savedOff;
  reg.id = savedId;
  reg.subregDef = savedSubreg;
  scalar32MinMaxAdd(W64, reg, fake);
  scalarMinMaxAdd(W64, reg, fake);
  reg.varOff = tnumAdd(W64, reg.varOff, fake.varOff);
  if ((savedId | known.id) & BPF_ADD_CONST32) zext32To64(W64, reg);
  regBoundsSync(W64, reg);
}

/** `check_cond_jmp_op(env, insn, &insn_idx)`. Returns 0 (and sets `env.insnIdx` to the next insn - 1) or an error. */
export function checkCondJmpOp(env: Env, i: number, pathLen: number): number {
  const thisBranch = env.cur;
  const regs = thisBranch.frame[thisBranch.curframe]!.regs;
  const code = env.code[i], op = code & 0xf0;
  let err: number;
  if (op === 0x00 || op > 0xe0) {
    verbose(env, `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}\n`);
    return EINVAL;
  }
  if (op === 0xe0) {
    // BPF_JCOND: may_goto. The current state takes the jump; the fall-through is pushed one may_goto level deeper.
    if (code !== 0xe5 || env.src[i] !== BPF_MAY_GOTO || env.dst[i] !== 0 || env.imm[i] !== 0) {
      verbose(env, `invalid may_goto imm ${env.imm[i]}\n`);
      return EINVAL;
    }
    const prev = thisBranch.parent ? findPrevEntry(env, thisBranch.parent, i) : null;
    const queued = pushStack(env, i + 1, i, pathLen);
    if (!queued) return E2BIG;
    queued.mayGotoDepth++;
    if (prev) widenImpreciseScalars(env, prev, queued);
    env.insnIdx += env.off[i];
    return 0;
  }
  if ((err = checkRegArg(env, env.dst[i], SRC_OP))) return err;
  const dst = regs[env.dst[i]];
  let src: RegState;
  let flags = 0;
  if (code & 8) {
    if (env.imm[i] !== 0) {
      verbose(env, "BPF_JMP/JMP32 uses reserved fields\n");
      return EINVAL;
    }
    if ((err = checkRegArg(env, env.src[i], SRC_OP))) return err;
    src = regs[env.src[i]];
    // is_pointer_value() is false for privileged loads: no "pointer comparison prohibited"
    if (src.type === PTR_TO_STACK) flags |= INSN_F_SRC_REG_STACK;
    if (dst.type === PTR_TO_STACK) flags |= INSN_F_DST_REG_STACK;
  } else {
    if (env.src[i] !== 0) {
      verbose(env, "BPF_JMP/JMP32 uses reserved fields\n");
      return EINVAL;
    }
    src = env.fakeReg[0];
    zeroRegLike(src);
    src.type = SCALAR_VALUE;
    markRegKnownImm(src, env.imm[i]);
    if (dst.type === PTR_TO_STACK) flags |= INSN_F_DST_REG_STACK;
  }
  if (flags && (err = pushJmpHistory(env, thisBranch, flags, 0n))) return err;
  const jmp32 = (code & 7) === 6;
  const pred = isBranchTaken(dst, src, op, jmp32);
  if (pred >= 0) {
    err = 0;
    if (dst.type === SCALAR_VALUE) err = markChainPrecision(env, env.dst[i]);
    if ((code & 8) && !err && src.type === SCALAR_VALUE) err = markChainPrecision(env, env.src[i]);
    if (err) return err;
  }
  if (pred === 1) {
    if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe);
    env.insnIdx += env.off[i];
    return 0;
  } else if (pred === 0) {
    if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe);
    return 0;
  }
  const linked: LinkedReg[] = [];
  if ((code & 8) && src.type === SCALAR_VALUE && src.id) collectLinkedRegs(env, thisBranch, src.id, linked);
  if (dst.type === SCALAR_VALUE && dst.id) collectLinkedRegs(env, thisBranch, dst.id, linked);
  if (linked.length > 1 && (err = pushJmpHistory(env, thisBranch, 0, linkedRegsPack(linked)))) return err;
  const other = pushStack(env, i + env.off[i] + 1, i, pathLen);
  if (!other) return E2BIG;
  const otherRegs = other.frame[other.curframe]!.regs;
  if (code & 8) {
    if (
      otherRegs[env.dst[i]].type === SCALAR_VALUE && otherRegs[env.src[i]].type === SCALAR_VALUE &&
      dst.type === SCALAR_VALUE && src.type === SCALAR_VALUE
    ) {
      regSetMinMaxScalars(W64, otherRegs[env.dst[i]], otherRegs[env.src[i]], dst, src, op, jmp32);
      err = regBoundsSanityCheck(env, otherRegs[env.dst[i]], "true_reg1") ||
        regBoundsSanityCheck(env, otherRegs[env.src[i]], "true_reg2") ||
        regBoundsSanityCheck(env, dst, "false_reg1") || regBoundsSanityCheck(env, src, "false_reg2");
    }
  } else {
    const fake1 = env.fakeReg[1];
    copyReg(fake1, env.fakeReg[0]);
    if (otherRegs[env.dst[i]].type === SCALAR_VALUE && dst.type === SCALAR_VALUE) {
      regSetMinMaxScalars(W64, otherRegs[env.dst[i]], env.fakeReg[0], dst, fake1, op, jmp32);
      err = regBoundsSanityCheck(env, otherRegs[env.dst[i]], "true_reg1") ||
        regBoundsSanityCheck(env, env.fakeReg[0], "true_reg2") ||
        regBoundsSanityCheck(env, dst, "false_reg1") || regBoundsSanityCheck(env, fake1, "false_reg2");
    }
  }
  if (err) return err;
  if ((code & 8) && src.type === SCALAR_VALUE && src.id && src.id === otherRegs[env.src[i]].id) {
    syncLinkedRegs(thisBranch, src, linked);
    syncLinkedRegs(other, otherRegs[env.src[i]], linked);
  }
  if (dst.type === SCALAR_VALUE && dst.id && dst.id === otherRegs[env.dst[i]].id) {
    syncLinkedRegs(thisBranch, dst, linked);
    syncLinkedRegs(other, otherRegs[env.dst[i]], linked);
  }
  if (
    !jmp32 && (code & 8) && src.type !== SCALAR_VALUE && dst.type !== SCALAR_VALUE &&
    typeMayBeNull(src.type) !== typeMayBeNull(dst.type) && baseType(src.type) !== PTR_TO_BTF_ID &&
    baseType(dst.type) !== PTR_TO_BTF_ID
  ) {
    const eq = op === JEQ ? otherRegs : op === JNE ? regs : null;
    if (eq) {
      if (typeMayBeNull(src.type)) markPtrNotNullReg(eq[env.src[i]]);
      else markPtrNotNullReg(eq[env.dst[i]]);
    }
  }
  if (!jmp32 && !(code & 8) && env.imm[i] === 0 && (op === JEQ || op === JNE) && typeMayBeNull(dst.type)) {
    markPtrOrNullRegs(thisBranch, env.dst[i], op === JNE);
    markPtrOrNullRegs(other, env.dst[i], op === JEQ);
  } else {
    tryMatchPktPointers(env, i, dst, regs[env.src[i]], thisBranch, other);
    // is_pointer_value() is false for privileged loads: no "pointer comparison prohibited"
  }
  if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe);
  return 0;
}

/** `memset(reg, 0, sizeof(*reg))`. */
function zeroRegLike(r: RegState): void {
  markRegKnown(W64, r, 0n);
  r.type = 0;
  r.frameno = 0;
  r.subregDef = 0;
  r.precise = false;
}

void DST_OP;
void EACCES;
