/**
 * The eBPF → JavaScript JIT ({@link Jit}): a drop-in alternative to the
 * interpreter with identical results (registers, memory, maps, output,
 * faults, executed-instruction counts), and the {@link createEngine}
 * switch between the two.
 *
 * @module
 */
export { Jit, type JitRuntime } from "./jit.ts";
export { createEngine, type Engine, type EngineName } from "./engine.ts";
