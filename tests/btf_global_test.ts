/**
 * Global functions (BTF linkage global) in the linux-6.18 profile: each
 * object of tests/fixtures/btf/gf_*.c was loaded into the running 6.18
 * kernel with `bpftool -d prog load` (tests/btf/record.sh, into
 * tests/data/btf/); the profile's whole log (its `Validating f() func#N...`
 * walks, `Func#N ('f') is global and assumed valid.` lines, argument
 * errors, stats) and verdict must be the kernel's, without a kernel.
 */
import * as assert from "node:assert/strict";
import { parseBtf } from "../core/elf/btf.ts";
import { readElf, sectionBytes } from "../core/elf/elf.ts";
import { parseElf } from "../core/elf/mod.ts";
import {
  BPF_CALL_REL,
  BPF_EXIT_INSN,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  type BtfTypeInfo,
  Program,
} from "../core/isa/mod.ts";
import { Bpf, loadWithMaps } from "../core/bpf.ts";
import { verify } from "../core/verifier/mod.ts";
import { bpftoolCases, type LinfoCase, normaliseLog } from "./btf_linfo.ts";
import { parseLog } from "../core/kernlog/mod.ts";
import { runCli } from "./cli_util.ts";
import { buildFrame, computeLayout, initialUi } from "../tui/model.ts";
import { plainLines } from "../tui/plain.ts";
import { Timeline } from "../tui/timeline.ts";
import { verifierMaker } from "../tui/verifier_engine.ts";
import { generate6 } from "./gen6/gen.ts";
import { globalFuncInfo, withGlobalSubprog } from "./fuzz/targets.ts";
import { specBtf } from "./kernel_diff6/global_gen.ts";
import type { Spec } from "./kernel_diff6/alu_gen.ts";

const OBJS = new URL("./fixtures/btf/", import.meta.url);
const DATA = new URL("./data/btf/", import.meta.url);

/** The kernel's verdict in a bpftool run: null (loaded) or the errno name of libbpf's `BPF program load failed: ...`. */
function kernelVerdict(output: string): string | null {
  const m = /BPF program load failed: (.+)$/m.exec(output);
  if (!m) return null;
  const names: Record<string, string> = {
    "Permission denied": "EACCES",
    "Invalid argument": "EINVAL",
    "Argument list too long": "E2BIG",
    "Operation not supported": "EOPNOTSUPP",
  };
  assert.ok(m[1] in names, m[1]);
  return names[m[1]];
}

function cases(): { c: LinfoCase; verdict: string | null; object: string }[] {
  const out: { c: LinfoCase; verdict: string | null; object: string }[] = [];
  for (
    const e of [...Deno.readDirSync(DATA)].map((d) => d.name).filter((n) => n.startsWith("gf_") && n.endsWith(".txt"))
      .sort()
  ) {
    const object = e.replace(/\.txt$/, ".o");
    const output = Deno.readTextFileSync(new URL(e, DATA));
    const bytes = Deno.readFileSync(new URL(object, OBJS));
    const [c, ...more] = bpftoolCases(bytes, object, "bpftool -d prog load", output);
    assert.equal(more.length, 0, object);
    out.push({ c, verdict: kernelVerdict(output), object });
  }
  return out;
}

Deno.test("btf global: every gf_* object's log, verdict and stats are the kernel's", () => {
  const all = cases();
  assert.ok(all.length >= 20, `${all.length} objects`);
  let accepted = 0, walks = 0;
  for (const { c, verdict, object } of all) {
    assert.ok(c.result, `${object}: ${c.note}`);
    assert.equal(c.ours, c.kernel, `${object}: the profile's log differs from the kernel's`);
    assert.equal(c.result.accepted ? null : c.result.errno, verdict, object);
    if (c.result.accepted) accepted++;
    walks += c.kernel.match(/^Validating \S+ func#\d+\.\.\.$/gm)?.length ?? 0;
    // the stats line is part of the log: processed insns and states as the kernel sums them over the walks
    assert.match(c.kernel, /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+/m);
  }
  assert.ok(accepted >= 8 && all.length - accepted >= 8, `${accepted} accepted of ${all.length}`);
  assert.ok(walks >= 14, `${walks} global function walks`);
});

Deno.test("btf global: socket_filter, sched_cls and xdp objects; two passes for a global calling a global", () => {
  const types = new Set<number>();
  for (const n of ["gf_scalar_args", "gf_ctx_tc", "gf_ctx_xdp"]) {
    const obj = parseElf(Deno.readFileSync(new URL(`${n}.o`, OBJS)), `${n}.o`);
    types.add(obj.programs[0].program.progType);
  }
  assert.deepEqual([...types].sort((a, b) => a - b), [1, 3, 6]);
  const chain = cases().find((x) => x.object === "gf_chain.o")!.c;
  const order = chain.kernel.split("\n").filter((l) => /^(Validating|Func#)/.test(l));
  assert.deepEqual(order, [
    "Func#1 ('outer') is global and assumed valid.",
    "Validating outer() func#1...",
    "Func#2 ('inner') is global and assumed valid.",
    "Func#1 ('outer') is safe for any args that match its prototype",
    "Validating inner() func#2...",
    "Func#2 ('inner') is safe for any args that match its prototype",
  ]);
  assert.equal(chain.ours, chain.kernel);
});

Deno.test("btf global: FUNC_PROTO parameters and DECL_TAG component indexes are parsed", () => {
  const bytes = Deno.readFileSync(new URL("gf_ctx_tag.o", OBJS));
  const f = readElf(bytes, "gf_ctx_tag.o");
  const btf = parseBtf(sectionBytes(f, f.sections.find((s) => s.name === ".BTF")!), "gf_ctx_tag.o");
  const fn = btf.types.find((t) => t?.kind === 12 && t.name === "mark_of")!;
  const proto = btf.types[fn.sizeOrType]!;
  assert.deepEqual(proto.params?.map((p) => p.name), ["ctx", "out"]);
  const tags = btf.types.filter((t) => t?.kind === 17 && t.sizeOrType === fn.id).map((t) => [t!.name, t!.componentIdx]);
  assert.deepEqual(tags, [["arg:ctx", 0], ["arg:nonnull", 1]]);
});

/** main: r1 = 7; call f; exit. f (insn 3): r0 = r1; exit. */
const CALL_ONE = [
  BPF_MOV64_IMM(1, 7),
  BPF_CALL_REL(1),
  BPF_EXIT_INSN(),
  BPF_MOV64_REG(0, 1),
  BPF_EXIT_INSN(),
];

Deno.test("btf global: a level-1 log of an accepted program keeps the last 'is safe' line; without BTF types a global function is not modelled", () => {
  const types = [
    undefined,
    { kind: 1, name: "int", sizeOrType: 4, vlen: 0 }, // 1: int
    { kind: 13, name: "", sizeOrType: 1, vlen: 1, params: [{ name: "x", type: 1 }] }, // 2: int (int)
    { kind: 12, name: "main", sizeOrType: 2, vlen: 1 }, // 3
    { kind: 12, name: "f", sizeOrType: 2, vlen: 1 }, // 4
  ];
  const prog = (withTypes: boolean) =>
    Program.fromInsns(CALL_ONE, {
      progType: 1,
      btf: {
        funcInfo: [globalFuncInfo(0, 3, "main"), globalFuncInfo(3, 4, "f")],
        lineInfo: [],
        types: withTypes ? types : undefined,
      },
    });
  // do_check_common resets a level-1 log after each successful walk; do_check_subprogs then prints the line
  const r = verify(prog(true), { profile: "linux-6.18", logLevel: 1 });
  assert.equal(r.accepted, true, r.log);
  assert.equal(
    r.log,
    "Func#1 ('f') is safe for any args that match its prototype\n" +
      "processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
  );
  const bare = verify(prog(false), { profile: "linux-6.18", logLevel: 1 });
  assert.equal(bare.errno, "EOPNOTSUPP");
  assert.match(bare.note ?? "", /the BTF types of global function f\(\) are not given/);
});

Deno.test("btf global: accepted gf_* programs run in the interpreter without faults", () => {
  let ran = 0;
  for (const { c, object } of cases()) {
    if (!c.result?.accepted) continue;
    let prog = parseElf(Deno.readFileSync(new URL(object, OBJS)), object).programs[0].program;
    // bpfscope has no cgroup_skb test run: the same __sk_buff program runs as sched_cls
    if (prog.progType === 8) prog = prog.clone({ progType: 3 });
    const bpf = new Bpf({ verify: null });
    const fd = loadWithMaps(bpf, prog, []);
    for (const len of [14, 15, 60]) {
      const r = bpf.testRun(fd, { data: new Uint8Array(len).fill(0x08) });
      assert.equal(r.fault, null, `${object}: ${r.fault?.message}`);
      ran++;
    }
  }
  assert.ok(ran >= 30, `${ran} runs`);
});

Deno.test("btf global: verify --json and log replay of a recorded run", async () => {
  const v = await runCli("verify", "--json", "--profile", "linux-6.18", new URL("gf_chain.o", OBJS).pathname);
  assert.equal(v.code, 0, v.err);
  const j = JSON.parse(v.out);
  assert.equal(j.accepted, true);
  assert.equal(j.stats.processed_insns, 17);
  const log = await runCli("log", new URL("gf_bad_body.txt", DATA).pathname);
  assert.match(log.out, /invalid access to memory, mem_size=4 off=8 size=4/);
  // the replay's walk of a global function starts at its first insn, as the engine's does
  const replay = await runCli("tui", "--text", "--log", new URL("gf_chain.txt", DATA).pathname);
  const engine = await runCli("tui", "--text", "--profile", "linux-6.18", new URL("gf_chain.o", OBJS).pathname);
  for (const out of [replay.out, engine.out]) {
    assert.match(out, /resume +9 +0 .* walk of global outer\(\) func#1 {2}R1=scalar\(\) R10=fp0/);
    assert.match(out, /resume +13 +0 .* walk of global inner\(\) func#2 {2}R1=scalar\(\) R10=fp0/);
  }
});

Deno.test("btf global: --explain names the global function whose walk failed as the register's origin", () => {
  const prog = parseElf(Deno.readFileSync(new URL("gf_scalar_store.o", OBJS)), "gf_scalar_store.o").programs[0].program;
  const r = verify(prog, { profile: "linux-6.18", explain: true });
  assert.equal(r.error, "R1 invalid mem access 'scalar'");
  assert.ok(
    r.explain?.text.includes("R1 is scalar() since the entry of global function poke() func#1 (its BTF prototype)"),
    r.explain?.text.join("\n"),
  );
  // without BTF poke() is a static callee, entered from the main walk: R1 comes from the caller's load
  const bare = verify(prog, { profile: "linux-6.18", explain: true, btf: false });
  assert.equal(bare.error, "R1 invalid mem access 'scalar'");
  assert.ok(!bare.explain?.text.some((l) => l.includes("global function")));
});

Deno.test("btf global: the soundness618 fuzzer's global variant of generated subprograms verifies as the static one", () => {
  let globals = 0, accepted = 0, walked = 0;
  for (let seed = 2; globals < 40 && seed < 2000; seed += 2) {
    if (seed % 3 === 0) continue;
    const { prog, bug } = generate6(seed, { progTypes: ["socket_filter", "sched_cls", "xdp"] });
    const g = withGlobalSubprog(prog);
    if (!g || bug) continue;
    globals++;
    const v = verify(g, { profile: "linux-6.18", logLevel: 2 });
    // a global function only a dead path calls is not walked, as in the kernel
    const called = /^Func#1 \('sub'\) is global and assumed valid\.$/m.test(v.log);
    if (v.accepted) assert.equal(/^Validating sub\(\) func#1\.\.\.$/m.test(v.log), called, `seed ${seed}`);
    if (called) walked++;
    assert.equal(v.accepted, verify(prog, { profile: "linux-6.18" }).accepted, `seed ${seed}: ${v.error}`);
    if (v.accepted) accepted++;
  }
  assert.equal(globals, 40);
  assert.ok(accepted >= 20 && walked >= 20, `${accepted} accepted, ${walked} with the global called`);
});

Deno.test("btf global: log levels 1, 2, 4 and 1|4 (libbpf loads, tests/btf/record_levels.py) are the kernel's", () => {
  const recs = Deno.readTextFileSync(new URL("gf_levels.jsonl", DATA)).trim().split("\n").map((l) =>
    JSON.parse(l) as { object: string; level: number; errno: number; log: string }
  );
  assert.ok(recs.length >= 80, `${recs.length} logs`);
  const errnos: Record<number, string> = { 7: "E2BIG", 13: "EACCES", 22: "EINVAL", 95: "EOPNOTSUPP" };
  const progs = new Map<string, Program>();
  let withSafeLine = 0;
  for (const r of recs) {
    let p = progs.get(r.object);
    if (!p) {
      p = parseElf(Deno.readFileSync(new URL(r.object, OBJS)), r.object).programs[0].program;
      progs.set(r.object, p);
    }
    const v = verify(p, { profile: "linux-6.18", logLevel: r.level, logSize: 4 << 20 });
    const name = `${r.object} level ${r.level}`;
    assert.equal(v.accepted ? 0 : v.errno, r.errno ? errnos[r.errno] : 0, name);
    assert.equal(normaliseLog(v.log), normaliseLog(r.log), name);
    // level 1 keeps only what follows the last successful walk's reset: the last global's 'is safe' line
    if (r.errno === 0 && r.level & 1 && !(r.level & 2) && /is safe for any args/.test(r.log)) withSafeLine++;
  }
  assert.ok(withSafeLine >= 20, `${withSafeLine} level-1 logs end with an 'is safe' line`);
});

Deno.test("btf global: prototypes clang refuses to build get btf.c's messages (hand-made BTF)", () => {
  const int = { kind: 1, name: "int", sizeOrType: 4, vlen: 0 };
  const run = (params: { name: string; type: number }[], extra: BtfTypeInfo[]) => {
    const types: (BtfTypeInfo | undefined)[] = [
      undefined,
      int, // 1
      { kind: 13, name: "", sizeOrType: 1, vlen: params.length, params }, // 2
      { kind: 12, name: "main", sizeOrType: 5, vlen: 1 }, // 3
      { kind: 12, name: "f", sizeOrType: 2, vlen: 1 }, // 4
      { kind: 13, name: "", sizeOrType: 1, vlen: 0, params: [] }, // 5
      ...extra, // 6...
    ];
    const p = Program.fromInsns(CALL_ONE, {
      progType: 1,
      btf: { funcInfo: [globalFuncInfo(0, 3, "main"), globalFuncInfo(3, 4, "f")], lineInfo: [], types },
    });
    return verify(p, { profile: "linux-6.18", logLevel: 1 });
  };
  const six = run(Array.from({ length: 6 }, (_, i) => ({ name: `a${i}`, type: 1 })), []);
  assert.equal(six.errno, "EINVAL");
  assert.match(
    six.log,
    /Global function f\(\) with 6 > 5 args\. Buggy compiler\.\nCaller passes invalid args into func#1 \('f'\)\n/,
  );
  const byValue = run([{ name: "s", type: 6 }], [{ kind: 4, name: "two", sizeOrType: 8, vlen: 0 }]);
  assert.match(byValue.log, /Arg#0 type STRUCT in f\(\) is not supported yet\.\nCaller passes invalid args/);
  const fwd = run([{ name: "p", type: 6 }], [{ kind: 2, name: "", sizeOrType: 7, vlen: 0 }, {
    kind: 7,
    name: "opaque",
    sizeOrType: 0,
    vlen: 0,
  }]);
  assert.match(fwd.log, /arg#0 reference type\('FWD opaque'\) size cannot be determined: -22\n/);
  // a scalar passes the call; the walk of f() starts from R1 an unknown scalar
  const ok = run([{ name: "x", type: 1 }], []);
  assert.equal(ok.accepted, true, ok.log);
});

Deno.test("btf global: the kernel_diff6 global sample (kernel answers for generated programs with BTF) walks global functions", async () => {
  const gz = await Deno.readFile(new URL("./data/kernel618/global_200.jsonl.gz", import.meta.url));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const recs = text.trim().split("\n").map((l) => JSON.parse(l) as { spec: Spec; log: string; accepted: boolean });
  assert.equal(recs.length, 200);
  // every spec's BTF reads back as a global sub() and the kernel took it so
  for (const r of recs) assert.equal(specBtf(r.spec)?.funcInfo[1].linkage, 1);
  const walked = recs.filter((r) => /^Validating sub\(\) func#1\.\.\.$/m.test(r.log)).length;
  const calls = recs.filter((r) => /^Func#1 \('sub'\) is global and assumed valid\.$/m.test(r.log)).length;
  assert.ok(walked >= 100 && calls >= walked, `${walked} walks, ${calls} with a call`);
});

Deno.test("btf global: the TUI header names the global function whose own walk a resume starts", () => {
  const prog = parseElf(Deno.readFileSync(new URL("gf_chain.o", OBJS)), "gf_chain.o").programs[0].program;
  const tl = new Timeline(verifierMaker(prog), { profile: "linux-6.18", pruning: true });
  const layout = computeLayout(140, 40, false);
  const headers: string[] = [];
  while (!tl.engine.done) {
    if (tl.step() !== "resume") continue;
    const h = plainLines(buildFrame(tl, initialUi(), layout, "gf_chain.o", false), false)![0];
    headers.push(/step \d+ · (.*?) {2,}/.exec(h)?.[1] ?? h);
  }
  assert.deepEqual(headers, ["RESUMED @8", "WALK of global outer() func#1 @9", "WALK of global inner() func#2 @13"]);
});

Deno.test("btf global: review probes: 6.18.y refuses packet pointers from cgroup_skb and NULL for arg:nonnull; cgroup_skb/egress returns 0-3; .rodata is frozen", () => {
  const all = new Map(cases().map((x) => [x.object, x]));
  const expect: [string, RegExp, string | null][] = [
    [
      "gf_r_cgskb_pkt.o",
      /^function access to the packet is not allowed\nCaller passes invalid args into func#1 \('f'\)$/m,
      "EINVAL",
    ],
    ["gf_r_cgskb_pkt_unchecked.o", /^function access to the packet is not allowed$/m, "EINVAL"],
    ["gf_r_nonnull_null.o", /^arg#0 is expected to be non-NULL$/m, "EINVAL"],
    ["gf_r_ctx_tag_cgskb.o", /should have been in \[0, 3\]$/m, "EINVAL"],
    ["gf_r_cgskb_plain.o", /^processed \d+ insns/m, null],
    // libbpf's .rodata is frozen read-only: a store is refused, a load is a known constant
    ["gf_r_rodata_write.o", /^write into map forbidden, value_size=4 off=0 size=4$/m, "EACCES"],
    ["gf_r_var_stack.o", /R3=1$/m, null],
    ["gf_r_rodata_str.o", /^write into map forbidden, value_size=6 off=0 size=1$/m, "EINVAL"],
  ];
  for (const [object, re, verdict] of expect) {
    const x = all.get(object)!;
    assert.match(x.c.kernel, re, object);
    assert.equal(x.c.ours, x.c.kernel, object);
    assert.equal(x.verdict, verdict, object);
  }
  // a known dead branch keeps its global unwalked (and a global only it calls)
  for (const object of ["gf_r_uncalled_asm.o", "gf_r_called_by_uncalled.o", "gf_r_uncalled.o"]) {
    assert.doesNotMatch(all.get(object)!.c.ours ?? "", /Validating/, object);
  }
});

Deno.test("btf global: bpfscope log reads 6.18.y's packet refusal at a global call as the error, no line left unknown", async () => {
  const r = await runCli("log", "--json", new URL("gf_r_cgskb_pkt.txt", DATA).pathname);
  const j = JSON.parse(r.out) as { error: string; unknown: unknown[]; errorAt: { insn: number } };
  assert.equal(j.error, "function access to the packet is not allowed\nCaller passes invalid args into func#1 ('f')");
  assert.deepEqual(j.unknown, []);
  assert.equal(j.errorAt.insn, 6);
});

Deno.test("btf global: core/kernlog recognises every line of every gf_* recording (an empty state line `7:` after a tail call too)", () => {
  let n = 0;
  for (
    const e of [...Deno.readDirSync(DATA)].map((d) => d.name).filter((x) => x.startsWith("gf_") && x.endsWith(".txt"))
  ) {
    for (const log of parseLog(Deno.readTextFileSync(new URL(e, DATA)))) {
      if (!log.name) continue;
      assert.deepEqual(log.unknown.map((i) => log.lines.get(i)), [], e);
      n++;
    }
  }
  assert.ok(n >= 60, `${n} logs`);
});
