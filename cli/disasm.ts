/**
 * `bpfscope disasm`: print a program in the llvm or the kernel 3.18 style.
 *
 * @module
 */
import type { Command } from "commander";
import { disassemble } from "../core/asm/mod.ts";
import { CliError, loadProgramFile, writeStdout } from "./util.ts";

/** Options of `bpfscope disasm`. */
export interface DisasmCliOptions {
  /** `llvm` (default) or `kernel`. */
  style: string;
  /** ELF objects: the section of the program. */
  section?: string;
}

/** Register `bpfscope disasm FILE [--style kernel|llvm]`. */
export function registerDisasm(program: Command): void {
  program
    .command("disasm")
    .description("disassemble a program file (JSON, raw .bin, or assembly)")
    .argument("<file>", "program file (.json, .bin/.raw, .s/.asm, ELF .o; other names and - (stdin) by content)")
    .option("-s, --style <style>", "llvm (llvm-objdump style) or kernel (the 3.18 verifier log)", "llvm")
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope disasm prog.json                 llvm-objdump style: the instructions (no maps, type or fixups)
  bpfscope disasm --style kernel prog.bin   as the Linux 3.18 verifier log prints each insn
  bpfscope asm prog.o -o prog.s             the whole program as assembly (.prog_type, .map, .init,
                                            fixups) to edit and assemble again with 'bpfscope asm prog.s'`,
    )
    .action((file: string, opts: DisasmCliOptions) => {
      if (opts.style !== "llvm" && opts.style !== "kernel") {
        throw new CliError(`--style: expected 'llvm' or 'kernel', got '${opts.style}'`, 2);
      }
      const p = loadProgramFile(file, 1, opts.section);
      const text = disassemble(p, { style: opts.style });
      writeStdout(text);
    });
}
