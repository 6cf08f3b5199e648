/** Shared helpers of the end-to-end TUI tests that drive a real terminal through tmux. */

/** Whether tmux can be run here (the end-to-end tests are skipped without it). */
export const hasTmux: boolean = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

/**
 * Each session gets a tmux server of its own (`tmux -L`): the sessions of test files running in parallel, or of
 * anybody else's tmux on the machine, can neither be reached by a target here nor end this server; and a session
 * never starts on a server that is still shutting down after the previous session of the file ended (a server
 * exits with its last session: a client that connects meanwhile loses it).
 */
const BASE = `bpfscope-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
let socket = `${BASE}-0`;
let sessions = 0;

/** Run tmux on the current session's server with arguments; its standard output. */
export function tmux(...args: string[]): string {
  const r = new Deno.Command("tmux", { args: ["-L", socket, ...args], stdout: "piped", stderr: "piped" })
    .outputSync();
  return new TextDecoder().decode(r.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the pane shows `re` (every one of them, when an array: parts of
 * the screen may arrive in different frames) or time out; return the screen.
 * The time-out only bounds how long a broken test hangs (a loaded CI machine
 * may take seconds to start Deno), it measures nothing.
 */
export async function waitFor(s: string, re: RegExp | RegExp[], ms = 30_000): Promise<string> {
  const all = Array.isArray(re) ? re : [re];
  const end = Date.now() + ms;
  let screen = "";
  while (Date.now() < end) {
    screen = tmux("capture-pane", "-p", "-t", s);
    if (all.every((r) => r.test(screen))) return screen;
    await sleep(60);
  }
  // without the blank rows at its end, so the tail of a CI log shows what the screen had
  throw new Error(`timed out waiting for ${all.join(" and ")}; screen:\n${screen.trimEnd()}`);
}

/**
 * A 100x30 tmux session with a plain shell in the repository: `command`
 * runs there (CI unset for the shell, so for every command of a pipeline; NO_COLOR set) followed by `echo EXIT=$?`, then `fn`
 * drives it; the session is killed however `fn` ends.
 */
export async function inTmux(root: string, name: string, command: string, fn: (s: string) => Promise<void>) {
  socket = `${BASE}-${++sessions}`;
  tmux(
    "new-session",
    "-d",
    "-x",
    "100",
    "-y",
    "30",
    "-s",
    name,
    // CI is unset for the shell itself, so every command of a pipeline runs without it (Ink renders
    // nothing under CI=true; an `env -u CI` before the command reached only the first command of a pipe)
    "env -u CI PS1='READY$ ' NO_COLOR=1 bash --norc --noprofile",
  );
  try {
    await waitFor(name, /READY\$/);
    tmux("send-keys", "-t", name, `cd ${root} && ${command}; echo EXIT=$?`, "Enter");
    await fn(name);
  } finally {
    tmux("kill-server");
  }
}
