/**
 * A `bpf()`-style facade: an fd table of maps and programs and the commands
 * of the syscall, with the kernel's errno names.
 *
 * ```ts
 * import { Bpf } from "./core/bpf.ts";
 * const bpf = new Bpf();
 * const fd = bpf.mapCreate({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 16 }); // 3
 * ```
 *
 * ## Errno behaviour
 *
 * | command | condition | errno |
 * |---|---|---|
 * | any fd argument | fd not open | EBADF |
 * | element commands | fd is a program | EINVAL |
 * | map commands | see `core/maps` (EINVAL, E2BIG, EEXIST, ENOENT, ENOMEM) | |
 * | progLoad | 0 instructions | EINVAL (modern) / E2BIG (linux-3.18) |
 * | progLoad | more than 4095 (linux-3.18) / 1 000 000 (modern) instructions | EINVAL / E2BIG |
 * | progLoad | unknown program type (linux-3.18: only unspec and socket_filter) | EINVAL |
 * | progLoad | LD_IMM64 map fd not open / not a map; bad second slot | EBADF / EINVAL |
 * | progLoad | the verify hook rejects | the hook's errno (a {@link ProgLoadError} carrying the log) |
 * | progTestRun | fd is a map | EINVAL |
 * | close | fd not open | EBADF |
 *
 * File descriptors start at 3 (as in a process with stdio open) and the
 * lowest free number is reused, as the kernel does. Closing a map fd that a
 * loaded program uses keeps the map alive until the program is closed (the
 * program holds the map object).
 *
 * ## Engines
 * `new Bpf({ engine: "jit" })` makes {@link Bpf.progTestRun} run programs on
 * the JIT (core/jit, compiled on the first test run of each program fd);
 * the default `interp` runs them on the interpreter. Results (r0, registers,
 * memory, maps, output, faults, executed-instruction counts) are identical;
 * only `durationNs` differs. {@link Bpf.prog} keeps returning the
 * program's {@link Interpreter} whatever the engine (its type is unchanged;
 * the stepping and inspection APIs live there); {@link Bpf.progVm} returns
 * the engine `progTestRun` uses.
 *
 * @module
 */
import { BpfError, ERRNO } from "./errors.ts";
import { type MapDef, PROG_TYPES, type Program } from "./isa/mod.ts";
import { type BpfMap, createMap, mapAttrOf, type MapCreateAttr, ProgArrayMap } from "./maps/mod.ts";
import { verifyHook } from "./verifier/mod.ts";
import { type HelperTable, Interpreter, type InterpreterOptions, type RunResult, type VmProfile } from "./vm/mod.ts";
import { Jit } from "./jit/jit.ts";
import { createVm, type VmEngine, type VmEngineName } from "./jit/engine.ts";
import { type ChainProgram, runChain, timeRuns } from "./testrun/chain.ts";
import { runTestRun, type TestRunOptions, type TestRunReport } from "./testrun/run.ts";

/** What a verifier hook is given besides the program. */
export interface VerifyRequest {
  /** Program type number. */
  progType: number;
  /** Log level of the load. */
  logLevel: number;
  /** Log buffer size (0: no log). */
  logSize: number;
  /** The semantics profile of this Bpf object. */
  profile: VmProfile;
  /** The map behind an fd, if the fd is an open map. */
  mapByFd(fd: number): BpfMap | undefined;
}

/** A verifier's verdict. */
export interface VerifyVerdict {
  /** True when the program may be loaded. */
  accepted: boolean;
  /** errno name on rejection (default EACCES). */
  errno?: string;
  /** The verifier log. */
  log: string;
  /** The error message (the kernel's last log line), also when logging was off. */
  error?: string | null;
}

/** A verifier plugged into {@link Bpf.progLoad}. */
export type VerifyHook = (prog: Program, req: VerifyRequest) => VerifyVerdict;

/** Attributes of `BPF_PROG_LOAD`. */
export interface ProgLoadAttr {
  /** Program type number (see PROG_TYPES); default the program's own. */
  progType?: number;
  /** The instructions (map fds already in the LD_IMM64 slots). */
  insns: Program;
  /** License (default the program's). */
  license?: string;
  /** Log level (default 0). */
  logLevel?: number;
  /** Log size (default 0). */
  logSize?: number;
}

/** The result of a successful load. */
export interface ProgLoadResult {
  /** The program fd. */
  fd: number;
  /** The verifier log, or a note that no verifier ran. */
  log: string;
  /** True when a verify hook accepted the program. */
  verified: boolean;
}

/** Attributes of `BPF_PROG_TEST_RUN`. */
export interface TestRunAttr {
  /** ctx bytes (r1 points at a copy). */
  ctx?: Uint8Array;
  /** Packet bytes (LD_ABS/LD_IND). */
  data?: Uint8Array;
  /** A raw memory buffer (r1 = its address, r2 = its length). */
  mem?: Uint8Array;
  /** Number of runs (default 1; 0 counts as 1, as the kernel does). */
  repeat?: number;
  /** Executed-instruction limit per run (default 1e9). */
  maxInsns?: number;
  /** The may_goto budget each call of a function starts with (default BPF_MAX_LOOPS, the kernel's). */
  mayGotoBudget?: number;
  /** get_prandom_u32 seed. */
  seed?: number;
  /** Return all registers at exit. */
  regs?: boolean;
}

/** The result of {@link Bpf.progTestRun} (from the last run). */
export interface TestRunResult extends RunResult {
  /** The kernel-style u32 return value. */
  retval: number;
  /** Average wall time per run in ns. */
  durationNs: number;
}

/** The error of a rejected `progLoad`, carrying the verifier log. */
export class ProgLoadError extends BpfError {
  /** The verifier log. */
  readonly log: string;
  /**
   * Create the error.
   * @param errno errno name
   * @param log the verifier log
   * @param message the error message when the log does not carry it (logging off)
   */
  constructor(errno: string, log: string, message?: string | null) {
    super(errno, log.split("\n").filter((l) => l.trim()).at(-1) ?? message ?? "program rejected");
    this.name = "ProgLoadError";
    this.log = log;
  }
}

/** The note put in the log when no verifier is installed. */
export const NO_VERIFIER_LOG = "bpfscope: no verifier installed; the program was loaded without verification\n";

/** A loaded program: its engines, and what prog_array slots and tail-call chains need. */
class ProgEntry implements ChainProgram {
  readonly kind = "prog";
  jit: Jit | null = null;
  // more instances, for runs of the program while another waits for a tail call from a subprogram (see runChain)
  readonly #spares: VmEngine[] = [];
  constructor(
    readonly vm: Interpreter,
    readonly vmOpts: InterpreterOptions,
    readonly progType: number,
    readonly id: number,
  ) {}
  engine(name: VmEngineName, busy?: ReadonlySet<VmEngine>): VmEngine {
    const main = name === "interp" ? this.vm : this.jit ??= new Jit(this.vm.prog, this.vmOpts);
    if (busy === undefined || !busy.has(main)) return main;
    const isJit = main instanceof Jit;
    let e = this.#spares.find((x) => x instanceof Jit === isJit && !busy.has(x));
    if (e === undefined) this.#spares.push(e = createVm(this.vm.prog, this.vmOpts, name));
    return e;
  }
}

type Entry = { kind: "map"; map: BpfMap } | ProgEntry;

/** Options of {@link Bpf}. */
export interface BpfOptions {
  /**
   * The verifier to run on progLoad. Default: bpfscope's Linux 3.19 verifier
   * (3.18 with the `linux-3.18` profile), as the kernel always verifies;
   * `null` loads programs unverified (the machine is memory-safe on its own).
   */
  verify?: VerifyHook | null;
  /** Semantics profile for maps and programs (default `modern`). */
  profile?: VmProfile;
  /** Helper table for loaded programs (default: the profile's). */
  helpers?: HelperTable;
  /** Engine of {@link Bpf.progTestRun}: `interp` (default) or `jit` (same results, compiled to JavaScript). */
  engine?: VmEngineName;
  /** Simulated number of possible CPUs of per-CPU and LRU maps (default `DEFAULT_CPUS`, 2). */
  cpus?: number;
}

/** The bpf() facade: an fd table plus the commands. */
export class Bpf {
  /** The verifier hook (settable; null: load without verification). */
  verify: VerifyHook | null;
  /** Semantics profile. */
  readonly profile: VmProfile;
  /** Engine of {@link Bpf.progTestRun}. */
  readonly engine: VmEngineName;
  /** Simulated number of possible CPUs (per-CPU and LRU maps). */
  readonly cpus: number | undefined;
  readonly #helpers?: HelperTable;
  readonly #fds: Map<number, Entry> = new Map();
  #nextProgId = 1;

  /** Create an empty fd table. */
  constructor(opts: BpfOptions = {}) {
    this.verify = opts.verify === undefined ? verifyHook : opts.verify;
    this.profile = opts.profile ?? "modern";
    this.#helpers = opts.helpers;
    this.engine = opts.engine ?? "interp";
    this.cpus = opts.cpus;
    if (this.engine !== "interp" && this.engine !== "jit") {
      throw new BpfError("EINVAL", `unknown engine ${JSON.stringify(this.engine)} (interp or jit)`);
    }
  }

  #alloc(e: Entry): number {
    let fd = 3;
    while (this.#fds.has(fd)) fd++;
    this.#fds.set(fd, e);
    return fd;
  }

  #get(fd: number): Entry {
    const e = this.#fds.get(fd);
    if (!e) throw new BpfError("EBADF", `fd ${fd} is not open`);
    return e;
  }

  /** The map behind `fd`. @throws BpfError EBADF, EINVAL (not a map) */
  map(fd: number): BpfMap {
    const e = this.#get(fd);
    if (e.kind !== "map") throw new BpfError("EINVAL", `fd ${fd} is not a map`);
    return e.map;
  }

  /** `BPF_MAP_CREATE`: a new map fd. @throws BpfError (see core/maps) */
  mapCreate(attr: MapCreateAttr): number {
    const map = createMap(attr, this.profile, { cpus: this.cpus });
    if (map instanceof ProgArrayMap) {
      // a bpf() update stores the program behind an fd
      map.resolveFd = (fd) => {
        const e = this.#fds.get(fd);
        return e === undefined ? -ERRNO.EBADF : e.kind === "prog" ? e : -ERRNO.EINVAL;
      };
    }
    return this.#alloc({ kind: "map", map });
  }

  /**
   * `BPF_MAP_LOOKUP_ELEM`: a copy of the value, written into `value` when
   * given (as the kernel writes to `attr.value`; returns `value`; no
   * allocation) or into a new array (see {@link BpfMap.lookup}). @throws BpfError EBADF, EINVAL
   * (also a `value` shorter than the map's value size), ENOENT
   */
  mapLookupElem(fd: number, key: Uint8Array, value?: Uint8Array): Uint8Array {
    return this.map(fd).lookup(key, value);
  }

  /** `BPF_MAP_UPDATE_ELEM`. @throws BpfError EBADF, EINVAL, E2BIG, EEXIST, ENOENT */
  mapUpdateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.map(fd).update(key, value, flags);
  }

  /** `BPF_MAP_DELETE_ELEM`. @throws BpfError EBADF, EINVAL, ENOENT */
  mapDeleteElem(fd: number, key: Uint8Array): void {
    this.map(fd).delete(key);
  }

  /**
   * `BPF_MAP_GET_NEXT_KEY` (null: the first key): the next key, written into
   * `next` when given (as the kernel writes to `attr.next_key`; it may be
   * `key` itself) or into a new array. @throws BpfError EBADF, EINVAL, ENOENT
   */
  mapGetNextKey(fd: number, key: Uint8Array | null, next?: Uint8Array): Uint8Array {
    return this.map(fd).getNextKey(key, next);
  }

  /**
   * `BPF_PROG_LOAD`: check the program, resolve its map fds, run the verify
   * hook when one is installed (else load unverified and say so in the log)
   * and return a program fd.
   * @throws BpfError EINVAL, E2BIG, EBADF; ProgLoadError when the verifier rejects
   */
  progLoad(attr: ProgLoadAttr): ProgLoadResult {
    const p = attr.insns;
    const progType = attr.progType ?? p.progType;
    const legacy = this.profile === "linux-3.18";
    if (p.len === 0) throw new BpfError(legacy ? "E2BIG" : "EINVAL", "empty program");
    if (legacy ? p.len >= 4096 : p.len > 1_000_000) {
      throw new BpfError(legacy ? "EINVAL" : "E2BIG", `too many instructions (${p.len})`);
    }
    const known = legacy ? progType === 0 || progType === 1 : Object.values(PROG_TYPES).includes(progType);
    if (!known) throw new BpfError("EINVAL", `unknown program type ${progType}`);
    // the LD_IMM64 pre-pass (replace_map_fd_with_map_ptr)
    const maps = new Map<number, BpfMap>();
    for (let i = 0; i < p.len; i++) {
      if (p.code(i) !== 0x18) continue;
      if (i + 1 >= p.len || p.code(i + 1) !== 0 || p.dst(i + 1) !== 0 || p.src(i + 1) !== 0 || p.off(i + 1) !== 0) {
        throw new ProgLoadError("EINVAL", `invalid bpf_ld_imm64 insn\n`);
      }
      const s = p.src(i);
      if (s === 1 || s === 2) {
        const fd = p.imm(i);
        const e = this.#fds.get(fd);
        if (!e) throw new ProgLoadError("EBADF", `fd ${fd} is not pointing to valid bpf_map\n`);
        if (e.kind !== "map") throw new ProgLoadError("EINVAL", `fd ${fd} is not pointing to valid bpf_map\n`);
        maps.set(fd, e.map);
      }
      i++;
    }
    let log = NO_VERIFIER_LOG;
    let verified = false;
    if (this.verify) {
      const v = this.verify(p, {
        progType,
        logLevel: attr.logLevel ?? 0,
        logSize: attr.logSize ?? 0,
        profile: this.profile,
        mapByFd: (fd) => {
          const e = this.#fds.get(fd);
          return e?.kind === "map" ? e.map : undefined;
        },
      });
      if (!v.accepted) throw new ProgLoadError(v.errno ?? "EACCES", v.log, v.error);
      log = v.log;
      verified = true;
    }
    // a program that tail-calls through a prog_array fixes (or must match) the map's program type
    for (const m of maps.values()) {
      if (m instanceof ProgArrayMap) {
        try {
          m.claim(progType);
        } catch (e) {
          throw new ProgLoadError("EINVAL", `${(e as Error).message}\n`);
        }
      }
    }
    const vmOpts: InterpreterOptions = {
      profile: this.profile,
      resolveMap: (fd) => maps.get(fd),
      helpers: this.#helpers,
      progType,
    };
    const vm = new Interpreter(p, vmOpts);
    return { fd: this.#alloc(new ProgEntry(vm, vmOpts, progType, this.#nextProgId++)), log, verified };
  }

  #progEntry(fd: number): ProgEntry {
    const e = this.#get(fd);
    if (e.kind !== "prog") throw new BpfError("EINVAL", `fd ${fd} is not a program`);
    return e;
  }

  /**
   * The interpreter behind a program fd, whatever {@link Bpf.engine} is
   * (unchanged type; see {@link Bpf.progVm} for the engine of test runs).
   * @throws BpfError EBADF, EINVAL
   */
  prog(fd: number): Interpreter {
    return this.#progEntry(fd).vm;
  }

  /**
   * The engine {@link Bpf.progTestRun} uses for a program fd: its
   * {@link Interpreter}, or its {@link Jit} (compiled on first use, then
   * kept) when {@link Bpf.engine} is `jit`. Both share the program's maps.
   * @throws BpfError EBADF, EINVAL
   */
  progVm(fd: number): VmEngine {
    return this.#progEntry(fd).engine(this.engine);
  }

  /**
   * Run a program on raw buffers (the `bpfscope run` convention: `ctx`
   * copied as it is, `data` for LD_ABS, `mem` with r1/r2) on
   * {@link Bpf.engine}, `repeat` times from the same input, following tail
   * calls; returns the last result (`durationNs` leaves out preparing the
   * programs, see `timeRuns`). For the kernel's `BPF_PROG_TEST_RUN`
   * contract (program-type contexts, `data_out`, `ctx_out`) see
   * {@link Bpf.testRun}.
   * @throws BpfError EBADF, EINVAL
   */
  progTestRun(fd: number, attr: TestRunAttr = {}): TestRunResult {
    const entry = this.#progEntry(fd);
    const input = { ctx: attr.ctx, data: attr.data, mem: attr.mem };
    const opts = { maxInsns: attr.maxInsns, mayGotoBudget: attr.mayGotoBudget, seed: attr.seed, regs: attr.regs };
    let r!: RunResult;
    const { durationNs } = timeRuns(entry, this.engine, Math.max(1, attr.repeat ?? 1), () => {
      r = runChain(entry, input, opts, this.engine);
      return true;
    });
    return { ...r, retval: Number(r.r0 & 0xffffffffn), durationNs };
  }

  /**
   * `BPF_PROG_TEST_RUN` with the kernel's contract for packet programs
   * (socket_filter, sched_cls, sched_act, xdp): the program type's ctx and
   * packet built from `data`/`ctx` as 6.18 builds them, `repeat` runs on
   * {@link Bpf.engine} (unless `opts.engine` says otherwise) following tail
   * calls, `retval`, `data_out`, `ctx_out`, duration (see core/testrun).
   * @throws BpfError EBADF, EINVAL (also a map fd), ENOTSUPP, E2BIG, ENODEV
   */
  testRun(fd: number, opts: TestRunOptions = {}): TestRunReport {
    return runTestRun(this.#progEntry(fd), { ...opts, engine: opts.engine ?? this.engine });
  }

  /** Close an fd. @throws BpfError EBADF */
  close(fd: number): void {
    this.#get(fd);
    this.#fds.delete(fd);
  }

  /** Open fds, ascending. */
  fds(): number[] {
    return [...this.#fds.keys()].sort((a, b) => a - b);
  }
}

/**
 * Create `prog`'s maps in `bpf` and store their `init` elements (each fd is
 * appended to `fds` as soon as it exists, so a caller can list what was
 * made even when a later step fails), then load the program with the fixups
 * applied. Returns the program fd.
 */
export function loadWithMaps(bpf: Bpf, prog: Program, fds: number[]): number {
  for (const def of prog.maps) fds.push(createMapOf(bpf, def));
  return bpf.progLoad({ insns: prog.withMapFds(fds), progType: prog.progType }).fd;
}

/** Create the map `def` declares in `bpf` and store its `init` elements; its fd. @throws BpfError */
export function createMapOf(bpf: Bpf, def: MapDef): number {
  const fd = bpf.mapCreate(mapAttrOf(def));
  for (const [k, v] of def.init) bpf.mapUpdateElem(fd, k, v, 0);
  return fd;
}
