/**
 * `bpfscope log`: the summary and explanation of a bpftool run, --json, a
 * pipe, and bad input (missing file, empty pipe, binary data, another
 * tool's output, a log cut short) as one line and exit status 2.
 */
import assert from "node:assert/strict";
import { pipeCli, ROOT, runCli } from "./cli_util.ts";

const SAMPLES = `${ROOT}tests/data/kernlog/samples/`;

Deno.test("cli log: a rejected bpftool run explained, exit 1", async () => {
  const r = await runCli("log", `${SAMPLES}bad_null.bpftool.txt`);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^program bad_null, level 1, 7 insns processed/);
  assert.match(r.out, /verdict: rejected, EACCES: R0 invalid mem access 'map_value_or_null'/);
  assert.match(
    r.out,
    /at insn 7: \(79\) r0 = \*\(u64 \*\)\(r0 \+0\)\n {3}source: return \*v; \/\* ERROR \*\/ {2}\(bad_null\.c:17\)/,
  );
  assert.match(r.out, /explain: r0 \(its type\); origin: insn 6/);
  assert.match(
    r.out,
    /origin +6: \(85\) call bpf_map_lookup_elem#1 +r0 is the return value of bpf_map_lookup_elem#1 +\(bad_null\.c:16\)/,
  );
  assert.ok(!r.out.includes("\u001b["), "no colour in a pipe");
});

Deno.test("cli log: a level-2 log read from a pipe: heat, loops, range slice", async () => {
  const text = await Deno.readTextFile(`${SAMPLES}iter_num.bpftool-d.txt`);
  const r = await pipeCli(text, "log", "-");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /verdict: accepted/);
  assert.match(r.out, /hottest instructions/);
  assert.match(r.out, /loops \(back-edges taken\):/);
  const m = await runCli("log", `${SAMPLES}bad_map_oob.bpftool-d.txt`);
  assert.equal(m.code, 1);
  assert.match(m.out, /explain: r0 \(its range\); origin: insn 12/);
  assert.match(m.out, /where r1 before insn 12 came from/);
  assert.match(m.out, /scalar in \[0, 120\], multiple of 8/);
  const p = await runCli("log", `${SAMPLES}bad_pkt_short.bpftool-d.txt`);
  assert.match(p.out, /narrow +5: \(2d\) if r3 > r2 goto pc\+4 +this bounds check gave r1 its packet range/);
});

Deno.test("cli log: --json is one object per log", async () => {
  const r = await runCli("log", "--json", `${SAMPLES}subprogs.bpftool-d.txt`);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(j.verdict, "accepted");
  assert.equal(j.name, "subprogs");
  assert.equal(j.level, 2);
  assert.equal(j.visits, j.stats.processed);
  assert.ok(j.path.some((d: { what: string }) => d.what === "call"), "the path enters a subprogram");
});

Deno.test("cli log: bad input is one line and exit 2", async () => {
  const missing = await runCli("log", `${SAMPLES}nope.txt`);
  assert.equal(missing.code, 2);
  assert.equal(missing.err.trim(), `bpfscope: ${SAMPLES}nope.txt: no such file`);
  const empty = await pipeCli("", "log", "-");
  assert.equal(empty.code, 2);
  assert.equal(empty.err.trim(), "bpfscope: stdin: empty input, no verifier log");
  const bin = await pipeCli(new Uint8Array(3000).map((_, i) => (i * 31 + 7) & 0xff), "log", "-");
  assert.equal(bin.code, 2);
  assert.match(bin.err.trim(), /^bpfscope: stdin: (binary data, not a verifier log|no verifier log found)/);
  assert.equal(bin.err.trim().split("\n").length, 1);
  const other = await pipeCli("Compiling foo v0.1.0\n   Finished dev profile\n", "log", "-");
  assert.equal(other.code, 2);
  assert.equal(other.err.trim(), 'bpfscope: stdin: no verifier log found in 2 lines (line 1: "Compiling foo v0.1.0")');
  const text = await Deno.readTextFile(`${SAMPLES}iter_num.bpftool-d.txt`);
  const cut = text.slice(0, Math.floor(text.length / 2));
  const c = await pipeCli(cut, "log", "-");
  assert.equal(c.code, 2);
  assert.match(c.out, /verdict: incomplete/);
  assert.match(
    c.err,
    /^bpfscope: stdin: log 1 ends at line \d+ without an error or the statistics line \(cut short\?\)\n$/,
  );
  const mixed = await pipeCli(
    "0: (b7) r0 = 0\nnot a log line\n1: (95) exit\nprocessed 2 insns (limit 1000000)\n",
    "log",
    "-",
  );
  assert.equal(mixed.code, 0);
  assert.match(mixed.out, /lines not recognised: 1\n {2}line 2: not a log line/);
});

Deno.test("cli log: veristat -v output, one report per program; tui --log on bad input", async () => {
  const r = await runCli("log", `${SAMPLES}veristat-v.txt`);
  assert.equal(r.code, 1);
  assert.match(r.out, /== log 1 of 2 \(from line 1\)\nprogram bad_null, level 1/);
  assert.match(r.out, /== log 2 of 2 \(from line 19\)\nprogram array_count, level 2/);
  const j = (await runCli("log", "--json", `${SAMPLES}veristat-v.txt`)).out.trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(j.map((x) => [x.name, x.verdict]), [["bad_null", "rejected"], ["array_count", "accepted"]]);
  const empty = await pipeCli("", "tui", "--log", "-");
  assert.equal(empty.code, 2);
  assert.equal(empty.err.trim(), "bpfscope: stdin: empty input, no verifier log");
  const other = await pipeCli("hello\n", "tui", "--log", "-");
  assert.equal(other.code, 2);
  assert.match(other.err.trim(), /^bpfscope: stdin: no verifier log found in 1 line /);
  const missing = await runCli("tui", "--log", `${SAMPLES}nope.log`);
  assert.equal(missing.code, 2);
  assert.equal(missing.err.trim(), `bpfscope: ${SAMPLES}nope.log: no such file`);
});

Deno.test("README: the bpfscope log example shows what the CLI prints", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const m = /\$ bpfscope (log [^\n]+)\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has a '$ bpfscope log' example");
  const r = await runCli(...m[1].split(" ").map((a) => (a.startsWith("tests/") ? ROOT + a : a)));
  assert.equal(r.code, 1);
  assert.equal(r.out, m[2]);
});

Deno.test("tui: --log FILE replays a log, --print-log is the text walk's old --log; --help and the README agree", async () => {
  const help = await runCli("tui", "--help");
  assert.match(help.out, /--log <file> +replay a kernel verifier log/);
  assert.match(help.out, /--print-log +text walk: also print the verifier log/);
  const walk = await runCli("tui", "--text", "--print-log", "-e", "core");
  assert.equal(walk.code, 0, walk.err);
  assert.match(walk.out, /\nlog:\n0: \(/, "the 3.19 walk's verifier log follows the summary");
  const plain = await runCli("tui", "--text", "-e", "core");
  assert.doesNotMatch(plain.out, /\nlog:\n/);
  const replay = await runCli("tui", "--text", "--print-log", "--log", `${SAMPLES}bad_null.bpftool.txt`);
  assert.equal(replay.code, 0, replay.err);
  assert.match(replay.out, /REJECTED \(EACCES\): R0 invalid mem access 'map_value_or_null'/);
  assert.match(replay.out, /\nlog:\n[^]*\n7: \(79\) r0 = \*\(u64 \*\)\(r0 \+0\)\n/);
  // the old boolean use now wants a file
  const old = await runCli("tui", "--text", "--log");
  assert.notEqual(old.code, 0);
  assert.match(old.err, /option '--log <file>' argument missing/);
  const tuiReadme = await Deno.readTextFile(`${ROOT}tui/README.md`);
  assert.match(tuiReadme, /`--print-log` \(text walk\), `--log FILE\|-` \(replay a kernel verifier log/);
});
