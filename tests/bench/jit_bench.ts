/**
 * JIT benchmarks: interpreter vs JIT on the four shared bench programs
 * (r1 = input256.mem, r2 = 256), plus the register-representation
 * experiment: the JIT's hi/lo int32 locals vs a BigInt-locals code generator
 * (the same block structure, budget checks and memory checks, for the
 * opcodes the bench programs use).
 *
 * `deno bench -A tests/bench/jit_bench.ts` reports time per run; run directly
 * (`deno run -A tests/bench/jit_bench.ts [runs] [warmup]`) it prints ns per
 * executed instruction (median of `runs` runs after `warmup` warm-up runs,
 * all engines and programs in one process; also the best run of each, less
 * sensitive to other processes on a loaded machine) and JIT compile times.
 * The engines take turns run by run (interp, JIT, BigInt, interp, ...), so
 * the ratio of two medians compares runs taken over the same minutes;
 * "pairs" is the median of the ratios of the runs taken side by side
 * (interp run k ÷ JIT run k), the least sensitive to a host whose speed
 * drifts.
 *
 * @module
 */
import { Interpreter } from "../../core/vm/mod.ts";
import { Jit } from "../../core/jit/mod.ts";
import { basicBlocks } from "../../core/jit/structure.ts";
import { CONST_BASE, predecode } from "../../core/vm/decode.ts";
import { defaultHelpers } from "../../core/vm/mod.ts";
import type { Program } from "../../core/isa/mod.ts";
import { benchInput, benchPrograms } from "../vm_util.ts";

const mem = benchInput();
const programs = benchPrograms();

/**
 * The BigInt-locals alternative: registers r0..r10 as BigInt locals (values
 * kept in [0, 2^64) with `BigInt.asUintN`), for the opcodes of the four bench
 * programs. Returns a runner giving r0 and the executed-instruction count.
 */
export function bigintJit(prog: Program): (mem: Uint8Array) => { r0: bigint; n: number } {
  const d = predecode(prog, defaultHelpers());
  const blocks = basicBlocks(d);
  const K = (i: number) => `${BigInt.asUintN(64, (BigInt(d.chi[i]) << 32n) | BigInt(d.clo[i] >>> 0))}n`;
  const S = (i: number) => (d.src[i] >= CONST_BASE ? K(i) : `r${d.src[i]}`);
  const U = (e: string) => `BigInt.asUintN(64, ${e})`;
  const W = (e: string) => `BigInt.asUintN(32, ${e})`;
  const mem = (a: string, off: number, size: number) =>
    `t = ${U(`${a} + ${BigInt.asUintN(64, BigInt(off))}n`)}; th = Number(t >> 32n) | 0; tl = Number(t & 0xffffffffn);
if (th !== cHi || tl > cLen - ${size}) { const r = find(th, tl, ${size}); if (r === null) throw new Error("fault"); cHi = r.hi; cLen = r.len; cDv = r.dv; }`;
  const body = (i: number): string => {
    const op = d.op[i], r = `r${d.dst[i]}`, s = S(i);
    switch (op) {
      case 0x0f:
        return `${r} = ${U(`${r} + ${s}`)};`;
      case 0x1f:
        return `${r} = ${U(`${r} - ${s}`)};`;
      case 0x2f:
        return `${r} = ${U(`${r} * ${s}`)};`;
      case 0xaf:
        return `${r} = ${r} ^ ${s};`;
      case 0xbf:
      case 0x18:
        return `${r} = ${s};`;
      case 0x6f:
        return `${r} = ${U(`${r} << (${s} & 63n)`)};`;
      case 0x7f:
        return `${r} = ${r} >> (${s} & 63n);`;
      case 0x0c:
        return `${r} = ${W(`${r} + ${s}`)};`;
      case 0x1c:
        return `${r} = ${W(`${r} - ${s}`)};`;
      case 0x2c:
        return `${r} = ${W(`${r} * ${s}`)};`;
      case 0xac:
        return `${r} = ${W(`${r} ^ ${s}`)};`;
      case 0xbc:
        return `${r} = ${W(s)};`;
      case 0x79:
        return `${mem(s, d.off[i], 8)} ${r} = cDv.getBigUint64(tl, true);`;
      case 0x61:
        return `${mem(s, d.off[i], 4)} ${r} = BigInt(cDv.getUint32(tl, true));`;
      case 0x71:
        return `${mem(s, d.off[i], 1)} ${r} = BigInt(cDv.getUint8(tl));`;
      case 0x7b:
        return `${mem(r, d.off[i], 8)} cDv.setBigUint64(tl, ${s}, true);`;
      case 0x63:
        return `${mem(r, d.off[i], 4)} cDv.setUint32(tl, Number(${s} & 0xffffffffn), true);`;
      case 0x73:
        return `${mem(r, d.off[i], 1)} cDv.setUint8(tl, Number(${s} & 0xffn));`;
    }
    throw new Error(`bigintJit: opcode 0x${op.toString(16)} not supported`);
  };
  const conds: Record<number, string> = { 0x5d: "!==", 0xad: "<", 0xbd: "<=", 0x1d: "===" };
  const out: string[] = [
    `let r0 = 0n, r1 = r1in, r2 = BigInt(len), r3 = 0n, r4 = 0n, r5 = 0n, r6 = 0n, r7 = 0n, r8 = 0n, r9 = 0n, r10 = r10in;`,
    `let n = 0, b = 0, t = 0n, th = 0, tl = 0, cHi = 0, cLen = 0, cDv = dv0;`,
    `run: for (;;) switch (b) {`,
  ];
  for (let bi = 0; bi < blocks.length; bi++) {
    const blk = blocks[bi], L = blk.insns.length, last = blk.insns[L - 1], op = d.op[last];
    const nextStart = bi + 1 < blocks.length ? blocks[bi + 1].start : -1;
    const self = (op === 0x05 || conds[op] !== undefined || op === 0x4d) && d.tgt[last] === blk.start;
    out.push(`case ${blk.start}: ${self ? "for (;;) " : ""}{ if ((n += ${L}) > max) throw new Error("limit");`);
    for (const i of blk.insns.slice(0, -1)) out.push(body(i));
    const go = (to: number) => (self && to === blk.start ? "continue;" : `{ b = ${to}; continue run; }`);
    if (op === 0x95) out.push("break run;");
    else if (op === 0x05) out.push(go(d.tgt[last]));
    else if (conds[op] !== undefined || op === 0x4d) {
      const c = op === 0x4d ? `(r${d.dst[last]} & ${S(last)}) !== 0n` : `r${d.dst[last]} ${conds[op]} ${S(last)}`;
      out.push(`if (${c}) ${go(d.tgt[last])}`);
      out.push(blk.next === nextStart ? (self ? "break;" : "") : `{ b = ${blk.next}; continue run; }`);
    } else if (op >= 0x1f0) out.push(`throw new Error("bad insn");`);
    else {
      out.push(body(last));
      if (blk.next !== nextStart) out.push(`b = ${blk.next}; continue run;`);
    }
    out.push("}");
  }
  out.push(`default: throw new Error("bad block"); }`, "return [r0, n];");
  const fn = new Function("max", "r1in", "len", "r10in", "dv0", "find", out.join("\n")) as (
    ...a: unknown[]
  ) => [bigint, number];
  const stack = new Uint8Array(512);
  const stackHi = 0x1000, memHi = 0x100a;
  return (m: Uint8Array) => {
    const copy = m.slice();
    stack.fill(0);
    const regions = new Map([[stackHi, stack], [memHi, copy]]);
    const dvs = new Map([...regions].map(([h, u8]) => [h, { hi: h, len: u8.length, dv: new DataView(u8.buffer) }]));
    const find = (hi: number, off: number, size: number) => {
      const r = dvs.get(hi);
      return r && off + size <= r.len ? r : null;
    };
    const [r0, n] = fn(
      1e9,
      BigInt(memHi) << 32n,
      copy.length,
      (BigInt(stackHi) << 32n) + 512n,
      dvs.get(stackHi)!.dv,
      find,
    );
    return { r0, n };
  };
}

for (const b of programs) {
  const it = new Interpreter(b.prog);
  const jit = new Jit(b.prog);
  const big = bigintJit(b.prog);
  Deno.bench({ name: `interp ${b.name}`, group: b.name, baseline: true, fn: () => void it.run({ mem }) });
  Deno.bench({ name: `jit ${b.name}`, group: b.name, fn: () => void jit.run({ mem }) });
  Deno.bench({ name: `jit-bigint ${b.name}`, group: b.name, fn: () => void big(mem) });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 15), warm = Number(Deno.args[1] ?? 6);
  console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), median of ${runs} runs after ${warm} warm-up runs`);
  console.log(
    "program   | insns      | interp ns/insn | jit ns/insn | jit-bigint ns/insn | interp/jit | pairs | best: interp / jit (ratio) | compile ms",
  );
  for (const b of programs) {
    const t0 = performance.now();
    const jit = new Jit(b.prog);
    const tc = performance.now() - t0;
    const t1 = performance.now();
    jit.run({ mem }, { maxInsns: 1 }); // first call: V8 parses and compiles the function
    const tFirst = performance.now() - t1;
    const it = new Interpreter(b.prog);
    const big = bigintJit(b.prog);
    const engines: Array<[string, () => { r0: bigint; n: number }]> = [
      ["interp", () => {
        const r = it.run({ mem });
        return { r0: r.r0, n: r.insnsExecuted };
      }],
      ["jit", () => {
        const r = jit.run({ mem });
        return { r0: r.r0, n: r.insnsExecuted };
      }],
      ["bigint", () => big(mem)],
    ];
    // the engines take turns run by run, so a busy minute on the shared machine slows all of them alike
    const xs: Record<string, number[]> = Object.fromEntries(engines.map(([name]) => [name, []]));
    for (let k = 0; k < warm + runs; k++) {
      for (const [name, f] of engines) {
        const s = performance.now();
        const r = f();
        const e = performance.now() - s;
        if (r.r0 !== b.r0 || r.n !== b.insns) throw new Error(`${name} ${b.name}: wrong result`);
        if (k >= warm) xs[name].push((e * 1e6) / r.n);
      }
    }
    const ns: Record<string, number> = {}, best: Record<string, number> = {};
    for (const [name] of engines) {
      ns[name] = median(xs[name]);
      best[name] = Math.min(...xs[name]);
    }
    console.log(
      `${b.name.padEnd(9)} | ${String(b.insns).padEnd(10)} | ${ns.interp.toFixed(2).padStart(14)} | ${
        ns.jit.toFixed(3).padStart(11)
      } | ${ns.bigint.toFixed(3).padStart(18)} | ${(ns.interp / ns.jit).toFixed(1).padStart(10)} | ${
        median(xs.interp.map((x, k) => x / xs.jit[k])).toFixed(1).padStart(5)
      } | ${
        `${best.interp.toFixed(2)} / ${best.jit.toFixed(3)} (${(best.interp / best.jit).toFixed(1)}x)`.padStart(26)
      } | ${tc.toFixed(2)} + ${tFirst.toFixed(2)} first call`,
    );
  }
}
