/**
 * Raw programs: the slots as little-endian bytes, 8 per slot, no header.
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import { Program } from "../isa/program.ts";

/** The largest program any decoder accepts, in slots. */
export const MAX_SLOTS = 1_000_000;

/**
 * Decode a raw program.
 * @param bytes the file contents
 * @param name the file name, for error locations
 * @throws FormatError when the file is empty, its length is not a multiple
 * of 8, or it has more than {@link MAX_SLOTS} slots.
 */
export function decodeRaw(bytes: Uint8Array, name: string): Program {
  if (bytes.length === 0) throw new FormatError(name, "empty file (a raw program needs at least one 8-byte slot)");
  if (bytes.length % 8 !== 0) {
    throw new FormatError(
      name,
      `${bytes.length} bytes is not a whole number of 8-byte slots (${bytes.length % 8} trailing bytes)`,
    );
  }
  if (bytes.length / 8 > MAX_SLOTS) {
    throw new FormatError(name, `${bytes.length / 8} slots is more than the limit of ${MAX_SLOTS}`);
  }
  return new Program(bytes.slice(), { origin: { file: name } });
}

/** Encode a program's slots as raw bytes (a copy; maps and metadata are not kept). */
export function encodeRaw(p: Program): Uint8Array {
  return p.bytes.slice();
}
