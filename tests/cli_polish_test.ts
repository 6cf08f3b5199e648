// Findings of a user's pass over the CLI (spawns `deno run -A cli/main.ts`): each test fails without its fix.
import assert from "node:assert/strict";
import { runCli, tmpJson } from "./cli_util.ts";

Deno.test("a program file that is missing or cannot be decoded exits 2 (bad input) in every command that runs one", async () => {
  const garbled = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(garbled, '{"insns": [[183, 0');
    for (const cmd of [["run"], ["tui", "--text"], ["tui", "--text", "--run"], ["verify"], ["bench"], ["test-run"]]) {
      for (const file of ["/nonexistent.json", garbled]) {
        const r = await runCli(...cmd, file);
        assert.equal(r.code, 2, `${cmd.join(" ")} ${file}: ${r.err}`);
        assert.match(r.err, /^bpfscope: .*(no such file|invalid JSON).*\n$/, `${cmd.join(" ")} ${file}`);
        assert.equal(r.out, "");
      }
    }
    // a fault in run is still 1
    const f = await runCli("run", await tmpJson({ insns: [[121, 0, 10, 0, 0], [149, 0, 0, 0, 0]] }));
    assert.equal(f.code, 1, f.err);
  } finally {
    await Deno.remove(garbled);
  }
});
