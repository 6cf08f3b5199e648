/**
 * Explored states and pruning of Linux 6.18: the pending stack
 * (`push_stack`/`pop_stack`), branch counts (`update_branch_counts`), the
 * explored-state lists with miss/hit eviction and the free list,
 * `clean_live_states`, state equivalence (`regsafe`, `stacksafe`,
 * `refsafe`, `func_states_equal`, `states_equal` with NOT_EXACT, EXACT and
 * RANGE_WITHIN), loop detection (`states_maybe_looping`, `infinite loop
 * detected`), the SCC visits of loops (`maybe_enter_scc`,
 * `maybe_exit_scc`, backedges and `propagate_backedges`) and
 * `is_state_visited`.
 *
 * @module
 */
import {
  BPF_COMPLEXITY_LIMIT_JMP_SEQ,
  ENOENT,
  type Env,
  type SccVisit,
  type StackElem,
  type StateList,
  verbose,
} from "./env.ts";
import { BPF_LOG_LEVEL2 } from "./log.ts";
import {
  type Changed,
  markAllScalarsImprecise,
  markAllScalarsPrecise,
  propagatePrecision,
  pushJmpHistory,
} from "./precision.ts";
import { verifierStateText } from "./print.ts";
import {
  baseType,
  BPF_ADD_CONST,
  markRegNotInit,
  markRegUnknown,
  NOT_INIT,
  PTR_TO_ARENA,
  PTR_TO_BUF,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_PACKET,
  PTR_TO_PACKET_META,
  PTR_TO_STACK,
  PTR_TO_TP_BUFFER,
  regsEqualUpToFrameno,
  regsEqualUpToId,
  regsEqualUpToVarOff,
  RegState,
  SCALAR_VALUE,
} from "./reg.ts";
import { liveStackQueryInit, stackSlotAlive } from "./stack_liveness.ts";
import {
  BPF_REG_FP,
  BPF_REG_SIZE,
  cloneVerifierState,
  copyVerifierState,
  type FuncState,
  JMP_HIST_STRIDE,
  MAX_BPF_REG,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
  VerifierState,
} from "./state.ts";
import { tnumIn } from "./tnum.ts";
import { W64 } from "./width.ts";
import { verboseLinfo } from "./linfo.ts";

/** `enum exact_level`. */
export const NOT_EXACT = 0;
/** Registers must be identical. */
export const EXACT = 1;
/** Scalar ranges must contain, precision aside (loops). */
export const RANGE_WITHIN = 2;

// ---------------------------------------------------------------- the pending stack

/** `push_stack(env, insn_idx, prev_insn_idx, speculative)`; null after "too complex" (E2BIG on the running 6.18.y kernel, EFAULT on 6.18.0). */
export function pushStack(env: Env, insnIdx: number, prevInsnIdx: number, pathLen: number): VerifierState | null {
  const st = env.statePool.pop() ?? new VerifierState();
  const elem: StackElem = { st, insnIdx, prevInsnIdx, logPos: env.log.endPos, next: env.head, pathLen };
  env.head = elem;
  env.stackSize++;
  copyVerifierState(st, env.cur);
  if (env.stackSize > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
    verbose(env, `The sequence of ${env.stackSize} jumps is too complex.\n`);
    return null;
  }
  if (st.parent) st.parent.branches++;
  return st;
}

/** `pop_stack(env, ...)`: the next pending branch into `env.cur`, or null (ENOENT). */
export function popStack(env: Env, popLog: boolean): StackElem | null {
  const head = env.head;
  if (!head) return null;
  copyVerifierState(env.cur, head.st);
  if (popLog) env.log.reset(head.logPos);
  env.head = head.next;
  env.stackSize--;
  // nothing else refers to a popped state (the kernel frees it): reuse it for the next push
  if (env.statePool.length < 64) env.statePool.push(head.st);
  return head;
}

// ---------------------------------------------------------------- explored lists

function bucketOf(env: Env, idx: number, st: VerifierState): number {
  const callsite = st.frame[st.curframe]!.callsite;
  return ((idx ^ callsite) >>> 0) % env.len;
}

function listDel(env: Env, sl: StateList): void {
  if (sl.prev) sl.prev.next = sl.next;
  else if (sl.bucket >= 0) env.explored[sl.bucket] = sl.next;
  if (sl.next) sl.next.prev = sl.prev;
  sl.prev = sl.next = null;
}

function listAddHead(env: Env, bucket: number, sl: StateList): void {
  sl.bucket = bucket;
  sl.prev = null;
  sl.next = env.explored[bucket];
  if (sl.next) sl.next.prev = sl;
  env.explored[bucket] = sl;
}

/** `update_peak_states(env)`. */
export function updatePeakStates(env: Env): void {
  const cur = env.exploredStatesSize + env.freeListSize + env.numBackedges;
  if (cur > env.peakStates) env.peakStates = cur;
}

/** `maybe_free_verifier_state(env, sl)`. */
function maybeFreeVerifierState(env: Env, sl: StateList): void {
  if (!sl.inFreeList || sl.state.branches !== 0 || incompleteReadMarks(env, sl.state)) return;
  sl.inFreeList = false;
  env.freeListSize--;
}

/** `update_branch_counts(env, st)`. */
export function updateBranchCounts(env: Env, st: VerifierState | null): number {
  let sl: StateList | null = null;
  while (st) {
    const br = --st.branches;
    if (br) break;
    const err = maybeExitScc(env, st);
    if (err) return err;
    const parent: VerifierState | null = st.parent;
    const parentSl = parent ? parent.stateList : null;
    if (sl) maybeFreeVerifierState(env, sl);
    st = parent;
    sl = parentSl;
  }
  return 0;
}

// ---------------------------------------------------------------- SCC visits

function frameInsnIdx(st: VerifierState, frame: number): number {
  return frame === st.curframe ? st.insnIdx : st.frame[frame + 1]!.callsite;
}

/** `compute_scc_callchain`: the key of the SCC visit `st` is in, or null. */
function sccCallchain(env: Env, st: VerifierState): string | null {
  const callsites: number[] = [];
  for (let i = 0; i <= st.curframe; i++) {
    const idx = frameInsnIdx(st, i);
    const scc = env.scc[idx];
    if (scc) return callsites.join(",") + "|" + scc;
    if (i < st.curframe) callsites.push(idx);
    else return null;
  }
  return null;
}

function fmtSccCallchain(key: string): string {
  const [cs, scc] = key.split("|");
  return "(" + (cs ? cs + "," : "") + scc + ")";
}

/** `maybe_enter_scc(env, st)`. */
function maybeEnterScc(env: Env, st: VerifierState): void {
  const key = sccCallchain(env, st);
  if (key === null) return;
  let visit = env.sccVisits.get(key);
  if (!visit) {
    visit = { entryState: null, backedges: [], numBackedges: 0 };
    env.sccVisits.set(key, visit);
  }
  if (!visit.entryState) {
    visit.entryState = st;
    if (env.log.level & BPF_LOG_LEVEL2) verbose(env, `SCC enter ${fmtSccCallchain(key)}\n`);
  }
}

/** `maybe_exit_scc(env, st)`. */
function maybeExitScc(env: Env, st: VerifierState): number {
  const key = sccCallchain(env, st);
  if (key === null) return 0;
  const visit = env.sccVisits.get(key);
  if (!visit) {
    if (!st.speculative) {
      verbose(env, `verifier bug: scc exit: no visit info for call chain ${fmtSccCallchain(key)}\n`);
      return -14;
    }
    return 0;
  }
  if (visit.entryState !== st) return 0;
  if (env.log.level & BPF_LOG_LEVEL2) verbose(env, `SCC exit ${fmtSccCallchain(key)}\n`);
  visit.entryState = null;
  env.numBackedges -= visit.numBackedges;
  visit.numBackedges = 0;
  updatePeakStates(env);
  return propagateBackedges(env, visit);
}

/** `add_scc_backedge(env, st, backedge)`. */
function addSccBackedge(env: Env, st: VerifierState, backedge: VerifierState): number {
  const key = sccCallchain(env, st);
  if (key === null) {
    verbose(env, `verifier bug: add backedge: no SCC in verification path, insn_idx ${st.insnIdx}\n`);
    return -14;
  }
  const visit = env.sccVisits.get(key);
  if (!visit) {
    verbose(env, `verifier bug: add backedge: no visit info for call chain ${fmtSccCallchain(key)}\n`);
    return -14;
  }
  if (env.log.level & BPF_LOG_LEVEL2) verbose(env, `SCC backedge ${fmtSccCallchain(key)}\n`);
  visit.backedges.unshift(backedge);
  visit.numBackedges++;
  env.numBackedges++;
  updatePeakStates(env);
  return 0;
}

/** `incomplete_read_marks(env, st)`. */
export function incompleteReadMarks(env: Env, st: VerifierState): boolean {
  const key = sccCallchain(env, st);
  if (key === null) return false;
  const visit = env.sccVisits.get(key);
  if (!visit) return false;
  return visit.backedges.length > 0;
}

const MAX_BACKEDGE_ITERS = 64;

/** `propagate_backedges(env, visit)`. */
function propagateBackedges(env: Env, visit: SccVisit): number {
  let i = 0, changed: Changed;
  do {
    if (i++ > MAX_BACKEDGE_ITERS) {
      if (env.log.level & BPF_LOG_LEVEL2) verbose(env, "propagate_backedges: too many iterations\n");
      for (const b of visit.backedges) markAllScalarsPrecise(env, b);
      break;
    }
    changed = { changed: false };
    for (const b of visit.backedges) {
      const err = propagatePrecision(env, b.equalState!, b, changed);
      if (err) return err;
    }
  } while (changed.changed);
  visit.backedges = [];
  return 0;
}

// ---------------------------------------------------------------- cleaning

/** `clean_func_state(env, st, ip)`. */
function cleanFuncState(env: Env, st: FuncState, ip: number): void {
  const live = env.liveRegsBefore[ip];
  for (let i = 0; i < BPF_REG_FP; i++) if (!(live & (1 << i))) markRegNotInit(st.regs[i]);
  for (let i = 0; i < st.allocatedStack / BPF_REG_SIZE; i++) {
    if (!stackSlotAlive(env, st.frameno, i)) {
      markRegNotInit(st.stack[i].spilled);
      st.stack[i].slotType.fill(STACK_INVALID);
    }
  }
}

/** `clean_verifier_state(env, st)`. */
function cleanVerifierState(env: Env, st: VerifierState): void {
  liveStackQueryInit(env, st);
  st.cleaned = true;
  for (let i = 0; i <= st.curframe; i++) cleanFuncState(env, st.frame[i]!, frameInsnIdx(st, i));
}

function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.curframe !== b.curframe) return false;
  for (let fr = a.curframe; fr >= 0; fr--) if (a.frame[fr]!.callsite !== b.frame[fr]!.callsite) return false;
  return true;
}

/** `clean_live_states(env, insn, cur)`. */
function cleanLiveStates(env: Env, insn: number, cur: VerifierState): void {
  for (let sl = env.explored[bucketOf(env, insn, cur)]; sl; sl = sl.next) {
    if (sl.state.branches) continue;
    if (sl.state.insnIdx !== insn || !sameCallsites(sl.state, cur)) continue;
    if (sl.state.cleaned) continue;
    if (incompleteReadMarks(env, sl.state)) continue;
    cleanVerifierState(env, sl.state);
  }
}

// ---------------------------------------------------------------- equivalence

/** `struct bpf_idmap`. */
interface IdMap {
  old: number[];
  cur: number[];
  tmpIdGen: number;
}

const idmap: IdMap = { old: [], cur: [], tmpIdGen: 0 };

/** `check_ids(old_id, cur_id, idmap)`. */
function checkIds(oldId: number, curId: number): boolean {
  if ((oldId !== 0) !== (curId !== 0)) return false;
  if (oldId === 0) return true;
  const n = idmap.old.length;
  for (let i = 0; i < n; i++) {
    if (idmap.old[i] === oldId) return idmap.cur[i] === curId;
    if (idmap.cur[i] === curId) return false;
  }
  idmap.old.push(oldId);
  idmap.cur.push(curId);
  return true;
}

/**
 * `check_scalar_ids(old_id, cur_id, idmap)` with the 6.18.y backports
 * "Relax scalar id equivalence for state pruning" (an old id of 0 accepts
 * any current id) and "Enforce regsafe base id consistency for
 * BPF_ADD_CONST scalars" (the base ids must map too). The running kernel
 * does not clear singular ids before caching a state (measured).
 */
function checkScalarIds(oldId: number, curId: number): boolean {
  if (!oldId) return true;
  curId = curId ? curId : ++idmap.tmpIdGen;
  if (!checkIds(oldId, curId)) return false;
  if (oldId & BPF_ADD_CONST) {
    if (!checkIds((oldId & ~BPF_ADD_CONST) >>> 0, (curId & ~BPF_ADD_CONST) >>> 0)) return false;
  }
  return true;
}

function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

/** `regs_exact(rold, rcur, idmap)`. */
function regsExact(o: RegState, c: RegState): boolean {
  return regsEqualUpToId(o, c) && checkIds(o.id, c.id) && checkIds(o.refObjId, c.refObjId);
}

/** `regsafe(env, rold, rcur, idmap, exact)`: whether rold being safe implies rcur is. */
function regsafe(o: RegState, c: RegState, exact: number): boolean {
  if (exact === EXACT) return regsExact(o, c);
  if (o.type === NOT_INIT) {
    if (exact === NOT_EXACT || c.type === NOT_INIT) return true;
  }
  if (o.type !== c.type) return false;
  switch (baseType(o.type)) {
    case SCALAR_VALUE:
      if (!o.precise && exact === NOT_EXACT) return true;
      // 6.18.y: the ADD_CONST flags must match when the old register is linked.
      if (o.id && (o.id & BPF_ADD_CONST) !== (c.id & BPF_ADD_CONST)) return false;
      if ((o.id & BPF_ADD_CONST) && o.off !== c.off) return false;
      if (!checkScalarIds(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case PTR_TO_MAP_KEY:
    case PTR_TO_MAP_VALUE:
    case PTR_TO_MEM:
    case PTR_TO_BUF:
    case PTR_TO_TP_BUFFER:
      return regsEqualUpToVarOff(o, c) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) &&
        checkIds(o.id, c.id) && checkIds(o.refObjId, c.refObjId);
    case PTR_TO_PACKET_META:
    case PTR_TO_PACKET:
      // 6.18.y backport: the negative AT/BEYOND_PKT_END ranges match only themselves
      if (o.range < 0 || c.range < 0) {
        if (o.range !== c.range) return false;
      } else if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!checkIds(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case PTR_TO_STACK:
      return regsExact(o, c) && o.frameno === c.frameno;
    case PTR_TO_ARENA:
      return true;
    default:
      return regsExact(o, c);
  }
}

/** `unbound_reg`: an unknown imprecise scalar. */
const unboundReg = (() => {
  const r = new RegState();
  markRegNotInit(r);
  r.type = SCALAR_VALUE;
  return r;
})();

function isStackAllMisc(slotType: ArrayLike<number>): boolean {
  for (let i = 0; i < BPF_REG_SIZE; i++) {
    if (slotType[i] === STACK_MISC || slotType[i] === STACK_INVALID) continue; // allow_uninit_stack
    return false;
  }
  return true;
}

function scalarRegForStack(f: FuncState, spi: number): RegState | null {
  const s = f.stack[spi];
  if (s.slotType[0] === STACK_SPILL && s.spilled.type === SCALAR_VALUE) return s.spilled;
  if (isStackAllMisc(s.slotType)) return unboundReg;
  return null;
}

/** `stacksafe(env, old, cur, idmap, exact)`. */
function stacksafe(old: FuncState, cur: FuncState, exact: number): boolean {
  for (let i = 0; i < old.allocatedStack; i++) {
    const spi = (i / BPF_REG_SIZE) | 0, b = i % BPF_REG_SIZE;
    const ot = old.stack[spi].slotType[b];
    if (exact !== NOT_EXACT && (i >= cur.allocatedStack || ot !== cur.stack[spi].slotType[b])) return false;
    if (ot === STACK_INVALID) continue;
    if (ot === STACK_MISC) continue; // allow_uninit_stack
    if (i >= cur.allocatedStack) return false;
    const oldReg = scalarRegForStack(old, spi), curReg = scalarRegForStack(cur, spi);
    if (oldReg && curReg) {
      if (!regsafe(oldReg, curReg, exact)) return false;
      i += BPF_REG_SIZE - 1;
      continue;
    }
    const ct = cur.stack[spi].slotType[b];
    if (ot === STACK_MISC && ct === STACK_ZERO) continue;
    if (ot !== ct) return false;
    if (b !== BPF_REG_SIZE - 1) continue;
    switch (old.stack[spi].slotType[BPF_REG_SIZE - 1]) {
      case STACK_SPILL:
        if (!regsafe(old.stack[spi].spilled, cur.stack[spi].spilled, exact)) return false;
        break;
      case STACK_MISC:
      case STACK_ZERO:
      case STACK_INVALID:
        continue;
      default:
        return false;
    }
  }
  return true;
}

/** `refsafe(old, cur, idmap)`. */
function refsafe(old: VerifierState, cur: VerifierState): boolean {
  if (old.refs.length !== cur.refs.length) return false;
  if (old.activeLocks !== cur.activeLocks) return false;
  if (old.activePreemptLocks !== cur.activePreemptLocks) return false;
  if (old.activeRcuLock !== cur.activeRcuLock) return false;
  if (!checkIds(old.activeIrqId, cur.activeIrqId)) return false;
  if (!checkIds(old.activeLockId, cur.activeLockId) || old.activeLockPtr !== cur.activeLockPtr) return false;
  for (let i = 0; i < old.refs.length; i++) {
    if (!checkIds(old.refs[i].id, cur.refs[i].id) || old.refs[i].type !== cur.refs[i].type) return false;
    if (old.refs[i].type !== 1 && old.refs[i].type !== 2 && old.refs[i].ptr !== cur.refs[i].ptr) return false;
  }
  return true;
}

/** `func_states_equal(env, old, cur, insn_idx, exact)`. */
function funcStatesEqual(env: Env, old: FuncState, cur: FuncState, insnIdx: number, exact: number): boolean {
  const live = env.liveRegsBefore[insnIdx];
  if (old.callbackDepth > cur.callbackDepth) return false;
  for (let i = 0; i < MAX_BPF_REG; i++) {
    if ((live & (1 << i)) && !regsafe(old.regs[i], cur.regs[i], exact)) return false;
  }
  return stacksafe(old, cur, exact);
}

/** `reset_idmap_scratch(env)`. */
function resetIdmapScratch(env: Env): void {
  idmap.tmpIdGen = env.idGen;
  idmap.old.length = 0;
  idmap.cur.length = 0;
}

/** `states_equal(env, old, cur, exact)`. */
export function statesEqual(env: Env, old: VerifierState, cur: VerifierState, exact: number): boolean {
  if (old.curframe !== cur.curframe) return false;
  resetIdmapScratch(env);
  if (old.speculative && !cur.speculative) return false;
  if (old.inSleepable !== cur.inSleepable) return false;
  if (!refsafe(old, cur)) return false;
  for (let i = 0; i <= old.curframe; i++) {
    const idx = frameInsnIdx(old, i);
    if (old.frame[i]!.callsite !== cur.frame[i]!.callsite) return false;
    if (!funcStatesEqual(env, old.frame[i]!, cur.frame[i]!, idx, exact)) return false;
  }
  return true;
}

/**
 * `find_prev_entry(env, cur, insn_idx)`: the nearest state of the current
 * DFS path (branches > 0) stopped at `insnIdx` with the same call sites and
 * a smaller DFS depth than `cur`: the previous iteration's loop entry.
 */
export function findPrevEntry(env: Env, cur: VerifierState, insnIdx: number): VerifierState | null {
  for (let sl = env.explored[bucketOf(env, insnIdx, env.cur)]; sl; sl = sl.next) {
    const st = sl.state;
    if (st.insnIdx === insnIdx && st.branches && sameCallsites(st, cur) && st.dfsDepth < cur.dfsDepth) return st;
  }
  return null;
}

/** `maybe_widen_reg(env, rold, rcur, idmap)`. */
function maybeWidenReg(o: RegState, c: RegState): void {
  if (o.type !== SCALAR_VALUE || o.type !== c.type) return;
  if (o.precise || c.precise || regsExact(o, c)) return;
  markRegUnknown(c);
}

/**
 * `widen_imprecise_scalars(env, old, cur)`: every imprecise scalar of `cur`
 * (registers and spilled slots) that differs from the one in `old` becomes
 * unknown, so that a loop's iterations converge.
 */
export function widenImpreciseScalars(env: Env, old: VerifierState, cur: VerifierState): void {
  resetIdmapScratch(env);
  for (let fr = old.curframe; fr >= 0; fr--) {
    const fo = old.frame[fr]!, fc = cur.frame[fr]!;
    for (let i = 0; i < MAX_BPF_REG; i++) maybeWidenReg(fo.regs[i], fc.regs[i]);
    const slots = Math.min(fo.allocatedStack, fc.allocatedStack) / BPF_REG_SIZE;
    for (let i = 0; i < slots; i++) {
      if (fo.stack[i].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      if (fc.stack[i].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      maybeWidenReg(fo.stack[i].spilled, fc.stack[i].spilled);
    }
  }
}

/** `states_maybe_looping(old, cur)`. */
function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  const fr = cur.curframe;
  if (old.curframe !== fr) return false;
  const fo = old.frame[fr]!, fc = cur.frame[fr]!;
  for (let i = 0; i < MAX_BPF_REG; i++) if (!regsEqualUpToFrameno(fo.regs[i], fc.regs[i])) return false;
  return true;
}

// ---------------------------------------------------------------- is_state_visited

/** Result of {@link isStateVisited}. */
export interface Visit {
  /** 1: pruned, 0: go on, < 0: error. */
  readonly ret: number;
  /** On a prune: the state matched. */
  readonly matched: VerifierState | null;
  /** Whether a new explored state was stored. */
  readonly stored: boolean;
}

/** The two common answers of {@link isStateVisited}, shared (no object per visit). */
const VISIT_NONE: Visit = Object.freeze({ ret: 0, matched: null, stored: false });
const VISIT_STORED: Visit = Object.freeze({ ret: 0, matched: null, stored: true });

/** `is_state_visited(env, insn_idx)`. */
export function isStateVisited(env: Env, insnIdx: number): Visit {
  const cur = env.cur;
  const forceNewState = env.forceCheckpoint[insnIdx] === 1 || cur.jmpHistory.length > 40 * JMP_HIST_STRIDE;
  let addNewState = forceNewState;
  if (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.insnProcessed - env.prevInsnProcessed >= 8) {
    addNewState = true;
  }
  cleanLiveStates(env, insnIdx, cur);
  let statesCnt = 0;
  const bucket = bucketOf(env, insnIdx, cur);
  let next: StateList | null;
  for (let sl = env.explored[bucket]; sl; sl = next) {
    next = sl.next;
    statesCnt++;
    if (sl.state.insnIdx !== insnIdx) continue;
    let hit = false, loop = false;
    if (sl.state.branches) {
      const frame = sl.state.frame[sl.state.curframe]!;
      let skipInf = false;
      if (frame.inAsyncCallbackFn && frame.asyncEntryCnt !== cur.frame[cur.curframe]!.asyncEntryCnt) skipInf = true;
      else if (env.code[insnIdx] === 0xe5 && env.src[insnIdx] === 0) {
        if (sl.state.mayGotoDepth !== cur.mayGotoDepth && statesEqual(env, sl.state, cur, RANGE_WITHIN)) {
          loop = true;
          hit = true;
        }
      }
      if (!hit && !skipInf && env.callsCallback[insnIdx]) {
        if (statesEqual(env, sl.state, cur, RANGE_WITHIN)) hit = true;
        else skipInf = true;
      }
      if (!hit && !skipInf) {
        if (
          statesMaybeLooping(sl.state, cur) && statesEqual(env, sl.state, cur, EXACT) &&
          sl.state.mayGotoDepth === cur.mayGotoDepth && sl.state.callbackUnrollDepth === cur.callbackUnrollDepth
        ) {
          verboseLinfo(env, insnIdx, "; ");
          verbose(env, `infinite loop detected at insn ${insnIdx}\n`);
          verbose(env, "cur state:");
          verbose(env, verifierStateText(cur, cur.curframe, true, { regs: 0, stack: 0n }, env.maps));
          verbose(env, "old state:");
          verbose(env, verifierStateText(sl.state, cur.curframe, true, { regs: 0, stack: 0n }, env.maps));
          return { ret: -22, matched: null, stored: false };
        }
      }
      if (!hit) {
        if (
          !forceNewState && env.jmpsProcessed - env.prevJmpsProcessed < 20 &&
          env.insnProcessed - env.prevInsnProcessed < 100
        ) {
          addNewState = false;
        }
        // miss
        if (addNewState) sl.missCnt++;
        evictMaybe(env, sl, insnIdx);
        continue;
      }
    } else {
      loop = incompleteReadMarks(env, sl.state);
      hit = statesEqual(env, sl.state, cur, loop ? RANGE_WITHIN : NOT_EXACT);
    }
    if (hit) {
      sl.hitCnt++;
      let err = 0;
      if (env.jmpPoint[env.insnIdx]) err = pushJmpHistory(env, cur, 0, 0n);
      if (!err) err = propagatePrecision(env, sl.state, cur, null);
      if (err) return { ret: err, matched: null, stored: false };
      if (loop) {
        const backedge = cloneVerifierState(cur);
        backedge.equalState = sl.state;
        backedge.insnIdx = insnIdx;
        err = addSccBackedge(env, sl.state, backedge);
        if (err) return { ret: err, matched: null, stored: false };
      }
      return { ret: 1, matched: sl.state, stored: false };
    }
    if (addNewState) sl.missCnt++;
    evictMaybe(env, sl, insnIdx);
  }
  if (env.maxStatesPerInsn < statesCnt) env.maxStatesPerInsn = statesCnt;
  if (!addNewState) return VISIT_NONE;

  env.totalStates++;
  env.exploredStatesSize++;
  updatePeakStates(env);
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.insnProcessed;
  markAllScalarsImprecise(cur);
  const nw = cloneVerifierState(cur);
  nw.insnIdx = insnIdx;
  const sl: StateList = {
    state: nw,
    missCnt: 0,
    hitCnt: 0,
    inFreeList: false,
    prev: null,
    next: null,
    bucket,
    serial: env.stateSerial++,
  };
  nw.stateList = sl;
  maybeEnterScc(env, nw);
  cur.parent = nw;
  cur.firstInsnIdx = insnIdx;
  cur.dfsDepth = nw.dfsDepth + 1;
  cur.jmpHistory.length = 0; // (the stored copy has its own array; this one keeps its room)
  listAddHead(env, bucket, sl);
  return VISIT_STORED;
}

function evictMaybe(env: Env, sl: StateList, insnIdx: number): void {
  const n = env.forceCheckpoint[insnIdx] && sl.state.branches > 0 ? 64 : 3;
  if (sl.missCnt > sl.hitCnt * n + n) {
    listDel(env, sl);
    sl.bucket = -1;
    sl.inFreeList = true;
    env.freeListSize++;
    env.exploredStatesSize--;
    maybeFreeVerifierState(env, sl);
  }
}

/** Explored states stored for insn `i` (head of its list first). */
export function exploredAt(env: Env, i: number): VerifierState[] {
  const out: VerifierState[] = [];
  for (let b = 0; b < env.explored.length; b++) {
    for (let sl = env.explored[b]; sl; sl = sl.next) if (sl.state.insnIdx === i) out.push(sl.state);
  }
  return out;
}

void ENOENT;
void W64;
