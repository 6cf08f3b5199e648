/**
 * Just enough BTF (`.BTF`) to read BTF-defined maps and function
 * prototypes: the type table (FUNC_PROTO parameters and DECL_TAG component
 * indexes included), type sizes, and the `.maps` DATASEC with each map's
 * `__uint`/`__type` members.
 *
 * @module
 */
import { FormatError } from "../errors.ts";

/** BTF kinds used here. */
const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** One BTF type (members/entries decoded for the kinds that have them). */
export interface BtfType {
  /** Type id (1-based). */
  id: number;
  /** Kind number. */
  kind: number;
  /** Name (may be empty). */
  name: string;
  /** `size` or `type` field, depending on the kind. */
  sizeOrType: number;
  /** STRUCT/UNION members, DATASEC entries (`type`, `offset`, `size`). */
  members: Array<{ name: string; type: number; offset: number; size: number }>;
  /** ARRAY: element type and element count. */
  array?: { type: number; nelems: number };
  /** `vlen` of the info word (FUNC: the linkage, 0 static, 1 global, 2 extern). */
  vlen: number;
  /** FUNC_PROTO: the parameters (`struct btf_param`: name and type). */
  params?: Array<{ name: string; type: number }>;
  /** DECL_TAG: `component_idx` (-1: the tag is on the type itself, else a member or parameter index). */
  componentIdx?: number;
}

/** Parsed BTF. */
export interface Btf {
  /** Types by id; index 0 is void (undefined). */
  types: Array<BtfType | undefined>;
  /** The string section's bytes (names are NUL-terminated, offset 0 is ""). */
  strings: Uint8Array;
}

/**
 * The string at `off` of the BTF string section (`btf_name_by_offset`),
 * or undefined when the offset is out of range or the string has no NUL.
 */
export function btfStringAt(btf: Btf, off: number): string | undefined {
  const b = btf.strings;
  if (!Number.isInteger(off) || off < 0 || off >= b.length) return undefined;
  let e = off;
  while (e < b.length && b[e] !== 0) e++;
  if (e >= b.length) return undefined;
  return new TextDecoder().decode(b.subarray(off, e));
}

/** A map definition read from a `.maps` DATASEC variable. */
export interface BtfMapDef {
  /** Variable name. */
  name: string;
  /** Offset of the variable inside `.maps`. */
  offset: number;
  /** `type` (0 when absent). */
  type: number;
  /** `key_size` or the size of `key`'s type (0 when absent). */
  keySize: number;
  /** `value_size` or the size of `value`'s type (0 when absent). */
  valueSize: number;
  /** `max_entries` (0 when absent). */
  maxEntries: number;
  /** `map_flags` (0 when absent). */
  flags: number;
  /** Byte offset of the `values` member (`__array(values, ...)`: initial prog_array slots), if there is one. */
  valuesOffset?: number;
}

const MAX_DEPTH = 32;

/**
 * Parse a `.BTF` section.
 * @param b the section bytes
 * @param file file name for errors
 * @throws FormatError when the header, type table or string table is malformed.
 */
export function parseBtf(b: Uint8Array, file: string): Btf {
  const loc = `${file}: section '.BTF'`;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number, what: string) => {
    if (o + 4 > b.length) throw new FormatError(loc, `truncated: ${what} at offset ${o}`);
    return dv.getUint32(o, true);
  };
  if (b.length < 24) throw new FormatError(loc, `truncated: header needs 24 bytes, section has ${b.length}`);
  const magic = dv.getUint16(0, true);
  if (magic !== 0xeb9f) throw new FormatError(loc, `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  const hdrLen = u32(4, "hdr_len");
  if (hdrLen < 24 || hdrLen > b.length) throw new FormatError(loc, `hdr_len ${hdrLen} is out of range`);
  const typeOff = u32(8, "type_off"), typeLen = u32(12, "type_len");
  const strOff = u32(16, "str_off"), strLen = u32(20, "str_len");
  const tStart = hdrLen + typeOff, tEnd = tStart + typeLen;
  const sStart = hdrLen + strOff, sEnd = sStart + strLen;
  if (tEnd > b.length) throw new FormatError(loc, `type section (offset ${tStart}, length ${typeLen}) is out of range`);
  if (sEnd > b.length) {
    throw new FormatError(loc, `string section (offset ${sStart}, length ${strLen}) is out of range`);
  }
  const str = (off: number, what: string): string => {
    if (off >= strLen) throw new FormatError(loc, `${what}: string offset ${off} is out of range (${strLen} bytes)`);
    let e = sStart + off;
    while (e < sEnd && b[e] !== 0) e++;
    if (e >= sEnd) throw new FormatError(loc, `${what}: string at offset ${off} is not terminated`);
    let s = "";
    for (let i = sStart + off; i < e; i++) s += String.fromCharCode(b[i]);
    return s;
  };
  const types: Array<BtfType | undefined> = [undefined];
  let o = tStart;
  while (o < tEnd) {
    const id = types.length;
    if (o + 12 > tEnd) throw new FormatError(loc, `type ${id}: truncated at offset ${o}`);
    const nameOff = dv.getUint32(o, true), info = dv.getUint32(o + 4, true), st = dv.getUint32(o + 8, true);
    const vlen = info & 0xffff, kind = (info >>> 24) & 0x1f;
    const t: BtfType = { id, kind, name: str(nameOff, `type ${id} name`), sizeOrType: st, members: [], vlen };
    o += 12;
    let extra = 0;
    switch (kind) {
      case KIND.INT:
      case KIND.VAR:
      case KIND.DECL_TAG:
        extra = 4;
        break;
      case KIND.ARRAY:
        extra = 12;
        break;
      case KIND.STRUCT:
      case KIND.UNION:
      case KIND.DATASEC:
      case KIND.ENUM64:
        extra = 12 * vlen;
        break;
      case KIND.ENUM:
      case KIND.FUNC_PROTO:
        extra = 8 * vlen;
        break;
      case KIND.PTR:
      case KIND.FWD:
      case KIND.TYPEDEF:
      case KIND.VOLATILE:
      case KIND.CONST:
      case KIND.RESTRICT:
      case KIND.FUNC:
      case KIND.FLOAT:
      case KIND.TYPE_TAG:
        break;
      default:
        throw new FormatError(loc, `type ${id}: unknown kind ${kind}`);
    }
    if (o + extra > tEnd) throw new FormatError(loc, `type ${id}: truncated (kind ${kind}, ${extra} more bytes)`);
    if (kind === KIND.ARRAY) {
      t.array = { type: dv.getUint32(o, true), nelems: dv.getUint32(o + 8, true) };
    } else if (kind === KIND.STRUCT || kind === KIND.UNION) {
      for (let k = 0; k < vlen; k++) {
        const m = o + 12 * k;
        t.members.push({
          name: str(dv.getUint32(m, true), `type ${id} member ${k} name`),
          type: dv.getUint32(m + 4, true),
          offset: dv.getUint32(m + 8, true),
          size: 0,
        });
      }
    } else if (kind === KIND.FUNC_PROTO) {
      t.params = [];
      for (let k = 0; k < vlen; k++) {
        const m = o + 8 * k;
        t.params.push({
          name: str(dv.getUint32(m, true), `type ${id} param ${k} name`),
          type: dv.getUint32(m + 4, true),
        });
      }
    } else if (kind === KIND.DECL_TAG) {
      t.componentIdx = dv.getInt32(o, true);
    } else if (kind === KIND.DATASEC) {
      for (let k = 0; k < vlen; k++) {
        const m = o + 12 * k;
        t.members.push({
          name: "",
          type: dv.getUint32(m, true),
          offset: dv.getUint32(m + 4, true),
          size: dv.getUint32(m + 8, true),
        });
      }
    }
    o += extra;
    types.push(t);
  }
  return { types, strings: b.subarray(sStart, sEnd) };
}

function typeOf(btf: Btf, id: number, loc: string, what: string): BtfType {
  const t = id > 0 ? btf.types[id] : undefined;
  if (!t) throw new FormatError(loc, `${what}: type id ${id} does not exist (${btf.types.length - 1} types)`);
  return t;
}

/** Skip typedef/volatile/const/restrict/type_tag modifiers. */
function skipMods(btf: Btf, id: number, loc: string, what: string): BtfType {
  for (let d = 0; d < MAX_DEPTH; d++) {
    const t = typeOf(btf, id, loc, what);
    if (
      t.kind !== KIND.TYPEDEF && t.kind !== KIND.VOLATILE && t.kind !== KIND.CONST && t.kind !== KIND.RESTRICT &&
      t.kind !== KIND.TYPE_TAG
    ) return t;
    id = t.sizeOrType;
  }
  throw new FormatError(loc, `${what}: type chain is deeper than ${MAX_DEPTH}`);
}

/** The byte size of a BTF type. */
export function btfTypeSize(btf: Btf, id: number, loc: string, what: string, depth = 0): number {
  if (depth > MAX_DEPTH) throw new FormatError(loc, `${what}: type chain is deeper than ${MAX_DEPTH}`);
  const t = skipMods(btf, id, loc, what);
  switch (t.kind) {
    case KIND.INT:
    case KIND.STRUCT:
    case KIND.UNION:
    case KIND.ENUM:
    case KIND.ENUM64:
    case KIND.FLOAT:
    case KIND.DATASEC:
      return t.sizeOrType;
    case KIND.PTR:
      return 8;
    case KIND.ARRAY:
      return t.array!.nelems * btfTypeSize(btf, t.array!.type, loc, what, depth + 1);
  }
  throw new FormatError(loc, `${what}: type ${t.id} (kind ${t.kind}) has no size`);
}

/**
 * The map definitions of the `.maps` DATASEC (empty when there is none).
 * `__uint(name, N)` members are pointers to arrays of N elements;
 * `__type(key, T)` members are pointers to T.
 */
export function btfMapDefs(btf: Btf, file: string): BtfMapDef[] {
  const loc = `${file}: section '.BTF'`;
  const sec = btf.types.find((t) => t?.kind === KIND.DATASEC && t.name === ".maps");
  if (!sec) return [];
  const out: BtfMapDef[] = [];
  for (const v of sec.members) {
    const vt = typeOf(btf, v.type, loc, ".maps entry");
    if (vt.kind !== KIND.VAR) throw new FormatError(loc, `.maps entry type ${vt.id} is not a VAR (kind ${vt.kind})`);
    const what = `map '${vt.name}'`;
    const st = skipMods(btf, vt.sizeOrType, loc, what);
    if (st.kind !== KIND.STRUCT) throw new FormatError(loc, `${what}: definition is not a struct (kind ${st.kind})`);
    const d: BtfMapDef = {
      name: vt.name,
      offset: v.offset,
      type: 0,
      keySize: 0,
      valueSize: 0,
      maxEntries: 0,
      flags: 0,
    };
    for (const m of st.members) {
      const mw = `${what} member '${m.name}'`;
      const uint = () => {
        const p = skipMods(btf, m.type, loc, mw);
        if (p.kind !== KIND.PTR) throw new FormatError(loc, `${mw}: not a __uint() (pointer to array) member`);
        const a = skipMods(btf, p.sizeOrType, loc, mw);
        if (a.kind !== KIND.ARRAY) throw new FormatError(loc, `${mw}: not a __uint() (pointer to array) member`);
        return a.array!.nelems;
      };
      const pointee = () => {
        const p = skipMods(btf, m.type, loc, mw);
        if (p.kind !== KIND.PTR) throw new FormatError(loc, `${mw}: not a __type() (pointer) member`);
        return btfTypeSize(btf, p.sizeOrType, loc, mw);
      };
      switch (m.name) {
        case "type":
          d.type = uint();
          break;
        case "key_size":
          d.keySize = uint();
          break;
        case "value_size":
          d.valueSize = uint();
          break;
        case "max_entries":
          d.maxEntries = uint();
          break;
        case "map_flags":
          d.flags = uint();
          break;
        case "key":
          d.keySize = pointee();
          break;
        case "value":
          d.valueSize = pointee();
          break;
        case "values":
          d.valuesOffset = m.offset / 8; // struct member offsets are in bits
          break;
      }
    }
    out.push(d);
  }
  return out;
}
