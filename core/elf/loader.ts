/**
 * Loading clang-compiled eBPF objects (`clang -O2 -target bpf -c`) into
 * {@link Program}s: programs by executable section, maps from the legacy
 * `maps` section, BTF-defined `.maps` and global data sections, relocations
 * applied as libbpf applies them.
 *
 * @module
 */
import { FormatError } from "../errors.ts";
import {
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  MAP_TYPES,
  PROG_TYPES,
} from "../isa/opcodes.ts";
import { type MapDef, Program } from "../isa/program.ts";
import { type Btf, btfMapDefs, parseBtf } from "./btf.ts";
import { type BtfExt, parseBtfExt, programBtf } from "./btf_ext.ts";
import {
  type ElfFile,
  type ElfRel,
  type ElfSection,
  type ElfSymbol,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS64,
  readElf,
  readRels,
  sectionBytes,
  SHF_EXECINSTR,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  STT_FUNC,
  STT_SECTION,
} from "./elf.ts";

/** How a map was declared in the object. */
export type MapDeclaration = "legacy" | "btf" | "data";

/** A map of the object. */
export interface ElfMap {
  /** Map name: the symbol (legacy, BTF) or the section name (global data). */
  name: string;
  /** Its definition (global data: a one-entry array holding the section bytes). */
  def: MapDef;
  /** `legacy` (`maps` section, `struct bpf_map_def`), `btf` (`.maps`), `data` (`.data`/`.rodata`/`.bss`). */
  declared: MapDeclaration;
  /** Section the map lives in. */
  section: string;
  /**
   * A BTF prog_array's initial slots (`__array(values, ...)` with
   * `.values = { [i] = &prog }`, as libbpf fills them at load): slot index
   * and the program's section.
   */
  slots?: Array<{ index: number; section: string; symbol: string }>;
}

/** What a code relocation does. */
export type RelocationKind = "map" | "data" | "call" | "func";

/** A relocation in an executable section. */
export interface ElfRelocation {
  /** The executable section it patches. */
  section: string;
  /** Byte offset in that section. */
  offset: number;
  /** Instruction index in that section (`offset / 8`). */
  insn: number;
  /** Relocation type number. */
  type: number;
  /** Relocation type name (`R_BPF_64_64`, `R_BPF_64_32`). */
  typeName: string;
  /** Symbol name (section symbols: the section's name). */
  symbol: string;
  /** What it resolves to. */
  kind: RelocationKind;
  /**
   * Map name (`map`/`data`), or `section+insn` of the callee (`call`) or of
   * the function whose address an LD_IMM64 loads (`func`: a callback).
   */
  target: string;
}

/** A program of the object: one executable section, with called `.text` functions appended. */
export interface ElfProgramEntry {
  /** Program name: the section name. */
  name: string;
  /** Section name. */
  section: string;
  /**
   * The program's function: the `STT_FUNC` symbol at the start of its
   * section (libbpf's program name, veristat's "Program"); the section name
   * when there is none.
   */
  func: string;
  /** Slots in the section itself (before appending subprograms). */
  sectionInsns: number;
  /** The linked program. */
  program: Program;
}

/** A parsed eBPF object. */
export interface ElfObject {
  /** File name. */
  name: string;
  /** Programs, in section order. */
  programs: ElfProgramEntry[];
  /** Maps, in declaration order: legacy, BTF-defined, global data. */
  maps: ElfMap[];
  /** Relocations of executable sections, in section order. */
  relocations: ElfRelocation[];
  /** The `license` section's string ("" when there is none). */
  license: string;
  /**
   * Why the object's BTF func/line info is not passed with its programs
   * when it has some but it is malformed (libbpf too ignores a bad
   * `.BTF.ext`, or a bad `.BTF` without BTF-defined maps, and goes on).
   */
  btfIgnored?: string;
}

/** Options of {@link parseElf} and {@link loadElfProgram}. */
export interface ElfLoadOptions {
  /** Program type (number or `PROG_TYPES` name) instead of the one the section name implies. */
  progType?: number | string;
  /**
   * Pass the object's BTF func_info/line_info with each program (default
   * true, as libbpf and `bpftool prog load` do when the object has
   * `.BTF.ext`); false loads without BTF, as `kbpf.py` does.
   */
  btf?: boolean;
}

/** Options of {@link loadElfProgram}. */
export interface ElfProgramOptions extends ElfLoadOptions {
  /** The section of the program to load (needed when the object has several). */
  section?: string;
}

const RELOC_NAMES: Record<number, string> = {
  0: "R_BPF_NONE",
  1: "R_BPF_64_64",
  2: "R_BPF_64_ABS64",
  3: "R_BPF_64_ABS32",
  4: "R_BPF_64_NODYLD32",
  10: "R_BPF_64_32",
};

/** libbpf's section-name prefixes, longest first within a family (sloppy prefix match, as libbpf < 1.0). */
const SECTION_TYPES: Array<[string, string]> = [
  ["socket", "socket_filter"],
  ["sk_reuseport", "sk_reuseport"],
  ["kretprobe", "kprobe"],
  ["kprobe", "kprobe"],
  ["uretprobe", "kprobe"],
  ["uprobe", "kprobe"],
  ["ksyscall", "kprobe"],
  ["kretsyscall", "kprobe"],
  ["usdt", "kprobe"],
  ["tcx", "sched_cls"],
  ["tc", "sched_cls"],
  ["classifier", "sched_cls"],
  ["action", "sched_act"],
  ["tracepoint", "tracepoint"],
  ["tp_btf", "tracing"],
  ["tp", "tracepoint"],
  ["raw_tracepoint.w", "raw_tracepoint_writable"],
  ["raw_tp.w", "raw_tracepoint_writable"],
  ["raw_tracepoint", "raw_tracepoint"],
  ["raw_tp", "raw_tracepoint"],
  ["fentry", "tracing"],
  ["fmod_ret", "tracing"],
  ["fexit", "tracing"],
  ["iter", "tracing"],
  ["freplace", "ext"],
  ["lsm", "lsm"],
  ["xdp", "xdp"],
  ["perf_event", "perf_event"],
  ["lwt_in", "lwt_in"],
  ["lwt_out", "lwt_out"],
  ["lwt_xmit", "lwt_xmit"],
  ["lwt_seg6local", "lwt_seg6local"],
  ["sockops", "sock_ops"],
  ["sk_skb", "sk_skb"],
  ["sk_msg", "sk_msg"],
  ["sk_lookup", "sk_lookup"],
  ["lirc_mode2", "lirc_mode2"],
  ["flow_dissector", "flow_dissector"],
  ["cgroup_skb", "cgroup_skb"],
  ["cgroup/skb", "cgroup_skb"],
  ["cgroup/dev", "cgroup_device"],
  ["cgroup/sysctl", "cgroup_sysctl"],
  ["cgroup/getsockopt", "cgroup_sockopt"],
  ["cgroup/setsockopt", "cgroup_sockopt"],
  ["cgroup/sock_create", "cgroup_sock"],
  ["cgroup/sock_release", "cgroup_sock"],
  ["cgroup/post_bind", "cgroup_sock"],
  ["cgroup/sock", "cgroup_sock"],
  ["cgroup/", "cgroup_sock_addr"],
  ["struct_ops", "struct_ops"],
  ["syscall", "syscall"],
  ["netfilter", "netfilter"],
];

/**
 * The program type libbpf derives from a section name (`socket*` →
 * socket_filter, `xdp` → xdp, `tc`/`classifier` → sched_cls, `kprobe/` →
 * kprobe, `tracepoint/`/`tp/` → tracepoint, ...). Names are matched by
 * prefix, as libbpf before 1.0 and samples/bpf did (`socket1` is a socket
 * filter); unknown names give `unspec` (0).
 */
export function progTypeOfSection(section: string): number {
  for (const [prefix, type] of SECTION_TYPES) if (section.startsWith(prefix)) return PROG_TYPES[type];
  return PROG_TYPES.unspec;
}

function isDataSection(s: ElfSection): boolean {
  return (s.type === SHT_PROGBITS || s.type === SHT_NOBITS) && (s.flags & SHF_EXECINSTR) === 0 &&
    /^\.(data|rodata|bss)(\..*)?$/.test(s.name);
}

interface Ctx {
  f: ElfFile;
  maps: ElfMap[];
  /** Offset of the `values` member of BTF map definitions that have one (prog_array slots), by map. */
  valuesOffset: Map<ElfMap, number>;
  /** map index by `${shndx}:${offset}` (legacy and BTF maps). */
  mapAt: Map<string, number>;
  /** data map index by section index. */
  dataMap: Map<number, number>;
  /** validated code relocations by section index, then byte offset. */
  rels: Map<number, Map<number, { rel: ElfRel; sym: ElfSymbol; info: ElfRelocation }>>;
  /** The object's BTF and `.BTF.ext`, when both are there, well-formed and wanted. */
  btf?: { btf: Btf; ext: BtfExt };
  /** Why they are ignored (malformed). */
  btfIgnored?: string;
}

function locAt(f: ElfFile, sec: string, off: number): string {
  return `${f.name}: section '${sec}' offset 0x${off.toString(16)}`;
}

/**
 * Parse an eBPF ELF object: every program, map and code relocation.
 * @param bytes the object file
 * @param name the file name (for error locations)
 * @throws FormatError for anything malformed: truncation, wrong class,
 * endianness or machine, bad offsets/sizes, string indexes out of range,
 * relocations to missing symbols, unknown relocation types.
 */
export function parseElf(bytes: Uint8Array, name: string, opts: ElfLoadOptions = {}): ElfObject {
  try {
    return parseElfInner(bytes, name, opts);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    // defensive: nothing but FormatError escapes for bad input
    throw new FormatError(name, `cannot decode ELF object: ${(e as Error)?.message ?? String(e)}`);
  }
}

function parseElfInner(bytes: Uint8Array, name: string, opts: ElfLoadOptions): ElfObject {
  const f = readElf(bytes, name);
  const ctx: Ctx = { f, maps: [], valuesOffset: new Map(), mapAt: new Map(), dataMap: new Map(), rels: new Map() };
  const byName = new Map<string, ElfSection>();
  for (const s of f.sections) if (s.index > 0 && !byName.has(s.name)) byName.set(s.name, s);

  // license
  let license = "";
  const lic = byName.get("license");
  if (lic) {
    const b = sectionBytes(f, lic);
    let e = 0;
    while (e < b.length && b[e] !== 0) e++;
    license = String.fromCharCode(...b.subarray(0, Math.min(e, 4096)));
  }

  readLegacyMaps(ctx, byName.get("maps"));
  readBtfMaps(ctx, byName.get(".maps"), byName.get(".BTF"));
  const btfIgnored = opts.btf === false ? undefined : readBtfExt(ctx, byName.get(".BTF"), byName.get(".BTF.ext"));
  if (btfIgnored) ctx.btfIgnored = btfIgnored;
  for (const s of f.sections) {
    if (s.index > 0 && isDataSection(s) && s.size > 0) {
      ctx.dataMap.set(s.index, ctx.maps.length);
      const key = new Uint8Array(4);
      ctx.maps.push({
        name: s.name,
        declared: "data",
        section: s.name,
        def: {
          name: s.name,
          type: MAP_TYPES.array,
          keySize: 4,
          valueSize: s.size,
          maxEntries: 1,
          flags: 0,
          init: [[key, sectionBytes(f, s).slice()]],
          ...(/^\.rodata(\.|$)/.test(s.name) ? { frozen: true } : {}),
        },
      });
    }
  }

  const exec = f.sections.filter((s) => s.index > 0 && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0);
  for (const s of exec) {
    if (s.type === SHT_NOBITS) throw new FormatError(`${name}: section '${s.name}'`, "executable section has no data");
    if (s.size % 8 !== 0) {
      throw new FormatError(`${name}: section '${s.name}'`, `size ${s.size} is not a multiple of 8 (one slot)`);
    }
  }
  const relocations: ElfRelocation[] = [];
  for (const rs of f.sections) {
    if (rs.type !== SHT_REL && rs.type !== SHT_RELA) continue;
    if (rs.info >= f.sections.length) {
      throw new FormatError(`${name}: section '${rs.name}'`, `sh_info ${rs.info} is not a section`);
    }
    const target = f.sections[rs.info];
    if (rs.type === SHT_REL && target.name === ".maps") {
      readMapSlots(ctx, target, rs, exec);
      continue;
    }
    if (!exec.includes(target)) continue; // debug info, BTF: not needed
    if (rs.type === SHT_RELA) {
      throw new FormatError(`${name}: section '${rs.name}'`, `RELA relocations of '${target.name}' are not supported`);
    }
    if (f.symbols.length === 0 || f.sections[rs.link]?.type !== 2) {
      throw new FormatError(`${name}: section '${rs.name}'`, `sh_link ${rs.link} is not the symbol table`);
    }
    const bySec = ctx.rels.get(target.index) ?? new Map();
    ctx.rels.set(target.index, bySec);
    for (const rel of readRels(f, rs)) {
      const info = checkRel(ctx, target, rel);
      if (bySec.has(rel.offset)) throw new FormatError(locAt(f, target.name, rel.offset), "two relocations");
      bySec.set(rel.offset, { rel, sym: f.symbols[rel.sym], info });
    }
  }
  for (const s of exec) {
    const m = ctx.rels.get(s.index);
    if (m) relocations.push(...[...m.values()].sort((a, b) => a.rel.offset - b.rel.offset).map((x) => x.info));
  }

  let progSecs = exec.filter((s) => s.name !== ".text");
  if (progSecs.length === 0) progSecs = exec;
  const programs = progSecs.map((s) => ({
    name: s.name,
    section: s.name,
    func: f.symbols.find((y) => y.shndx === s.index && y.type === STT_FUNC && y.value === 0 && y.name !== "")?.name ??
      s.name,
    sectionInsns: s.size / 8,
    program: link(ctx, s, license, progTypeOpt(opts.progType, name) ?? progTypeOfSection(s.name)),
  }));
  const obj: ElfObject = { name, programs, maps: ctx.maps, relocations, license };
  if (btfIgnored) obj.btfIgnored = btfIgnored;
  return obj;
}

/**
 * Read `.BTF` and `.BTF.ext` for func/line info. A malformed one is
 * ignored, as libbpf ignores it: the reason is returned (and the programs
 * load without BTF).
 */
function readBtfExt(ctx: Ctx, btfSec: ElfSection | undefined, extSec: ElfSection | undefined): string | undefined {
  if (!btfSec || !extSec) return undefined;
  const { f } = ctx;
  try {
    const btf = parseBtf(sectionBytes(f, btfSec), f.name);
    const ext = parseBtfExt(sectionBytes(f, extSec), btf, f.name);
    ctx.btf = { btf, ext };
    return undefined;
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return `${e.message}; loading without BTF func/line info`;
  }
}

function progTypeOpt(t: number | string | undefined, name: string): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t === "number") return t;
  const n = PROG_TYPES[t];
  if (n === undefined) throw new FormatError(name, `unknown program type '${t}'`);
  return n;
}

function readLegacyMaps(ctx: Ctx, sec: ElfSection | undefined): void {
  if (!sec) return;
  const { f } = ctx;
  const syms = f.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== "")
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) return;
  const data = sectionBytes(f, sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const even = Math.floor(sec.size / syms.length);
  for (const s of syms) {
    const size = s.size || even;
    const loc = `${f.name}: section 'maps' offset 0x${s.value.toString(16)}`;
    if (size < 16) throw new FormatError(loc, `map '${s.name}': definition of ${size} bytes is too small (need 16)`);
    if (s.value + Math.min(size, 20) > sec.size) {
      throw new FormatError(loc, `map '${s.name}': definition runs past the end of the section (${sec.size} bytes)`);
    }
    const u = (k: number) => dv.getUint32(s.value + 4 * k, true);
    ctx.mapAt.set(`${sec.index}:${s.value}`, ctx.maps.length);
    ctx.maps.push({
      name: s.name,
      declared: "legacy",
      section: sec.name,
      def: {
        name: s.name,
        type: u(0),
        keySize: u(1),
        valueSize: u(2),
        maxEntries: u(3),
        flags: size >= 20 ? u(4) : 0,
        init: [],
      },
    });
  }
}

function readBtfMaps(ctx: Ctx, sec: ElfSection | undefined, btfSec: ElfSection | undefined): void {
  if (!sec) return;
  const { f } = ctx;
  if (!btfSec) {
    throw new FormatError(`${f.name}: section '.maps'`, "BTF-defined maps need a .BTF section (build with -g)");
  }
  const btf = parseBtf(sectionBytes(f, btfSec), f.name);
  const defs = btfMapDefs(btf, f.name);
  const syms = f.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== "")
    .sort((a, b) => a.value - b.value);
  for (const s of syms) {
    const d = defs.find((x) => x.name === s.name);
    if (!d) throw new FormatError(`${f.name}: section '.maps'`, `map '${s.name}' has no BTF definition in .BTF`);
    ctx.mapAt.set(`${sec.index}:${s.value}`, ctx.maps.length);
    const m: ElfMap = {
      name: s.name,
      declared: "btf",
      section: sec.name,
      def: {
        name: s.name,
        type: d.type,
        keySize: d.keySize,
        valueSize: d.valueSize,
        maxEntries: d.maxEntries,
        flags: d.flags,
        init: [],
      },
    };
    ctx.maps.push(m);
    if (d.valuesOffset !== undefined) ctx.valuesOffset.set(m, d.valuesOffset);
  }
}

/**
 * The initial prog_array slots of BTF maps: `.rel.maps` holds an
 * R_BPF_64_ABS64 against a program's function for every `[i] = &prog` of a
 * map's `values` member.
 */
function readMapSlots(ctx: Ctx, maps: ElfSection, rs: ElfSection, exec: ElfSection[]): void {
  const { f } = ctx;
  if (f.symbols.length === 0 || f.sections[rs.link]?.type !== 2) {
    throw new FormatError(`${f.name}: section '${rs.name}'`, `sh_link ${rs.link} is not the symbol table`);
  }
  const mapSyms = f.symbols.filter((s) => s.shndx === maps.index && s.type !== STT_SECTION && s.name !== "");
  for (const rel of readRels(f, rs)) {
    const loc = `${f.name}: section '.maps' offset 0x${rel.offset.toString(16)}`;
    const ms = mapSyms.find((s) => s.value <= rel.offset && rel.offset < s.value + Math.max(s.size, 1));
    const m = ms && ctx.maps.find((x) => x.declared === "btf" && x.name === ms.name);
    const valuesOffset = m && ctx.valuesOffset.get(m);
    if (!ms || !m || valuesOffset === undefined) {
      throw new FormatError(loc, "relocation outside the `values` member of a map definition");
    }
    const sym = rel.sym < f.symbols.length ? f.symbols[rel.sym] : undefined;
    const sec = sym && sym.shndx < f.sections.length ? f.sections[sym.shndx] : undefined;
    if (rel.type !== R_BPF_64_ABS64 || !sym || !sec || !exec.includes(sec)) {
      throw new FormatError(loc, `map '${m.name}': a slot must be an R_BPF_64_ABS64 against a program`);
    }
    const at = rel.offset - ms.value - valuesOffset;
    if (at < 0 || at % 8 !== 0) throw new FormatError(loc, `map '${m.name}': relocation between two slots`);
    if (sym.value !== 0) {
      throw new FormatError(
        loc,
        `map '${m.name}' slot ${
          at / 8
        }: '${sym.name}' is not at the start of section '${sec.name}' (bpfscope loads one program per section)`,
      );
    }
    (m.slots ??= []).push({ index: at / 8, section: sec.name, symbol: sym.name });
  }
}

/** Validate one code relocation and say what it resolves to. */
function checkRel(ctx: Ctx, target: ElfSection, rel: ElfRel): ElfRelocation {
  const { f } = ctx;
  const loc = locAt(f, target.name, rel.offset);
  const typeName = RELOC_NAMES[rel.type];
  if (rel.sym === 0 || rel.sym >= f.symbols.length) {
    throw new FormatError(loc, `relocation to missing symbol #${rel.sym} (${f.symbols.length} symbols)`);
  }
  const sym = f.symbols[rel.sym];
  const symName = sym.name || `#${rel.sym}`;
  if (rel.type !== R_BPF_64_64 && rel.type !== R_BPF_64_32) {
    throw new FormatError(
      loc,
      typeName
        ? `relocation type ${typeName} (${rel.type}) against '${symName}' is not supported in code`
        : `unknown relocation type ${rel.type} against '${symName}'`,
    );
  }
  if (rel.offset % 8 !== 0 || rel.offset + 8 > target.size) {
    throw new FormatError(loc, `${typeName} against '${symName}' is not at an instruction of the section`);
  }
  if (sym.shndx === 0 || sym.shndx >= f.sections.length) {
    throw new FormatError(loc, `relocation to missing symbol '${symName}' (undefined or in section ${sym.shndx})`);
  }
  const ss = f.sections[sym.shndx];
  const code = f.bytes[target.offset + rel.offset];
  const src = f.bytes[target.offset + rel.offset + 1] >>> 4;
  const imm = new DataView(f.bytes.buffer, f.bytes.byteOffset).getInt32(target.offset + rel.offset + 4, true);
  const base = {
    section: target.name,
    offset: rel.offset,
    insn: rel.offset / 8,
    type: rel.type,
    typeName,
    symbol: symName,
  };
  if (rel.type === R_BPF_64_64) {
    if (code !== 0x18 || rel.offset + 16 > target.size) {
      throw new FormatError(loc, `R_BPF_64_64 against '${symName}' is not at an LD_IMM64 instruction`);
    }
    const data = ctx.dataMap.get(sym.shndx);
    if (data !== undefined) {
      const off = sym.value + imm;
      if (off < 0 || off >= ss.size) {
        throw new FormatError(loc, `'${symName}' + ${imm} is outside section '${ss.name}' (${ss.size} bytes)`);
      }
      return { ...base, kind: "data", target: ctx.maps[data].name };
    }
    const m = ctx.mapAt.get(`${sym.shndx}:${sym.value + (sym.type === STT_SECTION ? imm : 0)}`);
    if (m !== undefined) return { ...base, kind: "map", target: ctx.maps[m].name };
    if (ss.flags & SHF_EXECINSTR && ss.type !== SHT_NOBITS) {
      // a function's address (a callback): global function: st_value = its offset, imm = 0; static
      // function: the section symbol, imm = its offset (bytes, as libbpf reads them)
      const t = (sym.value + imm) / 8;
      if (!Number.isInteger(t) || t < 0 || t >= ss.size / 8) {
        throw new FormatError(loc, `LD_IMM64 of function '${symName}' + ${imm} lands outside section '${ss.name}'`);
      }
      return { ...base, kind: "func", target: `${ss.name}+${t}` };
    }
    throw new FormatError(loc, `'${symName}' in section '${ss.name}' is neither a map nor global data`);
  }
  // R_BPF_64_32: bpf-to-bpf call
  if (code !== 0x85 || src !== BPF_PSEUDO_CALL) {
    throw new FormatError(loc, `R_BPF_64_32 against '${symName}' is not at a bpf-to-bpf call (call with src=1)`);
  }
  if (!(ss.flags & SHF_EXECINSTR) || ss.type === SHT_NOBITS) {
    throw new FormatError(loc, `call to '${symName}' in section '${ss.name}', which is not executable`);
  }
  const t = sym.value / 8 + imm + 1;
  if (sym.value % 8 !== 0 || !Number.isInteger(t) || t < 0 || t >= ss.size / 8) {
    throw new FormatError(loc, `call to '${symName}' + ${imm} lands outside section '${ss.name}'`);
  }
  return { ...base, kind: "call", target: `${ss.name}+${t}` };
}

interface Unit {
  sec: ElfSection;
  start: number;
  end: number;
  base: number;
}

/** The function of `sec` that holds slot `t` (the whole section when no FUNC symbol covers it). */
function funcRange(f: ElfFile, sec: ElfSection, t: number): [number, number] {
  for (const s of f.symbols) {
    if (s.shndx !== sec.index || s.type !== STT_FUNC || s.value % 8 !== 0 || s.size % 8 !== 0) continue;
    const a = s.value / 8, b = (s.value + s.size) / 8;
    if (a <= t && t < b && b <= sec.size / 8) return [a, b];
  }
  return [0, sec.size / 8];
}

/** Link one program: its section, then every function it calls (transitively), with relocations applied. */
function link(ctx: Ctx, main: ElfSection, license: string, progType: number): Program {
  const { f } = ctx;
  const units: Unit[] = [{ sec: main, start: 0, end: main.size / 8, base: 0 }];
  let total = main.size / 8;
  const usedMaps: number[] = [];
  const fixups: Array<[number, number]> = [];
  const localMap = (objIdx: number) => {
    let k = usedMaps.indexOf(objIdx);
    if (k < 0) {
      k = usedMaps.length;
      usedMaps.push(objIdx);
    }
    return k;
  };
  const out: Array<{ u: Unit; bytes: Uint8Array }> = [];
  /**
   * The slot of section slot `t` in the linked program: a function not yet
   * placed is appended and relocated at once, before the caller's remaining
   * instructions (libbpf's recursive `bpf_object__reloc_code`: depth first).
   */
  const place = (sec: ElfSection, t: number): number => {
    for (const u of units) if (u.sec === sec && u.start <= t && t < u.end) return u.base + t - u.start;
    const [a, b] = funcRange(f, sec, t);
    const u = { sec, start: a, end: b, base: total };
    units.push(u);
    total += b - a;
    relocate(u);
    return u.base + t - a;
  };
  // relocate one unit: map and data references, calls (placing their callees)
  const relocate = (u: Unit): void => {
    const bytes = sectionBytes(f, u.sec).slice(u.start * 8, u.end * 8);
    out.push({ u, bytes });
    const dv = new DataView(bytes.buffer);
    const rels = ctx.rels.get(u.sec.index);
    for (let i = u.start; i < u.end; i++) {
      const o = (i - u.start) * 8;
      const outI = u.base + i - u.start;
      const r = rels?.get(i * 8);
      const code = bytes[o];
      if (r) {
        const imm = dv.getInt32(o + 4, true);
        const loc = locAt(f, u.sec.name, i * 8);
        if (r.info.kind === "call") {
          const ss = f.sections[r.sym.shndx];
          const t = r.sym.value / 8 + imm + 1;
          const outT = ss === main ? t : place(ss, t);
          dv.setInt32(o + 4, outT - outI - 1, true);
          continue;
        }
        if (i + 1 >= u.end) throw new FormatError(loc, `LD_IMM64 against '${r.info.symbol}' lacks its second slot`);
        if (r.info.kind === "func") {
          // libbpf's RELO_SUBPROG_ADDR: src_reg = BPF_PSEUDO_FUNC, imm = callee - insn - 1 (the callee appended)
          const ss = f.sections[r.sym.shndx];
          const t = (r.sym.value + imm) / 8;
          const outT = ss === main ? t : place(ss, t);
          bytes[o + 1] = (bytes[o + 1] & 0x0f) | (BPF_PSEUDO_FUNC << 4);
          dv.setInt32(o + 4, outT - outI - 1, true);
        } else if (r.info.kind === "data") {
          const k = localMap(ctx.dataMap.get(r.sym.shndx)!);
          bytes[o + 1] = (bytes[o + 1] & 0x0f) | (BPF_PSEUDO_MAP_VALUE << 4);
          dv.setInt32(o + 4, k, true);
          dv.setInt32(o + 12, r.sym.value + imm, true);
          fixups.push([outI, k]);
        } else {
          const objIdx = ctx.mapAt.get(`${r.sym.shndx}:${r.sym.value + (r.sym.type === STT_SECTION ? imm : 0)}`)!;
          const k = localMap(objIdx);
          bytes[o + 1] = (bytes[o + 1] & 0x0f) | (BPF_PSEUDO_MAP_FD << 4);
          dv.setInt32(o + 4, k, true);
          fixups.push([outI, k]);
        }
        i++;
        continue;
      }
      if (code === 0x18) {
        i++;
        continue;
      }
      if (code === 0x85 && bytes[o + 1] >>> 4 === BPF_PSEUDO_CALL) {
        // call inside the same section without a relocation (clang resolves these itself)
        const imm = dv.getInt32(o + 4, true);
        const t = i + imm + 1;
        if (t < 0 || t >= u.sec.size / 8) {
          throw new FormatError(locAt(f, u.sec.name, i * 8), `call target ${t} is outside section '${u.sec.name}'`);
        }
        if (t < u.start || t >= u.end) {
          const outT = place(u.sec, t);
          dv.setInt32(o + 4, outT - outI - 1, true);
        }
      }
    }
  };
  relocate(units[0]);
  const all = new Uint8Array(total * 8);
  for (const { u, bytes } of out) all.set(bytes, u.base * 8);
  const btf = ctx.btf &&
    programBtf(
      ctx.btf.btf,
      ctx.btf.ext,
      units.map((u) => ({ section: u.sec.name, start: u.start, end: u.end, base: u.base })),
    );
  return new Program(all, {
    btf: btf && (btf.funcInfo.length || btf.lineInfo.length) ? btf : undefined,
    maps: usedMaps.map((i) => ({
      ...ctx.maps[i].def,
      init: ctx.maps[i].def.init.map(([k, v]) => [k.slice(), v.slice()]),
    })),
    fixups,
    progType,
    license,
    origin: ctx.btfIgnored
      ? { file: f.name, section: main.name, btfIgnored: ctx.btfIgnored }
      : { file: f.name, section: main.name },
  });
}

/**
 * Load one program of an eBPF object.
 * @param bytes the object file
 * @param name the file name
 * @param opts `section`: which program (required when there are several); `progType`: override
 * @throws FormatError for malformed objects, a missing section, or an ambiguous choice.
 */
export function loadElfProgram(bytes: Uint8Array, name: string, opts: ElfProgramOptions = {}): Program {
  const ps = elfPrograms(parseElf(bytes, name, opts), opts.section);
  if (ps.length === 1) return ps[0].program;
  throw new FormatError(
    name,
    `the object has ${ps.length} programs (${ps.map((x) => x.section).join(", ")}); choose a section (--section NAME)`,
  );
}

/**
 * The programs of a parsed object to load: the one in `section` when it is
 * given, else all of them (section order).
 * @throws FormatError when `section` holds no program, or the object has none.
 */
export function elfPrograms(obj: ElfObject, section?: string): ElfProgramEntry[] {
  if (section !== undefined) {
    const p = obj.programs.find((x) => x.section === section);
    if (!p) {
      throw new FormatError(
        obj.name,
        `no program in section '${section}' (programs: ${obj.programs.map((x) => x.section).join(", ") || "none"})`,
      );
    }
    return [p];
  }
  if (obj.programs.length === 0) throw new FormatError(obj.name, "the object has no programs (no executable section)");
  return obj.programs;
}
