/**
 * bpfscope: a Deno-native eBPF toolkit in pure TypeScript.
 *
 * - `core/isa`: the RFC 9669 instruction set, `Program`, `BPF_*` builders
 * - `core/asm`: disassembler (kernel 3.18 log style, llvm style) and assembler
 * - `core/formats`: JSON, raw and assembly program files
 * - `core/vm`: the interpreter, its address space and helpers
 * - `core/jit`: the eBPF → JavaScript JIT (`Jit`, `createEngine`), same results as the interpreter
 * - `core/maps`: hash and array maps
 * - `core/bpf.ts`: the `bpf()` facade (fd table, errno names)
 * - `core/elf`: eBPF ELF objects (clang -target bpf -c): programs, maps, relocations
 * - `core/testrun`: `BPF_PROG_TEST_RUN` without a kernel (`testRun`, program-type contexts, tail calls)
 * - `core/testing` and `load` (cli/testing.ts, the one export that reads files): a testing API for scripts
 * - `kernlog` (core/kernlog): reading Linux 5.x..6.18 verifier logs: typed values, paths, the slice of an error
 *
 * @example
 * ```ts
 * import { BPF_EXIT_INSN, BPF_MOV64_IMM, BPF_REG_0, Program } from "./mod.ts";
 * const prog = Program.fromInsns([BPF_MOV64_IMM(BPF_REG_0, 42), BPF_EXIT_INSN()]);
 * console.log(prog.len); // 2
 * ```
 *
 * @module
 */
export * from "./core/isa/mod.ts";
export * from "./core/errors.ts";
export * from "./core/vm/mod.ts";
export * from "./core/jit/mod.ts";
export * from "./core/maps/mod.ts";
export * from "./core/bpf.ts";
export * from "./core/asm/mod.ts";
export * from "./core/formats/mod.ts";
export * from "./core/elf/mod.ts";
export * from "./core/testrun/mod.ts";
export * from "./core/testing/mod.ts";
export { load } from "./cli/testing.ts";
export * from "./core/verifier/mod.ts";
export * as kernlog from "./core/kernlog/mod.ts";
