// The four shared bench programs: expected r0 and executed-instruction counts
// (agreed by three independent executors, tests/data/bench/expected.json).
import assert from "node:assert/strict";
import { Interpreter } from "../core/vm/mod.ts";
import { benchInput, benchPrograms } from "./vm_util.ts";

for (const b of benchPrograms()) {
  Deno.test(`bench ${b.name}: r0 and executed instructions`, () => {
    const mem = benchInput();
    const r = new Interpreter(b.prog).run({ mem });
    assert.equal(r.fault, null);
    assert.equal(r.r0, b.r0);
    assert.equal(r.insnsExecuted, b.insns);
    assert.deepEqual(r.memOut, mem, "the input is copied, and these programs do not write it");
  });
}
