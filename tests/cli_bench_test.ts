// `bpfscope bench` end to end (spawns `deno run -A cli/main.ts bench ...`). Small runs; timings are never asserted.
import assert from "node:assert/strict";
import { TESTS_DIR } from "./vm_util.ts";
import { runCli, tmpJson } from "./cli_util.ts";

const DATA = `${TESTS_DIR}data`;
const cli = (...args: string[]) => runCli("bench", ...args);
const fast = ["--runs", "1", "--warmup", "0"];

Deno.test("bench: both engines on a bench program, text and --json", async () => {
  const t = await cli(...fast, "--mem", `${DATA}/bench/input256.mem`, `${DATA}/bench/fib32.json`);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /fib32\.json: 9000007 insns executed per run, r0 = 0x0000000065733f5e\n/);
  assert.match(t.out, /\n {2}interp +[\d.]+ ns\/insn .*setup/);
  assert.match(t.out, /\n {2}jit +[\d.]+ ns\/insn .*compile [\d.]+ ms \+ first call/);
  assert.match(t.out, /jit is [\d.]+x the interpreter\n$/);
  const j = await cli(
    ...fast,
    "--json",
    "--engine",
    "jit",
    "--mem",
    `${DATA}/bench/input256.mem`,
    `${DATA}/bench/alu_loop.json`,
  );
  assert.equal(j.code, 0, j.err);
  const rec = JSON.parse(j.out);
  assert.equal(rec.insns_executed, 12000006);
  assert.equal(rec.r0, BigInt("0x344fb4ef9db3f63b").toString());
  assert.deepEqual(Object.keys(rec.engines), ["jit"]);
  assert.ok(rec.engines.jit.ns_per_insn > 0 && rec.engines.jit.runs === 1 && rec.engines.jit.batch >= 1);
  assert.equal(rec.speedup, undefined);
  assert.equal(rec.error, null);
});

Deno.test("bench: short programs are batched; several files; faults exit 1", async () => {
  const tiny = await tmpJson([[0xb7, 0, 0, 0, 5], [0x95, 0, 0, 0, 0]]);
  const bad = await tmpJson([[0x79, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]]);
  const j = await cli("--runs", "2", "--warmup", "1", "--json", "--engine", "interp", tiny, bad);
  assert.equal(j.code, 1, j.err);
  const [a, b] = j.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(a.r0, "5");
  assert.equal(a.insns_executed, 2);
  assert.ok(a.engines.interp.batch > 1);
  assert.match(b.error, /^insn 0: invalid read of 8 bytes/);
  assert.deepEqual(b.engines, {});
  const t = await cli(...fast, bad);
  assert.equal(t.code, 1);
  assert.match(t.out, /: error: insn 0: invalid read/);
});

Deno.test("bench: one-line errors for bad usage", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--engine", "v8", "x.json"], /^bpfscope: --engine: unknown engine 'v8' \(available: interp, jit, both\)\n$/],
    [["--runs", "0", "x.json"], /^bpfscope: --runs: expected an integer from 1 to 1000, got '0'\n$/],
    [["--warmup", "x", "x.json"], /^bpfscope: --warmup: expected an integer/],
    [["--profile", "linux-4", "x.json"], /^bpfscope: --profile: expected modern or linux-3.18/],
    [["/nonexistent/p.json"], /^bpfscope: \/nonexistent\/p.json: no such file\n$/],
    [["--mem", "/nonexistent/m", `${DATA}/bench/fib32.json`], /^bpfscope: \/nonexistent\/m: no such file\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, re, args.join(" "));
    assert.equal(r.out, "");
  }
  const h = await cli("--help");
  assert.equal(h.code, 0);
  assert.match(h.out, /Examples:\n {2}bpfscope bench --mem input256.mem alu_loop.json/);
});
