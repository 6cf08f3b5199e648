/**
 * eBPF opcode constants, named as in the kernel's `include/uapi/linux/bpf.h`
 * and `bpf_common.h`, covering the whole instruction set of RFC 9669.
 *
 * An instruction's `code` byte is `class | (size|mode)` for loads and stores
 * and `class | source | operation` for arithmetic and jumps.
 *
 * @module
 */

// ---- classes (code & 0x07) ----
/** Class: non-standard load (LD_IMM64, legacy LD_ABS/LD_IND). */
export const BPF_LD = 0x00;
/** Class: load into a register. */
export const BPF_LDX = 0x01;
/** Class: store an immediate. */
export const BPF_ST = 0x02;
/** Class: store a register (and atomics). */
export const BPF_STX = 0x03;
/** Class: 32-bit arithmetic. */
export const BPF_ALU = 0x04;
/** Class: 64-bit jumps, calls and exit. */
export const BPF_JMP = 0x05;
/** Class: 32-bit jumps (RFC 9669); `RET` in classic BPF. */
export const BPF_JMP32 = 0x06;
/** Class: 64-bit arithmetic. */
export const BPF_ALU64 = 0x07;

// ---- sizes (code & 0x18) ----
/** Size: 4 bytes. */
export const BPF_W = 0x00;
/** Size: 2 bytes. */
export const BPF_H = 0x08;
/** Size: 1 byte. */
export const BPF_B = 0x10;
/** Size: 8 bytes. */
export const BPF_DW = 0x18;

// ---- modes (code & 0xe0) ----
/** Mode: 64-bit immediate load (with BPF_LD, BPF_DW). */
export const BPF_IMM = 0x00;
/** Mode: legacy packet access at an absolute offset. */
export const BPF_ABS = 0x20;
/** Mode: legacy packet access at a register-relative offset. */
export const BPF_IND = 0x40;
/** Mode: regular memory access. */
export const BPF_MEM = 0x60;
/** Mode: sign-extending load (RFC 9669). */
export const BPF_MEMSX = 0x80;
/** Mode: atomic operation (XADD in 3.18). */
export const BPF_ATOMIC = 0xc0;
/** Old name of {@link BPF_ATOMIC}. */
export const BPF_XADD = 0xc0;

// ---- source (code & 0x08) ----
/** Source: the immediate. */
export const BPF_K = 0x00;
/** Source: the src register. */
export const BPF_X = 0x08;

// ---- ALU operations (code & 0xf0) ----
/** ALU: dst += src. */
export const BPF_ADD = 0x00;
/** ALU: dst -= src. */
export const BPF_SUB = 0x10;
/** ALU: dst *= src. */
export const BPF_MUL = 0x20;
/** ALU: dst /= src (off=1: signed). */
export const BPF_DIV = 0x30;
/** ALU: dst |= src. */
export const BPF_OR = 0x40;
/** ALU: dst &= src. */
export const BPF_AND = 0x50;
/** ALU: dst <<= src. */
export const BPF_LSH = 0x60;
/** ALU: dst >>= src (logical). */
export const BPF_RSH = 0x70;
/** ALU: dst = -dst. */
export const BPF_NEG = 0x80;
/** ALU: dst %= src (off=1: signed). */
export const BPF_MOD = 0x90;
/** ALU: dst ^= src. */
export const BPF_XOR = 0xa0;
/** ALU: dst = src (off=8/16/32: sign-extending). */
export const BPF_MOV = 0xb0;
/** ALU: dst s>>= src. */
export const BPF_ARSH = 0xc0;
/** ALU: byte swap (BPF_TO_LE / BPF_TO_BE; bswap with ALU64). */
export const BPF_END = 0xd0;

/** Byte order target of BPF_END: little endian (the K bit). */
export const BPF_TO_LE = 0x00;
/** Byte order target of BPF_END: big endian (the X bit). */
export const BPF_TO_BE = 0x08;

// ---- jump operations (code & 0xf0) ----
/** Jump: always (`goto`; `gotol` in JMP32 with the offset in imm). */
export const BPF_JA = 0x00;
/** Jump if equal. */
export const BPF_JEQ = 0x10;
/** Jump if greater (unsigned). */
export const BPF_JGT = 0x20;
/** Jump if greater or equal (unsigned). */
export const BPF_JGE = 0x30;
/** Jump if dst & src. */
export const BPF_JSET = 0x40;
/** Jump if not equal. */
export const BPF_JNE = 0x50;
/** Jump if greater (signed). */
export const BPF_JSGT = 0x60;
/** Jump if greater or equal (signed). */
export const BPF_JSGE = 0x70;
/** Function call (helper, local function or kfunc by src_reg). */
export const BPF_CALL = 0x80;
/** Return from the program or local function. */
export const BPF_EXIT = 0x90;
/** Jump if less (unsigned). */
export const BPF_JLT = 0xa0;
/** Jump if less or equal (unsigned). */
export const BPF_JLE = 0xb0;
/** Jump if less (signed). */
export const BPF_JSLT = 0xc0;
/** Jump if less or equal (signed). */
export const BPF_JSLE = 0xd0;

// ---- atomic operations (imm of BPF_STX|BPF_ATOMIC) ----
/** Atomic modifier: return the old value in src. */
export const BPF_FETCH = 0x01;
/** Atomic exchange (always with FETCH). */
export const BPF_XCHG = 0xe0 | BPF_FETCH;
/** Atomic compare-and-exchange against r0 (always with FETCH). */
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// ---- pseudo src_reg values ----
/** LD_IMM64 src: imm is a map file descriptor. */
export const BPF_PSEUDO_MAP_FD = 1;
/** LD_IMM64 src: map fd plus an offset into its value (second slot imm). */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** LD_IMM64 src: imm is a BTF id of a kernel variable. */
export const BPF_PSEUDO_BTF_ID = 3;
/** LD_IMM64 src: imm is the pc-relative offset of a function. */
export const BPF_PSEUDO_FUNC = 4;
/** LD_IMM64 src: imm is an index into the program's map list. */
export const BPF_PSEUDO_MAP_IDX = 5;
/** LD_IMM64 src: map index plus value offset. */
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;
/** CALL src: call a local (bpf-to-bpf) function at pc+imm+1. */
export const BPF_PSEUDO_CALL = 1;
/** CALL src: call a kernel function by BTF id. */
export const BPF_PSEUDO_KFUNC_CALL = 2;

// ---- limits ----
/** Number of registers, R0..R10. */
export const MAX_BPF_REG = 11;
/** Stack bytes per frame. */
export const MAX_BPF_STACK = 512;
/** Instruction count limit of `BPF_PROG_LOAD` in 3.18 (programs must be shorter). */
export const BPF_MAXINSNS = 4096;

// ---- map update flags ----
/** Update flag: create or replace. */
export const BPF_ANY = 0;
/** Update flag: create only. */
export const BPF_NOEXIST = 1;
/** Update flag: replace only. */
export const BPF_EXIST = 2;

/** The instruction class of an opcode. */
export function BPF_CLASS(code: number): number {
  return code & 0x07;
}
/** The size field of a load/store opcode. */
export function BPF_SIZE(code: number): number {
  return code & 0x18;
}
/** The mode field of a load/store opcode. */
export function BPF_MODE(code: number): number {
  return code & 0xe0;
}
/** The operation of an ALU or jump opcode. */
export function BPF_OP(code: number): number {
  return code & 0xf0;
}
/** The source bit of an ALU or jump opcode. */
export function BPF_SRC(code: number): number {
  return code & 0x08;
}

/** Bytes accessed by a size field value. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}

/** Well-known program types, by the kernel's `enum bpf_prog_type` numbers. */
export const PROG_TYPES: Readonly<Record<string, number>> = {
  unspec: 0,
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32,
};

/** The packet program types the test runner models (and whose contexts and helpers the machine knows). */
export const PROG_SOCKET_FILTER = 1, PROG_SCHED_CLS = 3, PROG_SCHED_ACT = 4, PROG_XDP = 6;

/** Well-known map types, by the kernel's `enum bpf_map_type` numbers. */
export const MAP_TYPES: Readonly<Record<string, number>> = {
  unspec: 0,
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
};

/** The name of a program type number, or its decimal text when unknown. */
export function progTypeName(type: number): string {
  for (const [name, n] of Object.entries(PROG_TYPES)) if (n === type) return name;
  return String(type);
}

/** The name of a map type number, or its decimal text when unknown. */
export function mapTypeName(type: number): string {
  for (const [name, n] of Object.entries(MAP_TYPES)) if (n === type) return name;
  return String(type);
}
