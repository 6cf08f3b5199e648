/**
 * The `global` stage of the kernel comparison: issue 12's generator
 * (tests/gen6/gen.ts) with bpf-to-bpf calls, its subprogram made a global
 * function (tests/fuzz/targets.ts `withGlobalSubprog`: odd seeds `int
 * sub(long a, __u64 *p __arg_nonnull)`, which fits it; even seeds one of
 * four prototypes that do not: p maybe NULL, p a long, p a 16-byte struct,
 * a third int argument).
 * The spec carries the BTF as the kernel takes it (`BPF_BTF_LOAD` bytes,
 * hex) and the func_info records (`[insn_off, type_id]`); batch.py loads
 * them with the program, and run.ts gives bpfscope the same BTF read back
 * with core/elf/btf.ts.
 *
 * @module
 */
import { encodeJson } from "../../core/formats/mod.ts";
import { parseBtf } from "../../core/elf/btf.ts";
import type { BtfTypeInfo, ProgramBtf } from "../../core/isa/mod.ts";
import { generate6 } from "../gen6/gen.ts";
import { globalFuncInfo, withGlobalSubprog } from "../fuzz/targets.ts";
import type { Spec } from "./alu_gen.ts";

/** A spec with BTF: hex of the `.BTF` bytes and `[insn_off, type_id]` func_info records. */
export interface BtfSpec extends Spec {
  /** The BTF blob (hex). */
  btf: string;
  /** func_info records. */
  func_info: Array<[number, number]>;
}

const KIND_INT = 1, KIND_STRUCT = 4, KIND_FUNC_PROTO = 13, KIND_DECL_TAG = 17;

/**
 * Encode BTF types (index 0: void) as a `.BTF` blob: header, type section,
 * string section. Handles the kinds withGlobalSubprog uses (INT, PTR,
 * STRUCT without members, FUNC_PROTO, FUNC, DECL_TAG).
 */
export function encodeBtf(types: ReadonlyArray<BtfTypeInfo | undefined>): Uint8Array {
  const strs: number[] = [0];
  const strOff = new Map<string, number>([["", 0]]);
  const str = (s: string): number => {
    let o = strOff.get(s);
    if (o === undefined) {
      o = strs.length;
      strOff.set(s, o);
      for (const c of new TextEncoder().encode(s)) strs.push(c);
      strs.push(0);
    }
    return o;
  };
  const words: number[] = [];
  for (const t of types.slice(1)) {
    if (!t) throw new Error("encodeBtf: a hole in the type table");
    const vlen = t.kind === KIND_FUNC_PROTO ? t.params?.length ?? 0 : t.vlen;
    words.push(str(t.name), ((t.kind << 24) | (vlen & 0xffff)) >>> 0, t.sizeOrType);
    if (t.kind === KIND_INT) words.push(t.sizeOrType * 8); // encoding 0, offset 0, nr_bits
    else if (t.kind === KIND_STRUCT && t.vlen) throw new Error("encodeBtf: struct members are not supported");
    else if (t.kind === KIND_FUNC_PROTO) { for (const p of t.params ?? []) words.push(str(p.name), p.type); }
    else if (t.kind === KIND_DECL_TAG) words.push((t.componentIdx ?? -1) >>> 0);
  }
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1; // version
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true); // str_off
  dv.setUint32(20, strs.length, true);
  words.forEach((w, i) => dv.setUint32(24 + 4 * i, w, true));
  out.set(strs, 24 + typeLen);
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Seed -> a generated program with a global subprogram (the next seed with a call when this one has none). */
export function globalProgram(seed: number): BtfSpec {
  for (let s = seed;; s += 1_000_003) {
    // one prototype in two fits the subprogram; the others are wrong in a way of their own (withGlobalSubprog)
    const g = withGlobalSubprog(generate6(s, { calls: 3 }).prog, seed % 2 ? 0 : 1 + (seed >> 1) % 4);
    if (!g?.btf?.types) continue;
    const spec = JSON.parse(encodeJson(g)) as Spec;
    return {
      ...spec,
      btf: hex(encodeBtf(g.btf.types)),
      func_info: g.btf.funcInfo.map((f) => [f.insnOff, f.typeId]),
    };
  }
}

/** The ProgramBtf of a spec's BTF, as bpfscope's loader would give it (null without BTF). */
export function specBtf(spec: Spec): ProgramBtf | null {
  const s = spec as Partial<BtfSpec>;
  if (!s.btf || !s.func_info) return null;
  const bytes = new Uint8Array(s.btf.match(/../g)!.map((h) => parseInt(h, 16)));
  const btf = parseBtf(bytes, "spec");
  const funcInfo = s.func_info.map(([off, id]) => {
    const f = globalFuncInfo(off, id, btf.types[id]?.name ?? "");
    f.linkage = btf.types[id]?.vlen ?? 0;
    return f;
  });
  return { funcInfo, lineInfo: [], types: btf.types };
}
