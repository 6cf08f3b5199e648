/**
 * BTF func/line info: `.BTF.ext` parsing and relocation (core/elf/btf_ext.ts),
 * the linux-6.18 profile's load-time checks and `; source @ file:line` lines
 * (core/verifier/linux618/linfo.ts), compared with the kernel's logs inside
 * the recorded bpftool runs (tests/btf_linfo.ts), and `verify --no-btf`.
 */
import * as assert from "node:assert/strict";
import { parseBtf } from "../core/elf/btf.ts";
import { parseBtfExt } from "../core/elf/btf_ext.ts";
import { readElf, sectionBytes } from "../core/elf/elf.ts";
import { parseElf } from "../core/elf/mod.ts";
import { FormatError } from "../core/errors.ts";
import { type FuncInfo, type Insn, type LineInfo, Program } from "../core/isa/mod.ts";
import { verify } from "../core/verifier/mod.ts";
import { bpftoolCases, linfoCases, normaliseLog } from "./btf_linfo.ts";
import { runCli } from "./cli_util.ts";
import { buildFrame, computeLayout, initialUi } from "../tui/model.ts";
import { plainLines } from "../tui/plain.ts";
import { Timeline } from "../tui/timeline.ts";
import { verifierMaker } from "../tui/verifier_engine.ts";

const OBJS = new URL("./fixtures/kernlog/", import.meta.url);
const SOURCE_LINE = /^; .* @ [^ ]+:\d+$/;

/** The runs the profile's log is not the kernel's, and why (checked below). */
const KNOWN: Record<string, RegExp> = {
  // bpfscope's ELF loader refuses kfunc calls
  "bad_iter_leak.v3.o": /relocation to missing symbol 'bpf_iter_num_new'/,
  "iter_num.v3.o": /relocation to missing symbol 'bpf_iter_num_new'/,
  // callbacks load (LD_IMM64 of a function, BPF_PSEUDO_FUNC); the profile does not model bpf_loop's callback walk
  "bpf_loop_cb.o": /helper bpf_loop#181 is not modelled/,
  "bpf_loop_cb.v3.o": /helper bpf_loop#181 is not modelled/,
  // kprobe programs: the profile models socket_filter, sched_cls, sched_act, xdp, cgroup_skb
  "bad_probe_size.o": /program type 2 is not modelled/,
  "bad_probe_size.v3.o": /program type 2 is not modelled/,
  "kprobe_read.o": /program type 2 is not modelled/,
  "kprobe_read.v3.o": /program type 2 is not modelled/,
};

Deno.test("btf: the 6.18 profile's log with line info is the kernel's in every bpftool run it models", async () => {
  const cases = await linfoCases();
  assert.ok(cases.length >= 90, `${cases.length} logs`);
  const differ: string[] = [];
  let identical = 0, withSource = 0;
  for (const c of cases) {
    if (c.ours === c.kernel) {
      identical++;
      if (c.kernel.split("\n").some((l) => SOURCE_LINE.test(l))) withSource++;
      continue;
    }
    differ.push(c.name);
    const why = KNOWN[c.object];
    assert.ok(why, `${c.name}: the profile's log differs from the kernel's`);
    assert.match(c.note ?? "", why, c.name);
  }
  // every object of KNOWN differs in each of its runs, every other run is identical
  for (const c of cases) assert.equal(differ.includes(c.name), c.object in KNOWN, c.name);
  assert.equal(identical, cases.length - differ.length);
  assert.ok(withSource >= 70, `${withSource} identical logs have source lines`);
});

Deno.test("btf: without BTF the profile's log is the kernel's minus its source lines", async () => {
  const withBtf = await linfoCases();
  const without = await linfoCases(false);
  let n = 0;
  for (let i = 0; i < withBtf.length; i++) {
    // a global function is walked on its own with BTF, as a static one without
    if (withBtf[i].ours !== withBtf[i].kernel || /^Validating /m.test(withBtf[i].kernel)) continue;
    const stripped = withBtf[i].kernel.split("\n").filter((l) => !SOURCE_LINE.test(l)).join("\n");
    assert.equal(without[i].ours, stripped, without[i].name);
    n++;
  }
  assert.ok(n >= 70);
});

Deno.test("btf: func_info lands where the kernel's func#N @M lines put the subprograms (libbpf's layout)", async () => {
  let checked = 0;
  for (const c of await linfoCases()) {
    const starts = [...c.kernel.matchAll(/^func#(\d+) @(\d+)$/gm)].map((m) => Number(m[2]));
    if (starts.length === 0 || c.ours === null) continue;
    assert.deepEqual(c.funcStarts, starts, c.name);
    if (starts.length > 1) checked++;
  }
  assert.ok(checked >= 4, `${checked} logs with subprograms`);
});

Deno.test("btf: nested calls are appended depth first, as libbpf does (main, first, deep, second)", () => {
  const bytes = Deno.readFileSync(new URL("./fixtures/btf/nested_calls.o", import.meta.url));
  const output = Deno.readTextFileSync(new URL("./data/btf/nested_calls.txt", import.meta.url));
  const [c, ...more] = bpftoolCases(bytes, "nested_calls.o", "bpftool -d prog load", output);
  assert.equal(more.length, 0);
  assert.deepEqual(c.funcStarts, [0, 9, 13, 16]);
  assert.equal(c.result?.accepted, true);
  assert.equal(c.ours, c.kernel);
  assert.ok(c.kernel.includes("; return x ^ 0x55; @ nested_calls.c:7\n14: (a7) r0 ^= 85"));
});

function extOf(name: string): { bytes: Uint8Array; off: number; size: number; btf: ReturnType<typeof parseBtf> } {
  const bytes = Deno.readFileSync(new URL(name, OBJS));
  const f = readElf(bytes, name);
  const ext = f.sections.find((s) => s.name === ".BTF.ext")!;
  const btf = parseBtf(sectionBytes(f, f.sections.find((s) => s.name === ".BTF")!), name);
  return { bytes, off: ext.offset, size: ext.size, btf };
}

Deno.test("btf: .BTF.ext truncated or corrupted anywhere gives a FormatError naming the section and offset", () => {
  const { bytes, off, size, btf } = extOf("subprogs.o");
  const sec = bytes.slice(off, off + size);
  const good = parseBtfExt(sec, btf, "x.o");
  assert.equal(good.funcRecSize, 8);
  assert.equal(good.lineRecSize, 16);
  let errors = 0;
  const tryParse = (b: Uint8Array) => {
    try {
      parseBtfExt(b, btf, "x.o");
    } catch (e) {
      assert.ok(e instanceof FormatError, String(e));
      assert.match(e.message, /^x\.o: section '\.BTF\.ext' offset \d+: \S/);
      assert.ok(!e.message.includes("\n"));
      errors++;
    }
  };
  for (let n = 0; n < size; n++) tryParse(sec.subarray(0, n));
  for (let o = 0; o + 4 <= size; o += 4) {
    for (const v of [0xffffffff, 0x7fffffff, 3]) {
      const b = sec.slice();
      new DataView(b.buffer).setUint32(o, v, true);
      tryParse(b);
    }
  }
  assert.ok(errors > size, `${errors} errors`);
  assert.throws(() => parseBtfExt(sec.subarray(0, 5), btf, "x.o"), {
    message: "x.o: section '.BTF.ext' offset 0: truncated: header needs 8 bytes, section has 5",
  });
});

Deno.test("btf: a malformed .BTF.ext is ignored as libbpf ignores it; btf: false loads without it", () => {
  const { bytes, off } = extOf("bad_pkt_short.o");
  const bad = bytes.slice();
  new DataView(bad.buffer).setUint16(off, 0x1234, true);
  const obj = parseElf(bad, "bad.o");
  assert.equal(
    obj.btfIgnored,
    "bad.o: section '.BTF.ext' offset 0: bad magic 0x1234 (expected 0xeb9f); loading without BTF func/line info",
  );
  assert.equal(obj.programs[0].program.btf, undefined);
  assert.equal(obj.programs[0].program.origin.btfIgnored, obj.btfIgnored);
  const ok = parseElf(bytes, "ok.o");
  assert.equal(ok.btfIgnored, undefined);
  assert.ok(ok.programs[0].program.btf!.lineInfo.length > 0);
  assert.equal(parseElf(bytes, "ok.o", { btf: false }).programs[0].program.btf, undefined);
  const r = verify(obj.programs[0].program, { profile: "linux-6.18", logLevel: 1 });
  assert.ok(!r.log.split("\n").some((l) => SOURCE_LINE.test(l)));
});

// ---------------------------------------------------------------- load-time checks on crafted records

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
/** 0: r0 = 0; 1: call pc+1 (func#1 at 3); 2: exit; 3: r0 = 1; 4: exit */
const TWO_FUNCS = [I(0xb7), I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7, 0, 0, 0, 1), I(0x95)];

function li(insnOff: number, lineNum = insnOff + 10, line = `line ${lineNum}`, file = "/src/dir/prog.c"): LineInfo {
  return { insnOff, fileNameOff: file.length, lineOff: 100 + lineNum, line, file, lineNum, col: 0 };
}
function fi(insnOff: number, extra: Partial<FuncInfo> = {}): FuncInfo {
  return { insnOff, typeId: 5, isFunc: true, name: `f${insnOff}`, linkage: 0, scalarReturn: true, ...extra };
}
function run(insns: Insn[], funcInfo: FuncInfo[], lineInfo: LineInfo[], logLevel = 1) {
  const p = Program.fromInsns(insns, { progType: 1, btf: { funcInfo, lineInfo } });
  return verify(p, { profile: "linux-6.18", logLevel });
}

Deno.test("btf: check_btf_line, check_btf_func(_early) reject malformed records with the kernel's messages", () => {
  const cases: Array<[FuncInfo[], LineInfo[], string, Insn[]?]> = [
    [[fi(0), fi(3)], [li(0), li(2)], "missing bpf_line_info for 1 funcs starting from func#1"],
    [[], [li(1), li(3)], "missing bpf_line_info for func#0"],
    [[], [li(0), li(0)], "Invalid line_info[1].insn_off:0 (prev_offset:0 prog->len:5)"],
    [[], [li(0), li(9)], "Invalid line_info[1].insn_off:9 (prev_offset:0 prog->len:5)"],
    [[], [{ ...li(0), line: undefined }, li(3)], "Invalid line_info[0].line_off or .file_name_off"],
    [[fi(3)], [], "nonzero insn_off 3 for the first func info record"],
    [[fi(0), fi(0)], [], "same or smaller insn offset (0) than previous func info record (0)"],
    [[fi(0), fi(3, { isFunc: false, typeId: 7 })], [], "invalid type id 7 in func info"],
    [[fi(0)], [], "number of funcs in func_info doesn't match number of subprogs"],
    [[fi(0), fi(2)], [], "func_info BTF section doesn't match subprog layout in BPF program"],
    [[], [li(0), li(1)], "Invalid insn code at line_info[1].insn_off", [I(0x18), I(0), I(0x95)]],
  ];
  for (const [f, l, msg, insns] of cases) {
    for (const level of [0, 1]) {
      const r = run(insns ?? TWO_FUNCS, f, l, level);
      assert.equal(r.accepted, false, msg);
      assert.equal(r.errno, "EINVAL", msg);
      assert.equal(r.error, msg);
    }
  }
  // a tail call in a subprogram: allowed with func_info when the function returns int
  const tail = [I(0xb7), I(0x85, 0, 1, 0, 1), I(0x95), I(0x85, 0, 0, 0, 12), I(0xb7), I(0x95)];
  assert.equal(run(tail, [], []).error, "tail_call is not allowed in subprogs without BTF");
  assert.equal(
    run(tail, [fi(0), fi(3, { scalarReturn: false })], []).error,
    "tail_call is only allowed in functions that return 'int'.",
  );
  assert.notEqual(run(tail, [fi(0), fi(3)], []).errno, "EINVAL");
});

Deno.test("btf: verbose_linfo prints each record once, not again for the same file and line, trimmed, base name", () => {
  const lines = [
    li(0, 5, "\t  int x = 0;"),
    li(1, 5, "int x = 0; /* another column */"),
    li(2, 6, " return x;"),
    li(3, 5, "int x = 0;", "/src/dir/prog.c"),
    li(4, 5, "int x = 0;", "other.h"),
  ];
  // level 2 prints every insn: 0, 1, then the callee 3, 4, then 2
  const r = run(TWO_FUNCS, [fi(0), fi(3)], lines, 2);
  assert.equal(r.accepted, true);
  const src = r.log.split("\n").filter((l) => l.startsWith("; "));
  assert.deepEqual(src, [
    "; int x = 0; @ prog.c:5", // insn 0, trimmed; insn 1 and 3: the same file and line
    "; int x = 0; @ other.h:5", // insn 4
    "; return x; @ prog.c:6", // insn 2
  ]);
  // the line comes right before its instruction
  const log = r.log.split("\n");
  assert.equal(log[log.indexOf("; return x; @ prog.c:6") + 1], "2: (95) exit");
  // level 0: nothing; without BTF: no source lines
  assert.equal(run(TWO_FUNCS, [fi(0), fi(3)], lines, 0).log, "");
  assert.ok(
    !verify(Program.fromInsns(TWO_FUNCS, { progType: 1 }), { profile: "linux-6.18", logLevel: 1 }).log
      .includes("; int"),
  );
  assert.equal(normaliseLog("verification time 12 usec\n"), "verification time N usec\n");
});

Deno.test("btf: the spill-size error prints the failing insn's source line once", () => {
  // *(u32 *)(r10 -8) = r1 (a ctx pointer): invalid size of register spill
  const insns = [I(0x63, 10, 1, -8), I(0xb7), I(0x95)];
  const r = run(insns, [fi(0)], [li(0, 3, "*(int *)p = ctx;")]);
  assert.equal(r.error, "invalid size of register spill");
  assert.equal(r.log.split("\n").filter((l) => l === "; *(int *)p = ctx; @ prog.c:3").length, 1);
});

Deno.test("btf: verify --profile linux-6.18 passes BTF by default, --no-btf does not; a bad .BTF.ext warns", async () => {
  const file = new URL("bad_pkt_short.o", OBJS).pathname;
  const withBtf = await runCli("verify", "--profile", "linux-6.18", file);
  assert.equal(withBtf.code, 1);
  assert.match(
    withBtf.out,
    /^; return ip->protocol == 6 \? XDP_DROP : XDP_PASS; \/\* ERROR \*\/ @ bad_pkt_short\.c:13$/m,
  );
  const without = await runCli("verify", "--profile", "linux-6.18", "--no-btf", file);
  assert.equal(without.code, 1);
  assert.equal(without.out, withBtf.out.split("\n").filter((l) => !SOURCE_LINE.test(l)).join("\n"));
  const bytes = Deno.readFileSync(file);
  const { off } = extOf("bad_pkt_short.o");
  new DataView(bytes.buffer).setUint16(off, 0, true);
  const tmp = await Deno.makeTempFile({ suffix: ".o" });
  try {
    await Deno.writeFile(tmp, bytes);
    const bad = await runCli("verify", "--profile", "linux-6.18", tmp);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, without.out);
    assert.equal(
      bad.err,
      `warning: ${tmp}: section '.BTF.ext' offset 0: bad magic 0x0 (expected 0xeb9f); loading without BTF func/line info\n`,
    );
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("btf: the TUI shows the source line of the current instruction of an ELF program with line info", () => {
  const prog = parseElf(Deno.readFileSync(new URL("bad_pkt_short.o", OBJS)), "bad_pkt_short.o").programs[0].program;
  const tl = new Timeline(verifierMaker(prog), { profile: "linux-6.18", pruning: true });
  const layout = computeLayout(120, 30, false);
  const frame = () => plainLines(buildFrame(tl, initialUi(), layout, "bad_pkt_short.o", false), false)!;
  assert.ok(frame().includes("; (no source line)".padEnd(70)) || frame().some((l) => l.startsWith("; (no source")));
  tl.step();
  const first = frame();
  assert.ok(
    first.some((l) => l.startsWith("; int bad_pkt_short(struct xdp_md *ctx) {  (bad_pkt_short.c:7)")),
    first.join("\n"),
  );
  tl.runToEnd();
  assert.ok(frame().some((l) => l.startsWith("; return ip->protocol == 6 ? XDP_DROP : XDP_PASS;")), frame().join("\n"));
  const e = verifierMaker(prog)({ profile: "linux-6.18", pruning: true });
  assert.equal(e.sourceAt?.(6), "return ip->protocol == 6 ? XDP_DROP : XDP_PASS; /* ERROR */  (bad_pkt_short.c:13)");
  // without line info: no source row
  const bare = verifierMaker(prog.clone({ btf: undefined }))({ profile: "linux-6.18", pruning: true });
  assert.equal(bare.sourceAt, undefined);
});

Deno.test("btf: --explain names the source line of the failing instruction", () => {
  const prog = parseElf(Deno.readFileSync(new URL("bad_pkt_short.o", OBJS)), "bad_pkt_short.o").programs[0].program;
  const r = verify(prog, { profile: "linux-6.18", explain: true });
  const src = "return ip->protocol == 6 ? XDP_DROP : XDP_PASS; /* ERROR */ @ bad_pkt_short.c:13";
  assert.equal(r.explain?.source, src);
  assert.ok(r.explain?.text.includes(`source of insn 6: ${src}`));
  const bare = verify(prog, { profile: "linux-6.18", explain: true, btf: false });
  assert.equal(bare.explain?.source, undefined);
  assert.ok(!bare.explain?.text.some((l) => l.startsWith("source of")));
});

Deno.test("btf: tui walks a global function on its own with BTF, and as a static one with --no-btf", async () => {
  const file = new URL("global_func.o", OBJS).pathname;
  const withBtf = await runCli("tui", "--text", "--profile", "linux-6.18", file);
  assert.equal(withBtf.code, 0, withBtf.err);
  assert.match(withBtf.out, /ACCEPTED/);
  // the second walk starts at parity()'s first insn, from its prototype's argument types
  assert.match(withBtf.out, /resume +8 +0 .* walk of global parity\(\) func#1 {2}R1=scalar\(\) R10=fp0/);
  assert.match(withBtf.out, /processed 23\/1000000 insns/);
  const without = await runCli("tui", "--text", "--profile", "linux-6.18", "--no-btf", file);
  assert.equal(without.code, 0, without.err);
  assert.match(without.out, /ACCEPTED/);
  assert.doesNotMatch(without.out, /walk of global/);
  // a refusal as not modelled shows its note as the verdict's message
  const kprobe = await runCli("tui", "--text", "--profile", "linux-6.18", new URL("kprobe_read.o", OBJS).pathname);
  assert.match(kprobe.out, /REJECTED \(EOPNOTSUPP\): program type 2 is not modelled/);
});
