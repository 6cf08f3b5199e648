// `bpfscope verify` end to end (spawns `deno run -A cli/main.ts verify ...`).
import assert from "node:assert/strict";
import { runCli, tmpJson } from "./cli_util.ts";

const cli = (...args: string[]) => runCli("verify", ...args);

Deno.test("cli verify: text, --json, table, exit codes, --explain, bad input", async () => {
  const good = await tmpJson({ insns: [[0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]] });
  const bad = await tmpJson({
    insns: [
      [122, 10, 0, -8, 0],
      [191, 2, 10, 0, 0],
      [7, 2, 0, 0, -8],
      [24, 1, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [133, 0, 0, 0, 1],
      [
        122,
        0,
        0,
        0,
        1,
      ],
      [183, 0, 0, 0, 0],
      [149, 0, 0, 0, 0],
    ],
    maps: [{ type: "hash", key_size: 8, value_size: 8, max_entries: 16 }],
    fixup: [[3, 0]],
  });
  try {
    const t = await cli(good);
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, "0: (b7) r0 = 0\n1: (95) exit\nverdict: accepted (2 insns processed)\n");
    const j = await cli("--json", good, bad);
    assert.equal(j.code, 1);
    const recs = j.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(recs.length, 2);
    assert.equal(recs[0].accepted, true);
    assert.equal(recs[0].errno, null);
    assert.equal(recs[1].errno, "EACCES");
    assert.equal(recs[1].error, "R0 invalid mem access 'map_value_or_null'");
    assert.ok(recs[1].log.includes("5: (85) call 1\n"));
    assert.deepEqual(Object.keys(recs[1].stats), [
      "processed_insns",
      "total_states",
      "peak_states",
      "max_states_per_insn",
      "prunes",
      "peak_stack_depth",
      "duration_us",
    ]);
    const tab = await cli(good, bad);
    assert.equal(tab.code, 1);
    assert.match(tab.out, /^File +Verdict +Errno +Insns/);
    assert.match(tab.out, /failure +EACCES +6/);
    const ex = await cli("--explain", "--log-level", "0", bad);
    assert.equal(ex.code, 1);
    assert.match(ex.out, /R0 is map_value_or_null\(ks=8,vs=8\); it got that at insn 5: \(85\) call 1/);
    const np = await cli("--no-prune", "--insn-limit", "3", good);
    assert.equal(np.code, 0);
    const missing = await cli("/nonexistent.json");
    assert.equal(missing.code, 2);
    const prof = await cli("--profile", "linux-2.6", good);
    assert.equal(prof.code, 2);
    const help = await cli("--help");
    assert.equal(help.code, 0);
    assert.match(help.out, /Examples:/);
  } finally {
    await Deno.remove(good);
    await Deno.remove(bad);
  }
});
