// The bpf() facade: fd table, errno names, prog load with/without a verify hook, test run.
import assert from "node:assert/strict";
import { Bpf, NO_VERIFIER_LOG, ProgLoadError } from "../core/bpf.ts";
import { BpfError } from "../core/errors.ts";
import { Interpreter } from "../core/vm/mod.ts";
import { Jit } from "../core/jit/mod.ts";
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JEQ,
  BPF_JMP_IMM,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_ST_MEM,
  BPF_W,
  Program,
} from "../core/isa/mod.ts";

const errno = (f: () => unknown, name: string) =>
  assert.throws(f, (e: unknown) => e instanceof BpfError && e.errno === name, `expected ${name}`);
const k4 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const v8 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

/** r0 = *lookup(map, key 0) or 0. */
function lookupProg(fd: number): Program {
  return Program.fromInsns([
    BPF_ST_MEM(BPF_W, 10, -4, 0),
    BPF_MOV64_REG(2, 10),
    BPF_ALU64_IMM(BPF_ADD, 2, -4),
    BPF_LD_MAP_FD(1, fd),
    BPF_EMIT_CALL(1),
    BPF_JMP_IMM(BPF_JEQ, 0, 0, 1),
    BPF_LDX_MEM(BPF_DW, 0, 0, 0),
    BPF_EXIT_INSN(),
  ]);
}

Deno.test("fds start at 3, lowest free reused; EBADF and EINVAL for wrong fds", () => {
  const bpf = new Bpf({ verify: null });
  const a = bpf.mapCreate({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4 });
  const b = bpf.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 4 });
  assert.deepEqual([a, b], [3, 4]);
  bpf.close(a);
  assert.equal(bpf.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 }), 3);
  errno(() => bpf.close(9), "EBADF");
  errno(() => bpf.mapLookupElem(9, k4(0)), "EBADF");
  const { fd } = bpf.progLoad({ insns: Program.fromInsns([BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN()]) });
  errno(() => bpf.mapLookupElem(fd, k4(0)), "EINVAL");
  errno(() => bpf.progTestRun(b), "EINVAL");
  errno(() => bpf.mapCreate({ mapType: 0, keySize: 8, valueSize: 8, maxEntries: 1 }), "EINVAL");
});

Deno.test("map commands and errno names", () => {
  const bpf = new Bpf({ verify: null });
  const fd = bpf.mapCreate({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 1 });
  bpf.mapUpdateElem(fd, k4(1), v8(5));
  errno(() => bpf.mapUpdateElem(fd, k4(2), v8(5)), "E2BIG");
  errno(() => bpf.mapUpdateElem(fd, k4(1), v8(5), 1), "EEXIST");
  assert.deepEqual(bpf.mapLookupElem(fd, k4(1)), v8(5));
  const out = new Uint8Array(8);
  assert.equal(bpf.mapLookupElem(fd, k4(1), out), out);
  assert.deepEqual(out, v8(5));
  errno(() => bpf.mapLookupElem(fd, k4(1), new Uint8Array(4)), "EINVAL");
  assert.deepEqual(bpf.mapGetNextKey(fd, null), k4(1));
  const next = new Uint8Array(4);
  assert.equal(bpf.mapGetNextKey(fd, null, next), next);
  assert.deepEqual(next, k4(1));
  errno(() => bpf.mapGetNextKey(fd, k4(1)), "ENOENT");
  bpf.mapDeleteElem(fd, k4(1));
  errno(() => bpf.mapDeleteElem(fd, k4(1)), "ENOENT");
  errno(() => bpf.mapLookupElem(fd, k4(1)), "ENOENT");
  const e = (() => {
    try {
      bpf.mapLookupElem(fd, k4(1));
    } catch (x) {
      return x as BpfError;
    }
  })()!;
  assert.equal(e.code, 2);
});

Deno.test("progLoad with verify: null says so; with a hook the hook decides", () => {
  const bpf = new Bpf({ verify: null });
  const ok = Program.fromInsns([BPF_MOV64_IMM(0, 42), BPF_EXIT_INSN()]);
  const r = bpf.progLoad({ insns: ok });
  assert.deepEqual([r.log, r.verified], [NO_VERIFIER_LOG, false]);
  assert.equal(bpf.progTestRun(r.fd).r0, 42n);
  bpf.verify = (p) =>
    p.len > 2
      ? { accepted: false, errno: "EACCES", log: "0: (b7) r0 = 42\nback-edge\n" }
      : { accepted: true, log: "ok\n" };
  const v = bpf.progLoad({ insns: ok });
  assert.deepEqual([v.log, v.verified], ["ok\n", true]);
  const bad = Program.fromInsns([BPF_MOV64_IMM(0, 42), BPF_MOV64_IMM(0, 42), BPF_EXIT_INSN()]);
  assert.throws(
    () => bpf.progLoad({ insns: bad }),
    (e: unknown) => e instanceof ProgLoadError && e.errno === "EACCES" && e.log.includes("back-edge"),
  );
});

Deno.test("progLoad errors: empty, too long, prog type, map fds", () => {
  const bpf = new Bpf({ verify: null });
  errno(() => bpf.progLoad({ insns: new Program(new Uint8Array(0)) }), "EINVAL");
  errno(() => new Bpf({ profile: "linux-3.18" }).progLoad({ insns: new Program(new Uint8Array(0)) }), "E2BIG");
  errno(() => new Bpf({ profile: "linux-3.18" }).progLoad({ insns: new Program(new Uint8Array(4096 * 8)) }), "EINVAL");
  errno(() => bpf.progLoad({ insns: Program.fromInsns([BPF_EXIT_INSN()]), progType: 999 }), "EINVAL");
  errno(() => bpf.progLoad({ insns: lookupProg(7) }), "EBADF");
  const p = bpf.progLoad({ insns: Program.fromInsns([BPF_EXIT_INSN()]) });
  errno(() => bpf.progLoad({ insns: lookupProg(p.fd) }), "EINVAL");
});

Deno.test("test run reads maps; closing the map fd keeps the map alive for the program", () => {
  const bpf = new Bpf({ verify: null });
  const m = bpf.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  bpf.mapUpdateElem(m, k4(0), v8(1234));
  const { fd } = bpf.progLoad({ insns: lookupProg(m) });
  bpf.close(m);
  const r = bpf.progTestRun(fd, { repeat: 3 });
  assert.deepEqual([r.r0, r.retval, r.fault], [1234n, 1234, null]);
  assert.ok(r.durationNs >= 0);
  assert.equal(r.maps.length, 1);
  bpf.close(fd);
  assert.deepEqual(bpf.fds(), []);
});

Deno.test("engine option: progTestRun on the JIT gives the interpreter's results; prog(fd) stays the Interpreter", () => {
  assert.equal(new Bpf().engine, "interp");
  const results = (["interp", "jit"] as const).map((engine) => {
    const bpf = new Bpf({ engine, verify: null });
    assert.equal(bpf.engine, engine);
    const hash = bpf.mapCreate({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4 });
    const arr = bpf.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
    bpf.mapUpdateElem(arr, k4(0), v8(99));
    const { fd } = bpf.progLoad({ insns: lookupProg(arr) });
    assert.ok(bpf.prog(fd) instanceof Interpreter, "prog(fd) keeps its type");
    const vm = bpf.progVm(fd);
    assert.ok(engine === "jit" ? vm instanceof Jit : vm === bpf.prog(fd));
    assert.equal(bpf.progVm(fd), vm, "compiled once per fd");
    const r = bpf.progTestRun(fd, { repeat: 2, regs: true });
    // a fault and an instruction limit go through the same engine
    const bad = bpf.progLoad({ insns: Program.fromInsns([BPF_LDX_MEM(BPF_DW, 0, 0, 0), BPF_EXIT_INSN()]) }).fd;
    const f = bpf.progTestRun(bad);
    const limit = bpf.progTestRun(fd, { maxInsns: 3 });
    errno(() => bpf.progVm(hash), "EINVAL");
    errno(() => bpf.progTestRun(99), "EBADF");
    return [
      r.r0,
      r.retval,
      r.regs,
      r.insnsExecuted,
      r.fault,
      f.fault,
      f.insnsExecuted,
      limit.fault,
      limit.insnsExecuted,
    ];
  });
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[0][0], 99n);
  assert.match(String((results[0][5] as { message: string }).message), /invalid read of 8 bytes/);
  assert.match(String((results[0][7] as { message: string }).message), /instruction limit of 3/);
  errno(() => new Bpf({ engine: "v8" as "jit" }), "EINVAL");
});

Deno.test("progLoad verifies by default with the 3.19 verifier (3.18 for the linux-3.18 profile)", () => {
  const bpf = new Bpf();
  const ok = bpf.progLoad({
    insns: Program.fromInsns([BPF_MOV64_IMM(0, 42), BPF_EXIT_INSN()]),
    logLevel: 1,
    logSize: 4096,
  });
  assert.equal(ok.verified, true);
  assert.equal(ok.log, "0: (b7) r0 = 42\n1: (95) exit\n");
  assert.equal(bpf.progTestRun(ok.fd).r0, 42n);
  // r0 is never written: the kernel's "R0 !read_ok", also with logging off
  assert.throws(
    () => bpf.progLoad({ insns: Program.fromInsns([BPF_EXIT_INSN()]) }),
    (e: unknown) => e instanceof ProgLoadError && e.errno === "EACCES" && e.message === "EACCES: R0 !read_ok",
  );
  const old = new Bpf({ profile: "linux-3.18" });
  errno(
    () => old.progLoad({ insns: Program.fromInsns([BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), progType: 1 }),
    "EINVAL",
  );
});
