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
 * `deno bench -A tests/bench/maps_bench.ts` reports time per batch of
 * operations; run directly (`deno run -A tests/bench/maps_bench.ts [runs]
 * [size]`) it prints ns per operation (median of `runs` samples).
 *
 * @module
 */
import { ArrayMap, type BpfMap, HashMap } from "../../core/maps/mod.ts";

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

for (const c of mapCases(10000)) {
  Deno.bench({ name: `${c.name} ×${OPS}`, group: c.name.split(" ")[0], fn: () => void c.fn() });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15);
  const sizes = Deno.args[1] !== undefined ? [Number(Deno.args[1])] : [1000, 100000];
  console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${OPS} ops per sample, median of ${runs} samples`);
  for (const size of sizes) {
    console.log(`\n${size} elements`);
    console.log("operation                  | ns/op");
    for (const c of mapCases(size)) {
      for (let k = 0; k < 5; k++) c.fn();
      const xs: number[] = [];
      for (let k = 0; k < runs; k++) {
        const s = performance.now();
        c.fn();
        xs.push(((performance.now() - s) * 1e6) / OPS);
      }
      console.log(`${c.name.padEnd(26)} | ${median(xs).toFixed(1).padStart(6)}`);
    }
  }
}
