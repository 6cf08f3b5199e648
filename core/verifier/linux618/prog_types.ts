/**
 * Program types of the linux-6.18 profile: their numbers and names, the
 * context each gets in R1, which context accesses are valid and what they
 * load (`is_valid_access` / `convert_ctx_access` of `net/core/filter.c`),
 * and which helpers they may call (`get_func_proto`).
 *
 * @module
 */
import type { HelperSet } from "./helpers.ts";

/** A program type as the profile knows it. */
export interface ProgTypeInfo {
  /** `enum bpf_prog_type` value. */
  type: number;
  /** Name (`socket_filter`, `xdp`, ...). */
  name: string;
  /** The helper ids its `get_func_proto` answers for. */
  helpers: HelperSet;
  /** Whether LD_ABS/LD_IND are allowed (`may_access_skb`). */
  mayAccessSkb: boolean;
  /** Whether direct packet access is allowed (`may_access_direct_pkt_data`). */
  directPacketAccess: boolean;
}

const BASE = [1, 2, 3, 5, 7, 125];

/** The program types of the profile by number. */
export const PROG_TYPES_618: Readonly<Record<number, ProgTypeInfo>> = {
  1: { type: 1, name: "socket_filter", helpers: new Set(BASE), mayAccessSkb: true, directPacketAccess: false },
  3: { type: 3, name: "sched_cls", helpers: new Set(BASE), mayAccessSkb: true, directPacketAccess: true },
  4: { type: 4, name: "sched_act", helpers: new Set(BASE), mayAccessSkb: true, directPacketAccess: true },
  6: { type: 6, name: "xdp", helpers: new Set(BASE), mayAccessSkb: false, directPacketAccess: true },
};

/** Program type names to numbers. */
export const PROG_TYPE_NUMBERS_618: Readonly<Record<string, number>> = Object.fromEntries(
  Object.values(PROG_TYPES_618).map((t) => [t.name, t.type]),
);
