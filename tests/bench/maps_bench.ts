/**
 * Map benchmarks: ns per operation of hash and array maps (core/maps).
 *
 * Hash: 8-byte keys, 8-byte values, `size` elements present (keys from an
 * xorshift32 stream); lookups hit present keys in a shuffled order. Array:
 * 4-byte keys (the only size an array map accepts), 8-byte values. Each
 * operation is measured both on the raw path the helpers use (`lookupRef` /
 * `updateRaw`, no allocation) and on the byte-array API (`lookup` copies the
 * value, `update` checks lengths).
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
 * `deno bench -A tests/bench/maps_bench.ts` reports time per batch of
 * operations; run directly (`deno run -A tests/bench/maps_bench.ts [runs]
 * [size]`) it prints ns per operation (median of `runs` samples).
 *
 * @module
 */
import { ArrayMap, type BpfMap, HashMap } from "../../core/maps/mod.ts";
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
} from "../../core/isa/mod.ts";
import { createVm } from "../../core/jit/mod.ts";

const OPS = 1 << 16;

function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** A benchmark case: `fn` performs {@link OPS} operations. */
interface MapCase {
  name: string;
  fn: () => number;
}

/** The cases for maps of `size` elements. */
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

/** A program-level case: `fn` performs `iters` loop iterations (one helper call each, or none for the baseline). */
interface ProgramCase {
  name: string;
  iters: number;
  fn: () => number;
}

/**
 * The program-level cases for a hash map of `size` elements: each run looks
 * up all `size` keys once (the key is the loop counter, stored on the
 * stack); a sample is enough runs for at least {@link OPS} lookups.
 */
export function programCases(size: number): ProgramCase[] {
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
  for (const engine of ["interp", "jit"] as const) {
    for (const call of [true, false]) {
      const vm = createVm(prog(call), { resolveMap: (fd) => (fd === 3 ? map : undefined) }, engine);
      cases.push({
        name: `${engine} ${call ? "lookup loop" : "baseline loop"}`,
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

for (const c of mapCases(10000)) {
  Deno.bench({ name: `${c.name} ×${OPS}`, group: c.name.split(" ")[0], fn: () => void c.fn() });
}
for (const c of programCases(1000)) {
  Deno.bench({ name: `program ${c.name} ×${c.iters}`, group: "program", fn: () => void c.fn() });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median ns per operation of `fn` (which performs `ops` operations) over `runs` samples after `warmup` calls. */
function medianNs(fn: () => number, ops: number, runs: number, warmup: number): number {
  for (let k = 0; k < warmup; k++) fn();
  const xs: number[] = [];
  for (let k = 0; k < runs; k++) {
    const s = performance.now();
    fn();
    xs.push(((performance.now() - s) * 1e6) / ops);
  }
  return median(xs);
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15);
  const sizes = Deno.args[1] !== undefined ? [Number(Deno.args[1])] : [1000, 100000];
  console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${OPS} ops per sample, median of ${runs} samples`);
  for (const size of sizes) {
    console.log(`\n${size} elements`);
    console.log("operation                  | ns/op");
    for (const c of mapCases(size)) {
      console.log(`${c.name.padEnd(26)} | ${medianNs(c.fn, OPS, runs, 5).toFixed(1).padStart(6)}`);
    }
    console.log(`\nprogram: map_lookup_elem on ${size} distinct keys per run (hash map of ${size} elements)`);
    console.log("engine, loop               | ns/iteration | ns/helper call (minus baseline)");
    const per: Record<string, number> = {};
    for (const c of programCases(size)) {
      per[c.name] = medianNs(c.fn, c.iters, runs, 3);
      const engine = c.name.split(" ")[0];
      const call = per[`${engine} lookup loop`];
      const extra = c.name.includes("baseline") ? ` | ${(call - per[c.name]).toFixed(1).padStart(6)}` : "";
      console.log(`${c.name.padEnd(26)} | ${per[c.name].toFixed(1).padStart(12)}${extra}`);
    }
  }
}
