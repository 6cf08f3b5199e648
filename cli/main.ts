/**
 * The bpfscope command line: `bpfscope verify|run|asm|disasm|tui ...`.
 *
 * Run from source with `deno run -A cli/main.ts`, or as the bundle / the
 * compiled binary, which run this same file.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import denoJson from "../deno.json" with { type: "json" };
import { CliError } from "./util.ts";
import { registerAsm } from "./asm.ts";
import { registerDisasm } from "./disasm.ts";
import { registerTui } from "./tui.ts";
import { registerRun } from "./run.ts";
import { registerVerify } from "./verify.ts";
import { registerInspect } from "./inspect.ts";
import { registerBench } from "./bench.ts";
import { registerTestRun } from "./test_run.ts";
import { registerLog } from "./log.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

/** Build the command tree (exported for tests). */
export function buildCli(): Command {
  const program = new Command()
    .name("bpfscope")
    .description(
      "An eBPF toolkit: the Linux 3.18/3.19 and 6.18 verifiers, a reader of 5.x/6.x verifier logs, an interpreter and JIT, a BPF_PROG_TEST_RUN without a kernel, an assembler and a terminal UI.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope tui                              watch the verifier walk a built-in example
  bpfscope verify prog.json                 the verdict and log of Linux 3.19 (--profile linux-6.18: today's)
  bpfscope log verifier.log                 a 5.x/6.x kernel's verifier log explained
  bpfscope test-run --data HEX prog.o       BPF_PROG_TEST_RUN without a kernel
  bpfscope disasm prog.json                 disassemble in llvm-objdump style
  bpfscope disasm --style kernel prog.bin   as the 3.18 verifier log prints it
  bpfscope asm prog.s -o prog.json          assemble to the JSON program format
  bpfscope inspect prog.o                   programs, maps and relocations of a clang-built object`,
    );
  registerAsm(program);
  registerDisasm(program);
  registerTui(program);
  registerRun(program);
  registerVerify(program);
  registerInspect(program);
  registerBench(program);
  registerTestRun(program);
  registerLog(program);
  return program;
}

/** Run the CLI with arguments; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const program = buildCli();
  // on every command: a subcommand's usage error (a missing argument, an unknown option) exits 2 here as the
  // top level's does, not 1 from inside commander (subcommands do not inherit settings made after they exist)
  for (const c of [program, ...program.commands]) {
    c.exitOverride();
    c.configureOutput({
      writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
      writeOut: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
    });
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      console.error(`bpfscope: ${e.message}`);
      return e.exitCode;
    }
    // the reader of a pipe went away (`bpfscope --help | true`): stop quietly, as writeStdout does
    if (e instanceof Deno.errors.BrokenPipe) return typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
    console.error(`bpfscope: internal error: ${(e as Error)?.message ?? e}`);
    if (Deno.env.get("BPFSCOPE_DEBUG")) console.error((e as Error)?.stack);
    return 70;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
