/**
 * Program types of the linux-6.18 profile: their numbers and names, which
 * context accesses are valid and what they load (`is_valid_access` of
 * `net/core/filter.c`: `sk_filter_is_valid_access`,
 * `tc_cls_act_is_valid_access`, `cg_skb_is_valid_access`,
 * `xdp_is_valid_access`, all on top of `bpf_skb_is_valid_access` for the
 * `__sk_buff` ones), and which helpers they may call (`get_func_proto`).
 *
 * @module
 */
import { CGROUP_SKB_HELPERS, type HelperSet, SOCKET_FILTER_HELPERS, TC_HELPERS, XDP_HELPERS } from "./helpers.ts";
import {
  PTR_MAYBE_NULL,
  PTR_TO_PACKET,
  PTR_TO_PACKET_END,
  PTR_TO_PACKET_META,
  PTR_TO_SOCK_COMMON,
  SCALAR_VALUE,
} from "./reg.ts";

/** What a valid context access loads: `info->reg_type`. */
export interface CtxAccess {
  /** The register type the load produces (SCALAR_VALUE, packet pointers, ...). */
  regType: number;
}

/** A program type as the profile knows it. */
export interface ProgTypeInfo {
  /** `enum bpf_prog_type` value. */
  type: number;
  /** Name (`socket_filter`, `xdp`, ...). */
  name: string;
  /** The UAPI context struct's name (`bpf_types.h`: `__sk_buff`, `xdp_md`), what a BTF `ctx` argument points to. */
  ctxStruct: string;
  /** The helper ids its `get_func_proto` answers for. */
  helpers: HelperSet;
  /** Whether LD_ABS/LD_IND are allowed (`may_access_skb`). */
  mayAccessSkb: boolean;
  /** `may_access_direct_pkt_data` for reads and for writes. */
  directPacket: { read: boolean; write: boolean };
  /** `is_valid_access(off, size, type, prog, info)` with `info->is_ldsx`: null when invalid. */
  isValidAccess(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null;
  /** The return value range `check_return_code` enforces, or null for none. */
  retRange: [number, number] | null;
}

// ---- struct __sk_buff (include/uapi/linux/bpf.h) ----
const SKB = {
  mark: 8,
  queue_mapping: 12,
  priority: 32,
  tc_index: 44,
  cb0: 48,
  cbEnd: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  local_portEnd: 140,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  sk: 168,
  tstamp_type: 180,
  hwtstamp: 184,
  size: 192,
} as const;

/** `bpf_ctx_range(struct __sk_buff, field)` for a 4-byte field at `at`. */
function in4(off: number, at: number): boolean {
  return off >= at && off < at + 4;
}

function in8(off: number, at: number): boolean {
  return off >= at && off < at + 8;
}

/** `bpf_ctx_narrow_access_ok(off, size, size_default)`. */
function narrowOk(size: number, sizeDefault: number): boolean {
  return size <= sizeDefault && (size & (size - 1)) === 0;
}

const SCALAR: CtxAccess = { regType: SCALAR_VALUE };

/** `bpf_skb_is_valid_access(off, size, type, prog, info)`; `regType` is the caller's `info->reg_type`. */
function skbIsValidAccess(
  off: number,
  size: number,
  write: boolean,
  ldsx: boolean,
  regType: number,
): CtxAccess | null {
  if (off < 0 || off >= SKB.size) return null;
  if (off % size !== 0) return null;
  const ok: CtxAccess = regType === SCALAR_VALUE ? SCALAR : { regType };
  if (off >= SKB.cb0 && off < SKB.cbEnd) return off + size > SKB.cbEnd ? null : ok;
  // the packet pointers: no narrow and no sign-extending load
  if (in4(off, SKB.data) || in4(off, SKB.data_meta) || in4(off, SKB.data_end)) return ldsx || size !== 4 ? null : ok;
  if ((off >= SKB.remote_ip6 && off < SKB.local_ip6 + 16) || in4(off, SKB.remote_ip4) || in4(off, SKB.local_ip4)) {
    return size !== 4 ? null : ok;
  }
  if (in8(off, SKB.flow_keys)) return null;
  if (in8(off, SKB.hwtstamp)) return write || size !== 8 ? null : ok;
  if (in8(off, SKB.tstamp)) return size !== 8 ? null : ok;
  if (in8(off, SKB.sk)) return write || size !== 8 ? null : { regType: PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL };
  if (off === SKB.tstamp_type) return null;
  if (off > SKB.tstamp_type && off < SKB.hwtstamp) return null;
  if (write) return size !== 4 ? null : ok;
  return narrowOk(size, 4) ? ok : null;
}

function skFilterIsValidAccess(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null {
  if (
    in4(off, SKB.tc_classid) || in4(off, SKB.data) || in4(off, SKB.data_meta) || in4(off, SKB.data_end) ||
    (off >= SKB.family && off < SKB.local_portEnd) || in8(off, SKB.tstamp) || in4(off, SKB.wire_len) ||
    in8(off, SKB.hwtstamp)
  ) {
    return null;
  }
  if (write && !(off >= SKB.cb0 && off < SKB.cbEnd)) return null;
  return skbIsValidAccess(off, size, write, ldsx, SCALAR_VALUE);
}

function tcClsActIsValidAccess(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null {
  if (write) {
    const ok = in4(off, SKB.mark) || in4(off, SKB.tc_index) || in4(off, SKB.priority) || in4(off, SKB.tc_classid) ||
      (off >= SKB.cb0 && off < SKB.cbEnd) || in8(off, SKB.tstamp) || in4(off, SKB.queue_mapping);
    if (!ok) return null;
  }
  let regType = SCALAR_VALUE;
  if (in4(off, SKB.data)) regType = PTR_TO_PACKET;
  else if (in4(off, SKB.data_meta)) regType = PTR_TO_PACKET_META;
  else if (in4(off, SKB.data_end)) regType = PTR_TO_PACKET_END;
  else if (off >= SKB.family && off < SKB.local_portEnd) return null;
  else if (off === SKB.tstamp_type) return size === 1 ? SCALAR : null;
  return skbIsValidAccess(off, size, write, ldsx, regType);
}

function cgSkbIsValidAccess(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null {
  if (in4(off, SKB.tc_classid) || in4(off, SKB.data_meta) || in4(off, SKB.wire_len)) return null;
  if (write) {
    const ok = in4(off, SKB.mark) || in4(off, SKB.priority) || (off >= SKB.cb0 && off < SKB.cbEnd) ||
      in8(off, SKB.tstamp);
    if (!ok) return null;
  }
  let regType = SCALAR_VALUE;
  if (in4(off, SKB.data)) regType = PTR_TO_PACKET;
  else if (in4(off, SKB.data_end)) regType = PTR_TO_PACKET_END;
  return skbIsValidAccess(off, size, write, ldsx, regType);
}

/** `xdp_is_valid_access` (expected_attach_type 0, not offloaded). */
function xdpIsValidAccess(off: number, size: number, write: boolean, ldsx: boolean): CtxAccess | null {
  if (off === 20) return null; // egress_ifindex: BPF_XDP_DEVMAP only
  if (write) return null;
  if (ldsx && (off === 0 || off === 4 || off === 8)) return null; // data, data_end, data_meta
  let regType = SCALAR_VALUE;
  if (off === 0) regType = PTR_TO_PACKET;
  else if (off === 8) regType = PTR_TO_PACKET_META;
  else if (off === 4) regType = PTR_TO_PACKET_END;
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return null;
  return regType === SCALAR_VALUE ? SCALAR : { regType };
}

/** The program types of the profile by number. */
export const PROG_TYPES_618: Readonly<Record<number, ProgTypeInfo>> = {
  1: {
    type: 1,
    name: "socket_filter",
    ctxStruct: "__sk_buff",
    helpers: SOCKET_FILTER_HELPERS,
    mayAccessSkb: true,
    directPacket: { read: false, write: false },
    isValidAccess: skFilterIsValidAccess,
    retRange: null,
  },
  3: {
    type: 3,
    name: "sched_cls",
    ctxStruct: "__sk_buff",
    helpers: TC_HELPERS,
    mayAccessSkb: true,
    directPacket: { read: true, write: true },
    isValidAccess: tcClsActIsValidAccess,
    retRange: null,
  },
  4: {
    type: 4,
    name: "sched_act",
    ctxStruct: "__sk_buff",
    helpers: TC_HELPERS,
    mayAccessSkb: true,
    directPacket: { read: true, write: true },
    isValidAccess: tcClsActIsValidAccess,
    retRange: null,
  },
  6: {
    type: 6,
    name: "xdp",
    ctxStruct: "xdp_md",
    helpers: XDP_HELPERS,
    mayAccessSkb: false,
    directPacket: { read: true, write: true },
    isValidAccess: xdpIsValidAccess,
    retRange: null,
  },
  8: {
    type: 8,
    name: "cgroup_skb",
    ctxStruct: "__sk_buff",
    helpers: CGROUP_SKB_HELPERS,
    mayAccessSkb: false,
    directPacket: { read: true, write: false },
    isValidAccess: cgSkbIsValidAccess,
    retRange: [0, 1],
  },
};

/** Program type names to numbers. */
export const PROG_TYPE_NUMBERS_618: Readonly<Record<string, number>> = Object.fromEntries(
  Object.values(PROG_TYPES_618).map((t) => [t.name, t.type]),
);
