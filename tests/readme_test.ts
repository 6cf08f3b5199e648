/** The README's verifier example is real output: run the command it shows and compare. */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("README: the verify example shows what the CLI prints", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const m = /\$ bpfscope (verify [^\n]+)\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has a '$ bpfscope verify' example");
  const args = m[1].split(" ");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 1, "the example is a rejection");
  assert.equal(new TextDecoder().decode(out.stdout), m[2]);
});
