// What verify, tui and test-run --verify say on stderr about BTF: the same warning for a malformed .BTF.ext, the
// same note when --no-btf cannot apply (exit status unchanged). Spawns `deno run -A cli/main.ts`.
import assert from "node:assert/strict";
import { malformedBtfExtObject, ROOT, runCli } from "./cli_util.ts";
import { hasTmux, inTmux, tmux, waitFor } from "./tmux_util.ts";

const fx = (p: string) => new URL(`./fixtures/${p}`, import.meta.url).pathname;
const ASM = new URL("./data/examples/lookup_null_write.s", import.meta.url).pathname;
const NO_BTF_OBJ = fx("counter.o"); // built without -g
const BTF_OBJ = fx("kernlog/global_func.o"); // built with -g
const PKT = "00".repeat(32);

Deno.test("--no-btf where it cannot apply: a one-line note on stderr, exit status unchanged", async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [["verify", "--no-btf", ASM], 1, /^note: --no-btf has no effect with the linux-3\.19 profile .*\n$/],
    [["verify", "--profile", "linux-3.18", "--no-btf", "--json", ASM], 1, /linux-3\.18 profile/],
    [["verify", "--profile", "linux-6.18", "--no-btf", ASM], 1, /^note: .*lookup_null_write\.s: not an ELF object/],
    [["verify", "--profile", "linux-6.18", "--no-btf", NO_BTF_OBJ], 0, /counter\.o: the object has no BTF/],
    [["tui", "--text", "--no-btf", ASM], 0, /linux-3\.19 profile .*P switches/],
    [["tui", "--text", "--profile", "linux-6.18", "--no-btf", ASM], 0, /not an ELF object/],
    [["tui", "--text", "--profile", "linux-6.18", "--no-btf", NO_BTF_OBJ], 0, /the object has no BTF/],
    [["tui", "--text", "--no-btf"], 0, /built-in examples/],
    [["test-run", "--verify", "--no-btf", "--data", PKT, NO_BTF_OBJ], 0, /the object has no BTF/],
    [["test-run", "--no-btf", "--data", PKT, NO_BTF_OBJ], 0, /without --verify/],
  ];
  await Promise.all(cases.map(async ([args, code, err]) => {
    const r = await runCli(...args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, err, args.join(" "));
    assert.equal(r.err.split("\n").filter((l) => l.startsWith("note: ")).length, 1, `${args.join(" ")}: ${r.err}`);
  }));
  // several files: the profile's note once
  const many = await runCli("verify", "--no-btf", ASM, ASM);
  assert.equal(many.err.match(/^note: /gm)?.length, 1, many.err);
  // --json: stdout stays JSON
  const j = await runCli("verify", "--no-btf", "--json", ASM);
  assert.equal(JSON.parse(j.out).accepted, false);
});

Deno.test("--no-btf where it applies, and BTF by default: no note", async () => {
  const cases = [
    ["verify", "--profile", "linux-6.18", "--no-btf", BTF_OBJ],
    ["verify", "--profile", "linux-6.18", BTF_OBJ],
    ["tui", "--text", "--profile", "linux-6.18", "--no-btf", BTF_OBJ],
    ["test-run", "--verify", "--no-btf", "--data", PKT, BTF_OBJ],
  ];
  await Promise.all(cases.map(async (args) => {
    const r = await runCli(...args);
    assert.doesNotMatch(r.err, /note: |warning: /, `${args.join(" ")}: ${r.err}`);
  }));
});

Deno.test("a malformed .BTF.ext: verify, tui and test-run --verify print the same warning", async () => {
  const tmp = await malformedBtfExtObject();
  try {
    const warning = /^warning: .*section '\.BTF\.ext' offset 0: bad magic 0x0 .*loading without BTF func\/line info$/m;
    const v = await runCli("verify", "--profile", "linux-6.18", tmp);
    assert.match(v.err, warning);
    const line = v.err.match(warning)![0];
    for (
      const args of [
        ["tui", "--text", "--profile", "linux-6.18", tmp],
        ["tui", "--text", tmp], // the profile can be switched to linux-6.18 in the UI
        ["test-run", "--verify", "--data", PKT, tmp],
      ]
    ) {
      const r = await runCli(...args);
      assert.equal(r.err.split("\n").filter((l) => l === line).length, 1, `${args.join(" ")}: ${r.err}`);
    }
    // with --no-btf the BTF is left out anyway: no warning, no note
    const n = await runCli("tui", "--text", "--profile", "linux-6.18", "--no-btf", tmp);
    assert.doesNotMatch(n.err, /warning: |note: /);
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test({
  name: "tui on a terminal: the malformed .BTF.ext warning is on the UI's status line, and on the screen after q",
  ignore: !hasTmux,
  fn: async () => {
    const tmp = await malformedBtfExtObject();
    try {
      await inTmux(ROOT, "bpfscope_btf_note", `deno run -A cli/main.ts tui --profile linux-6.18 ${tmp}`, async (s) => {
        await waitFor(s, [/─ instructions /, /^warning: .*\.BTF\.ext' offset 0: bad magic 0x0/m]);
        tmux("send-keys", "-t", s, "q");
        await waitFor(s, [/EXIT=0/, /^warning: .*\.BTF\.ext' offset 0: bad magic 0x0/m]);
      });
    } finally {
      await Deno.remove(tmp);
    }
  },
});
