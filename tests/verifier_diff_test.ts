// Differential test: a second, deliberately naive re-implementation of the
// 3.18 / 3.19 verifier, written as a literal transliteration of the spec
// (C-like structs: a register is {type, imm, hi, map}; the 3.18 stack is 512
// per-byte {stype, reg_st} records, the 3.19 stack 512 type bytes plus 64
// spilled registers; explored states are plain arrays searched from the
// head), compared with core/verifier on random programs: verdict, errno,
// the full log byte for byte, and the walk statistics, with and without
// pruning. It shares nothing with the engine but the instruction printer.
import assert from "node:assert/strict";
import { verify } from "../core/verifier/mod.ts";
import { MAP_318, MAP_319, model, randomProgram } from "./verifier_model.ts";

Deno.test("diff: random programs, engine vs a literal model — verdict, errno, full log, stats", () => {
  let accepted = 0, pruned = 0, total = 0;
  for (const profile of ["linux-3.18", "linux-3.19"] as const) {
    for (let seed = 1; seed <= 3000; seed++) {
      const p = randomProgram(seed * 7919 + (profile === "linux-3.18" ? 1 : 2), profile);
      const m = profile === "linux-3.18" ? MAP_318 : MAP_319;
      for (const prune of [true, false]) {
        const want = model(p, profile, { 3: m }, prune);
        const got = verify(p, {
          profile,
          logLevel: 1,
          prune,
          resolveMapFd: (fd) => (fd === 3 ? m : fd <= 2 && fd >= 0 ? "EINVAL" : "EBADF"),
        });
        const where = `${profile} seed ${seed} prune ${prune}`;
        assert.equal(got.log, want.log, where);
        assert.equal(got.errno, want.errno, where);
        assert.equal(got.stats.processed_insns, want.processed, where);
        assert.equal(got.stats.total_states, want.states, where);
        assert.equal(got.stats.prunes, want.prunes, where);
        total++;
        if (want.errno === null) accepted++;
        if (want.prunes > 0) pruned++;
      }
    }
  }
  // the generator must exercise both verdicts and pruning
  assert.ok(accepted > total / 20, `accepted ${accepted} of ${total}`);
  assert.ok(pruned > total / 100, `pruned ${pruned} of ${total}`);
  console.log(`diff: ${total} walks, ${accepted} accepted, ${pruned} with prunes`);
});
