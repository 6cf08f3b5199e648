/**
 * End-to-end: the TUI in a real terminal (tmux): open, step, continue,
 * toggle pruning, step back, quit, and check the terminal is restored.
 * Runs the terminal driver on the fake engine and the real CLI
 * (`deno run -A cli/main.ts tui`) on core/verifier.
 */
import assert from "node:assert/strict";

import { hasTmux, inTmux, tmux, waitFor } from "./tmux_util.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const session = (name: string, command: string, fn: (s: string) => Promise<void>) => inTmux(ROOT, name, command, fn);

/** The walk the brief asks for: open, step, continue, pruning, back, quit, restored. */
async function drive(s: string) {
  // the full frame (the first one is the plain preview)
  let scr = await waitFor(s, [/─ budget /, /─ instructions /, /─ pending branches .*depth 0/]);
  tmux("send-keys", "-t", s, "s");
  scr = await waitFor(s, [/step 1 · insn @0/, /▶\s+0: /]);
  tmux("send-keys", "-t", s, "n");
  scr = await waitFor(s, [/BRANCH pushed @6/, /from 6 to 8 {2}← next/, /depth 1/]);
  tmux("send-keys", "-t", s, "n");
  scr = await waitFor(s, [/ERROR @7/, /REJECTED/, /misaligned access off 4 size 8/]);
  tmux("send-keys", "-t", s, "b");
  scr = await waitFor(s, /BRANCH pushed @6/);
  assert.doesNotMatch(scr, /REJECTED/);
  tmux("send-keys", "-t", s, "p");
  // the header and the status line may reach the screen in different frames: wait for the later one
  scr = await waitFor(s, [/pruning OFF: restarted/, /NO PRUNING/, /step 0 · start/]);
  tmux("send-keys", "-t", s, "?");
  scr = await waitFor(s, [/help: keys/, /toggle breakpoint/]);
  tmux("send-keys", "-t", s, "Escape");
  await waitFor(s, /─ instructions /);
  assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "1");
  tmux("send-keys", "-t", s, "q");
  scr = await waitFor(s, /EXIT=0/);
  assert.doesNotMatch(scr, /─ instructions /, "the UI is gone from the screen");
  assert.match(scr, /READY\$ cd /, "the shell's own lines are back");
  assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "0", "alternate screen left");
  assert.equal(tmux("display", "-p", "-t", s, "#{cursor_flag}").trim(), "1", "cursor visible again");
}

Deno.test({
  name: "e2e (tmux): terminal driver on the fake engine",
  ignore: !hasTmux,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => session("bpfscope_e2e_fake", "deno run -A tests/tui_e2e_launch.ts misaligned", drive),
});

/** Write over the pane's terminal behind the UI's back: clear it and leave a mark. */
function scribble(s: string): void {
  const tty = tmux("display", "-p", "-t", s, "#{pane_tty}").trim();
  Deno.writeTextFileSync(tty, "\x1b[2J\x1b[1;1HSCRIBBLED");
}

Deno.test({
  name: "e2e (tmux): a screen written over is repaired: by itself after a change, and by Ctrl-L",
  ignore: !hasTmux,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    session("bpfscope_e2e_repair", "deno run -A tests/tui_e2e_launch.ts misaligned", async (s) => {
      const whole = [/bpfscope · misaligned map access/, /─ instructions /, /─ budget /, /s step {2}n next event/];
      await waitFor(s, whole);
      // the first frames are plain.ts's; Ink's first frame rewrites every row: wait for Ink (it alone draws overlays)
      tmux("send-keys", "-t", s, "?");
      await waitFor(s, /help: keys/);
      tmux("send-keys", "-t", s, "Escape");
      await waitFor(s, whole);
      // a key redraws only the rows it changes; the settle repaint brings back the rest
      scribble(s);
      await waitFor(s, /SCRIBBLED/);
      tmux("send-keys", "-t", s, "j");
      let scr = await waitFor(s, [...whole, /› +1: \(bf\) r2 = r10/]);
      assert.doesNotMatch(scr, /SCRIBBLED/);
      // once still, nothing repaints on its own: Ctrl-L does
      scribble(s);
      await waitFor(s, /SCRIBBLED/);
      tmux("send-keys", "-t", s, "C-l");
      scr = await waitFor(s, whole);
      assert.doesNotMatch(scr, /SCRIBBLED/);
      assert.doesNotMatch(scr, /─ gallery /, "Ctrl-L is not l (the gallery)");
      tmux("send-keys", "-t", s, "q");
      await waitFor(s, /EXIT=0/);
    }),
});

Deno.test({
  name: "e2e (tmux): Ctrl-C restores the terminal; resize redraws; too small is said",
  ignore: !hasTmux,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    session("bpfscope_e2e_ctrlc", "deno run -A tests/tui_e2e_launch.ts big play", async (s) => {
      await waitFor(s, /long chain/);
      tmux("resize-window", "-t", s, "-x", "70", "-y", "20");
      await waitFor(s, /Terminal too small: 70x20/);
      tmux("resize-window", "-t", s, "-x", "120", "-y", "40");
      const scr = await waitFor(s, /─ instructions .*\/3999/);
      assert.ok(scr.split("\n")[0].length > 100);
      tmux("send-keys", "-t", s, "C-c");
      await waitFor(s, /EXIT=0/);
      assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "0");
    }),
});

Deno.test({
  name: "e2e (tmux): the real CLI, bpfscope tui on the real verifier",
  ignore: !hasTmux,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => session("bpfscope_e2e_cli", "deno run -A cli/main.ts tui", drive),
});

Deno.test({
  name: "e2e (tmux): run mode (--run): open, step, breakpoint, continue, back, verifier view, quit",
  ignore: !hasTmux,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const data = "00".repeat(23) + "06" + "00".repeat(8);
    await session(
      "bpfscope-e2e-run",
      `deno run -A cli/main.ts tui --run --data ${data} tests/fixtures/counter.o`,
      async (s) => {
        let scr = await waitFor(s, [
          /bpfscope run .*pc 0 {2}executed 0/,
          /▶ +0: r6 = r1/,
          /r10 0x0000100000000200 {2}17592186044928/,
        ]);
        tmux("send-keys", "-t", s, "s");
        scr = await waitFor(s, /pc 1 {2}executed 1/);
        assert.match(scr, /\*r6 +0x0000100800000000/, "the changed register is marked");
        for (let i = 0; i < 11; i++) tmux("send-keys", "-t", s, "j"); // 5 → 7 skips LD_IMM64's second slot
        tmux("send-keys", "-t", s, "x");
        scr = await waitFor(s, [/breakpoint at 13/, /● +13: \*\(u64 \*\)\(r10 -16\) = r1/]);
        tmux("send-keys", "-t", s, "c");
        scr = await waitFor(s, [/pc 13 {2}executed 9/, /stack frame 0 \(4 of 512 bytes used\)/]);
        tmux("send-keys", "-t", s, "c");
        scr = await waitFor(s, [
          /EXIT r0 = 0 .* after 19 insns/,
          /counts \(hash\): 1 entries/,
          /06000000: 0100000000000000/,
        ]);
        tmux("send-keys", "-t", s, "b");
        scr = await waitFor(s, /pc 23 {2}executed 18/);
        tmux("send-keys", "-t", s, "m");
        scr = await waitFor(s, [/─ budget /, /bpfscope · tests\/fixtures\/counter.o · step 0/]);
        tmux("send-keys", "-t", s, "m");
        await waitFor(s, /pc 23 {2}executed 18/);
        tmux("send-keys", "-t", s, "q");
        scr = await waitFor(s, /EXIT=0/);
        assert.doesNotMatch(scr, /bpfscope run/, "the UI is gone from the screen");
        assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "0", "alternate screen left");
        assert.equal(tmux("display", "-p", "-t", s, "#{cursor_flag}").trim(), "1", "cursor visible again");
      },
    );
  },
});

Deno.test({
  name: "e2e (tmux): run mode after opening a gallery example debugs that example",
  ignore: !hasTmux,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    session("bpfscope-e2e-gallery-run", "deno run -A cli/main.ts tui", async (s) => {
      await waitFor(s, /─ budget /);
      tmux("send-keys", "-t", s, "l");
      await waitFor(s, /missing null check/);
      tmux("send-keys", "-t", s, "4");
      await waitFor(s, /opened: missing null check/);
      tmux("send-keys", "-t", s, "m");
      await waitFor(s, [
        /bpfscope run +missing null check/,
        /6: \*\(u64 \*\)\(r0 \+0\) = 1/,
        /map0 \(hash\): 0 entries/,
      ]);
      tmux("send-keys", "-t", s, "c");
      await waitFor(s, [/FAULT|fault/, /insn 6/]);
      tmux("send-keys", "-t", s, "q");
      await waitFor(s, /EXIT=0/);
    }),
});
