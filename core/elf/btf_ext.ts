/**
 * `.BTF.ext`: the func_info and line_info records clang writes per
 * executable section (`-g`), read as libbpf's `btf_ext__new` reads them,
 * and their relocation onto a linked program (libbpf's
 * `adjust_prog_btf_ext_info`: the records of the main section, then those of
 * each appended subprogram, shifted to where it was placed; `insn_off` in
 * instructions, not bytes).
 *
 * Layout: a header (`magic` 0xeb9f, version, flags, `hdr_len`,
 * `func_info_off/len`, `line_info_off/len`, offsets relative to the end of
 * the header); each info block is a `u32 rec_size` followed by per-section
 * groups `{ u32 sec_name_off; u32 num_info; rec_size × num_info }`.
 * func_info records are `{ insn_off, type_id }`, line_info records
 * `{ insn_off, file_name_off, line_off, line_col }` (line = line_col >> 10,
 * column = line_col & 0x3ff).
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import type { FuncInfo, LineInfo, ProgramBtf } from "../isa/program.ts";
import { type Btf, btfStringAt } from "./btf.ts";

/** BTF kind numbers used here. */
const KIND_FUNC = 12, KIND_FUNC_PROTO = 13, KIND_INT = 1, KIND_ENUM = 6, KIND_ENUM64 = 19;

/** One func_info record as stored (byte offset into its section). */
export interface BtfExtFuncRecord {
  /** Byte offset of the function's first instruction in its section. */
  insnOff: number;
  /** BTF type id of the FUNC. */
  typeId: number;
}

/** One line_info record as stored (byte offset into its section). */
export interface BtfExtLineRecord {
  /** Byte offset of the instruction in its section. */
  insnOff: number;
  /** String offset of the file name. */
  fileNameOff: number;
  /** String offset of the source line. */
  lineOff: number;
  /** `line << 10 | column`. */
  lineCol: number;
}

/** Parsed `.BTF.ext`: records by section name. */
export interface BtfExt {
  /** func_info record size (8 for clang). */
  funcRecSize: number;
  /** line_info record size (16 for clang). */
  lineRecSize: number;
  /** func_info records by section name. */
  funcInfo: Map<string, BtfExtFuncRecord[]>;
  /** line_info records by section name. */
  lineInfo: Map<string, BtfExtLineRecord[]>;
}

/**
 * Parse a `.BTF.ext` section against its `.BTF` (for section names).
 * @throws FormatError naming the section and byte offset of the first malformed field.
 */
export function parseBtfExt(b: Uint8Array, btf: Btf, file: string): BtfExt {
  const loc = (o: number) => `${file}: section '.BTF.ext' offset ${o}`;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 8) throw new FormatError(loc(0), `truncated: header needs 8 bytes, section has ${b.length}`);
  const magic = dv.getUint16(0, true);
  if (magic !== 0xeb9f) throw new FormatError(loc(0), `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  if (b[2] !== 1) throw new FormatError(loc(2), `unsupported version ${b[2]} (expected 1)`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > b.length) {
    throw new FormatError(loc(4), `hdr_len ${hdrLen} is out of range (24 .. ${b.length})`);
  }
  const out: BtfExt = { funcRecSize: 0, lineRecSize: 0, funcInfo: new Map(), lineInfo: new Map() };
  const block = <T>(
    what: string,
    hOff: number,
    minRec: number,
    read: (o: number) => T,
    into: Map<string, T[]>,
  ): number => {
    const off = dv.getUint32(hOff, true), len = dv.getUint32(hOff + 4, true);
    if (len === 0) return 0;
    const start = hdrLen + off, end = start + len;
    if (end > b.length) {
      throw new FormatError(
        loc(hOff),
        `${what} (offset ${start}, length ${len}) runs past the end (${b.length} bytes)`,
      );
    }
    if (len < 4) throw new FormatError(loc(start), `${what}: truncated record size`);
    const rec = dv.getUint32(start, true);
    if (rec < minRec || rec % 4 !== 0 || rec > 252) {
      throw new FormatError(loc(start), `${what}: invalid record size ${rec} (at least ${minRec}, a multiple of 4)`);
    }
    let o = start + 4;
    while (o < end) {
      if (o + 8 > end) throw new FormatError(loc(o), `${what}: truncated section header`);
      const nameOff = dv.getUint32(o, true), n = dv.getUint32(o + 4, true);
      const name = btfStringAt(btf, nameOff);
      if (name === undefined) {
        throw new FormatError(loc(o), `${what}: section name offset ${nameOff} is not a string of .BTF`);
      }
      if (n === 0) throw new FormatError(loc(o + 4), `${what} of '${name}': num_info is 0`);
      o += 8;
      if (o + n * rec > end) {
        throw new FormatError(loc(o - 4), `${what} of '${name}': ${n} records of ${rec} bytes run past the end`);
      }
      const list = into.get(name) ?? [];
      into.set(name, list);
      for (let k = 0; k < n; k++, o += rec) list.push(read(o));
    }
    return rec;
  };
  out.funcRecSize = block("func_info", 8, 8, (o) => ({
    insnOff: dv.getUint32(o, true),
    typeId: dv.getUint32(o + 4, true),
  }), out.funcInfo);
  out.lineRecSize = block("line_info", 16, 16, (o) => ({
    insnOff: dv.getUint32(o, true),
    fileNameOff: dv.getUint32(o + 4, true),
    lineOff: dv.getUint32(o + 8, true),
    lineCol: dv.getUint32(o + 12, true),
  }), out.lineInfo);
  return out;
}

/** A part of a linked program: slots `[start, end)` of `section`, placed at `base`. */
export interface PlacedUnit {
  /** Section name. */
  section: string;
  /** First slot in the section. */
  start: number;
  /** End slot (exclusive). */
  end: number;
  /** Slot of the linked program where `start` went. */
  base: number;
}

function skipModifiers(btf: Btf, id: number): number | undefined {
  for (let d = 0; d < 32; d++) {
    const t = btf.types[id];
    if (!t) return undefined;
    if (t.kind < 8 || t.kind > 11 && t.kind !== 18) return id;
    id = t.sizeOrType;
  }
  return undefined;
}

/** `btf_type_is_small_int(t) || btf_is_any_enum(t)` of the FUNC's return type. */
function scalarReturn(btf: Btf, protoId: number): boolean {
  const proto = btf.types[protoId];
  if (!proto || proto.kind !== KIND_FUNC_PROTO) return false;
  const r = skipModifiers(btf, proto.sizeOrType);
  const t = r === undefined ? undefined : btf.types[r];
  if (!t) return false;
  return (t.kind === KIND_INT && t.sizeOrType <= 8) || t.kind === KIND_ENUM || t.kind === KIND_ENUM64;
}

/**
 * The func_info and line_info of one linked program, as libbpf passes them
 * to `BPF_PROG_LOAD`: every record of every placed unit, in unit order,
 * `insn_off` converted to the slot of the linked program.
 */
export function programBtf(btf: Btf, ext: BtfExt, units: ReadonlyArray<PlacedUnit>): ProgramBtf {
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  for (const u of units) {
    for (const r of ext.funcInfo.get(u.section) ?? []) {
      const slot = r.insnOff / 8;
      if (slot < u.start || slot >= u.end || !Number.isInteger(slot)) continue;
      const t = btf.types[r.typeId];
      const isFunc = t?.kind === KIND_FUNC && btf.types[t.sizeOrType]?.kind === KIND_FUNC_PROTO;
      funcInfo.push({
        insnOff: u.base + slot - u.start,
        typeId: r.typeId,
        isFunc,
        name: isFunc ? t.name : "",
        linkage: isFunc ? t.vlen : 0,
        scalarReturn: isFunc ? scalarReturn(btf, t.sizeOrType) : false,
      });
    }
    for (const r of ext.lineInfo.get(u.section) ?? []) {
      const slot = r.insnOff / 8;
      if (slot < u.start || slot >= u.end || !Number.isInteger(slot)) continue;
      lineInfo.push({
        insnOff: u.base + slot - u.start,
        fileNameOff: r.fileNameOff,
        lineOff: r.lineOff,
        line: btfStringAt(btf, r.lineOff),
        file: btfStringAt(btf, r.fileNameOff),
        lineNum: r.lineCol >>> 10,
        col: r.lineCol & 0x3ff,
      });
    }
  }
  return { funcInfo, lineInfo, types: btf.types };
}
