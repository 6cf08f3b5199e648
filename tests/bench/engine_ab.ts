/**
 * Two checkouts' engines on the four bench programs in one process: the
 * interpreters or the JITs of tree A and tree B (each loaded from its own
 * `core/`) take turns run by run, timed by this process's CPU time, so a
 * change is measured against the code before it over the same seconds.
 * Prints per program the best and the median run of each side (ns per
 * executed instruction), B's best ÷ A's best, and the median of the ratios of
 * the runs taken side by side. Results (r0, executed count) are checked.
 *
 * V8 compiles two identical sources to shared code, so for the JIT a program
 * whose generated code is the same in both trees is reported as such, not
 * timed (its ratio would compare a function with itself). Run it in a few
 * processes, swapping A and B, and take the median: a process now and then
 * gets slower code for one side for its whole life.
 *
 * ```sh
 * deno run -A tests/bench/engine_ab.ts DIR_A DIR_B [--engine jit|interp] [--runs 21] [--warmup 5] \
 *   [--max-function-tokens N] [PROGRAM...]
 * ```
 *
 * @module
 */
import { cpu, median, takeOption } from "./ab_util.ts";
import { benchInput, benchPrograms } from "../vm_util.ts";

interface Engine {
  run(input: { mem: Uint8Array }): { r0: bigint; insnsExecuted: number; fault: { message: string } | null };
  source?: string;
}
type Maker = (prog: unknown) => Engine;

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string, dflt: string): string => takeOption(args, name, dflt);
  const engine = opt("--engine", "jit"), runs = Number(opt("--runs", "21")), warmup = Number(opt("--warmup", "5"));
  const maxTokens = opt("--max-function-tokens", "");
  const [dirA, dirB, ...names] = args;
  const ok = (n: number) => Number.isInteger(n) && n >= 0;
  if (!dirA || !dirB || (engine !== "jit" && engine !== "interp") || !ok(runs) || runs === 0 || !ok(warmup)) {
    console.error("usage: engine_ab.ts DIR_A DIR_B [--engine jit|interp] [--runs N] [--warmup N] [PROGRAM...]");
    Deno.exit(2);
  }
  for (const dir of [dirA, dirB]) {
    try {
      Deno.statSync(`${dir}/core/jit/mod.ts`);
    } catch {
      console.error(`engine_ab: ${dir} is not a bpfscope checkout (no core/jit/mod.ts)`);
      Deno.exit(2);
    }
  }
  const maker = async (dir: string): Promise<Maker> => {
    const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
    const root = new URL(`file://${abs.endsWith("/") ? abs : abs + "/"}`);
    if (engine === "interp") {
      const { Interpreter } = await import(new URL("core/vm/mod.ts", root).href);
      return (p) => new Interpreter(p);
    }
    const { Jit } = await import(new URL("core/jit/mod.ts", root).href);
    const o = maxTokens ? { maxFunctionTokens: Number(maxTokens) } : {};
    return (p) => new Jit(p, o);
  };
  const [makeA, makeB] = [await maker(dirA), await maker(dirB)];
  const mem = benchInput();
  console.log(`${engine}: A ${dirA}, B ${dirB}; ${runs} runs after ${warmup} warm-ups each, CPU time, ns/insn`);
  for (const b of benchPrograms()) {
    if (names.length && !names.includes(b.name)) continue;
    const ea = makeA(b.prog), eb = makeB(b.prog);
    if (ea.source !== undefined && ea.source === eb.source) {
      console.log(`${b.name.padEnd(8)} the same generated code in both trees: not timed`);
      continue;
    }
    const xa: number[] = [], xb: number[] = [];
    for (let k = 0; k < warmup + runs; k++) {
      for (const [e, xs] of [[ea, xa], [eb, xb]] as const) {
        const s = cpu();
        const r = e.run({ mem });
        const t = cpu() - s;
        if (r.r0 !== b.r0 || r.insnsExecuted !== b.insns) {
          throw new Error(`${b.name}: wrong result (r0 ${r.r0}, ${r.insnsExecuted} insns, ${r.fault?.message})`);
        }
        if (k >= warmup) xs.push((t * 1e6) / b.insns);
      }
    }
    const ba = Math.min(...xa), bb = Math.min(...xb);
    console.log(
      `${b.name.padEnd(8)} A best ${ba.toFixed(3)} median ${median(xa).toFixed(3)} | B best ${bb.toFixed(3)} median ${
        median(xb).toFixed(3)
      } | B/A best ${(bb / ba).toFixed(3)}, pairs ${median(xa.map((x, i) => xb[i] / x)).toFixed(3)}`,
    );
  }
}
