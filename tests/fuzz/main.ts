/**
 * `deno task fuzz TARGET [SECONDS] [SEED] [--wasm auto|always|never]`: run
 * one fuzz target (or `all`) for a while and print its statistics and
 * findings as JSON lines. Exit code 1 when there are findings. `--wasm`
 * sets the JIT's wasm tier for every engine the targets create
 * (`jitDefaults.wasm`; `always` compares the tier on every program).
 *
 * @module
 */
import { jitDefaults } from "../../core/jit/mod.ts";
import { type FuzzStats, TARGETS } from "./targets.ts";

/** Run the CLI with `args`; returns the exit code. */
export function main(argv: string[]): number {
  const args = [...argv];
  const w = args.indexOf("--wasm");
  if (w >= 0) {
    const mode = args[w + 1];
    if (mode !== "auto" && mode !== "always" && mode !== "never") {
      console.error(`--wasm: expected auto, always or never, got '${mode ?? ""}'`);
      return 2;
    }
    jitDefaults.wasm = mode;
    args.splice(w, 2);
  }
  const [name = "all", secs = "10", seedArg] = args;
  const names = name === "all" ? Object.keys(TARGETS) : [name];
  for (const n of names) {
    if (!TARGETS[n]) {
      console.error(`unknown target '${n}' (${Object.keys(TARGETS).join(", ")}, all)`);
      return 2;
    }
  }
  const seed = seedArg !== undefined ? Number(seedArg) : Date.now() % 1_000_000_000;
  let found = 0;
  for (const n of names) {
    const s: FuzzStats = TARGETS[n]({ seed, ms: (Number(secs) * 1000) / names.length });
    found += s.findings.length;
    const rate = Math.round((s.iterations / Math.max(1, s.ms)) * 1000);
    console.log(JSON.stringify({ target: n, seed, iterations: s.iterations, ms: s.ms, per_s: rate, counts: s.counts }));
    for (const f of s.findings) console.log(JSON.stringify(f));
  }
  return found > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
