/**
 * The one `Program` value every stage shares: eBPF slots held in typed
 * arrays (8 bytes per slot), the maps the program needs, its type, license
 * and origin.
 *
 * Field access never copies: `code(i)`, `dst(i)`, `src(i)`, `off(i)` and
 * `imm(i)` read straight out of the slot bytes.
 *
 * @module
 */

import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, PROG_TYPES } from "./opcodes.ts";

/** One decoded instruction slot, as in the kernel's `struct bpf_insn`. */
export interface Insn {
  /** Opcode byte. */
  code: number;
  /** Destination register field (4 bits, 0..15). */
  dst: number;
  /** Source register field (4 bits, 0..15). */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

/** A map the program needs, as declared by its file (JSON `maps`, ELF maps). */
export interface MapDef {
  /** Name used in assembly (`map[NAME]`) and output; defaults to `map<i>`. */
  name: string;
  /** The kernel's map type number (1 hash, 2 array, 0 unspec, ...). */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Maximum number of entries. */
  maxEntries: number;
  /** `map_flags` (0 unless the file says otherwise). */
  flags: number;
  /** Elements stored before the program runs. */
  init: Array<[Uint8Array, Uint8Array]>;
  /**
   * Frozen read-only for programs before the load (libbpf's `.rodata*` maps:
   * created BPF_F_RDONLY_PROG, filled, then frozen), so the kernel reads
   * their constants at verification time. Set by the ELF loader.
   */
  frozen?: boolean;
}

/** Where a program came from, so errors can point at the source. */
export interface Origin {
  /** File path, if any. */
  file?: string;
  /** ELF section, if any. */
  section?: string;
  /** For assembly: the 1-based source line of each slot. */
  lines?: number[];
  /** ELF objects: why the object's BTF func/line info was not attached (it is malformed; libbpf ignores it too). */
  btfIgnored?: string;
}

/** A BTF func_info record of a loaded program (`struct bpf_func_info`, resolved against its BTF). */
export interface FuncInfo {
  /** First slot of the function in the program. */
  insnOff: number;
  /** BTF type id. */
  typeId: number;
  /** Whether the id names a FUNC whose type is a FUNC_PROTO (the kernel rejects the record otherwise). */
  isFunc: boolean;
  /** The FUNC's name ("" when not a FUNC). */
  name: string;
  /** The FUNC's linkage: 0 static, 1 global, 2 extern. */
  linkage: number;
  /** Whether the function returns a small int or an enum (`scalar_return` of `check_btf_func`). */
  scalarReturn: boolean;
}

/** A BTF line_info record of a loaded program (`struct bpf_line_info`, strings resolved). */
export interface LineInfo {
  /** Slot the record starts at. */
  insnOff: number;
  /** String offset of the file name (records are the same file when these are equal). */
  fileNameOff: number;
  /** String offset of the source line. */
  lineOff: number;
  /** The source line as stored (undefined when `lineOff` is not a string of the BTF). */
  line: string | undefined;
  /** The file name as stored (undefined when `fileNameOff` is not a string of the BTF). */
  file: string | undefined;
  /** Line number (`line_col >> 10`). */
  lineNum: number;
  /** Column (`line_col & 0x3ff`). */
  col: number;
}

/**
 * The line_info record covering slot `insn` (the kernel's `find_linfo`: the
 * last record starting at or before it), as an index into `lines` (sorted by
 * `insnOff`), or -1 when there is none.
 */
export function findLineInfo(lines: ReadonlyArray<LineInfo>, insn: number): number {
  const n = lines.length;
  if (n === 0 || insn < lines[0].insnOff) return -1;
  let l = 0, r = n - 1;
  while (l < r) {
    const m = l + ((r - l + 1) >> 1);
    if (lines[m].insnOff <= insn) l = m;
    else r = m - 1;
  }
  return l;
}

/** A line_info record as the 6.18 log prints it: `<source, left-trimmed> @ <file's base name>:<line>`. */
export function lineInfoText(li: LineInfo): string {
  const s = li.file ?? "";
  return `${(li.line ?? "").replace(/^[ \t\n\v\f\r]+/, "")} @ ${s.slice(s.lastIndexOf("/") + 1)}:${li.lineNum}`;
}

/**
 * One type of the object's BTF as a verifier reads it (the fields of
 * core/elf/btf.ts's `BtfType` it needs: kind, name, `size`/`type`, `vlen`,
 * FUNC_PROTO parameters, ARRAY element, DECL_TAG component index).
 */
export interface BtfTypeInfo {
  /** Kind number (`BTF_KIND_*`). */
  readonly kind: number;
  /** Name ("" when anonymous). */
  readonly name: string;
  /** `size` or `type`, depending on the kind. */
  readonly sizeOrType: number;
  /** `vlen` of the info word (FUNC: the linkage). */
  readonly vlen: number;
  /** FUNC_PROTO: the parameters. */
  readonly params?: ReadonlyArray<{ readonly name: string; readonly type: number }>;
  /** ARRAY: element type and count. */
  readonly array?: { readonly type: number; readonly nelems: number };
  /** DECL_TAG: `component_idx`. */
  readonly componentIdx?: number;
}

/** What a loader passes with the program when it loads it with BTF (libbpf's `func_info`/`line_info`). */
export interface ProgramBtf {
  /** func_info records, by slot. */
  funcInfo: FuncInfo[];
  /** line_info records, by slot. */
  lineInfo: LineInfo[];
  /**
   * The object's BTF types by id (index 0: void, undefined), for the
   * prototypes of the functions the func_info records name (global
   * functions are verified from their argument types).
   */
  types?: ReadonlyArray<BtfTypeInfo | undefined>;
}

/** Options for {@link Program} construction. */
export interface ProgramInit {
  /** Map definitions, by index. */
  maps?: MapDef[];
  /** `[slot, mapIndex]` pairs: where map fds go before loading. */
  fixups?: Array<[number, number]>;
  /** Program type number (see `PROG_TYPES`); default `unspec`. */
  progType?: number;
  /** License string; default `"GPL"`. */
  license?: string;
  /** Origin of the program. */
  origin?: Origin;
  /** BTF func_info/line_info passed at load (ELF objects built with `-g`). */
  btf?: ProgramBtf;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An eBPF program: slots in a byte buffer plus its maps and metadata. */
export class Program {
  /** The slots as little-endian bytes, 8 per slot. */
  readonly bytes: Uint8Array;
  /** Number of 8-byte slots. */
  readonly len: number;
  /** Maps the program references, by index. */
  readonly maps: MapDef[];
  /** `[slot, mapIndex]` pairs applied when the program is loaded. */
  readonly fixups: Array<[number, number]>;
  /** Program type number. */
  readonly progType: number;
  /** License string. */
  readonly license: string;
  /** Where the program came from. */
  readonly origin: Origin;
  /** BTF func_info/line_info passed at load, if any. */
  readonly btf: ProgramBtf | undefined;
  readonly #i16: Int16Array;
  readonly #i32: Int32Array;

  /**
   * Wrap slot bytes. The buffer is used in place (zero copy) when it is
   * 4-byte aligned; otherwise it is copied once.
   * @throws RangeError when the length is not a multiple of 8.
   */
  constructor(bytes: Uint8Array, init: ProgramInit = {}) {
    if (bytes.length % 8 !== 0) {
      throw new RangeError(`program length ${bytes.length} is not a multiple of 8 bytes`);
    }
    if (!LITTLE_ENDIAN) throw new Error("bpfscope needs a little-endian host");
    const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    this.bytes = b;
    this.len = b.length >>> 3;
    this.#i16 = new Int16Array(b.buffer, b.byteOffset, b.length >>> 1);
    this.#i32 = new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
    this.maps = init.maps ?? [];
    this.fixups = init.fixups ?? [];
    this.progType = init.progType ?? PROG_TYPES.unspec;
    this.license = init.license ?? "GPL";
    this.origin = init.origin ?? {};
    this.btf = init.btf;
  }

  /** Build a program from decoded slots. */
  static fromInsns(insns: ReadonlyArray<Insn | ReadonlyArray<Insn>>, init: ProgramInit = {}): Program {
    const flat = flattenInsns(insns);
    const p = new Program(new Uint8Array(flat.length * 8), init);
    for (let i = 0; i < flat.length; i++) p.setInsn(i, flat[i]);
    return p;
  }

  /** Opcode byte of slot `i`. */
  code(i: number): number {
    return this.bytes[i << 3];
  }
  /** dst_reg field of slot `i` (0..15). */
  dst(i: number): number {
    return this.bytes[(i << 3) + 1] & 0x0f;
  }
  /** src_reg field of slot `i` (0..15). */
  src(i: number): number {
    return this.bytes[(i << 3) + 1] >>> 4;
  }
  /** Signed 16-bit offset of slot `i`. */
  off(i: number): number {
    return this.#i16[(i << 2) + 1];
  }
  /** Signed 32-bit immediate of slot `i`. */
  imm(i: number): number {
    return this.#i32[(i << 1) + 1];
  }

  /** Slot `i` as an object (allocates; not for hot paths). */
  insn(i: number): Insn {
    return { code: this.code(i), dst: this.dst(i), src: this.src(i), off: this.off(i), imm: this.imm(i) };
  }

  /** All slots as objects. */
  insns(): Insn[] {
    const out: Insn[] = new Array(this.len);
    for (let i = 0; i < this.len; i++) out[i] = this.insn(i);
    return out;
  }

  /**
   * Overwrite slot `i`. Fields are truncated to their widths (4-bit
   * registers, 16-bit off, 32-bit imm), as a C struct assignment would.
   */
  setInsn(i: number, x: Insn): void {
    const o = i << 3;
    this.bytes[o] = x.code & 0xff;
    this.bytes[o + 1] = (x.dst & 0x0f) | ((x.src & 0x0f) << 4);
    this.#i16[(i << 2) + 1] = x.off;
    this.#i32[(i << 1) + 1] = x.imm;
  }

  /** Set only the imm field of slot `i`. */
  setImm(i: number, imm: number): void {
    this.#i32[(i << 1) + 1] = imm;
  }

  /** Set only the src_reg field of slot `i`. */
  setSrc(i: number, src: number): void {
    const o = (i << 3) + 1;
    this.bytes[o] = (this.bytes[o] & 0x0f) | ((src & 0x0f) << 4);
  }

  /** A deep copy with the same metadata (and optionally other fields). */
  clone(init: ProgramInit = {}): Program {
    return new Program(this.bytes.slice(), {
      maps: init.maps ?? this.maps,
      fixups: init.fixups ?? this.fixups,
      progType: init.progType ?? this.progType,
      license: init.license ?? this.license,
      origin: init.origin ?? this.origin,
      btf: "btf" in init ? init.btf : this.btf,
    });
  }

  /**
   * A copy with each fixup applied: the map fd from `fds[mapIndex]` written
   * into the imm of the LD_IMM64 at the fixup's slot, and src_reg set to
   * BPF_PSEUDO_MAP_FD (a BPF_PSEUDO_MAP_VALUE load keeps its src_reg).
   * @throws RangeError when a fixup names a slot or map that does not exist.
   */
  withMapFds(fds: ReadonlyArray<number>): Program {
    const p = this.clone();
    for (const [slot, mapIndex] of this.fixups) {
      if (slot < 0 || slot >= p.len) throw new RangeError(`fixup slot ${slot} is outside the program (${p.len} slots)`);
      if (mapIndex < 0 || mapIndex >= fds.length) {
        throw new RangeError(`fixup at slot ${slot} names map ${mapIndex}, but there are ${fds.length} maps`);
      }
      p.setImm(slot, fds[mapIndex]);
      // a BPF_PSEUDO_MAP_VALUE load (global data) keeps its kind; anything else becomes a map fd load
      if (p.src(slot) !== BPF_PSEUDO_MAP_VALUE) p.setSrc(slot, BPF_PSEUDO_MAP_FD);
    }
    return p;
  }
}

/** Flatten builder output (single slots and LD_IMM64 pairs) into slots. */
export function flattenInsns(insns: ReadonlyArray<Insn | ReadonlyArray<Insn>>): Insn[] {
  const out: Insn[] = [];
  for (const x of insns) {
    if (Array.isArray(x)) out.push(...x);
    else out.push(x as Insn);
  }
  return out;
}

/** Create a MapDef with defaults for the optional fields. */
export function mapDef(
  d: Partial<MapDef> & Pick<MapDef, "type" | "keySize" | "valueSize" | "maxEntries">,
  index = 0,
): MapDef {
  return {
    name: d.name ?? `map${index}`,
    type: d.type,
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: d.maxEntries,
    flags: d.flags ?? 0,
    init: d.init ?? [],
  };
}
