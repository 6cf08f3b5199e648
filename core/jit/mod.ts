/**
 * The eBPF → JavaScript JIT ({@link Jit}): a drop-in alternative to the
 * interpreter with identical results (registers, memory, maps, output,
 * faults, executed-instruction counts), and the {@link createVm}
 * switch between the two.
 *
 * @module
 */
export {
  Jit,
  jitDefaults,
  type JitOptions,
  type JitRuntime,
  WASM_AFTER_INSNS,
  WASM_MAX_ESCAPE_RATE,
  WASM_MIN_RUN_INSNS,
} from "./jit.ts";
export { createVm, type VmEngine, type VmEngineName } from "./engine.ts";
