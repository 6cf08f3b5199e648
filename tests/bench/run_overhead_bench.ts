/**
 * The fixed cost of one run: `r0 = 0; exit` on both engines (the JIT with and
 * without its wasm tier), with no input,
 * a 256-byte memory buffer and a 64-byte packet (what a harness feeding many
 * short runs pays per run: binding the input, zeroing the stack, the result).
 *
 * `deno bench -A tests/bench/run_overhead_bench.ts`, or
 * `deno run -A tests/bench/run_overhead_bench.ts [samples]` for µs per run
 * (median of `samples` samples of 50 000 runs, engines and inputs taking turns).
 *
 * @module
 */
import { Interpreter } from "../../core/vm/mod.ts";
import { Jit } from "../../core/jit/mod.ts";
import { Program } from "../../core/isa/mod.ts";
import type { RunInput } from "../../core/vm/mod.ts";

const prog = Program.fromInsns([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, {
  code: 0x95,
  dst: 0,
  src: 0,
  off: 0,
  imm: 0,
}]);
// jit: the JavaScript code (the default choice keeps it for a program this short); wasm: the wasm tier forced on
const engines = {
  interp: new Interpreter(prog),
  jit: new Jit(prog, { wasm: "never" }),
  wasm: new Jit(prog, { wasm: "always" }),
};
const inputs: Record<string, RunInput> = {
  none: {},
  mem256: { mem: new Uint8Array(256) },
  packet64: { data: new Uint8Array(64) },
};

for (const [e, vm] of Object.entries(engines)) {
  for (const [i, input] of Object.entries(inputs)) {
    Deno.bench({ name: `${e} run, input ${i}`, group: i, fn: () => void vm.run(input) });
  }
}

if (import.meta.main) {
  const samples = Number(Deno.args[0] ?? 9), N = 50000;
  const cases = Object.entries(engines).flatMap(([e, vm]) =>
    Object.entries(inputs).map(([i, input]) => ({ name: `${e} ${i}`, run: () => vm.run(input), xs: [] as number[] }))
  );
  for (let k = 0; k < samples + 2; k++) {
    for (const c of cases) {
      const s = performance.now();
      for (let j = 0; j < N; j++) c.run();
      if (k >= 2) c.xs.push(((performance.now() - s) * 1e3) / N);
    }
  }
  for (const c of cases) {
    const xs = c.xs.sort((a, b) => a - b);
    console.log(`${c.name.padEnd(16)} ${xs[xs.length >> 1].toFixed(2)} µs/run (median of ${samples})`);
  }
}
