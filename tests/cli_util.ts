/** Shared helpers of the CLI end-to-end tests: spawn `deno run -A cli/main.ts`, temporary files. */

/** The repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** What a CLI run printed and returned. */
export interface CliOutput {
  /** Exit code. */
  code: number;
  /** Standard output. */
  out: string;
  /** Standard error. */
  err: string;
}

/** Run `bpfscope ...args` from source with NO_COLOR set. */
export async function runCli(...args: string[]): Promise<CliOutput> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: p.code, out: new TextDecoder().decode(p.stdout), err: stderrOf(p.stderr) };
}

/** Run `bpfscope ...args` from source with NO_COLOR set, `input` written to its stdin (a pipe). */
export async function pipeCli(input: Uint8Array | string, ...args: string[]): Promise<CliOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
  await w.close();
  const p = await child.output();
  return { code: p.code, out: new TextDecoder().decode(p.stdout), err: stderrOf(p.stderr) };
}

let tmpDir: string | undefined;

/** Write `obj` as JSON to a temporary file (removed when the test module unloads). */
export async function tmpJson(obj: unknown): Promise<string> {
  if (!tmpDir) {
    const dir = Deno.makeTempDirSync({ prefix: "bpfscope_test_" });
    tmpDir = dir;
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  const f = await Deno.makeTempFile({ dir: tmpDir, suffix: ".json" });
  await Deno.writeTextFile(f, JSON.stringify(obj));
  return f;
}

/**
 * Standard error without Deno's own "Download https://..." lines: a run on an empty Deno cache fetches the
 * npm packages its module graph reaches first (`deno task ci` installs them up front, `deno task test` alone may not).
 */
export function stderrOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/^Download https:\/\/\S+\n/gm, "");
}

/**
 * A temporary copy of `tests/fixtures/kernlog/global_func.o` (built with `-g`) whose `.BTF.ext` magic is 0: a
 * malformed `.BTF.ext`, which the loader ignores with a warning. The caller removes the file.
 */
export async function malformedBtfExtObject(): Promise<string> {
  const bytes = Deno.readFileSync(new URL("./fixtures/kernlog/global_func.o", import.meta.url));
  // the .BTF.ext header (magic 0xeb9f, version 1, hdr_len 32; the .BTF one has hdr_len 24)
  const at = bytes.findIndex((b, i) =>
    b === 0x9f && bytes[i + 1] === 0xeb && bytes[i + 2] === 1 && bytes[i + 4] === 32
  );
  if (at <= 0) throw new Error("global_func.o: no .BTF.ext header found");
  const tmp = await Deno.makeTempFile({ suffix: ".o" });
  bytes[at] = 0;
  bytes[at + 1] = 0;
  await Deno.writeFile(tmp, bytes);
  return tmp;
}
