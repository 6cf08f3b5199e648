/**
 * `bpfscope inspect FILE.o`: list the programs, maps and relocations of an
 * eBPF ELF object.
 *
 * @module
 */
import type { Command } from "commander";
import { FormatError } from "../core/errors.ts";
import { mapTypeName, progTypeName } from "../core/isa/opcodes.ts";
import { type ElfObject, parseElf } from "../core/elf/mod.ts";
import { CliError, readFileOrDie, writeStdout } from "./util.ts";
import { isElf } from "../core/formats/mod.ts";

/** Options of `bpfscope inspect`. */
export interface InspectCliOptions {
  /** One JSON object instead of text. */
  json?: boolean;
}

/** The JSON form of an object's contents (what `inspect --json` prints). */
export function inspectRecord(obj: ElfObject): Record<string, unknown> {
  return {
    file: obj.name,
    license: obj.license,
    programs: obj.programs.map((p) => ({
      section: p.section,
      insns: p.program.len,
      section_insns: p.sectionInsns,
      prog_type: progTypeName(p.program.progType),
      maps: p.program.maps.map((m) => m.name),
      func_info: p.program.btf?.funcInfo.length ?? 0,
      line_info: p.program.btf?.lineInfo.length ?? 0,
    })),
    btf_ignored: obj.btfIgnored ?? null,
    maps: obj.maps.map((m) => ({
      name: m.name,
      type: mapTypeName(m.def.type),
      key_size: m.def.keySize,
      value_size: m.def.valueSize,
      max_entries: m.def.maxEntries,
      flags: m.def.flags,
      declared: m.declared,
      section: m.section,
    })),
    relocations: obj.relocations.map((r) => ({
      section: r.section,
      offset: r.offset,
      insn: r.insn,
      type: r.typeName,
      symbol: r.symbol,
      kind: r.kind,
      target: r.target,
    })),
  };
}

/** The text report of `bpfscope inspect`. */
export function inspectText(obj: ElfObject): string {
  const out: string[] = [];
  out.push(`${obj.name}: license ${JSON.stringify(obj.license)}`);
  out.push(`programs (${obj.programs.length}):`);
  for (const p of obj.programs) {
    const extra = p.program.len !== p.sectionInsns ? ` (${p.sectionInsns} in section + called functions)` : "";
    // BTF func/line info: what gives the 6.18 profile's log its '; source' lines
    const btf = p.program.btf;
    const info = btf ? `  BTF: ${btf.funcInfo.length} func_info, ${btf.lineInfo.length} line_info` : "";
    out.push(
      `  ${p.section.padEnd(20)} ${String(p.program.len).padStart(5)} insns${extra}  ${
        progTypeName(p.program.progType)
      }${info}`,
    );
  }
  if (obj.btfIgnored) out.push(`  BTF ignored: ${obj.btfIgnored}`);
  out.push(`maps (${obj.maps.length}):`);
  for (const m of obj.maps) {
    const d = m.def;
    out.push(
      `  ${m.name.padEnd(20)} ${
        mapTypeName(d.type).padEnd(10)
      } key ${d.keySize} value ${d.valueSize} max ${d.maxEntries}` +
        ` flags 0x${d.flags.toString(16)}  ${m.declared} (${m.section})`,
    );
  }
  out.push(`relocations (${obj.relocations.length}):`);
  for (const r of obj.relocations) {
    out.push(
      `  ${r.section}+0x${r.offset.toString(16)} (insn ${r.insn})`.padEnd(30) +
        ` ${r.typeName.padEnd(12)} ${r.symbol.padEnd(16)} ${r.kind} ${r.target}`,
    );
  }
  return out.join("\n") + "\n";
}

/** Register `bpfscope inspect FILE.o [--json]`. */
export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("list the programs, maps and relocations of an eBPF ELF object (clang -target bpf -c)")
    .argument("<file>", "ELF object file")
    .option("--json", "one JSON object: file, license, programs, maps, relocations")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope inspect prog.o                   programs (section, insns, type), maps, relocations
  bpfscope disasm --section xdp prog.o      disassemble one program of it
  bpfscope run --section socket1 --data 00 prog.o`,
    )
    .action((file: string, o: InspectCliOptions) => {
      const bytes = readFileOrDie(file);
      let obj: ElfObject;
      try {
        obj = parseElf(bytes, file);
      } catch (e) {
        if (e instanceof FormatError) {
          // a JSON, raw or asm program is not an object: say which command shows it
          const other = !isElf(bytes) && bytes.length > 0
            ? "; inspect reads ELF objects (disasm shows other programs)"
            : "";
          throw new CliError(e.message + other, 1);
        }
        throw e;
      }
      writeStdout(o.json ? JSON.stringify(inspectRecord(obj)) + "\n" : inspectText(obj));
    });
}
