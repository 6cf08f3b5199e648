/**
 * Map benchmarks: ns per operation of hash and array maps (core/maps), and a
 * program calling `map_lookup_elem` on the interpreter and the JIT. The cases
 * are in `cli/bench_maps.ts` (shared with `bpfscope bench --maps`).
 *
 * `deno bench -A tests/bench/maps_bench.ts` reports time per batch of
 * operations; run directly (`deno run -A tests/bench/maps_bench.ts [runs]
 * [size]`) it prints ns per operation (median of `runs` samples).
 *
 * @module
 */
import { benchMaps, mapCases, mapsTable, OPS, programCases } from "../../cli/bench_maps.ts";

for (const c of mapCases(10000)) {
  Deno.bench({ name: `${c.name} ×${OPS}`, group: c.name.split(" ")[0], fn: () => void c.fn() });
}
for (const c of programCases(1000)) {
  Deno.bench({ name: `program ${c.name} ×${c.iters}`, group: "program", fn: () => void c.fn() });
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15);
  const sizes = Deno.args[1] !== undefined ? [Number(Deno.args[1])] : [1000, 100000];
  console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${OPS} ops per sample, median of ${runs} samples`);
  for (const size of sizes) console.log(`\n${mapsTable(benchMaps(size, { runs, warmup: 5, programWarmup: 3 }))}`);
}
