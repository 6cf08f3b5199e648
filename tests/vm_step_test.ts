// The stepping API (Interpreter.start → VmSession): stepping one instruction
// at a time, in chunks, or to breakpoints gives exactly what run() gives.
import assert from "node:assert/strict";
import { Interpreter, type RunInput, type RunOptions, type RunResult, type VmSession } from "../core/vm/mod.ts";
import { type ArrayMap, createMap } from "../core/maps/mod.ts";
import type { Program } from "../core/isa/mod.ts";
import { benchInput, benchPrograms, progFromSlots, TESTS_DIR } from "./vm_util.ts";

const CLOCK = () => 1234567n;

/** The bench programs with their loop counts made small. */
function smallBench(): Array<{ name: string; prog: Program }> {
  return benchPrograms().map((b) => {
    const slots = JSON.parse(Deno.readTextFileSync(`${TESTS_DIR}data/bench/${b.name}.json`)) as number[][];
    const small = slots.map((s) => {
      const [code, , , , imm] = s;
      const isMov = code === 0xb7 || code === 0xb4;
      return isMov && imm >= 1000 ? [s[0], s[1], s[2], s[3], 7 + (imm % 13)] : s;
    });
    return { name: b.name, prog: progFromSlots(small) };
  });
}

function same(a: RunResult, b: RunResult, what: string): void {
  assert.equal(b.r0, a.r0, `${what}: r0`);
  assert.equal(b.insnsExecuted, a.insnsExecuted, `${what}: count`);
  assert.deepEqual(b.fault, a.fault, `${what}: fault`);
  assert.deepEqual(b.regs, a.regs, `${what}: regs`);
  assert.deepEqual(b.output, a.output, `${what}: output`);
  assert.deepEqual(b.memOut, a.memOut, `${what}: mem`);
  assert.deepEqual(b.ctxOut, a.ctxOut, `${what}: ctx`);
  assert.deepEqual(b.dataOut, a.dataOut, `${what}: data`);
}

/** Run once, then step one instruction at a time, checking the count after each step. */
function checkStepped(prog: Program, input: RunInput, opts: RunOptions, what: string): RunResult {
  const want = new Interpreter(prog).run(input, { ...opts, regs: true, clock: CLOCK });
  const s: VmSession = new Interpreter(prog).start(input, { ...opts, clock: CLOCK });
  let steps = 0;
  while (!s.step(1)) {
    steps++;
    assert.equal(s.executed, steps, `${what}: executed after ${steps} steps`);
    assert.ok(steps <= want.insnsExecuted, `${what}: too many steps`);
  }
  same(want, s.result(), `${what} (single steps)`);
  const c = new Interpreter(prog).start(input, { ...opts, clock: CLOCK });
  while (!c.step(5));
  same(want, c.result(), `${what} (steps of 5)`);
  return want;
}

Deno.test("vm step: the bench programs (small loops) stepped one at a time match run()", () => {
  const mem = benchInput();
  for (const b of smallBench()) {
    const r = checkStepped(b.prog, { mem }, {}, b.name);
    assert.equal(r.fault, null);
    assert.ok(r.insnsExecuted > 20, `${b.name}: ${r.insnsExecuted}`);
  }
});

Deno.test("vm step: the instruction limit faults at the same place", () => {
  const mem = benchInput();
  for (const b of smallBench()) {
    for (const max of [0, 1, 17, 100]) {
      const r = checkStepped(b.prog, { mem }, { maxInsns: max }, `${b.name} max ${max}`);
      if (max < 20 || r.fault) assert.match(r.fault!.message, /instruction limit of \d+ executed/);
    }
  }
});

Deno.test("vm step: the ALU vectors (bodies and faults) stepped one at a time match run()", () => {
  for (const dir of ["v1_seed1", "v4_seed4"]) {
    const root = `${TESTS_DIR}data/vectors/alu/${dir}`;
    const names = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => /^case_\d+\.json$/.test(n)).sort();
    for (const n of names.slice(0, 60)) {
      const c = JSON.parse(Deno.readTextFileSync(`${root}/${n}`));
      const body = c.insns.slice(c.body_range[0], c.body_range[1]).concat([[0x95, 0, 0, 0, 0]]);
      checkStepped(progFromSlots(body), {}, {}, `${dir}/${n}`);
      // without the exit: falls off the end (a fault)
      const off = checkStepped(progFromSlots(body.slice(0, -1)), {}, {}, `${dir}/${n} no exit`);
      assert.match(off.fault!.message, /fell off the end/);
    }
  }
});

Deno.test("vm step: faults (bad access, helper, calls, packet) match run()", () => {
  const cases: Array<[string, number[][], RunInput]> = [
    ["bad read", [[0xb7, 1, 0, 0, 5], [0x79, 0, 1, 0, 0], [0x95, 0, 0, 0, 0]], {}],
    ["stack write then read", [
      [0x7a, 10, 0, -8, 42],
      [0x79, 0, 10, -8, 0],
      [0x95, 0, 0, 0, 0],
    ], {}],
    ["trace_printk + prandom", [
      [0x7a, 10, 0, -8, 0x6968],
      [0xbf, 1, 10, 0, 0],
      [0x07, 1, 0, 0, -8],
      [0xb7, 2, 0, 0, 8],
      [0x85, 0, 0, 0, 6],
      [0x85, 0, 0, 0, 7],
      [0x85, 0, 0, 0, 5],
      [0x95, 0, 0, 0, 0],
    ], {}],
    ["bpf-to-bpf call", [
      [0xb7, 6, 0, 0, 3],
      [0x85, 0, 1, 0, 2],
      [0x0f, 0, 6, 0, 0],
      [0x95, 0, 0, 0, 0],
      [0xb7, 6, 0, 0, 100],
      [0x7a, 10, 0, -8, 9],
      [0x79, 0, 10, -8, 0],
      [0x95, 0, 0, 0, 0],
    ], {}],
    ["ld_abs out of range", [[0xbf, 6, 1, 0, 0], [0x30, 0, 0, 0, 100], [0x95, 0, 0, 0, 0]], {
      data: new Uint8Array(8),
    }],
    ["unknown helper", [[0x85, 0, 0, 0, 9999], [0x95, 0, 0, 0, 0]], {}],
    ["jump out of range", [[0x05, 0, 0, 5, 0], [0x95, 0, 0, 0, 0]], {}],
  ];
  for (const [name, slots, input] of cases) checkStepped(progFromSlots(slots), input, {}, name);
});

Deno.test("vm step: accessors and runUntil breakpoints", () => {
  const b = smallBench().find((x) => x.name === "alu_loop")!;
  const want = new Interpreter(b.prog).run({}, { regs: true });
  const s = new Interpreter(b.prog).start({}, {});
  assert.equal(s.pc, 0);
  assert.equal(s.reg(10), s.regs()[10]);
  assert.equal(s.stack().length, 512);
  s.step(2);
  assert.equal(s.pc, 2);
  assert.equal(s.reg(1), 7n + 1000000n % 13n);
  let hits = 0;
  while (!s.runUntil([15])) {
    assert.equal(s.pc, 15);
    hits++;
  }
  assert.equal(hits, Number(7n + 1000000n % 13n));
  same(want, s.result(), "runUntil");
  // a superseded session refuses to go on
  const it = new Interpreter(b.prog);
  const s1 = it.start();
  it.run();
  assert.throws(() => s1.step(), /superseded/);
});

Deno.test("vm step: map contents are visible between steps", () => {
  const m = createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 }) as ArrayMap;
  // r1 = map value pointer (BPF_PSEUDO_MAP_VALUE), *(u64 *)(r1) = 5, += 1
  const prog = progFromSlots([
    [0x18, 1, 2, 0, 3],
    [0, 0, 0, 0, 0],
    [0x7a, 1, 0, 0, 5],
    [0xb7, 2, 0, 0, 1],
    [0xdb, 1, 2, 0, 0],
    [0x95, 0, 0, 0, 0],
  ]);
  const s = new Interpreter(prog, { resolveMap: (fd) => (fd === 3 ? m : undefined) }).start();
  s.step(2);
  assert.equal(s.maps[0].lookup(new Uint8Array(4))[0], 5);
  s.step(2);
  assert.equal(s.maps[0].lookup(new Uint8Array(4))[0], 6);
  assert.equal(s.step(), true);
  assert.equal(s.fault, null);
});
