/**
 * Program files: JSON, raw slots and llvm-style assembly, chosen by file
 * extension (`.json`, `.bin`/`.raw`, `.s`/`.asm`) or else by content.
 *
 * Only {@link FormatError} escapes for bad input.
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import { mapTypeName, progTypeName } from "../isa/opcodes.ts";
import type { MapDef, Program } from "../isa/program.ts";
import { assemble } from "../asm/assemble.ts";
import { disassemble } from "../asm/disasm.ts";
import { fixupNames, llvmInsnWithWidth } from "../asm/llvm.ts";
import { decodeJson, encodeJson } from "./json.ts";
import { decodeRaw, encodeRaw, MAX_SLOTS } from "./raw.ts";
import { elfPrograms, loadElfProgram, parseElf } from "../elf/loader.ts";

export { decodeJson, encodeJson } from "./json.ts";
export { decodeRaw, encodeRaw, MAX_SLOTS } from "./raw.ts";

/** A program file format. */
export type ProgramFormat = "json" | "raw" | "asm";

/** The format an extension names (`.json`, `.bin`, `.raw`, `.s`, `.asm`), or null. */
export function formatOfPath(path: string): ProgramFormat | null {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  switch (m?.[1].toLowerCase()) {
    case "json":
      return "json";
    case "bin":
    case "raw":
      return "raw";
    case "s":
    case "asm":
      return "asm";
  }
  return null;
}

/** Whether `b` starts with the ELF magic `\x7fELF`. */
export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Guess a format from content: JSON if it starts with `[` or `{`, text as assembly, else raw. */
function sniff(b: Uint8Array): ProgramFormat {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (i < b.length && (b[i] === 0x5b || b[i] === 0x7b)) return "json";
  if (b.length === 0) return "raw";
  const n = Math.min(b.length, 4096);
  for (let k = 0; k < n; k++) {
    const c = b[k];
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c === 0x7f) return "raw";
  }
  return "asm";
}

function text(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new FormatError(name, "not valid UTF-8 text");
  }
}

/** Options of {@link decodeProgram}. */
export interface DecodeOptions {
  /** ELF objects: the section of the program to load (needed when there are several). */
  section?: string;
}

/**
 * Decode a program file. ELF objects (by their `\x7fELF` magic, and every
 * `.o` file) go to the ELF loader (core/elf); otherwise the format comes from `name`'s extension,
 * or from the content when the extension is not one of `.json .bin .raw .s .asm`.
 * @param bytes the file contents
 * @param name the file name (for the format and error locations)
 * @param opts `section`: which program of an ELF object
 * @throws FormatError for any malformed input.
 */
export function decodeProgram(bytes: Uint8Array, name: string, opts: DecodeOptions = {}): Program {
  if (bytes.length === 0) throw new FormatError(name, "empty file");
  if (isObjectFile(bytes, name)) return loadElfProgram(bytes, name, { section: opts.section });
  const fmt = formatOfPath(name) ?? sniff(bytes);
  try {
    switch (fmt) {
      case "json":
        return decodeJson(text(bytes, name), name);
      case "raw":
        return decodeRaw(bytes, name);
      case "asm":
        return assemble(text(bytes, name), { file: name, maxSlots: MAX_SLOTS });
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    // defensive: nothing but FormatError escapes for bad input
    throw new FormatError(name, `cannot decode: ${(e as Error)?.message ?? String(e)}`);
  }
}

/**
 * Whether a file goes to the ELF loader: by its `\x7fELF` magic, or by a `.o`
 * name (an object that is not ELF says so, instead of being decoded as raw slots).
 */
function isObjectFile(bytes: Uint8Array, name: string): boolean {
  return isElf(bytes) || /\.o$/i.test(name);
}

/** One program of a file (see {@link decodePrograms}). */
export interface DecodedProgram {
  /** The program. */
  program: Program;
  /** ELF objects: the program's section (undefined for other formats). */
  section?: string;
  /** ELF objects: the program's function (the symbol at the start of its section, else the section name). */
  func?: string;
}

/**
 * Decode every program of a file: the one program of a JSON, raw or
 * assembly file; the programs of an ELF object in section order (only the
 * one in `opts.section` when it is given). Same formats and errors as
 * {@link decodeProgram}, except that an object with several programs is not
 * an error.
 * @throws FormatError for any malformed input, a missing section, or an object without programs.
 */
export function decodePrograms(
  bytes: Uint8Array,
  name: string,
  opts: DecodeOptions = {},
): DecodedProgram[] {
  if (bytes.length === 0 || !isObjectFile(bytes, name)) {
    return [{ program: decodeProgram(bytes, name, opts) }];
  }
  return elfPrograms(parseElf(bytes, name), opts.section).map((p) => ({
    program: p.program,
    section: p.section,
    func: p.func,
  }));
}

const IDENT = /^[A-Za-z_][\w.]*$/;

/**
 * Encode a program as assembly source: `.prog_type`, `.license`, `.map` and
 * `.init` directives, the llvm-style disassembly (with `map[NAME]` for fixed
 * up map loads), and `.fixup` lines for fixups the text cannot show. It
 * assembles back into the same program. Map names that are not identifiers
 * (or repeat) are written as `map<i>`.
 */
export function encodeAsm(p: Program): string {
  const seen = new Set<string>();
  let renamed = false;
  const maps: MapDef[] = p.maps.map((m, i) => {
    let name = m.name;
    if (!IDENT.test(name) || seen.has(name) || /^[rw]\d+$/.test(name) || name === "fd" || name === "idx") {
      name = `map${i}`;
      while (seen.has(name)) name = `_${name}`;
      renamed = true;
    }
    seen.add(name);
    return { ...m, name };
  });
  const q = renamed ? p.clone({ maps }) : p;
  const out: string[] = [];
  out.push(`.prog_type ${progTypeName(q.progType)}`);
  out.push(`.license ${JSON.stringify(q.license)}`);
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("") || "0x";
  for (const m of maps) {
    out.push(
      `.map ${m.name} ${mapTypeName(m.type)} key=${m.keySize} value=${m.valueSize} max=${m.maxEntries}` +
        (m.flags ? ` flags=${m.flags}` : ""),
    );
    for (const [k, v] of m.init) out.push(`.init ${m.name} ${hex(k)} ${hex(v)}`);
  }
  const body = disassemble(q, { style: "llvm" });
  const names = fixupNames(q);
  const used = new Set<number>();
  const extra: string[] = [];
  for (const [slot, idx] of q.fixups) {
    const name = maps[idx]?.name;
    const ok = name !== undefined && !used.has(slot) && names.get(slot) === name && slot < q.len &&
      llvmInsnWithWidth(q, slot, { mapNames: names })[0].endsWith(`map[${name}] ll`);
    if (ok) used.add(slot);
    else extra.push(`.fixup ${slot} ${idx}`);
  }
  return out.join("\n") + "\n" + body + (extra.length ? extra.join("\n") + "\n" : "");
}

/**
 * Encode a program in the format `path`'s extension names: JSON text for
 * `.json` (and any unknown extension), raw bytes for `.bin`/`.raw`, assembly
 * text for `.s`/`.asm`.
 */
export function encodeByExtension(p: Program, path: string): string | Uint8Array {
  switch (formatOfPath(path)) {
    case "raw":
      return encodeRaw(p);
    case "asm":
      return encodeAsm(p);
    default:
      return encodeJson(p);
  }
}
