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
    "--clock",
    "cpu",
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
  assert.equal(rec.clock, "cpu");
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
    [[], /^bpfscope: no program files given \(bpfscope bench FILE\.\.\., or --maps for the map benchmarks\)\n$/],
    [["--json", "--runs", "1"], /^bpfscope: no program files given/],
    [["--verifier"], /^bpfscope: --verifier: no program files given\n$/],
    [["--maps", "--verifier"], /^bpfscope: --verifier: no program files given\n$/],
    [["--map-size", "10", "x.json"], /^bpfscope: --map-size: only with --maps\n$/],
    [["--clock", "cycles", "x.json"], /^bpfscope: --clock: expected wall or cpu, got 'cycles'\n$/],
    [["--maps", "--map-size", "0"], /^bpfscope: --map-size: expected an integer from 1 to 10000000, got '0'\n$/],
    [["--verifier-profile", "linux-3.18", "x.json"], /^bpfscope: --verifier-profile: only with --verifier\n$/],
    [
      ["--verifier", "--verifier-profile", "modern", "x.json"],
      /^bpfscope: --verifier-profile: expected one of linux-3.18, linux-3.19, linux-6.18, got 'modern'\n$/,
    ],
    [["--verifier", "/nonexistent/p.json"], /^bpfscope: \/nonexistent\/p.json: no such file\n$/],
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
  assert.match(h.out, /\n {2}bpfscope bench --maps +map ns\/op/);
  assert.match(h.out, /\n {2}bpfscope bench --verifier --engine jit prog.json +and the verifier/);
  assert.match(h.out, /verifier \{verdict, insns_processed, ms,\s+m_insns_per_s\}/);
});

const MAP_OPS = [
  "hash lookupRef (hit)",
  "hash lookupRef (miss)",
  "hash updateRaw (existing)",
  "hash lookup API (copy)",
  "hash lookup API (into)",
  "hash update API",
  "array lookupRef",
  "array updateRaw",
  "array lookup API (copy)",
];

Deno.test("bench --maps: ns/op tables without program files, and one JSON line per size", async () => {
  const t = await cli(...fast, "--maps", "--map-size", "64");
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^maps: 65536 operations per sample, median of 1 samples after 0 warm-up calls\n\n64 elements\n/);
  assert.match(t.out, /\noperation +\| ns\/op\n/);
  for (const op of MAP_OPS) {
    assert.match(t.out, new RegExp(`\\n${op.replace(/[()]/g, "\\$&")} +\\| +[\\d.]+\\n`), op);
  }
  assert.match(t.out, /\nprogram: map_lookup_elem on 64 distinct keys per run \(hash map of 64 elements\)\n/);
  for (const e of ["interp", "jit"]) {
    assert.match(
      t.out,
      new RegExp(`\\n${e} lookup loop +\\| +[\\d.]+\\n${e} baseline loop +\\| +[\\d.]+ \\| +-?[\\d.]+\\n`),
    );
  }
  assert.doesNotMatch(t.out, /1000 elements|100000 elements/);

  const j = await cli(...fast, "--maps", "--map-size", "16", "--json", "--engine", "interp");
  assert.equal(j.code, 0, j.err);
  const lines = j.out.trim().split("\n");
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(rec), ["maps"]);
  assert.deepEqual(Object.keys(rec.maps), ["size", "ops", "program"]);
  assert.equal(rec.maps.size, 16);
  assert.deepEqual(Object.keys(rec.maps.ops), MAP_OPS);
  for (const op of MAP_OPS) assert.ok(rec.maps.ops[op] > 0, op);
  assert.deepEqual(Object.keys(rec.maps.program), ["interp"]);
  const p = rec.maps.program.interp;
  assert.deepEqual(Object.keys(p), ["lookup_loop", "baseline_loop", "helper_call"]);
  assert.ok(p.lookup_loop > 0 && p.baseline_loop > 0);
  assert.equal(p.helper_call, p.lookup_loop - p.baseline_loop);
});

Deno.test("bench --maps after program files: file records first, then the maps line", async () => {
  const tiny = await tmpJson([[0xb7, 0, 0, 0, 5], [0x95, 0, 0, 0, 0]]);
  const j = await cli(...fast, "--json", "--engine", "jit", "--maps", "--map-size", "8", tiny);
  assert.equal(j.code, 0, j.err);
  const [a, b, ...rest] = j.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(a.file, tiny);
  assert.equal(a.r0, "5");
  assert.equal(a.verifier, undefined);
  assert.equal(b.maps.size, 8);
  assert.deepEqual(Object.keys(b.maps.program), ["jit"]);
  assert.deepEqual(rest, []);
});

/** `r1 = *(u64 *)(r1 + 0); r0 = 0`, then `k` blocks `if r1 > i goto +1; r3 = i`, `exit`: accepted, ~k²/2 insns processed. */
function constChain(k: number): number[][] {
  const slots = [[0x79, 1, 1, 0, 0], [0xb7, 0, 0, 0, 0]];
  for (let i = 0; i < k; i++) slots.push([0x25, 1, 0, 1, i], [0xb7, 3, 0, 0, i]);
  slots.push([0x95, 0, 0, 0, 0]);
  return slots;
}

async function verifyJson(file: string, ...args: string[]) {
  const v = await runCli("verify", "--json", ...args, file);
  return JSON.parse(v.out);
}

Deno.test("bench --verifier: an accepted program, insns processed as `verify --json` counts them", async () => {
  const file = await tmpJson(constChain(40));
  const mem = `${DATA}/bench/input256.mem`;
  const j = await cli(...fast, "--json", "--verifier", "--engine", "interp", "--mem", mem, file);
  assert.equal(j.code, 0, j.err);
  const rec = JSON.parse(j.out);
  assert.equal(rec.error, null);
  assert.deepEqual(Object.keys(rec.verifier), ["verdict", "insns_processed", "ms", "m_insns_per_s"]);
  assert.equal(rec.verifier.verdict, "accepted");
  const v = await verifyJson(file);
  assert.equal(v.accepted, true);
  assert.ok(v.stats.processed_insns > 400, String(v.stats.processed_insns));
  assert.equal(rec.verifier.insns_processed, v.stats.processed_insns);
  assert.ok(rec.verifier.ms > 0);
  assert.ok(Math.abs(rec.verifier.m_insns_per_s - rec.verifier.insns_processed / rec.verifier.ms / 1e3) < 1e-9);

  // --verifier-profile linux-3.18: the count of that profile, in the text report
  const v318 = await verifyJson(file, "--profile", "linux-3.18");
  const t = await cli(...fast, "--verifier", "--verifier-profile", "linux-3.18", "--engine", "jit", "--mem", mem, file);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /\n {2}jit +[\d.]+ ns\/insn /);
  assert.match(
    t.out,
    new RegExp(
      `\\n {2}verifier +[\\d.]+ ms/verification {2}${v318.stats.processed_insns} insns processed {2}[\\d.]+ M insns/s {2}\\(median of 1 samples; linux-3\\.18, log off\\)\\n {2}verdict: accepted\\n$`,
    ),
  );
});

Deno.test("bench --verifier-profile picks the verifier profile (linux-3.19 by default)", async () => {
  const sock = `${DATA}/corpus/kdiff_ptr_alu32_319_only_seed10.json`; // a socket filter: 3.18 knows no such type
  const recs = [];
  for (const extra of [[], ["--verifier-profile", "linux-3.19"], ["--verifier-profile", "linux-3.18"]]) {
    const j = await cli(...fast, "--json", "--verifier", "--engine", "interp", ...extra, sock);
    assert.equal(j.code, 0, j.err);
    recs.push(JSON.parse(j.out).verifier);
  }
  const [dflt, v319, v318] = recs;
  assert.equal(dflt.verdict, "accepted");
  assert.equal(dflt.insns_processed, (await verifyJson(sock)).stats.processed_insns);
  assert.deepEqual([v319.verdict, v319.insns_processed], [dflt.verdict, dflt.insns_processed]);
  assert.match(v318.verdict, /^rejected, EINVAL \(program type socket_filter is not known to linux-3\.18/);
  assert.equal(v318.insns_processed, 0);
});

Deno.test("bench --verifier: rejected programs are timed and keep exit status 0", async () => {
  const fib = `${DATA}/bench/fib32.json`;
  const j = await cli(...fast, "--json", "--verifier", "--engine", "jit", "--mem", `${DATA}/bench/input256.mem`, fib);
  assert.equal(j.code, 0, j.err);
  const rec = JSON.parse(j.out);
  assert.equal(rec.insns_executed, 9000007);
  assert.equal(rec.verifier.verdict, "rejected, EINVAL: back-edge from insn 12 to 4");
  assert.equal(rec.verifier.insns_processed, (await verifyJson(fib)).stats.processed_insns);

  const uninit = await tmpJson([[0xbf, 0, 2, 0, 0], [0x95, 0, 0, 0, 0]]); // r0 = r2: R2 !read_ok
  const t = await cli(...fast, "--verifier", "--engine", "interp", uninit);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /\n {2}verifier +[\d.]+ ms\/verification {2}1 insns processed .*linux-3\.19, log off\)\n/);
  assert.match(t.out, /\n {2}verdict: rejected, EACCES: R2 !read_ok\n$/);

  // a program that faults on the engines is still verified; the fault sets exit 1
  const bad = await tmpJson([[0x79, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]]);
  const b = await cli(...fast, "--verifier", bad);
  assert.equal(b.code, 1);
  assert.match(
    b.out,
    /: error: insn 0: invalid read.*\n {2}verifier .*\n {2}verdict: rejected, EACCES: R0 !read_ok\n$/,
  );
});
