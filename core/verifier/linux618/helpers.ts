/**
 * Helper prototypes of Linux 6.18 (`struct bpf_func_proto`) for the helpers
 * the profile models, which helper ids each program type may call (its
 * `get_func_proto`, root-loaded, as the running kernel answers), and the
 * helpers that move packet data (`bpf_helper_changes_pkt_data`).
 *
 * Argument types are the kernel's `enum bpf_arg_type` base types with its
 * `enum bpf_type_flag` bits (`PTR_MAYBE_NULL`, `MEM_RDONLY`, `MEM_UNINIT`,
 * `MEM_WRITE`, `OBJ_RELEASE`); the numbers are bpfscope's.
 *
 * @module
 */
import { MEM_RDONLY, MEM_RINGBUF, PTR_MAYBE_NULL } from "./reg.ts";

// ---- enum bpf_arg_type (base types) ----
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
export const ARG_PTR_TO_STACK = 11;
/** The size of the memory a helper allocates: a known constant. */
export const ARG_CONST_ALLOC_SIZE_OR_ZERO = 12;
/** Memory from `bpf_ringbuf_reserve`. */
export const ARG_PTR_TO_RINGBUF_MEM = 13;

// ---- enum bpf_type_flag bits used by argument types (PTR_MAYBE_NULL and MEM_RDONLY as on registers) ----
/** `OBJ_RELEASE`: the helper releases the reference the argument holds. */
export const OBJ_RELEASE = 0x2000;
/** `MEM_UNINIT`: the helper may write the memory without reading it. */
export const MEM_UNINIT = 0x8000;
/** `MEM_WRITE`: the helper writes the memory. */
export const MEM_WRITE = 0x100000;

/** `ARG_PTR_TO_UNINIT_MEM`: memory the helper fills. */
export const ARG_PTR_TO_UNINIT_MEM = ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE;
/** `ARG_PTR_TO_MEM | MEM_RDONLY`: memory the helper only reads. */
export const ARG_PTR_TO_RDONLY_MEM = ARG_PTR_TO_MEM | MEM_RDONLY;

/** `base_type(arg_type)`. */
export function argBaseType(t: number): number {
  return t & 0xff;
}

// ---- return types ----
/** A scalar. */
export const RET_INTEGER = 0;
/** Nothing. */
export const RET_VOID = 1;
/** A map value pointer. */
export const RET_PTR_TO_MAP_VALUE = 2;
/** A map value pointer or NULL. */
export const RET_PTR_TO_MAP_VALUE_OR_NULL = 3;
/** Ring buffer memory or NULL (`RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF`), an acquired reference. */
export const RET_PTR_TO_RINGBUF_MEM_OR_NULL = 4;

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

function proto(id: number, ret: number, args: number[], opts: { gpl?: boolean; pkt?: boolean } = {}): FuncProto {
  while (args.length < 5) args.push(ARG_DONTCARE);
  return { id, gplOnly: opts.gpl ?? false, pktAccess: opts.pkt ?? false, ret, args, mightSleep: false };
}

const MAP = ARG_CONST_MAP_PTR, KEY = ARG_PTR_TO_MAP_KEY, CTX = ARG_PTR_TO_CTX, ANY = ARG_ANYTHING;
const SIZE = ARG_CONST_SIZE, SIZE0 = ARG_CONST_SIZE_OR_ZERO;

/** The prototypes the profile models, by helper id. */
export const PROTOS: Readonly<Record<number, FuncProto>> = {
  1: proto(1, RET_PTR_TO_MAP_VALUE_OR_NULL, [MAP, KEY], { pkt: true }), // map_lookup_elem
  2: proto(2, RET_INTEGER, [MAP, KEY, ARG_PTR_TO_MAP_VALUE, ANY], { pkt: true }), // map_update_elem
  3: proto(3, RET_INTEGER, [MAP, KEY], { pkt: true }), // map_delete_elem
  5: proto(5, RET_INTEGER, []), // ktime_get_ns
  6: proto(6, RET_INTEGER, [ARG_PTR_TO_RDONLY_MEM, SIZE], { gpl: true }), // trace_printk
  7: proto(7, RET_INTEGER, []), // get_prandom_u32
  8: proto(8, RET_INTEGER, []), // get_smp_processor_id
  9: proto(9, RET_INTEGER, [CTX, ANY, ARG_PTR_TO_RDONLY_MEM, SIZE, ANY]), // skb_store_bytes
  10: proto(10, RET_INTEGER, [CTX, ANY, ANY, ANY, ANY]), // l3_csum_replace
  11: proto(11, RET_INTEGER, [CTX, ANY, ANY, ANY, ANY]), // l4_csum_replace
  12: proto(12, RET_VOID, [CTX, MAP, ANY]), // tail_call
  14: proto(14, RET_INTEGER, []), // get_current_pid_tgid
  15: proto(15, RET_INTEGER, []), // get_current_uid_gid
  16: proto(16, RET_INTEGER, [ARG_PTR_TO_UNINIT_MEM, SIZE]), // get_current_comm
  23: proto(23, RET_INTEGER, [ANY, ANY]), // redirect
  26: proto(26, RET_INTEGER, [CTX, ANY, ARG_PTR_TO_UNINIT_MEM, SIZE]), // skb_load_bytes
  28: proto(
    28,
    RET_INTEGER,
    [ARG_PTR_TO_RDONLY_MEM | PTR_MAYBE_NULL, SIZE0, ARG_PTR_TO_RDONLY_MEM | PTR_MAYBE_NULL, SIZE0, ANY],
    { pkt: true },
  ), // csum_diff
  34: proto(34, RET_INTEGER, [CTX]), // get_hash_recalc
  35: proto(35, RET_INTEGER, [], { gpl: true }), // get_current_task
  39: proto(39, RET_INTEGER, [CTX, ANY]), // skb_pull_data
  42: proto(42, RET_INTEGER, []), // get_numa_node_id
  44: proto(44, RET_INTEGER, [CTX, ANY]), // xdp_adjust_head
  54: proto(54, RET_INTEGER, [CTX, ANY]), // xdp_adjust_meta
  65: proto(65, RET_INTEGER, [CTX, ANY]), // xdp_adjust_tail
  113: proto(113, RET_INTEGER, [ARG_PTR_TO_UNINIT_MEM, SIZE0, ANY], { gpl: true }), // probe_read_kernel
  115: proto(115, RET_INTEGER, [ARG_PTR_TO_UNINIT_MEM, SIZE0, ANY], { gpl: true }), // probe_read_kernel_str
  118: proto(118, RET_INTEGER, []), // jiffies64
  125: proto(125, RET_INTEGER, []), // ktime_get_boot_ns
  130: proto(130, RET_INTEGER, [MAP, ARG_PTR_TO_RDONLY_MEM, SIZE0, ANY]), // ringbuf_output
  131: proto(131, RET_PTR_TO_RINGBUF_MEM_OR_NULL, [MAP, ARG_CONST_ALLOC_SIZE_OR_ZERO, ANY]), // ringbuf_reserve
  132: proto(132, RET_VOID, [ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE, ANY]), // ringbuf_submit
  133: proto(133, RET_VOID, [ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE, ANY]), // ringbuf_discard
  134: proto(134, RET_INTEGER, [MAP, ANY]), // ringbuf_query
  160: proto(160, RET_INTEGER, []), // ktime_get_coarse_ns
  195: proto(195, RET_PTR_TO_MAP_VALUE_OR_NULL, [MAP, KEY, ANY], { pkt: true }), // map_lookup_percpu_elem
  208: proto(208, RET_INTEGER, []), // ktime_get_tai_ns
  // skb and xdp helpers of tc_cls_act_func_proto, sk_filter_func_proto, xdp_func_proto, cg_skb_func_proto
  13: proto(13, RET_INTEGER, [CTX, ANY, ANY]), // clone_redirect
  17: proto(17, RET_INTEGER, []), // get_cgroup_classid (the current task's; tc's takes the skb: TC_PROTOS)
  18: proto(18, RET_INTEGER, [CTX, ANY, ANY]), // skb_vlan_push
  19: proto(19, RET_INTEGER, [CTX]), // skb_vlan_pop
  24: proto(24, RET_INTEGER, [CTX]), // get_route_realm
  25: proto(25, RET_INTEGER, [CTX, MAP, ANY, ARG_PTR_TO_RDONLY_MEM, SIZE0], { gpl: true }), // perf_event_output
  31: proto(31, RET_INTEGER, [CTX, ANY, ANY]), // skb_change_proto
  32: proto(32, RET_INTEGER, [CTX, ANY]), // skb_change_type
  38: proto(38, RET_INTEGER, [CTX, ANY, ANY]), // skb_change_tail
  40: proto(40, RET_INTEGER, [CTX, ANY]), // csum_update
  41: proto(41, RET_INTEGER, [CTX]), // set_hash_invalid
  43: proto(43, RET_INTEGER, [CTX, ANY, ANY]), // skb_change_head
  46: proto(46, RET_INTEGER, [CTX]), // get_socket_cookie
  47: proto(47, RET_INTEGER, [CTX]), // get_socket_uid
  48: proto(48, RET_INTEGER, [CTX, ANY]), // set_hash
  50: proto(50, RET_INTEGER, [CTX, ANY, ANY, ANY]), // skb_adjust_room
  51: proto(51, RET_INTEGER, [MAP, ANY, ANY]), // redirect_map
  68: proto(68, RET_INTEGER, [CTX, ANY, ARG_PTR_TO_UNINIT_MEM, SIZE, ANY]), // skb_load_bytes_relative
  97: proto(97, RET_INTEGER, [CTX]), // skb_ecn_set_ce
};

/** Prototypes that tc programs get instead of the base ones. */
const TC_PROTOS: Readonly<Record<number, FuncProto>> = {
  17: proto(17, RET_INTEGER, [CTX]), // get_cgroup_classid of the skb
};

/** The prototype `get_func_proto` of a program type returns for a helper the profile models, or undefined. */
export function helperProto(id: number, progType: number): FuncProto | undefined {
  if (progType === 3 || progType === 4) return TC_PROTOS[id] ?? PROTOS[id];
  return PROTOS[id];
}

/** A program type's helper set: the ids its `get_func_proto` returns a prototype for. */
export type HelperSet = ReadonlySet<number>;

/** Helper ids as a set, from runs `[first, last]` and single ids. */
function ids(...parts: Array<number | [number, number]>): HelperSet {
  const s = new Set<number>();
  for (const p of parts) {
    if (typeof p === "number") s.add(p);
    else for (let i = p[0]; i <= p[1]; i++) s.add(i);
  }
  return s;
}

/*
 * What `get_func_proto` answers on the running 6.18 kernel for a root load
 * (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN: bpf_base_func_proto gives the
 * tracing helpers too), probed with `r1..r5 = 0; call N` for N in 1..229:
 * every id that is not "program of this type cannot use helper" (212 and
 * up are "invalid func unknown#N").
 */
const COMMON = [
  1,
  2,
  3,
  5,
  6,
  7,
  8,
  12,
  14,
  15,
  16,
  17,
  22,
  25,
  35,
  37,
  42,
  55,
  80,
  87,
  88,
  89,
  93,
  94,
  105,
  106,
  109,
  112,
  113,
  114,
  115,
  117,
  118,
  120,
  123,
  125,
  130,
  131,
  132,
  133,
  134,
  136,
  137,
  138,
  139,
  140,
  141,
  148,
  149,
  153,
  154,
  156,
  157,
  158,
  160,
  164,
  165,
  169,
  170,
  171,
  172,
  175,
  176,
  177,
  178,
  180,
  181,
  182,
  191,
  194,
  195,
  196,
  197,
  198,
  199,
  200,
  201,
  202,
  203,
  208,
  209,
  210,
  211,
] as const;
/** `sk_filter_func_proto`. */
export const SOCKET_FILTER_HELPERS: HelperSet = ids(...COMMON, 26, 46, 47, 68, 122);
/** `tc_cls_act_func_proto` (sched_cls and sched_act). */
export const TC_HELPERS: HelperSet = ids(
  ...COMMON,
  [9, 11],
  13,
  [18, 21],
  23,
  24,
  26,
  [28, 34],
  [38, 41],
  43,
  46,
  47,
  48,
  50,
  66,
  68,
  69,
  79,
  [83, 86],
  [95, 100],
  107,
  108,
  110,
  122,
  124,
  135,
  151,
  152,
  155,
  163,
  192,
  [204, 207],
);
/** `xdp_func_proto`. */
export const XDP_HELPERS: HelperSet = ids(
  ...COMMON,
  23,
  28,
  44,
  51,
  54,
  65,
  69,
  [84, 86],
  99,
  100,
  110,
  163,
  [188, 190],
  [204, 207],
);
/** `cg_skb_func_proto`. */
export const CGROUP_SKB_HELPERS: HelperSet = ids(
  ...COMMON,
  26,
  46,
  47,
  68,
  79,
  81,
  [83, 86],
  [95, 99],
  107,
  108,
  122,
  128,
  129,
);

/**
 * `bpf_helper_changes_pkt_data(func_id)` (net/core/filter.c): after these
 * every packet pointer is invalid. A tail call does not count on the
 * running 6.18.y kernel (checked: a packet pointer survives it).
 */
export const CHANGES_PKT_DATA: HelperSet = ids(
  [9, 11], // skb_store_bytes, l3/l4_csum_replace
  13, // clone_redirect
  18, // skb_vlan_push
  19, // skb_vlan_pop
  31, // skb_change_proto
  38, // skb_change_tail
  39, // skb_pull_data
  43, // skb_change_head
  44, // xdp_adjust_head
  50, // skb_adjust_room
  54, // xdp_adjust_meta
  63, // msg_pull_data
  65, // xdp_adjust_tail
  [73, 76], // lwt_push_encap, lwt_seg6_*
  90, // msg_push_data
  91, // msg_pop_data
  143, // store_hdr_opt
);

/**
 * How many arguments each helper a profile program type may call takes
 * (`get_call_summary`'s `num_params`, which `compute_live_registers` uses
 * for every helper the program type has, modelled or not): character `id`
 * of this string, `-` for ids no profile program type may call. Read off
 * the running kernel's `Live regs before insn:` line of `call N`.
 */
const NUM_PARAMS =
  "-242-0200555330020314422154-53332310-23221032-112-43--24---------25-54---------102-2551322---11111155----444215-3333-10-4-1130--12432222111114------35-14212420-0--545---3231--1241-543-----14453-231442255333220442";

/** The helper's number of arguments for a program type, or -1 when no profile program type may call it. */
export function helperNumParams(id: number, progType: number): number {
  // get_cgroup_classid is tc's one-argument helper (the skb) and the base set's no-argument one (current task)
  if (id === 17 && (progType === 3 || progType === 4)) return 1;
  const c = NUM_PARAMS[id];
  return c === undefined || c === "-" ? -1 : Number(c);
}

/** `is_acquire_function(func_id, map)` for the modelled helpers. */
export function isAcquireFunction(id: number): boolean {
  return id === 131;
}

/** Sync callback-calling helpers (`is_sync_callback_calling_function`). */
export function isSyncCallbackCallingHelper(id: number): boolean {
  return id === 164 || id === 180 || id === 181 || id === 209; // for_each_map_elem, find_vma, loop, user_ringbuf_drain
}

/** The type flag a ring buffer reservation carries (`MEM_RINGBUF`). */
export const RINGBUF_MEM_FLAGS = MEM_RINGBUF | PTR_MAYBE_NULL;
