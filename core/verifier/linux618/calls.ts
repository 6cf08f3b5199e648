/**
 * bpf-to-bpf calls of Linux 6.18: `check_func_call`, `setup_func_entry`,
 * `prepare_func_exit` and the `caller:`/`callee:` log lines.
 *
 * @module
 */
import { type Env, verbose } from "./env.ts";

/** `check_func_call(env, insn, &insn_idx)`. */
export function checkFuncCall(env: Env, _i: number): number {
  verbose(env, "bpfscope: bpf-to-bpf calls are not modelled by the linux-6.18 profile yet");
  return -95;
}

/** `prepare_func_exit(env, &insn_idx)`. */
export function prepareFuncExit(env: Env): number {
  verbose(env, "bpfscope: bpf-to-bpf calls are not modelled by the linux-6.18 profile yet");
  return -95;
}

/** The `caller:`/`callee:` lines after a call (printed by check_func_call in the kernel). */
export function printCallerCallee(_env: Env): void {}
