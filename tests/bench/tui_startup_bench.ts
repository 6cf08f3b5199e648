/**
 * The TUI's first full frame, measured in a real terminal (tmux, as the
 * end-to-end tests drive it): `bpfscope tui` (the default example, 100x30,
 * `NO_COLOR`) is started in a tmux pane and the pane is read every few
 * milliseconds until the whole verifier view is on it (header, instructions,
 * state, pending branches, budget and footer); the time from sending the
 * command to that screen includes Deno's start. The process also reports its
 * own marks (`BPFSCOPE_STARTUP=1`: ms since the runtime started).
 *
 * Each round also times the same start without tmux and bash: `script`
 * gives the process a pseudo-terminal and its output is read until the whole
 * view has been written (ms from spawning `script`: Deno's whole start).
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

/**
 * The same without tmux and bash: `script` gives `bpfscope tui` a pseudo-terminal (100x30) and its output is read
 * until the whole verifier view has been written; ms from spawning `script` (so Deno's whole start is in it).
 */
async function direct(tree: string): Promise<number> {
  const cmd = "stty rows 30 cols 100; exec env -u CI NO_COLOR=1 deno run -A cli/main.ts tui";
  const t0 = performance.now();
  const child = new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    cwd: tree,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const dec = new TextDecoder();
  const input = child.stdin.getWriter();
  let text = "", t = -1;
  // quit once the frame is there (and give up after 10 s)
  const stop = setTimeout(() => child.kill(), 10000);
  for await (const chunk of child.stdout) {
    text += dec.decode(chunk, { stream: true });
    if (t < 0 && FULL.every((re) => re.test(text))) {
      t = performance.now() - t0;
      await sleep(800); // let Ink load, as the tmux run does, before quitting
      await input.write(new TextEncoder().encode("q"));
      await input.close();
    }
  }
  clearTimeout(stop);
  await child.status;
  if (t < 0) throw new Error(`${tree}: no full frame in the output`);
  return t;
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
  const times: Record<string, number[]> = {}, pty: Record<string, number[]> = {};
  await once(ROOT); // warm the module caches
  for (let r = 0; r < rounds; r++) {
    const row: string[] = [];
    for (const [name, dir] of r % 2 ? [...trees].reverse() : trees) {
      const x = await once(dir);
      const p = await direct(dir);
      (times[name] ??= []).push(x.screen);
      (pty[name] ??= []).push(p);
      row.push(`${name}: ${x.screen.toFixed(0)} ms on screen (${x.marks}), ${p.toFixed(0)} ms on a pty`);
    }
    console.log(`round ${r + 1}: ${row.join("; ")}`);
  }
  const summary = (what: string, t: Record<string, number[]>) => {
    for (const [name, xs] of Object.entries(t)) {
      const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
      console.log(`${what}, ${name}: median ${median(xs).toFixed(0)} ms, min ${lo.toFixed(0)}, max ${hi.toFixed(0)}`);
    }
    if (baseline) {
      const ratios = t["this tree"].map((x, k) => x / t["baseline"][k]);
      const [lo, hi] = [Math.min(...ratios), Math.max(...ratios)];
      console.log(
        `${what}, this tree / baseline per round: median ${median(ratios).toFixed(2)} (${lo.toFixed(2)}-${
          hi.toFixed(2)
        })`,
      );
    }
  };
  summary("on the tmux screen", times);
  summary("on a pty (script)", pty);
  console.log(`load average at the end ${load()}`);
}
