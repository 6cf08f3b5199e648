/**
 * The state printing of the walk (`print_verifier_state` and
 * `print_insn_state` with the environment's scratch marks and log
 * positions): the ` ; R1=...` joined to an instruction line, or `N: R1=...`
 * on a line of its own.
 *
 * @module
 */
import { type Env, markVerifierStateClean, verbose } from "./env.ts";
import { verifierStateText, vlogAlignment } from "./print.ts";
import type { VerifierState } from "./state.ts";

/** `print_verifier_state(env, vstate, frameno, print_all)`. */
export function printVerifierState(env: Env, vs: VerifierState, frameno: number, printAll: boolean): void {
  verbose(
    env,
    verifierStateText(vs, frameno, printAll, { regs: env.scratchedRegs, stack: env.scratchedStack }, env.maps),
  );
  if (!printAll) markVerifierStateClean(env);
}

/** `print_insn_state(env, vstate, frameno)`. */
export function printInsnState(env: Env, vs: VerifierState, frameno: number): void {
  if (env.prevLogPos && env.prevLogPos === env.log.endPos) {
    env.log.reset(env.prevLogPos - 1);
    verbose(env, " ".repeat(Math.max(1, vlogAlignment(env.prevInsnPrintPos))) + ";");
  } else {
    verbose(env, `${env.insnIdx}:`);
  }
  printVerifierState(env, vs, frameno, false);
}
