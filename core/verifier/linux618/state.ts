/**
 * The verifier states of Linux 6.18: `struct bpf_func_state` (registers and
 * stack of one frame), `struct bpf_verifier_state` (the frames of a call
 * chain, the parent link, the branch count and the jump history) and their
 * copies (`copy_verifier_state`).
 *
 * Stack slots follow the kernel: `stack[spi]` covers `fp-8*(spi+1) ..
 * fp-8*spi-1`, and `slotType[j]` is the byte at `fp - 8*spi - 1 - j`
 * (`slotType[7]` is the lowest address of the slot).
 *
 * @module
 */
import type { StateList } from "./env.ts";
import { copyReg, markRegKnownZero, markRegNotInit, PTR_TO_STACK, RegState } from "./reg.ts";

// ---- enum bpf_stack_slot_type ----
/** Nothing was stored in this byte. */
export const STACK_INVALID = 0;
/** A register spilled here. */
export const STACK_SPILL = 1;
/** Data written here. */
export const STACK_MISC = 2;
/** A constant zero written here. */
export const STACK_ZERO = 3;
/** A dynptr. */
export const STACK_DYNPTR = 4;
/** An open-coded iterator. */
export const STACK_ITER = 5;
/** Saved IRQ flags. */
export const STACK_IRQ_FLAG = 6;

/** `BPF_REG_SIZE`. */
export const BPF_REG_SIZE = 8;
/** `MAX_BPF_REG`. */
export const MAX_BPF_REG = 11;
/** `BPF_REG_FP`. */
export const BPF_REG_FP = 10;
/** `MAX_BPF_STACK`. */
export const MAX_BPF_STACK = 512;
/** `MAX_CALL_FRAMES`. */
export const MAX_CALL_FRAMES = 8;
/** `BPF_MAIN_FUNC`: the callsite of frame 0. */
export const BPF_MAIN_FUNC = -1;

/** `struct bpf_stack_state`: one 8-byte slot. */
export class StackSlot {
  /** `spilled_ptr`. */
  readonly spilled: RegState = new RegState();
  /** `slot_type[8]` (a plain array: a typed array per slot costs more to allocate than the walk uses it). */
  readonly slotType: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
}

/** `struct bpf_retval_range`. */
export interface RetvalRange {
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
}

/** The zero `bpf_retval_range` every frame starts with (shared: ranges are replaced, never changed). */
const RETVAL_ZERO: RetvalRange = Object.freeze({ min: 0, max: 0 });

/** `struct bpf_func_state`. */
export class FuncState {
  /** `regs[MAX_BPF_REG]`. */
  readonly regs: RegState[];
  /** Index of the call insn that called this function (`BPF_MAIN_FUNC` for frame 0). */
  callsite = BPF_MAIN_FUNC;
  /** Frame number (0: main). */
  frameno = 0;
  /** Subprogram number. */
  subprogno = 0;
  /** `async_entry_cnt`. */
  asyncEntryCnt = 0;
  /** `callback_ret_range`. */
  callbackRetRange: RetvalRange = RETVAL_ZERO;
  /** `in_callback_fn`. */
  inCallbackFn = false;
  /** `in_async_callback_fn`. */
  inAsyncCallbackFn = false;
  /** `in_exception_callback_fn`. */
  inExceptionCallbackFn = false;
  /** `callback_depth`. */
  callbackDepth = 0;
  /** `allocated_stack` in bytes (a multiple of 8). */
  allocatedStack = 0;
  /** `stack[allocated_stack / 8]`. */
  stack: StackSlot[] = [];

  constructor() {
    // MAX_BPF_REG registers, as a literal: a packed array of its final size
    const R = RegState;
    this.regs = [new R(), new R(), new R(), new R(), new R(), new R(), new R(), new R(), new R(), new R(), new R()];
  }
}

/** `copy_func_state(dst, src)`. */
export function copyFuncState(d: FuncState, s: FuncState): void {
  for (let i = 0; i < MAX_BPF_REG; i++) copyReg(d.regs[i], s.regs[i]);
  d.callsite = s.callsite;
  d.frameno = s.frameno;
  d.subprogno = s.subprogno;
  d.asyncEntryCnt = s.asyncEntryCnt;
  d.callbackRetRange = s.callbackRetRange;
  d.inCallbackFn = s.inCallbackFn;
  d.inAsyncCallbackFn = s.inAsyncCallbackFn;
  d.inExceptionCallbackFn = s.inExceptionCallbackFn;
  d.callbackDepth = s.callbackDepth;
  const n = s.stack.length;
  while (d.stack.length < n) d.stack.push(new StackSlot());
  d.stack.length = n;
  for (let k = 0; k < n; k++) {
    const ds = d.stack[k], ss = s.stack[k];
    copyReg(ds.spilled, ss.spilled);
    const dt = ds.slotType, st = ss.slotType;
    for (let j = 0; j < BPF_REG_SIZE; j++) dt[j] = st[j];
  }
  d.allocatedStack = s.allocatedStack;
}

/**
 * `grow_stack_state(env, state, size)`: make room for `size` bytes (rounded
 * up to 8); new slots are zeroed (a zeroed `bpf_reg_state` is NOT_INIT with
 * a known-zero var_off).
 */
export function growStackState(state: FuncState, size: number): boolean {
  size = Math.ceil(size / BPF_REG_SIZE) * BPF_REG_SIZE;
  const n = size / BPF_REG_SIZE;
  if (state.stack.length >= n) return false;
  while (state.stack.length < n) {
    const slot = new StackSlot();
    zeroReg(slot.spilled);
    state.stack.push(slot);
  }
  state.allocatedStack = size;
  return true;
}

/** A `bpf_reg_state` as kzalloc leaves it. */
export function zeroReg(r: RegState): void {
  markRegKnownZero(r);
  r.type = 0;
  r.frameno = 0;
  r.subregDef = 0;
  r.precise = false;
}

/** `init_reg_state(env, state)`: R10 = fp0 of this frame, the others NOT_INIT. */
export function initRegState(state: FuncState): void {
  for (let i = 0; i < MAX_BPF_REG; i++) {
    markRegNotInit(state.regs[i]);
    state.regs[i].subregDef = 0;
  }
  const fp = state.regs[BPF_REG_FP];
  fp.type = PTR_TO_STACK;
  markRegKnownZero(fp);
  fp.frameno = state.frameno;
}

/** `init_func_state(env, state, callsite, frameno, subprogno)`. */
export function initFuncState(state: FuncState, callsite: number, frameno: number, subprogno: number): void {
  state.callsite = callsite;
  state.frameno = frameno;
  state.subprogno = subprogno;
  state.callbackRetRange = RETVAL_ZERO;
  initRegState(state);
}

/**
 * Numbers per entry of {@link VerifierState.jmpHistory} (`struct
 * bpf_jmp_history_entry`): idx, prev_idx, flags, and the packed linked
 * registers as their low and high 32 bits.
 */
export const JMP_HIST_STRIDE = 5;

/** `struct bpf_reference_state`. */
export interface ReferenceState {
  /** `REF_TYPE_*`. */
  readonly type: number;
  /** Reference id. */
  readonly id: number;
  /** The insn that acquired it. */
  readonly insnIdx: number;
  /** Lock object (for lock types). */
  readonly ptr: number;
}

/** `struct bpf_verifier_state`. */
export class VerifierState {
  /** `frame[MAX_CALL_FRAMES]`. */
  readonly frame: (FuncState | null)[] = new Array(MAX_CALL_FRAMES).fill(null);
  /** The checkpoint this state descends from. */
  parent: VerifierState | null = null;
  /** Paths from this state still being explored. */
  branches = 0;
  /** The insn this state is at. */
  insnIdx = 0;
  /** Index of the current frame. */
  curframe = 0;
  /** `refs` (acquired references and locks). */
  refs: ReferenceState[] = [];
  /** `active_locks`. */
  activeLocks = 0;
  /** `active_preempt_locks`. */
  activePreemptLocks = 0;
  /** `active_rcu_lock`. */
  activeRcuLock = false;
  /** `active_irq_id`. */
  activeIrqId = 0;
  /** `active_lock_id`. */
  activeLockId = 0;
  /** `active_lock_ptr`. */
  activeLockPtr = 0;
  /** `speculative`. */
  speculative = false;
  /** `in_sleepable`. */
  inSleepable = false;
  /** `cleaned`: clean_verifier_state ran on it. */
  cleaned = false;
  /** First insn of the straight line this state covers. */
  firstInsnIdx = 0;
  /** Last insn before this state was checkpointed or pushed. */
  lastInsnIdx = 0;
  /** `jmp_history`, flat: {@link JMP_HIST_STRIDE} numbers an entry (no object per entry). */
  jmpHistory: number[] = [];
  /** `dfs_depth`. */
  dfsDepth = 0;
  /** `callback_unroll_depth`. */
  callbackUnrollDepth = 0;
  /** `may_goto_depth`. */
  mayGotoDepth = 0;
  /** For a backedge state: the explored state it was found equal to. */
  equalState: VerifierState | null = null;
  /** An explored state's node in the explored lists (null for other states); never copied. */
  stateList: StateList | null = null;

  /** The current frame. */
  get cur(): FuncState {
    return this.frame[this.curframe]!;
  }
}

/** `copy_verifier_state(dst, src)`. */
export function copyVerifierState(d: VerifierState, s: VerifierState): void {
  d.jmpHistory = s.jmpHistory.slice();
  for (let i = s.curframe + 1; i <= d.curframe; i++) d.frame[i] = null;
  d.refs = s.refs.slice(); // entries are never changed, only added and removed
  d.activeLocks = s.activeLocks;
  d.activePreemptLocks = s.activePreemptLocks;
  d.activeRcuLock = s.activeRcuLock;
  d.activeIrqId = s.activeIrqId;
  d.activeLockId = s.activeLockId;
  d.activeLockPtr = s.activeLockPtr;
  d.speculative = s.speculative;
  d.inSleepable = s.inSleepable;
  d.cleaned = s.cleaned;
  d.curframe = s.curframe;
  d.branches = s.branches;
  d.parent = s.parent;
  d.firstInsnIdx = s.firstInsnIdx;
  d.lastInsnIdx = s.lastInsnIdx;
  d.dfsDepth = s.dfsDepth;
  d.callbackUnrollDepth = s.callbackUnrollDepth;
  d.mayGotoDepth = s.mayGotoDepth;
  d.equalState = s.equalState;
  for (let i = 0; i <= s.curframe; i++) {
    let f = d.frame[i];
    if (!f) d.frame[i] = f = new FuncState();
    copyFuncState(f, s.frame[i]!);
  }
}

/** A fresh copy of `s`. */
export function cloneVerifierState(s: VerifierState): VerifierState {
  const d = new VerifierState();
  copyVerifierState(d, s);
  d.insnIdx = s.insnIdx;
  return d;
}
