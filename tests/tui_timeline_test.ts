import assert from "node:assert/strict";
import { Timeline } from "../tui/timeline.ts";
import type { StepEngine, WalkOptions } from "../tui/engine.ts";
import { diamondChain, findExample, GALLERY } from "../tui/gallery.ts";
import { FakeEngine } from "./tui_fake_engine.ts";
import type { Program } from "../core/isa/mod.ts";

const O: WalkOptions = { profile: "linux-3.18", pruning: true };
const fake = (p: Program) => (o: WalkOptions) => new FakeEngine(p, o);
const ex = (id: string) => findExample(id)!.build("linux-3.18");

/** A view of everything the UI reads, to compare two moments. */
function picture(tl: Timeline) {
  const e = tl.engine;
  const pend = [];
  for (let i = 0; i < e.pendingDepth; i++) pend.push(e.pendingAt(i));
  const heat = [];
  const onPath = [];
  for (let i = 0; i < e.len; i++) {
    heat.push(e.insnCount(i));
    onPath.push(tl.onPath(i));
  }
  const log = [];
  for (let i = 0; i < e.logLines; i++) log.push(e.logLine(i));
  return {
    t: tl.t,
    pc: e.pc,
    ev: tl.lastEvent,
    pend,
    heat,
    onPath,
    path: tl.path(),
    log,
    state: e.state(),
    n: [e.processed, e.stored, e.prunes],
    done: e.done,
  };
}

Deno.test("timeline: step and continue-to-event", () => {
  const tl = new Timeline(fake(ex("misaligned")), O);
  assert.equal(tl.t, 0);
  assert.equal(tl.lastEvent, null);
  assert.equal(tl.step(), "insn");
  assert.equal(tl.engine.pc, 0);
  assert.equal(tl.continueToEvent(), "event");
  assert.equal(tl.lastEvent, "branch");
  assert.equal(tl.engine.pc, 6);
  assert.equal(tl.engine.pendingDepth, 1);
  assert.deepEqual(tl.path(), [0, 1, 2, 3, 5, 6]);
  assert.equal(tl.continueToEvent(), "end");
  assert.equal(tl.lastEvent, "error");
  assert.equal(tl.engine.verdict()?.message, "misaligned access off 4 size 8");
  assert.deepEqual(tl.path(), [0, 1, 2, 3, 5, 6, 7]);
  // stepping after the end keeps the final event
  const t = tl.t;
  assert.equal(tl.step(), "error");
  assert.equal(tl.t, t);
});

Deno.test("timeline: back reproduces every earlier moment exactly (with snapshots)", () => {
  const tl = new Timeline(fake(diamondChain(6)), O);
  const pics = [picture(tl)];
  while (!tl.done) {
    tl.step();
    pics.push(picture(tl));
  }
  for (let t = pics.length - 1; t >= 0; t -= 3) {
    tl.goTo(t);
    assert.deepEqual(picture(tl), pics[t], `moment ${t}`);
  }
  tl.goTo(pics.length - 1);
  assert.deepEqual(picture(tl), pics[pics.length - 1]);
});

Deno.test("timeline: back without engine snapshots replays from the start", () => {
  const p = diamondChain(4);
  const noSnap = (o: WalkOptions): StepEngine => {
    const e = new FakeEngine(p, o);
    return Object.assign(e, { snapshot: undefined, restore: undefined });
  };
  const a = new Timeline(noSnap, O);
  const b = new Timeline(fake(p), O);
  a.advance(20);
  b.advance(20);
  a.back(7);
  b.back(7);
  assert.equal(a.t, 13);
  assert.deepEqual(picture(a), picture(b));
});

Deno.test("timeline: checkpoints make going back cheap on a long walk", () => {
  const tl = new Timeline(fake(findExample("big")!.build("linux-3.18")), O);
  tl.runToEnd();
  assert.equal(tl.engine.verdict()?.accepted, true);
  const end = tl.t;
  assert.ok(end > 5000);
  const t0 = performance.now();
  tl.back();
  tl.backToEvent();
  assert.ok(performance.now() - t0 < 500);
  assert.ok(tl.t < end - 1);
});

Deno.test("timeline: path follows resumes (persistent prefix)", () => {
  const tl = new Timeline(fake(ex("core")), O);
  while (tl.lastEvent !== "resume") tl.step();
  // resumed 1 -> 4: the path is the prefix up to the branch, then the target
  assert.deepEqual(tl.path(), [0, 1, 4]);
  assert.ok(tl.onPath(1) && !tl.onPath(2) && !tl.onPath(3) && tl.onPath(4));
  tl.advance(3);
  assert.deepEqual(tl.path(), [0, 1, 4, 5]);
});

Deno.test("timeline: breakpoints stop advance and survive restarts", () => {
  const tl = new Timeline(fake(ex("filter")), O);
  assert.equal(tl.toggleBreakpoint(17), true);
  assert.equal(tl.advance(1000), "breakpoint");
  assert.equal(tl.engine.pc, 17);
  assert.equal(tl.advance(1000), "breakpoint");
  assert.equal(tl.engine.insnCount(17), 2);
  tl.restart({ pruning: false });
  assert.ok(tl.breakpoints.has(17));
  assert.equal(tl.options.pruning, false);
  assert.equal(tl.t, 0);
  assert.equal(tl.toggleBreakpoint(17), false);
  assert.equal(tl.runToEnd(true), "end");
});

Deno.test("timeline: pruning off drains the budget", () => {
  const p = findExample("budget")!.build("linux-3.18");
  const on = new Timeline(fake(p), O);
  on.runToEnd();
  assert.equal(on.engine.verdict()?.accepted, true);
  assert.ok(on.engine.prunes > 0);
  on.restart({ pruning: false });
  on.runToEnd();
  const v = on.engine.verdict()!;
  assert.equal(v.accepted, false);
  assert.match(v.message!, /too large/);
  assert.equal(on.engine.prunes, 0);
});

Deno.test("gallery: every entry builds for both profiles", () => {
  for (const g of GALLERY) {
    for (const prof of ["linux-3.18", "linux-3.19"]) {
      const p = g.build(prof);
      assert.ok(p.len > 0, g.id);
    }
  }
  assert.equal(findExample("big")!.build("linux-3.18").len, 3999);
  assert.equal(findExample("2")?.id, "misaligned");
  assert.equal(findExample("nope"), undefined);
});
