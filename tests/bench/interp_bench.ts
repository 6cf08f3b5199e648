/**
 * Interpreter benchmarks: the four shared bench programs (r1 = input256.mem,
 * r2 = 256), plus a register-representation experiment (BigUint64Array
 * registers, alu_loop only) that motivated the hi/lo Int32Array design.
 *
 * `deno bench -A tests/bench/interp_bench.ts` reports time per run; this file
 * also prints ns per executed instruction (median of 15 runs after warm-up)
 * when run directly: `deno run -A tests/bench/interp_bench.ts`.
 *
 * @module
 */
import { Interpreter } from "../../core/vm/mod.ts";
import type { Program } from "../../core/isa/mod.ts";
import { benchInput, benchPrograms } from "../vm_util.ts";

const mem = benchInput();
const programs = benchPrograms();

/**
 * The rejected alternative: 64-bit registers in a BigUint64Array (BigInt
 * arithmetic), for the opcodes alu_loop uses. Kept for re-measurement.
 */
export function runBigIntRegs(p: Program): { r0: bigint; n: number } {
  const len = p.len;
  const op = new Uint8Array(len), d = new Uint8Array(len), s = new Int32Array(len), t = new Int32Array(len);
  const R = new BigUint64Array(16 + len);
  for (let i = 0; i < len; i++) {
    const c = p.code(i);
    op[i] = (c & 7) === 7 || (c & 7) === 5 ? c | 8 : c;
    d[i] = p.dst(i);
    s[i] = (c & 8) ? p.src(i) : 16 + i;
    R[16 + i] = BigInt.asUintN(64, BigInt(p.imm(i)));
    t[i] = i + p.off(i) + 1;
  }
  let pc = 0, n = 0;
  for (;;) {
    n++;
    switch (op[pc]) {
      case 0x0f:
        R[d[pc]] += R[s[pc]];
        pc++;
        continue;
      case 0x1f:
        R[d[pc]] -= R[s[pc]];
        pc++;
        continue;
      case 0x2f:
        R[d[pc]] *= R[s[pc]];
        pc++;
        continue;
      case 0xaf:
        R[d[pc]] ^= R[s[pc]];
        pc++;
        continue;
      case 0xbf:
        R[d[pc]] = R[s[pc]];
        pc++;
        continue;
      case 0x6f:
        R[d[pc]] <<= R[s[pc]] & 63n;
        pc++;
        continue;
      case 0x7f:
        R[d[pc]] >>= R[s[pc]] & 63n;
        pc++;
        continue;
      case 0x5d:
        pc = R[d[pc]] !== R[s[pc]] ? t[pc] : pc + 1;
        continue;
      case 0x9d: // exit (0x95 | 8)
        return { r0: R[0], n };
      default:
        throw new Error(`prototype: opcode 0x${op[pc].toString(16)} not supported`);
    }
  }
}

for (const b of programs) {
  const it = new Interpreter(b.prog);
  Deno.bench({ name: `interp ${b.name} (${b.insns} insns)`, group: "interp", fn: () => void it.run({ mem }) });
}
const alu = programs.find((b) => b.name === "alu_loop")!;
Deno.bench({ name: "bigint-registers prototype alu_loop", group: "regs", fn: () => void runBigIntRegs(alu.prog) });

/** Median ns per executed instruction of `fn` over `runs` runs after `warm` warm-up runs. */
function nsPerInsn(fn: () => number, warm = 6, runs = 15): number {
  for (let i = 0; i < warm; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const n = fn();
    xs.push(((performance.now() - t0) * 1e6) / n);
  }
  xs.sort((a, b) => a - b);
  return xs[runs >> 1];
}

if (import.meta.main) {
  console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${navigator.hardwareConcurrency} CPUs`);
  for (const b of programs) {
    const it = new Interpreter(b.prog);
    const r = it.run({ mem });
    if (r.r0 !== b.r0 || r.insnsExecuted !== b.insns) throw new Error(`${b.name}: wrong result`);
    console.log(`${b.name.padEnd(9)} ${nsPerInsn(() => it.run({ mem }).insnsExecuted).toFixed(2)} ns/insn`);
  }
  const big = runBigIntRegs(alu.prog);
  if (big.r0 !== alu.r0) throw new Error("bigint prototype: wrong result");
  console.log(
    `bigint-registers prototype alu_loop ${nsPerInsn(() => runBigIntRegs(alu.prog).n, 10, 15).toFixed(2)} ns/insn`,
  );
}
