/**
 * A call-heavy loop on the interpreter and the JIT: the main program calls a
 * 6-instruction function 200 000 times (bpf-to-bpf calls, inlined by the
 * JIT's structured form). `deno bench -A tests/bench/jit_calls_bench.ts`, or
 * run directly for ns per executed instruction (median of 15 runs after 6
 * warm-up runs, the engines taking turns).
 *
 * @module
 */
import { Jit } from "../../core/jit/mod.ts";
import { Interpreter } from "../../core/vm/mod.ts";
import { type Insn, Program } from "../../core/isa/mod.ts";

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95, 0, 0, 0, 0);

/** main: r7 = sum over r6 = 200000..1 of f(r6); f(x) = (x * 3 even ? x * 3 ^ 5 : x * 3) + 7. */
export const callLoop: Program = Program.fromInsns([
  I(0xb7, 6, 0, 0, 200000),
  I(0xb7, 7, 0, 0, 0),
  I(0xbf, 1, 6, 0, 0), // loop
  I(0x85, 0, 1, 0, 5), // call f (insn 9)
  I(0x0f, 7, 0, 0, 0),
  I(0x17, 6, 0, 0, 1),
  I(0x55, 6, 0, -5, 0),
  I(0xbf, 0, 7, 0, 0),
  EXIT,
  I(0xbf, 0, 1, 0, 0), // f
  I(0x27, 0, 0, 0, 3),
  I(0x45, 0, 0, 1, 1),
  I(0xa7, 0, 0, 0, 5),
  I(0x07, 0, 0, 0, 7),
  EXIT,
]);

const jit = new Jit(callLoop), interp = new Interpreter(callLoop);
Deno.bench({ name: "interp call loop", group: "calls", baseline: true, fn: () => void interp.run() });
Deno.bench({ name: "jit call loop", group: "calls", fn: () => void jit.run() });

if (import.meta.main) {
  const xs: number[] = [], ys: number[] = [];
  let n = 0;
  for (let k = 0; k < 21; k++) {
    let t = performance.now();
    const r = jit.run();
    const dj = performance.now() - t;
    t = performance.now();
    const r2 = interp.run();
    const di = performance.now() - t;
    if (r.r0 !== r2.r0 || r.fault !== null) throw new Error("the engines disagree");
    n = r.insnsExecuted;
    if (k >= 6) xs.push((dj * 1e6) / n), ys.push((di * 1e6) / n);
  }
  const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
  console.log(`${n} insns: interp ${med(ys).toFixed(2)} ns/insn, jit ${med(xs).toFixed(2)} ns/insn`);
}
