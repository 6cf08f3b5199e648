/**
 * Precision tracking of Linux 6.18: the jump history (`push_jmp_history`,
 * `get_prev_insn_idx`), the backtracking state (`bt_*`), `backtrack_insn`,
 * `__mark_chain_precision` (walk the instructions and the parent states
 * back to where a register got its value and mark every scalar it came
 * from precise), `mark_all_scalars_precise`/`_imprecise` and
 * `propagate_precision` (a pruned state inherits the precision of the state
 * it matched).
 *
 * Precision decides pruning: an imprecise scalar in an explored state
 * matches any scalar (`regsafe`), so these marks shape `processed` and
 * `total_states`.
 *
 * @module
 */
import { kernel618InsnText } from "../../asm/kernel618.ts";
import { BTF_FUNC_GLOBAL, EFAULT, ENOENT, ENOTSUPP, type Env, findSubprog, isPseudoCall, verbose } from "./env.ts";
import { BPF_LOG_LEVEL2 } from "./log.ts";
import { verifierStateText } from "./print.ts";
import { RegState, SCALAR_VALUE } from "./reg.ts";
import {
  BPF_REG_FP,
  BPF_REG_SIZE,
  JMP_HIST_STRIDE,
  MAX_CALL_FRAMES,
  STACK_SPILL,
  type VerifierState,
} from "./state.ts";

// ---- insn history flags (INSN_F_*) ----
/** Frame number bits. */
export const INSN_F_FRAMENO_MASK = 0x7;
/** Stack slot bits (after the shift). */
export const INSN_F_SPI_MASK = 0x3f;
/** Shift of the stack slot. */
export const INSN_F_SPI_SHIFT = 3;
/** The insn accessed the stack (a spill or a fill). */
export const INSN_F_STACK_ACCESS = 1 << 9;
/** dst_reg of a conditional jump was a stack pointer. */
export const INSN_F_DST_REG_STACK = 1 << 10;
/** src_reg of a conditional jump was a stack pointer. */
export const INSN_F_SRC_REG_STACK = 1 << 11;
/** `BPF_REGMASK_ARGS`: r1..r5. */
const REGMASK_ARGS = 0x3e;

/** `insn_stack_access_flags(frameno, spi)`. */
export function insnStackAccessFlags(frameno: number, spi: number): number {
  return INSN_F_STACK_ACCESS | (spi << INSN_F_SPI_SHIFT) | frameno;
}

/** `push_jmp_history(env, cur, insn_flags, linked_regs)`. */
export function pushJmpHistory(env: Env, cur: VerifierState, flags: number, linkedRegs: bigint): number {
  const h = cur.jmpHistory;
  const lo = linkedRegs === 0n ? 0 : Number(linkedRegs & 0xffffffffn);
  const hi = linkedRegs === 0n ? 0 : Number(linkedRegs >> 32n);
  if (env.curHistEnt >= 0 && env.curHistEnt < h.length / JMP_HIST_STRIDE) {
    const b = env.curHistEnt * JMP_HIST_STRIDE;
    h[b + 2] |= flags;
    h[b + 3] = lo;
    h[b + 4] = hi;
    return 0;
  }
  h.push(env.insnIdx, env.prevInsnIdx, flags, lo, hi);
  env.curHistEnt = h.length / JMP_HIST_STRIDE - 1;
  return 0;
}

/** `get_jmp_hist_entry(st, hist_end, insn_idx)`: the entry's offset in `st.jmpHistory`, -1 for none. */
function getJmpHistEntry(st: VerifierState, end: number, idx: number): number {
  const b = (end - 1) * JMP_HIST_STRIDE;
  if (end > 0 && st.jmpHistory[b] === idx) return b;
  return -1;
}

/** The packed linked registers of the history entry at offset `b` (0n: none). */
function histLinkedRegs(h: number[], b: number): bigint {
  const lo = h[b + 3], hi = h[b + 4];
  return lo === 0 && hi === 0 ? 0n : (BigInt(hi) << 32n) | BigInt(lo);
}

/** The remaining history after {@link getPrevInsnIdx} (a module variable: no array per step). */
let prevHistory = 0;

/** `get_prev_insn_idx(st, i, &history)`: the previous insn or ENOENT; the remaining history in `prevHistory`. */
function getPrevInsnIdx(st: VerifierState, i: number, cnt: number): number {
  prevHistory = cnt;
  if (i === st.firstInsnIdx) {
    if (cnt === 0) return ENOENT;
    if (cnt === 1 && st.jmpHistory[0] === i) return ENOENT;
  }
  const b = (cnt - 1) * JMP_HIST_STRIDE;
  if (cnt && st.jmpHistory[b] === i) {
    prevHistory = cnt - 1;
    return st.jmpHistory[b + 1];
  }
  return i - 1;
}

// ---- backtrack state ----
/** `bt_reset(bt)`. */
export function btReset(env: Env): void {
  env.bt.frame = 0;
  env.bt.regMasks.fill(0);
  env.bt.stackMasks.fill(0n);
}
function btEmpty(env: Env): boolean {
  const bt = env.bt;
  for (let i = 0; i <= bt.frame; i++) if (bt.regMasks[i] !== 0 || bt.stackMasks[i] !== 0n) return false;
  return true;
}
/** `bt_set_frame_reg`. */
export function btSetFrameReg(env: Env, frame: number, reg: number): void {
  env.bt.regMasks[frame] |= 1 << reg;
}
/** `bt_set_frame_slot`. */
export function btSetFrameSlot(env: Env, frame: number, slot: number): void {
  env.bt.stackMasks[frame] |= 1n << BigInt(slot);
}
function btSetReg(env: Env, reg: number): void {
  env.bt.regMasks[env.bt.frame] |= 1 << reg;
}
function btClearReg(env: Env, reg: number): void {
  env.bt.regMasks[env.bt.frame] &= ~(1 << reg);
}
function btClearFrameReg(env: Env, frame: number, reg: number): void {
  env.bt.regMasks[frame] &= ~(1 << reg);
}
function btClearFrameSlot(env: Env, frame: number, slot: number): void {
  env.bt.stackMasks[frame] &= ~(1n << BigInt(slot));
}
function btIsRegSet(env: Env, reg: number): boolean {
  return (env.bt.regMasks[env.bt.frame] & (1 << reg)) !== 0;
}
function btIsFrameRegSet(env: Env, frame: number, reg: number): boolean {
  return (env.bt.regMasks[frame] & (1 << reg)) !== 0;
}
function btIsFrameSlotSet(env: Env, frame: number, slot: number): boolean {
  return (env.bt.stackMasks[frame] & (1n << BigInt(slot))) !== 0n;
}

/** `fmt_reg_mask`: `r0,r2,r4`. */
export function fmtRegMask(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if (mask & (1 << i)) out.push("r" + i);
  return out.join(",");
}

/** `bpf_fmt_stack_mask`: `-8,-24,-40`. */
export function fmtStackMask(mask: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(String(-(i + 1) * 8));
  return out.join(",");
}

/** A linked-registers entry (`struct linked_reg`). */
export interface LinkedReg {
  /** Frame. */
  frameno: number;
  /** Register number or stack slot. */
  spiOrReg: number;
  /** A register (else a spilled stack slot). */
  isReg: boolean;
}

/** `linked_regs_pack`. */
export function linkedRegsPack(s: LinkedReg[]): bigint {
  let val = 0n;
  for (const e of s) {
    const tmp = BigInt(e.frameno) | (BigInt(e.spiOrReg) << 3n) | ((e.isReg ? 1n : 0n) << 9n);
    val = (val << 10n) | tmp;
  }
  return (val << 4n) | BigInt(s.length);
}

/** `linked_regs_unpack`. */
export function linkedRegsUnpack(v: bigint): LinkedReg[] {
  const cnt = Number(v & 0xfn);
  v >>= 4n;
  const out: LinkedReg[] = [];
  for (let i = 0; i < cnt; i++) {
    out.push({ frameno: Number(v & 7n), spiOrReg: Number((v >> 3n) & 0x3fn), isReg: ((v >> 9n) & 1n) === 1n });
    v >>= 10n;
  }
  return out;
}

/** `bt_sync_linked_regs(bt, hist)` with the entry's packed linked registers (0n: none or no entry). */
function btSyncLinkedRegs(env: Env, linkedRegs: bigint): void {
  if (linkedRegs === 0n) return;
  const lr = linkedRegsUnpack(linkedRegs);
  let some = false;
  for (const e of lr) {
    if (
      (e.isReg && btIsFrameRegSet(env, e.frameno, e.spiOrReg)) ||
      (!e.isReg && btIsFrameSlotSet(env, e.frameno, e.spiOrReg))
    ) {
      some = true;
      break;
    }
  }
  if (!some) return;
  for (const e of lr) {
    if (e.isReg) btSetFrameReg(env, e.frameno, e.spiOrReg);
    else btSetFrameSlot(env, e.frameno, e.spiOrReg);
  }
}

function insnText(env: Env, i: number): string {
  return kernel618InsnText(
    env.code[i],
    env.dst[i],
    env.src[i],
    env.off[i],
    env.imm[i],
    i + 1 < env.len ? env.imm[i + 1] : 0,
    env.mapIndex[i] >= 0 ? env.mapAddr[env.mapIndex[i]] + BigInt(env.mapOff[i]) : undefined,
  );
}

/**
 * `backtrack_insn(env, idx, subseq_idx, hist, bt)`, with the history
 * entry's flags and linked registers (0 and 0n when there is no entry).
 */
function backtrackInsn(env: Env, idx: number, subseqIdx: number, histFlags: number, linked: bigint): number {
  const code = env.code[idx], cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
  const dreg = env.dst[idx], sreg = env.src[idx];
  if (code === 0) return 0;
  if (env.log.level & BPF_LOG_LEVEL2) {
    verbose(env, `mark_precise: frame${env.bt.frame}: regs=${fmtRegMask(env.bt.regMasks[env.bt.frame])} `);
    verbose(env, `stack=${fmtStackMask(env.bt.stackMasks[env.bt.frame])} before `);
    verbose(env, `${idx}: ${insnText(env, idx)}\n`);
  }
  btSyncLinkedRegs(env, linked);
  const atomicLoad = cls === 3 && mode === 0xc0 && env.imm[idx] === 0x100;
  if (cls === 4 || cls === 7) {
    if (!btIsRegSet(env, dreg)) return 0;
    if (op === 0xd0 || op === 0x80) return 0;
    if (op === 0xb0) {
      btClearReg(env, dreg);
      if (code & 8) {
        if (sreg !== BPF_REG_FP) btSetReg(env, sreg);
      }
    } else if (code & 8) {
      if (sreg !== BPF_REG_FP) btSetReg(env, sreg);
    }
  } else if (cls === 1 || atomicLoad) {
    if (!btIsRegSet(env, dreg)) return 0;
    btClearReg(env, dreg);
    if (!(histFlags & INSN_F_STACK_ACCESS)) return 0;
    const spi = (histFlags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK, fr = histFlags & INSN_F_FRAMENO_MASK;
    btSetFrameSlot(env, fr, spi);
  } else if (cls === 3 || cls === 2) {
    if (btIsRegSet(env, dreg)) return ENOTSUPP;
    if (!(histFlags & INSN_F_STACK_ACCESS)) return 0;
    const spi = (histFlags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK, fr = histFlags & INSN_F_FRAMENO_MASK;
    if (!btIsFrameSlotSet(env, fr, spi)) return 0;
    btClearFrameSlot(env, fr, spi);
    if (cls === 3) btSetReg(env, sreg);
  } else if (cls === 5 || cls === 6) {
    if (isPseudoCall(env, idx)) {
      const sub = findSubprog(env, idx + env.imm[idx] + 1);
      if (sub < 0) return EFAULT;
      if (env.subprogs[sub].linkage === BTF_FUNC_GLOBAL) {
        // a global callee was not walked: the next insn in the history is the one after the call
        if (idx + 1 !== subseqIdx) verbose(env, "verifier bug: extra insn from subprog (idx + 1 != subseq_idx)\n");
        // r1-r5 are cleared by the call, so none of them can still be wanted
        if (env.bt.regMasks[env.bt.frame] & REGMASK_ARGS) {
          verbose(env, `verifier bug: global subprog unexpected regs ${hexMask(env.bt.regMasks[env.bt.frame])}\n`);
          return EFAULT;
        }
        // it always sets R0
        btClearReg(env, 0);
        return 0;
      }
      // static subprog call: we are exiting the callee while going back
      if (env.bt.regMasks[env.bt.frame] & ~REGMASK_ARGS) {
        verbose(env, `verifier bug: static subprog unexpected regs ${hexMask(env.bt.regMasks[env.bt.frame])}\n`);
        return EFAULT;
      }
      if (env.bt.stackMasks[env.bt.frame] !== 0n) {
        verbose(
          env,
          `verifier bug: static subprog leftover stack slots ${env.bt.stackMasks[env.bt.frame].toString(16)}\n`,
        );
        return EFAULT;
      }
      for (let i = 1; i <= 5; i++) {
        if (btIsRegSet(env, i)) {
          btClearReg(env, i);
          btSetFrameReg(env, env.bt.frame - 1, i);
        }
      }
      if (env.bt.frame === 0) return EFAULT;
      env.bt.frame--;
      return 0;
    } else if (env.callsCallback[idx] && env.code[idx] === 0x85 && idx !== subseqIdx - 1) {
      if (env.bt.regMasks[env.bt.frame] & ~REGMASK_ARGS) return EFAULT;
      if (env.bt.stackMasks[env.bt.frame] !== 0n) return EFAULT;
      for (let i = 1; i <= 5; i++) btClearReg(env, i);
      if (env.bt.frame === 0) return EFAULT;
      env.bt.frame--;
      return 0;
    } else if (op === 0x80) {
      if (env.src[idx] === 2 && env.imm[idx] === 0) return ENOTSUPP;
      btClearReg(env, 0);
      if (env.bt.regMasks[env.bt.frame] & REGMASK_ARGS) {
        verbose(
          env,
          `verifier bug: backtracking call unexpected regs ${hexMask(env.bt.regMasks[env.bt.frame])}\n`,
        );
        return EFAULT;
      }
    } else if (op === 0x90) {
      if (subseqIdx >= 0 && env.callsCallback[subseqIdx]) { for (let i = 1; i <= 5; i++) btClearReg(env, i); }
      if (env.bt.regMasks[env.bt.frame] & REGMASK_ARGS) {
        verbose(
          env,
          `verifier bug: backtracking exit unexpected regs ${hexMask(env.bt.regMasks[env.bt.frame])}\n`,
        );
        return EFAULT;
      }
      const r0Precise = subseqIdx - 1 >= 0 && isPseudoCall(env, subseqIdx - 1) && btIsRegSet(env, 0);
      btClearReg(env, 0);
      if (env.bt.frame === MAX_CALL_FRAMES - 1) return EFAULT;
      env.bt.frame++;
      if (r0Precise) btSetReg(env, 0);
      return 0;
    } else if (code & 8) {
      if (!btIsRegSet(env, dreg) && !btIsRegSet(env, sreg)) return 0;
      if (!(histFlags & INSN_F_SRC_REG_STACK)) btSetReg(env, sreg);
      if (!(histFlags & INSN_F_DST_REG_STACK)) btSetReg(env, dreg);
    }
  } else if (cls === 0) {
    if (!btIsRegSet(env, dreg)) return 0;
    btClearReg(env, dreg);
    if (mode === 0x40 || mode === 0x20) return ENOTSUPP;
  }
  btSyncLinkedRegs(env, linked);
  return 0;
}

function hexMask(m: number): string {
  return m.toString(16);
}

/** `mark_all_scalars_precise(env, st)`: the fallback when backtracking cannot follow. */
export function markAllScalarsPrecise(env: Env, st: VerifierState): void {
  if (env.log.level & BPF_LOG_LEVEL2) {
    verbose(env, `mark_precise: frame${st.curframe}: falling back to forcing all scalars precise\n`);
  }
  for (let s = st.parent; s; s = s.parent) {
    for (let i = 0; i <= s.curframe; i++) {
      const func = s.frame[i]!;
      for (let j = 0; j < BPF_REG_FP; j++) {
        const reg = func.regs[j];
        if (reg.type !== SCALAR_VALUE || reg.precise) continue;
        reg.precise = true;
        if (env.log.level & BPF_LOG_LEVEL2) verbose(env, `force_precise: frame${i}: forcing r${j} to be precise\n`);
      }
      for (let j = 0; j < func.allocatedStack / BPF_REG_SIZE; j++) {
        if (func.stack[j].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
        const reg = func.stack[j].spilled;
        if (reg.type !== SCALAR_VALUE || reg.precise) continue;
        reg.precise = true;
        if (env.log.level & BPF_LOG_LEVEL2) {
          verbose(env, `force_precise: frame${i}: forcing fp${-(j + 1) * 8} to be precise\n`);
        }
      }
    }
  }
}

/** `mark_all_scalars_imprecise(env, st)`. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (let i = 0; i <= st.curframe; i++) {
    const func = st.frame[i]!;
    for (let j = 0; j < BPF_REG_FP; j++) if (func.regs[j].type === SCALAR_VALUE) func.regs[j].precise = false;
    for (let j = 0; j < func.allocatedStack / BPF_REG_SIZE; j++) {
      if (func.stack[j].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      const reg = func.stack[j].spilled;
      if (reg.type === SCALAR_VALUE) reg.precise = false;
    }
  }
}

/** Output of {@link markChainPrecisionFrom}: whether a mark changed. */
export interface Changed {
  /** Set when some register or slot became precise. */
  changed: boolean;
}

/**
 * `__mark_chain_precision(env, starting_state, regno, changed)`: with
 * `regno` -1, the masks already in `env.bt` are backtracked.
 */
export function markChainPrecisionFrom(
  env: Env,
  starting: VerifierState,
  regno: number,
  changed: Changed | null,
): number {
  let st: VerifierState | null = starting;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = starting.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  const ch = changed ?? { changed: false };
  env.bt.frame = starting.curframe;
  const func = st.frame[env.bt.frame]!;
  if (regno >= 0) {
    const reg = func.regs[regno];
    if (reg.type !== SCALAR_VALUE) {
      verbose(env, "verifier bug: backtracking misuse\n");
      return EFAULT;
    }
    btSetReg(env, regno);
  }
  if (btEmpty(env)) return 0;
  for (;;) {
    let history = st!.jmpHistory.length / JMP_HIST_STRIDE;
    if (env.log.level & BPF_LOG_LEVEL2) {
      verbose(
        env,
        `mark_precise: frame${env.bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`,
      );
    }
    if (lastIdx < 0) {
      const f0 = st!.frame[0]!;
      if (
        st!.curframe === 0 && f0.subprogno > 0 && f0.callsite === -1 && env.bt.stackMasks[env.bt.frame] === 0n &&
        (env.bt.regMasks[env.bt.frame] & ~REGMASK_ARGS) === 0
      ) {
        for (let i = 0; i < 32; i++) {
          if (!(env.bt.regMasks[env.bt.frame] & (1 << i))) continue;
          const reg = f0.regs[i];
          btClearReg(env, i);
          if (reg.type === SCALAR_VALUE) {
            reg.precise = true;
            ch.changed = true;
          }
        }
        return 0;
      }
      verbose(env, "verifier bug: backtracking func entry\n");
      return EFAULT;
    }
    for (let i = lastIdx;;) {
      let err: number;
      if (skipFirst) {
        err = 0;
        skipFirst = false;
      } else {
        const h = st!.jmpHistory, e = getJmpHistEntry(st!, history, i);
        err = e < 0
          ? backtrackInsn(env, i, subseqIdx, 0, 0n)
          : backtrackInsn(env, i, subseqIdx, h[e + 2], histLinkedRegs(h, e));
      }
      if (err === ENOTSUPP) {
        markAllScalarsPrecise(env, starting);
        btReset(env);
        return 0;
      } else if (err) return err;
      if (btEmpty(env)) return 0;
      subseqIdx = i;
      i = getPrevInsnIdx(st!, i, history);
      history = prevHistory;
      if (i === ENOENT) break;
      if (i >= env.len) {
        verbose(env, `verifier bug: backtracking idx ${i}\n`);
        return EFAULT;
      }
    }
    st = st!.parent;
    if (!st) break;
    for (let fr = env.bt.frame; fr >= 0; fr--) {
      const f = st.frame[fr]!;
      const rm = env.bt.regMasks[fr];
      for (let i = 0; i < 32; i++) {
        if (!(rm & (1 << i))) continue;
        const reg = f.regs[i];
        if (reg.type !== SCALAR_VALUE) {
          btClearFrameReg(env, fr, i);
          continue;
        }
        if (reg.precise) btClearFrameReg(env, fr, i);
        else {
          reg.precise = true;
          ch.changed = true;
        }
      }
      const sm = env.bt.stackMasks[fr];
      for (let i = 0; sm && i < 64; i++) {
        if (!((sm >> BigInt(i)) & 1n)) continue;
        if (i >= f.allocatedStack / BPF_REG_SIZE) {
          verbose(env, `verifier bug: stack slot ${i}, total slots ${f.allocatedStack / BPF_REG_SIZE}\n`);
          return EFAULT;
        }
        const slot = f.stack[i];
        if (!(slot.slotType[BPF_REG_SIZE - 1] === STACK_SPILL && slot.spilled.type === SCALAR_VALUE)) {
          btClearFrameSlot(env, fr, i);
          continue;
        }
        if (slot.spilled.precise) btClearFrameSlot(env, fr, i);
        else {
          slot.spilled.precise = true;
          ch.changed = true;
        }
      }
      if (env.log.level & BPF_LOG_LEVEL2) {
        verbose(env, `mark_precise: frame${fr}: parent state regs=${fmtRegMask(env.bt.regMasks[fr])} `);
        verbose(env, `stack=${fmtStackMask(env.bt.stackMasks[fr])}: `);
        verbose(env, verifierStateText(st, fr, true, { regs: 0, stack: 0n }, env.maps));
      }
    }
    if (btEmpty(env)) return 0;
    subseqIdx = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
  }
  if (!btEmpty(env)) {
    markAllScalarsPrecise(env, starting);
    btReset(env);
  }
  return 0;
}

/** `mark_chain_precision_batch(env, starting_state)`: backtrack the masks already set in `env.bt`. */
export function markChainPrecisionBatch(env: Env, starting: VerifierState): number {
  return markChainPrecisionFrom(env, starting, -1, null);
}

/** `mark_chain_precision(env, regno)`. */
export function markChainPrecision(env: Env, regno: number): number {
  return markChainPrecisionFrom(env, env.cur, regno, null);
}

/** `propagate_precision(env, old, cur, changed)`. */
export function propagatePrecision(env: Env, old: VerifierState, cur: VerifierState, changed: Changed | null): number {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const state = old.frame[fr]!;
    let first = true;
    for (let i = 0; i < BPF_REG_FP; i++) {
      const r = state.regs[i];
      if (r.type !== SCALAR_VALUE || !r.precise) continue;
      if (env.log.level & BPF_LOG_LEVEL2) verbose(env, first ? `frame ${fr}: propagating r${i}` : `,r${i}`);
      btSetFrameReg(env, fr, i);
      first = false;
    }
    for (let i = 0; i < state.allocatedStack / BPF_REG_SIZE; i++) {
      if (state.stack[i].slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      const r = state.stack[i].spilled;
      if (r.type !== SCALAR_VALUE || !r.precise) continue;
      if (env.log.level & BPF_LOG_LEVEL2) {
        verbose(env, first ? `frame ${fr}: propagating fp${(-i - 1) * 8}` : `,fp${(-i - 1) * 8}`);
      }
      btSetFrameSlot(env, fr, i);
      first = false;
    }
    if (!first) verbose(env, "\n");
  }
  const err = markChainPrecisionFrom(env, cur, -1, changed);
  return err < 0 ? err : 0;
}

void RegState;
