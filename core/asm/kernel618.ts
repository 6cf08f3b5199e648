/**
 * Instruction text as the Linux 6.18 verifier log prints it
 * (`print_bpf_insn` of `kernel/bpf/disasm.c`): `w` registers for 32-bit
 * ALU and JMP32, `s/=`/`s%=` for signed division, `(s8)` sign-extending
 * moves, `bswap`, atomics, `gotol`, `may_goto`, helper names
 * (`call bpf_map_lookup_elem#1`).
 *
 * @module
 */

/** Helper names by id (`__BPF_FUNC_MAPPER` of Linux 6.18, without the `bpf_` prefix). */
export const HELPER_NAMES: readonly string[] = [
  "unspec",
  "map_lookup_elem",
  "map_update_elem",
  "map_delete_elem",
  "probe_read",
  "ktime_get_ns",
  "trace_printk",
  "get_prandom_u32",
  "get_smp_processor_id",
  "skb_store_bytes",
  "l3_csum_replace",
  "l4_csum_replace",
  "tail_call",
  "clone_redirect",
  "get_current_pid_tgid",
  "get_current_uid_gid",
  "get_current_comm",
  "get_cgroup_classid",
  "skb_vlan_push",
  "skb_vlan_pop",
  "skb_get_tunnel_key",
  "skb_set_tunnel_key",
  "perf_event_read",
  "redirect",
  "get_route_realm",
  "perf_event_output",
  "skb_load_bytes",
  "get_stackid",
  "csum_diff",
  "skb_get_tunnel_opt",
  "skb_set_tunnel_opt",
  "skb_change_proto",
  "skb_change_type",
  "skb_under_cgroup",
  "get_hash_recalc",
  "get_current_task",
  "probe_write_user",
  "current_task_under_cgroup",
  "skb_change_tail",
  "skb_pull_data",
  "csum_update",
  "set_hash_invalid",
  "get_numa_node_id",
  "skb_change_head",
  "xdp_adjust_head",
  "probe_read_str",
  "get_socket_cookie",
  "get_socket_uid",
  "set_hash",
  "setsockopt",
  "skb_adjust_room",
  "redirect_map",
  "sk_redirect_map",
  "sock_map_update",
  "xdp_adjust_meta",
  "perf_event_read_value",
  "perf_prog_read_value",
  "getsockopt",
  "override_return",
  "sock_ops_cb_flags_set",
  "msg_redirect_map",
  "msg_apply_bytes",
  "msg_cork_bytes",
  "msg_pull_data",
  "bind",
  "xdp_adjust_tail",
  "skb_get_xfrm_state",
  "get_stack",
  "skb_load_bytes_relative",
  "fib_lookup",
  "sock_hash_update",
  "msg_redirect_hash",
  "sk_redirect_hash",
  "lwt_push_encap",
  "lwt_seg6_store_bytes",
  "lwt_seg6_adjust_srh",
  "lwt_seg6_action",
  "rc_repeat",
  "rc_keydown",
  "skb_cgroup_id",
  "get_current_cgroup_id",
  "get_local_storage",
  "sk_select_reuseport",
  "skb_ancestor_cgroup_id",
  "sk_lookup_tcp",
  "sk_lookup_udp",
  "sk_release",
  "map_push_elem",
  "map_pop_elem",
  "map_peek_elem",
  "msg_push_data",
  "msg_pop_data",
  "rc_pointer_rel",
  "spin_lock",
  "spin_unlock",
  "sk_fullsock",
  "tcp_sock",
  "skb_ecn_set_ce",
  "get_listener_sock",
  "skc_lookup_tcp",
  "tcp_check_syncookie",
  "sysctl_get_name",
  "sysctl_get_current_value",
  "sysctl_get_new_value",
  "sysctl_set_new_value",
  "strtol",
  "strtoul",
  "sk_storage_get",
  "sk_storage_delete",
  "send_signal",
  "tcp_gen_syncookie",
  "skb_output",
  "probe_read_user",
  "probe_read_kernel",
  "probe_read_user_str",
  "probe_read_kernel_str",
  "tcp_send_ack",
  "send_signal_thread",
  "jiffies64",
  "read_branch_records",
  "get_ns_current_pid_tgid",
  "xdp_output",
  "get_netns_cookie",
  "get_current_ancestor_cgroup_id",
  "sk_assign",
  "ktime_get_boot_ns",
  "seq_printf",
  "seq_write",
  "sk_cgroup_id",
  "sk_ancestor_cgroup_id",
  "ringbuf_output",
  "ringbuf_reserve",
  "ringbuf_submit",
  "ringbuf_discard",
  "ringbuf_query",
  "csum_level",
  "skc_to_tcp6_sock",
  "skc_to_tcp_sock",
  "skc_to_tcp_timewait_sock",
  "skc_to_tcp_request_sock",
  "skc_to_udp6_sock",
  "get_task_stack",
  "load_hdr_opt",
  "store_hdr_opt",
  "reserve_hdr_opt",
  "inode_storage_get",
  "inode_storage_delete",
  "d_path",
  "copy_from_user",
  "snprintf_btf",
  "seq_printf_btf",
  "skb_cgroup_classid",
  "redirect_neigh",
  "per_cpu_ptr",
  "this_cpu_ptr",
  "redirect_peer",
  "task_storage_get",
  "task_storage_delete",
  "get_current_task_btf",
  "bprm_opts_set",
  "ktime_get_coarse_ns",
  "ima_inode_hash",
  "sock_from_file",
  "check_mtu",
  "for_each_map_elem",
  "snprintf",
  "sys_bpf",
  "btf_find_by_name_kind",
  "sys_close",
  "timer_init",
  "timer_set_callback",
  "timer_start",
  "timer_cancel",
  "get_func_ip",
  "get_attach_cookie",
  "task_pt_regs",
  "get_branch_snapshot",
  "trace_vprintk",
  "skc_to_unix_sock",
  "kallsyms_lookup_name",
  "find_vma",
  "loop",
  "strncmp",
  "get_func_arg",
  "get_func_ret",
  "get_func_arg_cnt",
  "get_retval",
  "set_retval",
  "xdp_get_buff_len",
  "xdp_load_bytes",
  "xdp_store_bytes",
  "copy_from_user_task",
  "skb_set_tstamp",
  "ima_file_hash",
  "kptr_xchg",
  "map_lookup_percpu_elem",
  "skc_to_mptcp_sock",
  "dynptr_from_mem",
  "ringbuf_reserve_dynptr",
  "ringbuf_submit_dynptr",
  "ringbuf_discard_dynptr",
  "dynptr_read",
  "dynptr_write",
  "dynptr_data",
  "tcp_raw_gen_syncookie_ipv4",
  "tcp_raw_gen_syncookie_ipv6",
  "tcp_raw_check_syncookie_ipv4",
  "tcp_raw_check_syncookie_ipv6",
  "ktime_get_tai_ns",
  "user_ringbuf_drain",
  "cgrp_storage_get",
  "cgrp_storage_delete",
];

/** `func_id_name(id)`: `bpf_<name>` or `unknown`. */
export function helperName(id: number): string {
  return id > 0 && id < HELPER_NAMES.length ? "bpf_" + HELPER_NAMES[id] : id === 0 ? "bpf_unspec" : "unknown";
}

const ALU: readonly string[] = [
  "+=",
  "-=",
  "*=",
  "/=",
  "|=",
  "&=",
  "<<=",
  ">>=",
  "neg",
  "%=",
  "^=",
  "=",
  "s>>=",
  "endian",
  "",
  "",
];
const JMP: readonly string[] = [
  "jmp",
  "==",
  ">",
  ">=",
  "&",
  "!=",
  "s>",
  "s>=",
  "call",
  "exit",
  "<",
  "<=",
  "s<",
  "s<=",
  "cond",
  "",
];
const LDST: readonly string[] = ["u32", "u16", "u8", "u64"];
const LDSX: readonly string[] = ["s32", "s16", "s8", ""];
const ATOMIC_ALU: Readonly<Record<number, string>> = { 0x00: "add", 0x50: "and", 0x40: "or", 0xa0: "xor" };

function hex2(c: number): string {
  return c.toString(16).padStart(2, "0");
}
function sgn(n: number): string {
  return n < 0 ? String(n) : "+" + n;
}

/**
 * The 6.18 log text of one instruction (without the `N: ` prefix), e.g.
 * `(07) r3 += 10`. `imm2` is the next slot's imm for LD_IMM64; `ptrImm`,
 * when given, is the 64-bit value printed for a map load (the kernel prints
 * the `struct bpf_map *` it patched in).
 */
export function kernel618InsnText(
  code: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  imm2 = 0,
  ptrImm?: bigint,
): string {
  const cls = code & 7, c = "(" + hex2(code) + ")";
  if (cls === 4 || cls === 7) {
    const w = cls === 4 ? "w" : "r", op = code & 0xf0;
    if (op === 0xd0) {
      const kind = cls === 7 ? "bswap" : (code & 8) ? "be" : "le";
      return `${c} r${dst} = ${kind}${imm} r${dst}`;
    }
    if (op === 0x80) return `${c} ${w}${dst} = -${w}${dst}`;
    if (code === 0xbf && off === 1) {
      return `${c} r${dst} = addr_space_cast(r${src}, ${(imm >>> 16)}, ${imm & 0xffff})`;
    }
    if (code === 0xbf && off === -1) return `${c} r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = (op === 0x30 || op === 0x90) && off === 1;
    const name = sdiv ? (op === 0x30 ? "s/=" : "s%=") : ALU[op >> 4];
    if (code & 8) {
      const sx = op === 0xb0 && (off === 8 || off === 16 || off === 32) ? `(s${off})` : "";
      return `${c} ${w}${dst} ${name} ${sx}${w}${src}`;
    }
    return `${c} ${w}${dst} ${name} ${imm}`;
  }
  if (cls === 3) {
    const mode = code & 0xe0, size = LDST[(code >> 3) & 3];
    if (mode === 0x60) return `${c} *(${size} *)(r${dst} ${sgn(off)}) = r${src}`;
    if (mode === 0xc0) {
      const a = imm & ~1;
      if ((imm === 0x00 || imm === 0x50 || imm === 0x40 || imm === 0xa0)) {
        return `${c} lock *(${size} *)(r${dst} ${sgn(off)}) ${ALU[imm >> 4]} r${src}`;
      }
      const w64 = (code & 0x18) === 0x18 ? "64" : "";
      if ((imm & 1) && ATOMIC_ALU[a] !== undefined) {
        return `${c} r${src} = atomic${w64}_fetch_${ATOMIC_ALU[a]}((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      }
      if (imm === 0xf1) return `${c} r0 = atomic${w64}_cmpxchg((${size} *)(r${dst} ${sgn(off)}), r0, r${src})`;
      if (imm === 0xe1) return `${c} r${src} = atomic${w64}_xchg((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0x100) return `${c} r${dst} = load_acquire((${size} *)(r${src} ${sgn(off)}))`;
      if (imm === 0x110) return `${c} store_release((${size} *)(r${dst} ${sgn(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (cls === 2) {
    const mode = code & 0xe0;
    if (mode === 0x60) return `${c} *(${LDST[(code >> 3) & 3]} *)(r${dst} ${sgn(off)}) = ${imm}`;
    if (mode === 0xc0) return `${c} nospec`;
    return `BUG_st_${hex2(code)}`;
  }
  if (cls === 1) {
    const mode = code & 0xe0;
    if (mode !== 0x60 && mode !== 0x80) return `BUG_ldx_${hex2(code)}`;
    const size = mode === 0x60 ? LDST[(code >> 3) & 3] : LDSX[(code >> 3) & 3];
    return `${c} r${dst} = *(${size} *)(r${src} ${sgn(off)})`;
  }
  if (cls === 0) {
    const mode = code & 0xe0, size = LDST[(code >> 3) & 3];
    if (mode === 0x20) return `${c} r0 = *(${size} *)skb[${imm}]`;
    if (mode === 0x40) return `${c} r0 = *(${size} *)skb[r${src} + ${imm}]`;
    if (mode === 0 && (code & 0x18) === 0x18) {
      let v = (BigInt.asUintN(32, BigInt(imm2)) << 32n) | BigInt.asUintN(32, BigInt(imm));
      if (ptrImm !== undefined && (src === 1 || src === 2)) v = ptrImm;
      return `${c} r${dst} = 0x${v.toString(16)}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }
  // JMP, JMP32
  const op = code & 0xf0;
  if (op === 0x80) {
    if (src === 1) return `${c} call pc${sgn(imm)}`;
    if (src === 2) return `${c} call kernel-function#${imm}`;
    return `${c} call ${helperName(imm)}#${imm}`;
  }
  if (code === 0x05) return `${c} goto pc${sgn(off)}`;
  if (code === 0xe5 && src === 0) return `${c} may_goto pc${sgn(off)}`;
  if (code === 0x06) return `${c} gotol pc${sgn(imm)}`;
  if (code === 0x95) return `${c} exit`;
  const w = cls === 6 ? "w" : "r";
  if (code & 8) return `${c} if ${w}${dst} ${JMP[op >> 4]} ${w}${src} goto pc${sgn(off)}`;
  return `${c} if ${w}${dst} ${JMP[op >> 4]} 0x${(imm >>> 0).toString(16)} goto pc${sgn(off)}`;
}
