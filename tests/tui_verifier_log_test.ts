// The TUI's log pane on the 6.18 walk: the log rewinds (a state joined to its insn line drops that line's
// newline and writes on), so the lines taken while stepping must end up as the final log's lines.
import assert from "node:assert/strict";
import { createEngine } from "../core/verifier/mod.ts";
import { VerifierStepEngine } from "../tui/verifier_engine.ts";
import { loadProgramFile } from "../cli/util.ts";

for (const level of [1, 2]) {
  Deno.test(`tui log pane, linux-6.18 at log level ${level}: lines taken per step are the final log's lines`, () => {
    const prog = loadProgramFile(new URL("./fixtures/nullcheck.o", import.meta.url).pathname);
    const core = createEngine(prog, { profile: "linux-6.18", logLevel: level, explain: true });
    const e = new VerifierStepEngine(core);
    let joined = 0;
    while (!e.done) {
      e.step();
      for (let i = 0; i < e.logLines; i++) if (/^\d+: \(.*; R/.test(e.logLine(i))) joined++;
    }
    const want = core.log.split("\n").slice(0, -1);
    const got = Array.from({ length: e.logLines }, (_, i) => e.logLine(i));
    assert.deepEqual(got, want);
    assert.ok(joined > 0, "the walk printed joined insn/state lines");
    assert.ok(!got.some((l) => /^ +; R/.test(l)), "no state line split off its insn");
  });
}

Deno.test("tui log pane, linux-6.18 level 1 with global functions: the log cut back after each walk is taken again", () => {
  // gf_chain.o: main, then outer() and inner() walked on their own; each successful walk empties a level-1 log, and
  // "Func#1 ('outer') is safe ..." and "Func#2 ('inner') is safe ..." have the same length, so the text written
  // after the last cut ends where the lines taken before did
  const prog = loadProgramFile(new URL("./fixtures/btf/gf_chain.o", import.meta.url).pathname);
  const core = createEngine(prog, { profile: "linux-6.18", logLevel: 1, explain: true });
  const e = new VerifierStepEngine(core);
  while (!e.done) {
    e.step();
    void e.logLines;
  }
  const got = Array.from({ length: e.logLines }, (_, i) => e.logLine(i));
  assert.deepEqual(got, core.log.split("\n").slice(0, -1));
  assert.match(got[0], /^Func#2 \('inner'\) is safe for any args that match its prototype$/);
});
