/**
 * `load(path)`: read a program file (a clang-built ELF object, or a JSON,
 * raw or assembly program) and load it as a {@link BpfObject} for tests.
 *
 * This is the part of the testing API that does I/O (`Deno.readFile`), so
 * it lives in cli/ with the rest of the I/O; `mod.ts` re-exports it, so
 * `import { load } from ".../mod.ts"` works in a Deno test. Elsewhere, read
 * the bytes yourself and call `BpfObject.fromBytes`.
 *
 * @module
 */
import { BpfObject, type ObjectOptions } from "../core/testing/mod.ts";

/**
 * Load the object or program in file `path` for testing (see
 * {@link BpfObject.fromBytes}). @throws Deno.errors.NotFound and other read
 * errors, FormatError for a malformed file, BpfError for what the kernel
 * would refuse
 */
export async function load(path: string | URL, opts: ObjectOptions = {}): Promise<BpfObject> {
  const bytes = await Deno.readFile(path);
  return BpfObject.fromBytes(bytes, typeof path === "string" ? path : path.pathname, opts);
}
