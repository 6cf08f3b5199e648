/**
 * Fuzz targets. Each target runs seeded iterations until an iteration count
 * or a deadline is reached and returns statistics plus findings (a finding
 * is a bug: a crash, a hang, a fault of a verified program, an engine
 * disagreement). Findings carry the seed and the program so they replay.
 *
 * Targets: `soundness`, `soundness618`, `verifier`, `parsers`, `limits`, `testrun`, `jitopt`.
 *
 * @module
 */
import { type BtfTypeInfo, type FuncInfo, type MapDef, Program } from "../../core/isa/mod.ts";
import { verify } from "../../core/verifier/mod.ts";
import { createMap } from "../../core/maps/mod.ts";
import type { BpfMap } from "../../core/maps/mod.ts";
import { createVm } from "../../core/jit/mod.ts";
import type { RunInput, VmProfile } from "../../core/vm/mod.ts";
import { decodeProgram, encodeAsm, encodeJson, encodeRaw } from "../../core/formats/mod.ts";
import { BpfError, FormatError } from "../../core/errors.ts";
import { Bpf, loadWithMaps } from "../../core/bpf.ts";
import { generateProgram, type GenProfile } from "./gen.ts";
import { generate6 } from "../gen6/gen.ts";
import { helperProgram } from "../kernel_diff6/helper_gen.ts";
import { Rng } from "./rng.ts";
import { fuzzTestRun } from "./testrun_target.ts";
import { fuzzJitOpt } from "./jitopt_target.ts";

/** One bug found by a target. */
export interface Finding {
  /** Target name. */
  target: string;
  /** What went wrong (`fault`, `engine-mismatch`, `crash`, `slow`, ...). */
  kind: string;
  /** The iteration seed: `runTarget(target, {seed})` with one iteration replays it. */
  seed: number;
  /** Details (error message, fault). */
  message: string;
  /** The program as JSON slots, or the input file (hex) for parser findings. */
  input: string;
}

/** Statistics of a target run. */
export interface FuzzStats {
  /** Target name. */
  target: string;
  /** Iterations done (programs or inputs). */
  iterations: number;
  /** Wall time in ms. */
  ms: number;
  /** Target-specific counters (accepted, runs, format errors, ...). */
  counts: Record<string, number>;
  /** Bugs found (deduplicated by kind and message head). */
  findings: Finding[];
}

/** Options of a target run. */
export interface FuzzOptions {
  /** First seed (iteration i uses seed + i). */
  seed?: number;
  /** Stop after this many iterations. */
  iterations?: number;
  /** Stop after this many milliseconds. */
  ms?: number;
  /** Soundness: random inputs and map states per accepted program (default 6). */
  runs?: number;
}

class Recorder {
  readonly stats: FuzzStats;
  readonly #seen = new Set<string>();
  constructor(target: string) {
    this.stats = { target, iterations: 0, ms: 0, counts: {}, findings: [] };
  }
  max(k: string, v: number): void {
    this.stats.counts[k] = Math.max(this.stats.counts[k] ?? 0, Math.round(v));
  }
  count(k: string, n = 1): void {
    this.stats.counts[k] = (this.stats.counts[k] ?? 0) + n;
  }
  find(kind: string, seed: number, message: string, input: string): void {
    const key = kind + ":" + message.replace(/\d+/g, "N").slice(0, 80);
    this.count("findings");
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.stats.findings.push({ target: this.stats.target, kind, seed, message, input });
  }
}

function loop(rec: Recorder, opts: FuzzOptions, body: (seed: number) => void): FuzzStats {
  const t0 = performance.now();
  const seed0 = opts.seed ?? 1;
  const max = opts.iterations ?? Infinity;
  const ms = opts.ms ?? (opts.iterations === undefined ? 1000 : Infinity);
  let i = 0;
  while (i < max && performance.now() - t0 < ms) {
    body(seed0 + i);
    i++;
  }
  rec.stats.iterations = i;
  rec.stats.ms = Math.round(performance.now() - t0);
  return rec.stats;
}

/** JSON slots of a program, for findings. */
export function slotsJson(p: Program): string {
  return JSON.stringify({
    insns: p.insns().map((x) => [x.code, x.dst, x.src, x.off, x.imm]),
    prog_type: p.progType,
    maps: p.maps.map((m) => ({
      type: m.type,
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
    })),
    fixup: p.fixups,
  });
}

const hexOf = (b: Uint8Array | undefined) =>
  b === undefined ? "" : Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Create the maps of `defs` with random initial entries (keys from a small domain, so lookups hit). */
export function randomMapState(r: Rng, defs: MapDef[], profile: VmProfile): BpfMap[] {
  return defs.map((d) => {
    const m = createMap(
      { mapType: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries },
      profile,
    );
    const n = r.int(d.maxEntries + 1);
    for (let i = 0; i < n; i++) {
      const k = new Uint8Array(d.keySize);
      k[0] = r.int(6);
      try {
        m.update(k, r.bytes(d.valueSize), 0);
      } catch { /* array index out of range or full hash: fine */ }
    }
    return m;
  });
}

/** A random run input for a program type: ctx bytes for `unspec`, a packet for `socket_filter`. */
export function randomInput(r: Rng, progType: number): RunInput {
  if (progType === 1) return { data: r.bytes(r.pick([0, 1, 14, 20, 40, 64, 81, 100])) };
  return { ctx: r.bytes(r.pick([16, 16, 24, 64])) };
}

/**
 * Soundness: generated programs (biased to be accepted) go through `verify`
 * with the linux-3.19 and linux-3.18 profiles; every accepted program runs
 * under random inputs and map states on the interpreter and the JIT. A
 * fault of a verified program, or a difference between the engines, is a
 * finding.
 */
export function fuzzSoundness(opts: FuzzOptions = {}): FuzzStats {
  const rec = new Recorder("soundness");
  const runs = opts.runs ?? 6;
  return loop(rec, opts, (seed) => {
    const r = new Rng(seed);
    const profile: GenProfile = seed % 3 === 0 ? "linux-3.18" : "linux-3.19";
    const { prog, intendedBad } = generateProgram(r, { profile });
    rec.count(`programs ${profile}`);
    rec.count("insns", prog.len);
    const v = verify(prog, { profile });
    if (!v.accepted) {
      rec.count(`rejected ${profile}`);
      rec.count(`rejected ${intendedBad ? "bad-on-purpose" : "unintended"}`);
      rec.count(`reject: ${(v.error ?? v.errno ?? "?").replace(/\d+/g, "N").slice(0, 48)}`);
      return;
    }
    rec.count(`accepted ${profile}`);
    if (intendedBad) rec.count("accepted bad-on-purpose");
    const vmProfile: VmProfile = profile === "linux-3.18" ? "linux-3.18" : "modern";
    for (let k = 0; k < runs; k++) {
      const input = randomInput(r, prog.progType);
      const stateSeed = r.u32();
      const out: string[] = [];
      for (const engine of ["interp", "jit"] as const) {
        const maps = randomMapState(new Rng(stateSeed), prog.maps, vmProfile);
        const fds = maps.map((_, i) => 100 + i);
        const vm = createVm(prog.withMapFds(fds), { profile: vmProfile, resolveMap: (fd) => maps[fd - 100] }, engine);
        const res = vm.run(input, { maxInsns: 1_000_000, seed: stateSeed, regs: true, clock: () => 1n });
        rec.count("runs");
        if (res.fault) {
          rec.find("fault", seed, `${profile} ${engine}: ${res.fault.message}`, slotsJson(prog));
        }
        out.push(JSON.stringify({
          r0: String(res.r0),
          regs: res.regs?.map(String),
          n: res.insnsExecuted,
          f: res.fault?.message ?? null,
          ctx: hexOf(res.ctxOut),
          data: hexOf(res.dataOut),
          maps: maps.map((m) => m.entries().map(([a, b]) => hexOf(a) + "=" + hexOf(b))),
        }));
      }
      if (out[0] !== out[1]) {
        rec.find("engine-mismatch", seed, `${profile}: interp ${out[0]} jit ${out[1]}`, slotsJson(prog));
      }
    }
  });
}

/** Map types the machine runs (hash, array, prog_array, percpu_hash, percpu_array, lru_hash, ringbuf). */
const MACHINE_MAP_TYPES = new Set([1, 2, 3, 5, 6, 9, 27]);

/**
 * The program with its generated subprogram (tests/gen6: `r1` a scalar,
 * `r2` a pointer to 8 bytes of the caller's stack, read at once) made a
 * global function: BTF func_info with global linkage and, by `variant`,
 * the prototype `int sub(long a, __u64 *p __arg_nonnull)` (0, the one that
 * fits), `(long a, __u64 *p)` (1: p maybe NULL in the walk), `(long a,
 * long p)` (2: a pointer where a scalar is expected), `(long a, struct
 * sixteen *p __arg_nonnull)` (3: 16 bytes at the call), `(long a, __u64 *p
 * __arg_nonnull, int c)` (4: R3 must be a scalar); the main program's `int
 * main(struct CTX *ctx)`. Null when the program has no bpf-to-bpf call.
 */
export function withGlobalSubprog(prog: Program, variant = 0): Program | null {
  let start = -1;
  for (let i = 0; i < prog.len && start < 0; i++) {
    const s = prog.insn(i);
    if (s.code === 0x85 && s.src === 1) start = i + s.imm + 1;
  }
  if (start <= 0) return null;
  const ctx = prog.progType === 6 ? "xdp_md" : "__sk_buff";
  const t = (kind: number, name: string, sizeOrType: number, more: Partial<BtfTypeInfo> = {}): BtfTypeInfo => ({
    kind,
    name,
    sizeOrType,
    vlen: 0,
    ...more,
  });
  const p2 = [2, 2, 1, 12, 2][variant];
  const params = [{ name: "a", type: 1 }, { name: "p", type: p2 }];
  if (variant === 4) params.push({ name: "c", type: 5 });
  const types: (BtfTypeInfo | undefined)[] = [
    undefined,
    t(1, "long", 8), // 1
    t(2, "", 3), // 2: __u64 *
    t(1, "unsigned long long", 8), // 3
    t(13, "", 5, { vlen: params.length, params }), // 4
    t(1, "int", 4), // 5
    t(12, "sub", 4, { vlen: 1 }), // 6: global
    t(17, variant === 1 ? "nonnull" : "arg:nonnull", 6, { componentIdx: 1 }), // 7 (variant 1: not an arg: tag)
    t(4, ctx, 24), // 8
    t(2, "", 8), // 9
    t(13, "", 5, { vlen: 1, params: [{ name: "ctx", type: 9 }] }), // 10
    t(12, "main", 10, { vlen: 1 }), // 11
    t(2, "", 13), // 12: struct sixteen *
    t(4, "sixteen", 16), // 13
  ];
  const funcInfo = [globalFuncInfo(0, 11, "main"), globalFuncInfo(start, 6, "sub")];
  return prog.clone({ btf: { funcInfo, lineInfo: [], types } });
}

/** A func_info record of a global function returning int: `insnOff`, the FUNC's `typeId` and name. */
export function globalFuncInfo(insnOff: number, typeId: number, name: string): FuncInfo {
  return { insnOff, typeId, isFunc: true, name, linkage: 1, scalarReturn: true };
}

/**
 * Soundness of the linux-6.18 profile: issue 12's generator (tests/gen6/,
 * every feature: ALU/ISA v4, branches, stack, maps, helpers, loops,
 * bpf-to-bpf calls, direct packet access, one bug in three programs; may_goto
 * loops in one program in four, run with may_goto budgets of 0..39) for
 * the program types with a test run (`socket_filter`, `sched_cls`, `xdp`);
 * every accepted program is test-run (`BPF_PROG_TEST_RUN`'s contexts,
 * core/testrun) under random packets of every length around the generated
 * bounds checks and random map states on the interpreter and the JIT. A
 * fault of a verified program, or a difference between the engines, is a
 * finding.
 */
export function fuzzSoundness618(opts: FuzzOptions = {}): FuzzStats {
  const rec = new Recorder("soundness618");
  const runs = opts.runs ?? 6;
  return loop(rec, opts, (seed) => {
    const r = new Rng(seed);
    // one program in three calls helpers (tests/kernel_diff6/helper_gen.ts: ring buffers, tail calls,
    // skb_load_bytes, csum_diff, packet-moving helpers, ...); cgroup_skb has no test run
    let prog: Program, bug: unknown;
    if (seed % 3 === 0) {
      const spec = helperProgram(seed);
      if (spec.prog_type === "cgroup_skb") spec.prog_type = "sched_cls";
      prog = decodeProgram(new TextEncoder().encode(JSON.stringify(spec)), "helpers.json");
      // the machine has no perf_event_array or devmap: an unused one becomes a small array, a used one skips the program
      const used = new Set(prog.fixups.map(([, m]) => m));
      if (prog.maps.some((m, i) => !MACHINE_MAP_TYPES.has(m.type) && used.has(i))) {
        rec.count("helper programs with a map the machine lacks");
        return;
      }
      prog = prog.clone({
        maps: prog.maps.map((m) =>
          MACHINE_MAP_TYPES.has(m.type) ? m : { ...m, type: 2, keySize: 4, valueSize: 4, maxEntries: 1, init: [] }
        ),
      });
      bug = null;
      rec.count("helper programs");
    } else {
      // one generated program in four with may_goto loops (run with small budgets: the kernel's 8,388,608 would
      // make every can_loop loop a long run; the verifier explores both ways of every may_goto, so any budget is sound)
      const mayGoto = seed % 4 === 1 ? 3 : 0;
      ({ prog, bug } = generate6(seed, { progTypes: ["socket_filter", "sched_cls", "xdp"], mayGoto }));
      if (mayGoto) rec.count("programs with may_goto loops");
      // one program with a subprogram in two: the subprogram made global, verified on its own from its prototype
      const global = seed % 2 === 0 ? withGlobalSubprog(prog) : null;
      if (global) {
        prog = global;
        rec.count("programs with a global function");
      }
    }
    rec.count("programs");
    rec.count(`programs ${prog.progType === 1 ? "socket_filter" : prog.progType === 3 ? "sched_cls" : "xdp"}`);
    rec.count("insns", prog.len);
    const v = verify(prog, { profile: "linux-6.18" });
    if (!v.accepted) {
      const what = seed % 3 === 0 ? "helper programs rejected" : bug ? "rejected with a bug" : "rejected without a bug";
      rec.count(v.errno === "EOPNOTSUPP" ? "not modelled" : what);
      return;
    }
    rec.count(bug ? "accepted with a bug" : "accepted");
    if (prog.btf) rec.count("accepted with a global function");
    if (seed % 3 !== 0 && seed % 4 === 1) rec.count("accepted with may_goto loops");
    for (let k = 0; k < runs; k++) {
      const len = r.chance(0.5) ? r.range(14, 80) : r.pick([14, 15, 20, 34, 54, 64, 100, 256, 1500]);
      const data = r.bytes(len);
      const stateSeed = r.u32();
      const out: string[] = [];
      for (const engine of ["interp", "jit"] as const) {
        const bpf = new Bpf({ verify: null, engine });
        const fds: number[] = [];
        let res;
        try {
          const fd = loadWithMaps(bpf, prog, fds);
          const sr = new Rng(stateSeed);
          for (const [i, d] of prog.maps.entries()) {
            if (d.type === 3 || d.type === 27) continue; // prog_array, ringbuf: no elements from here
            const n = sr.int(Math.min(d.maxEntries, 16) + 1);
            for (let j = 0; j < n; j++) {
              const key = new Uint8Array(d.keySize);
              key[0] = sr.int(6);
              try {
                bpf.mapUpdateElem(fds[i], key, sr.bytes(d.valueSize), 0);
              } catch { /* array index out of range or full hash: fine */ }
            }
          }
          const mayGotoBudget = stateSeed % 40;
          res = bpf.testRun(fd, { data, engine, maxInsns: 1_000_000, seed: stateSeed, clock: 1n, mayGotoBudget });
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          rec.count(`test run refused: ${e.errno}`);
          out.push(`refused ${e.errno}`);
          continue;
        }
        if (res.fault && /unknown helper function/.test(res.fault.message)) {
          // a helper the verifier models but the machine does not run (get_current_task, ...)
          rec.count("helper the machine lacks");
          out.push("lacks helper");
          continue;
        }
        rec.count("runs");
        if (res.fault) {
          rec.find("fault", seed, `linux-6.18 ${engine} (${len}-byte packet): ${res.fault.message}`, slotsJson(prog));
        }
        out.push(JSON.stringify({
          r0: String(res.r0),
          n: res.insnsExecuted,
          f: res.fault?.message ?? null,
          data: hexOf(res.dataOut),
          maps: fds.map((m) => bpf.map(m).entries().map(([a, b]) => hexOf(a) + "=" + hexOf(b))),
        }));
      }
      if (out[0] !== out[1]) {
        rec.find("engine-mismatch", seed, `linux-6.18: interp ${out[0]} jit ${out[1]}`, slotsJson(prog));
      }
    }
  });
}

/** Only these may escape `verify` (documented: bad options); anything else is a crash. */
function isDocumented(e: unknown): boolean {
  return e instanceof RangeError && /unknown verifier profile|unknown program type|fixup/.test(e.message);
}

/** Mutate a program's bytes: bit flips, random slots, reserved fields, duplication. */
export function mutateProgram(r: Rng, p: Program): Program {
  let b: Uint8Array = p.bytes.slice();
  const n = r.range(1, 4);
  for (let k = 0; k < n; k++) {
    const slots = b.length >> 3;
    if (slots === 0) break;
    const s = r.int(slots) << 3;
    switch (r.int(6)) {
      case 0: // bit flip
        b[s + r.int(8)] ^= 1 << r.int(8);
        break;
      case 1: // random slot
        b.set(r.bytes(8), s);
        break;
      case 2: // reserved fields: registers 11..15, random off/imm
        b[s + 1] = r.u32() & 0xff;
        break;
      case 3:
        b[s + 2] = r.u32() & 0xff;
        b[s + 3] = r.u32() & 0xff;
        break;
      case 4: // opcode from the known set, fields kept
        b[s] = r.pick([
          0x07,
          0x0f,
          0x18,
          0x15,
          0x05,
          0x85,
          0x95,
          0x61,
          0x79,
          0x7a,
          0x7b,
          0xdb,
          0x20,
          0x40,
          0xbf,
          0x16,
          0xa5,
        ]);
        break;
      default: { // truncate or duplicate a range
        if (r.chance(0.5) && slots > 1) b = b.slice(0, r.range(1, slots - 1) << 3);
        else {
          const a = r.int(slots), len = r.range(1, Math.min(16, slots - a));
          const dup = b.slice(a << 3, (a + len) << 3);
          const nb = new Uint8Array(b.length + dup.length);
          nb.set(b.subarray(0, (a + len) << 3));
          nb.set(dup, (a + len) << 3);
          nb.set(b.subarray((a + len) << 3), (a + len + len) << 3);
          b = nb;
        }
      }
    }
  }
  const fixups = p.fixups.filter(([s]) => (s << 3) < b.length);
  return new Program(b, { maps: p.maps, fixups, progType: p.progType });
}

/**
 * Verifier robustness: random slot soup, mutated generated programs and huge
 * programs (up to 4096 insns, with branches) always end in a verdict; no
 * exception but documented RangeErrors, no walk slower than `slowMs`
 * (default 2000 ms).
 */
export function fuzzVerifier(opts: FuzzOptions & { slowMs?: number } = {}): FuzzStats {
  const rec = new Recorder("verifier");
  const slowMs = opts.slowMs ?? 2000;
  return loop(rec, opts, (seed) => {
    const r = new Rng(seed);
    const profile: GenProfile = r.chance(0.5) ? "linux-3.18" : "linux-3.19";
    let prog: Program;
    const mode = r.int(10);
    if (mode < 6) {
      prog = mutateProgram(r, generateProgram(r, { profile }).prog);
      rec.count("mutated");
    } else if (mode < 9) {
      const n = r.range(0, 64);
      prog = new Program(r.bytes(n * 8), {
        progType: r.int(3),
        maps: r.chance(0.5) ? generateProgram(r, { profile }).prog.maps : [],
      });
      rec.count("random");
    } else {
      // huge: a generated program repeated until it is 4000..4100 slots long (the boundary)
      const g = generateProgram(r, { profile, size: r.range(20, 60) }).prog;
      const target = r.range(4000, 4100);
      const body = g.bytes.subarray(0, (g.len - 1) * 8);
      const b = new Uint8Array(target * 8);
      for (let o = 0; o + body.length <= b.length - 8; o += body.length) b.set(body, o);
      b.set([0xb7, 0, 0, 0, 0, 0, 0, 0], b.length - 16);
      b.set([0x95, 0, 0, 0, 0, 0, 0, 0], b.length - 8);
      prog = new Program(b, { progType: g.progType, maps: g.maps });
      rec.count("huge");
    }
    const t0 = performance.now();
    try {
      const v = verify(prog, { profile, prune: r.chance(0.8), logLevel: r.chance(0.2) ? 1 : 0 });
      rec.count(v.accepted ? "accepted" : "rejected");
      if (prog.len >= 4096 && v.accepted) rec.find("limit", seed, `${prog.len} insns accepted`, slotsJson(prog));
    } catch (e) {
      if (isDocumented(e)) rec.count("range-error");
      else rec.find("crash", seed, `${(e as Error)?.name}: ${(e as Error)?.message}`, slotsJson(prog));
    }
    const dt = performance.now() - t0;
    rec.max("max verify ms", dt);
    if (dt > slowMs) rec.find("slow", seed, `verify took ${Math.round(dt)} ms (${prog.len} insns)`, slotsJson(prog));
  });
}

function seedFiles(): Array<[string, Uint8Array]> {
  const dir = new URL("../", import.meta.url).pathname;
  const out: Array<[string, Uint8Array]> = [];
  const add = (path: string) => {
    try {
      out.push([path.slice(path.lastIndexOf("/") + 1), Deno.readFileSync(path)]);
    } catch { /* missing */ }
  };
  for (const sub of ["fixtures", "data/examples", "data/bench", "data/corpus"]) {
    try {
      for (const e of Deno.readDirSync(dir + sub)) {
        if (e.isFile && /\.(o|json|s|bin|raw)$/.test(e.name) && !e.name.startsWith("expected")) {
          add(`${dir}${sub}/${e.name}`);
        }
      }
    } catch { /* missing dir */ }
  }
  return out.sort((a, b) => a[0] < b[0] ? -1 : 1);
}

let SEEDS: Array<[string, Uint8Array]> | null = null;

/** Mutate file bytes: bit flips, byte sets, splices, truncation, text-level edits. */
export function mutateBytes(r: Rng, b: Uint8Array, text: boolean): Uint8Array {
  let x: Uint8Array = b.slice();
  const n = r.range(1, 6);
  for (let k = 0; k < n; k++) {
    if (x.length === 0) x = r.bytes(r.range(1, 16));
    const i = r.int(x.length);
    switch (r.int(text ? 7 : 5)) {
      case 0:
        x[i] ^= 1 << r.int(8);
        break;
      case 1:
        x[i] = r.pick([0, 0xff, 0x7f, 0x80, 0x30, 0x22, 0x5b, 0x5d, 0x2c, 0x2d, 0x0a]);
        break;
      case 2:
        x = x.slice(0, i);
        break;
      case 3: { // overwrite 4 or 8 bytes with an edge value (ELF sizes and offsets)
        const v = r.pick([0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0x10000, x.length, x.length + 1]);
        const dv = new DataView(x.buffer, x.byteOffset, x.length);
        if (i + 4 <= x.length) dv.setUint32(i, v, true);
        if (i + 8 <= x.length && r.chance(0.3)) dv.setUint32(i + 4, r.chance(0.5) ? 0 : 0xffffffff, true);
        break;
      }
      case 4: { // splice a random range elsewhere
        const a = r.int(x.length), len = r.int(Math.min(64, x.length - a) + 1);
        const nb = new Uint8Array(x.length + len);
        nb.set(x.subarray(0, i));
        nb.set(x.subarray(a, a + len), i);
        nb.set(x.subarray(i), i + len);
        x = nb;
        break;
      }
      case 5: { // text: replace a number with an edge value
        const s = new TextDecoder().decode(x);
        const m = [...s.matchAll(/-?\d+/g)];
        if (m.length === 0) break;
        const pick = r.pick(m);
        const v = r.pick([
          "4294967296",
          "-1",
          "1e309",
          "99999999999999999999",
          "0x7fffffff",
          "65535",
          "-32769",
          "1.5",
          "NaN",
        ]);
        x = new TextEncoder().encode(s.slice(0, pick.index!) + v + s.slice(pick.index! + pick[0].length));
        break;
      }
      default: { // text: duplicate a line
        const s = new TextDecoder().decode(x);
        const lines = s.split("\n");
        const l = r.int(lines.length);
        lines.splice(l, 0, lines[r.int(lines.length)]);
        x = new TextEncoder().encode(lines.join("\n"));
      }
    }
  }
  return x;
}

/**
 * Parsers: mutated JSON, raw, assembly and ELF inputs (seeded from
 * tests/fixtures, tests/data and the corpus, plus encodings of generated
 * programs) end in a FormatError or a program; nothing else may escape, and
 * no decode may take longer than `slowMs` (default 2000 ms).
 */
export function fuzzParsers(opts: FuzzOptions & { slowMs?: number } = {}): FuzzStats {
  const rec = new Recorder("parsers");
  const slowMs = opts.slowMs ?? 2000;
  SEEDS ??= seedFiles();
  return loop(rec, opts, (seed) => {
    const r = new Rng(seed);
    let name: string, bytes: Uint8Array;
    if (r.chance(0.5) && SEEDS!.length > 0) {
      [name, bytes] = r.pick(SEEDS!);
    } else {
      const p = generateProgram(r, { profile: "linux-3.19" }).prog;
      switch (r.int(3)) {
        case 0:
          name = "gen.json";
          bytes = new TextEncoder().encode(encodeJson(p));
          break;
        case 1:
          name = "gen.s";
          bytes = new TextEncoder().encode(encodeAsm(p));
          break;
        default:
          name = "gen.bin";
          bytes = encodeRaw(p);
      }
    }
    const isText = /\.(json|s)$/.test(name);
    const input = r.chance(0.05) ? bytes : mutateBytes(r, bytes, isText);
    if (r.chance(0.1)) name = r.pick(["x.json", "x.s", "x.bin", "x", "x.o"]);
    const kind = name.endsWith(".o") ? "elf" : name.endsWith(".json") ? "json" : name.endsWith(".s") ? "asm" : "raw";
    rec.count(`input ${kind}`);
    const t0 = performance.now();
    try {
      const p = decodeProgram(input, name);
      rec.count("decoded");
      // a decoded program must survive the rest of the pipeline
      verify(p, { profile: "linux-3.19", progType: r.chance(0.5) ? 1 : 0 });
      // an ELF program with (mutated) BTF line info: the 6.18 load-time checks and source lines
      if (p.btf) {
        rec.count("with btf");
        verify(p, { profile: "linux-6.18", progType: r.chance(0.5) ? 1 : p.progType, logLevel: 1 });
      }
    } catch (e) {
      if (e instanceof FormatError) rec.count("format-error");
      else if (e instanceof RangeError && /fixup/.test(e.message)) rec.count("range-error");
      else {rec.find(
          "crash",
          seed,
          `${name}: ${(e as Error)?.name}: ${(e as Error)?.message}`,
          hexOf(input).slice(0, 4096),
        );}
    }
    const dt = performance.now() - t0;
    rec.max("max decode ms", dt);
    if (dt > slowMs) {
      rec.find(
        "slow",
        seed,
        `${name}: decode took ${Math.round(dt)} ms (${input.length} bytes)`,
        hexOf(input).slice(0, 4096),
      );
    }
  });
}

/**
 * Limits: the executed-instruction limit stops unverified runaway programs
 * (random loops) on both engines with the same count; nothing else is
 * checked per iteration here (the fixed limit checks live in
 * tests/fuzz_limits_test.ts).
 */
export function fuzzLimits(opts: FuzzOptions = {}): FuzzStats {
  const rec = new Recorder("limits");
  return loop(rec, opts, (seed) => {
    const r = new Rng(seed);
    const g = generateProgram(r, { profile: "linux-3.19", badRate: 0.2 }).prog;
    // add a back-edge from the end to a random earlier slot: most become runaway loops
    const b = new Uint8Array(g.bytes.length + 8);
    b.set(g.bytes);
    const to = r.int(g.len);
    b.set(g.bytes.subarray((g.len - 1) * 8), g.len * 8); // exit moves one down
    const dv = new DataView(b.buffer);
    b[(g.len - 1) * 8] = 0x05;
    b[(g.len - 1) * 8 + 1] = 0;
    dv.setInt16((g.len - 1) * 8 + 2, to - g.len, true);
    dv.setInt32((g.len - 1) * 8 + 4, 0, true);
    const prog = new Program(b, { maps: g.maps, fixups: g.fixups, progType: g.progType });
    const max = r.range(1, 20000);
    const input = randomInput(r, prog.progType);
    const res: string[] = [];
    for (const engine of ["interp", "jit"] as const) {
      const maps = randomMapState(new Rng(seed), prog.maps, "modern");
      const vm = createVm(prog.withMapFds(maps.map((_, i) => 100 + i)), { resolveMap: (fd) => maps[fd - 100] }, engine);
      const t0 = performance.now();
      const out = vm.run(input, { maxInsns: max, seed: 1, clock: () => 1n });
      const dt = performance.now() - t0;
      if (out.insnsExecuted > max) {
        rec.find("limit", seed, `${engine}: executed ${out.insnsExecuted} > limit ${max}`, slotsJson(prog));
      }
      if (dt > 2000) {
        rec.find("slow", seed, `${engine}: run took ${Math.round(dt)} ms with limit ${max}`, slotsJson(prog));
      }
      if (out.insnsExecuted === max && out.fault) rec.count("stopped by the limit");
      res.push(`${out.r0} ${out.insnsExecuted} ${out.fault?.message ?? ""}`);
    }
    rec.count("runs", 2);
    if (res[0] !== res[1]) rec.find("engine-mismatch", seed, `interp ${res[0]} / jit ${res[1]}`, slotsJson(prog));
  });
}

/** The targets by name. */
export const TARGETS: Readonly<Record<string, (opts: FuzzOptions) => FuzzStats>> = {
  soundness: fuzzSoundness,
  soundness618: fuzzSoundness618,
  verifier: fuzzVerifier,
  parsers: fuzzParsers,
  limits: fuzzLimits,
  testrun: fuzzTestRun,
  jitopt: fuzzJitOpt,
};
