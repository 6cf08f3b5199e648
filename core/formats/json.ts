/**
 * The JSON program format (see the project reference `program-format.md`):
 * `{prog_type, license, maps, insns, fixup}`, or a bare array of slots.
 *
 * A slot is `[code, dst, src, off, imm]`, a string of 16 hex digits (the raw
 * little-endian bytes), or an object `{code, dst, src, off, imm}` (fields
 * other than `code` default to 0). `imm` may be signed or unsigned 32-bit.
 * Unknown keys are ignored. Every error names the slot or field.
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import { MAP_TYPES, mapTypeName, PROG_TYPES, progTypeName } from "../isa/opcodes.ts";
import { type Insn, type MapDef, Program } from "../isa/program.ts";
import { MAX_SLOTS } from "./raw.ts";

type Json = unknown;

function describe(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "..." : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class Ctx {
  constructor(readonly name: string) {}
  fail(path: string, msg: string): never {
    throw new FormatError(path ? `${this.name}: ${path}` : this.name, msg);
  }
  int(path: string, field: string, v: Json, min: number, max: number): number {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.fail(path, `${field} must be an integer, found ${describe(v)}`);
    }
    if (v < min || v > max) this.fail(path, `${field} ${v} is out of range (${min}..${max})`);
    return v;
  }
  hex(path: string, v: Json): Uint8Array {
    if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v)) {
      this.fail(path, `expected a string of hex byte pairs, found ${describe(v)}`);
    }
    const b = new Uint8Array(v.length / 2);
    for (let k = 0; k < b.length; k++) b[k] = parseInt(v.slice(2 * k, 2 * k + 2), 16);
    return b;
  }
}

const FIELDS: ReadonlyArray<[keyof Insn, number, number]> = [
  ["code", 0, 255],
  ["dst", 0, 15],
  ["src", 0, 15],
  ["off", -32768, 32767],
  ["imm", -0x80000000, 0xffffffff],
];

function slot(c: Ctx, path: string, v: Json): Insn {
  if (Array.isArray(v)) {
    if (v.length !== 5) {
      c.fail(
        path,
        `expected 5 integers [code, dst, src, off, imm], found ${v.length} element${v.length === 1 ? "" : "s"}`,
      );
    }
    const x = [0, 0, 0, 0, 0];
    for (let k = 0; k < 5; k++) x[k] = c.int(path, FIELDS[k][0], v[k], FIELDS[k][1], FIELDS[k][2]);
    return { code: x[0], dst: x[1], src: x[2], off: x[3], imm: x[4] | 0 };
  }
  if (typeof v === "string") {
    if (!/^[0-9a-fA-F]{16}$/.test(v)) c.fail(path, `a string slot must be 16 hex digits, found ${describe(v)}`);
    const b = c.hex(path, v);
    const dv = new DataView(b.buffer);
    return { code: b[0], dst: b[1] & 15, src: b[1] >> 4, off: dv.getInt16(2, true), imm: dv.getInt32(4, true) };
  }
  if (isObject(v)) {
    if (!("code" in v)) c.fail(path, "slot object has no 'code'");
    const x: Insn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
    for (const [f, min, max] of FIELDS) if (v[f] !== undefined) x[f] = c.int(path, f, v[f], min, max);
    x.imm |= 0;
    return x;
  }
  c.fail(path, `expected a slot ([code, dst, src, off, imm], 16 hex digits or an object), found ${describe(v)}`);
}

function typeNumber(c: Ctx, path: string, v: Json, table: Readonly<Record<string, number>>, what: string): number {
  if (typeof v === "string") {
    if (!Object.hasOwn(table, v)) c.fail(path, `unknown ${what} ${JSON.stringify(v)}`);
    return table[v];
  }
  if (typeof v === "number") return c.int(path, what, v, 0, 0xffffffff);
  c.fail(path, `${what} must be a name or a number, found ${describe(v)}`);
}

/** Most maps one program may use (the kernel's `MAX_USED_MAPS`). */
export const MAX_USED_MAPS = 64;

function maps(c: Ctx, v: Json): MapDef[] {
  if (!Array.isArray(v)) c.fail("maps", `expected an array, found ${describe(v)}`);
  if (v.length > MAX_USED_MAPS) {
    c.fail(
      "maps",
      `${v.length} maps declared; a program can use at most ${MAX_USED_MAPS} (the kernel's MAX_USED_MAPS)`,
    );
  }
  return v.map((m, i) => {
    const path = `maps[${i}]`;
    if (!isObject(m)) c.fail(path, `expected an object, found ${describe(m)}`);
    let name = `map${i}`;
    if (m.name !== undefined) {
      if (typeof m.name !== "string") c.fail(`${path}.name`, `expected a string, found ${describe(m.name)}`);
      name = m.name;
    }
    if (m.type === undefined) c.fail(path, "missing 'type'");
    const type = typeNumber(c, `${path}.type`, m.type, MAP_TYPES, "map type");
    const u32 = (k: string, dflt?: number): number => {
      if (m[k] === undefined) {
        if (dflt !== undefined) return dflt;
        c.fail(path, `missing '${k}'`);
      }
      return c.int(`${path}.${k}`, k, m[k], 0, 0xffffffff);
    };
    const def: MapDef = {
      name,
      type,
      keySize: u32("key_size"),
      valueSize: u32("value_size"),
      maxEntries: u32("max_entries"),
      flags: u32("flags", 0),
      init: [],
    };
    if (m.init !== undefined) {
      if (!Array.isArray(m.init)) c.fail(`${path}.init`, `expected an array, found ${describe(m.init)}`);
      m.init.forEach((e, k) => {
        const ep = `${path}.init[${k}]`;
        if (!Array.isArray(e) || e.length !== 2) c.fail(ep, `expected [key_hex, value_hex], found ${describe(e)}`);
        const key = c.hex(`${ep}[0]`, e[0]);
        const value = c.hex(`${ep}[1]`, e[1]);
        if (key.length !== def.keySize) c.fail(`${ep}[0]`, `key is ${key.length} bytes, key_size is ${def.keySize}`);
        if (value.length !== def.valueSize) {
          c.fail(`${ep}[1]`, `value is ${value.length} bytes, value_size is ${def.valueSize}`);
        }
        def.init.push([key, value]);
      });
    }
    return def;
  });
}

/**
 * Decode a JSON program.
 * @param text the file's text
 * @param name the file name, for error locations
 * @throws FormatError naming the slot or field for any problem.
 */
export function decodeJson(text: string, name: string): Program {
  const c: Ctx = new Ctx(name);
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    c.fail("", `invalid JSON: ${(e as Error).message}`);
  }
  let insns: Json;
  let top: Record<string, Json> = {};
  if (Array.isArray(doc)) insns = doc;
  else if (isObject(doc)) {
    top = doc;
    if (!("insns" in doc)) c.fail("", "missing 'insns'");
    insns = doc.insns;
  } else c.fail("", `expected an object with 'insns' or an array of slots, found ${describe(doc)}`);
  if (!Array.isArray(insns)) c.fail("insns", `expected an array of slots, found ${describe(insns)}`);
  if (insns.length === 0) c.fail("insns", "the program has no instructions");
  if (insns.length > MAX_SLOTS) c.fail("insns", `${insns.length} slots is more than the limit of ${MAX_SLOTS}`);
  const p = new Program(new Uint8Array(insns.length * 8), {
    maps: top.maps === undefined ? [] : maps(c, top.maps),
    fixups: [],
    progType: top.prog_type === undefined
      ? PROG_TYPES.unspec
      : typeNumber(c, "prog_type", top.prog_type, PROG_TYPES, "program type"),
    license: top.license === undefined
      ? "GPL"
      : typeof top.license === "string"
      ? top.license
      : c.fail("license", `expected a string, found ${describe(top.license)}`),
    origin: { file: name },
  });
  for (let i = 0; i < insns.length; i++) p.setInsn(i, slot(c, `insns[${i}]`, insns[i]));
  if (top.fixup !== undefined) {
    if (!Array.isArray(top.fixup)) {
      c.fail("fixup", `expected an array of [slot, map_index], found ${describe(top.fixup)}`);
    }
    top.fixup.forEach((f, k) => {
      const path = `fixup[${k}]`;
      if (!Array.isArray(f) || f.length !== 2) c.fail(path, `expected [slot, map_index], found ${describe(f)}`);
      const s = c.int(path, "slot", f[0], 0, p.len - 1);
      const m = c.int(path, "map index", f[1], 0, Math.max(0, p.maps.length - 1));
      if (p.maps.length === 0) c.fail(path, "refers to a map, but the program declares no maps");
      p.fixups.push([s, m]);
    });
  }
  return p;
}

function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * Encode a program in the JSON format: one slot per line, map types and the
 * program type by name when they have one, imm signed.
 */
export function encodeJson(p: Program): string {
  const out: string[] = ["{"];
  out.push(`  "prog_type": ${JSON.stringify(nameOrNumber(progTypeName(p.progType)))},`);
  out.push(`  "license": ${JSON.stringify(p.license)},`);
  const ms = p.maps.map((m) => {
    const o: Record<string, unknown> = {
      name: m.name,
      type: nameOrNumber(mapTypeName(m.type)),
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
    };
    if (m.flags) o.flags = m.flags;
    if (m.init.length) o.init = m.init.map(([k, v]) => [hex(k), hex(v)]);
    return "    " + JSON.stringify(o);
  });
  out.push(ms.length ? `  "maps": [\n${ms.join(",\n")}\n  ],` : `  "maps": [],`);
  const slots: string[] = [];
  for (let i = 0; i < p.len; i++) slots.push(`    [${p.code(i)}, ${p.dst(i)}, ${p.src(i)}, ${p.off(i)}, ${p.imm(i)}]`);
  out.push(`  "insns": [\n${slots.join(",\n")}\n  ],`);
  out.push(`  "fixup": [${p.fixups.map(([s, m]) => `[${s}, ${m}]`).join(", ")}]`);
  out.push("}");
  return out.join("\n") + "\n";
}

function nameOrNumber(s: string): string | number {
  return /^\d+$/.test(s) ? Number(s) : s;
}
