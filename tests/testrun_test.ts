// The test-run API (core/testrun, core/testing): the kernel's errnos for bad
// input, deterministic helpers, faults, tail calls, ring buffers, the new map
// types' user-space API, and the verify hook. What the kernel itself does
// is checked against recorded kernel runs in testrun_kernel_test.ts.
import assert from "node:assert/strict";
import {
  assemble,
  BpfError,
  BpfObject,
  type ChainProgram,
  createMap,
  createVm,
  FormatError,
  type LruHashMap,
  parseElf,
  type PercpuArrayMap,
  type PercpuHashMap,
  type ProgArrayMap,
  ProgLoadError,
  Program,
  type RingBufMap,
  runTestRun,
  testRun,
  toBytes,
  u32,
  u64,
  type VmEngine,
} from "../mod.ts";

const errno = (f: () => unknown, name: string, re?: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof BpfError, String(e));
    assert.equal(e.errno, name, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });

const asm = (text: string, progType = "xdp") => assemble(`.prog_type ${progType}\n${text}`);
const RET1 = "r0 = 1\nexit";
const ipv4 = (n = 60) => {
  const p = new Uint8Array(Math.max(n, 15));
  p.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 8, 0, 0x45]);
  return p.subarray(0, n);
};

Deno.test("testRun: bad input gets the kernel's errno and a message naming the problem", () => {
  const p = asm(RET1);
  errno(() => testRun(p, { progType: "nope", data: ipv4() }), "EINVAL", /unknown program type 'nope'/);
  errno(() => testRun(p, { progType: "kprobe", data: ipv4() }), "ENOTSUPP", /has no test run/);
  errno(() => testRun(p, { progType: "cgroup_skb", data: ipv4() }), "ENOTSUPP", /bpfscope models only/);
  for (const t of ["socket_filter", "sched_cls", "xdp"]) {
    errno(() => testRun(p, { progType: t, data: ipv4(13) }), "EINVAL", /13 bytes/);
    errno(() => testRun(p, { progType: t }), "EINVAL", /need data_in/);
    errno(() => testRun(p, { progType: t, data: ipv4(), ctx: new Uint8Array(0) }), "EINVAL", /ctx_in is empty/);
    errno(() => testRun(p, { progType: t, data: ipv4(), repeat: -1 }), "EINVAL", /repeat/);
    errno(() => testRun(p, { progType: t, data: ipv4(), flags: 8 }), "EINVAL", /flags 0x8/);
  }
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(3713) }), "EINVAL", /14 to 3712/);
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(33) }), "EINVAL", /IPv4 packet needs 34/);
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(), flags: 4 }), "ENOTSUPP", /CHECKSUM_COMPLETE/);
  errno(() => testRun(p, { progType: "xdp", data: ipv4(), flags: 2 }), "ENOTSUPP", /LIVE_FRAMES/);
  const skb = (off: number, v: number, size = 192) => {
    const b = new Uint8Array(size);
    new DataView(b.buffer).setUint32(off, v, true);
    return b;
  };
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(), ctx: skb(0, 5) }), "EINVAL", /__sk_buff\.len/);
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(), ctx: skb(40, 2) }), "ENODEV", /only lo/);
  errno(() => testRun(p, { progType: "sched_cls", data: ipv4(), ctx: skb(196, 1, 200) }), "E2BIG", /byte 196/);
  const xdp = (v: number[]) => new Uint8Array(new Uint32Array([...v, 0, 0, 0, 0, 0, 0].slice(0, 6)).buffer);
  errno(() => testRun(p, { data: ipv4(), ctx: xdp([0, 61]) }), "EINVAL", /past the end/);
  errno(() => testRun(p, { data: ipv4(), ctx: xdp([3, 60]) }), "EINVAL", /multiple of 4/);
  errno(() => testRun(p, { data: ipv4(), ctx: xdp([0, 60, 0, 0, 1]) }), "EINVAL", /needs an ingress_ifindex/);
  errno(() => testRun(p, { data: ipv4(80000) }), "ENOMEM", /17 page fragments/);
  // an unknown type number is refused when the program is loaded
  errno(() => testRun(p, { progType: 99, data: ipv4() }), "EINVAL", /unknown program type 99/);
});

Deno.test("testRun: retval, data_out, ctx_out, repeat on one context, deterministic helpers", () => {
  // xdp: r0 = ktime + prandom + smp id; writes a byte per run
  const p = asm(`
r6 = r1
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r5 = *(u8 *)(r2 +0)
r5 += 1
*(u8 *)(r2 +0) = r5
out:
call 5
r7 = r0
call 7
r7 += r0
call 8
r7 += r0
r0 = r7
exit`);
  const a = testRun(p, { data: ipv4(), repeat: 3, clock: 1000n, seed: 9, cpu: 1, cpus: 4 });
  const b = testRun(p, { data: ipv4(), repeat: 3, clock: 1000n, seed: 9, cpu: 1, cpus: 4 });
  assert.equal(a.retval, b.retval, "deterministic");
  assert.equal(a.runs, 3);
  assert.equal(a.dataOut[0], 3, "three runs on one packet");
  const c = testRun(p, { data: ipv4(), clock: () => 5n, seed: 1 });
  assert.equal(c.r0, 5n + 270369n, "clock 5 + xorshift32 from seed 1 + cpu 0");
  assert.equal(testRun(p, { data: ipv4(), clock: () => 5n, seed: 1, cpu: 1 }).r0, 5n + 270369n + 1n);
});

Deno.test("testRun: the duration leaves out preparing the programs: the JIT compiles every reachable one first", () => {
  const log: string[] = [];
  const jmp = createMap({ mapType: 3, keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
  // a loaded program whose engine is made on first use (as `Bpf` does), noting when
  const loaded = (id: number, text: string): ChainProgram => {
    const prog = asm(`.map jmp prog_array key=4 value=4 max=4\n${text}`).withMapFds([7]);
    let vm: VmEngine | null = null;
    return {
      id,
      progType: 6,
      engine(name) {
        if (vm === null) log.push(`compile ${id}`), vm = createVm(prog, { progType: 6, resolveMap: () => jmp }, name);
        return vm;
      },
    };
  };
  const entry = loaded(1, "r2 = map[jmp] ll\nr3 = 2\ncall 12\nr0 = 1\nexit");
  jmp.setProg(2, loaded(2, "r0 = 3\nexit"));
  let ms = 10;
  const now = () => (log.push("clock"), ms++);
  const r = runTestRun(entry, { data: ipv4(), engine: "jit", repeat: 4, now });
  assert.deepEqual(log, ["compile 1", "compile 2", "clock", "clock"], "both programs compiled before the clock starts");
  assert.equal(r.durationNs, 250000, "(11 - 10) ms / 4 runs");
  assert.equal(r.retval, 3);
  assert.equal(r.tailCalls, 1);
});

Deno.test("testRun: a program that reaches outside its regions faults, retval 0, and the test run stops", () => {
  const p = asm(`r2 = *(u32 *)(r1 +4)\nr0 = *(u8 *)(r2 +0)\nexit`); // reads at data_end
  for (const engine of ["interp", "jit"] as const) {
    const r = testRun(p, { data: ipv4(), repeat: 5, engine });
    assert.equal(r.retval, 0);
    assert.equal(r.runs, 1);
    assert.match(
      r.fault!.message,
      /insn 1: invalid read of 1 bytes at 0x000010090000013c: nearest region: packet \[0x0000100900000000, 0x000010090000013c\), 0 bytes past its end/,
    );
  }
});

Deno.test("tail calls: a chain, an empty slot falls through, the limit of 33", () => {
  const obj = BpfObject.fromProgram(
    assemble(`.prog_type xdp
.map jmp prog_array key=4 value=4 max=4
.map n array key=4 value=8 max=1
r6 = r1
*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[n] ll
call 1
if r0 == 0 goto out
r1 = *(u64 *)(r0 +0)
r1 += 1
*(u64 *)(r0 +0) = r1
r1 = r6
r2 = map[jmp] ll
r3 = 1
call 12
r1 = r6
r2 = map[jmp] ll
r3 = 0
call 12
out:
r0 = 7
exit`),
  );
  const n = () => u64(obj.map("n").get(0)!);
  assert.equal(obj.run(ipv4()).retval, 7, "empty slots: falls through");
  assert.equal(n(), 1n);
  obj.setTailCall("jmp", 0, "main");
  const r = obj.run(ipv4());
  assert.equal(r.tailCalls, 33);
  assert.equal(n() - 1n, 34n, "the program and 33 tail calls");
  errno(() => obj.setTailCall("jmp", 4, "main"), "E2BIG");
  errno(() => obj.setTailCall("n", 0, "main"), "EINVAL", /not a prog_array/);
  // a program of another type cannot join the map
  const m = createMap({ mapType: 3, keySize: 4, valueSize: 4, maxEntries: 2 }) as ProgArrayMap;
  m.setProg(0, { progType: 6, id: 1 });
  errno(() => m.setProg(1, { progType: 3, id: 2 }), "EINVAL", /type 6, not 3/);
  assert.deepEqual([...m.lookup(toBytes(0, 4))], [1, 0, 0, 0], "a bpf() lookup gives the program id");
  errno(() => m.lookup(toBytes(1, 4)), "ENOENT");
});

Deno.test("ring buffers: records, capacity, discard, query; misuse faults", () => {
  const obj = BpfObject.fromProgram(assemble(`.prog_type xdp
.map rb ringbuf key=0 value=0 max=4096
r1 = map[rb] ll
r2 = 4089
r3 = 0
call 131
r7 = 1
if r0 != 0 goto big
r7 = 0
goto small
big:
r1 = r0
r2 = 0
call 133
small:
r1 = map[rb] ll
r2 = 16
r3 = 0
call 131
if r0 == 0 goto out
*(u64 *)(r0 +8) = r7
r1 = r0
r2 = 0
call 132
out:
r1 = map[rb] ll
r2 = 0
call 134
exit`));
  const r = obj.run(ipv4());
  assert.equal(r.retval, 24, "available data: one record of 16 (+8 header)");
  const recs = obj.map("rb").records();
  assert.equal(recs.length, 1, "a reservation over the capacity gives NULL");
  assert.deepEqual([...recs[0].subarray(8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  const rb = obj.map("rb").raw as RingBufMap;
  assert.equal(rb.consumerPos, 24);
  errno(() => rb.lookup(), "ENOTSUPP");
  const twice = testRun(
    asm(`.map rb ringbuf key=0 value=0 max=4096
r1 = map[rb] ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call 132
r1 = r6
r2 = 0
call 133
out:
exit`),
    { data: ipv4() },
  );
  assert.match(twice.fault!.message, /helper 133: ringbuf_discard: the record was already submitted or discarded/);
});

Deno.test("maps: per-CPU values, LRU reference bits, errnos of the new types", () => {
  const pa = createMap({ mapType: 6, keySize: 4, valueSize: 12, maxEntries: 2 }, "modern", {
    cpus: 3,
  }) as PercpuArrayMap;
  assert.equal(pa.userValueSize, 48);
  pa.update(toBytes(1, 4), new Uint8Array(48).fill(7));
  assert.deepEqual(pa.lookupPerCpu(toBytes(1, 4)).map((v) => v.length), [12, 12, 12]);
  errno(() => pa.update(toBytes(2, 4), new Uint8Array(48)), "E2BIG");
  errno(() => pa.update(toBytes(1, 4), new Uint8Array(48), 1), "EEXIST");
  errno(() => pa.delete(toBytes(1, 4)), "EINVAL");
  const ph = createMap({ mapType: 5, keySize: 4, valueSize: 8, maxEntries: 1 }) as PercpuHashMap;
  ph.update(toBytes(5, 4), new Uint8Array(16).fill(1));
  errno(() => ph.update(toBytes(6, 4), new Uint8Array(16)), "E2BIG");
  errno(() => ph.update(toBytes(6, 4), new Uint8Array(16), 2), "ENOENT");
  const lru = createMap({ mapType: 9, keySize: 4, valueSize: 8, maxEntries: 4 }) as LruHashMap;
  for (let k = 0; k < 6; k++) lru.update(toBytes(k, 4), new Uint8Array(8));
  assert.equal(lru.count(), 4, "the oldest keys were evicted");
  assert.equal(lru.referenced(toBytes(5, 4)), false, "a bpf() lookup does not mark the element");
  lru.lookup(toBytes(5, 4));
  assert.equal(lru.referenced(toBytes(5, 4)), false);
  lru.lookupRef(toBytes(5, 4), 0);
  assert.equal(lru.referenced(toBytes(5, 4)), true, "a program's lookup does");
  errno(() => createMap({ mapType: 9, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 1 }), "ENOTSUPP");
  errno(() => createMap({ mapType: 5, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 2 }), "EINVAL");
  errno(() => createMap({ mapType: 6, keySize: 4, valueSize: 32769, maxEntries: 4 }), "E2BIG");
  errno(() => createMap({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 6000 }), "EINVAL", /power of 2/);
  errno(() => createMap({ mapType: 3, keySize: 4, valueSize: 8, maxEntries: 4 }), "EINVAL", /value_size must be 4/);
  errno(() => createMap({ mapType: 6, keySize: 4, valueSize: 8, maxEntries: 4 }, "modern", { cpus: 0 }), "EINVAL");
});

Deno.test("testRun: the verify hook decides at load time; the testing API names what is missing", () => {
  const p = asm(RET1);
  assert.throws(
    () => testRun(p, { data: ipv4(), verify: () => ({ accepted: false, errno: "EACCES", log: "no\n" }) }),
    (e: unknown) => e instanceof ProgLoadError && e.errno === "EACCES",
  );
  assert.equal(testRun(p, { data: ipv4(), verify: () => ({ accepted: true, log: "" }) }).retval, 1);
  const obj = BpfObject.fromProgram(Program.fromInsns([{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]), {
    progType: "xdp",
  });
  errno(() => obj.map("nope"), "ENOENT", /no map 'nope' \(maps: none\)/);
  errno(() => obj.run(ipv4(), { program: "other" }), "ENOENT", /no program 'other' \(programs: main\)/);
  errno(() => toBytes(256, 1), "EINVAL", /does not fit in 1 bytes/);
  assert.deepEqual([...toBytes(-1, 2)], [255, 255]);
  assert.equal(u32(toBytes(0x01020304, 4)), 0x01020304);
});

Deno.test("BpfObject.fromBytes: ELF objects by their magic or a .o name, else program files", async () => {
  const fw = await Deno.readFile(new URL("./fixtures/xdp_firewall.o", import.meta.url));
  assert.deepEqual(BpfObject.fromBytes(fw, "fw.bin").programs, ["xdp/ipv4", "xdp"]);
  const text = new TextEncoder().encode(".prog_type xdp\nr0 = 2\nexit\n");
  const obj = BpfObject.fromBytes(text, "pass.s");
  assert.deepEqual(obj.programs, ["pass.s"]);
  assert.equal(obj.run(ipv4()).retval, 2);
  assert.throws(
    () => BpfObject.fromBytes(text, "pass.o"),
    (e: unknown) => e instanceof FormatError && /pass\.o/.test(e.message),
  );
});

Deno.test("ELF: prog_array slots from .maps initializers; every program and map of the object is loaded", async () => {
  const bytes = await Deno.readFile(new URL("./fixtures/xdp_firewall.o", import.meta.url));
  const elf = parseElf(bytes, "xdp_firewall.o");
  const handlers = elf.maps.find((m) => m.name === "handlers")!;
  assert.deepEqual(handlers, {
    name: "handlers",
    declared: "btf",
    section: ".maps",
    def: { name: "handlers", type: 3, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, init: [] },
    slots: [{ index: 0, section: "xdp/ipv4", symbol: "ipv4" }],
  });
  assert.deepEqual(elf.maps.map((m) => [m.name, m.def.type]).sort(), [
    ["blocklist", 1],
    ["events", 27],
    ["handlers", 3],
    ["stats", 6],
  ]);
  const obj = BpfObject.fromElf(bytes, "xdp_firewall.o");
  assert.deepEqual(obj.programs, ["xdp/ipv4", "xdp"]);
  const blocked = obj.map("blocklist"), stats = obj.map("stats");
  assert.equal(blocked.get([10, 0, 0, 9]), undefined, "an absent key");
  blocked.set([10, 0, 0, 9], 5);
  assert.equal(u32(blocked.get([10, 0, 0, 9])!), 5);
  assert.equal(blocked.delete([10, 0, 0, 9]), true);
  assert.equal(blocked.delete([10, 0, 0, 9]), false, "deleted already");
  assert.equal(stats.getPerCpu(2), undefined, "past the array");
  assert.deepEqual(stats.getPerCpu(1)!.map((v) => u64(v)), [0n, 0n]);
  errno(() => blocked.getPerCpu(0), "EINVAL", /not per-CPU/);
  errno(() => blocked.set(1, 2, 8), "EINVAL");
  assert.equal(obj.programFd(), obj.programFd("xdp"), "the entry program is the one no slot holds");
  assert.equal(obj.map("handlers").entries().length, 1);
});
