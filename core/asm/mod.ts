/**
 * Disassembler (kernel 3.18 log style and llvm style) and assembler.
 *
 * @example
 * ```ts
 * import { assemble, disassemble } from "./mod.ts";
 * const p = assemble("r0 = 1\nexit\n");
 * console.log(disassemble(p)); // "   0: r0 = 1\n   1: exit\n"
 * ```
 *
 * @module
 */
export { kernelInsnText } from "./kernel.ts";
export { fixupNames, llvmInsnText, llvmInsnWithWidth, type LlvmTextOptions, rawInsnText } from "./llvm.ts";
export { type DisasmOptions, disassemble } from "./disasm.ts";
export { assemble, type AssembleOptions } from "./assemble.ts";
