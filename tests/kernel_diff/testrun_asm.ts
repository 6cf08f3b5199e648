/**
 * Test-run cases written in bpfscope's assembly: each program's text may use
 * `map[NAME]` for the case's maps (declared for it from the case's list, so
 * the program's map indexes are the case's).
 *
 * @module
 */
import { assemble } from "../../core/asm/mod.ts";
import type { CaseMap, CaseStep, TestRunCase } from "./testrun_case.ts";

/** A case with programs as assembly text. */
export interface AsmCase {
  id: string;
  maps?: CaseMap[];
  progs: Array<{ name?: string; type: string; asm: string }>;
  prog_array?: Array<[number, number, number]>;
  steps: CaseStep[];
  trace?: boolean;
}

/** The case of `a`, programs assembled. @throws FormatError for bad assembly */
export function asmCase(a: AsmCase): TestRunCase {
  const maps = a.maps ?? [];
  const decl = maps.map((m, i) =>
    `.map ${m.name ?? `m${i}`} ${m.type} key=${m.key_size} value=${m.value_size} max=${m.max_entries} flags=${
      m.flags ?? 0
    }`
  ).join("\n");
  return {
    id: a.id,
    maps: maps.map((m, i) => ({ ...m, name: m.name ?? `m${i}` })),
    progs: a.progs.map((p) => {
      const prog = assemble(`${decl}\n${p.asm}`, { file: `${a.id}/${p.name ?? "prog"}` });
      return {
        name: p.name,
        prog_type: p.type,
        insns: prog.insns().map((x) => [x.code, x.dst, x.src, x.off, x.imm]),
        fixup: prog.fixups,
      };
    }),
    prog_array: a.prog_array,
    steps: a.steps,
    trace: a.trace,
  };
}
