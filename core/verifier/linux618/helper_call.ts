/**
 * `check_helper_call` of Linux 6.18 for the helpers the profile models:
 * the prototype lookup (`invalid func`, `program of this type cannot use
 * helper`; a helper the program type may call but the profile does not
 * model is EOPNOTSUPP with a note), GPL checks, argument checks
 * (`check_func_arg`), `record_func_map`/`record_func_key`, raw-mode stack
 * writes, reference release and acquisition (ring buffer reservations),
 * the caller-saved registers reset, R0 by return type and its id for
 * maybe-NULL returns, `do_refine_retval_range`,
 * `check_map_func_compatibility` and `clear_all_pkt_pointers`.
 *
 * @module
 */
import { HELPER_NAMES, helperName } from "../../isa/helpers.ts";
import { clearCallerSavedRegs } from "./alu.ts";
import { curRegs, EINVAL, ENOTMODELLED, type Env, verbose } from "./env.ts";
import {
  ARG_DONTCARE,
  CHANGES_PKT_DATA,
  type FuncProto,
  helperProto,
  isAcquireFunction,
  RET_INTEGER,
  RET_PTR_TO_MAP_VALUE_OR_NULL,
  RET_PTR_TO_RINGBUF_MEM_OR_NULL,
  RET_VOID,
} from "./helpers.ts";
import { type CallArgMeta, canElideValueNullness, checkFuncArg, newCallArgMeta } from "./helper_args.ts";
import { regBoundsSanityCheck } from "./alu.ts";
import { EACCES } from "./env.ts";
import { checkMemAccess } from "./mem.ts";
import { markChainPrecision } from "./precision.ts";
import { acquireReference, checkResourceLeak, clearAllPktPointers, releaseReference } from "./refs.ts";
import {
  markRegKnownZero,
  markRegUnknown,
  MEM_RINGBUF,
  NOT_INIT,
  PTR_MAYBE_NULL,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  regBoundsSync,
  SCALAR_VALUE,
} from "./reg.ts";
import { registerIsNull } from "./stack.ts";
import { tnumIsConst } from "./tnum.ts";
import { W64 } from "./width.ts";

/**
 * `nr_cpu_ids` of the machine the profile imitates: the running kernel's
 * `/sys/devices/system/cpu/possible` is 0-1. `bpf_get_smp_processor_id`
 * returns [0, nr_cpu_ids - 1].
 */
export const NR_CPU_IDS = 2;

/** `MAX_ERRNO`. */
const MAX_ERRNO = 4095n;

/** Map helpers whose map `record_func_map` checks (`BPF_F_RDONLY_PROG` maps refuse writes). */
const MAP_HELPERS = new Set([12, 1, 2, 3, 87, 88, 89, 164, 51, 195]);
const MAP_WRITERS = new Set([2, 3, 87, 88]);

// ---- enum bpf_map_type values check_map_func_compatibility looks at ----
const PROG_ARRAY = 3, PERF_EVENT_ARRAY = 4, PERCPU_HASH = 5, PERCPU_ARRAY = 6, STACK_TRACE = 7, CGROUP_ARRAY = 8;
const LRU_PERCPU_HASH = 10, ARRAY_OF_MAPS = 12, HASH_OF_MAPS = 13, DEVMAP = 14, SOCKMAP = 15, CPUMAP = 16;
const XSKMAP = 17, SOCKHASH = 18, CGROUP_STORAGE = 19, REUSEPORT_SOCKARRAY = 20, PERCPU_CGROUP_STORAGE = 21;
const QUEUE = 22, STACK = 23, SK_STORAGE = 24, DEVMAP_HASH = 25, RINGBUF = 27, INODE_STORAGE = 28;
const TASK_STORAGE = 29, BLOOM_FILTER = 30, USER_RINGBUF = 31, CGRP_STORAGE = 32;

/** Helper ids a map type restricts itself to (the first switch of check_map_func_compatibility). */
const MAP_TYPE_HELPERS: Readonly<Record<number, readonly number[]>> = {
  [PROG_ARRAY]: [12],
  [PERF_EVENT_ARRAY]: [22, 25, 111, 55, 121],
  [RINGBUF]: [130, 131, 134, 198, 199, 200],
  [USER_RINGBUF]: [209],
  [STACK_TRACE]: [27],
  [CGROUP_ARRAY]: [33, 37],
  [CGROUP_STORAGE]: [81],
  [PERCPU_CGROUP_STORAGE]: [81],
  [DEVMAP]: [51, 1],
  [DEVMAP_HASH]: [51, 1],
  [CPUMAP]: [51],
  [XSKMAP]: [51, 1],
  [ARRAY_OF_MAPS]: [1],
  [HASH_OF_MAPS]: [1],
  [SOCKMAP]: [52, 53, 60, 82, 1, 2, 3],
  [SOCKHASH]: [72, 70, 71, 82, 1, 2, 3],
  [REUSEPORT_SOCKARRAY]: [82],
  [QUEUE]: [89, 88, 87],
  [STACK]: [89, 88, 87],
  [SK_STORAGE]: [107, 108, 194],
  [INODE_STORAGE]: [145, 146, 194],
  [TASK_STORAGE]: [156, 157, 194],
  [CGRP_STORAGE]: [210, 211, 194],
  [BLOOM_FILTER]: [89, 87],
};

/** Map types a helper requires (the second switch of check_map_func_compatibility). */
const HELPER_MAP_TYPES: Readonly<Record<number, readonly number[]>> = {
  12: [PROG_ARRAY],
  22: [PERF_EVENT_ARRAY],
  25: [PERF_EVENT_ARRAY],
  55: [PERF_EVENT_ARRAY],
  111: [PERF_EVENT_ARRAY],
  121: [PERF_EVENT_ARRAY],
  130: [RINGBUF],
  131: [RINGBUF],
  134: [RINGBUF],
  198: [RINGBUF],
  199: [RINGBUF],
  200: [RINGBUF],
  209: [USER_RINGBUF],
  27: [STACK_TRACE],
  33: [CGROUP_ARRAY],
  37: [CGROUP_ARRAY],
  51: [DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP],
  52: [SOCKMAP],
  60: [SOCKMAP],
  53: [SOCKMAP],
  72: [SOCKHASH],
  71: [SOCKHASH],
  70: [SOCKHASH],
  81: [CGROUP_STORAGE, PERCPU_CGROUP_STORAGE],
  82: [REUSEPORT_SOCKARRAY, SOCKMAP, SOCKHASH],
  88: [QUEUE, STACK],
  89: [QUEUE, STACK, BLOOM_FILTER],
  87: [QUEUE, STACK, BLOOM_FILTER],
  195: [PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH],
  107: [SK_STORAGE],
  108: [SK_STORAGE],
  145: [INODE_STORAGE],
  146: [INODE_STORAGE],
  156: [TASK_STORAGE],
  157: [TASK_STORAGE],
  210: [CGRP_STORAGE],
  211: [CGRP_STORAGE],
};

/** `check_map_func_compatibility(env, map, func_id)`. */
function checkMapFuncCompatibility(env: Env, map: number, id: number): number {
  if (map < 0) return 0;
  const type = env.maps[map].type;
  const mine = MAP_TYPE_HELPERS[type];
  const theirs = HELPER_MAP_TYPES[id];
  // SOCKMAP/SOCKHASH also take map_update/delete from these program types (may_update_sockmap)
  if ((mine && !mine.includes(id)) || (theirs && !theirs.includes(type))) {
    verbose(env, `cannot pass map_type ${type} into func ${helperName(id)}#${id}\n`);
    return EINVAL;
  }
  return 0;
}

/** `check_helper_call(env, insn, &insn_idx)`. */
export function checkHelperCall(env: Env, i: number): number {
  const id = env.imm[i];
  if (id < 0 || id >= HELPER_NAMES.length) {
    verbose(env, `invalid func ${helperName(id)}#${id}\n`);
    return EINVAL;
  }
  if (!env.progType.helpers.has(id)) {
    verbose(env, `program of this type cannot use helper ${helperName(id)}#${id}\n`);
    return EINVAL;
  }
  const fn: FuncProto | undefined = helperProto(id, env.progType.type);
  if (!fn) {
    verbose(env, `bpfscope: helper ${helperName(id)}#${id} is not modelled by the linux-6.18 profile yet\n`);
    return ENOTMODELLED;
  }
  if (!env.gpl && fn.gplOnly) {
    verbose(env, "cannot call GPL-restricted function from non-GPL compatible program\n");
    return EINVAL;
  }
  const changesData = CHANGES_PKT_DATA.has(id);
  const meta: CallArgMeta = newCallArgMeta(fn);
  for (let a = 0; a < 5; a++) {
    if (fn.args[a] === ARG_DONTCARE) continue;
    const err = checkFuncArg(env, a, meta, fn, i);
    if (err) return err;
  }
  // record_func_map
  if (MAP_HELPERS.has(id)) {
    if (meta.map < 0) {
      verbose(env, "verifier bug: expected map for helper call\n");
      return -14;
    }
    if ((env.maps[meta.map].flags & 0x80) && MAP_WRITERS.has(id)) {
      verbose(env, "write into map forbidden\n");
      return EACCES;
    }
  }
  // record_func_key
  if (id === 12) {
    if (meta.map < 0 || env.maps[meta.map].type !== PROG_ARRAY) {
      verbose(env, "expected prog array map for tail call");
      return EINVAL;
    }
    const r3 = curRegs(env)[3];
    if (
      r3.type === SCALAR_VALUE && tnumIsConst(r3.varOff) &&
      r3.varOff.value < BigInt(env.maps[meta.map].maxEntries)
    ) {
      const err = markChainPrecision(env, 3);
      if (err) return err;
    }
  }
  // raw mode: the helper writes these stack bytes
  for (let k = 0; k < meta.accessSize; k++) {
    const err = checkMemAccess(env, i, meta.regno, k, 1, true, -1, false, false);
    if (err) return err;
  }
  const regs = curRegs(env);
  if (meta.releaseRegno) {
    let err = EINVAL;
    if (meta.refObjId) err = releaseReference(env, meta.refObjId);
    else if (registerIsNull(regs[meta.releaseRegno])) err = 0;
    if (err) {
      verbose(env, `func ${helperName(id)}#${id} reference has not been acquired before\n`);
      return err;
    }
  }
  if (id === 12) {
    const err = checkResourceLeak(env, "tail_call");
    if (err) return err;
  }
  clearCallerSavedRegs(env, regs);
  regs[0].subregDef = 0;
  switch (fn.ret) {
    case RET_INTEGER:
      markRegUnknown(regs[0]);
      break;
    case RET_VOID:
      regs[0].type = NOT_INIT;
      break;
    case RET_PTR_TO_MAP_VALUE_OR_NULL: {
      markRegKnownZero(regs[0]);
      let flag = PTR_MAYBE_NULL;
      const map = env.maps[meta.map];
      if (
        id === 1 && canElideValueNullness(map.type) && meta.constMapKey >= 0n &&
        meta.constMapKey < BigInt(map.maxEntries)
      ) {
        flag = 0;
      }
      regs[0].map = meta.map;
      regs[0].mapUid = meta.mapUid;
      regs[0].type = PTR_TO_MAP_VALUE | flag;
      break;
    }
    case RET_PTR_TO_RINGBUF_MEM_OR_NULL:
      markRegKnownZero(regs[0]);
      regs[0].type = PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL;
      regs[0].memSize = meta.memSize;
      break;
  }
  if (regs[0].type & PTR_MAYBE_NULL) regs[0].id = ++env.idGen;
  if (isAcquireFunction(id)) {
    const ref = acquireReference(env, i);
    regs[0].id = ref;
    regs[0].refObjId = ref;
  }
  // do_refine_retval_range
  if (fn.ret === RET_INTEGER) {
    const r0 = regs[0];
    if (id === 8) {
      const max = BigInt(NR_CPU_IDS - 1);
      r0.umax = r0.u32max = max;
      r0.smax = r0.s32max = max;
      r0.umin = r0.u32min = 0n;
      r0.smin = r0.s32min = 0n;
      regBoundsSync(W64, r0);
    } else if (id === 115) {
      r0.smax = meta.msizeMaxValue;
      r0.s32max = BigInt.asIntN(32, meta.msizeMaxValue);
      r0.smin = -MAX_ERRNO;
      r0.s32min = -MAX_ERRNO;
      regBoundsSync(W64, r0);
    }
    const err = regBoundsSanityCheck(env, r0, "retval");
    if (err) return err;
  }
  const err = checkMapFuncCompatibility(env, meta.map, id);
  if (err) return err;
  if (changesData) clearAllPktPointers(env);
  return 0;
}
