/**
 * The eBPF machine: the interpreter ({@link Interpreter}), its address space
 * (regions with deterministic 64-bit addresses) and the helper table.
 *
 * @module
 */
export * from "./interp.ts";
export * from "./memory.ts";
export * from "./helpers.ts";
export * from "./printk.ts";
export * from "./context.ts";
export * from "./packet_helpers.ts";
export * from "./ringbuf_helpers.ts";
