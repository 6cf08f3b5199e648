import assert from "node:assert/strict";
import { Controller, type Session } from "../tui/controller.ts";
import { findExample, GALLERY, type GalleryEntry } from "../tui/gallery.ts";
import { keysMarkdown, parseKeys } from "../tui/keys.ts";
import { computeLayout } from "../tui/model.ts";
import { Timeline } from "../tui/timeline.ts";
import { textWalk } from "../tui/text.ts";
import type { WalkOptions } from "../tui/engine.ts";
import { FakeEngine } from "./tui_fake_engine.ts";

const L = computeLayout(80, 24);
const open = (g: GalleryEntry, o: WalkOptions): Session => ({
  tl: new Timeline((oo) => new FakeEngine(g.build(oo.profile), oo), o),
  title: g.title,
});
const ctl = (id = "misaligned") =>
  new Controller(open(findExample(id)!, { profile: "linux-3.18", pruning: true }), GALLERY, open);
const press = (c: Controller, ...names: string[]) => {
  for (const n of names) c.key({ name: n }, L);
};

Deno.test("keys: raw terminal input is split into keys", () => {
  assert.deepEqual(parseKeys("sn\x1b[A\x1b[6~\r\x7f\x03 ?"), [
    { name: "s" },
    { name: "n" },
    { name: "up" },
    { name: "pagedown" },
    { name: "enter" },
    { name: "backspace" },
    { name: "c", ctrl: true },
    { name: " " },
    { name: "?" },
  ]);
  assert.deepEqual(parseKeys("\x1b"), [{ name: "escape" }]);
  assert.deepEqual(parseKeys("\x1b[1;5Cx"), [{ name: "x" }]);
  assert.match(keysMarkdown(), /\| `p` \| toggle pruning, restart \|/);
});

Deno.test("controller: step, continue, back, back-to-event, start", () => {
  const c = ctl();
  press(c, "s", "s", "right");
  assert.equal(c.tl.t, 3);
  press(c, "n");
  assert.equal(c.tl.lastEvent, "branch");
  const t = c.tl.t;
  press(c, "b");
  assert.equal(c.tl.t, t - 1);
  press(c, "n", "n");
  assert.equal(c.tl.lastEvent, "error");
  press(c, "B");
  assert.equal(c.tl.lastEvent, "branch");
  press(c, "0");
  assert.equal(c.tl.t, 0);
  press(c, "e");
  assert.ok(c.tl.done);
  press(c, " ");
  assert.equal(c.ui.playing, false);
  assert.match(c.ui.message, /ended/);
});

Deno.test("controller: pruning and profile toggles restart the walk", () => {
  const c = ctl("budget");
  press(c, "e");
  assert.equal(c.tl.engine.verdict()?.accepted, true);
  press(c, "p");
  assert.equal(c.tl.options.pruning, false);
  assert.equal(c.tl.t, 0);
  assert.match(c.ui.message, /pruning OFF/);
  press(c, "e");
  assert.match(c.tl.engine.verdict()!.message!, /too large/);
  press(c, "P");
  assert.equal(c.tl.options.profile, "linux-3.19");
  press(c, "P");
  assert.equal(c.tl.options.profile, "linux-6.18");
  press(c, "P");
  assert.equal(c.tl.options.profile, "linux-3.18");
});

Deno.test("controller: cursor, go-to prompt, breakpoints, run to cursor", () => {
  const c = ctl("filter");
  press(c, "j", "j");
  assert.equal(c.ui.follow, false);
  assert.equal(c.ui.cursor, 2);
  press(c, "g", "1", "7", "enter");
  assert.equal(c.ui.cursor, 17);
  press(c, "x");
  assert.ok(c.tl.breakpoints.has(17));
  press(c, "f", "r");
  assert.equal(c.ui.playing, true);
  // animate: ticks advance until the breakpoint pauses
  let now = 1000;
  for (let i = 0; i < 400 && c.ui.playing; i++) c.tick(now += 25);
  assert.equal(c.ui.playing, false);
  assert.equal(c.tl.engine.pc, 17);
  assert.match(c.ui.message, /breakpoint at 17/);
  press(c, "g", "9", "9", "9", "enter");
  assert.match(c.ui.message, /no instruction 999/);
  press(c, "x"); // clear the breakpoint at 17 (the cursor is still there)
  press(c, "g", "1", "2", "enter", "t");
  assert.equal(c.tl.engine.pc, 12);
  assert.equal(c.tl.breakpoints.has(12), false);
});

Deno.test("controller: speed, help, gallery, quit", () => {
  const c = ctl();
  const s = c.ui.speed;
  press(c, "+");
  assert.ok(c.ui.speed > s);
  press(c, "-", "-");
  assert.ok(c.ui.speed < s);
  press(c, "?");
  assert.equal(c.ui.overlay, "help");
  press(c, "s");
  assert.equal(c.ui.overlay, "none");
  assert.equal(c.tl.t, 0, "the key that closes help does nothing else");
  press(c, "l", "down", "down", "enter");
  assert.equal(c.session.title, GALLERY[2].title);
  press(c, "l", "5");
  assert.equal(c.session.title, GALLERY[4].title);
  assert.equal(c.quit, false);
  press(c, "q");
  assert.equal(c.quit, true);
  const d = ctl();
  d.key({ name: "c", ctrl: true }, L);
  assert.equal(d.quit, true);
});

Deno.test("text walk: events, depth, budget and a summary", () => {
  const g = findExample("misaligned")!;
  const out = textWalk((o) => new FakeEngine(g.build(o.profile), o), {
    profile: "linux-3.18",
    pruning: true,
    title: g.title,
  });
  assert.match(out, /text walk\): misaligned map access/);
  assert.match(out, /branch\s+6\s+1\s+6\/32768.*push from 6 to 8/);
  assert.match(out, /error\s+7\s+1\s+7\/32768.*misaligned access off 4 size 8/);
  assert.match(out, /REJECTED \(EACCES\): misaligned access off 4 size 8/);
  assert.match(out, /path: 0 -> 1 -> 2 -> 3 -> 5 -> 6 -> 7/);
  const b = findExample("budget")!;
  const off = textWalk((o) => new FakeEngine(b.build(o.profile), o), {
    profile: "linux-3.18",
    pruning: false,
    title: b.title,
    maxEvents: 10,
  });
  assert.match(off, /more events not shown/);
  assert.match(off, /REJECTED \(E2BIG\): BPF program is too large/);
  assert.match(off, /processed 32769\/32768/);
});
