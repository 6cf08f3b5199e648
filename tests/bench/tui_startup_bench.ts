/**
 * The TUI's first full frame, measured in a real terminal (tmux, as the
 * end-to-end tests drive it): `bpfscope tui` (the default example, 100x30,
 * `NO_COLOR`) is started in a tmux pane and the pane is read every few
 * milliseconds until the whole verifier view is on it (header, instructions,
 * state, pending branches, budget and footer); the time from sending the
 * command to that screen includes Deno's start. The process also reports its
 * own marks (`BPFSCOPE_STARTUP=1`: ms since the runtime started).
 *
 * With `--baseline DIR` (another checkout, e.g. an older commit) the two
 * trees take turns round by round, and the ratio of each round is printed.
 * A benchmark, not a test: `deno run -A tests/bench/tui_startup_bench.ts
 * [--rounds 10] [--baseline DIR]`.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

function tmux(...args: string[]): string {
  const r = new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).outputSync();
  return new TextDecoder().decode(r.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The whole verifier view: every panel of the first full frame. */
const FULL = [
  / bpfscope · /,
  /─ instructions /,
  /─ state /,
  /─ log /,
  /─ pending branches .*depth 0/,
  /─ budget /,
  /q quit/,
];

interface Sample {
  /** ms from sending the command to the full frame on the screen. */
  screen: number;
  /** The process's own marks (`cli 120 ms, ...`). */
  marks: string;
}

async function once(tree: string): Promise<Sample> {
  const s = `bpfscope_startup_${Deno.pid}`;
  const err = await Deno.makeTempFile({ suffix: ".txt" });
  tmux("kill-session", "-t", s);
  tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", s, "env PS1='READY$ ' bash --norc --noprofile");
  try {
    for (let k = 0; k < 200 && !/READY\$/.test(tmux("capture-pane", "-p", "-t", s)); k++) await sleep(10);
    tmux("send-keys", "-t", s, `cd ${tree} && clear`, "Enter");
    await sleep(100);
    const cmd = `env -u CI NO_COLOR=1 BPFSCOPE_STARTUP=1 deno run -A cli/main.ts tui 2>${err}; echo EXIT=$?`;
    const t0 = performance.now();
    tmux("send-keys", "-t", s, cmd, "Enter");
    let screen = -1;
    while (performance.now() - t0 < 10000) {
      const scr = tmux("capture-pane", "-p", "-t", s);
      if (FULL.every((re) => re.test(scr))) {
        screen = performance.now() - t0;
        break;
      }
    }
    if (screen < 0) throw new Error(`${tree}: no full frame within 10 s`);
    await sleep(800); // let Ink finish loading before quitting (its marks come last)
    tmux("send-keys", "-t", s, "q");
    for (let k = 0; k < 300 && !/EXIT=/.test(tmux("capture-pane", "-p", "-t", s)); k++) await sleep(10);
    const marks = Deno.readTextFileSync(err).trim().replace(/^startup: /, "");
    return { screen, marks };
  } finally {
    tmux("kill-session", "-t", s);
    Deno.removeSync(err);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.main) {
  const arg = (name: string, dflt: string) => {
    const k = Deno.args.indexOf(name);
    return k < 0 ? dflt : Deno.args[k + 1];
  };
  const rounds = Number(arg("--rounds", "10"));
  const baseline = arg("--baseline", "");
  const trees = baseline ? [["baseline", baseline], ["this tree", ROOT]] : [["this tree", ROOT]];
  const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(`${new Date().toISOString()}, load average at the start ${load()}; ${rounds} rounds`);
  const times: Record<string, number[]> = {};
  await once(ROOT); // warm the module caches
  for (let r = 0; r < rounds; r++) {
    const row: string[] = [];
    for (const [name, dir] of r % 2 ? [...trees].reverse() : trees) {
      const x = await once(dir);
      (times[name] ??= []).push(x.screen);
      row.push(`${name}: ${x.screen.toFixed(0)} ms on screen (${x.marks})`);
    }
    console.log(`round ${r + 1}: ${row.join("; ")}`);
  }
  for (const [name, xs] of Object.entries(times)) {
    console.log(
      `${name}: median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${
        Math.max(...xs).toFixed(0)
      }`,
    );
  }
  if (baseline) {
    const ratios = times["this tree"].map((x, k) => x / times["baseline"][k]);
    console.log(
      `this tree / baseline, per round: median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${
        Math.max(...ratios).toFixed(2)
      })`,
    );
  }
  console.log(`load average at the end ${load()}`);
}
