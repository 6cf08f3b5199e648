/**
 * Stack accesses of Linux 6.18: `check_stack_access_within_bounds`,
 * `check_stack_write_fixed_off` / `_var_off` (spills of registers and
 * constants, STACK_MISC / STACK_ZERO bytes), `check_stack_read_fixed_off` /
 * `_var_off` (fills, narrow fills, zero reads), and
 * `check_stack_range_initialized` for helper arguments.
 *
 * Stack slot `spi` covers `fp-8*(spi+1) .. fp-8*spi-1`; byte `fp+off`
 * (off < 0) is `slot_type[(-off-1) % 8]` of slot `(-off-1) / 8`.
 *
 * The profile verifies as root: `allow_ptr_leaks`, `allow_uninit_stack`,
 * `bypass_spec_v1/v4` and `bpf_capable` are all true.
 *
 * @module
 */
import { assignScalarIdBeforeMov } from "./alu.ts";
import { verboseLinfo } from "./linfo.ts";
import { curRegs, EACCES, EFAULT, EINVAL, type Env, markStackSlotScratched, verbose } from "./env.ts";
import { insnStackAccessFlags, markChainPrecision, pushJmpHistory } from "./precision.ts";
import { tnumStr } from "../../kernlog/value.ts";
import {
  baseType,
  CONST_PTR_TO_MAP,
  copyReg,
  markRegConstZero,
  markRegKnownImm,
  markRegUnknown,
  NOT_INIT,
  PTR_TO_CTX,
  PTR_TO_FLOW_KEYS,
  PTR_TO_MAP_VALUE,
  PTR_TO_PACKET,
  PTR_TO_PACKET_END,
  PTR_TO_PACKET_META,
  PTR_TO_SOCK_COMMON,
  PTR_TO_SOCKET,
  PTR_TO_STACK,
  PTR_TO_TCP_SOCK,
  PTR_TO_XDP_SOCK,
  type RegState,
  SCALAR_VALUE,
} from "./reg.ts";
import {
  BPF_REG_SIZE,
  type FuncState,
  growStackState,
  MAX_BPF_STACK,
  STACK_DYNPTR,
  STACK_INVALID,
  STACK_IRQ_FLAG,
  STACK_ITER,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
  type StackSlot,
} from "./state.ts";
import { markStackRead, markStackWrite } from "./stack_liveness.ts";
import { tnumEqualsConst, tnumIsConst } from "./tnum.ts";

/** `BPF_MAX_VAR_OFF`. */
export const BPF_MAX_VAR_OFF = 1 << 29;

/** `func(env, reg)`: the frame a stack pointer points into. */
export function funcOf(env: Env, reg: RegState): FuncState {
  return env.cur.frame[reg.frameno]!;
}

/** `is_spilled_reg(stack)`. */
export function isSpilledReg(s: StackSlot): boolean {
  return s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL;
}

/** `is_spilled_scalar_reg(stack)`. */
export function isSpilledScalarReg(s: StackSlot): boolean {
  return s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL && s.spilled.type === SCALAR_VALUE;
}

function isStackSlotSpecial(s: StackSlot): boolean {
  const t = s.slotType[BPF_REG_SIZE - 1];
  return t === STACK_SPILL || t === STACK_DYNPTR || t === STACK_ITER || t === STACK_IRQ_FLAG;
}

/** `scrub_spilled_slot(stype)`. */
export function scrubSpilledSlot(s: StackSlot, j: number): void {
  if (s.slotType[j] !== STACK_INVALID) s.slotType[j] = STACK_MISC;
}

/** `is_spillable_regtype(type)`. */
export function isSpillableRegtype(type: number): boolean {
  switch (baseType(type)) {
    case PTR_TO_MAP_VALUE:
    case PTR_TO_STACK:
    case PTR_TO_CTX:
    case PTR_TO_PACKET:
    case PTR_TO_PACKET_META:
    case PTR_TO_PACKET_END:
    case PTR_TO_FLOW_KEYS:
    case CONST_PTR_TO_MAP:
    case PTR_TO_SOCKET:
    case PTR_TO_SOCK_COMMON:
    case PTR_TO_TCP_SOCK:
    case PTR_TO_XDP_SOCK:
    case 16: // PTR_TO_BTF_ID
    case 19: // PTR_TO_BUF
    case 17: // PTR_TO_MEM
    case 20: // PTR_TO_FUNC
    case 5: // PTR_TO_MAP_KEY
    case 18: // PTR_TO_ARENA
      return true;
    default:
      return false;
  }
}

/** `register_is_null(reg)`. */
export function registerIsNull(reg: RegState): boolean {
  return reg.type === SCALAR_VALUE && tnumEqualsConst(reg.varOff, 0n);
}

/** `get_reg_width(reg)`: bits needed for umax. */
function regWidth(reg: RegState): number {
  return reg.umax === 0n ? 0 : reg.umax.toString(2).length;
}

/** `save_register_state(env, state, spi, reg, size)`. */
function saveRegisterState(state: FuncState, spi: number, reg: RegState, size: number): void {
  const slot = state.stack[spi];
  copyReg(slot.spilled, reg);
  let i: number;
  for (i = BPF_REG_SIZE; i > BPF_REG_SIZE - size; i--) slot.slotType[i - 1] = STACK_SPILL;
  for (; i; i--) {
    const t = slot.slotType[i - 1];
    if (t !== STACK_ZERO && t !== STACK_INVALID) slot.slotType[i - 1] = STACK_MISC;
  }
}

/**
 * `check_stack_access_within_bounds(env, regno, off, access_size, type)`:
 * grows the frame's stack on success.
 */
export function checkStackAccessWithinBounds(
  env: Env,
  regno: number,
  off: number,
  accessSize: number,
  write: boolean,
): number {
  const reg = curRegs(env)[regno];
  const state = funcOf(env, reg);
  const extra = write ? " write to" : " read from";
  let minOff: bigint, maxOff: bigint;
  if (tnumIsConst(reg.varOff)) {
    minOff = BigInt.asIntN(64, reg.varOff.value) + BigInt(off);
    maxOff = minOff + BigInt(accessSize);
  } else {
    if (reg.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.smin <= -BigInt(BPF_MAX_VAR_OFF)) {
      verbose(env, `invalid unbounded variable-offset${extra} stack R${regno}\n`);
      return EACCES;
    }
    minOff = reg.smin + BigInt(off);
    maxOff = reg.smax + BigInt(off) + BigInt(accessSize);
  }
  // check_stack_slot_within_bounds: writes and root reads may reach -MAX_BPF_STACK
  let err = minOff < -BigInt(MAX_BPF_STACK) || minOff > -1n ? EACCES : 0;
  if (!err && maxOff > 0n) err = EINVAL;
  if (!err && accessSize < 0) err = EFAULT;
  if (err) {
    if (tnumIsConst(reg.varOff)) {
      verbose(env, `invalid${extra} stack R${regno} off=${off} size=${accessSize}\n`);
    } else {
      verbose(
        env,
        `invalid variable-offset${extra} stack R${regno} var_off=${
          tnumStr(reg.varOff)
        } off=${off} size=${accessSize}\n`,
      );
    }
    return err;
  }
  if (growStackState(state, Number(-minOff))) {
    const sp = env.subprogs[state.subprogno];
    if (sp.stackDepth < state.allocatedStack) sp.stackDepth = state.allocatedStack;
  }
  return 0;
}

/** `check_stack_write_fixed_off(env, state, off, size, value_regno, insn_idx)`. */
function checkStackWriteFixedOff(
  env: Env,
  state: FuncState,
  off: number,
  size: number,
  valueRegno: number,
  insnIdx: number,
): number {
  const slot = -off - 1, spi = Math.floor(slot / BPF_REG_SIZE);
  let insnFlags = insnStackAccessFlags(state.frameno, spi);
  const cur = env.cur.frame[env.cur.curframe]!;
  const reg = valueRegno >= 0 ? cur.regs[valueRegno] : null;
  const st = state.stack[spi];
  if (!(off % BPF_REG_SIZE) && size === BPF_REG_SIZE) markStackWrite(env, state.frameno, 1n << BigInt(spi));
  markStackSlotScratched(env, spi);
  const isSt = (env.code[insnIdx] & 7) === 2;
  if (reg && !(off % BPF_REG_SIZE) && reg.type === SCALAR_VALUE) {
    const fits = regWidth(reg) <= 8 * size;
    if (fits) assignScalarIdBeforeMov(env, reg);
    saveRegisterState(state, spi, reg, size);
    if (!fits) st.spilled.id = 0;
  } else if (!reg && !(off % BPF_REG_SIZE) && isSt) {
    const tmp = env.fakeReg[0];
    markRegKnownImm(tmp, env.imm[insnIdx]);
    tmp.type = SCALAR_VALUE;
    tmp.frameno = 0;
    tmp.subregDef = 0;
    tmp.precise = false;
    saveRegisterState(state, spi, tmp, size);
  } else if (reg && isSpillableRegtype(reg.type)) {
    if (size !== BPF_REG_SIZE) {
      verboseLinfo(env, insnIdx, "; ");
      verbose(env, "invalid size of register spill\n");
      return EACCES;
    }
    if (state !== cur && reg.type === PTR_TO_STACK) {
      verbose(env, "cannot spill pointers to stack into stack frame of the caller\n");
      return EINVAL;
    }
    saveRegisterState(state, spi, reg, size);
  } else {
    let type = STACK_MISC;
    st.spilled.type = NOT_INIT;
    if (isStackSlotSpecial(st)) { for (let i = 0; i < BPF_REG_SIZE; i++) scrubSpilledSlot(st, i); }
    if ((reg && registerIsNull(reg)) || (!reg && isSt && env.imm[insnIdx] === 0)) {
      const err = markChainPrecision(env, valueRegno);
      if (err) return err;
      type = STACK_ZERO;
    }
    for (let i = 0; i < size; i++) st.slotType[(slot - i) % BPF_REG_SIZE] = type;
    insnFlags = 0;
  }
  if (insnFlags) return pushJmpHistory(env, env.cur, insnFlags, 0n);
  return 0;
}

/** `check_stack_write_var_off(env, state, ptr_regno, off, size, value_regno, insn_idx)`. */
function checkStackWriteVarOff(
  env: Env,
  state: FuncState,
  ptrRegno: number,
  off: number,
  size: number,
  valueRegno: number,
  insnIdx: number,
): number {
  const cur = env.cur.frame[env.cur.curframe]!;
  const ptr = cur.regs[ptrRegno];
  const minOff = Number(ptr.smin) + off, maxOff = Number(ptr.smax) + off + size;
  const value = valueRegno >= 0 ? cur.regs[valueRegno] : null;
  const isSt = (env.code[insnIdx] & 7) === 2;
  const writingZero = (value && registerIsNull(value)) || (!value && isSt && env.imm[insnIdx] === 0);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1, spi = Math.floor(slot / BPF_REG_SIZE);
    const st = state.stack[spi];
    const j = slot % BPF_REG_SIZE;
    markStackSlotScratched(env, spi);
    if (writingZero && st.slotType[j] === STACK_SPILL && isSpilledScalarReg(st)) {
      const sp = st.spilled;
      if (tnumIsConst(sp.varOff) && sp.varOff.value === 0n) {
        zeroUsed = true;
        continue;
      }
    }
    st.spilled.type = NOT_INIT;
    let newType = STACK_MISC;
    if (writingZero && st.slotType[j] === STACK_ZERO) {
      newType = STACK_ZERO;
      zeroUsed = true;
    }
    st.slotType[j] = newType;
  }
  if (zeroUsed) {
    const err = markChainPrecision(env, valueRegno);
    if (err) return err;
  }
  return 0;
}

/** `mark_reg_stack_read(env, ptr_state, min_off, max_off, dst_regno)`. */
function markRegStackRead(env: Env, ptrState: FuncState, minOff: number, maxOff: number, dstRegno: number): void {
  const state = env.cur.frame[env.cur.curframe]!;
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1, spi = Math.floor(slot / BPF_REG_SIZE);
    markStackSlotScratched(env, spi);
    if (ptrState.stack[spi].slotType[slot % BPF_REG_SIZE] !== STACK_ZERO) break;
    zeros++;
  }
  if (zeros === maxOff - minOff) markRegConstZero(state.regs[dstRegno]);
  else markRegUnknown(state.regs[dstRegno]);
}

/**
 * `bpf_stack_narrow_access_ok(off, fill_size, spill_size)` on a little
 * endian machine: the fill must start at the slot (the low bytes).
 */
function stackNarrowAccessOk(off: number, _fillSize: number, _spillSize: number): boolean {
  return !(off % BPF_REG_SIZE);
}

/** `check_stack_read_fixed_off(env, reg_state, off, size, dst_regno)`. */
function checkStackReadFixedOff(env: Env, regState: FuncState, off: number, size: number, dstRegno: number): number {
  const state = env.cur.frame[env.cur.curframe]!;
  const slot = -off - 1, spi = Math.floor(slot / BPF_REG_SIZE);
  let insnFlags = insnStackAccessFlags(regState.frameno, spi);
  const st = regState.stack[spi];
  const stype = st.slotType;
  const reg = st.spilled;
  markStackSlotScratched(env, spi);
  markStackRead(env, regState.frameno, env.insnIdx, 1n << BigInt(spi));
  if (isSpilledReg(st)) {
    let spillSize = 1;
    for (let i = BPF_REG_SIZE - 1; i > 0 && stype[i - 1] === STACK_SPILL; i--) spillSize++;
    if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
      if (reg.type !== SCALAR_VALUE) {
        verboseLinfo(env, env.insnIdx, "; ");
        verbose(env, "invalid size of register fill\n");
        return EACCES;
      }
      if (dstRegno < 0) return 0;
      if (size <= spillSize && stackNarrowAccessOk(off, size, spillSize)) {
        const subregDef = state.regs[dstRegno].subregDef;
        copyReg(state.regs[dstRegno], reg);
        state.regs[dstRegno].subregDef = subregDef;
        if (regWidth(reg) > size * 8) state.regs[dstRegno].id = 0;
      } else {
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const type = stype[(slot - i) % BPF_REG_SIZE];
          if (type === STACK_SPILL) {
            spillCnt++;
            continue;
          }
          if (type === STACK_MISC) continue;
          if (type === STACK_ZERO) {
            zeroCnt++;
            continue;
          }
          if (type === STACK_INVALID) continue; // allow_uninit_stack
          verbose(env, `invalid read from stack off ${off}+${i} size ${size}\n`);
          return EACCES;
        }
        if (spillCnt === size && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) {
          markRegConstZero(state.regs[dstRegno]);
        } else if (zeroCnt === size) {
          markRegConstZero(state.regs[dstRegno]);
          insnFlags = 0;
        } else {
          markRegUnknown(state.regs[dstRegno]);
          insnFlags = 0;
        }
      }
    } else if (dstRegno >= 0) {
      copyReg(state.regs[dstRegno], reg);
    }
    // dst_regno < 0 with a spilled pointer: allow_ptr_leaks, nothing to say
  } else {
    for (let i = 0; i < size; i++) {
      const type = stype[(slot - i) % BPF_REG_SIZE];
      if (type === STACK_MISC || type === STACK_ZERO || type === STACK_INVALID) continue;
      verbose(env, `invalid read from stack off ${off}+${i} size ${size}\n`);
      return EACCES;
    }
    if (dstRegno >= 0) markRegStackRead(env, regState, off, off + size, dstRegno);
    insnFlags = 0;
  }
  if (insnFlags) return pushJmpHistory(env, env.cur, insnFlags, 0n);
  return 0;
}

/** `check_stack_read(env, ptr_regno, off, size, dst_regno)`. */
export function checkStackRead(env: Env, ptrRegno: number, off: number, size: number, dstRegno: number): number {
  const reg = curRegs(env)[ptrRegno];
  const state = funcOf(env, reg);
  const varOff = !tnumIsConst(reg.varOff);
  if (dstRegno < 0 && varOff) {
    verbose(
      env,
      `variable offset stack pointer cannot be passed into helper function; var_off=${
        tnumStr(reg.varOff)
      } off=${off} size=${size}\n`,
    );
    return EACCES;
  }
  if (!varOff) {
    return checkStackReadFixedOff(env, state, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, dstRegno);
  }
  // check_stack_read_var_off
  const err = checkStackRangeInitialized(env, ptrRegno, off, size, false, false, null);
  if (err) return err;
  const minOff = Number(reg.smin) + off, maxOff = Number(reg.smax) + off;
  markRegStackRead(env, state, minOff, maxOff + size, dstRegno);
  return 0;
}

/** `check_stack_write(env, ptr_regno, off, size, value_regno, insn_idx)`. */
export function checkStackWrite(
  env: Env,
  ptrRegno: number,
  off: number,
  size: number,
  valueRegno: number,
  insnIdx: number,
): number {
  const reg = curRegs(env)[ptrRegno];
  const state = funcOf(env, reg);
  if (tnumIsConst(reg.varOff)) {
    return checkStackWriteFixedOff(
      env,
      state,
      off + Number(BigInt.asIntN(64, reg.varOff.value)),
      size,
      valueRegno,
      insnIdx,
    );
  }
  return checkStackWriteVarOff(env, state, ptrRegno, off, size, valueRegno, insnIdx);
}

/** The parts of `struct bpf_call_arg_meta` stack range checks use. */
export interface RawModeMeta {
  /** `raw_mode`: the helper writes the memory (it need not be initialised). */
  rawMode: boolean;
  /** `access_size` recorded for raw mode. */
  accessSize: number;
  /** `regno` recorded for raw mode. */
  regno: number;
}

/**
 * `check_stack_range_initialized(env, regno, off, access_size,
 * zero_size_allowed, type, meta)`.
 */
export function checkStackRangeInitialized(
  env: Env,
  regno: number,
  off: number,
  accessSize: number,
  zeroSizeAllowed: boolean,
  write: boolean,
  meta: RawModeMeta | null,
): number {
  const reg = curRegs(env)[regno];
  const state = funcOf(env, reg);
  if (accessSize === 0 && !zeroSizeAllowed) {
    verbose(env, "invalid zero-sized read\n");
    return EACCES;
  }
  const clobber = write;
  let err = checkStackAccessWithinBounds(env, regno, off, accessSize, write);
  if (err) return err;
  let minOff: number, maxOff: number;
  if (tnumIsConst(reg.varOff)) {
    minOff = maxOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
  } else {
    if (meta && meta.rawMode) meta = null;
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  if (meta && meta.rawMode) {
    meta.accessSize = accessSize;
    meta.regno = regno;
    return 0;
  }
  for (let i = minOff; i < maxOff + accessSize; i++) {
    const slot = -i - 1, spi = Math.floor(slot / BPF_REG_SIZE);
    if (state.allocatedStack <= slot) {
      verbose(env, "allocated_stack too small\n");
      return EFAULT;
    }
    const st = state.stack[spi];
    const j = slot % BPF_REG_SIZE;
    const t = st.slotType[j];
    if (t === STACK_MISC) {
      // mark
    } else if (t === STACK_ZERO || t === STACK_INVALID) {
      if (clobber) st.slotType[j] = STACK_MISC;
    } else if (isSpilledReg(st)) {
      if (clobber) {
        markRegUnknown(st.spilled);
        for (let k = 0; k < BPF_REG_SIZE; k++) scrubSpilledSlot(st, k);
      }
    } else {
      if (tnumIsConst(reg.varOff)) {
        verbose(env, `invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${accessSize}\n`);
      } else {
        verbose(
          env,
          `invalid read from stack R${regno} var_off ${tnumStr(reg.varOff)}+${i - minOff} size ${accessSize}\n`,
        );
      }
      return EACCES;
    }
    markStackRead(env, reg.frameno, env.insnIdx, 1n << BigInt(spi));
  }
  err = 0;
  return err;
}
