/**
 * `bpfscope asm`: assemble (or convert) a program file.
 *
 * @module
 */
import type { Command } from "commander";
import { encodeByExtension, encodeJson } from "../core/formats/mod.ts";
import { loadProgramFile, writeFileOrDie, writeStdout } from "./util.ts";

/** Options of `bpfscope asm`. */
export interface AsmCliOptions {
  /** Output path; its extension picks the format. */
  output?: string;
  /** ELF objects: the section of the program. */
  section?: string;
}

/** Register `bpfscope asm FILE [-o OUT]`. */
export function registerAsm(program: Command): void {
  program
    .command("asm")
    .description("assemble a program (or convert between formats); JSON to stdout unless -o is given")
    .argument("<file>", "input: assembly (.s/.asm), JSON, raw (.bin/.raw) or ELF (.o); other names by content")
    .option(
      "-o, --output <out>",
      "output file: .json, .bin/.raw (raw slots) or .s/.asm (assembly); - for stdout (JSON)",
    )
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope asm prog.s                  print the JSON program
  bpfscope asm prog.s -o prog.bin      write raw 8-byte slots
  bpfscope asm prog.json -o prog.s     convert JSON to assembly (maps and fixups kept)

Assembly syntax (llvm-objdump style, as 'bpfscope disasm' prints it):
  .map counts hash key=8 value=8 max=1024
  .prog_type socket_filter
  .license "GPL"
        r1 = map[counts] ll      # records a fixup
        if r0 == 0 goto out      # labels or +N/-N offsets
        r0 = 1
  out:  exit`,
    )
    .action((file: string, opts: AsmCliOptions) => {
      const p = loadProgramFile(file, 1, opts.section);
      // `-o -`: stdout, as without -o (it wrote a file named '-')
      if (opts.output === undefined || opts.output === "-") {
        writeStdout(encodeJson(p));
        return;
      }
      writeFileOrDie(opts.output, encodeByExtension(p, opts.output));
    });
}
