/**
 * Stack slot liveness of Linux 6.18 (`kernel/bpf/liveness.c`): per call
 * chain and instruction, the slots that may be read (`may_read`) and the
 * ones that are certainly written (`must_write`), propagated backwards to a
 * fixed point (`live_before`). `clean_func_state` forgets the slots that
 * are not live before a checkpoint's instruction, so they do not keep
 * states apart.
 *
 * Masks are bigints of 64 bits (bit `spi`: stack slot `fp-8*(spi+1)`).
 *
 * @module
 */
import { type Env, findContainingSubprog, verbose } from "./env.ts";
import { BPF_LOG_LEVEL2 } from "./log.ts";
import { fmtStackMask } from "./precision.ts";
import { insnSuccessors } from "./cfg.ts";
import { MAX_CALL_FRAMES, type VerifierState } from "./state.ts";

const U64 = (1n << 64n) - 1n;

interface Callchain {
  callsites: number[];
  spStarts: number[];
  curframe: number;
}

interface PerFrameMasks {
  mayRead: bigint;
  mustWrite: bigint;
  mustWriteAcc: bigint;
  liveBefore: bigint;
}

interface FuncInstance {
  callchain: Callchain;
  insnCnt: number;
  updated: boolean;
  mustWriteDropped: boolean;
  frames: (PerFrameMasks[] | null)[];
  mustWriteSet: Uint8Array;
}

/** `struct bpf_liveness`. */
export class StackLiveness {
  /** `func_instances`. */
  readonly instances: Map<string, FuncInstance> = new Map();
  /** `cur_instance`. */
  cur: FuncInstance | null = null;
  /** `write_masks_acc`. */
  readonly writeMasksAcc: bigint[] = new Array(MAX_CALL_FRAMES).fill(0n);
  /** `write_insn_idx`. */
  writeInsnIdx = 0;
  /** `live_stack_query`. */
  query: { instances: FuncInstance[]; curframe: number; insnIdx: number } = { instances: [], curframe: 0, insnIdx: 0 };
}

function computeCallchain(env: Env, st: VerifierState, frameno: number): Callchain {
  const cc: Callchain = {
    callsites: new Array(MAX_CALL_FRAMES).fill(0),
    spStarts: new Array(MAX_CALL_FRAMES).fill(0),
    curframe: 0,
  };
  for (let i = 0; i <= frameno; i++) {
    cc.spStarts[i] = env.subprogs[st.frame[i]!.subprogno].start;
    if (i < st.curframe) cc.callsites[i] = st.frame[i + 1]!.callsite;
  }
  cc.curframe = frameno;
  cc.callsites[frameno] = cc.spStarts[frameno];
  return cc;
}

function key(cc: Callchain): string {
  return cc.callsites.slice(0, cc.curframe + 1).join(",");
}

function lookupCallchain(env: Env, cc: Callchain): FuncInstance {
  const l = env.liveness, k = key(cc);
  let r = l.instances.get(k);
  if (r) return r;
  const sp = findContainingSubprog(env, cc.spStarts[cc.curframe]);
  const sz = env.subprogs[sp + 1].start - env.subprogs[sp].start;
  r = {
    callchain: { callsites: cc.callsites.slice(), spStarts: cc.spStarts.slice(), curframe: cc.curframe },
    insnCnt: sz,
    updated: false,
    mustWriteDropped: false,
    frames: new Array(MAX_CALL_FRAMES).fill(null),
    mustWriteSet: new Uint8Array(sz),
  };
  l.instances.set(k, r);
  return r;
}

function lookupInstance(env: Env, st: VerifierState, frameno: number): FuncInstance {
  // the key of computeCallchain's chain, without building the chain for an instance that exists
  let k = "";
  for (let i = 0; i < frameno; i++) k += st.frame[i + 1]!.callsite + ",";
  k += env.subprogs[st.frame[frameno]!.subprogno].start;
  return env.liveness.instances.get(k) ?? lookupCallchain(env, computeCallchain(env, st, frameno));
}

function relIdx(inst: FuncInstance, idx: number): number {
  return idx - inst.callchain.spStarts[inst.callchain.curframe];
}

function getFrameMasks(inst: FuncInstance, frame: number, idx: number): PerFrameMasks | null {
  const f = inst.frames[frame];
  return f ? f[relIdx(inst, idx)] : null;
}

function allocFrameMasks(inst: FuncInstance, frame: number, idx: number): PerFrameMasks {
  let f = inst.frames[frame];
  if (!f) {
    f = [];
    for (let i = 0; i < inst.insnCnt; i++) f.push({ mayRead: 0n, mustWrite: 0n, mustWriteAcc: 0n, liveBefore: 0n });
    inst.frames[frame] = f;
  }
  return f[relIdx(inst, idx)];
}

/** `bpf_reset_live_stack_callchain(env)`. */
export function resetLiveStackCallchain(env: Env): void {
  env.liveness.cur = null;
}

function ensureCurInstance(env: Env): FuncInstance {
  const l = env.liveness;
  if (!l.cur) l.cur = lookupInstance(env, env.cur, env.cur.curframe);
  return l.cur;
}

function markStackReadIn(inst: FuncInstance, frame: number, idx: number, mask: bigint): void {
  const m = allocFrameMasks(inst, frame, idx);
  const nw = m.mayRead | mask;
  if (nw !== m.mayRead && (nw | m.liveBefore) !== m.liveBefore) inst.updated = true;
  m.mayRead |= mask;
}

/** `bpf_mark_stack_read(env, frame, insn_idx, mask)`. */
export function markStackRead(env: Env, frame: number, idx: number, mask: bigint): void {
  markStackReadIn(ensureCurInstance(env), frame, idx, mask);
}

function resetWriteMarks(env: Env, inst: FuncInstance, idx: number): void {
  const l = env.liveness;
  l.writeInsnIdx = idx;
  for (let i = 0; i <= inst.callchain.curframe; i++) l.writeMasksAcc[i] = 0n;
}

/** `bpf_reset_stack_write_marks(env, insn_idx)`. */
export function resetStackWriteMarks(env: Env, idx: number): void {
  resetWriteMarks(env, ensureCurInstance(env), idx);
}

/** `bpf_mark_stack_write(env, frame, mask)`. */
export function markStackWrite(env: Env, frame: number, mask: bigint): void {
  env.liveness.writeMasksAcc[frame] |= mask;
}

function commitWriteMarks(env: Env, inst: FuncInstance | null): void {
  if (!inst) return;
  const l = env.liveness;
  const cf = inst.callchain.curframe;
  const idx = relIdx(inst, l.writeInsnIdx);
  for (let frame = 0; frame <= cf; frame++) {
    let mask = l.writeMasksAcc[frame];
    if (mask === 0n && !inst.mustWriteSet[idx]) continue;
    const m = allocFrameMasks(inst, frame, l.writeInsnIdx);
    const old = m.mustWrite;
    // (no bigint made when nothing changes: x & x is x, 0 & x is 0)
    if (inst.mustWriteSet[idx] && mask !== old && mask !== 0n) mask &= old;
    if (old !== mask) {
      m.mustWrite = mask;
      inst.updated = true;
      if (old & ~mask) inst.mustWriteDropped = true;
    }
  }
  inst.mustWriteSet[idx] = 1;
  l.writeInsnIdx = 0;
}

/** `bpf_commit_stack_write_marks(env)`. */
export function commitStackWriteMarks(env: Env): void {
  commitWriteMarks(env, env.liveness.cur);
}

function fmtCallchain(cc: Callchain): string {
  return "(" + cc.callsites.slice(0, cc.curframe + 1).join(",") + ")";
}

function logMaskChange(
  env: Env,
  cc: Callchain,
  pfx: string,
  frame: number,
  idx: number,
  old: bigint,
  nw: bigint,
): void {
  const changed = old ^ nw;
  if (!changed) return;
  const ones = nw & changed, zeros = ~nw & changed & U64;
  verbose(env, `${fmtCallchain(cc)} frame ${frame} insn ${idx} `);
  if (ones) verbose(env, `+${pfx} ${fmtStackMask(ones)} `);
  if (zeros) verbose(env, `-${pfx} ${fmtStackMask(zeros)}`);
  verbose(env, "\n");
}

const succBuf = new Int32Array(2);

function updateInsn(env: Env, inst: FuncInstance, frame: number, idx: number): boolean {
  const n = insnSuccessors(env, idx, succBuf);
  if (n === 0) return false;
  const insn = getFrameMasks(inst, frame, idx)!;
  let after = 0n, acc = U64;
  for (let s = 0; s < n; s++) {
    const sm = getFrameMasks(inst, frame, succBuf[s])!;
    after |= sm.liveBefore;
    acc &= sm.mustWriteAcc;
  }
  // 6.18.y: a tail call may not come back, so nothing after it is sure to be written
  if (env.code[idx] === 0x85 && env.src[idx] === 0 && env.imm[idx] === 12) acc = 0n;
  acc |= insn.mustWrite;
  const before = (after & ~insn.mustWrite & U64) | insn.mayRead;
  const changed = before !== insn.liveBefore || acc !== insn.mustWriteAcc;
  if (
    (env.log.level & BPF_LOG_LEVEL2) &&
    (insn.mayRead || insn.mustWrite || idx === inst.callchain.spStarts[inst.callchain.curframe] ||
      env.prunePoint[idx])
  ) {
    logMaskChange(env, inst.callchain, "live", frame, idx, insn.liveBefore, before);
    logMaskChange(env, inst.callchain, "written", frame, idx, insn.mustWriteAcc, acc);
  }
  insn.liveBefore = before;
  insn.mustWriteAcc = acc;
  return changed;
}

function updateInstance(env: Env, inst: FuncInstance): void {
  const cc = inst.callchain;
  const start = cc.spStarts[cc.curframe];
  if (inst.mustWriteDropped) {
    for (let frame = 0; frame <= cc.curframe; frame++) {
      const f = inst.frames[frame];
      if (!f) continue;
      for (const m of f) m.mustWriteAcc = 0n;
    }
  }
  const sp = findContainingSubprog(env, start);
  const poStart = env.subprogs[sp].postorderStart, poEnd = env.subprogs[sp + 1].postorderStart;
  let cnt = 0, changed: boolean;
  do {
    cnt++;
    changed = false;
    for (let frame = 0; frame <= cc.curframe; frame++) {
      if (!inst.frames[frame]) continue;
      for (let i = poStart; i < poEnd; i++) changed = updateInsn(env, inst, frame, env.postorder[i]) || changed;
    }
  } while (changed);
  if (env.log.level & BPF_LOG_LEVEL2) verbose(env, `${fmtCallchain(cc)} live stack update done in ${cnt} iterations\n`);
  if (cc.curframe > 0) propagateToOuter(env, inst);
}

function propagateToOuter(env: Env, inst: FuncInstance): void {
  const cc = inst.callchain;
  const start = cc.spStarts[cc.curframe];
  const outerCc: Callchain = { callsites: cc.callsites.slice(), spStarts: cc.spStarts.slice(), curframe: cc.curframe };
  outerCc.callsites[outerCc.curframe] = 0;
  outerCc.spStarts[outerCc.curframe] = 0;
  outerCc.curframe--;
  outerCc.callsites[outerCc.curframe] = outerCc.spStarts[outerCc.curframe];
  const outer = lookupCallchain(env, outerCc);
  const callsite = cc.callsites[cc.curframe - 1];
  resetWriteMarks(env, outer, callsite);
  for (let frame = 0; frame < cc.curframe; frame++) {
    const m = getFrameMasks(inst, frame, start);
    if (!m) continue;
    markStackWrite(env, frame, m.mustWriteAcc);
    markStackReadIn(outer, frame, callsite, m.liveBefore);
  }
  commitWriteMarks(env, outer);
}

/** `bpf_update_live_stack(env)`: bring the marks of every frame of the current state to a fixed point. */
export function updateLiveStack(env: Env): void {
  resetLiveStackCallchain(env);
  for (let frame = env.cur.curframe; frame >= 0; --frame) {
    const inst = lookupInstance(env, env.cur, frame);
    if (inst.updated) {
      updateInstance(env, inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }
}

/** `bpf_live_stack_query_init(env, st)`. */
export function liveStackQueryInit(env: Env, st: VerifierState): void {
  const q = env.liveness.query;
  q.instances = [];
  for (let frame = 0; frame <= st.curframe; frame++) q.instances.push(lookupInstance(env, st, frame));
  q.curframe = st.curframe;
  q.insnIdx = st.insnIdx;
}

function isLiveBefore(inst: FuncInstance, idx: number, frameno: number, spi: number): boolean {
  const m = getFrameMasks(inst, frameno, idx);
  return m !== null && ((m.liveBefore >> BigInt(spi)) & 1n) === 1n;
}

/** `bpf_stack_slot_alive(env, frameno, spi)`. */
export function stackSlotAlive(env: Env, frameno: number, spi: number): boolean {
  const q = env.liveness.query;
  const curInst = q.instances[q.curframe];
  if (isLiveBefore(curInst, q.insnIdx, frameno, spi)) return true;
  for (let i = frameno; i < q.curframe; i++) {
    const callsite = curInst.callchain.callsites[i];
    const inst = q.instances[i];
    const alive = env.callsCallback[callsite]
      ? isLiveBefore(inst, callsite, frameno, spi)
      : isLiveBefore(inst, callsite + 1, frameno, spi);
    if (alive) return true;
  }
  return false;
}
