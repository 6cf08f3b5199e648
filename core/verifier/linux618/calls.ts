/**
 * bpf-to-bpf calls of Linux 6.18: `check_func_call` (a static callee is
 * entered; a global one, BTF linkage global, only has its arguments checked
 * against its prototype and is walked on its own later), `setup_func_entry` with
 * `set_callee_state`, the `caller:` / `callee:` lines, `prepare_func_exit`
 * with its `returning from callee:` / `to caller at N:` lines, and
 * `check_max_stack_depth` after the walk.
 *
 * @module
 */
import { clearCallerSavedRegs } from "./alu.ts";
import {
  BTF_FUNC_GLOBAL,
  E2BIG,
  EACCES,
  EFAULT,
  EINVAL,
  ENOTMODELLED,
  type Env,
  findSubprog,
  markVerifierStateScratched,
  verbose,
} from "./env.ts";
import { BPF_LOG_LEVEL } from "./log.ts";
import { copyReg, markRegUnknown, PTR_TO_STACK } from "./reg.ts";
import { btfCheckSubprogCall } from "./func_args.ts";
import { clearAllPktPointers } from "./refs.ts";
import { FuncState, initFuncState, MAX_BPF_STACK, MAX_CALL_FRAMES } from "./state.ts";
import { resetLiveStackCallchain } from "./stack_liveness.ts";
import { printVerifierState } from "./trace.ts";

/**
 * `check_func_call(env, insn, &insn_idx)`: enters a static callee
 * (env.insnIdx = its start - 1); for a global one checks the arguments,
 * marks it called and continues after the call with R0 an unknown scalar.
 */
export function checkFuncCall(env: Env, i: number): number {
  const state = env.cur;
  const target = i + env.imm[i] + 1;
  const subprog = findSubprog(env, target);
  if (subprog < 0) {
    verbose(env, `verifier bug: target of func call at insn ${target} is not a program(subprog < 0)\n`);
    return EFAULT;
  }
  const caller = state.frame[state.curframe]!;
  // btf_check_subprog_call: a mismatch only matters for a global callee
  const err = btfCheckSubprogCall(env, subprog, caller.regs);
  if (err === EFAULT || err === ENOTMODELLED) return err;
  const sp = env.subprogs[subprog];
  if (sp.linkage === BTF_FUNC_GLOBAL) {
    const name = env.funcInfo[subprog].name;
    if (state.activeLocks) {
      verbose(env, "global function calls are not allowed while holding a lock,\nuse static function instead\n");
      return EINVAL;
    }
    if (sp.mightSleep) {
      // none of the profile's program types is sleepable
      verbose(
        env,
        "global functions that may sleep are not allowed in non-sleepable context,\n" +
          "i.e., in a RCU/IRQ/preempt-disabled section, or in\na non-sleepable BPF program context\n",
      );
      return EINVAL;
    }
    if (err) {
      verbose(env, `Caller passes invalid args into func#${subprog} ('${name}')\n`);
      return err;
    }
    verbose(env, `Func#${subprog} ('${name}') is global and assumed valid.\n`);
    if (sp.changesPktData) clearAllPktPointers(env);
    sp.called = true;
    clearCallerSavedRegs(env, caller.regs);
    // all global functions return a 64-bit scalar
    markRegUnknown(caller.regs[0]);
    return 0;
  }
  // setup_func_entry(env, subprog, insn_idx, set_callee_state, state)
  if (state.curframe + 1 >= MAX_CALL_FRAMES) {
    verbose(env, `the call stack of ${state.curframe + 2} frames is too deep\n`);
    return E2BIG;
  }
  const callee = new FuncState();
  state.frame[state.curframe + 1] = callee;
  initFuncState(callee, i, state.curframe + 1, subprog);
  markVerifierStateScratched(env);
  for (let r = 1; r <= 5; r++) copyReg(callee.regs[r], caller.regs[r]);
  state.curframe++;
  clearCallerSavedRegs(env, caller.regs);
  env.insnIdx = env.subprogs[subprog].start - 1;
  resetLiveStackCallchain(env);
  if (env.log.level & BPF_LOG_LEVEL) {
    verbose(env, "caller:\n");
    printVerifierState(env, state, caller.frameno, true);
    verbose(env, "callee:\n");
    printVerifierState(env, state, state.curframe, true);
  }
  return 0;
}

/** `prepare_func_exit(env, &insn_idx)` for a static subprogram (no callbacks). */
export function prepareFuncExit(env: Env): number {
  const state = env.cur;
  const callee = state.frame[state.curframe]!;
  const r0 = callee.regs[0];
  if (r0.type === PTR_TO_STACK) {
    verbose(env, "cannot return stack pointer to the caller\n");
    return EINVAL;
  }
  const caller = state.frame[state.curframe - 1]!;
  copyReg(caller.regs[0], r0);
  env.insnIdx = callee.callsite + 1;
  if (env.log.level & BPF_LOG_LEVEL) {
    verbose(env, "returning from callee:\n");
    printVerifierState(env, state, callee.frameno, true);
    verbose(env, `to caller at ${env.insnIdx}:\n`);
    printVerifierState(env, state, caller.frameno, true);
  }
  state.frame[state.curframe--] = null;
  return 0;
}

/** `round_up_stack_depth(env, depth)` with the JIT on: a multiple of 16. */
function roundUpStackDepth(depth: number): number {
  return Math.ceil(depth / 16) * 16;
}

/**
 * `check_max_stack_depth(env)` for programs without tail calls and async
 * callbacks (no private stacks for these program types): the deepest chain
 * of calls from the main program must fit in 512 bytes.
 */
export function checkMaxStackDepth(env: Env): number {
  const sp = env.subprogs;
  const retInsn: number[] = [], retProg: number[] = [];
  let depth = 0, frame = 0, idx = 0, i = sp[0].start;
  for (;;) {
    // process_func
    if (idx && sp[idx].hasTailCall && depth >= 256) {
      verbose(
        env,
        `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large\n`,
      );
      return EACCES;
    }
    depth += roundUpStackDepth(sp[idx].stackDepth);
    if (depth > MAX_BPF_STACK) {
      verbose(env, `combined stack size of ${frame + 1} calls is ${depth}. Too large\n`);
      return EACCES;
    }
    let called = false;
    for (;;) {
      // continue_func
      const end = sp[idx + 1].start;
      for (; i < end; i++) {
        const code = env.code[i];
        const pseudoCall = code === 0x85 && env.src[i] === 1;
        const pseudoFunc = code === 0x18 && env.src[i] === 4;
        if (!pseudoCall && !pseudoFunc) continue;
        retInsn[frame] = i + 1;
        retProg[frame] = idx;
        const next = i + env.imm[i] + 1;
        const sidx = findSubprog(env, next);
        if (sidx < 0) {
          verbose(env, `verifier bug: callee not found at insn ${next}(sidx < 0)\n`);
          return EFAULT;
        }
        if (sp[sidx].isAsyncCb && !pseudoCall) continue;
        i = next;
        idx = sidx;
        frame++;
        if (frame >= MAX_CALL_FRAMES) {
          verbose(env, `the call stack of ${frame} frames is too deep !\n`);
          return E2BIG;
        }
        called = true;
        break;
      }
      if (called) break;
      if (frame === 0) return 0;
      depth -= roundUpStackDepth(sp[idx].stackDepth);
      frame--;
      i = retInsn[frame];
      idx = retProg[frame];
    }
  }
}
