// The walk: engine events, full logs, pruning, limits, explain, snapshots.
import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_B,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_JNE,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_ST_MEM,
  BPF_STX_MEM,
  BPF_W,
  type Insn,
} from "../core/isa/mod.ts";
import { BPF_ALU64_IMM, BPF_EMIT_CALL } from "../core/isa/mod.ts";
import { createEngine, EVENT_NAMES, VerifierEvent as EV, verify } from "../core/verifier/mod.ts";
import { ifR0Zero, lookupPrologue, prog } from "./verifier_util.ts";

const R1_ARG = BPF_LDX_MEM(BPF_DW, 1, 1, 0); // r1 = *(u64 *)(r1 +0): ctx read -> inv

function events(p: ReturnType<typeof prog>, o = {}): string[] {
  const e = createEngine(p, o);
  const out: string[] = [];
  for (;;) {
    const ev = e.step();
    out.push(`${EVENT_NAMES[ev]}@${e.pc}`);
    if (e.done) return out;
  }
}

Deno.test("walk: fall-through first, then the pushed branch (seed 1)", () => {
  // r1 = inv; if r1 == 0 goto 4; r0 = 1; goto 5; r0 = 2; exit
  const p = prog([
    R1_ARG,
    BPF_JMP_IMM(BPF_JEQ, 1, 0, 2),
    BPF_MOV64_IMM(0, 1),
    BPF_JMP_A(1),
    BPF_MOV64_IMM(0, 2),
    BPF_EXIT_INSN(),
  ]);
  assert.deepEqual(events(p), [
    "insn@0",
    "branch_pushed@1",
    "insn@2",
    "insn@3",
    "insn@5",
    "branch_resumed@4",
    "state_stored@4",
    "insn@4",
    "insn@5",
    "accepted@5",
  ]);
  const r = verify(p, { logLevel: 1 });
  assert.equal(
    r.log,
    "0: (79) r1 = *(u64 *)(r1 +0)\n1: (15) if r1 == 0x0 goto pc+2\n R1=inv R10=fp\n2: (b7) r0 = 1\n3: (05) goto pc+1\n" +
      "5: (95) exit\n\nfrom 1 to 4: R1=imm0 R10=fp\n4: (b7) r0 = 2\n5: (95) exit\n",
  );
  assert.equal(r.stats.processed_insns, 7);
});

Deno.test("walk: the branch state line prints the fall-through state", () => {
  const r = verify(prog([R1_ARG, BPF_JMP_IMM(BPF_JGT, 1, 0, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), {
    logLevel: 1,
  });
  assert.equal(
    r.log,
    "0: (79) r1 = *(u64 *)(r1 +0)\n1: (25) if r1 > 0x0 goto pc+0\n R1=inv R10=fp\n2: (b7) r0 = 0\n3: (95) exit\n" +
      "\nfrom 1 to 2: safe\n",
  );
  assert.equal(r.accepted, true);
  assert.equal(r.stats.prunes, 1);
});

const SPEC_E = [
  ...lookupPrologue(0),
  ifR0Zero(2),
  BPF_ST_MEM(BPF_DW, 0, 0, 0),
  BPF_EXIT_INSN(),
  BPF_ST_MEM(BPF_DW, 0, 0, 1),
  BPF_EXIT_INSN(),
];

Deno.test("walk: spec (e) worked example, linux-3.18, full log (seed 2)", () => {
  const r = verify(prog(SPEC_E, { fixups: [3] }), { profile: "linux-3.18", logLevel: 1 });
  assert.equal(r.accepted, false);
  assert.equal(r.errno, "EACCES");
  assert.equal(r.error, "R0 invalid mem access 'imm'");
  assert.equal(
    r.log,
    `0: (7a) *(u64 *)(r10 -8) = 0
1: (bf) r2 = r10
2: (07) r2 += -8
3: (18) r1 = 0xd1b5c000
5: (85) call 0
6: (15) if r0 == 0x0 goto pc+2
 R0=map_value(ks=8,vs=8) R10=fp
7: (7a) *(u64 *)(r0 +0) = 0
8: (95) exit

from 6 to 9: R0=imm0 R10=fp
9: (7a) *(u64 *)(r0 +0) = 1
R0 invalid mem access 'imm'
`,
  );
});

Deno.test("walk: misaligned store after the null check", () => {
  const insns = [...lookupPrologue(0), ifR0Zero(1), BPF_ST_MEM(BPF_DW, 0, 4, 0), BPF_EXIT_INSN()];
  const r = verify(prog(insns, { fixups: [3] }), { profile: "linux-3.18", logLevel: 1 });
  assert.equal(r.errno, "EACCES");
  assert.equal(r.error, "misaligned access off 4 size 8");
  assert.ok(r.log.endsWith("7: (7a) *(u64 *)(r0 +4) = 0\nmisaligned access off 4 size 8\n"));
});

/**
 * The pruning commit's example, by hand: three branches choose a stack
 * pointer (&a, &b, &c) that is then used as the lookup key.
 */
function filterProgram(): ReturnType<typeof prog> {
  const insns: Array<Insn | Insn[]> = [
    BPF_ST_MEM(BPF_DW, 10, -8, 0), // 0: a
    BPF_ST_MEM(BPF_DW, 10, -16, 0), // 1: b
    BPF_ST_MEM(BPF_DW, 10, -24, 0), // 2: c
    R1_ARG, // 3: arg
    BPF_JMP_IMM(BPF_JEQ, 1, 1, 4), // 4: if arg == 1 goto 9
    BPF_JMP_IMM(BPF_JEQ, 1, 2, 6), // 5: if arg == 2 goto 12
    BPF_MOV64_REG(2, 10), // 6: ptr = &c
    BPF_ALU64_IMM(BPF_ADD, 2, -24),
    BPF_JMP_A(6), // 8: goto 15
    BPF_MOV64_REG(2, 10), // 9: ptr = &a
    BPF_ALU64_IMM(BPF_ADD, 2, -8),
    BPF_JMP_A(3), // 11: goto 15
    BPF_MOV64_REG(2, 10), // 12: ptr = &b
    BPF_ALU64_IMM(BPF_ADD, 2, -16),
    BPF_JMP_A(0), // 14: goto 15 (marks 15 as a pruning point)
    BPF_LD_MAP_FD(1, 0), // 15
    BPF_EMIT_CALL(0), // 17: lookup(map, ptr)
    ifR0Zero(1), // 18: if r0 == 0 goto 20
    BPF_ST_MEM(BPF_DW, 0, 0, 1), // 19
    BPF_MOV64_IMM(0, 0), // 20
    BPF_EXIT_INSN(), // 21
  ];
  return prog(insns, { fixups: [15] });
}

Deno.test("walk: filter(int arg) from the pruning commit, with and without pruning (seed 3)", () => {
  const on = verify(filterProgram(), { profile: "linux-3.18" });
  const off = verify(filterProgram(), { profile: "linux-3.18", prune: false });
  assert.equal(on.accepted, true);
  assert.equal(off.accepted, true);
  assert.equal(on.stats.processed_insns, 35);
  assert.equal(off.stats.processed_insns, 39);
  assert.equal(on.stats.prunes, 4);
  assert.equal(off.stats.prunes, 0);
  assert.equal(off.stats.total_states, 0);
});

Deno.test("walk: states_equal relaxations", () => {
  // old inv, cur imm5: pruned
  const a = verify(prog([R1_ARG, BPF_JMP_IMM(BPF_JEQ, 1, 5, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]));
  assert.equal(a.stats.prunes, 1);
  // old imm5 (JNE fall-through), cur inv: not pruned
  const b = verify(prog([R1_ARG, BPF_JMP_IMM(BPF_JNE, 1, 5, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]));
  assert.equal(b.stats.prunes, 0);
  assert.equal(b.stats.max_states_per_insn, 2);
  // old NOT_INIT, cur initialised: pruned. The fall-through reaches 6 with r3 unset, the branch sets r3 first.
  const c = verify(
    prog([
      R1_ARG,
      BPF_MOV64_IMM(0, 0),
      BPF_JMP_IMM(BPF_JGT, 1, 0, 1), // 2 -> 4
      BPF_JMP_A(2), // 3 -> 6, marks 4
      BPF_MOV64_IMM(3, 7), // 4
      BPF_JMP_A(0), // 5 -> 6, marks 6
      BPF_EXIT_INSN(), // 6
    ]),
    { logLevel: 1 },
  );
  assert.equal(c.accepted, true);
  assert.equal(c.stats.prunes, 1);
  assert.ok(
    c.log.endsWith("\nfrom 2 to 4: R0=imm0 R1=inv R10=fp\n4: (b7) r3 = 7\n5: (05) goto pc+0\n6: safe\n"),
    c.log,
  );
  // stack: old INVALID byte vs cur MISC is fine; old MISC vs cur INVALID is not
  const d = verify(
    prog([
      R1_ARG,
      BPF_MOV64_IMM(0, 0),
      BPF_JMP_IMM(BPF_JGT, 1, 0, 2), // 2 -> 5
      BPF_ST_MEM(BPF_B, 10, -1, 0), // 3 (fall-through writes the stack)
      BPF_JMP_A(0), // 4 -> 5
      BPF_EXIT_INSN(), // 5
    ]),
  );
  assert.equal(d.stats.prunes, 0, "old MISC, cur INVALID: not equal");
  // old INVALID, cur MISC: fine (the branch path wrote the byte, the stored fall-through did not)
  const e = verify(
    prog([
      R1_ARG,
      BPF_MOV64_IMM(0, 0),
      BPF_JMP_IMM(BPF_JGT, 1, 0, 1), // 2 -> 4
      BPF_JMP_A(2), // 3 -> 6
      BPF_ST_MEM(BPF_B, 10, -1, 0), // 4
      BPF_JMP_A(0), // 5 -> 6
      BPF_EXIT_INSN(), // 6
    ]),
  );
  assert.equal(e.stats.prunes, 1);
});

Deno.test("walk: stale upper half — imm0 from a null check is not imm0 from a mov", () => {
  const stale = verify(
    prog([...lookupPrologue(0), ifR0Zero(2), BPF_MOV64_IMM(0, 0), BPF_JMP_A(0), BPF_EXIT_INSN()], { fixups: [3] }),
    { profile: "linux-3.18", logLevel: 1 },
  );
  assert.equal(stale.accepted, true);
  assert.equal(stale.stats.prunes, 0);
  assert.equal(stale.stats.max_states_per_insn, 2);
  assert.ok(stale.log.endsWith("\nfrom 6 to 9: R0=imm0 R10=fp\n9: (95) exit\n"));
  // the same shape with r0 from a ctx read (payload zero): the branch is pruned
  const clean = verify(
    prog([
      BPF_LDX_MEM(BPF_DW, 0, 1, 0),
      BPF_JMP_IMM(BPF_JEQ, 0, 0, 2),
      BPF_MOV64_IMM(0, 0),
      BPF_JMP_A(0),
      BPF_EXIT_INSN(),
    ]),
    { profile: "linux-3.18", logLevel: 1 },
  );
  assert.equal(clean.stats.prunes, 1);
  assert.ok(clean.log.endsWith("\nfrom 1 to 4: safe\n"));
});

function diamondChain(k: number): ReturnType<typeof prog> {
  const insns: Insn[] = [R1_ARG, BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < k; i++) insns.push(BPF_JMP_IMM(BPF_JGT, 1, i, 0));
  insns.push(BPF_EXIT_INSN());
  return prog(insns);
}

Deno.test("walk: 32768-insn budget: too large without pruning, fine with it", () => {
  const p = diamondChain(20);
  const on = verify(p);
  assert.equal(on.accepted, true);
  assert.equal(on.stats.processed_insns, 2 + 20 + 1 + 20);
  const off = verify(p, { prune: false, logLevel: 1 });
  assert.equal(off.accepted, false);
  assert.equal(off.errno, "E2BIG");
  assert.equal(off.error, "BPF program is too large. Proccessed 32769 insn");
  assert.ok(off.log.endsWith("BPF program is too large. Proccessed 32769 insn\n"));
  assert.equal(off.stats.processed_insns, 32769);
  const lim = verify(p, { insnLimit: 30 });
  assert.equal(lim.errno, "E2BIG");
  assert.equal(lim.error, "BPF program is too large. Proccessed 31 insn");
});

Deno.test("walk: pending-branch limit: BPF program is too complex (EFAULT)", () => {
  const n = 1100;
  const insns: Insn[] = [R1_ARG, BPF_MOV64_IMM(0, 0)];
  for (let i = 0; i < n; i++) insns.push(BPF_JMP_IMM(BPF_JGT, 1, 0, n - 1 - i));
  insns.push(BPF_EXIT_INSN());
  const r = verify(prog(insns), { logLevel: 1 });
  assert.equal(r.errno, "EFAULT");
  assert.equal(r.error, "BPF program is too complex");
  assert.equal(r.stats.peak_stack_depth, 1025);
  assert.ok(r.log.endsWith(" R0=imm0 R1=inv R10=fp\n1026: (25) if r1 > 0x0 goto pc+75\nBPF program is too complex\n"));
  assert.equal(r.stats.processed_insns, 1027);
  // 1024 pending is still fine
  const ok = verify(
    prog([
      R1_ARG,
      BPF_MOV64_IMM(0, 0),
      ...insns.slice(2, 2 + 1024).map((_, i) => BPF_JMP_IMM(BPF_JGT, 1, 0, 1023 - i)),
      BPF_EXIT_INSN(),
    ]),
  );
  assert.equal(ok.accepted, true);
});

Deno.test("walk: explain names the path and the call whose result was never null-checked", () => {
  const p = prog([
    R1_ARG, // 0
    BPF_JMP_IMM(BPF_JEQ, 1, 3, 1), // 1 -> 3
    BPF_MOV64_IMM(0, 0), // 2
    BPF_ST_MEM(BPF_DW, 10, -8, 0), // 3
    BPF_MOV64_REG(2, 10), // 4
    BPF_ALU64_IMM(BPF_ADD, 2, -8), // 5
    BPF_LD_MAP_FD(1, 0), // 6
    BPF_EMIT_CALL(1), // 8
    BPF_STX_MEM(BPF_W, 0, 0, 0), // 9: *(u32 *)(r0 +0) = r0
    BPF_EXIT_INSN(),
  ], { fixups: [6], map: { type: 1, keySize: 8, valueSize: 8 } });
  const r = verify(p, { explain: true });
  assert.equal(r.error, "R0 invalid mem access 'map_value_or_null'");
  assert.ok(r.explain);
  assert.deepEqual(r.explain.path, [{ insn: 1, taken: false }]);
  assert.equal(r.explain.insn, 9);
  assert.equal(r.explain.register, 0);
  assert.equal(r.explain.origin, 8);
  assert.ok(r.explain.text.some((l) => l.includes("insn 8: (85) call 1")), r.explain.text.join("\n"));
  // no explain when accepted or not asked
  assert.equal(verify(p).explain, undefined);
});

Deno.test("engine: accessors, pending entries, matched state, snapshot/restore", () => {
  const e = createEngine(filterProgram(), { profile: "linux-3.18", logLevel: 1 });
  const seen: number[] = [];
  let snap = null;
  let snapAt = -1;
  let pruneState = "";
  while (!e.done) {
    const ev = e.step();
    seen.push(ev);
    if (ev === EV.BRANCH_PUSHED && e.pc === 5) {
      assert.equal(e.pendingDepth, 2);
      assert.deepEqual(e.pendingAt(0), { from: 4, to: 9 });
      assert.deepEqual(e.pendingAt(1), { from: 5, to: 12 });
      assert.equal(e.state().line, " R1=inv R10=fp");
      snap = e.snapshot();
      snapAt = seen.length;
    }
    if (ev === EV.PRUNED && !pruneState) pruneState = e.matchedState()!.line;
  }
  assert.equal(seen.at(-1), EV.ACCEPTED);
  assert.equal(pruneState, " R0=map_value(ks=8,vs=8) R10=fp fp-8=? fp-16=? fp-24=?".replace(/ fp-\d+=\?/g, ""));
  assert.equal(e.isPruningPoint(9), true);
  assert.equal(e.isPruningPoint(15), true);
  assert.equal(e.isPruningPoint(16), false);
  assert.equal(e.isContinuation(16), true);
  assert.equal(e.insnText(15), "(18) r1 = 0xd1b5c000");
  assert.equal(e.insnCount(20), 6);
  const log = e.log;
  // replay from the snapshot gives the same events and log
  e.restore(snap!);
  const again: number[] = [];
  while (!e.done) again.push(e.step());
  assert.deepEqual(again, seen.slice(snapAt));
  assert.equal(e.log, log);
  assert.equal(e.processed, 35);
});

Deno.test("walk: spills — 3.18 per byte, 3.19 per slot, state line and fills", () => {
  const insns = [
    BPF_STX_MEM(BPF_DW, 10, 1, -8), // spill ctx
    BPF_LDX_MEM(BPF_DW, 0, 10, -8), // fill: r0 = ctx
    BPF_LDX_MEM(BPF_DW, 0, 0, 0), // ctx read ok
    BPF_JMP_IMM(BPF_JEQ, 0, 0, 0),
    BPF_EXIT_INSN(),
  ];
  for (const profile of ["linux-3.18", "linux-3.19"]) {
    const r = verify(prog(insns), { profile, logLevel: 1 });
    assert.equal(r.accepted, true, profile);
    assert.ok(r.log.includes("3: (15) if r0 == 0x0 goto pc+0\n R0=inv R1=ctx R10=fp fp-8=ctx\n"), r.log);
  }
  // 3.18: reading a spill's byte 1 reads SPILL_PART; 3.19: SPILL (both: not MISC)
  const part = [BPF_STX_MEM(BPF_DW, 10, 1, -8), BPF_LDX_MEM(BPF_B, 0, 10, -7), BPF_EXIT_INSN()];
  assert.equal(verify(prog(part), { profile: "linux-3.18" }).error, "invalid read from stack off -7+0 size 1");
  assert.equal(verify(prog(part), { profile: "linux-3.19" }).error, "invalid size of register spill");
  // corrupted spill: overwrite part of it with data
  const corrupt = [
    BPF_STX_MEM(BPF_DW, 10, 1, -8),
    BPF_ST_MEM(BPF_W, 10, -4, 0),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    BPF_EXIT_INSN(),
  ];
  assert.equal(verify(prog(corrupt), { profile: "linux-3.18" }).error, "corrupted spill memory");
  assert.equal(verify(prog(corrupt), { profile: "linux-3.19" }).error, "corrupted spill memory");
  // spilling R10 (FRAME_PTR) stores data: it comes back as inv
  const fp = [
    BPF_STX_MEM(BPF_DW, 10, 10, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    BPF_JMP_IMM(BPF_JEQ, 0, 1, 0),
    BPF_EXIT_INSN(),
  ];
  assert.ok(verify(prog(fp), { logLevel: 1 }).log.includes(" R0=inv R1=ctx R10=fp\n"));
});
