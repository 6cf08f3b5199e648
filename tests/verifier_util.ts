// Helpers shared by the verifier tests: short builders and program makers.
import { type Insn, mapDef, Program } from "../core/isa/mod.ts";
import {
  BPF_ADD,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_JEQ,
  BPF_JMP_IMM,
  BPF_LD_MAP_FD,
  BPF_MOV64_REG,
  BPF_ST_MEM,
} from "../core/isa/mod.ts";
import { BPF_ALU64_IMM } from "../core/isa/mod.ts";

/** A program; `map` adds one map (3.18: UNSPEC, 3.19: HASH, key 8, value 8) with fixups at `fixups`. */
export function prog(
  insns: Array<Insn | Insn[]>,
  o: {
    fixups?: number[];
    map?: { type: number; keySize: number; valueSize: number };
    progType?: number;
    license?: string;
  } = {},
): Program {
  const m = o.map ?? { type: 0, keySize: 8, valueSize: 8 };
  return Program.fromInsns(insns, {
    maps: o.fixups ? [mapDef({ ...m, maxEntries: 1024 })] : [],
    fixups: (o.fixups ?? []).map((s) => [s, 0] as [number, number]),
    progType: o.progType,
    license: o.license,
  });
}

/** `*(u64*)(fp-8) = 0; r2 = fp-8; r1 = map; call helper` (slots 0..5; the map load at slot 3). */
export function lookupPrologue(helper: number): Array<Insn | Insn[]> {
  return [
    BPF_ST_MEM(BPF_DW, 10, -8, 0),
    BPF_MOV64_REG(2, 10),
    BPF_ALU64_IMM(BPF_ADD, 2, -8),
    BPF_LD_MAP_FD(1, 0),
    BPF_EMIT_CALL(helper),
  ];
}

/** `if r0 == 0 goto +off` */
export function ifR0Zero(off: number): Insn {
  return BPF_JMP_IMM(BPF_JEQ, 0, 0, off);
}
