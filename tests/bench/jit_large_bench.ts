/**
 * Programs larger than V8 optimises in one function (more than 60 KiB of
 * bytecode): loops of 100 and 200 stack loads/stores, of 1000 ALU
 * instructions, and a loop calling a 200-instruction function four times
 * (inlined, that is 800 instructions). The JIT splits `precise` into chunk
 * functions for these (core/jit/codegen.ts, "Size").
 *
 * `deno run -A tests/bench/jit_large_bench.ts [runs] [warmupMs]`: per
 * program, the first run of each engine (compile included) in ms, then ns
 * per executed instruction (median of `runs` runs after `warmupMs` of
 * warm-up runs, 1500 by default: V8 takes a while to optimise large
 * functions; the engines take turns run by run). `deno bench -A tests/bench/jit_large_bench.ts`
 * times one run of each.
 *
 * @module
 */
import { type Insn, Program } from "../../core/isa/mod.ts";
import { createVm, type VmEngine } from "../../core/jit/mod.ts";

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95, 0, 0, 0, 0);

/** A loop of `iters` iterations over `body`. */
function loop(iters: number, body: Insn[]): Program {
  return Program.fromInsns([
    I(0xb7, 6, 0, 0, iters),
    ...body,
    I(0x17, 6, 0, 0, 1),
    I(0x55, 6, 0, -(body.length + 2), 0),
    EXIT,
  ]);
}
const alu = (n: number) => Array.from({ length: n }, (_, j) => (j % 2 ? I(0x0f, 0, 1, 0, 0) : I(0x07, 1, 0, 0, 3)));
const stack = (n: number) =>
  Array.from(
    { length: n },
    (_, j) => j % 2 ? I(0x7b, 10, 1, -8 * (1 + (j % 8)), 0) : I(0x79, 1, 10, -8 * (1 + ((j + 3) % 8)), 0),
  );

/** main: `iters` iterations of `calls` calls of f; f: `body` ALU instructions. */
function calls(iters: number, calls: number, body: number): Program {
  const p: Insn[] = [I(0xb7, 6, 0, 0, iters)];
  for (let c = 0; c < calls; c++) p.push(I(0x85, 0, 1, 0, calls - c + 2));
  p.push(I(0x17, 6, 0, 0, 1), I(0x55, 6, 0, -(calls + 2), 0), EXIT, ...alu(body), EXIT);
  return Program.fromInsns(p);
}

/** The programs, by name. */
export const largePrograms: Array<[string, Program]> = [
  ["loop of 100 loads/stores", loop(2000, stack(100))],
  ["loop of 200 loads/stores", loop(1000, stack(200))],
  ["loop of 1000 ALU insns", loop(200, alu(1000))],
  ["4 calls of 200 ALU insns", calls(200, 4, 200)],
];

for (const [name, prog] of largePrograms) {
  for (const e of ["interp", "jit"] as const) {
    const vm = createVm(prog, {}, e);
    Deno.bench({ name: `${e} ${name}`, group: name, baseline: e === "interp", fn: () => void vm.run() });
  }
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15), warmMs = Number(Deno.args[1] ?? 1500);
  console.log(
    `Deno ${Deno.version.deno}, median of ${runs} runs after ${warmMs} ms; first run includes the JIT's compile`,
  );
  for (const [name, prog] of largePrograms) {
    const first: Record<string, number> = {}, vms: Record<string, VmEngine> = {};
    for (const e of ["interp", "jit"] as const) {
      const t0 = performance.now();
      vms[e] = createVm(prog, {}, e);
      vms[e].run();
      first[e] = performance.now() - t0;
    }
    const xs: Record<string, number[]> = { interp: [], jit: [] };
    for (const t0 = performance.now(); performance.now() - t0 < warmMs;) vms.interp.run(), vms.jit.run();
    for (let k = 0; k < runs; k++) {
      for (const e of ["interp", "jit"]) {
        const s = performance.now();
        const r = vms[e].run();
        xs[e].push(((performance.now() - s) * 1e6) / r.insnsExecuted);
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    console.log(
      `${name.padEnd(26)} first run: interp ${first.interp.toFixed(0)} ms, jit ${
        first.jit.toFixed(0)
      } ms | ns/insn: interp ${med(xs.interp).toFixed(2)}, jit ${med(xs.jit).toFixed(2)} (${
        (med(xs.interp) / med(xs.jit)).toFixed(1)
      }x)`,
    );
  }
}
