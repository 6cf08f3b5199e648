/**
 * `check_func_arg` of Linux 6.18 for the argument types of the helpers the
 * profile models: `ARG_ANYTHING`, `ARG_CONST_MAP_PTR`, `ARG_PTR_TO_MAP_KEY`
 * (with `get_constant_map_key` for array maps), `ARG_PTR_TO_MAP_VALUE`,
 * `ARG_PTR_TO_CTX`, memory and size pairs (`check_helper_mem_access`,
 * `check_mem_size_reg`); `check_reg_type` with the kernel's compatible
 * register type lists.
 *
 * @module
 */
import { checkRegArg, SRC_OP } from "./alu.ts";
import { curRegs, EACCES, EFAULT, EINVAL, ENOTMODELLED, type Env, verbose } from "./env.ts";
import {
  ARG_ANYTHING,
  ARG_CONST_ALLOC_SIZE_OR_ZERO,
  ARG_CONST_MAP_PTR,
  ARG_CONST_SIZE,
  ARG_CONST_SIZE_OR_ZERO,
  ARG_DONTCARE,
  ARG_PTR_TO_CTX,
  ARG_PTR_TO_MAP_KEY,
  ARG_PTR_TO_MAP_VALUE,
  ARG_PTR_TO_MEM,
  ARG_PTR_TO_RINGBUF_MEM,
  argBaseType,
  type FuncProto,
  MEM_UNINIT,
  MEM_WRITE,
  OBJ_RELEASE,
} from "./helpers.ts";
import { checkMapAccess, checkMapAccessType, checkMemRegionAccess, checkPacketAccess, checkPtrOffReg } from "./mem.ts";
import { btSetFrameSlot, markChainPrecision, markChainPrecisionBatch } from "./precision.ts";
import { regTypeStr } from "./print.ts";
import {
  baseType,
  CONST_PTR_TO_MAP,
  MEM_RDONLY,
  MEM_RINGBUF,
  PTR_MAYBE_NULL,
  PTR_TO_CTX,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_PACKET,
  PTR_TO_PACKET_META,
  PTR_TO_STACK,
  type RegState,
  SCALAR_VALUE,
  typeIsPktPointer,
} from "./reg.ts";
import { checkStackRangeInitialized, funcOf, isSpilledScalarReg, registerIsNull } from "./stack.ts";
import { BPF_REG_SIZE, STACK_SPILL, STACK_ZERO } from "./state.ts";
import { tnumIsConst } from "./tnum.ts";

/** `struct bpf_call_arg_meta` (the fields the profile uses). */
export interface CallArgMeta {
  /** `map_ptr` (index into env.maps, -1 none). */
  map: number;
  /** `map_uid`. */
  mapUid: number;
  /** `const_map_key` (-1: not a constant). */
  constMapKey: bigint;
  /** `raw_mode`. */
  rawMode: boolean;
  /** `pkt_access`. */
  pktAccess: boolean;
  /** `regno` of a raw-mode memory argument. */
  regno: number;
  /** `access_size`. */
  accessSize: number;
  /** `ref_obj_id`. */
  refObjId: number;
  /** `func_id`. */
  funcId: number;
  /** `msize_max_value`. */
  msizeMaxValue: bigint;
  /** `release_regno` (0: none). */
  releaseRegno: number;
  /** `mem_size` (ARG_CONST_ALLOC_SIZE_OR_ZERO). */
  memSize: number;
}

/** A fresh meta for a call to `fn`. */
export function newCallArgMeta(fn: FuncProto): CallArgMeta {
  return {
    map: -1,
    mapUid: 0,
    constMapKey: -1n,
    rawMode: false,
    pktAccess: fn.pktAccess,
    regno: 0,
    accessSize: 0,
    refObjId: 0,
    funcId: fn.id,
    msizeMaxValue: 0n,
    releaseRegno: 0,
    memSize: 0,
  };
}

/** `mem_types` of check_reg_type (PTR_TO_BUF and trusted BTF pointers never occur in the profile). */
const MEM_TYPES = [
  PTR_TO_STACK,
  PTR_TO_PACKET,
  PTR_TO_PACKET_META,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_MEM | MEM_RINGBUF,
];
/** Their names in the kernel's error (`mem_types` has nine entries). */
const MEM_TYPE_NAMES = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";

/** `check_reg_type(env, regno, arg_type, arg_btf_id, meta)` for the modelled argument types. */
function checkRegType(env: Env, regno: number, argType: number): number {
  const reg = curRegs(env)[regno];
  const base = argBaseType(argType);
  let type = reg.type;
  if (argType & MEM_RDONLY) type &= ~MEM_RDONLY;
  if (argType & PTR_MAYBE_NULL) type &= ~PTR_MAYBE_NULL;
  let ok: boolean, expected: string;
  switch (base) {
    case ARG_PTR_TO_MAP_KEY:
    case ARG_PTR_TO_MAP_VALUE:
    case ARG_PTR_TO_MEM:
      ok = MEM_TYPES.includes(type);
      expected = MEM_TYPE_NAMES;
      break;
    case ARG_CONST_SIZE:
    case ARG_CONST_SIZE_OR_ZERO:
    case ARG_CONST_ALLOC_SIZE_OR_ZERO:
      ok = type === SCALAR_VALUE;
      expected = "scalar";
      break;
    case ARG_CONST_MAP_PTR:
      ok = type === CONST_PTR_TO_MAP;
      expected = "map_ptr";
      break;
    case ARG_PTR_TO_CTX:
      ok = type === PTR_TO_CTX;
      expected = "ctx";
      break;
    case ARG_PTR_TO_RINGBUF_MEM:
      ok = type === (PTR_TO_MEM | MEM_RINGBUF);
      expected = "ringbuf_mem";
      break;
    default:
      verbose(env, `verifier bug: unsupported arg type ${argType}\n`);
      return EFAULT;
  }
  if (!ok) {
    verbose(env, `R${regno} type=${regTypeStr(reg.type)} expected=${expected}\n`);
    return EACCES;
  }
  return 0;
}

/** `check_func_arg_reg_off(env, reg, regno, arg_type)`. */
export function checkFuncArgRegOff(env: Env, reg: RegState, regno: number, argType: number): number {
  if (argType & OBJ_RELEASE) {
    if (reg.off) {
      verbose(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc\n`);
      return EINVAL;
    }
    return checkPtrOffReg(env, reg, regno, false);
  }
  switch (reg.type) {
    case PTR_TO_STACK:
    case PTR_TO_PACKET:
    case PTR_TO_PACKET_META:
    case PTR_TO_MAP_KEY:
    case PTR_TO_MAP_VALUE:
    case PTR_TO_MEM:
    case PTR_TO_MEM | MEM_RDONLY:
    case PTR_TO_MEM | MEM_RINGBUF:
    case SCALAR_VALUE:
      return 0;
    default:
      return checkPtrOffReg(env, reg, regno, false);
  }
}

/**
 * `check_helper_mem_access(env, regno, access_size, access_type,
 * zero_size_allowed, meta)`.
 */
export function checkHelperMemAccess(
  env: Env,
  regno: number,
  accessSize: number,
  write: boolean,
  zeroOk: boolean,
  meta: CallArgMeta | null,
): number {
  const reg = curRegs(env)[regno];
  switch (baseType(reg.type)) {
    case PTR_TO_PACKET:
    case PTR_TO_PACKET_META:
      return checkPacketAccess(env, regno, reg.off, accessSize, zeroOk);
    case PTR_TO_MAP_KEY:
      if (write) {
        verbose(env, `R${regno} cannot write into ${regTypeStr(reg.type)}\n`);
        return EACCES;
      }
      return checkMemRegionAccess(env, regno, reg.off, accessSize, env.maps[reg.map].keySize, false);
    case PTR_TO_MAP_VALUE:
      if (checkMapAccessType(env, regno, reg.off, accessSize, write)) return EACCES;
      return checkMapAccess(env, regno, reg.off, accessSize, zeroOk);
    case PTR_TO_MEM:
      if ((reg.type & MEM_RDONLY) && write) {
        verbose(env, `R${regno} cannot write into ${regTypeStr(reg.type)}\n`);
        return EACCES;
      }
      return checkMemRegionAccess(env, regno, reg.off, accessSize, reg.memSize, zeroOk);
    case PTR_TO_STACK:
      return checkStackRangeInitialized(env, regno, reg.off, accessSize, zeroOk, write, meta);
    default:
      if (zeroOk && accessSize === 0 && registerIsNull(reg)) return 0;
      verbose(env, `R${regno} type=${regTypeStr(reg.type)} expected=fp\n`);
      return EACCES;
  }
}

/** `check_mem_size_reg(env, reg, regno, access_type, zero_size_allowed, meta)`. */
function checkMemSizeReg(
  env: Env,
  reg: RegState,
  regno: number,
  write: boolean,
  zeroOk: boolean,
  meta: CallArgMeta | null,
): number {
  if (meta) meta.msizeMaxValue = reg.umax;
  if (!tnumIsConst(reg.varOff)) meta = null;
  if (reg.smin < 0n) {
    verbose(env, `R${regno} min value is negative, either use unsigned or 'var &= const'\n`);
    return EACCES;
  }
  if (reg.umin === 0n && !zeroOk) {
    verbose(env, `R${regno} invalid zero-sized read: u64=[${reg.umin},${BigInt.asIntN(64, reg.umax)}]\n`);
    return EACCES;
  }
  if (reg.umax >= 1n << 29n) {
    verbose(env, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'\n`);
    return EACCES;
  }
  let err = checkHelperMemAccess(env, regno - 1, Number(reg.umax), write, zeroOk, meta);
  if (!err) err = markChainPrecision(env, regno);
  return err;
}

/** `get_constant_map_key(env, key, key_size, &value)`: the constant key, or null (EOPNOTSUPP), or an error. */
function getConstantMapKey(env: Env, key: RegState, keySize: number): bigint | null | { err: number } {
  if (key.type !== PTR_TO_STACK || !tnumIsConst(key.varOff)) return null;
  const state = funcOf(env, key);
  const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1, spi = Math.floor(slot / BPF_REG_SIZE), off = slot % BPF_REG_SIZE;
  const stype = state.stack[spi].slotType;
  let zeroSize = 0;
  for (let i = off; i >= 0 && stype[i] === STACK_ZERO; i--) zeroSize++;
  if (zeroSize >= keySize) return 0n;
  if (!isSpilledScalarReg(state.stack[spi])) return null;
  let spillSize = 0;
  for (let i = off; i >= 0 && stype[i] === STACK_SPILL; i--) spillSize++;
  if (spillSize !== keySize) return null;
  const reg = state.stack[spi].spilled;
  if (!tnumIsConst(reg.varOff)) return null;
  btSetFrameSlot(env, key.frameno, spi);
  const err = markChainPrecisionBatch(env, env.cur);
  if (err < 0) return { err };
  return BigInt.asIntN(64, reg.varOff.value);
}

/** `can_elide_value_nullness(map_type)`: array and per-CPU array maps. */
export function canElideValueNullness(mapType: number): boolean {
  return mapType === 2 || mapType === 6;
}

/** `check_func_arg(env, arg, meta, fn, insn_idx)`. */
export function checkFuncArg(env: Env, arg: number, meta: CallArgMeta, fn: FuncProto, _i: number): number {
  const regno = 1 + arg;
  const regs = curRegs(env), reg = regs[regno];
  const argType = fn.args[arg];
  if (argType === ARG_DONTCARE) return 0;
  let err = checkRegArg(env, regno, SRC_OP);
  if (err) return err;
  if (argType === ARG_ANYTHING) return 0; // is_pointer_value is false for root
  if (typeIsPktPointer(reg.type) && !(meta.pktAccess && env.progType.directPacket.read)) {
    verbose(env, "helper access to the packet is not allowed\n");
    return EACCES;
  }
  const base = argBaseType(argType);
  if (base === ARG_PTR_TO_MAP_VALUE && meta.map < 0) {
    verbose(env, "verifier bug: invalid map_ptr to access map->type\n");
    return EFAULT;
  }
  if (registerIsNull(reg) && (argType & PTR_MAYBE_NULL)) {
    // 6.18.y: the check is skipped because the register is NULL, so that must be precise
    err = markChainPrecision(env, regno);
    if (err) return err;
  } else {
    err = checkRegType(env, regno, argType);
    if (err) return err;
    err = checkFuncArgRegOff(env, reg, regno, argType);
    if (err) return err;
  }
  if (argType & OBJ_RELEASE) {
    if (!reg.refObjId && !registerIsNull(reg)) {
      verbose(env, `R${regno} must be referenced when passed to release function\n`);
      return EINVAL;
    }
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) {
    if (meta.refObjId) {
      verbose(env, `more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
      return EACCES;
    }
    meta.refObjId = reg.refObjId;
  }
  switch (base) {
    case ARG_CONST_MAP_PTR:
      meta.map = reg.map;
      meta.mapUid = reg.mapUid;
      break;
    case ARG_PTR_TO_MAP_KEY: {
      const keySize = env.maps[meta.map].keySize;
      err = checkHelperMemAccess(env, regno, keySize, false, false, null);
      if (err) return err;
      if (canElideValueNullness(env.maps[meta.map].type)) {
        const k = getConstantMapKey(env, reg, keySize);
        if (k === null) meta.constMapKey = -1n;
        else if (typeof k === "object") return k.err;
        else meta.constMapKey = k;
      }
      break;
    }
    case ARG_PTR_TO_MAP_VALUE:
      if ((argType & PTR_MAYBE_NULL) && registerIsNull(reg)) return 0;
      meta.rawMode = (argType & MEM_UNINIT) !== 0;
      err = checkHelperMemAccess(env, regno, env.maps[meta.map].valueSize, (argType & MEM_WRITE) !== 0, false, meta);
      break;
    case ARG_PTR_TO_CTX:
    case ARG_PTR_TO_RINGBUF_MEM:
      break;
    case ARG_PTR_TO_MEM:
      meta.rawMode = (argType & MEM_UNINIT) !== 0;
      break;
    case ARG_CONST_SIZE:
    case ARG_CONST_SIZE_OR_ZERO:
      err = checkMemSizeReg(
        env,
        reg,
        regno,
        (fn.args[arg - 1] & MEM_WRITE) !== 0,
        base === ARG_CONST_SIZE_OR_ZERO,
        meta,
      );
      break;
    case ARG_CONST_ALLOC_SIZE_OR_ZERO:
      if (!tnumIsConst(reg.varOff)) {
        verbose(env, `R${regno} is not a known constant'\n`);
        return EACCES;
      }
      meta.memSize = Number(BigInt.asUintN(32, reg.varOff.value));
      err = markChainPrecision(env, regno);
      break;
    default:
      verbose(env, `bpfscope: helper argument type ${argType} is not modelled by the linux-6.18 profile yet\n`);
      return ENOTMODELLED;
  }
  return err;
}
