// `bpfscope asm` and `bpfscope disasm` end to end (spawns `deno run -A cli/main.ts ...`).
import assert from "node:assert/strict";

import { ROOT, runCli as cli, stderrOf } from "./cli_util.ts";

const DATA = `${ROOT}tests/data`;

const TMP = Deno.makeTempDirSync({ prefix: "bpfscope_cli_asm_" });

async function tmp(suffix: string, data: string | Uint8Array): Promise<string> {
  const f = await Deno.makeTempFile({ dir: TMP, suffix });
  if (typeof data === "string") await Deno.writeTextFile(f, data);
  else await Deno.writeFile(f, data);
  return f;
}

/** Exit 1, nothing on stdout, exactly one stderr line `bpfscope: ...`, no stack trace. */
function oneLineError(r: { code: number; out: string; err: string }, re: RegExp): void {
  assert.equal(r.code, 1, r.err);
  assert.equal(r.out, "");
  const lines = r.err.split("\n");
  assert.equal(lines.length, 2, r.err);
  assert.equal(lines[1], "");
  assert.match(lines[0], /^bpfscope: /);
  assert.match(lines[0], re);
  assert.ok(!/\bat .*:\d+:\d+/.test(r.err), r.err);
}

Deno.test("cli disasm: llvm (default) and kernel styles", async () => {
  const l = await cli("disasm", `${DATA}/bench/branchy.json`);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^ {3}0: r6 = r1\n {3}1: r9 = 4000\n {3}2: r0 = 0xcbf29ce484222325 ll\n {3}4: /);
  const k = await cli("disasm", "--style", "kernel", `${DATA}/bench/branchy.bin`);
  assert.equal(k.code, 0, k.err);
  assert.match(k.out, /^0: \(bf\) r6 = r1\n1: \(b7\) r9 = 4000\n2: \(18\) r0 = 0x84222325\n4: \(18\) r8 = 0x1b3\n/);
  const bad = await cli("disasm", "--style", "intel", `${DATA}/bench/branchy.json`);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^bpfscope: --style: expected 'llvm' or 'kernel', got 'intel'\n$/);
  const help = await cli("disasm", "--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /Examples:/);
});

Deno.test("cli asm: JSON to stdout, -o by extension, disasm output re-assembles", async () => {
  const src = await tmp(
    ".s",
    ".map counts hash key=8 value=8 max=16\n r1 = map[counts] ll\n if r0 == 0 goto out\n r0 = 1\nout: exit\n",
  );
  const j = await cli("asm", src);
  assert.equal(j.code, 0, j.err);
  const doc = JSON.parse(j.out);
  assert.deepEqual(doc.insns, [[24, 1, 1, 0, 0], [0, 0, 0, 0, 0], [21, 0, 0, 1, 0], [183, 0, 0, 0, 1], [
    149,
    0,
    0,
    0,
    0,
  ]]);
  assert.deepEqual(doc.fixup, [[0, 0]]);
  assert.equal(doc.maps[0].name, "counts");

  const bin = await Deno.makeTempFile({ dir: TMP, suffix: ".bin" });
  const b = await cli("asm", src, "-o", bin);
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out, "");
  assert.equal((await Deno.readFile(bin)).length, 40);

  // disasm -> file.s -> asm -> identical slots
  const d = await cli("disasm", `${DATA}/bench/memory.json`);
  const s = await tmp(".s", d.out);
  const raw = await Deno.makeTempFile({ dir: TMP, suffix: ".raw" });
  assert.equal((await cli("asm", s, "-o", raw)).code, 0);
  assert.deepEqual(await Deno.readFile(raw), await Deno.readFile(`${DATA}/bench/memory.bin`));

  // JSON -> asm file keeps maps and fixups
  const out = await Deno.makeTempFile({ dir: TMP, suffix: ".s" });
  assert.equal((await cli("asm", `${DATA}/vectors/alu/v1_seed1/case_00000.json`, "-o", out)).code, 0);
  const text = await Deno.readTextFile(out);
  assert.match(text, /^\.prog_type socket_filter\n/);
  assert.match(text, /\n\.fixup 46 0\n$/);
});

Deno.test("cli: malformed input exits 1 with one stderr line naming the location", async () => {
  oneLineError(await cli("disasm", await tmp(".bin", new Uint8Array(13))), /\.bin: 13 bytes is not a whole number/);
  oneLineError(await cli("disasm", await tmp(".bin", new Uint8Array(0))), /\.bin: empty file/);
  oneLineError(await cli("disasm", await tmp(".json", "{ nope")), /\.json: invalid JSON: /);
  oneLineError(
    await cli("disasm", await tmp(".json", '{"insns": [[149,0,0,0,0], [7,0,0,40000,0]]}')),
    /\.json: insns\[1\]: off 40000 is out of range \(-32768\.\.32767\)$/,
  );
  oneLineError(await cli("asm", await tmp(".s", "r0 = 1\n  frob r1\n")), /\.s:2:3: unknown instruction 'frob'$/);
  oneLineError(await cli("asm", await tmp(".s", "goto x\nexit\n")), /\.s:1:6: undefined label 'x'$/);
  oneLineError(await cli("asm", await tmp(".s", "x: exit\nx: exit\n")), /\.s:2:1: duplicate label 'x'/);
  oneLineError(await cli("asm", await tmp(".s", "goto -32769\n")), /\.s:1:6: jump offset -32769 is out of range/);
  oneLineError(
    await cli("disasm", await tmp(".o", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))),
    /truncated: ELF header needs 64 bytes, file has 8$/,
  );
  oneLineError(await cli("disasm", "/nonexistent/prog.json"), /^bpfscope: \/nonexistent\/prog\.json: no such file$/);
  const src = await tmp(".s", "exit\n");
  oneLineError(await cli("asm", src, "-o", "/nonexistent/dir/out.json"), /cannot write/);
});

Deno.test("cli: a reader that goes away (--help | true) ends the output quietly, exit 0", async () => {
  // `true` exits before Deno has started, so every write of the help text meets a closed pipe
  const script = `"${Deno.execPath()}" run -A "${ROOT}cli/main.ts" --help | true; echo "rc=\${PIPESTATUS[0]}"`;
  for (const args of [["-c", script], ["-c", script.replace("--help", "disasm tests/data/bench/fib32.json")]]) {
    const p = await new Deno.Command("bash", { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
    assert.equal(stderrOf(p.stderr), "", "nothing on stderr (it said 'internal error: Broken pipe')");
    assert.equal(new TextDecoder().decode(p.stdout).trim(), "rc=0");
  }
});

Deno.test("cli asm: remove temporary files", () => {
  Deno.removeSync(TMP, { recursive: true });
});
