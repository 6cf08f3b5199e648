/**
 * bpfscope against a peer eBPF runtime (uBPF, see BENCHMARKS.md), in one
 * run: `rounds` rounds, each one process of the peer's timing driver and then
 * `bpfscope bench --json` on the four shared bench programs, one process per
 * engine (each engine's figures are then of that engine alone, as the
 * driver's are), optionally also for a baseline checkout
 * (`--baseline DIR`, e.g. an older commit) — all alternating round by round,
 * so every side is timed over the same minutes. bpfscope's samples are timed
 * by CPU time by default (`--clock cpu`, as the driver times uBPF), so other
 * processes on the machine slow the figures less.
 *
 * Prints ns per executed instruction (median of the rounds' medians) and, per
 * program, the ratios of each round (median and range): bpfscope ÷ peer for
 * each engine, and with a baseline, this tree ÷ baseline; plus the load
 * average at the start and the end.
 *
 * The peer command is run as given (split at spaces) and must print, on
 * stdout, one JSON line per program and engine:
 * `{"program": "alu_loop", "engine": "ubpf-interp", "ns_per_insn": 3.38}`
 * (engines `<peer>-interp` and `<peer>-jit`; `program` as in
 * `tests/data/bench/`; any other fields are ignored).
 *
 * ```sh
 * deno run -A tests/bench/peer_compare.ts --peer "/path/to/driver tests/data/bench 15 3" \
 *   [--rounds 10] [--runs 15] [--warmup 3] [--clock cpu|wall] [--baseline DIR] [--json]
 * ```
 *
 * @module
 */
import { TESTS_DIR } from "../vm_util.ts";

const PROGRAMS = ["alu_loop", "fib32", "memory", "branchy"];
const ROOT = new URL("../../", import.meta.url).pathname;

/** ns per executed instruction by `program/side` (sides: peer-interp, peer-jit, interp, jit, base-interp, base-jit). */
type Figures = Record<string, number>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function loadavg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

async function output(cmd: string[]): Promise<string> {
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "inherit" }).output();
  if (!r.success) throw new Error(`${cmd.join(" ")}: exit ${r.code}`);
  return new TextDecoder().decode(r.stdout);
}

async function peerRound(cmd: string[]): Promise<Figures> {
  const f: Figures = {};
  for (const line of (await output(cmd)).split("\n")) {
    if (line.trim() === "") continue;
    const o = JSON.parse(line);
    f[`${o.program}/${String(o.engine).replace(/^.*-/, "peer-")}`] = o.ns_per_insn;
  }
  return f;
}

/** One process of `bpfscope bench` in checkout `tree` on one engine; figures named `<prefix><engine>`. */
async function bpfscopeRound(
  tree: string,
  engine: string,
  prefix: string,
  o: { runs: number; warmup: number; clock: string },
): Promise<Figures> {
  const dir = `${TESTS_DIR}data/bench/`;
  const args = ["bench", "--json", "--engine", engine, "--runs", String(o.runs), "--warmup", String(o.warmup)];
  if (o.clock !== "wall") args.push("--clock", o.clock);
  const text = await output([
    Deno.execPath(),
    "run",
    "-A",
    `${tree}/cli/main.ts`,
    ...args,
    "--mem",
    `${dir}input256.mem`,
    ...PROGRAMS.map((p) => `${dir}${p}.json`),
  ]);
  const f: Figures = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line);
    if (r.error) throw new Error(`${r.file}: ${r.error}`);
    const name = r.file.replace(/^.*\//, "").replace(/\.json$/, "");
    f[`${name}/${prefix}${engine}`] = r.engines[engine].ns_per_insn;
  }
  return f;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string, dflt: string): string => {
    const k = args.indexOf(name);
    return k < 0 ? dflt : args[k + 1];
  };
  const peer = opt("--peer", "");
  if (peer === "") {
    console.error('peer_compare: --peer "COMMAND ARGS" is required (see the module doc)');
    Deno.exit(2);
  }
  const rounds = Number(opt("--rounds", "10"));
  const o = { runs: Number(opt("--runs", "15")), warmup: Number(opt("--warmup", "3")), clock: opt("--clock", "cpu") };
  const baseline = opt("--baseline", "");
  const json = args.includes("--json");
  const startLoad = loadavg(), start = new Date().toISOString();
  const all: Figures[] = [];
  for (let k = 0; k < rounds; k++) {
    const f: Figures = await peerRound(peer.split(" ").filter((s) => s !== ""));
    const trees: Array<[string, string]> = baseline ? [[ROOT, ""], [baseline, "base-"]] : [[ROOT, ""]];
    for (const [tree, prefix] of k % 2 ? [...trees].reverse() : trees) {
      for (const engine of ["interp", "jit"]) Object.assign(f, await bpfscopeRound(tree, engine, prefix, o));
    }
    all.push(f);
    if (!json) console.error(`round ${k + 1}/${rounds} done (load ${loadavg()})`);
  }
  const endLoad = loadavg();
  const sides = ["interp", "jit", "peer-interp", "peer-jit", ...(baseline ? ["base-interp", "base-jit"] : [])];
  const ratios: Array<[string, string, string]> = [
    ["interp", "peer-interp", "interp ÷ peer"],
    ["jit", "peer-jit", "JIT ÷ peer"],
    ...(baseline
      ? [["base-jit", "peer-jit", "baseline JIT ÷ peer"], ["jit", "base-jit", "JIT ÷ baseline JIT"]] as Array<
        [string, string, string]
      >
      : []),
  ];
  const rows = PROGRAMS.map((p) => ({
    program: p,
    ns: Object.fromEntries(sides.map((s) => [s, median(all.map((f) => f[`${p}/${s}`]))])),
    ratios: Object.fromEntries(ratios.map(([a, b, name]) => [name, all.map((f) => f[`${p}/${a}`] / f[`${p}/${b}`])])),
  }));
  if (json) {
    console.log(JSON.stringify({ start, rounds, ...o, baseline, load: [startLoad, endLoad], rows }));
  } else {
    console.log(
      `${start}, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ${rounds} rounds; bpfscope timed by ${o.clock} time`,
    );
    console.log(`load average (1, 5, 15 min) at the start ${startLoad}, at the end ${endLoad}`);
    console.log(`ns per executed instruction, median of the rounds: program | ${sides.join(" | ")}`);
    for (const r of rows) console.log(`  ${r.program.padEnd(8)} | ${sides.map((s) => r.ns[s].toFixed(3)).join(" | ")}`);
    console.log("ratios of each round: median (min-max)");
    for (const r of rows) {
      const mm = (xs: number[]) =>
        `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
      console.log(
        `  ${r.program.padEnd(8)} | ${ratios.map(([, , name]) => `${name} ${mm(r.ratios[name])}`).join(" | ")}`,
      );
    }
  }
}
