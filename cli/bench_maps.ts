/**
 * Map benchmarks: ns per operation of hash and array maps (core/maps), shared
 * by `bpfscope bench --maps` and `tests/bench/maps_bench.ts`.
 *
 * Hash: 8-byte keys, 8-byte values, `size` elements present (keys from an
 * xorshift32 stream); lookups hit present keys in a shuffled order. Array:
 * 4-byte keys (the only size an array map accepts), 8-byte values. Each
 * operation is measured both on the raw path the helpers use (`lookupRef` /
 * `updateRaw`, no allocation) and on the byte-array API (`lookup` copies the
 * value into a new array, or "into" a caller's buffer; `update` checks
 * lengths).
 *
 * Program level: an eBPF program that calls `map_lookup_elem` once for each
 * key 0..size-1 of a hash map of `size` elements (u64 keys, inserted in a
 * shuffled order; each key once per run, so every lookup is the run's first
 * of that element; a loop of 7 executed instructions per key), run by the
 * interpreter and the JIT; ns per iteration, and the same loop with the call
 * replaced by `r0 = 0` as the baseline, so the difference is the cost of one
 * helper call (address translation of the key, `lookupRef`, mapping the value
 * for the program).
 *
 * Pure TypeScript on core/ and the global `performance`.
 *
 * @module
 */
import { ArrayMap, type BpfMap, HashMap } from "../core/maps/mod.ts";
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JMP_IMM,
  BPF_JNE,
  BPF_LD_MAP_FD,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_STX_MEM,
  Program,
} from "../core/isa/mod.ts";
import { createVm, type VmEngineName } from "../core/jit/mod.ts";

/** Operations per call of a {@link MapCase}'s `fn` (and the least lookups per sample of a {@link ProgramCase}). */
export const OPS: number = 1 << 16;

/** An xorshift32 generator seeded with `seed` (0 counts as 1): each call returns the next unsigned 32-bit value. */
export function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** A map benchmark case. */
export interface MapCase {
  /** The operation, e.g. `hash lookupRef (hit)` (the first word is the map kind). */
  name: string;
  /** Perform {@link OPS} operations; returns a value derived from the results (so they are not optimised away). */
  fn: () => number;
}

/** The map cases for maps of `size` elements (hash: 8-byte keys and values; array: 4-byte keys, 8-byte values). */
export function mapCases(size: number): MapCase[] {
  const rnd = xorshift(0x2545f491);
  const hash: BpfMap = new HashMap({ mapType: 1, keySize: 8, valueSize: 8, maxEntries: size, name: "h" });
  const keys = new Uint8Array(size * 8);
  const kdv = new DataView(keys.buffer);
  for (let i = 0; i < size; i++) {
    kdv.setUint32(i * 8, rnd(), true);
    kdv.setUint32(i * 8 + 4, rnd(), true);
  }
  const value = new Uint8Array(8).fill(7);
  for (let i = 0; i < size; i++) hash.updateRaw(keys, i * 8, value, 0, 0);
  const order = new Int32Array(OPS).map(() => (rnd() % size) * 8);
  const missing = new Uint8Array(OPS * 8).map(() => rnd() & 0xff);
  const arr: BpfMap = new ArrayMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: size, name: "a" });
  const akeys = new Uint8Array(OPS * 4);
  const adv = new DataView(akeys.buffer);
  for (let i = 0; i < OPS; i++) adv.setUint32(i * 4, rnd() % size, true);
  const keyCopies = Array.from({ length: 1024 }, (_, i) => keys.slice(order[i], order[i] + 8));
  const akeyCopies = Array.from({ length: 1024 }, (_, i) => akeys.slice(i * 4, i * 4 + 4));
  return [
    {
      name: "hash lookupRef (hit)",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += hash.lookupRef(keys, order[i]);
        return s;
      },
    },
    {
      name: "hash lookupRef (miss)",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += hash.lookupRef(missing, i * 8);
        return s;
      },
    },
    {
      name: "hash updateRaw (existing)",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += hash.updateRaw(keys, order[i], value, 0, 0);
        return s;
      },
    },
    {
      name: "hash lookup API (copy)",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += hash.lookup(keyCopies[i & 1023])[0];
        return s;
      },
    },
    {
      name: "hash lookup API (into)",
      fn: () => {
        let s = 0;
        const out = new Uint8Array(8);
        for (let i = 0; i < OPS; i++) s += hash.lookup(keyCopies[i & 1023], out)[0];
        return s;
      },
    },
    {
      name: "hash update API",
      fn: () => {
        for (let i = 0; i < OPS; i++) hash.update(keyCopies[i & 1023], value);
        return 0;
      },
    },
    {
      name: "array lookupRef",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += arr.lookupRef(akeys, i * 4);
        return s;
      },
    },
    {
      name: "array updateRaw",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += arr.updateRaw(akeys, i * 4, value, 0, 0);
        return s;
      },
    },
    {
      name: "array lookup API (copy)",
      fn: () => {
        let s = 0;
        for (let i = 0; i < OPS; i++) s += arr.lookup(akeyCopies[i & 1023])[0];
        return s;
      },
    },
  ];
}

/** A program-level case: one engine running the lookup loop or its baseline. */
export interface ProgramCase {
  /** `<engine> lookup loop` or `<engine> baseline loop`. */
  name: string;
  /** The engine that runs the program. */
  engine: VmEngineName;
  /** True for the loop that calls `map_lookup_elem`, false for the baseline (`r0 = 0` instead of the call). */
  call: boolean;
  /** Loop iterations `fn` performs (one helper call each, or none for the baseline). */
  iters: number;
  /** Run the program enough times for `iters` iterations; returns the executed instructions. */
  fn: () => number;
}

/**
 * The program-level cases for a hash map of `size` elements (1 to 2^31 - 1):
 * each run looks up all `size` keys once (the key is the loop counter, stored
 * on the stack); a sample is enough runs for at least {@link OPS} lookups.
 * Per engine of `engines` (default both), the lookup loop then its baseline.
 */
export function programCases(size: number, engines: readonly VmEngineName[] = ["interp", "jit"]): ProgramCase[] {
  const rnd = xorshift(0x1b873593);
  const map = new HashMap({ mapType: 1, keySize: 8, valueSize: 8, maxEntries: size, name: "h" });
  // keys 0..size-1 (u64), inserted in a shuffled order so that lookup order and element order differ
  const order = Int32Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = rnd() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const key = new Uint8Array(8), value = new Uint8Array(8).fill(7);
  for (const k of order) {
    new DataView(key.buffer).setUint32(0, k, true);
    map.updateRaw(key, 0, value, 0, 0);
  }
  const prog = (call: boolean) =>
    Program.fromInsns([
      BPF_MOV64_IMM(6, 0), // r6 = the key
      BPF_STX_MEM(BPF_DW, 10, 6, -8), // loop (7 executed insns per key): the key at fp-8
      BPF_LD_MAP_FD(1, 3),
      BPF_MOV64_REG(2, 10),
      BPF_ALU64_IMM(BPF_ADD, 2, -8),
      call ? BPF_EMIT_CALL(1) : BPF_MOV64_IMM(0, 0), // r0 = map_lookup_elem(map, &key)
      BPF_ALU64_IMM(BPF_ADD, 6, 1),
      BPF_JMP_IMM(BPF_JNE, 6, size, -8),
      BPF_MOV64_IMM(0, 0),
      BPF_EXIT_INSN(),
    ]);
  const runs = Math.ceil(OPS / size);
  const cases: ProgramCase[] = [];
  for (const engine of engines) {
    for (const call of [true, false]) {
      const vm = createVm(prog(call), { resolveMap: (fd) => (fd === 3 ? map : undefined) }, engine);
      cases.push({
        name: `${engine} ${call ? "lookup loop" : "baseline loop"}`,
        engine,
        call,
        iters: runs * size,
        fn: () => {
          let s = 0;
          for (let k = 0; k < runs; k++) {
            const r = vm.run();
            if (r.fault !== null) throw new Error(r.fault.message);
            s += r.insnsExecuted;
          }
          return s;
        },
      });
    }
  }
  return cases;
}

/** The median of `xs` (the mean of the middle two for an even count); NaN for none. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median ns per operation of `fn` (which performs `ops` operations) over `runs` samples after `warmup` calls. */
export function medianNs(fn: () => number, ops: number, runs: number, warmup: number): number {
  for (let k = 0; k < warmup; k++) fn();
  const xs: number[] = [];
  for (let k = 0; k < runs; k++) {
    const s = performance.now();
    fn();
    xs.push(((performance.now() - s) * 1e6) / ops);
  }
  return median(xs);
}

/** The program-level figures of one engine, in ns per loop iteration. */
export interface ProgramLoopTiming {
  /** The loop with the `map_lookup_elem` call. */
  lookup_loop: number;
  /** The same loop with `r0 = 0` instead of the call. */
  baseline_loop: number;
  /** `lookup_loop - baseline_loop`: the cost of one helper call. */
  helper_call: number;
}

/** The figures of {@link benchMaps} for one size (the `maps` object of `bpfscope bench --maps --json`). */
export interface MapsBenchResult {
  /** Elements in each map. */
  size: number;
  /** Median ns per operation by {@link MapCase} name (`hash lookupRef (hit)`, ...). */
  ops: Record<string, number>;
  /** The program-level case by engine. */
  program: Partial<Record<VmEngineName, ProgramLoopTiming>>;
}

/** Options of {@link benchMaps}. */
export interface BenchMapsOptions {
  /** Timed samples per case (the median is reported). */
  runs: number;
  /** Untimed calls before the samples of a map case. */
  warmup: number;
  /** Untimed calls before the samples of a program case (default `warmup`). */
  programWarmup?: number;
  /** Engines for the program-level case (default both). */
  engines?: readonly VmEngineName[];
}

/** Run the map cases, then the program-level cases, for maps of `size` elements. */
export function benchMaps(size: number, opts: BenchMapsOptions): MapsBenchResult {
  const res: MapsBenchResult = { size, ops: {}, program: {} };
  for (const c of mapCases(size)) res.ops[c.name] = medianNs(c.fn, OPS, opts.runs, opts.warmup);
  const per: Record<string, number> = {};
  for (const c of programCases(size, opts.engines)) {
    per[c.name] = medianNs(c.fn, c.iters, opts.runs, opts.programWarmup ?? opts.warmup);
    if (!c.call) {
      const call = per[`${c.engine} lookup loop`];
      res.program[c.engine] = { lookup_loop: call, baseline_loop: per[c.name], helper_call: call - per[c.name] };
    }
  }
  return res;
}

/** The text tables of a {@link MapsBenchResult}: ns per operation, then the program-level case (no final newline). */
export function mapsTable(r: MapsBenchResult): string {
  const lines = [`${r.size} elements`, "operation                  | ns/op"];
  for (const [name, ns] of Object.entries(r.ops)) lines.push(`${name.padEnd(26)} | ${ns.toFixed(1).padStart(6)}`);
  lines.push(
    "",
    `program: map_lookup_elem on ${r.size} distinct keys per run (hash map of ${r.size} elements)`,
    "engine, loop               | ns/iteration | ns/helper call (minus baseline)",
  );
  for (const [engine, t] of Object.entries(r.program)) {
    lines.push(`${`${engine} lookup loop`.padEnd(26)} | ${t.lookup_loop.toFixed(1).padStart(12)}`);
    lines.push(
      `${`${engine} baseline loop`.padEnd(26)} | ${t.baseline_loop.toFixed(1).padStart(12)} | ${
        t.helper_call.toFixed(1).padStart(6)
      }`,
    );
  }
  return lines.join("\n");
}
