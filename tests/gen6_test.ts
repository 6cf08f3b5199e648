/**
 * The 6.18-era generator (tests/gen6): deterministic per seed, programs the
 * JSON program format round-trips, every bug kind can be placed, knobs switch
 * features off.
 */
import assert from "node:assert/strict";
import { decodeJson, encodeJson } from "../core/formats/mod.ts";
import { BUG_KINDS, generate6 } from "./gen6/gen.ts";

Deno.test("gen6: the same seed gives the same program", () => {
  for (let s = 1; s <= 50; s++) {
    const a = generate6(s), b = generate6(s);
    assert.equal(encodeJson(a.prog), encodeJson(b.prog));
    assert.deepEqual(a.bug, b.bug);
  }
  assert.notEqual(encodeJson(generate6(1).prog), encodeJson(generate6(2).prog));
});

Deno.test("gen6: programs round-trip through the JSON program format", () => {
  for (let s = 1; s <= 200; s++) {
    const g = generate6(s);
    const text = encodeJson(g.prog);
    assert.equal(encodeJson(decodeJson(text, `seed${s}`)), text);
  }
});

Deno.test("gen6: every bug kind is placed, at an instruction of the program", () => {
  for (const kind of BUG_KINDS) {
    let placed = 0;
    for (let s = 1; s <= 40 && placed < 3; s++) {
      const g = generate6(s, { bugRate: 1, bugKinds: [kind], progTypes: ["xdp", "cgroup_skb"], calls: 1 });
      if (g.bug?.kind !== kind) continue;
      placed++;
      assert.ok(g.bug.insn >= 0 && g.bug.insn < g.prog.len, `${kind}: insn ${g.bug.insn}`);
      // the origin comes before the error; a context access the program type forbids is its own origin
      if (g.bug.origin !== null) {
        assert.ok(g.bug.origin < g.bug.insn || kind === "ret_range" || kind === "ctx_bad_off", kind);
        if (kind === "ctx_bad_off") assert.equal(g.bug.origin, g.bug.insn);
      }
    }
    assert.ok(placed > 0, `${kind} never placed`);
  }
});

Deno.test("gen6: knobs switch features off", () => {
  for (let s = 1; s <= 100; s++) {
    const g = generate6(s, { loops: 0, calls: 0, packet: 0, bugRate: 0 });
    assert.equal(g.bug, null);
    for (const f of ["loop", "call", "packet"]) assert.ok(!g.features.includes(f), `seed ${s}: ${f}`);
  }
});
