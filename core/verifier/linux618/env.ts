/**
 * `struct bpf_verifier_env` of Linux 6.18, reduced to what the profile
 * implements: the program (decoded into typed arrays), the per-insn aux data
 * (`prune_point`, `jmp_point`, `force_checkpoint`, `live_regs_before`,
 * `scc`, ...), the subprograms, the walk's counters and the log.
 *
 * Errors are the kernel's negative errno numbers; the functions of this
 * profile return 0 or one of them, after printing the message with
 * {@link Env.verbose} as the kernel does.
 *
 * @module
 */
import type { BtfTypeInfo, FuncInfo, LineInfo } from "../../isa/program.ts";
import type { VerifierLog618 } from "./log.ts";
import type { ProgTypeInfo } from "./prog_types.ts";
import type { RegState } from "./reg.ts";
import type { VerifierState } from "./state.ts";
import type { StackLiveness } from "./stack_liveness.ts";

// ---- errno ----
/** -EPERM */
export const EPERM = -1;
/** -ENOENT */
export const ENOENT = -2;
/** -EBADF */
export const EBADF_ = -9;
/** -E2BIG */
export const E2BIG = -7;
/** -ENOMEM */
export const ENOMEM = -12;
/** -EACCES */
export const EACCES = -13;
/** -EFAULT */
export const EFAULT = -14;
/** -EINVAL */
export const EINVAL = -22;
/** -ENOSPC */
export const ENOSPC = -28;
/** -EPROTO */
export const EPROTO = -71;
/** -ENOTSUPP (kernel-internal 524) */
export const ENOTSUPP = -524;

/** errno numbers to names. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  7: "E2BIG",
  9: "EBADF",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  22: "EINVAL",
  28: "ENOSPC",
  71: "EPROTO",
  524: "ENOTSUPP",
  1095: "EOPNOTSUPP",
};

/** bpfscope's errno for constructs the profile does not model (EOPNOTSUPP; the note says what). */
export const ENOTMODELLED = -95;
/**
 * The kernel's own -EOPNOTSUPP (e.g. an unsupported `arg:` decl tag): a
 * number of its own so that it is not taken for {@link ENOTMODELLED}; both
 * are named EOPNOTSUPP.
 */
export const EOPNOTSUPP = -1095;

/** `BTF_FUNC_GLOBAL`: the func_info linkage of a global function. */
export const BTF_FUNC_GLOBAL = 1;

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1000000;
/** `BPF_COMPLEXITY_LIMIT_JMP_SEQ`. */
export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
/** `BPF_MAX_SUBPROGS`. */
export const BPF_MAX_SUBPROGS = 256;

/** A map the 6.18 profile knows about. */
export interface Map618 {
  /** Map type number. */
  type: number;
  /** key_size. */
  keySize: number;
  /** value_size. */
  valueSize: number;
  /** max_entries. */
  maxEntries: number;
  /** map_flags. */
  flags: number;
  /** Name as the kernel stores it (at most 15 characters; "" prints nothing). */
  name: string;
  /**
   * The value of a frozen read-only one-element array (libbpf's `.rodata*`
   * maps: BPF_F_RDONLY_PROG, filled, then frozen before the load), which
   * `bpf_map_direct_read` reads loads from; absent for any other map.
   */
  frozenValue?: Uint8Array;
}

/** `struct bpf_subprog_info` (the fields this profile uses). */
export interface SubprogInfo {
  /** First insn. */
  start: number;
  /** Largest stack size seen (`stack_depth`). */
  stackDepth: number;
  /** Start of this subprog's range in `insn_postorder`. */
  postorderStart: number;
  /** Whether it contains a tail call. */
  hasTailCall: boolean;
  /** Whether it contains LD_ABS/LD_IND. */
  hasLdAbs: boolean;
  /** `changes_pkt_data`. */
  changesPktData: boolean;
  /** `might_sleep`. */
  mightSleep: boolean;
  /** `is_cb`: used as a callback. */
  isCb: boolean;
  /** `is_async_cb`. */
  isAsyncCb: boolean;
  /** `func_info_aux[i].linkage`: 0 static, 1 global (0 without BTF func info). */
  linkage: number;
  /** `func_info_aux[i].unreliable`: a call's arguments did not match the BTF prototype. */
  unreliable: boolean;
  /** `func_info_aux[i].called`: a global function some walked path calls. */
  called: boolean;
  /** `func_info_aux[i].verified`: a global function walked on its own. */
  verified: boolean;
  /** `args_cached`: `args`/`argCnt` come from the BTF prototype. */
  argsCached: boolean;
  /** `arg_cnt`. */
  argCnt: number;
  /** `args[]`: per argument its `arg_type` and `mem_size`. */
  args: SubprogArg[];
}

/** `struct bpf_subprog_arg_info` (the fields this profile uses). */
export interface SubprogArg {
  /** `arg_type` (`ARG_ANYTHING`, `ARG_PTR_TO_CTX`, `ARG_PTR_TO_MEM` with `PTR_MAYBE_NULL`). */
  argType: number;
  /** `mem_size` of an `ARG_PTR_TO_MEM`. */
  memSize: number;
}

/** A pending branch (`struct bpf_verifier_stack_elem`). */
export interface StackElem {
  /** The state to resume. */
  st: VerifierState;
  /** Insn to resume at. */
  insnIdx: number;
  /** The insn before it (the branch). */
  prevInsnIdx: number;
  /** Log position when pushed. */
  logPos: number;
  /** Next (older) entry. */
  next: StackElem | null;
  /** explain: length of the path when pushed. */
  pathLen: number;
}

/** `struct bpf_verifier_state_list`. */
export interface StateList {
  /** The explored state. */
  state: VerifierState;
  /** Times it failed to match. */
  missCnt: number;
  /** Times it matched. */
  hitCnt: number;
  /** On the free list (evicted, kept while children refer to it). */
  inFreeList: boolean;
  /** Bucket list links. */
  prev: StateList | null;
  /** Bucket list links. */
  next: StateList | null;
  /** The bucket it is in (-1: free list). */
  bucket: number;
  /** Serial number (order of creation), for observers. */
  serial: number;
}

/** `struct backtrack_state`. */
export interface BacktrackState {
  /** Current frame. */
  frame: number;
  /** Per frame: registers needing precision. */
  regMasks: number[];
  /** Per frame: stack slots needing precision (bit spi). */
  stackMasks: bigint[];
}

/** The environment of one verification. */
export interface Env {
  // ---- program ----
  /** Number of insn slots. */
  len: number;
  /** Opcodes. */
  code: Uint8Array;
  /** dst_reg fields. */
  dst: Uint8Array;
  /** src_reg fields. */
  src: Uint8Array;
  /** off fields. */
  off: Int16Array;
  /** imm fields (map fds replaced by fake addresses' low halves). */
  imm: Int32Array;
  /** Program type. */
  progType: ProgTypeInfo;
  /** GPL-compatible license. */
  gpl: boolean;
  /** Used maps (`env->used_maps`). */
  maps: Map618[];
  /** Per LD_IMM64 insn: index into `maps` (-1 none). */
  mapIndex: Int32Array;
  /** Per LD_IMM64 insn: the map value offset of BPF_PSEUDO_MAP_VALUE. */
  mapOff: Int32Array;
  /** Address printed for the map of each `maps` entry. */
  mapAddr: bigint[];
  // ---- insn aux data ----
  /** `prune_point`. */
  prunePoint: Uint8Array;
  /** `jmp_point`. */
  jmpPoint: Uint8Array;
  /** `force_checkpoint`. */
  forceCheckpoint: Uint8Array;
  /** `calls_callback`. */
  callsCallback: Uint8Array;
  /** `live_regs_before`. */
  liveRegsBefore: Uint16Array;
  /** `scc` (0: not in a loop). */
  scc: Int32Array;
  /** `ptr_type` saved by save_aux_ptr_type (-1: none yet). */
  ptrType: Int32Array;
  /** `seen`. */
  seen: Uint8Array;
  /** Times each insn was processed (for observers). */
  counts: Int32Array;
  // ---- subprograms and CFG ----
  /** Subprograms; `subprogs[subprogCnt]` is the fake one starting at `len`. */
  subprogs: SubprogInfo[];
  /** `subprog_cnt`. */
  subprogCnt: number;
  /** `insn_postorder`. */
  postorder: Int32Array;
  /** `cur_postorder`. */
  curPostorder: number;
  // ---- the walk ----
  /** `cur_state`. */
  cur: VerifierState;
  /** `head` of the pending stack. */
  head: StackElem | null;
  /** `stack_size`. */
  stackSize: number;
  /** Popped pending states kept for the next push (`free_verifier_state` without the allocator). */
  statePool: VerifierState[];
  /** explain: length of the branch path of the current walk (pushed with each branch). */
  pathLen: number;
  /** `insn_idx`. */
  insnIdx: number;
  /** `prev_insn_idx`. */
  prevInsnIdx: number;
  /** `insn_processed`. */
  insnProcessed: number;
  /** Budget (BPF_COMPLEXITY_LIMIT_INSNS unless overridden). */
  insnLimit: number;
  /** `jmps_processed`. */
  jmpsProcessed: number;
  /** `prev_jmps_processed`. */
  prevJmpsProcessed: number;
  /** `prev_insn_processed`. */
  prevInsnProcessed: number;
  /** `total_states`. */
  totalStates: number;
  /** `peak_states`. */
  peakStates: number;
  /** `max_states_per_insn`. */
  maxStatesPerInsn: number;
  /** `explored_states_size`. */
  exploredStatesSize: number;
  /** `free_list_size`. */
  freeListSize: number;
  /** `num_backedges`. */
  numBackedges: number;
  /** `explored_states[]` heads (one bucket per insn). */
  explored: (StateList | null)[];
  /** `id_gen`. */
  idGen: number;
  /** `cur_hist_ent`. */
  curHistEnt: number;
  /** `bt`. */
  bt: BacktrackState;
  /** `fake_reg[2]`. */
  fakeReg: [RegState, RegState];
  /** State pruning on (bpfscope's `--no-prune` turns is_state_visited off). */
  prune: boolean;
  /** Stack liveness (liveness.c). */
  liveness: StackLiveness;
  /** SCC visit bookkeeping (loops). */
  sccVisits: Map<string, SccVisit>;
  /** Number of SCCs (`scc_cnt`). */
  sccCnt: number;
  // ---- log ----
  /** The log. */
  log: VerifierLog618;
  /** `scratched_regs`. */
  scratchedRegs: number;
  /** `scratched_stack_slots`. */
  scratchedStack: bigint;
  /** `prev_log_pos`. */
  prevLogPos: number;
  /** `prev_insn_print_pos`. */
  prevInsnPrintPos: number;
  /** `prog->aux->linfo` (empty until `check_btf_line` accepts the records, and without line info). */
  linfo: ReadonlyArray<LineInfo>;
  /** `env->prev_linfo`: index into `linfo` of the last source line printed (-1: none). */
  prevLinfo: number;
  /** Serial numbers of stored states. */
  stateSerial: number;
  // ---- BTF ----
  /** `prog->aux->func_info` (empty without BTF func info). */
  funcInfo: ReadonlyArray<FuncInfo>;
  /** The object's BTF types by id (empty without BTF). */
  btfTypes: ReadonlyArray<BtfTypeInfo | undefined>;
}

/** `struct bpf_scc_visit`. */
export interface SccVisit {
  /** The state that entered the SCC (null: empty). */
  entryState: VerifierState | null;
  /** Backedge states collected (newest first). */
  backedges: VerifierState[];
  /** `num_backedges`. */
  numBackedges: number;
}

/** `verbose(env, ...)`. */
export function verbose(env: Env, s: string): void {
  env.log.verbose(s);
}

/** `mark_reg_scratched`. */
export function markRegScratched(env: Env, regno: number): void {
  env.scratchedRegs |= 1 << regno;
}

/** `mark_stack_slot_scratched`. */
export function markStackSlotScratched(env: Env, spi: number): void {
  env.scratchedStack |= 1n << BigInt(spi);
}

/** `mark_verifier_state_scratched`: print everything next time. */
export function markVerifierStateScratched(env: Env): void {
  env.scratchedRegs = 0xffffffff | 0;
  env.scratchedStack = (1n << 64n) - 1n;
}

/** `mark_verifier_state_clean`. */
export function markVerifierStateClean(env: Env): void {
  env.scratchedRegs = 0;
  env.scratchedStack = 0n;
}

/** `verifier_state_scratched`. */
export function verifierStateScratched(env: Env): boolean {
  return env.scratchedRegs !== 0 || env.scratchedStack !== 0n;
}

/** The current frame's registers (`cur_regs(env)`). */
export function curRegs(env: Env): RegState[] {
  return env.cur.frame[env.cur.curframe]!.regs;
}

/** `bpf_find_containing_subprog(env, off)`: index of the subprog holding insn `off`. */
export function findContainingSubprog(env: Env, off: number): number {
  if (off >= env.len || off < 0 || env.subprogCnt === 0) return -1;
  let l = 0, r = env.subprogCnt - 1;
  while (l < r) {
    const m = l + ((r - l + 1) >> 1);
    if (env.subprogs[m].start <= off) l = m;
    else r = m - 1;
  }
  return l;
}

/** `find_subprog(env, off)`: the subprog starting at `off`, or ENOENT. */
export function findSubprog(env: Env, off: number): number {
  const p = findContainingSubprog(env, off);
  if (p < 0 || env.subprogs[p].start !== off) return ENOENT;
  return p;
}

/** `bpf_is_ldimm64(insn)`. */
export function isLdimm64(env: Env, i: number): boolean {
  return env.code[i] === 0x18;
}

/** `bpf_pseudo_call(insn)`. */
export function isPseudoCall(env: Env, i: number): boolean {
  return env.code[i] === 0x85 && env.src[i] === 1;
}

/** `bpf_helper_call(insn)`. */
export function isHelperCall(env: Env, i: number): boolean {
  return env.code[i] === 0x85 && env.src[i] === 0;
}
