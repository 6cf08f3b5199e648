/**
 * Engine selection: `interp` or `jit`, behind one `run(input, options)`.
 *
 * @module
 */
import type { Program } from "../isa/mod.ts";
import type { BpfMap } from "../maps/mod.ts";
import { Interpreter, type RunInput, type RunOptions, type RunResult } from "../vm/mod.ts";
import { Jit, type JitOptions } from "./jit.ts";

/** The execution engines. */
export type VmEngineName = "interp" | "jit";

/** What both engines provide. */
export interface VmEngine {
  /** Maps referenced by the program, by index. */
  readonly maps: BpfMap[];
  /** Run the program once. */
  run(input?: RunInput, opts?: RunOptions): RunResult;
}

/** Prepare `prog` for running on engine `name` (default `jit`; the interpreter ignores the JIT's own options). */
export function createVm(prog: Program, opts: JitOptions = {}, name: VmEngineName = "jit"): VmEngine {
  return name === "interp" ? new Interpreter(prog, opts) : new Jit(prog, opts);
}
