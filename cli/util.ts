/**
 * Shared CLI plumbing: one-line errors with exit codes, colour decisions,
 * reading program files, writing output.
 *
 * @module
 */
import { FormatError } from "../core/errors.ts";
import type { Program } from "../core/isa/mod.ts";
import { type DecodedProgram, decodeProgram, decodePrograms } from "../core/formats/mod.ts";
import { jitDefaults } from "../core/jit/mod.ts";

/** An error the CLI reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: number;
  /**
   * Create a CLI error.
   * @param message the one-line message
   * @param exitCode process exit code (default 1)
   */
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Whether to colour output written to a stream: a TTY and no `NO_COLOR`. */
export function useColor(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  const noColor = Deno.env.get("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return false;
  if (Deno.env.get("FORCE_COLOR")) return true;
  return stream.isTerminal();
}

/** Wrap `s` in the SGR colour `code` (`"31"` red, `"1"` bold, ...), or leave it as it is when colour is off. */
export type Paint = (code: string, s: string) => string;

/** A {@link Paint} that colours when `color` is true (see {@link useColor}) and returns text unchanged otherwise. */
export function painter(color: boolean): Paint {
  return color ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_code, s) => s;
}

/** Read a file, turning OS errors into one-line CLI errors. */
export function readFileOrDie(path: string, exitCode = 1): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CliError(`${path}: no such file`, exitCode);
    if (e instanceof Deno.errors.PermissionDenied) throw new CliError(`${path}: permission denied`, exitCode);
    if (e instanceof Deno.errors.IsADirectory) throw new CliError(`${path}: is a directory`, exitCode);
    throw new CliError(`${path}: cannot read: ${(e as Error).message}`, exitCode);
  }
}

/**
 * Read and decode a program file (format chosen by content and extension;
 * `section` picks the program of an ELF object). `-` reads the program from
 * stdin (its format by content), named `stdin` in messages.
 */
export function loadProgramFile(path: string, exitCode = 1, section?: string): Program {
  return decodeFileOrDie(path, exitCode, (bytes, name) => decodeProgram(bytes, name, { section }));
}

/**
 * Read and decode every program of a file, as {@link loadProgramFile} does
 * one: all the programs of an ELF object (only `section`'s when it is
 * given), the one program of other formats.
 */
export function loadProgramsOfFile(path: string, exitCode = 1, section?: string): DecodedProgram[] {
  return decodeFileOrDie(path, exitCode, (bytes, name) => decodePrograms(bytes, name, { section }));
}

/** Read `path` (`-`: stdin) and decode it with `decode`, turning its errors into one-line CLI errors with a hint. */
function decodeFileOrDie<T>(path: string, exitCode: number, decode: (bytes: Uint8Array, name: string) => T): T {
  const fromStdin = path === "-";
  const bytes = fromStdin ? readStdinOrDie("a program", exitCode) : readFileOrDie(path, exitCode);
  if (fromStdin && bytes.length === 0) throw new CliError("stdin: empty input, no program", exitCode);
  try {
    return decode(bytes, fromStdin ? "stdin" : path);
  } catch (e) {
    if (e instanceof FormatError) {
      const head = new TextDecoder().decode(bytes.subarray(0, 1 << 16));
      const hint = looksLikeVerifierLog(head)
        ? `; it looks like a verifier log: read it with bpfscope log ${path} or tui --log ${path}`
        : /\.(c|h)$/i.test(path) || /^\s*#\s*include\s*[<"]/m.test(head)
        ? `; it looks like C source: build an object with clang -O2 -g -target bpf -c ${
          path === "-" ? "x.c" : path
        } -o prog.o`
        : "";
      throw new CliError(e.message + hint, exitCode);
    }
    throw e;
  }
}

/**
 * Whether the start of a file that failed to decode as a program is a verifier log (given to verify or tui instead
 * of log): an instruction line as the kernel prints it (`12: (85) call ...`), its statistics line, or libbpf's lines.
 */
function looksLikeVerifierLog(head: string): boolean {
  return /^(\d+: (R\d|\([0-9a-f]{2}\) )|processed \d+ insns|libbpf: )/m.test(head);
}

/**
 * Load the program files of a command that takes several (verify, run, bench). With one file its error stops the
 * command; with several, a file that cannot be read or decoded gets its one line on stderr and is left out (`bad`
 * is then true: the command exits 2 after doing the others), as veristat goes on past a bad file.
 */
export function loadProgramFiles(
  files: string[],
  section?: string,
): { progs: Array<readonly [string, Program]>; bad: boolean } {
  const progs: Array<readonly [string, Program]> = [];
  let bad = false;
  for (const r of loadEach(files, (f) => loadProgramFile(f, 2, section))) {
    if ("error" in r) bad = true;
    else progs.push([r.file, r.value]);
  }
  return { progs, bad };
}

/** A file {@link loadEachProgramFile} read: its programs, or the error that left it out. */
export type LoadedFile = { file: string; value: DecodedProgram[] } | { file: string; error: string };

/**
 * Load every program of each file (`verify` on objects with several
 * programs), in file order, with {@link loadProgramFiles}' rules: with one
 * file its error stops the command; with several, a file that cannot be read
 * or decoded gets its line on stderr and an `error` entry here.
 */
export function loadEachProgramFile(files: string[], section?: string): LoadedFile[] {
  return loadEach(files, (f) => loadProgramsOfFile(f, 2, section));
}

function loadEach<T>(
  files: string[],
  load: (file: string) => T,
): Array<{ file: string; value: T } | { file: string; error: string }> {
  if (files.length === 1) return [{ file: files[0], value: load(files[0]) }];
  return files.map((file) => {
    try {
      return { file, value: load(file) };
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      console.error(`bpfscope: ${e.message}`);
      return { file, error: e.message };
    }
  });
}

/** Write a file, turning OS errors into one-line CLI errors. */
export function writeFileOrDie(path: string, data: Uint8Array | string): void {
  try {
    if (typeof data === "string") Deno.writeTextFileSync(path, data);
    else Deno.writeFileSync(path, data);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CliError(`${path}: cannot write: no such directory`);
    if (e instanceof Deno.errors.PermissionDenied) throw new CliError(`${path}: cannot write: permission denied`);
    if (e instanceof Deno.errors.IsADirectory) throw new CliError(`${path}: cannot write: is a directory`);
    throw new CliError(`${path}: cannot write: ${(e as Error).message}`);
  }
}

/**
 * Write all of `data` to stdout, looping over partial writes. A closed pipe
 * (`bpfscope disasm big.bin | head`) ends the output quietly.
 */
export function writeStdout(data: string | Uint8Array): void {
  const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    for (let off = 0; off < b.length;) off += Deno.stdout.writeSync(b.subarray(off));
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return;
    throw e;
  }
}

/** Parse an integer option, or fail with a one-line error naming the option. */
export function parseIntOption(name: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const v = /^[+-]?(0x[0-9a-f]+|\d+)(e\d+)?$/i.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new CliError(`${name}: expected an integer from ${min} to ${max}, got '${text}'`, 2);
  }
  return v;
}

/** Bytes as lowercase hex, two digits each. */
export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * Read all of stdin (a pipe or a file): for `-` as a file name.
 * @throws CliError when stdin is a terminal (`what` says what was expected)
 */
export function readStdinOrDie(what: string, exitCode = 1): Uint8Array {
  if (Deno.stdin.isTerminal()) throw new CliError(`stdin is a terminal; pipe ${what} in or give a file`, exitCode);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  let total = 0;
  for (let n; (n = Deno.stdin.readSync(buf)) !== null;) chunks.push(buf.slice(0, n)), total += n;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) out.set(c, o), o += c.length;
  return out;
}

/** Parse hex bytes (spaces, `0x` prefix and `:` separators allowed). */
export function parseHexOption(name: string, text: string): Uint8Array {
  const t = text.replace(/^0x/i, "").replace(/[\s:]/g, "");
  if (t.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(t)) {
    throw new CliError(`${name}: expected an even number of hex digits, got '${text}'`, 2);
  }
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The `--wasm <mode>` option of the commands that run the JIT: flag, description, default. */
export const WASM_OPTION: readonly [string, string, string] = [
  "--wasm <mode>",
  "the JIT's WebAssembly tier: auto (once a program has run long) | always | never; identical results",
  "auto",
];

/** Set the JIT's WebAssembly tier for this process from `--wasm`, or fail with a usage error (exit 2). */
export function applyWasmOption(mode: string): void {
  if (mode !== "auto" && mode !== "always" && mode !== "never") {
    throw new CliError(`--wasm: expected auto, always or never, got '${mode}'`, 2);
  }
  jitDefaults.wasm = mode;
}

/**
 * The line `verify`, `tui` and `test-run --verify` print on stderr about a
 * program's BTF, or undefined: a warning when a malformed `.BTF.ext` is
 * ignored (and BTF was asked for), a note when `--no-btf` (`btf` false)
 * cannot apply (a profile that reads no BTF, a program that is not from an
 * ELF object, an object without BTF func/line info). `switchable`: the
 * profile can be changed later (the TUI's `P`), so the warning does not
 * depend on it.
 */
export function btfNotice(
  prog: Program,
  file: string,
  profile: string,
  btf: boolean,
  switchable = false,
): string | undefined {
  const modern = profile === "linux-6.18";
  if (btf) return (modern || switchable) && prog.origin.btfIgnored ? `warning: ${prog.origin.btfIgnored}` : undefined;
  if (!modern) {
    return `note: --no-btf has no effect with the ${profile} profile (only linux-6.18 reads BTF)${
      switchable ? "; it applies once P switches to linux-6.18" : ""
    }`;
  }
  if (prog.origin.section === undefined) {
    return `note: --no-btf has no effect on ${file}: not an ELF object, so it carries no BTF`;
  }
  if (!prog.btf && !prog.origin.btfIgnored) {
    return `note: --no-btf has no effect on ${file}: the object has no BTF func/line info (built without -g)`;
  }
  return undefined;
}
