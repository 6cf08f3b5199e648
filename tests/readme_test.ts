/** The README's examples are real output: run each command it shows after `$ ` and compare. */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

/** Every `$ bpfscope ...` example of the README: the command's arguments and the output shown under it. */
function examples(readme: string): Array<{ args: string[]; shown: string }> {
  const out: Array<{ args: string[]; shown: string }> = [];
  for (const m of readme.matchAll(/^\$ bpfscope ([^\n]+)\n([\s\S]*?)```/gm)) {
    out.push({ args: m[1].replace(/\s+#.*$/, "").trim().split(/\s+/), shown: m[2] });
  }
  return out;
}

async function bpfscope(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: p.code, out: new TextDecoder().decode(p.stdout), err: new TextDecoder().decode(p.stderr) };
}

Deno.test("README: the verify example shows what the CLI prints", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const m = /\$ bpfscope (verify [^\n]+)\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has a '$ bpfscope verify' example");
  const out = await bpfscope(m[1].split(" "));
  assert.equal(out.code, 1, "the example is a rejection");
  assert.equal(out.out, m[2]);
});

Deno.test("README: every '$ bpfscope' example runs as written and prints what it shows ('...' elides lines)", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const all = examples(readme);
  assert.ok(all.length >= 4, `${all.length} examples`);
  for (const { args, shown } of all) {
    const what = `$ bpfscope ${args.join(" ")}`;
    const r = await bpfscope(args);
    assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code}: ${r.err}`);
    if (!shown.includes("...\n")) {
      assert.equal(r.out, shown, what);
      continue;
    }
    // the parts between '...' lines appear in order
    let at = 0;
    for (const part of shown.split(/^\.\.\.\n/m).filter((p) => p !== "")) {
      const i = r.out.indexOf(part, at);
      assert.ok(i >= 0, `${what}: not in the output, in order:\n${part}`);
      at = i + part.length;
    }
  }
});

Deno.test("README: the library example runs and prints what its comment says", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const m = /## As a library\n\n```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has the library example");
  const want = /console\.log\([^)]*\); \/\/ (.*)$/m.exec(m[1])?.[1];
  assert.ok(want, "the example says what it prints");
  // beside mod.ts, as its import says
  const file = `${ROOT}.readme_example_${crypto.randomUUID().slice(0, 8)}.ts`;
  await Deno.writeTextFile(file, m[1]);
  try {
    const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", file], cwd: ROOT, stdout: "piped" })
      .output();
    assert.equal(out.code, 0);
    assert.equal(new TextDecoder().decode(out.stdout), want + "\n");
  } finally {
    await Deno.remove(file);
  }
});
