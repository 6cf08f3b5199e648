// Hash map values seen from programs, on the interpreter and the JIT: a run is
// one RCU read-side critical section over the program's maps, so a value
// pointer obtained before a delete or a replacement keeps reading the old
// value for the rest of the run, an element inserted in the same run gets a
// different slot, and after the run the freed slots are reused. The lock is
// released however a run ends (exit, fault, instruction limit, an exception,
// a session superseded by another run).
import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_ST_MEM,
  BPF_W,
  type Insn,
  Program,
} from "../core/isa/mod.ts";
import { createMap, type HashMap } from "../core/maps/mod.ts";
import { createVm, type VmEngineName } from "../core/jit/mod.ts";
import { defaultHelpers, Interpreter, type RunOptions } from "../core/vm/mod.ts";

const ENGINES: VmEngineName[] = ["interp", "jit"];
const FD = 3;
type Slots = Array<Insn | Insn[]>;

/** r1 = the map, r2 = &key (key at fp-4). */
const mapAndKey = (key: number): Slots => [
  BPF_ST_MEM(BPF_W, 10, -4, key),
  BPF_LD_MAP_FD(1, FD),
  BPF_MOV64_REG(2, 10),
  BPF_ALU64_IMM(BPF_ADD, 2, -4),
];
/** r0 = map_lookup_elem(map, &key). */
const lookup = (key: number): Slots => [...mapAndKey(key), BPF_EMIT_CALL(1)];
/** map_update_elem(map, &key, &value, BPF_ANY) (value at fp-16). */
const update = (key: number, value: number): Slots => [
  BPF_ST_MEM(BPF_DW, 10, -16, value),
  ...mapAndKey(key),
  BPF_MOV64_REG(3, 10),
  BPF_ALU64_IMM(BPF_ADD, 3, -16),
  BPF_MOV64_IMM(4, 0),
  BPF_EMIT_CALL(2),
];
/** map_delete_elem(map, &key). */
const del = (key: number): Slots => [...mapAndKey(key), BPF_EMIT_CALL(3)];
const EXIT = BPF_EXIT_INSN();

function hashMap(maxEntries: number, init: Array<[number, number]> = []): HashMap {
  const m = createMap({ mapType: 1, keySize: 4, valueSize: 8, maxEntries, name: "h" }) as HashMap;
  for (const [k, v] of init) m.update(key4(k), u64(v));
  return m;
}
const key4 = (k: number) => new Uint8Array(new Uint32Array([k]).buffer);
const u64 = (v: number) => new Uint8Array(new BigUint64Array([BigInt(v)]).buffer);
const valueOf = (m: HashMap, k: number) => new DataView(m.lookup(key4(k)).buffer).getBigUint64(0, true);

function runOn(engine: VmEngineName, m: HashMap, insns: Slots, opts: RunOptions = {}) {
  const vm = createVm(Program.fromInsns(insns), { resolveMap: (fd) => (fd === FD ? m : undefined) }, engine);
  return vm.run({}, { regs: true, ...opts });
}

/** The address of the first value handed out in a run (one hash map, no array maps): hi word 0x100b. */
const VALUES = 0x100bn << 32n;
/** The k-th value handed out in a run: each value is a region of its own. */
const value = (k: number) => VALUES + (BigInt(k) << 32n);

Deno.test("a stale value pointer reads the old value for the rest of the run; new elements get other slots", () => {
  for (const engine of ENGINES) {
    const m = hashMap(4, [[0, 1]]);
    const r = runOn(engine, m, [
      ...lookup(0),
      BPF_MOV64_REG(6, 0), // r6 = &value of key 0 (slot 0, the run's first value region)
      BPF_ST_MEM(BPF_DW, 6, 0, 5),
      ...update(0, 9), // a new slot for key 0; slot 0 is quarantined
      ...lookup(0),
      BPF_MOV64_REG(7, 0), // r7 = the new value (slot 1)
      ...update(1, 11), // a new key: a fresh slot, not slot 0
      ...lookup(1),
      BPF_MOV64_REG(8, 0),
      ...del(0), // slot 1 is quarantined too
      BPF_LDX_MEM(BPF_DW, 9, 6, 0), // the old value, as it was
      BPF_ST_MEM(BPF_DW, 7, 0, 77), // a write through a stale pointer reaches no element
      BPF_LDX_MEM(BPF_DW, 0, 7, 0),
      EXIT,
    ]);
    assert.equal(r.fault, null, r.fault?.message);
    const regs = r.regs!;
    assert.deepEqual([regs[6], regs[7], regs[8]], [value(0), value(1), value(2)], engine);
    assert.deepEqual([regs[9], r.r0], [5n, 77n], engine);
    assert.deepEqual(m.entries().map(([k]) => k[0]), [1]);
    assert.equal(valueOf(m, 1), 11n, `${engine}: the stale write did not reach key 1`);
    // the grace period ended with the run: the two freed slots are reused by the next updates
    assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0], engine);
    m.update(key4(5), u64(50));
    m.update(key4(6), u64(60));
    assert.deepEqual(new Set([m.lookupRef(key4(5), 0), m.lookupRef(key4(6), 0)]), new Set([0, 1]), engine);
  }
});

Deno.test("each value is a region of its own: past it faults naming the value, even inside a chunk", () => {
  for (const engine of ENGINES) {
    const m = hashMap(16, Array.from({ length: 16 }, (_, k) => [k, 100 + k] as [number, number]));
    assert.equal(m.chunkSlots, 16);
    const r = runOn(engine, m, [
      ...lookup(15),
      BPF_MOV64_REG(6, 0), // slot 15, the last of chunk 0 (the run's first value region)
      ...update(3, 33), // slot 16: the first of chunk 1
      ...lookup(3),
      BPF_MOV64_REG(7, 0),
      BPF_LDX_MEM(BPF_DW, 8, 7, 0),
      ...lookup(2),
      BPF_LDX_MEM(BPF_DW, 9, 0, 0),
      BPF_LDX_MEM(BPF_DW, 0, 6, 8), // just past the value of slot 15
      EXIT,
    ]);
    const regs = r.regs!;
    assert.deepEqual([regs[6], regs[7]], [value(0), value(1)], engine);
    assert.deepEqual([regs[8], regs[9]], [33n, 102n], engine);
    assert.equal(
      r.fault?.message,
      'insn 32: invalid read of 8 bytes at 0x0000100b00000008: nearest region: value of map "h" (slot 15) ' +
        "[0x0000100b00000000, 0x0000100b00000008), 0 bytes past its end",
      engine,
    );
    assert.equal(m.rcuDepth, 0, `${engine}: a fault ends the critical section`);
    assert.equal(m.chunkCount, 2);
  }
});

Deno.test("the lock ends with the run: instruction limit, exception; nested runs of two engines", () => {
  const prog: Slots = [...lookup(0), ...update(0, 2), ...update(0, 3), BPF_MOV64_IMM(0, 0), EXIT];
  for (const engine of ENGINES) {
    const m = hashMap(4, [[0, 1]]);
    const r = runOn(engine, m, prog, { maxInsns: 16 });
    assert.match(r.fault!.message, /instruction limit/);
    assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0], engine);
    // a helper whose exception cannot even be described escapes the engine (a Symbol in a template literal)
    const helpers = defaultHelpers().set(100, "boom", () => {
      throw Symbol("boom");
    });
    const vm = createVm(
      Program.fromInsns([...update(0, 4), BPF_EMIT_CALL(100), EXIT]),
      { resolveMap: () => m, helpers },
      engine,
    );
    assert.throws(() => vm.run(), TypeError);
    assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0], `${engine}: an exception ends the critical section`);
  }
  // a run of one engine inside a helper of another: the outer run's lock survives the inner run
  const m = hashMap(4, [[0, 1]]);
  const inner = createVm(
    Program.fromInsns([...update(0, 7), BPF_MOV64_IMM(0, 0), EXIT]),
    { resolveMap: () => m },
    "jit",
  );
  const depths: number[] = [];
  const helpers = defaultHelpers().set(100, "inner", (e) => {
    depths.push(m.rcuDepth);
    inner.run();
    depths.push(m.rcuDepth, m.quarantined);
    e.ret(0);
  });
  const outer = new Interpreter(Program.fromInsns([...update(0, 6), BPF_EMIT_CALL(100), EXIT]), {
    resolveMap: () => m,
    helpers,
  });
  assert.equal(outer.run().fault, null);
  assert.deepEqual(depths, [1, 1, 2], "both replaced values stay quarantined until the outer run ends");
  assert.deepEqual([m.rcuDepth, m.quarantined, Number(valueOf(m, 0))], [0, 0, 7]);
});

/** An interpreter over a hash map { 0: 1 } and a program: r6 = &value of key 0; update key 0 to 2 (16 insns); r0 = *r6. */
function replacingOwnValue(): { m: HashMap; vm: Interpreter } {
  const m = hashMap(4, [[0, 1]]);
  const prog = Program.fromInsns([
    ...lookup(0),
    BPF_MOV64_REG(6, 0),
    ...update(0, 2),
    BPF_LDX_MEM(BPF_DW, 0, 6, 0),
    EXIT,
  ]);
  return { m, vm: new Interpreter(prog, { resolveMap: () => m }) };
}

Deno.test("a stepped session holds the lock across pauses until it ends or another run supersedes it", () => {
  const { m, vm } = replacingOwnValue();
  const s = vm.start();
  assert.equal(m.rcuDepth, 0, "nothing runs before the first step");
  s.step(16); // past the update
  assert.deepEqual([m.rcuDepth, m.quarantined], [1, 1]);
  // a user update between two steps must not take the slot r6 still points at
  m.update(key4(1), u64(10));
  assert.notEqual(m.lookupRef(key4(1), 0), 0);
  assert.equal(s.runUntil([]), true);
  assert.equal(s.result().r0, 1n, "the old value, untouched");
  assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0]);
  // superseded: the paused session's critical section ends when the next run starts
  const t = vm.start();
  t.step(16);
  assert.equal(m.rcuDepth, 1);
  assert.equal(vm.run().fault, null);
  assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0]);
  assert.throws(() => t.step(), /superseded/);
  assert.equal(m.rcuDepth, 0);
});

Deno.test("close() ends a paused session's critical section: freed values are reusable, later steps throw", () => {
  const { m, vm } = replacingOwnValue();
  const s = vm.start();
  s.step(16); // past the update: the old value waits in quarantine
  assert.deepEqual([m.rcuDepth, m.quarantined], [1, 1]);
  const r6 = s.reg(6);
  s.close();
  assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0], "the grace period is over");
  assert.equal(s.reg(6), r6, "registers stay readable");
  assert.throws(() => s.step(), /closed/);
  assert.throws(() => s.runUntil([]), /closed/);
  s.close(); // again: nothing
  assert.equal(m.rcuDepth, 0);
  assert.equal(vm.run().fault, null, "the interpreter runs on");
  assert.equal(m.rcuDepth, 0);
  const done = vm.start();
  done.runUntil([]);
  done.close(); // a finished session: nothing to end
  assert.equal(m.rcuDepth, 0);
});

Deno.test("helpers read and write a value through its pointer (keys and values taken from map values)", () => {
  for (const engine of ENGINES) {
    const m = hashMap(8, [[0, 1], [1, 2], [2, 3], [3, 4]]);
    const r = runOn(engine, m, [
      ...lookup(3), // slot 3: not at the start of its chunk
      BPF_MOV64_REG(6, 0),
      // map_update_elem(map, &key 5, value = r6 (the value of key 3), BPF_ANY)
      BPF_ST_MEM(BPF_W, 10, -4, 5),
      BPF_LD_MAP_FD(1, FD),
      BPF_MOV64_REG(2, 10),
      BPF_ALU64_IMM(BPF_ADD, 2, -4),
      BPF_MOV64_REG(3, 6),
      BPF_MOV64_IMM(4, 0),
      BPF_EMIT_CALL(2),
      // map_lookup_elem(map, key = the first 4 bytes of the value of key 3, i.e. key 4: absent)
      BPF_LD_MAP_FD(1, FD),
      BPF_MOV64_REG(2, 6),
      BPF_EMIT_CALL(1),
      EXIT,
    ]);
    assert.equal(r.fault, null, r.fault?.message);
    assert.equal(valueOf(m, 5), 4n, `${engine}: the value was read from the value's own bytes`);
    assert.equal(r.r0, 0n, `${engine}: key 4 (from the value bytes) is absent`);
  }
});

Deno.test("value regions are reused by later runs of the same engine: same addresses, same faults", () => {
  for (const engine of ENGINES) {
    const m = hashMap(16, Array.from({ length: 16 }, (_, k) => [k, 100 + k] as [number, number]));
    const vm = createVm(
      Program.fromInsns([
        ...lookup(7),
        BPF_MOV64_REG(6, 0),
        ...lookup(2),
        BPF_MOV64_REG(7, 0),
        BPF_LDX_MEM(BPF_DW, 8, 6, 0),
        BPF_LDX_MEM(BPF_DW, 9, 7, 0),
        BPF_LDX_MEM(BPF_DW, 0, 7, 8), // just past the value of key 2
        EXIT,
      ]),
      { resolveMap: (fd) => (fd === FD ? m : undefined) },
      engine,
    );
    const runs = [0, 1, 2].map(() => vm.run({}, { regs: true }));
    for (const r of runs) {
      assert.deepEqual(r.regs!.slice(6, 10), [value(0), value(1), 107n, 102n], engine);
      assert.match(r.fault!.message, /nearest region: value of map "h" \(slot 2\) \[0x0000100c00000000, /, engine);
    }
    // a later run that hands out the values in the other order maps them under the other ids
    const swapped = createVm(
      Program.fromInsns([...lookup(2), BPF_MOV64_REG(6, 0), ...lookup(7), BPF_LDX_MEM(BPF_DW, 0, 0, 0), EXIT]),
      { resolveMap: (fd) => (fd === FD ? m : undefined) },
      engine,
    ).run({}, { regs: true });
    assert.deepEqual([swapped.regs![6], swapped.r0], [value(0), 107n], engine);
  }
});
