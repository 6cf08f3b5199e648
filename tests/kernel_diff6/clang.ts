/**
 * The `clang` stage of the kernel comparison: every program of the
 * clang-built objects in tests/fixtures (packet parsers, a bounded loop,
 * bpf-to-bpf calls, global data, map helpers) and tests/fixtures/kernlog
 * (32 C programs built for the v1 and v3 ISAs), read by bpfscope's ELF
 * loader and given to both verifiers as the same JSON program (maps by
 * fixup; global data as array maps with their initial value; no BTF, so no
 * func/line info and no global-function verification; objects with kfunc
 * calls are skipped, see {@link CLANG_SKIPPED}). Seed i is program
 * i modulo the number of programs; {@link CLANG_PROGRAMS} names them.
 *
 * @module
 */
import { parseElf } from "../../core/elf/loader.ts";
import { encodeJson } from "../../core/formats/mod.ts";
import { FormatError } from "../../core/errors.ts";
import type { Spec } from "./alu_gen.ts";

const DIRS = ["../fixtures/", "../fixtures/kernlog/"];

/** Objects bpfscope's ELF loader refuses (kfunc calls), with the reason. */
export const CLANG_SKIPPED: Array<{ file: string; reason: string }> = [];

function collect(): Array<{ name: string; spec: Spec }> {
  const out: Array<{ name: string; spec: Spec }> = [];
  for (const d of DIRS) {
    const dir = new URL(d, import.meta.url);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".o")).sort();
    for (const f of files) {
      let obj;
      try {
        obj = parseElf(Deno.readFileSync(new URL(f, dir)), f);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        CLANG_SKIPPED.push({ file: f, reason: e.message });
        continue;
      }
      for (const p of obj.programs) {
        out.push({
          name: `${d.replace("../fixtures/", "")}${f}:${p.section}`,
          spec: JSON.parse(encodeJson(p.program)),
        });
      }
    }
  }
  return out;
}

/** The programs, in directory, file and section order. */
export const CLANG_PROGRAMS: ReadonlyArray<{ name: string; spec: Spec }> = collect();

/** Seed -> one of the programs. */
export function clangProgram(seed: number): Spec {
  return CLANG_PROGRAMS[seed % CLANG_PROGRAMS.length].spec;
}
