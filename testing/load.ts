/**
 * `load(path)`: read a program file (a clang-built ELF object, or a JSON,
 * raw or assembly program) and load it as a {@link BpfObject} for tests.
 *
 * This is the one part of the testing API that does I/O (`Deno.readFile`);
 * it lives outside core/ (which runs in any JavaScript runtime) and `mod.ts`
 * re-exports it, so `import { load } from ".../mod.ts"` works in a Deno
 * test. Elsewhere, read the bytes yourself and call `BpfObject.fromElf` or
 * `BpfObject.fromProgram`.
 *
 * @module
 */
import { BpfObject, type ObjectOptions } from "../core/testing/mod.ts";
import { decodeProgram } from "../core/formats/mod.ts";

/**
 * Load the object or program in file `path` for testing (see
 * {@link BpfObject}). @throws Deno.errors.NotFound and other read errors,
 * FormatError for a malformed file, BpfError for what the kernel would refuse
 */
export async function load(path: string | URL, opts: ObjectOptions = {}): Promise<BpfObject> {
  const bytes = await Deno.readFile(path);
  const name = typeof path === "string" ? path : path.pathname;
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (isElf || /\.o$/.test(name)) return BpfObject.fromElf(bytes, name, opts);
  return BpfObject.fromProgram(decodeProgram(bytes, name), opts, name);
}
