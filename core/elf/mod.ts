/**
 * eBPF ELF objects, as `clang -O2 -target bpf -c prog.c -o prog.o` produces
 * them: programs by executable section, maps (legacy `maps` section,
 * BTF-defined `.maps`, global data), relocations and the license.
 *
 * @example
 * ```ts ignore
 * import { loadElfProgram, parseElf } from "./mod.ts";
 * const bytes = Deno.readFileSync("prog.o");
 * const obj = parseElf(bytes, "prog.o");
 * for (const p of obj.programs) console.log(p.section, p.program.len);
 * const prog = loadElfProgram(bytes, "prog.o", { section: "xdp" });
 * ```
 *
 * @module
 */
export {
  type ElfLoadOptions,
  type ElfMap,
  type ElfObject,
  type ElfProgramEntry,
  type ElfProgramOptions,
  elfPrograms,
  type ElfRelocation,
  loadElfProgram,
  type MapDeclaration,
  parseElf,
  progTypeOfSection,
  type RelocationKind,
} from "./loader.ts";
export { EM_BPF, R_BPF_64_32, R_BPF_64_64 } from "./elf.ts";
