/**
 * Memory instructions of Linux 6.18: the LD_IMM64 / map pre-pass
 * (`resolve_pseudo_ldimm64`), `check_ld_imm`, `check_ld_abs`, and the
 * loads, stores and atomics (`check_load_mem`, `check_store_reg`,
 * `check_atomic`, `check_mem_access`).
 *
 * @module
 */
import { checkRegArg, DST_OP } from "./alu.ts";
import { EBADF_, EINVAL, type Env, type Map618, verbose } from "./env.ts";
import { fakeMapAddress } from "./engine.ts";
import { CONST_PTR_TO_MAP, markRegKnown, markRegKnownZero, PTR_TO_MAP_VALUE, SCALAR_VALUE } from "./reg.ts";
import { curRegs } from "./env.ts";
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
        env.maps.push(m);
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
    verbose(env, "missing btf func_info\n");
    return EINVAL;
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

/** `check_ld_abs(env, insn)`. */
export function checkLdAbs(env: Env, _i: number): number {
  verbose(env, "bpfscope: LD_ABS/LD_IND are not modelled by the linux-6.18 profile yet");
  return -95;
}

/** Loads, stores and atomics. */
export function checkMemInsn(env: Env, _i: number): number {
  verbose(env, "bpfscope: memory access is not modelled by the linux-6.18 profile yet");
  return -95;
}
