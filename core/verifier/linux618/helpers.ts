/**
 * Helper prototypes of Linux 6.18 (`struct bpf_func_proto`) for the helpers
 * the profile models, and which program types may call which
 * (`bpf_base_func_proto`, `sk_filter_func_proto`, `tc_cls_act_func_proto`,
 * `xdp_func_proto`).
 *
 * @module
 */

// ---- enum bpf_arg_type (base types; flags below) ----
/** Unused argument. */
export const ARG_DONTCARE = 0;
/** `const struct bpf_map *`. */
export const ARG_CONST_MAP_PTR = 1;
/** Pointer to a map key (stack, map value, packet). */
export const ARG_PTR_TO_MAP_KEY = 2;
/** Pointer to a map value. */
export const ARG_PTR_TO_MAP_VALUE = 3;
/** Pointer to memory of the size given by the next argument. */
export const ARG_PTR_TO_MEM = 4;
/** Pointer to uninitialised memory the helper fills (MEM_UNINIT). */
export const ARG_PTR_TO_UNINIT_MEM = 5;
/** Constant size of the previous memory argument. */
export const ARG_CONST_SIZE = 6;
/** Constant size that may be 0. */
export const ARG_CONST_SIZE_OR_ZERO = 7;
/** The context pointer. */
export const ARG_PTR_TO_CTX = 8;
/** Any initialised value. */
export const ARG_ANYTHING = 9;
/** A callback function. */
export const ARG_PTR_TO_FUNC = 10;
/** A stack pointer (bpf_loop ctx). */
export const ARG_PTR_TO_STACK_OR_NULL = 11;

// ---- return types ----
/** A scalar. */
export const RET_INTEGER = 0;
/** Nothing. */
export const RET_VOID = 1;
/** A map value pointer. */
export const RET_PTR_TO_MAP_VALUE = 2;
/** A map value pointer or NULL. */
export const RET_PTR_TO_MAP_VALUE_OR_NULL = 3;

/** `struct bpf_func_proto` (the fields the profile uses). */
export interface FuncProto {
  /** Helper id. */
  id: number;
  /** `gpl_only`. */
  gplOnly: boolean;
  /** `pkt_access`: packet pointers allowed for memory arguments. */
  pktAccess: boolean;
  /** `ret_type`. */
  ret: number;
  /** `arg1_type` .. `arg5_type`. */
  args: readonly number[];
  /** `might_sleep`. */
  mightSleep: boolean;
}

function proto(id: number, ret: number, args: number[], gplOnly = false, pktAccess = false): FuncProto {
  while (args.length < 5) args.push(ARG_DONTCARE);
  return { id, gplOnly, pktAccess, ret, args, mightSleep: false };
}

/** The prototypes the profile models, by helper id. */
export const PROTOS: Readonly<Record<number, FuncProto>> = {
  1: proto(1, RET_PTR_TO_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY], false, true),
  2: proto(2, RET_INTEGER, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING], false, true),
  3: proto(3, RET_INTEGER, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY], false, true),
  5: proto(5, RET_INTEGER, []),
  7: proto(7, RET_INTEGER, []),
  8: proto(8, RET_INTEGER, []),
  125: proto(125, RET_INTEGER, []),
};

/** A program type's helper set: the ids its `get_func_proto` returns a prototype for. */
export type HelperSet = ReadonlySet<number>;

/** Sync callback-calling helpers (`is_sync_callback_calling_function`). */
export function isSyncCallbackCallingHelper(id: number): boolean {
  return id === 164 || id === 180 || id === 181 || id === 209; // for_each_map_elem, find_vma, loop, user_ringbuf_drain
}
