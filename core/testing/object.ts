/**
 * A small testing API for eBPF programs: load an object (every program of a
 * clang-built ELF file, or one program), run a program with a packet as
 * `BPF_PROG_TEST_RUN` would, and read or change its maps.
 *
 * ```ts
 * const obj = BpfObject.fromElf(bytes, "firewall.o");
 * obj.map("blocklist").set(0x0a000001, 1);
 * const r = obj.run(packet);           // TestRunReport: retval, dataOut, output, ...
 * obj.map("stats").getPerCpu(1);       // one value per simulated CPU
 * obj.map("events").records();         // ring buffer records, consumed
 * ```
 *
 * Keys and values are given as bytes, or as numbers / bigints (encoded
 * little-endian in the key's or value's size). Everything here is pure
 * (`load(path)`, which reads the file, lives in cli/testing.ts).
 *
 * Programs run unverified unless `verify` is given (see core/testrun);
 * prog_array slots come from the object's `.maps` initializers
 * (`.values = { [i] = &prog }`, as libbpf fills them) or from
 * {@link BpfObject.setTailCall}.
 *
 * @module
 */
import { Bpf, createMapOf, type VerifyHook } from "../bpf.ts";
import { BpfError, FormatError } from "../errors.ts";
import { parseElf } from "../elf/mod.ts";
import { decodeProgram, isElf } from "../formats/mod.ts";
import { PROG_TYPES, type Program } from "../isa/mod.ts";
import type { VmEngineName } from "../jit/mod.ts";
import { type BpfMap, isPerCpu, ProgArrayMap, RingBufMap } from "../maps/mod.ts";
import type { TestRunOptions, TestRunReport } from "../testrun/run.ts";

/** Options of loading an object. */
export interface ObjectOptions {
  /** Simulated number of possible CPUs of per-CPU and LRU maps (default 2). */
  cpus?: number;
  /** `interp` or `jit` (default `interp`; identical results). */
  engine?: VmEngineName;
  /** A verifier run when each program is loaded (default null: unverified). */
  verify?: VerifyHook | null;
  /** The program type of every program (default: from each section's name, as libbpf derives it). */
  progType?: number | string;
}

/** Options of {@link BpfObject.run}: a test run's, and which program. */
export interface ObjectRunOptions extends Omit<TestRunOptions, "data" | "engine"> {
  /** The program (its section name; default the object's entry program). */
  program?: string;
}

/** A key or value: bytes, or a number / bigint encoded little-endian in the needed size. */
export type BytesLike = Uint8Array | number | bigint | readonly number[];

/** `x` as `size` bytes (numbers and bigints little-endian). @throws BpfError EINVAL when it does not fit */
export function toBytes(x: BytesLike, size: number, what = "value"): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (Array.isArray(x)) return Uint8Array.from(x as number[]);
  let v = BigInt(x as number | bigint);
  if (v < 0n) v = BigInt.asUintN(size * 8, v);
  if (size < 8 && v >= 1n << BigInt(size * 8)) {
    throw new BpfError("EINVAL", `${what} ${x} does not fit in ${size} bytes`);
  }
  const out = new Uint8Array(size);
  for (let i = 0; i < size && v > 0n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** The little-endian u32 at `off` of `b`. */
export function u32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

/** The little-endian u64 at `off` of `b`. */
export function u64(b: Uint8Array, off = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

/** `f()`, or undefined when it fails with ENOENT (an absent key). */
function unlessAbsent<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof BpfError && e.errno === "ENOENT") return undefined;
    throw e;
  }
}

/** A map of a loaded object, with number-friendly keys and values (user-space operations, as `bpf()` has them). */
export class TestMap {
  /** The map itself. */
  readonly raw: BpfMap;
  /** Its name. */
  readonly name: string;

  /** Wrap `map`. */
  constructor(map: BpfMap) {
    this.raw = map;
    this.name = map.name;
  }
  #key(k: BytesLike): Uint8Array {
    return toBytes(k, this.raw.keySize, "key");
  }
  /** The value of `key` (per-CPU maps: every CPU's, `round_up(value_size, 8)` bytes each), or undefined. */
  get(key: BytesLike): Uint8Array | undefined {
    return unlessAbsent(() => this.raw.lookup(this.#key(key)));
  }
  /** Each simulated CPU's value of `key` (per-CPU maps), or undefined. @throws BpfError EINVAL for other maps */
  getPerCpu(key: BytesLike): Uint8Array[] | undefined {
    const m = this.raw;
    if (!isPerCpu(m)) throw new BpfError("EINVAL", `map ${this.name} (${m.typeName}) is not per-CPU`);
    return unlessAbsent(() => m.lookupPerCpu(this.#key(key)));
  }
  /**
   * Store `value` under `key` (`BPF_MAP_UPDATE_ELEM` with `flags`); a number
   * for a per-CPU map is stored on every CPU. @throws BpfError as the kernel
   */
  set(key: BytesLike, value: BytesLike, flags = 0): void {
    let v: Uint8Array;
    if (isPerCpu(this.raw) && !(value instanceof Uint8Array) && !Array.isArray(value)) {
      const one = toBytes(value, this.raw.stride);
      v = new Uint8Array(this.raw.userValueSize);
      for (let c = 0; c < this.raw.nCpus; c++) v.set(one, c * this.raw.stride);
    } else v = toBytes(value, this.raw.valueSize);
    this.raw.update(this.#key(key), v, flags);
  }
  /** Delete `key`; false when it was absent. @throws BpfError for other errors */
  delete(key: BytesLike): boolean {
    return unlessAbsent(() => (this.raw.delete(this.#key(key)), true)) ?? false;
  }
  /** Every element as [key, value] in get_next_key order (per-CPU maps: every CPU's value). */
  entries(): Array<[Uint8Array, Uint8Array]> {
    return this.raw.entries();
  }
  /** The keys, in get_next_key order. */
  keys(): Uint8Array[] {
    return this.entries().map(([k]) => k);
  }
  /** Ring buffers: the records committed since the last call (consumed). @throws BpfError EINVAL for other maps */
  records(): Uint8Array[] {
    if (!(this.raw instanceof RingBufMap)) throw new BpfError("EINVAL", `map ${this.name} is not a ring buffer`);
    return this.raw.consume().map((r) => r.data);
  }
}

/** A loaded object: its programs by section name and its maps by name, in one `Bpf` fd table. */
export class BpfObject {
  /** The fd table everything is loaded in. */
  readonly bpf: Bpf;
  /** The object's name (its file name). */
  readonly name: string;
  readonly #progs = new Map<string, number>();
  readonly #maps = new Map<string, number>();
  readonly #engine: VmEngineName;
  #entry: string | null = null;

  private constructor(name: string, opts: ObjectOptions) {
    this.name = name;
    this.bpf = new Bpf({ verify: opts.verify ?? null, cpus: opts.cpus, engine: opts.engine });
    this.#engine = opts.engine ?? "interp";
  }

  /**
   * Load every program and map of a clang-built object
   * (`clang -O2 -g -target bpf -c`). @throws FormatError for a malformed
   * object, BpfError for a map or program the kernel would refuse
   */
  static fromElf(bytes: Uint8Array, name = "object.o", opts: ObjectOptions = {}): BpfObject {
    const elf = parseElf(bytes, name, { progType: opts.progType });
    const obj = new BpfObject(name, opts);
    for (const m of elf.maps) obj.#maps.set(m.name, createMapOf(obj.bpf, m.def));
    if (elf.programs.length === 0) throw new FormatError(name, "the object has no programs");
    for (const p of elf.programs) obj.#load(p.section, p.program);
    const slotted = new Set<string>();
    for (const m of elf.maps) {
      for (const s of m.slots ?? []) {
        obj.setTailCall(m.name, s.index, s.section);
        slotted.add(s.section);
      }
    }
    // the entry program: the only one, or the only one no prog_array slot holds
    const free = elf.programs.filter((p) => !slotted.has(p.section));
    obj.#entry = elf.programs.length === 1 ? elf.programs[0].section : free.length === 1 ? free[0].section : null;
    return obj;
  }

  /**
   * Load the object or program file `bytes`: an ELF object (by its magic,
   * or a `.o` name) with {@link BpfObject.fromElf}, else a JSON, raw or
   * assembly program (core/formats) with {@link BpfObject.fromProgram}.
   * @throws FormatError for a malformed file, BpfError for what the kernel would refuse
   */
  static fromBytes(bytes: Uint8Array, name: string, opts: ObjectOptions = {}): BpfObject {
    if (isElf(bytes) || name.endsWith(".o")) return BpfObject.fromElf(bytes, name, opts);
    return BpfObject.fromProgram(decodeProgram(bytes, name), opts, name);
  }

  /** Load one program (and its maps, with their initial elements) under `name`. @throws BpfError */
  static fromProgram(prog: Program, opts: ObjectOptions = {}, name = "main"): BpfObject {
    const obj = new BpfObject(name, opts);
    for (const def of prog.maps) if (!obj.#maps.has(def.name)) obj.#maps.set(def.name, createMapOf(obj.bpf, def));
    const t = opts.progType;
    obj.#load(name, t === undefined ? prog : prog.clone({ progType: typeof t === "number" ? t : PROG_TYPES[t] }));
    obj.#entry = name;
    return obj;
  }

  #load(name: string, prog: Program): void {
    const fds = prog.maps.map((m) => this.#maps.get(m.name)!);
    this.#progs.set(name, this.bpf.progLoad({ insns: prog.withMapFds(fds), progType: prog.progType }).fd);
  }

  /** The entry program: the only one, or the only one no prog_array slot of the object holds (else null). */
  get entry(): string | null {
    return this.#entry;
  }

  /** The programs' names (section names), in load order. */
  get programs(): string[] {
    return [...this.#progs.keys()];
  }

  /** The maps' names, in declaration order. */
  get maps(): string[] {
    return [...this.#maps.keys()];
  }

  /** The program fd of `name` (default: the entry program). @throws BpfError ENOENT naming the programs */
  programFd(name?: string): number {
    const n = name ?? this.#entry;
    const fd = n === null ? undefined : this.#progs.get(n);
    if (fd === undefined) {
      const which = name === undefined ? "no entry program: choose one" : `no program '${name}'`;
      throw new BpfError("ENOENT", `${this.name}: ${which} (programs: ${this.programs.join(", ")})`);
    }
    return fd;
  }

  /** The map `name`. @throws BpfError ENOENT naming the maps */
  map(name: string): TestMap {
    const fd = this.#maps.get(name);
    if (fd === undefined) {
      throw new BpfError("ENOENT", `${this.name}: no map '${name}' (maps: ${this.maps.join(", ") || "none"})`);
    }
    return new TestMap(this.bpf.map(fd));
  }

  /** Put program `program` in slot `index` of prog_array `map` (a `bpf()` update with its fd). @throws BpfError */
  setTailCall(map: string, index: number, program: string): void {
    const m = this.map(map).raw;
    if (!(m instanceof ProgArrayMap)) throw new BpfError("EINVAL", `map ${map} is a ${m.typeName}, not a prog_array`);
    this.bpf.mapUpdateElem(this.#maps.get(map)!, toBytes(index, 4, "index"), toBytes(this.programFd(program), 4));
  }

  /**
   * Test-run a program with `packet` as `data_in` (undefined: none, which
   * packet programs refuse with EINVAL; see core/testrun: the
   * kernel's contract, deterministic clock, seed and CPU).
   * @throws BpfError the errno the kernel would give
   */
  run(packet: Uint8Array | undefined, opts: ObjectRunOptions = {}): TestRunReport {
    return this.bpf.testRun(this.programFd(opts.program), { ...opts, data: packet, engine: this.#engine });
  }
}
