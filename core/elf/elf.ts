/**
 * ELF64 little-endian reading for eBPF relocatable objects (EM_BPF): the
 * header, section headers, string tables, the symbol table and REL
 * relocations. Every bound is checked; malformed input raises
 * {@link FormatError} only.
 *
 * @module
 */
import { FormatError } from "../errors.ts";

/** `e_machine` of eBPF objects. */
export const EM_BPF = 247;
/** Section type: program data. */
export const SHT_PROGBITS = 1;
/** Section type: symbol table. */
export const SHT_SYMTAB = 2;
/** Section type: string table. */
export const SHT_STRTAB = 3;
/** Section type: relocations with addends. */
export const SHT_RELA = 4;
/** Section type: zero-filled data without file bytes (`.bss`). */
export const SHT_NOBITS = 8;
/** Section type: relocations without addends. */
export const SHT_REL = 9;
/** Section flag: executable instructions. */
export const SHF_EXECINSTR = 0x4;
/** Symbol type: data object. */
export const STT_OBJECT = 1;
/** Symbol type: function. */
export const STT_FUNC = 2;
/** Symbol type: section. */
export const STT_SECTION = 3;
/** Relocation: 64-bit immediate of an LD_IMM64 (map or global data address). */
export const R_BPF_64_64 = 1;
/** Relocation: 32-bit pc-relative call (bpf-to-bpf call). */
export const R_BPF_64_32 = 10;
/** Relocation type: a 64-bit absolute address in data (prog_array slots in `.maps`). */
export const R_BPF_64_ABS64 = 2;

/** Largest section without file bytes (`.bss`) accepted, in bytes. */
export const MAX_NOBITS_SIZE = 1 << 26;

/** One section header. */
export interface ElfSection {
  /** Index in the section header table. */
  index: number;
  /** Name from the section header string table. */
  name: string;
  /** `sh_type`. */
  type: number;
  /** `sh_flags` (low 32 bits). */
  flags: number;
  /** `sh_offset`. */
  offset: number;
  /** `sh_size`. */
  size: number;
  /** `sh_link`. */
  link: number;
  /** `sh_info`. */
  info: number;
  /** `sh_entsize`. */
  entsize: number;
}

/** One symbol table entry. */
export interface ElfSymbol {
  /** Index in the symbol table. */
  index: number;
  /** Name (for section symbols: the section's name). */
  name: string;
  /** `STT_*` type (low 4 bits of st_info). */
  type: number;
  /** `STB_*` binding (high 4 bits of st_info). */
  bind: number;
  /** `st_shndx`: the section it is defined in (0: undefined). */
  shndx: number;
  /** `st_value`: the offset inside its section. */
  value: number;
  /** `st_size`. */
  size: number;
}

/** One REL entry. */
export interface ElfRel {
  /** `r_offset`: byte offset inside the target section. */
  offset: number;
  /** Relocation type (`R_BPF_*`). */
  type: number;
  /** Symbol index. */
  sym: number;
}

/** A parsed ELF file: sections and the symbol table. */
export interface ElfFile {
  /** The file bytes. */
  bytes: Uint8Array;
  /** File name for error locations. */
  name: string;
  /** Section headers, by index. */
  sections: ElfSection[];
  /** Symbols (index 0 is the null symbol), empty without a symbol table. */
  symbols: ElfSymbol[];
}

/** A little-endian bounds-checked reader over the file. */
export class Reader {
  readonly #dv: DataView;
  /** Byte length. */
  readonly length: number;
  /** File name for errors. */
  readonly name: string;
  /**
   * Wrap bytes.
   * @param bytes the data
   * @param name file name for error locations
   */
  constructor(bytes: Uint8Array, name: string) {
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length;
    this.name = name;
  }
  #need(off: number, n: number, what: string): void {
    if (off < 0 || off + n > this.length) {
      throw new FormatError(this.name, `truncated: ${what} at offset ${off} needs ${n} bytes, file has ${this.length}`);
    }
  }
  /** u8 at `off`. */
  u8(off: number, what: string): number {
    this.#need(off, 1, what);
    return this.#dv.getUint8(off);
  }
  /** u16 at `off`. */
  u16(off: number, what: string): number {
    this.#need(off, 2, what);
    return this.#dv.getUint16(off, true);
  }
  /** u32 at `off`. */
  u32(off: number, what: string): number {
    this.#need(off, 4, what);
    return this.#dv.getUint32(off, true);
  }
  /** i32 at `off`. */
  i32(off: number, what: string): number {
    this.#need(off, 4, what);
    return this.#dv.getInt32(off, true);
  }
  /** u64 at `off` as a number; values above 2^53 raise a FormatError. */
  u64(off: number, what: string): number {
    this.#need(off, 8, what);
    const lo = this.#dv.getUint32(off, true), hi = this.#dv.getUint32(off + 4, true);
    if (hi >= 0x200000) throw new FormatError(this.name, `${what} 0x${hi.toString(16)}${hex8(lo)} is too large`);
    return hi * 0x100000000 + lo;
  }
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, "0");
}

/** Read a NUL-terminated string at `index` of a string table section. */
export function readString(f: ElfFile, strtab: number, index: number, what: string): string {
  const s = f.sections[strtab];
  if (!s) throw new FormatError(f.name, `${what}: string table section ${strtab} does not exist`);
  if (s.type === SHT_NOBITS) throw new FormatError(f.name, `${what}: string table '${s.name}' has no data`);
  if (index >= s.size) {
    throw new FormatError(
      f.name,
      `${what}: string index ${index} is out of range for section '${s.name || strtab}' (size ${s.size})`,
    );
  }
  let end = s.offset + index;
  const stop = s.offset + s.size;
  while (end < stop && f.bytes[end] !== 0) end++;
  if (end >= stop) throw new FormatError(f.name, `${what}: string at index ${index} of '${s.name}' is not terminated`);
  return latin1(f.bytes, s.offset + index, end);
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) out += String.fromCharCode(b[i]);
  return out;
}

/** The bytes of a section (zeros for SHT_NOBITS). */
export function sectionBytes(f: ElfFile, s: ElfSection): Uint8Array {
  if (s.type === SHT_NOBITS) return new Uint8Array(s.size);
  return f.bytes.subarray(s.offset, s.offset + s.size);
}

/**
 * Parse the ELF header, section headers (with names) and the symbol table.
 * @throws FormatError on anything malformed or not an ELF64 LE EM_BPF object.
 */
export function readElf(bytes: Uint8Array, name: string): ElfFile {
  const r = new Reader(bytes, name);
  if (bytes.length === 0) throw new FormatError(name, "empty file");
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new FormatError(name, "not an ELF file (bad magic)");
  }
  if (bytes.length < 64) throw new FormatError(name, `truncated: ELF header needs 64 bytes, file has ${bytes.length}`);
  const cls = r.u8(4, "EI_CLASS");
  if (cls !== 2) throw new FormatError(name, `ELF class ${cls} is not supported (need ELFCLASS64 = 2)`);
  const data = r.u8(5, "EI_DATA");
  if (data !== 1) {
    throw new FormatError(name, `ELF data encoding ${data} is not supported (need little-endian ELFDATA2LSB = 1)`);
  }
  const ver = r.u8(6, "EI_VERSION");
  if (ver !== 1) throw new FormatError(name, `ELF version ${ver} is not supported (need 1)`);
  const machine = r.u16(18, "e_machine");
  if (machine !== EM_BPF) {
    // an object for the host (a build without -target bpf) is the likely case
    throw new FormatError(
      name,
      `e_machine ${machine} is not EM_BPF (247): not an eBPF object (build with clang -target bpf)`,
    );
  }
  const etype = r.u16(16, "e_type");
  if (etype !== 1) throw new FormatError(name, `e_type ${etype} is not a relocatable object (ET_REL = 1)`);
  const shoff = r.u64(0x28, "e_shoff");
  const shentsize = r.u16(0x3a, "e_shentsize");
  let shnum = r.u16(0x3c, "e_shnum");
  let shstrndx = r.u16(0x3e, "e_shstrndx");
  if (shoff === 0) throw new FormatError(name, "no section header table (e_shoff = 0)");
  if (shentsize !== 64) throw new FormatError(name, `e_shentsize ${shentsize} is not 64`);
  if (shoff + 64 > bytes.length) {
    throw new FormatError(name, `section header table at offset ${shoff} is outside the file (${bytes.length} bytes)`);
  }
  if (shnum === 0) shnum = r.u64(shoff + 0x20, "extended e_shnum (sh_size of section 0)");
  if (shstrndx === 0xffff) shstrndx = r.u32(shoff + 0x28, "extended e_shstrndx (sh_link of section 0)");
  if (shoff + shnum * 64 > bytes.length) {
    throw new FormatError(
      name,
      `section header table (${shnum} entries at offset ${shoff}) runs past the end of the file (${bytes.length} bytes)`,
    );
  }
  const sections: ElfSection[] = [];
  const nameIdx: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * 64;
    const what = `section header ${i}`;
    const s: ElfSection = {
      index: i,
      name: "",
      type: r.u32(o + 4, what),
      flags: r.u32(o + 8, what),
      offset: r.u64(o + 0x18, `${what} sh_offset`),
      size: r.u64(o + 0x20, `${what} sh_size`),
      link: r.u32(o + 0x28, what),
      info: r.u32(o + 0x2c, what),
      entsize: r.u64(o + 0x38, `${what} sh_entsize`),
    };
    nameIdx.push(r.u32(o, what));
    if (i > 0 && s.type !== SHT_NOBITS && s.type !== 0 && s.offset + s.size > bytes.length) {
      throw new FormatError(
        name,
        `section ${i}: data (offset ${s.offset}, size ${s.size}) runs past the end of the file (${bytes.length} bytes)`,
      );
    }
    if (s.type === SHT_NOBITS && s.size > MAX_NOBITS_SIZE) {
      throw new FormatError(name, `section ${i}: SHT_NOBITS size ${s.size} exceeds ${MAX_NOBITS_SIZE} bytes`);
    }
    sections.push(s);
  }
  const f: ElfFile = { bytes, name, sections, symbols: [] };
  if (shstrndx >= shnum || shstrndx === 0) {
    throw new FormatError(name, `e_shstrndx ${shstrndx} is not a section (${shnum} sections)`);
  }
  if (sections[shstrndx].type !== SHT_STRTAB) {
    throw new FormatError(name, `e_shstrndx ${shstrndx} is not a string table (sh_type ${sections[shstrndx].type})`);
  }
  for (let i = 1; i < shnum; i++) sections[i].name = readString(f, shstrndx, nameIdx[i], `section ${i} name`);
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) throw new FormatError(name, `${symtabs.length} symbol tables (expected at most one)`);
  if (symtabs.length === 1) f.symbols = readSymbols(f, r, symtabs[0]);
  return f;
}

function readSymbols(f: ElfFile, r: Reader, st: ElfSection): ElfSymbol[] {
  if (st.entsize !== 24) throw new FormatError(f.name, `symbol table '${st.name}': sh_entsize ${st.entsize} is not 24`);
  if (st.size % 24 !== 0) {
    throw new FormatError(f.name, `symbol table '${st.name}': size ${st.size} is not a multiple of 24`);
  }
  const strtab = st.link;
  if (strtab === 0 || strtab >= f.sections.length || f.sections[strtab].type !== SHT_STRTAB) {
    throw new FormatError(f.name, `symbol table '${st.name}': sh_link ${strtab} is not a string table`);
  }
  const n = st.size / 24;
  const out: ElfSymbol[] = [];
  for (let i = 0; i < n; i++) {
    const o = st.offset + i * 24;
    const what = `symbol ${i}`;
    const info = r.u8(o + 4, what);
    const sym: ElfSymbol = {
      index: i,
      name: "",
      type: info & 0xf,
      bind: info >>> 4,
      shndx: r.u16(o + 6, what),
      value: r.u64(o + 8, `${what} st_value`),
      size: r.u64(o + 16, `${what} st_size`),
    };
    const nameOff = r.u32(o, what);
    sym.name = readString(f, strtab, nameOff, `symbol ${i} name`);
    if (sym.type === STT_SECTION && sym.name === "" && sym.shndx < f.sections.length) {
      sym.name = f.sections[sym.shndx].name;
    }
    out.push(sym);
  }
  return out;
}

/** Read the entries of a SHT_REL section. */
export function readRels(f: ElfFile, s: ElfSection): ElfRel[] {
  if (s.entsize !== 16) {
    throw new FormatError(f.name, `relocation section '${s.name}': sh_entsize ${s.entsize} is not 16`);
  }
  if (s.size % 16 !== 0) {
    throw new FormatError(f.name, `relocation section '${s.name}': size ${s.size} is not a multiple of 16`);
  }
  const r = new Reader(f.bytes, f.name);
  const out: ElfRel[] = [];
  for (let i = 0; i < s.size / 16; i++) {
    const o = s.offset + i * 16;
    out.push({
      offset: r.u64(o, `relocation ${i} of '${s.name}' r_offset`),
      type: r.u32(o + 8, `relocation ${i} of '${s.name}'`),
      sym: r.u32(o + 12, `relocation ${i} of '${s.name}'`),
    });
  }
  return out;
}
