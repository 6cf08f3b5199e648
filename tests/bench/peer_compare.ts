/**
 * bpfscope against a peer eBPF runtime (uBPF, see BENCHMARKS.md), in one
 * run: `rounds` rounds, each one process of the peer's timing driver and one
 * process of `bpfscope bench --json` (interp and JIT, their samples taken in
 * turns) on the four shared bench programs, alternating, so the two sides are
 * timed over the same minutes. Prints ns per executed instruction (median of
 * the rounds' medians) and the ratios bpfscope ÷ peer of each round (median,
 * min-max), plus the load average at the start and the end.
 *
 * The peer command is run as given (split at spaces) and must print, on
 * stdout, one JSON line per program and engine:
 * `{"program": "alu_loop", "engine": "ubpf-interp", "ns_per_insn": 3.38}`
 * (engines `<peer>-interp` and `<peer>-jit`; `program` as in
 * `tests/data/bench/`; any other fields are ignored).
 *
 * ```sh
 * deno run -A tests/bench/peer_compare.ts --peer "/work/ubpf_bench/driver tests/data/bench 15 3" \
 *   [--rounds 10] [--runs 15] [--warmup 3] [--json]
 * ```
 *
 * @module
 */
import { TESTS_DIR } from "../vm_util.ts";

const PROGRAMS = ["alu_loop", "fib32", "memory", "branchy"];

interface Figures {
  /** ns per executed instruction by `program/engine`. */
  [key: string]: number;
}

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

async function bpfscopeRound(runs: number, warmup: number): Promise<Figures> {
  const dir = `${TESTS_DIR}data/bench/`;
  const cli = new URL("../../cli/main.ts", import.meta.url).pathname;
  const text = await output([
    Deno.execPath(),
    "run",
    "-A",
    cli,
    "bench",
    "--json",
    "--engine",
    "both",
    "--runs",
    String(runs),
    "--warmup",
    String(warmup),
    "--mem",
    `${dir}input256.mem`,
    ...PROGRAMS.map((p) => `${dir}${p}.json`),
  ]);
  const f: Figures = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const o = JSON.parse(line);
    if (o.error) throw new Error(`${o.file}: ${o.error}`);
    const name = o.file.replace(/^.*\//, "").replace(/\.json$/, "");
    for (const e of ["interp", "jit"]) f[`${name}/${e}`] = o.engines[e].ns_per_insn;
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
  const rounds = Number(opt("--rounds", "10")),
    runs = Number(opt("--runs", "15")),
    warmup = Number(opt("--warmup", "3"));
  const json = args.includes("--json");
  const startLoad = loadavg(), start = new Date().toISOString();
  const all: Figures[] = [];
  for (let k = 0; k < rounds; k++) {
    const p = await peerRound(peer.split(" ").filter((s) => s !== ""));
    const b = await bpfscopeRound(runs, warmup);
    all.push({ ...p, ...b });
    if (!json) console.error(`round ${k + 1}/${rounds} done (load ${loadavg()})`);
  }
  const endLoad = loadavg();
  const rows = PROGRAMS.map((p) => {
    const get = (e: string) => all.map((f) => f[`${p}/${e}`]);
    const ratio = (a: string, b: string) => all.map((f) => f[`${p}/${a}`] / f[`${p}/${b}`]);
    return {
      program: p,
      ns: Object.fromEntries(["interp", "jit", "peer-interp", "peer-jit"].map((e) => [e, median(get(e))])),
      jit_ratio: ratio("jit", "peer-jit"),
      interp_ratio: ratio("interp", "peer-interp"),
    };
  });
  if (json) {
    console.log(JSON.stringify({ start, rounds, runs, warmup, load: [startLoad, endLoad], rows }));
  } else {
    console.log(
      `${start}, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ${rounds} rounds alternating peer and bpfscope;`,
    );
    console.log(`load average (1, 5, 15 min) at the start ${startLoad}, at the end ${endLoad}`);
    console.log(
      "program  | bpfscope interp | peer interp | bpfscope jit | peer jit | interp ratio: median (min-max) | jit ratio: median (min-max)",
    );
    const mm = (xs: number[]) =>
      `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
    for (const r of rows) {
      console.log(
        `${r.program.padEnd(8)} | ${r.ns.interp.toFixed(3).padStart(15)} | ${
          r.ns["peer-interp"].toFixed(3).padStart(11)
        } | ${r.ns.jit.toFixed(3).padStart(12)} | ${r.ns["peer-jit"].toFixed(3).padStart(8)} | ${
          mm(r.interp_ratio).padStart(30)
        } | ${mm(r.jit_ratio).padStart(26)}`,
      );
    }
  }
}
