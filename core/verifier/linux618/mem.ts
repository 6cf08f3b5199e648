/**
 * Memory instructions of Linux 6.18: the LD_IMM64 / map pre-pass
 * (`resolve_pseudo_ldimm64`), `check_ld_imm`, `check_ld_abs`, and the
 * loads, stores and atomics (`check_load_mem`, `check_store_reg`,
 * `check_atomic`) through `check_mem_access`: stack (stack.ts), context
 * (the program type's `is_valid_access`), map values and keys, packets,
 * and the alignment checks.
 *
 * @module
 */
import { checkRegArg, clearCallerSavedRegs, DST_OP, DST_OP_NO_MARK, regBoundsSanityCheck, SRC_OP } from "./alu.ts";
import { verboseLinfo } from "./linfo.ts";
import { curRegs, EACCES, EBADF_, EINVAL, ENOTMODELLED, type Env, findSubprog, type Map618, verbose } from "./env.ts";
import { checkResourceLeak } from "./refs.ts";
import { fakeMapAddress } from "./engine.ts";
import { regTypeStr } from "./print.ts";
import { tnumStr } from "../../kernlog/value.ts";
import {
  baseType,
  CONST_PTR_TO_MAP,
  markRegKnown,
  markRegKnownZero,
  markRegUnknown,
  PTR_TO_ARENA,
  PTR_TO_BTF_ID,
  PTR_TO_CTX,
  PTR_TO_FLOW_KEYS,
  PTR_TO_FUNC,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_PACKET,
  PTR_TO_PACKET_META,
  PTR_TO_SOCK_COMMON,
  PTR_TO_SOCKET,
  PTR_TO_STACK,
  PTR_TO_TCP_SOCK,
  PTR_TO_XDP_SOCK,
  type RegState,
  SCALAR_VALUE,
  typeMayBeNull,
} from "./reg.ts";
import { coerceRegToSize, coerceRegToSizeSx } from "./scalar_alu.ts";
import { BPF_MAX_VAR_OFF, checkStackAccessWithinBounds, checkStackRead, checkStackWrite } from "./stack.ts";
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst } from "./tnum.ts";
import { W64 } from "./width.ts";

/** `bpf_opcode_in_insntable(code)`. */
export function opcodeInInsnTable(code: number): boolean {
  const cls = code & 7;
  switch (cls) {
    case 4:
    case 7: {
      const op = code & 0xf0;
      if (op === 0x80) return (code & 8) === 0;
      if (op === 0xd0) return cls === 4 || (code & 8) === 0;
      return op <= 0xc0;
    }
    case 5: {
      const op = code & 0xf0;
      if (op === 0x80 || op === 0x90 || op === 0x00) return (code & 8) === 0;
      if (op === 0xe0) return code === 0xe5;
      return op <= 0xd0;
    }
    case 6: {
      const op = code & 0xf0;
      if (op === 0x00) return code === 0x06;
      if (op === 0x80 || op === 0x90 || op > 0xd0) return false;
      return true;
    }
    case 3:
      return (code & 0xe0) === 0x60 || (code & 0xe0) === 0xc0;
    case 2:
      return (code & 0xe0) === 0x60;
    case 1:
      return (code & 0xe0) === 0x60 || ((code & 0xe0) === 0x80 && (code & 0x18) !== 0x18);
    case 0:
      if (code === 0x18) return true;
      return ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40) && (code & 0x18) !== 0x18;
  }
  return false;
}

/** `resolve_pseudo_ldimm64(env)` with bpfscope's map fds. */
export function resolvePseudoLdimm64(env: Env, resolve: (fd: number) => Map618 | "EBADF" | "EINVAL"): number {
  const byMap = new Map<Map618, number>();
  for (let i = 0; i < env.len; i++) {
    const code = env.code[i];
    if ((code & 7) === 1 && (((code & 0xe0) !== 0x60 && (code & 0xe0) !== 0x80) || env.imm[i] !== 0)) {
      verbose(env, "BPF_LDX uses reserved fields\n");
      return EINVAL;
    }
    if (code === 0x18) {
      if (
        i === env.len - 1 || env.code[i + 1] !== 0 || env.dst[i + 1] !== 0 || env.src[i + 1] !== 0 ||
        env.off[i + 1] !== 0
      ) {
        verbose(env, "invalid bpf_ld_imm64 insn\n");
        return EINVAL;
      }
      const s = env.src[i];
      if (s === 0 || s === 4) {
        i++;
        continue;
      }
      if (!((s === 2) || (s === 1 && env.imm[i + 1] === 0))) {
        verbose(env, "unrecognized bpf_ld_imm64 insn\n");
        return EINVAL;
      }
      const m = resolve(env.imm[i]);
      if (m === "EBADF") return EBADF_;
      if (m === "EINVAL") {
        verbose(env, `fd ${env.imm[i]} is not pointing to valid bpf_map\n`);
        return EINVAL;
      }
      let idx = byMap.get(m);
      if (idx === undefined) {
        idx = env.maps.length;
        if (idx >= 64) {
          verbose(env, "too many maps used\n");
          return -7;
        }
        // dev_map_alloc and cpu_map_alloc make their maps read-only for programs (BPF_F_RDONLY_PROG)
        env.maps.push(m.type === 14 || m.type === 16 || m.type === 25 ? { ...m, flags: m.flags | 0x80 } : m);
        env.mapAddr.push(fakeMapAddress(idx));
        byMap.set(m, idx);
      }
      env.mapIndex[i] = idx;
      if (s === 2) {
        const off = env.imm[i + 1] >>> 0;
        if (off >= 1 << 29) {
          verbose(env, `direct value offset of ${off} is not allowed\n`);
          return EINVAL;
        }
        if (m.type !== 2) {
          verbose(env, "no direct value access support for this map type\n");
          return EINVAL;
        }
        if (m.maxEntries !== 1 || off >= m.valueSize) {
          verbose(env, `invalid access to map value pointer, value_size=${m.valueSize} off=${off}\n`);
          return EINVAL;
        }
        env.mapOff[i] = off;
      }
      i++;
      continue;
    }
    if (!opcodeInInsnTable(code)) {
      verbose(env, `unknown opcode ${code.toString(16).padStart(2, "0")}\n`);
      return EINVAL;
    }
  }
  return 0;
}

/** `check_ld_imm(env, insn)`. */
export function checkLdImm(env: Env, i: number): number {
  const code = env.code[i];
  if ((code & 0x18) !== 0x18) {
    verbose(env, "invalid BPF_LD_IMM insn\n");
    return EINVAL;
  }
  if (env.off[i] !== 0) {
    verbose(env, "BPF_LD_IMM64 uses reserved fields\n");
    return EINVAL;
  }
  const err = checkRegArg(env, env.dst[i], DST_OP);
  if (err) return err;
  const regs = curRegs(env);
  const dst = regs[env.dst[i]];
  if (env.src[i] === 0) {
    const imm = (BigInt(env.imm[i + 1]) << 32n) | BigInt(env.imm[i] >>> 0);
    dst.type = SCALAR_VALUE;
    markRegKnown(W64, dst, imm);
    return 0;
  }
  markRegKnownZero(dst);
  if (env.src[i] === 4) {
    const subprogno = findSubprog(env, i + env.imm[i] + 1);
    if (!env.funcInfo.length) {
      verbose(env, "missing btf func_info\n");
      return EINVAL;
    }
    if (env.subprogs[subprogno].linkage !== 0) {
      verbose(env, "callback function not static\n");
      return EINVAL;
    }
    dst.type = PTR_TO_FUNC;
    dst.subprogno = subprogno;
    return 0;
  }
  dst.map = env.mapIndex[i];
  if (env.src[i] === 2) {
    dst.type = PTR_TO_MAP_VALUE;
    dst.off = env.mapOff[i];
  } else {
    dst.type = CONST_PTR_TO_MAP;
  }
  return 0;
}

/** `bpf_size_to_bytes(BPF_SIZE(code))`. */
export function sizeBytes(code: number): number {
  return [4, 2, 1, 8][(code >> 3) & 3];
}

/** `is_pointer_value(env, regno)` as root (`allow_ptr_leaks`): never. */
function isPointerValue(_env: Env, _regno: number): boolean {
  return false;
}

/** `__check_mem_access(env, regno, off, size, mem_size, zero_size_allowed)`. */
function checkMemAccessRaw(
  env: Env,
  regno: number,
  off: bigint,
  size: number,
  memSize: number,
  zeroOk: boolean,
): number {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0n && sizeOk && off + BigInt(size) <= BigInt(memSize)) return 0;
  const reg = curRegs(env)[regno];
  const o = Number(BigInt.asIntN(32, off));
  switch (reg.type) {
    case PTR_TO_MAP_KEY:
      verbose(env, `invalid access to map key, key_size=${memSize} off=${o} size=${size}\n`);
      break;
    case PTR_TO_MAP_VALUE:
      verbose(env, `invalid access to map value, value_size=${memSize} off=${o} size=${size}\n`);
      break;
    case PTR_TO_PACKET:
    case PTR_TO_PACKET_META:
    case 9:
      verbose(env, `invalid access to packet, off=${o} size=${size}, R${regno}(id=${reg.id},off=${o},r=${memSize})\n`);
      break;
    default:
      verbose(env, `invalid access to memory, mem_size=${memSize >>> 0} off=${o} size=${size}\n`);
  }
  return EACCES;
}

/** `check_mem_region_access(env, regno, off, size, mem_size, zero_size_allowed)`. */
export function checkMemRegionAccess(
  env: Env,
  regno: number,
  off: number,
  size: number,
  memSize: number,
  zeroOk: boolean,
): number {
  const reg = curRegs(env)[regno];
  const S64_MIN = -(1n << 63n);
  if (
    reg.smin < 0n &&
    (reg.smin === S64_MIN || BigInt(off) + reg.smin !== BigInt.asIntN(32, BigInt(off) + reg.smin) ||
      reg.smin + BigInt(off) < 0n)
  ) {
    verbose(env, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
    return EACCES;
  }
  let err = checkMemAccessRaw(env, regno, reg.smin + BigInt(off), size, memSize, zeroOk);
  if (err) {
    verbose(env, `R${regno} min value is outside of the allowed memory range\n`);
    return err;
  }
  if (reg.umax >= BigInt(BPF_MAX_VAR_OFF)) {
    verbose(env, `R${regno} unbounded memory access, make sure to bounds check any such access\n`);
    return EACCES;
  }
  err = checkMemAccessRaw(env, regno, reg.umax + BigInt(off), size, memSize, zeroOk);
  if (err) {
    verbose(env, `R${regno} max value is outside of the allowed memory range\n`);
    return err;
  }
  return 0;
}

/** `check_map_access_type(env, regno, off, size, type)`. */
export function checkMapAccessType(env: Env, regno: number, off: number, size: number, write: boolean): number {
  const map = env.maps[curRegs(env)[regno].map];
  const rdonly = (map.flags & 0x80) !== 0, wronly = (map.flags & 0x100) !== 0;
  if (write && rdonly) {
    verbose(env, `write into map forbidden, value_size=${map.valueSize} off=${off} size=${size}\n`);
    return EACCES;
  }
  if (!write && wronly) {
    verbose(env, `read from map forbidden, value_size=${map.valueSize} off=${off} size=${size}\n`);
    return EACCES;
  }
  return 0;
}

/** `check_map_access(env, regno, off, size, zero_size_allowed, src)` (maps without BTF fields). */
export function checkMapAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean): number {
  const map = env.maps[curRegs(env)[regno].map];
  return checkMemRegionAccess(env, regno, off, size, map.valueSize, zeroOk);
}

/** `check_packet_access(env, regno, off, size, zero_size_allowed)`. */
export function checkPacketAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean): number {
  const reg = curRegs(env)[regno];
  if (reg.smin < 0n) {
    verbose(env, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
    return EACCES;
  }
  const err = reg.range < 0 ? EINVAL : checkMemAccessRaw(env, regno, BigInt(off), size, reg.range, zeroOk);
  if (err) {
    verbose(env, `R${regno} offset is outside of the packet\n`);
    return err;
  }
  return 0;
}

/** `__check_ptr_off_reg(env, reg, regno, fixed_off_ok)`. */
export function checkPtrOffReg(env: Env, reg: RegState, regno: number, fixedOffOk: boolean): number {
  if (reg.off < 0) {
    verbose(env, `negative offset ${regTypeStr(reg.type)} ptr R${regno} off=${reg.off} disallowed\n`);
    return EACCES;
  }
  if (!fixedOffOk && reg.off) {
    verbose(env, `dereference of modified ${regTypeStr(reg.type)} ptr R${regno} off=${reg.off} disallowed\n`);
    return EACCES;
  }
  if (!tnumIsConst(reg.varOff) || reg.varOff.value) {
    verbose(env, `variable ${regTypeStr(reg.type)} access var_off=${tnumStr(reg.varOff)} disallowed\n`);
    return EACCES;
  }
  return 0;
}

/** `check_ptr_alignment(env, reg, off, size, strict_alignment_once)` (strict_alignment off). */
function checkPtrAlignment(env: Env, reg: RegState, off: number, size: number, strictOnce: boolean): number {
  let strict = strictOnce;
  let desc = "";
  switch (reg.type) {
    case PTR_TO_PACKET:
    case PTR_TO_PACKET_META: {
      if (!strict || size === 1) return 0;
      const regOff = tnumAdd(W64, reg.varOff, tnumConst(BigInt.asUintN(64, BigInt(2 + reg.off + off))));
      if (!tnumIsAligned(regOff, BigInt(size))) {
        verbose(env, `misaligned packet access off 2+${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}\n`);
        return EACCES;
      }
      return 0;
    }
    case PTR_TO_FLOW_KEYS:
      desc = "flow keys ";
      break;
    case PTR_TO_MAP_KEY:
      desc = "key ";
      break;
    case PTR_TO_MAP_VALUE:
      desc = "value ";
      break;
    case PTR_TO_CTX:
      desc = "context ";
      break;
    case PTR_TO_STACK:
      desc = "stack ";
      strict = true;
      break;
    case PTR_TO_SOCKET:
      desc = "sock ";
      break;
    case PTR_TO_SOCK_COMMON:
      desc = "sock_common ";
      break;
    case PTR_TO_TCP_SOCK:
      desc = "tcp_sock ";
      break;
    case PTR_TO_XDP_SOCK:
      desc = "xdp_sock ";
      break;
    case PTR_TO_ARENA:
      return 0;
  }
  if (!strict || size === 1) return 0;
  const regOff = tnumAdd(W64, reg.varOff, tnumConst(BigInt.asUintN(64, BigInt(reg.off + off))));
  if (!tnumIsAligned(regOff, BigInt(size))) {
    verbose(env, `misaligned ${desc}access off ${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}\n`);
    return EACCES;
  }
  return 0;
}

/**
 * `bpf_map_direct_read(map, off, size, &val, is_ldsx)`: the `size`-byte
 * little-endian value at `off` of a frozen map's value (sign-extended for a
 * sign-extending load), as a u64.
 */
function bpfMapDirectRead(value: Uint8Array, off: number, size: number, isLdsx: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[off + i] ?? 0);
  return isLdsx && size < 8 ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

/**
 * `check_mem_access(env, insn_idx, regno, off, bpf_size, t, value_regno,
 * strict_alignment_once, is_ldsx)`.
 */
export function checkMemAccess(
  env: Env,
  insnIdx: number,
  regno: number,
  off: number,
  size: number,
  write: boolean,
  valueRegno: number,
  strictOnce: boolean,
  isLdsx: boolean,
): number {
  const regs = curRegs(env);
  const reg = regs[regno];
  let err = checkPtrAlignment(env, reg, off, size, strictOnce);
  if (err) return err;
  off += reg.off;
  if (reg.type === PTR_TO_MAP_KEY) {
    if (write) {
      verbose(env, `write to change key R${regno} not allowed\n`);
      return EACCES;
    }
    err = checkMemRegionAccess(env, regno, off, size, env.maps[reg.map].keySize, false);
    if (err) return err;
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]);
  } else if (reg.type === PTR_TO_MAP_VALUE) {
    if (write && valueRegno >= 0 && isPointerValue(env, valueRegno)) {
      verbose(env, `R${valueRegno} leaks addr into map\n`);
      return EACCES;
    }
    err = checkMapAccessType(env, regno, off, size, write);
    if (err) return err;
    err = checkMapAccess(env, regno, off, size, false);
    if (err) return err;
    if (!write && valueRegno >= 0) {
      const map = env.maps[reg.map];
      // if map is read-only, track its contents as scalars (bpf_map_is_rdonly: BPF_F_RDONLY_PROG and frozen)
      if (tnumIsConst(reg.varOff) && (map.flags & 0x80) && map.frozenValue) {
        const r = regs[valueRegno];
        r.type = SCALAR_VALUE;
        markRegKnown(W64, r, bpfMapDirectRead(map.frozenValue, off + Number(reg.varOff.value), size, isLdsx));
      } else markRegUnknown(regs[valueRegno]);
    }
  } else if (baseType(reg.type) === PTR_TO_MEM) {
    if (typeMayBeNull(reg.type)) {
      verbose(env, `R${regno} invalid mem access '${regTypeStr(reg.type)}'\n`);
      return EACCES;
    }
    err = checkMemRegionAccess(env, regno, off, size, reg.memSize, false);
    if (!err && valueRegno >= 0 && !write) markRegUnknown(regs[valueRegno]);
  } else if (reg.type === PTR_TO_CTX) {
    err = checkPtrOffReg(env, reg, regno, false);
    if (err < 0) return err;
    const info = env.progType.isValidAccess(off, size, write, isLdsx);
    if (!info) {
      verbose(env, `invalid bpf_context access off=${off} size=${size}\n`);
      verboseLinfo(env, insnIdx, "; ");
      return EACCES;
    }
    if (!write && valueRegno >= 0) {
      const dst = regs[valueRegno];
      if (info.regType === SCALAR_VALUE) {
        markRegUnknown(dst);
      } else {
        markRegKnownZero(dst);
        if (typeMayBeNull(info.regType)) dst.id = ++env.idGen;
        dst.subregDef = 0;
      }
      dst.type = info.regType;
    }
  } else if (reg.type === PTR_TO_STACK) {
    err = checkStackAccessWithinBounds(env, regno, off, size, write);
    if (err) return err;
    err = write
      ? checkStackWrite(env, regno, off, size, valueRegno, insnIdx)
      : checkStackRead(env, regno, off, size, valueRegno);
  } else if (reg.type === PTR_TO_PACKET || reg.type === PTR_TO_PACKET_META) {
    if (write && !env.progType.directPacket.write) {
      verbose(env, "cannot write into packet\n");
      return EACCES;
    }
    err = checkPacketAccess(env, regno, off, size, false);
    if (!err && !write && valueRegno >= 0) markRegUnknown(regs[valueRegno]);
  } else if (
    reg.type === PTR_TO_SOCKET || reg.type === PTR_TO_SOCK_COMMON || reg.type === PTR_TO_TCP_SOCK ||
    reg.type === PTR_TO_XDP_SOCK
  ) {
    verbose(env, `bpfscope: socket accesses are not modelled by the linux-6.18 profile yet\n`);
    return ENOTMODELLED;
  } else if (baseType(reg.type) === PTR_TO_BTF_ID && !typeMayBeNull(reg.type)) {
    verbose(env, `bpfscope: BTF pointers are not modelled by the linux-6.18 profile yet\n`);
    return ENOTMODELLED;
  } else if (reg.type === CONST_PTR_TO_MAP) {
    verbose(env, `bpfscope: map pointer accesses are not modelled by the linux-6.18 profile yet\n`);
    return ENOTMODELLED;
  } else if (reg.type === PTR_TO_ARENA) {
    if (!write && valueRegno >= 0) markRegUnknown(regs[valueRegno]);
  } else {
    verbose(env, `R${regno} invalid mem access '${regTypeStr(reg.type)}'\n`);
    return EACCES;
  }
  if (!err && size < 8 && valueRegno >= 0 && !write && regs[valueRegno].type === SCALAR_VALUE) {
    if (!isLdsx) coerceRegToSize(regs[valueRegno], size);
    else coerceRegToSizeSx(regs[valueRegno], size);
  }
  return err;
}

/** `reg_type_mismatch_ok(type)`. */
function regTypeMismatchOk(type: number): boolean {
  switch (baseType(type)) {
    case PTR_TO_CTX:
    case PTR_TO_SOCKET:
    case PTR_TO_SOCK_COMMON:
    case PTR_TO_TCP_SOCK:
    case PTR_TO_XDP_SOCK:
    case PTR_TO_BTF_ID:
    case PTR_TO_ARENA:
      return false;
    default:
      return true;
  }
}

/** `save_aux_ptr_type(env, type, allow_trust_mismatch)` (no PTR_TO_MEM / BTF merging needed here). */
function saveAuxPtrType(env: Env, type: number): number {
  const prev = env.ptrType[env.insnIdx];
  if (prev < 0) {
    env.ptrType[env.insnIdx] = type;
  } else if (type !== prev && (!regTypeMismatchOk(type) || !regTypeMismatchOk(prev))) {
    verbose(env, "same insn cannot be used with different pointers\n");
    return EINVAL;
  }
  return 0;
}

/** `check_load_mem(env, insn, strict_alignment_once, is_ldsx, allow_trust_mismatch, ctx)`. */
function checkLoadMem(env: Env, i: number, strictOnce: boolean, isLdsx: boolean, ctx: string): number {
  const regs = curRegs(env);
  let err = checkRegArg(env, env.src[i], SRC_OP);
  if (err) return err;
  err = checkRegArg(env, env.dst[i], DST_OP_NO_MARK);
  if (err) return err;
  const srcType = regs[env.src[i]].type;
  err = checkMemAccess(
    env,
    env.insnIdx,
    env.src[i],
    env.off[i],
    sizeBytes(env.code[i]),
    false,
    env.dst[i],
    strictOnce,
    isLdsx,
  );
  if (!err) err = saveAuxPtrType(env, srcType);
  if (!err) err = regBoundsSanityCheck(env, regs[env.dst[i]], ctx);
  return err;
}

/** `check_store_reg(env, insn, strict_alignment_once)`. */
function checkStoreReg(env: Env, i: number, strictOnce: boolean): number {
  const regs = curRegs(env);
  let err = checkRegArg(env, env.src[i], SRC_OP);
  if (err) return err;
  err = checkRegArg(env, env.dst[i], SRC_OP);
  if (err) return err;
  const dstType = regs[env.dst[i]].type;
  err = checkMemAccess(
    env,
    env.insnIdx,
    env.dst[i],
    env.off[i],
    sizeBytes(env.code[i]),
    true,
    env.src[i],
    strictOnce,
    false,
  );
  if (!err) err = saveAuxPtrType(env, dstType);
  return err;
}

/** `atomic_ptr_type_ok(env, regno, insn)`. */
function atomicPtrTypeOk(env: Env, regno: number): boolean {
  const t = curRegs(env)[regno].type;
  if (t === PTR_TO_CTX || t === PTR_TO_PACKET || t === PTR_TO_PACKET_META || t === PTR_TO_FLOW_KEYS) return false;
  if (t === PTR_TO_SOCKET || t === PTR_TO_SOCK_COMMON || t === PTR_TO_TCP_SOCK || t === PTR_TO_XDP_SOCK) return false;
  return true;
}

const BPF_FETCH = 0x01, BPF_XCHG = 0xe0 | BPF_FETCH, BPF_CMPXCHG = 0xf0 | BPF_FETCH;
const BPF_LOAD_ACQ = 0x100, BPF_STORE_REL = 0x110;

/** `check_atomic(env, insn)`. */
function checkAtomic(env: Env, i: number): number {
  const imm = env.imm[i];
  switch (imm) {
    case 0x00:
    case 0x01:
    case 0x50:
    case 0x51:
    case 0x40:
    case 0x41:
    case 0xa0:
    case 0xa1:
    case BPF_XCHG:
    case BPF_CMPXCHG:
      return checkAtomicRmw(env, i);
    case BPF_LOAD_ACQ: {
      const err = checkLoadMem(env, i, true, false, "atomic_load");
      if (err) return err;
      if (!atomicPtrTypeOk(env, env.src[i])) {
        verbose(
          env,
          `BPF_ATOMIC loads from R${env.src[i]} ${regTypeStr(curRegs(env)[env.src[i]].type)} is not allowed\n`,
        );
        return EACCES;
      }
      return 0;
    }
    case BPF_STORE_REL: {
      const err = checkStoreReg(env, i, true);
      if (err) return err;
      if (!atomicPtrTypeOk(env, env.dst[i])) {
        verbose(
          env,
          `BPF_ATOMIC stores into R${env.dst[i]} ${regTypeStr(curRegs(env)[env.dst[i]].type)} is not allowed\n`,
        );
        return EACCES;
      }
      return 0;
    }
    default:
      verbose(env, `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, "0")}\n`);
      return EINVAL;
  }
}

/** `check_atomic_rmw(env, insn)`. */
function checkAtomicRmw(env: Env, i: number): number {
  const size = (env.code[i] >> 3) & 3;
  if (size !== 0 && size !== 3) {
    verbose(env, "invalid atomic operand size\n");
    return EINVAL;
  }
  let err = checkRegArg(env, env.src[i], SRC_OP);
  if (err) return err;
  err = checkRegArg(env, env.dst[i], SRC_OP);
  if (err) return err;
  const imm = env.imm[i];
  if (imm === BPF_CMPXCHG) {
    err = checkRegArg(env, 0, SRC_OP);
    if (err) return err;
  }
  if (!atomicPtrTypeOk(env, env.dst[i])) {
    verbose(env, `BPF_ATOMIC stores into R${env.dst[i]} ${regTypeStr(curRegs(env)[env.dst[i]].type)} is not allowed\n`);
    return EACCES;
  }
  let loadReg = -1;
  if (imm & BPF_FETCH) {
    loadReg = imm === BPF_CMPXCHG ? 0 : env.src[i];
    err = checkRegArg(env, loadReg, DST_OP);
    if (err) return err;
  }
  const bytes = sizeBytes(env.code[i]);
  err = checkMemAccess(env, env.insnIdx, env.dst[i], env.off[i], bytes, false, -1, true, false);
  if (!err && loadReg >= 0) {
    err = checkMemAccess(env, env.insnIdx, env.dst[i], env.off[i], bytes, false, loadReg, true, false);
  }
  if (err) return err;
  return checkMemAccess(env, env.insnIdx, env.dst[i], env.off[i], bytes, true, -1, true, false);
}

/** Loads, stores and atomics: the LDX/STX/ST part of `do_check_insn`. */
export function checkMemInsn(env: Env, i: number): number {
  const code = env.code[i], cls = code & 7, mode = code & 0xe0;
  if (cls === 1) return checkLoadMem(env, i, false, mode === 0x80, "ldx");
  if (cls === 3) {
    if (mode === 0xc0) return checkAtomic(env, i);
    if (mode !== 0x60 || env.imm[i] !== 0) {
      verbose(env, "BPF_STX uses reserved fields\n");
      return EINVAL;
    }
    return checkStoreReg(env, i, false);
  }
  // BPF_ST
  if (mode !== 0x60 || env.src[i] !== 0) {
    verbose(env, "BPF_ST uses reserved fields\n");
    return EINVAL;
  }
  let err = checkRegArg(env, env.dst[i], SRC_OP);
  if (err) return err;
  const dstType = curRegs(env)[env.dst[i]].type;
  err = checkMemAccess(env, env.insnIdx, env.dst[i], env.off[i], sizeBytes(code), true, -1, false, false);
  if (err) return err;
  return saveAuxPtrType(env, dstType);
}

/** `check_ld_abs(env, insn)`. */
export function checkLdAbs(env: Env, i: number): number {
  const regs = curRegs(env);
  const mode = env.code[i] & 0xe0;
  if (!env.progType.mayAccessSkb) {
    verbose(env, "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
    return EINVAL;
  }
  if (env.dst[i] !== 0 || env.off[i] !== 0 || ((env.code[i] >> 3) & 3) === 3 || (mode === 0x20 && env.src[i] !== 0)) {
    verbose(env, "BPF_LD_[ABS|IND] uses reserved fields\n");
    return EINVAL;
  }
  let err = checkRegArg(env, 6, SRC_OP);
  if (err) return err;
  err = checkResourceLeak(env, "BPF_LD_[ABS|IND]");
  if (err) return err;
  if (regs[6].type !== PTR_TO_CTX) {
    verbose(env, "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
    return EINVAL;
  }
  if (mode === 0x40) {
    err = checkRegArg(env, env.src[i], SRC_OP);
    if (err) return err;
  }
  err = checkPtrOffReg(env, regs[6], 6, false);
  if (err < 0) return err;
  clearCallerSavedRegs(env, regs);
  markRegUnknown(regs[0]);
  regs[0].subregDef = env.insnIdx + 1;
  return 0;
}
