// `bpfscope verify` end to end (spawns `deno run -A cli/main.ts verify ...`).
import assert from "node:assert/strict";
import { pipeCli, ROOT, runCli, tmpJson } from "./cli_util.ts";

const cli = (...args: string[]) => runCli("verify", ...args);

/** A hash-map lookup whose result is written through without a NULL check. */
const LOOKUP_WRITE = [
  [122, 10, 0, -8, 0],
  [191, 2, 10, 0, 0],
  [7, 2, 0, 0, -8],
  [24, 1, 1, 0, 0],
  [0, 0, 0, 0, 0],
  [133, 0, 0, 0, 1],
  [122, 0, 0, 0, 1],
  [183, 0, 0, 0, 0],
  [149, 0, 0, 0, 0],
];

Deno.test("cli verify: text, --json, table, exit codes, --explain, bad input", async () => {
  const good = await tmpJson({ insns: [[0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]] });
  const bad = await tmpJson({
    insns: LOOKUP_WRITE,
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

Deno.test("cli verify --profile linux-6.18: the 6.18 log, stats, --json, load errors with an empty log", async () => {
  const maps = [{ type: "hash", key_size: 8, value_size: 8, max_entries: 16 }];
  const bad = await tmpJson({ insns: LOOKUP_WRITE, prog_type: "socket_filter", maps, fixup: [[3, 0]] });
  const unspec = await tmpJson({ insns: [[0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]] });
  try {
    const t = await cli("--profile", "linux-6.18", bad);
    assert.equal(t.code, 1, t.err);
    assert.equal(
      t.out,
      [
        "0: R1=ctx() R10=fp0",
        "0: (7a) *(u64 *)(r10 -8) = 0          ; R10=fp0 fp-8=0",
        "1: (bf) r2 = r10                      ; R2=fp0 R10=fp0",
        "2: (07) r2 += -8                      ; R2=fp-8",
        "3: (18) r1 = 0xffff888100000000       ; R1=map_ptr(map=map0,ks=8,vs=8)",
        "5: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=map0,ks=8,vs=8)",
        "6: (7a) *(u64 *)(r0 +0) = 1",
        "R0 invalid mem access 'map_value_or_null'",
        "processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
        "verdict: rejected, EACCES: R0 invalid mem access 'map_value_or_null'",
        "",
      ].join("\n"),
    );
    const j = await cli("--profile", "linux-6.18", "--log-level", "6", "--json", bad);
    assert.equal(j.code, 1);
    const rec = JSON.parse(j.out);
    assert.equal(rec.errno, "EACCES");
    assert.match(rec.log, /^func#0 @0\nLive regs before insn:\n/);
    assert.match(rec.log, /\nverification time \d+ usec\nstack depth 8\nprocessed 6 insns/);
    assert.equal(rec.stats.processed_insns, 6);
    // BPF_PROG_TYPE_UNSPEC fails in bpf_prog_load: EINVAL, nothing in the log
    const u = await cli("--profile", "linux-6.18", unspec);
    assert.equal(u.code, 1);
    assert.equal(
      u.out,
      "verdict: rejected, EINVAL (program type 0 is not a Linux 6.18 program type (bpf_prog_load: EINVAL); " +
        'the program names no type: give one with --prog-type, .prog_type or "prog_type")\n',
    );
    const ok = await cli("--profile", "linux-6.18", "--prog-type", "xdp", unspec);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /verdict: accepted \(2 insns processed\)\n$/);
  } finally {
    await Deno.remove(bad);
    await Deno.remove(unspec);
  }
});

Deno.test("cli verify --section: one program of a multi-program ELF object; a missing section is bad input", async () => {
  const obj = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
  // without --section every program is verified (tests/verify_multi_test.ts)
  const none = await cli("--profile", "linux-6.18", obj);
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /: xdp\/ipv4 \(ipv4\):\n[^]*: xdp \(firewall\):\n/);
  const one = await cli("--profile", "linux-6.18", "--section", "xdp/ipv4", obj);
  assert.equal(one.code, 0, one.err);
  assert.match(one.out, /^processed 100 insns \(limit 1000000\) .*\nverdict: accepted \(100 insns processed\)\n$/);
  const bad = await cli("--profile", "linux-6.18", "--section", "nope", obj);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /no program in section 'nope' \(programs: xdp\/ipv4, xdp\)/);
  assert.doesNotMatch(bad.err, /\n\s+at /);
});

Deno.test("cli verify - / disasm -: a program from a pipe (format by content), as from its file; bad pipes are one line", async () => {
  const files = [`${ROOT}tests/data/examples/lookup_null_write.s`, `${ROOT}tests/fixtures/kernlog/bad_null.o`];
  for (const f of files) {
    const bytes = Deno.readFileSync(f);
    for (const args of [["verify", "--profile", "linux-6.18"], ["verify", "--json"], ["disasm"]]) {
      const viaFile = await runCli(...args, f);
      const viaPipe = await pipeCli(bytes, ...args, "-");
      assert.equal(viaPipe.code, viaFile.code, `${args.join(" ")} ${f}: ${viaPipe.err}`);
      const norm = (t: string) => t.replace(/"duration_us":\d+/g, "").replace(JSON.stringify(f), '"-"');
      assert.equal(norm(viaPipe.out), norm(viaFile.out));
    }
  }
  const empty = await pipeCli("", "verify", "-");
  assert.equal(empty.code, 2);
  assert.equal(empty.err, "bpfscope: stdin: empty input, no program\n");
  const garbage = await pipeCli(new Uint8Array([1, 2, 3, 0xff, 0xfe]), "verify", "-");
  assert.equal(garbage.code, 2);
  assert.match(garbage.err, /^bpfscope: stdin: [^\n]+\n$/);
});
