/**
 * The eBPF instruction set (RFC 9669): opcode constants, the `Program`
 * container and the kernel-style `BPF_*` instruction builders.
 *
 * @module
 */
export * from "./opcodes.ts";
export * from "./program.ts";
export * from "./builders.ts";
