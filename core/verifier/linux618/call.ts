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
import { type CallArgMeta, checkFuncArg, newCallArgMeta } from "./helper_args.ts";
import { markRegKnownZero, markRegNotInit, markRegUnknown, NOT_INIT, PTR_MAYBE_NULL, PTR_TO_MAP_VALUE } from "./reg.ts";

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
    case RET_PTR_TO_MAP_VALUE_OR_NULL:
      markRegKnownZero(regs[0]);
      regs[0].map = meta.map;
      regs[0].mapUid = 0;
      regs[0].type = PTR_TO_MAP_VALUE | PTR_MAYBE_NULL;
      break;
  }
  if (regs[0].type & PTR_MAYBE_NULL) regs[0].id = ++env.idGen;
  return 0;
}
