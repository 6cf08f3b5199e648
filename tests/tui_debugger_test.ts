// Run mode (tui/debugger.ts): the rendered screen, keys, breakpoints, back by
// replay, and the text trace of `--run` without a terminal; the verifier
// view drawn without Ink (tui/plain.ts; tests/tui_plain_test.ts compares it with Ink's).
import assert from "node:assert/strict";
import { Debugger, traceText, vmFactory } from "../tui/debugger.ts";
import { plainLines } from "../tui/plain.ts";
import { computeLayout, initialUi } from "../tui/model.ts";
import { buildFrame } from "../tui/model.ts";
import { Timeline } from "../tui/timeline.ts";
import { decodeProgram } from "../core/formats/mod.ts";
import { FakeEngine } from "./tui_fake_engine.ts";
import { findExample } from "../tui/gallery.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const counter = () => decodeProgram(Deno.readFileSync(`${ROOT}tests/fixtures/counter.o`), "counter.o");
const data = new Uint8Array(32);
data[23] = 6;

Deno.test("debugger: first screen, a step highlights changed registers", () => {
  const p = counter();
  const d = new Debugger(vmFactory(p, { data }), p, "counter.o");
  let s = d.lines(100, 30, false);
  assert.equal(s.length, 30);
  for (const l of s) assert.equal(l.length, 100, JSON.stringify(l));
  assert.match(s[0], /bpfscope run {2}counter\.o {2}│ pc 0 {2}executed 0/);
  assert.ok(s.some((l) => /▶ +0: r6 = r1/.test(l)));
  assert.ok(s.some((l) => /counts \(hash\): 0 entries/.test(l)));
  d.key({ name: "s" });
  s = d.lines(100, 30, false);
  assert.ok(s.some((l) => /\*r6 +0x0000100800000000/.test(l)));
  assert.ok(s.some((l) => / r1 +0x/.test(l)), "unchanged registers are not marked");
  // colours: the changed register in bold yellow
  assert.ok(d.lines(100, 30, true).some((l) => l.includes("\x1b[33m\x1b[1m*r6")));
});

Deno.test("debugger: breakpoint, continue, back (replay), restart, style, quit", () => {
  const p = counter();
  const d = new Debugger(vmFactory(p, { data }), p, "counter.o");
  for (let i = 0; i < 12; i++) d.key({ name: "j" });
  assert.equal(d.cursor, 13);
  d.key({ name: "x" });
  d.key({ name: "c" });
  assert.equal(d.vm.pc, 13);
  assert.equal(d.message, "breakpoint at 13");
  const s = d.lines(100, 30, false);
  assert.ok(s.some((l) => /● +13: \*\(u64 \*\)\(r10 -16\) = r1/.test(l)));
  assert.ok(s.some((l) => /stack frame 0 \(4 of 512 bytes used\)/.test(l)));
  assert.ok(s.some((l) => /fp-16 +00000000 00000000 00000000 06000000/.test(l)));
  d.key({ name: "c" });
  assert.ok(d.vm.done);
  assert.match(d.status(), /EXIT r0 = 0 .* after 19 insns/);
  assert.ok(d.lines(100, 30, false).some((l) => /06000000: 0100000000000000/.test(l)));
  assert.ok(d.lines(100, 30, false).some((l) => /■ +23: exit/.test(l)), "where it ended");
  const before = d.vm.regs();
  d.key({ name: "b" });
  assert.equal(d.vm.executed, 18);
  d.key({ name: "s" });
  assert.deepEqual(d.vm.regs(), before, "replay is deterministic");
  assert.equal(d.vm.maps[0].entries().length, 1, "fresh maps on every replay: one entry, not two");
  d.key({ name: "v" });
  assert.ok(d.lines(100, 30, false).some((l) => /0: \(bf\) r6 = r1/.test(l)), "kernel style");
  d.key({ name: "R" });
  assert.equal(d.vm.executed, 0);
  d.key({ name: "m" });
  assert.ok(d.switchToVerifier);
  d.key({ name: "q" });
  assert.ok(d.quit);
  assert.match(new Debugger(vmFactory(p, { data }), p, "x").lines(50, 10, false)[0], /too small/);
});

Deno.test("debugger: text trace (one line per instruction, limit, summary)", () => {
  const p = counter();
  const t = traceText(vmFactory(p, { data }), p, "counter.o", 100);
  const lines = t.trimEnd().split("\n");
  assert.equal(lines[0], "run counter.o: 24 slots");
  assert.match(lines[1], /^ {4}0: r6 = r1 +; r6=0x100800000000$/);
  assert.equal(lines.filter((l) => /^ +\d+: [a-z*(]/.test(l)).length, 19);
  assert.ok(lines.includes("exit: r0 = 0 (0x0), 19 insns executed"));
  assert.ok(lines.includes("  map counts (hash): 1 entries"));
  const short = traceText(vmFactory(p, { data }), p, "counter.o", 3).split("\n");
  assert.match(short[4], /trace stopped after 3 instructions/);
  assert.match(short[5], /^exit: r0 = 0/);
  // a fault is reported
  const f = traceText(vmFactory(p, {}), p, "counter.o", 100);
  assert.match(f, /exit: r0 = 0 \(0x0\), 2 insns executed/, "LD_ABS out of the (empty) packet ends with 0");
});

Deno.test("plain: the first frame of the verifier view without Ink, unstyled", () => {
  const g = findExample("misaligned")!;
  const tl = new Timeline((o) => new FakeEngine(g.build(o.profile), o), { profile: "linux-3.18", pruning: true });
  const layout = computeLayout(100, 30, false);
  const lines = plainLines(buildFrame(tl, initialUi(), layout, g.title, false), false)!;
  assert.equal(lines.length, layout.rows);
  for (const l of lines) assert.ok(l.length <= 100 && !l.includes("\x1b"), JSON.stringify(l));
  assert.match(lines[0], /bpfscope · misaligned map access · step 0 · start +linux-3\.18 · paused $/);
  assert.match(lines[1], /^─ instructions ─+ 0-8\/9 ─ ─ state ─+ initial ─$/);
  assert.match(lines[2], /0: \(7a\) \*\(u64 \*\)\(r10 -8\) = 0 +R1=ctx R10=fp/);
  assert.match(lines[lines.length - 1], /^s step {2}n next event/);
});
