/**
 * core/kernlog units: register values of every dialect parsed and printed
 * back, the line classifier, instruction text, paths of a small level-2 log,
 * the state tracker, words for values, and bad input.
 */
import assert from "node:assert/strict";
import {
  classifyLine,
  describeSlot,
  describeValue,
  isKernelMessage,
  isLegacyState,
  LineKind,
  MAX_INSN_INDEX,
  newLineInfo,
  parseLog,
  parseLogInsn,
  parsePrecision,
  parseRegValue,
  parseState,
  printRegValue,
  printState,
  S64_MIN,
  sliceError,
  statesAt,
  StateTracker,
  StepKind,
  summarize,
} from "../core/kernlog/mod.ts";
import { LogFeed, LogStepEngine } from "../tui/log_engine.ts";

Deno.test("kernlog value: 6.5+ values parse into numbers and print back", () => {
  const v = parseRegValue("scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
  assert.equal(v.kind, "scalar");
  assert.equal(v.smin, 0n);
  assert.equal(v.umax, 255n);
  assert.equal(v.s32max, 255);
  assert.deepEqual(v.varOff, { value: 0n, mask: 0xffn });
  for (
    const t of [
      "scalar()",
      "P5",
      "Pscalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=15,var_off=(0x0; 0xf))",
      "0xffffffff",
      "-1",
      "0xffffffffffff63c0",
      "map_value_or_null(id=1,map=vals,ks=4,vs=8)",
      "map_value(map=.data.LAVD,ks=4,vs=1320,off=40,smin=smin32=0,smax=umax=smax32=umax32=1240,var_off=(0x0; 0x7f8))",
      "pkt(off=4,r=0xfffffffffffffffe)",
      "fp-8",
      "fp[1]-16",
      "ctx()",
      "trusted_ptr_task_struct(off=3312)",
      "ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=8)",
      "scalar(id=1+23,smin=0x8000000000000007,smax=0x7ffffffffffffff7,umin=umin32=7,umax=0xfffffffffffffff7,smin32=0x80000007,smax32=0x7ffffff7,umax32=0xfffffff7,var_off=(0x7; 0xfffffffffffffff0))",
      "scalar(smin=0,smax=umax=0xffffffff,smin32=-1,smax32=13,var_off=(0x0; 0xffffffff))",
    ]
  ) {
    assert.equal(printRegValue(parseRegValue(t)), t, t);
  }
  const neg = parseRegValue("0xffffffffffff63c0");
  assert.equal(neg.smin, -40000n);
  assert.equal(parseRegValue("pkt(off=4,r=0xfffffffffffffffe)").range, -2);
  assert.equal(parseRegValue("fp[1]-16").frameno, 1);
  assert.equal(parseRegValue("Pscalar()").precise, true);
});

Deno.test("kernlog value: the 4.x/5.x and 6.0-6.4 dialects print back by their rules", () => {
  for (
    const t of [
      "inv(id=0)",
      "inv0",
      "invP512",
      "inv(id=0,umax_value=255,var_off=(0x0; 0xff))",
      "invP(id=0,umax_value=2,var_off=(0x0; 0x3),s32_max_value=3,u32_max_value=3)",
      "invP(id=4,smin_value=-1,smax_value=14)",
      "ctx(id=0,off=0,imm=0)",
      "map_value(id=0,off=40,ks=4,vs=296,imm=0)",
      "map_value(id=0,off=0,ks=4,vs=262144,umax_value=62,var_off=(0x0; 0x3e))",
      "mem(id=0,ref_obj_id=0,off=0,umax_value=755,var_off=(0x0; 0xffffffff))",
      "ctx(off=0,imm=0)",
      "scalar()",
      "inv4294967295",
    ]
  ) {
    assert.equal(printRegValue(parseRegValue(t)), t, t);
  }
  const old = parseRegValue("inv(id=0,umax_value=255,var_off=(0x0; 0xff))");
  assert.equal(old.dialect, "v4");
  assert.equal(old.smin, 0n, "smin omitted because equal to umin");
  assert.equal(parseRegValue("inv(id=0)").smin, S64_MIN, "an unbounded scalar keeps S64_MIN");
  assert.equal(parseRegValue("ctx(off=0,imm=0)").dialect, "v6.2");
});

Deno.test("kernlog value: the dialect before 4.14 and the suffixes before 4.20", () => {
  // 4.9..4.13: ranges after the value, `inv56` = 56 known zero upper bits, `imm5` a constant, `R10=fp`
  const t =
    " R0=imm1,min_value=1,max_value=1 R1=pkt(id=0,off=0,r=16) R2=pkt_end R3=inv56 R4=inv60,min_value=0,max_value=15" +
    " R10=fp fp-184=imm";
  const st = parseState(t);
  assert.equal(printState(st), t);
  const [r0, r1, , r3, r4] = st.regs.map((r) => r.value);
  assert.deepEqual([r0.dialect, r0.kind, r0.umin, r0.umax], ["v3", "scalar", 1n, 1n]);
  assert.deepEqual([r1.dialect, r1.range, r1.off], ["v3", 16, 0]);
  assert.deepEqual([r3.dialect, r3.umax, r3.smin], ["v3", 255n, 0n], "inv56: 56 zero upper bits");
  assert.equal(describeValue(r3), "scalar in [0, 255]");
  assert.equal(r4.umax, 15n);
  assert.equal(isLegacyState(t), true);
  // without a sign of an old kernel in the state, inv56 is the constant 56 (4.14 and later)
  assert.equal(parseRegValue("inv56").varOff.value, 56n);
  assert.equal(isLegacyState(" R1=inv56 R10=fp0"), false);
  // 4.15..4.19: the call site of a stack pointer
  const fp = parseRegValue("fp-8,call_-1");
  assert.deepEqual([fp.kind, fp.off, fp.legacy?.callsite, fp.dialect], ["stack", -8, -1, "v4"]);
  assert.equal(printRegValue(fp), "fp-8,call_-1");
  assert.throws(() => parseRegValue("inv,bogus=1"), /bad field 'bogus=1'/);
  // 6.0..6.4 print ranges in decimal: a value past 16 bits tells the dialect even without off=/imm=
  const d = parseRegValue("scalar(umax=16777215,var_off=(0x0; 0xffffff))");
  assert.equal(d.dialect, "v6.2");
  assert.equal(printRegValue(d), "scalar(umax=16777215,var_off=(0x0; 0xffffff))");
  assert.deepEqual([d.smin, d.smax], [0n, 16777215n], "smin/smax omitted: equal to umin/umax");
});

Deno.test("kernlog value: states with frames, stack slots, spills, refs", () => {
  for (
    const t of [
      " R1=ctx() R10=fp0",
      " frame1: R1=0 R10=fp0",
      " R0=map_value(map=m,ks=4,vs=8) R10=fp0 fp-8=mmmm???? fp-16=????scalar(id=2) fp-24=0 fp-32=mmmm1",
      " R0_w=inv(id=0) R6_r=invP0 R7_r=fp-32 fp-40_r=ptr_ fp-48=inv refs=4",
      " R0=ringbuf_mem(ref_obj_id=2,sz=8) R10=fp0 refs=2",
      " R6=ctx() R10=fp0 fp-16=mmmmmmmm fp-24=iter_num(ref_id=1,state=active,depth=0)",
    ]
  ) {
    assert.equal(printState(parseState(t)), t, t);
  }
  const st = parseState(" R0=1 R10=fp0 fp-16=????scalar(id=2) fp-24=mmmmmmmm");
  assert.equal(st.stack[0].types, "????");
  assert.equal(st.stack[0].spill?.id, 2);
  assert.equal(st.stack[1].spill, null);
  assert.throws(() => parseState(" R1=ctx( R2"), /missing '\)'|bad/);
  assert.throws(() => parseState(" bogus"), /unknown state entry/);
});

Deno.test("kernlog lines: every form is classified", () => {
  const info = newLineInfo();
  const cases: Array<[string, number]> = [
    ["0: R1=ctx() R10=fp0", LineKind.State],
    ["2: (07) r2 += -8                      ; R2=fp-8", LineKind.Insn],
    ["4: (a5) if r1 < 0xa goto pc-3", LineKind.Insn],
    ["from 41 to 24: R0=1 R10=fp0", LineKind.From],
    ["from 19 to 35: safe", LineKind.FromSafe],
    ["35: safe", LineKind.Safe],
    ["; if (!v) return 2; @ t1.c:15", LineKind.Source],
    [";", LineKind.Source],
    ["func#1 @38", LineKind.Func],
    ["Live regs before insn:", LineKind.LiveHeader],
    ["  1   2: 01........ (0f) r0 += r1", LineKind.LiveRow],
    ["      0: .......... (b7) r0 = 0", LineKind.LiveRow],
    ["caller:", LineKind.Caller],
    [" frame1: R1=0 R10=fp0", LineKind.StateCont],
    ["to caller at 24:", LineKind.ToCaller],
    ["mark_precise: frame0: last_idx 4 first_idx 0 subseq_idx -1 ", LineKind.MarkPrecise],
    ["regs=200 stack=0 before 83: (55) if r0 != 0x0 goto pc+56", LineKind.MarkPrecise],
    ["parent didn't have regs=200 stack=0 marks", LineKind.MarkPrecise],
    ["SCC enter (1)", LineKind.Scc],
    ["(0) frame 0 insn 13 +live -8 ", LineKind.Liveness],
    [
      "processed 33 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0",
      LineKind.Processed,
    ],
    ["verification time 181 usec", LineKind.VerifTime],
    ["stack depth 8+0", LineKind.StackDepth],
    ["R0 invalid mem access 'map_value_or_null'", LineKind.Message],
    ["frame 0: propagating r8,r9", LineKind.MarkPrecise],
    ["At program exit the register R0 has smin=0 smax=3 should have been in [0, 1]", LineKind.Message],
    ["libbpf: prog 'x': -- BEGIN PROG LOAD LOG --", LineKind.Begin],
    ["-- END PROG LOAD LOG --", LineKind.End],
    ["libbpf: map 'vals': created successfully, fd=4", LineKind.Libbpf],
    ["PROCESSING x.o/prog, DURATION US: 12, VERDICT: failure, VERIFIER LOG:", LineKind.Veristat],
    ["Validating parity() func#1...", LineKind.GlobalFunc],
    ["hello world", LineKind.Unknown],
  ];
  for (const [line, kind] of cases) assert.equal(classifyLine(line, info), kind, line);
  // tools and kernels around the log: bcc's lines, libbpf 0.0.x's, padded call-block lines (6.x)
  for (
    const [line, kind] of [
      ["bpf: Permission denied", LineKind.Tool],
      ["HINT: The invalid mem access 'inv' error can happen if you try to dereference memory", LineKind.Tool],
      ["libbpf: -- BEGIN DUMP LOG ---", LineKind.Begin],
      ["libbpf: -- END LOG --", LineKind.End],
      ["libbpf:", LineKind.Libbpf],
      ["returning from callee:                ", LineKind.Returning],
      ["to caller at 31:                      ", LineKind.ToCaller],
      ["  File         Program                  Verdict  Duration (us)  Insns  States  Peak states", LineKind.Tool],
      ["reg type unsupported for arg#0 function is_iter_type#258", LineKind.Message],
    ] as const
  ) assert.equal(classifyLine(line, info), kind, line);
  classifyLine("173: (95) exit ", info);
  assert.equal(parseLogInsn("173: (95) exit ".slice(info.textStart, info.textEnd)).op, "exit");
  // the level-1 quirk: a resumed path's first state glued to the branch line
  assert.equal(
    classifyLine("28: (55) if r8 != 0x0 goto pc+1 30: R0=map_value(map=m0,ks=8,vs=8) R10=fp0", info),
    LineKind.Insn,
  );
  assert.equal(info.glued, 30);
  assert.equal(info.a, 28);
  // a var_off's ';' is not the state separator
  classifyLine(
    "1: (63) *(u32 *)(r10 -4) = r1         ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))",
    info,
  );
  assert.equal(info.textEnd, "1: (63) *(u32 *)(r10 -4) = r1".length);
  assert.ok(isKernelMessage("invalid access to map value, value_size=8 off=8 size=8"));
  assert.ok(!isKernelMessage("the quick brown fox"));
});

Deno.test("kernlog insn: print_bpf_insn text read back", () => {
  const t = (s: string) => parseLogInsn(s);
  assert.deepEqual([t("(bf) r6 = r0").op, t("(bf) r6 = r0").dst, t("(bf) r6 = r0").src], ["mov_reg", 6, 0]);
  assert.equal(t("(bc) w1 = w2").w32, true);
  assert.equal(t("(b7) r0 = 1").op, "mov_imm");
  assert.deepEqual([t("(07) r2 += -8").op, t("(07) r2 += -8").imm], ["alu", -8n]);
  assert.deepEqual([t("(61) r2 = *(u32 *)(r1 +76)").op, t("(61) r2 = *(u32 *)(r1 +76)").off], ["load", 76]);
  assert.deepEqual([t("(7b) *(u64 *)(r10 -8) = r1").op, t("(7b) *(u64 *)(r10 -8) = r1").src], ["store", 1]);
  assert.equal(t("(7a) *(u64 *)(r10 -8) = 0").op, "store_imm");
  assert.equal(t("(db) lock *(u64 *)(r0 +0) += r1").op, "atomic");
  assert.equal(t("(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)").oper, "cmpxchg");
  assert.deepEqual([t("(85) call bpf_map_lookup_elem#1").op, t("(85) call pc+14").op], ["call", "call_sub"]);
  assert.deepEqual([t("(a5) if r1 < 0xa goto pc-3").op, t("(a5) if r1 < 0xa goto pc-3").off], ["cond", -3]);
  assert.equal(t("(18) r1 = 0xffff888100996400").op, "ld_imm64");
  assert.equal(t("(d7) r1 = bswap16 r1").op, "alu");
  assert.equal(t("(bf) r1 = (s8)r2").op, "mov_reg");
  assert.equal(t("(30) r0 = *(u8 *)skb[23]").op, "ld_abs");
  assert.equal(t("(95) exit").op, "exit");
  assert.equal(t("nonsense").op, "other");
});

const LOOP = `func#0 @0
0: R1=ctx() R10=fp0
0: (b7) r0 = 0                        ; R0=0
1: (b7) r1 = 0                        ; R1=0
2: (55) if r2 != 0x0 goto pc+1
R2 !read_ok
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const BRANCHES = `func#0 @0
0: R1=ctx() R10=fp0
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
1: (b7) r0 = 0                        ; R0=0
2: (15) if r2 == 0x1 goto pc+2        ; R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
3: (b7) r0 = 1                        ; R0=1
4: (95) exit

from 2 to 5: R0=0 R1=ctx() R2=1 R10=fp0
5: R0=0 R1=ctx() R2=1 R10=fp0
5: (b7) r0 = 2                        ; R0=2
6: (95) exit
processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
`;

Deno.test("kernlog paths: pushes found from pops, visits, the path of a resumed branch", () => {
  const [log] = parseLog(BRANCHES);
  assert.equal(log.level, 2);
  assert.equal(log.stats.processed, 6);
  const visits = [...log.paths.visits.toArray()];
  assert.deepEqual(visits, [1, 1, 1, 1, 1, 1, 1]);
  // the resume's parent is the visit of insn 2
  let resume = -1, last = -1;
  for (let s = 0; s < log.steps; s++) {
    if (log.stepKind.get(s) === StepKind.Resume) resume = s;
    if (log.stepKind.get(s) === StepKind.Visit) last = s;
  }
  const push = log.paths.pushOf.get(resume);
  assert.equal(log.stepInsn.get(push), 2);
  assert.deepEqual(log.paths.pathSteps(last).map((s) => log.stepInsn.get(s)), [0, 1, 2, 5, 6]);
  assert.deepEqual(log.paths.pendingAt(push), [push]);
  assert.deepEqual(log.paths.pendingAt(resume), []);
  const s = summarize(log);
  assert.equal(s.verdict, "accepted");
  assert.equal(s.resumes, 1);
});

Deno.test("kernlog state: whole and partial states replayed to any line", () => {
  const [log] = parseLog(BRANCHES);
  const t = new StateTracker(log);
  assert.equal(t.at(3).frames[0].regs[2], "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
  assert.equal(t.at(4).frames[0].regs[0], "0");
  assert.equal(t.at(10).frames[0].regs[2], "1", "the resumed branch's state");
  assert.equal(t.at(3).frames[0].regs[0], null, "going back restores the earlier state");
});

Deno.test("kernlog state: a frame number beyond the kernel's 8 frames is not a frame (no huge frame array)", () => {
  // a damaged log once made the tracker push 73 million empty frames (out of memory) for 'frame73198428:'
  const text = [
    "0: R1=ctx() R10=fp0",
    "0: (b7) r0 = 0                       ; R0=0",
    "1: frame100000: R1=1 R10=fp0",
    "1: (b7) r2 = 2                       ; frame100000: R2=2",
    "2: (95) exit",
    "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
  ].join("\n");
  const [log] = parseLog(text);
  const st = new StateTracker(log).at(log.lines.length);
  assert.ok(st.frames.length <= 8, `${st.frames.length} frames`);
  assert.equal(st.cur, 0);
  assert.equal(st.frames[0].regs[0], "0", "the state before the damaged lines is kept");
});

Deno.test("kernlog state: a conditional jump naming a register beyond r10 does not throw", () => {
  // a damaged 'if r8 > r99' made the linked-scalar sync read r99's text (undefined): TypeError in tui --log
  const text = [
    "0: R1=ctx() R10=fp0",
    "0: (85) call bpf_get_prandom_u32#7     ; R0=scalar()",
    "1: (bf) r8 = r0                       ; R0=scalar(id=1) R8=scalar(id=1)",
    "2: (2d) if r8 > r99 goto pc+1         ; R8=scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))",
    "3: (95) exit",
    "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
  ].join("\n");
  const [log] = parseLog(text);
  const st = new StateTracker(log).at(log.lines.length);
  assert.equal(st.frames[0].regs[8], "scalar(id=1,smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))");
});

Deno.test("kernlog error: an instruction index beyond any program in the error message is not the error's insn", () => {
  // a damaged 'infinite loop detected at insn 397698647' made tui --log size its tables by it: out of memory
  const text = [
    "0: R1=ctx() R10=fp0",
    "0: (b7) r0 = 0                        ; R0=0",
    "1: (05) goto pc-2",
    "infinite loop detected at insn 397698647",
    "cur state: R0=0 R1=ctx() R10=fp0",
    "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0",
  ].join("\n");
  const [log] = parseLog(text);
  assert.equal(log.errorInsn, 1, "the last instruction the walk visited");
  for (let s = 0; s < log.steps; s++) assert.ok(log.stepInsn.get(s) <= MAX_INSN_INDEX, `step ${s}`);
});

Deno.test("kernlog summary and slice: an uninitialised register", () => {
  const [log] = parseLog(LOOP);
  const s = summarize(log);
  assert.equal(s.verdict, "rejected");
  assert.equal(s.errorAt?.insn, 2);
  assert.equal(s.slice?.kind, "init");
  assert.equal(s.slice?.origin, -1, "r2 was never written: the entry");
});

Deno.test("kernlog summary: the hottest instructions are those processed more than once", async () => {
  const text = await Deno.readTextFile(new URL("./data/kernlog/samples/iter_num.bpftool-d.txt", import.meta.url));
  const [log] = parseLog(text).filter((l) => l.hasVerifierLines);
  const s = summarize(log, { top: 100 });
  const twice = [...log.paths.visits.toArray()].filter((v) => v > 1).length;
  assert.ok(twice > 0);
  assert.equal(s.hot.length, twice);
  assert.ok(s.hot.every((h, k) => h.visits > 1 && (k === 0 || s.hot[k - 1].visits >= h.visits)));
});

Deno.test("kernlog describe: values in words", () => {
  const d = (t: string) => describeValue(parseRegValue(t));
  assert.equal(
    d("scalar(smin=smin32=0,smax=umax=smax32=umax32=252,var_off=(0x0; 0xfc))"),
    "scalar in [0, 252], multiple of 4",
  );
  assert.equal(d("scalar()"), "any scalar");
  assert.equal(d("P7"), "the constant 7 (precise)");
  assert.equal(d("fp-8"), "pointer to the stack at fp-8");
  assert.equal(d("pkt(off=4,r=14)"), "pointer into the packet at offset 4, 14 bytes checked against the end");
  assert.match(d("map_value_or_null(id=1,map=vals,ks=4,vs=8)"), /value of map 'vals' .* or NULL$/);
  assert.equal(d("pkt_end()"), "the end of the packet (data_end)");
  assert.equal(describeSlot(parseState(" fp-8=mmmm????").stack[0]), "4 bytes of data, 4 bytes never written");
});

Deno.test("kernlog bad input: truncated, other text, binary garbage never throw", () => {
  const cut = BRANCHES.slice(0, BRANCHES.indexOf("5: (b7)") + 10);
  const [log] = parseLog(cut);
  assert.equal(summarize(log).verdict, "incomplete");
  const other = parseLog("hello\nworld\n");
  assert.equal(other[0].hasVerifierLines, false);
  assert.equal(other[0].unknown.length, 2);
  const bin = new TextDecoder().decode(new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff));
  const logs = parseLog(bin);
  assert.ok(logs.length >= 1);
  assert.equal(parseLog("")[0].lines.length, 0);
  // an instruction index no program can have (the kernel loads at most 1,000,000 instructions) is not
  // a log line: it used to make the parser fill tables up to that index and run out of memory
  const huge = parseLog("2000000000: (07) r1 += 1\nfrom 3 to 99999999999: safe\nfunc#0 @123456789012\n1: safe\n")[0];
  assert.deepEqual(huge.unknown, [0, 1, 2]);
  assert.equal(huge.insnCount, 0);
  const edge = parseLog("999999: (07) r1 += 1\n")[0];
  assert.deepEqual([edge.unknown.length, edge.insnCount], [0, MAX_INSN_INDEX + 1]);
  const feed = new LogFeed();
  feed.feed("999999: (07) r1 += 1\n999998: (07) r1 += 1\n");
  feed.end();
  while (!feed.finished) feed.pump(50);
  const e = new LogStepEngine(feed);
  while (!e.done) e.step();
  assert.deepEqual([e.totalCount(999_999), e.totalCount(999_998), e.totalCount(5)], [1, 1, 0]);
});

Deno.test("kernlog precision lines: 6.x and 5.x forms read into their parts", () => {
  assert.deepEqual(parsePrecision("mark_precise: frame0: last_idx 28 first_idx 22 subseq_idx -1 "), {
    kind: "range",
    frame: 0,
    regs: [],
    stack: [],
    insn: 28,
    first: 22,
    subseq: -1,
  });
  const b = parsePrecision("mark_precise: frame1: regs=r1,r7 stack=-8,-24 before 27: (77) r1 >>= 32")!;
  assert.deepEqual([b.kind, b.frame, b.regs, b.stack, b.insn], ["insn", 1, [1, 7], [-8, -24], 27]);
  const p = parsePrecision("mark_precise: frame0: parent state regs=r1 stack=:  R0=1 R1=P2 R10=fp0")!;
  assert.deepEqual([p.kind, p.regs, p.stack], ["parent", [1], []]);
  const o = parsePrecision("regs=200 stack=8000 before 2124: (57) r2 &= 4095")!;
  assert.deepEqual([o.kind, o.frame, o.regs, o.stack, o.insn], ["insn", -1, [9], [-128], 2124]);
  assert.equal(parsePrecision("parent didn't have regs=200 stack=0 marks")?.kind, "parent_lacked");
  assert.equal(parsePrecision("parent already had regs=40 stack=0 marks")?.kind, "parent_had");
  assert.deepEqual(parsePrecision("last_idx 80 first_idx 62")?.first, 62);
  assert.deepEqual(parsePrecision("frame 0: propagating r0,r9,fp-16")?.stack, [-16]);
  assert.equal(parsePrecision("mark_precise: frame0: falling back to forcing all scalars precise")?.kind, "fallback");
  assert.equal(parsePrecision("R0 invalid mem access 'scalar'"), null);
});

Deno.test("kernlog states at an instruction: one per processing, replayed", () => {
  const [log] = parseLog(BRANCHES);
  const at5 = statesAt(log, 5);
  assert.equal(at5.length, 1);
  assert.equal(at5[0].state.frames[0].regs[2], "1", "the resumed branch knows r2 == 1");
  const at2 = statesAt(log, 2);
  assert.equal(at2[0].state.frames[0].regs[0], "0");
});

Deno.test("kernlog paste: a log indented by a tab or spaces reads as the log itself", () => {
  const plain = parseLog(BRANCHES)[0];
  for (const prefix of ["    ", "\t", "  "]) {
    const text = BRANCHES.split("\n").map((l) => (l ? prefix + l : l)).join("\n");
    const [log] = parseLog(text);
    assert.equal(log.unknown.length, 0, JSON.stringify(prefix));
    assert.deepEqual([...log.lines], [...plain.lines]);
    assert.equal(log.stats.processed, 6);
  }
  // one leading space is the kernel's own (a state printed on its own line): nothing is stripped
  const [one] = parseLog(" R0=1 R10=fp0\n" + BRANCHES);
  assert.equal(one.lines.get(0), " R0=1 R10=fp0");
});

Deno.test("kernlog paste: an excerpt that starts inside the live registers table keeps its rows", () => {
  const rows = Array.from({ length: 10 }, (_, i) => `     ${String(i + 5).padStart(2)}: .1........ (b7) r0 = ${i}`);
  const [log] = parseLog(rows.join("\n") + "\n0: R1=ctx() R10=fp0\n");
  assert.equal(log.unknown.length, 0);
  assert.equal(log.insnText[7], "(b7) r0 = 2");
});

Deno.test("kernlog source lines: line 0 (no line from the compiler) gives the instructions after it none", () => {
  const [log] = parseLog(
    "0: R1=ctx() R10=fp0\n; int f(void *ctx) @ f.c:3\n0: (bf) r1 = r10\n;  @ f.c:0\n1: (07) r1 += -8\n" +
      "; return 0; @ f.c:4\n2: (b7) r0 = 0\n3: (95) exit\n",
  );
  assert.deepEqual([0, 1, 2, 3].map((i) => log.sourceFor(i)?.line ?? null), [3, null, 4, 4]);
});

Deno.test("kernlog slice: a packet bounds check in a 4.x level-1 log (no state before the branch) is the origin", async () => {
  // xdp-tutorial#136: r2 = data + 12 checked against data_end, then a byte read at r2: 12 bytes checked, 13 needed
  const text = await Deno.readTextFile(new URL("./data/kernlog/older/xdp-tutorial-136.txt", import.meta.url));
  const [log] = parseLog(text).filter((l) => l.hasVerifierLines);
  const sl = sliceError(log)!;
  assert.deepEqual([sl.kind, sl.loc, sl.origin], ["range", "r2", 5]);
  assert.equal(sl.chain.at(-1)?.role, "narrow");
});

Deno.test("kernlog slice: an origin at the entry of a global function's own walk names the function", async () => {
  const read = (n: string) => Deno.readTextFile(new URL(`./data/btf/${n}.txt`, import.meta.url));
  // poke()'s argument is a scalar by its prototype; its walk (`Validating poke() func#1...`) stores through it
  const inGlobal = sliceError(parseLog(await read("gf_scalar_store"))[0]);
  assert.equal(inGlobal?.origin, -1);
  assert.equal(inGlobal?.entryGlobal, "poke");
  // rejected in the main program's walk, at a call: the origin is an insn of main, no global named
  const inMain = sliceError(parseLog(await read("gf_ptr_for_scalar"))[0]);
  assert.equal(inMain?.origin, 0);
  assert.equal(inMain?.entryGlobal, undefined);
});
