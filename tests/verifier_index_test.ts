// The explored-state index (core/verifier/explored.ts) against the kernel's list walk: on the verifier fuzz
// targets' generated and mutated programs and on random branch chains that store many states per insn, the walk
// with every lookup through the index and the walk without the index give the same events, the same matched state
// at every prune, the same log, verdict and stats; snapshots restored mid-walk rebuild the index.
import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP_IMM,
  BPF_JNE,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_ST_MEM,
  BPF_STX_MEM,
  BPF_W,
  type Insn,
  Program,
} from "../core/isa/mod.ts";
import { createEngine, VerifierEvent as EV, type VerifyOptions } from "../core/verifier/mod.ts";
import { generateProgram, type GenProfile } from "./fuzz/gen.ts";
import { Rng } from "./fuzz/rng.ts";
import { mutateProgram } from "./fuzz/targets.ts";
import { constChain, distinctChain, spillChain } from "./bench/verifier_bench.ts";

/** Everything an observer sees of a walk: each step's event and pc (and the matched state at a prune), the result. */
function walk(p: Program, opts: VerifyOptions): { trace: string; result: string } {
  const e = createEngine(p, { ...opts, logLevel: 1 });
  const trace: string[] = [];
  for (let steps = 0; steps < 200_000; steps++) {
    const ev = e.step();
    trace.push(ev === EV.PRUNED ? `${ev}@${e.pc}=${e.matchedIndex}` : `${ev}@${e.pc}`);
    if (ev === EV.ACCEPTED || ev === EV.ERROR) break;
  }
  const result = JSON.stringify({
    accepted: e.accepted,
    errno: e.errno,
    error: e.errorMessage,
    log: e.log,
    processed: e.processed,
    stored: e.storedStates,
    perInsn: e.maxStatesPerInsn,
    prunes: e.prunes,
    depth: e.peakPendingDepth,
  });
  return { trace: trace.join(" "), result };
}

/**
 * A random chain of `k` blocks that stores many states per insn: each block
 * is a conditional jump over a few random instructions (stack stores,
 * spills, constants, additions), so the paths differ in stack slots,
 * spilled registers and register constants.
 */
export function randomChain(r: Rng, k: number): Program {
  const insns: Insn[] = [
    BPF_LDX_MEM(BPF_DW, 1, 1, 0),
    BPF_MOV64_IMM(0, 0),
    BPF_MOV64_IMM(2, 0),
    BPF_ST_MEM(BPF_DW, 10, -8, 0),
  ];
  const slot = () => -8 * r.range(1, r.chance(0.7) ? 6 : 64);
  for (let i = 0; i < k; i++) {
    const body: Insn[] = [];
    for (let n = r.range(1, 3); n > 0; n--) {
      switch (r.int(6)) {
        case 0:
          body.push(BPF_ST_MEM(r.chance(0.8) ? BPF_DW : BPF_W, 10, slot(), r.int(3)));
          break;
        case 1:
          body.push(BPF_STX_MEM(BPF_DW, 10, r.pick([0, 1, 2, 10]), slot()));
          break;
        case 2:
          body.push(BPF_MOV64_IMM(r.range(2, 4), r.int(4)));
          break;
        case 3:
          body.push(BPF_MOV64_REG(r.range(2, 4), r.pick([1, 10])));
          break;
        case 4:
          body.push(BPF_ALU64_IMM(BPF_ADD, 0, 1));
          break;
        default:
          body.push(BPF_LDX_MEM(BPF_DW, r.range(3, 4), 10, r.chance(0.9) ? -8 : slot())); // may read an unwritten slot
      }
    }
    insns.push(BPF_JMP_IMM(r.pick([BPF_JGT, BPF_JEQ, BPF_JNE]), 1, r.int(8), body.length), ...body);
  }
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns);
}

function assertSame(p: Program, opts: VerifyOptions, what: string): void {
  const plain = walk(p, { ...opts, exploredIndex: false });
  const indexed = walk(p, { ...opts, exploredIndex: 0 });
  assert.equal(indexed.result, plain.result, `${what}: result`);
  assert.equal(indexed.trace, plain.trace, `${what}: events`);
  // the default threshold (lists over 16 states) too
  assert.equal(walk(p, opts).result, plain.result, `${what}: result with the default index`);
}

Deno.test("explored-state index: generated and mutated fuzz programs walk as with the list", () => {
  for (let seed = 1; seed <= 150; seed++) {
    const r = new Rng(seed * 7919);
    const profile: GenProfile = r.chance(0.5) ? "linux-3.18" : "linux-3.19";
    const g = generateProgram(r, { profile, size: r.range(10, 160) }).prog;
    assertSame(g, { profile }, `generated seed ${seed}`);
    assertSame(mutateProgram(r, g), { profile }, `mutated seed ${seed}`);
  }
});

Deno.test("explored-state index: random branch chains with many states per insn walk as with the list", () => {
  let prunes = 0, big = 0;
  for (let seed = 1; seed <= 120; seed++) {
    const r = new Rng(seed);
    const p = randomChain(r, r.range(4, 16));
    const profile = seed % 2 ? "linux-3.18" : "linux-3.19";
    assertSame(p, { profile }, `chain seed ${seed}`);
    const e = createEngine(p, { profile });
    e.run();
    prunes += e.prunes;
    if (e.maxStatesPerInsn > 16) big++;
  }
  // the chains do what they are for: prunes happen, and some lists outgrow the default threshold
  assert.ok(prunes > 1000, `prunes ${prunes}`);
  assert.ok(big > 10, `programs with more than 16 states at an insn: ${big}`);
});

Deno.test("explored-state index: the bench chains walk as with the list", () => {
  for (const p of [distinctChain(10), constChain(60), spillChain(40)]) {
    for (const profile of ["linux-3.18", "linux-3.19"]) assertSame(p, { profile }, `bench chain ${p.len}`);
  }
});

Deno.test("explored-state index: a walk restored to earlier snapshots goes on as the first walk", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const p = randomChain(new Rng(1000 + seed), 12);
    const full = walk(p, { exploredIndex: 0 });
    const e = createEngine(p, { exploredIndex: 0, logLevel: 1 });
    const snaps: Array<{ at: number; snap: ReturnType<typeof e.snapshot> }> = [];
    const trace: string[] = [];
    const record = (ev: number) => trace.push(ev === EV.PRUNED ? `${ev}@${e.pc}=${e.matchedIndex}` : `${ev}@${e.pc}`);
    let ev = EV.NONE;
    while (ev !== EV.ACCEPTED && ev !== EV.ERROR) {
      if (trace.length % 97 === 0) snaps.push({ at: trace.length, snap: e.snapshot() });
      record(ev = e.step());
    }
    assert.equal(trace.join(" "), full.trace, `seed ${seed}: first walk`);
    // back to each snapshot (latest first, then the earliest again), walking on to the end each time
    for (const s of [...snaps.reverse(), snaps[snaps.length - 1]]) {
      e.restore(s.snap);
      trace.length = s.at;
      ev = EV.NONE;
      while (ev !== EV.ACCEPTED && ev !== EV.ERROR) record(ev = e.step());
      assert.equal(trace.join(" "), full.trace, `seed ${seed}: restored to step ${s.at}`);
    }
  }
});
