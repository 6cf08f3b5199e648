/**
 * `check_func_arg` of Linux 6.18: a helper argument against its prototype.
 *
 * @module
 */
import { checkRegArg, SRC_OP } from "./alu.ts";
import { type Env, verbose } from "./env.ts";
import { ARG_ANYTHING, ARG_DONTCARE, type FuncProto } from "./helpers.ts";

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
  };
}

/** `check_func_arg(env, arg, meta, fn, insn_idx)`. */
export function checkFuncArg(env: Env, arg: number, _meta: CallArgMeta, fn: FuncProto, _i: number): number {
  const regno = 1 + arg;
  const type = fn.args[arg];
  if (type === ARG_DONTCARE) return 0;
  const err = checkRegArg(env, regno, SRC_OP);
  if (err) return err;
  if (type === ARG_ANYTHING) return 0;
  verbose(env, `bpfscope: helper argument type ${type} is not modelled by the linux-6.18 profile yet`);
  return -95;
}
