/**
 * `check_helper_call` of Linux 6.18 for the helpers the profile models:
 * the prototype lookup (`invalid func`, `program of this type cannot use
 * helper`), GPL checks, argument checks (`check_func_arg`), the caller-saved
 * registers reset, R0 by return type (`RET_INTEGER`, map values) and its
 * id for maybe-NULL returns.
 *
 * @module
 */
import { HELPER_NAMES, helperName } from "../../asm/kernel618.ts";
import { checkRegArg, DST_OP_NO_MARK } from "./alu.ts";
import { curRegs, EINVAL, type Env, verbose } from "./env.ts";
import {
  ARG_DONTCARE,
  type FuncProto,
  PROTOS,
  RET_INTEGER,
  RET_PTR_TO_MAP_VALUE_OR_NULL,
  RET_VOID,
} from "./helpers.ts";
import { type CallArgMeta, canElideValueNullness, checkFuncArg, newCallArgMeta } from "./helper_args.ts";
import { regBoundsSanityCheck } from "./alu.ts";
import { EACCES } from "./env.ts";
import {
  markRegKnownZero,
  markRegNotInit,
  markRegUnknown,
  NOT_INIT,
  PTR_MAYBE_NULL,
  PTR_TO_MAP_VALUE,
  regBoundsSync,
} from "./reg.ts";
import { W64 } from "./width.ts";

/**
 * `nr_cpu_ids` of the machine the profile imitates: the running kernel's
 * `/sys/devices/system/cpu/possible` is 0-1. `bpf_get_smp_processor_id`
 * returns [0, nr_cpu_ids - 1].
 */
export const NR_CPU_IDS = 2;

/** Map helpers whose map `record_func_map` checks (`BPF_F_RDONLY_PROG` maps refuse writes). */
const MAP_HELPERS = new Set([12, 1, 2, 3, 87, 88, 89, 164, 51, 195]);
const MAP_WRITERS = new Set([2, 3, 87, 88]);

/** `check_helper_call(env, insn, &insn_idx)`. */
export function checkHelperCall(env: Env, i: number): number {
  const id = env.imm[i];
  if (id < 0 || id >= HELPER_NAMES.length) {
    verbose(env, `invalid func ${helperName(id)}#${id}\n`);
    return EINVAL;
  }
  const fn: FuncProto | undefined = env.progType.helpers.has(id) ? PROTOS[id] : undefined;
  if (!fn) {
    verbose(env, `program of this type cannot use helper ${helperName(id)}#${id}\n`);
    return EINVAL;
  }
  if (!env.gpl && fn.gplOnly) {
    verbose(env, "cannot call GPL-restricted function from non-GPL compatible program\n");
    return EINVAL;
  }
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
  const regs = curRegs(env);
  for (let r = 0; r <= 5; r++) {
    markRegNotInit(regs[r]);
    checkRegArg(env, r, DST_OP_NO_MARK);
  }
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
  }
  if (regs[0].type & PTR_MAYBE_NULL) regs[0].id = ++env.idGen;
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
    }
    const err = regBoundsSanityCheck(env, r0, "retval");
    if (err) return err;
  }
  // check_map_func_compatibility: hash and array maps take every modelled helper
  return 0;
}
