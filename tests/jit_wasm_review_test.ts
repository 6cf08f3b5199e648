// Directed adversarial tests of the JIT's wasm tier (core/jit/wasm_*.ts): each
// program runs on the interpreter and on a Jit with `wasm: "always"`, and
// every observable result (r0, registers, counts, faults, ctx/packet/mem
// after the run, map contents) must be identical. Engines are reused across
// a sequence of inputs, as a `repeat` loop or a test run reuses them.
import assert from "node:assert/strict";
import { Jit, type JitOptions } from "../core/jit/mod.ts";
import { defaultHelpers, type HelperTable, Interpreter, type RunInput, type RunOptions } from "../core/vm/mod.ts";
import { type Insn, Program } from "../core/isa/mod.ts";
import { AddressSpace, mapProgramRegions } from "../core/vm/memory.ts";
import type { JitRuntime } from "../core/jit/jit.ts";
import { WasmTier } from "../core/jit/wasm_tier.ts";
import { FuncBody, Op } from "../core/jit/wasm_encode.ts";
import { tierModule } from "../core/jit/wasm_codegen.ts";

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95, 0, 0, 0, 0);
const lddw = (r: number, v: bigint): Insn[] => [
  I(0x18, r, 0, 0, Number(BigInt.asIntN(32, v))),
  I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
];
const hex = (
  b: Uint8Array | undefined,
) => (b === undefined ? undefined : Array.from(b, (x) => x.toString(16)).join(","));

interface Run {
  input?: RunInput;
  run?: RunOptions;
}

/** Run `prog` on both engines over `runs` (one engine each, reused), asserting identical results. */
function agree(prog: Program, runs: Run[], label: string, opts: JitOptions & { helpers?: HelperTable } = {}) {
  const interp = new Interpreter(prog, opts);
  const jit = new Jit(prog, { ...opts, wasm: "always" });
  assert.equal(jit.wasm, true, `${label}: the tier is on`);
  const out = (r: ReturnType<Interpreter["run"]>) => ({
    r0: r.r0,
    regs: r.regs,
    insns: r.insnsExecuted,
    fault: r.fault,
    output: r.output,
    ctx: hex(r.ctxOut),
    data: hex(r.dataOut),
    mem: hex(r.memOut),
  });
  runs.forEach((x, k) => {
    const copy = (): RunInput => ({
      ctx: x.input?.ctx?.slice(),
      data: x.input?.data?.slice(),
      mem: x.input?.mem?.slice(),
    });
    const ro = { clock: () => 1n, ...x.run, regs: true };
    let e: unknown, w: unknown;
    try {
      e = out(interp.run(copy(), ro));
    } catch (err) {
      e = `threw ${err}`;
    }
    try {
      w = out(jit.run(copy(), ro));
    } catch (err) {
      w = `threw ${err}`;
    }
    assert.deepEqual(w, e, `${label} (run ${k})`);
  });
}

Deno.test("wasm review: division and modulo edge cases (64/32 bit, signed/unsigned, register and immediate)", () => {
  const values = [0n, 1n, -1n, 7n, -7n, 1n << 63n, 0x80000000n, 0xffffffffn, 0x1_00000000n, 0xdead_0000_0000_0001n];
  const ops = [0x3f, 0x9f, 0x3c, 0x9c]; // div64, mod64, div32, mod32 (register forms)
  let n = 0;
  for (const op of ops) {
    for (const signed of [0, 1]) {
      for (const a of values) {
        for (const b of values) {
          const p = Program.fromInsns([
            ...lddw(1, a),
            ...lddw(2, b),
            I(op, 1, 2, signed, 0),
            I(0xbf, 0, 1, 0, 0),
            EXIT,
          ]);
          agree(p, [{}], `op ${op.toString(16)} s${signed} ${a} ${b}`);
          // linux-3.18 (no signed forms): its divisions are escapes, a division by zero ends the run with r0 = 0
          if (!signed) agree(p, [{}], `3.18 op ${op.toString(16)} ${a} ${b}`, { profile: "linux-3.18" });
          n++;
        }
        for (const imm of [0, -1, 1, 7, -7, -0x80000000]) {
          const p = Program.fromInsns([...lddw(1, a), I(op - 8, 1, 0, signed, imm), I(0xbf, 0, 1, 0, 0), EXIT]);
          agree(p, [{}], `op ${(op - 8).toString(16)} s${signed} ${a} imm ${imm}`);
          n++;
        }
      }
    }
  }
  assert.equal(n, 4 * 2 * 10 * 16);
});

Deno.test("wasm review: shifts by 0..65 and negative amounts, arsh32, movsx, byte swaps", () => {
  const values = [1n, -1n, 0x8000_0000_8000_0001n, 0x1234_5678_9abc_def0n];
  for (const a of values) {
    for (const op of [0x6f, 0x7f, 0xcf, 0x6c, 0x7c, 0xcc]) {
      for (const s of [0, 1, 31, 32, 33, 63, 64, 65, -1, 0x1_0000_0001]) {
        const reg = Program.fromInsns([...lddw(1, a), ...lddw(2, BigInt(s)), I(op, 1, 2, 0, 0), EXIT]);
        agree(reg, [{}], `shift ${op.toString(16)} ${a} by r ${s}`);
        const imm = Program.fromInsns([...lddw(1, a), I(op - 8, 1, 0, 0, s | 0), EXIT]);
        agree(imm, [{}], `shift ${(op - 8).toString(16)} ${a} by ${s | 0}`);
      }
    }
    for (const [code, off] of [[0xbf, 8], [0xbf, 16], [0xbf, 32], [0xbc, 8], [0xbc, 16]]) {
      agree(Program.fromInsns([...lddw(2, a), I(code, 1, 2, off, 0), EXIT]), [{}], `movsx ${code} ${off} ${a}`);
    }
    for (const [code, imm] of [[0xd4, 16], [0xd4, 32], [0xd4, 64], [0xdc, 16], [0xdc, 32], [0xdc, 64], [0xd7, 16]]) {
      agree(Program.fromInsns([...lddw(1, a), I(code, 1, 0, 0, imm), EXIT]), [{}], `end ${code} ${imm} ${a}`);
    }
    agree(Program.fromInsns([...lddw(1, a), I(0xd7, 1, 0, 0, 32), I(0x84, 1, 0, 0, 0), EXIT]), [{}], `bswap32 neg32`);
    agree(Program.fromInsns([...lddw(1, a), I(0xd7, 1, 0, 0, 64), I(0x87, 1, 0, 0, 0), EXIT]), [{}], `bswap64 neg64`);
  }
});

Deno.test("wasm review: JMP32 and JMP signed compares on values with different high words", () => {
  const values = [0n, -1n, 0xffff_ffffn, 0x8000_0000n, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 1n << 63n];
  for (const a of values) {
    for (const b of values) {
      for (const code of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
        for (const cls of [0x05, 0x06]) {
          const p = Program.fromInsns([
            ...lddw(1, a),
            ...lddw(2, b),
            I(0xb7, 0, 0, 0, 1),
            I(code | cls | 8, 1, 2, 1, 0),
            I(0xb7, 0, 0, 0, 2),
            EXIT,
          ]);
          agree(p, [{}], `jmp ${(code | cls | 8).toString(16)} ${a} ${b}`);
        }
      }
    }
  }
});

/** Accesses of every size at the edges of the memory buffer and stack frame 0, from bases moved before the block. */
Deno.test("wasm review: guarded accesses at the region ends (off by one, negative offsets, carries)", () => {
  const mems = [new Uint8Array(8), new Uint8Array(24).map((_, k) => k + 1), new Uint8Array(70_000).fill(3)];
  const sizes: Array<[number, number]> = [[0x79, 0x7b], [0x61, 0x63], [0x69, 0x6b], [0x71, 0x73], [0x81, 0x63]];
  for (const [ld, st] of sizes) {
    for (const move of [0, 1, -1, 7, 8, 16, 17, 23, 24, -8, 0x7fffffff, -0x80000000]) {
      for (const off of [-9, -8, -1, 0, 1, 7, 8, 16, 17, 20, 24]) {
        // r2 = r1 + move in a block of its own (a jump ends it), then store r3 at r2+off, load it back, load +1
        const p = Program.fromInsns([
          I(0xbf, 2, 1, 0, 0),
          I(0x07, 2, 0, 0, move),
          I(0xb7, 3, 0, 0, 0x5a5a5a5a),
          I(0x05, 0, 0, 0, 0),
          I(st, 2, 3, off, 0),
          I(ld, 0, 2, off, 0),
          I(ld, 4, 2, off + 1, 0),
          I(0x0f, 0, 4, 0, 0),
          EXIT,
        ]);
        agree(p, mems.map((mem) => ({ input: { mem } })), `mem ${ld.toString(16)} move ${move} off ${off}`);
      }
    }
    for (const off of [-513, -512, -511, -8, -7, -4, -2, -1, 0]) {
      const p = Program.fromInsns([
        I(0xb7, 3, 0, 0, -1),
        I(st, 10, 3, off, 0),
        I(ld, 0, 10, off, 0),
        I(ld, 4, 10, -8, 0),
        I(0x0f, 0, 4, 0, 0),
        EXIT,
      ]);
      agree(p, [{}, { input: { mem: mems[2] } }, {}], `stack ${ld.toString(16)} off ${off}`);
    }
  }
});

/** Budgets 1..n and none, on one engine each (the hand-over to `precise` at every point). */
const budgets = (n: number, input: RunInput = {}): Run[] => [
  ...Array.from({ length: n }, (_, k) => ({ input, run: { maxInsns: k + 1 } })),
  { input },
  { input, run: { maxInsns: 3 } },
  { input },
];

Deno.test("wasm review: local calls (fresh frames, pointers into the caller's frame) under every budget", () => {
  const prog = Program.fromInsns([
    I(0xb7, 6, 0, 0, 0),
    I(0x7b, 10, 6, -8, 0),
    I(0xbf, 1, 10, 0, 0), // loop: r1 = &frame0[-8]
    I(0x07, 1, 0, 0, -8),
    I(0x85, 0, 1, 0, 5), // call sub (insn 10)
    I(0x07, 6, 0, 0, 1),
    I(0xa5, 6, 0, -5, 5), // if r6 < 5 goto loop
    I(0x79, 0, 10, -8, 0),
    I(0x0f, 0, 7, 0, 0),
    EXIT,
    // sub: *(r1) += 3, its own frame's -16 (zero on every call) += that, r7 = a pointer into its frame, call sub2
    I(0x79, 2, 1, 0, 0),
    I(0x07, 2, 0, 0, 3),
    I(0x7b, 1, 2, 0, 0),
    I(0x79, 3, 10, -16, 0),
    I(0x0f, 3, 2, 0, 0),
    I(0x7b, 10, 3, -16, 0),
    I(0xbf, 2, 10, 0, 0),
    I(0x07, 2, 0, 0, -16),
    I(0x85, 0, 1, 0, 2), // call sub2 (insn 21) with r1 = caller's caller's slot, r2 = this frame's slot
    I(0x79, 0, 10, -16, 0),
    EXIT,
    // sub2: *(r2) += *(r1); its own frame at -512 (the far end) counts calls from 0
    I(0x79, 3, 1, 0, 0),
    I(0x79, 4, 2, 0, 0),
    I(0x0f, 4, 3, 0, 0),
    I(0x7b, 2, 4, 0, 0),
    I(0x79, 5, 10, -512, 0),
    I(0x07, 5, 0, 0, 1),
    I(0x7b, 10, 5, -512, 0),
    I(0xbf, 7, 5, 0, 0),
    EXIT,
  ]);
  agree(prog, budgets(140), "calls");
  agree(prog, budgets(40, { mem: new Uint8Array(100_000) }), "calls, large memory");
  // a fault at depth 2 after guarded stores (sub2 reads 4 KiB past the slot its caller's caller passed)
  const faulty = prog.insns().slice();
  faulty[21] = I(0x79, 3, 1, 4096, 0);
  agree(Program.fromInsns(faulty), budgets(30), "a fault in a subprogram");
  // the same 16 bytes past it: the block guard at depth 2 fails, precise runs on from there and faults
  faulty[21] = I(0x79, 3, 1, 16, 0);
  agree(Program.fromInsns(faulty), budgets(30), "a failed guard in a subprogram");
});

Deno.test("wasm review: helpers writing the stack and the memory buffer inside blocks with guarded accesses", () => {
  const helpers = () =>
    defaultHelpers().clone()
      .set(60, "poke", (e) => {
        const u8 = e.mem(1, 8);
        for (let k = 0; k < 8; k++) u8[e.memOff + k] ^= 0x11 * (k + 1);
        e.ret(e.arg(1) & 0xffffn);
      })
      .set(61, "peek", (e) => {
        const u8 = e.mem(2, 4);
        e.ret(u8[e.memOff] + 256 * u8[e.memOff + 3]);
      });
  // stores before the helper, loads after it, through r10, r1 at entry and a copy of it; twice, in a loop
  const prog = Program.fromInsns([
    I(0xbf, 9, 1, 0, 0),
    I(0xb7, 8, 0, 0, 2),
    I(0xb7, 3, 0, 0, 0x01020304), // loop
    I(0x7b, 10, 3, -8, 0),
    I(0x63, 9, 3, 4, 0),
    I(0x7b, 10, 3, -16, 0),
    I(0xbf, 1, 10, 0, 0),
    I(0x07, 1, 0, 0, -12),
    I(0x85, 0, 0, 0, 60),
    I(0x79, 4, 10, -8, 0),
    I(0x79, 5, 10, -16, 0),
    I(0x61, 6, 9, 4, 0),
    I(0x7b, 10, 4, -24, 0),
    I(0xbf, 1, 9, 0, 0),
    I(0x85, 0, 0, 0, 60),
    I(0x61, 7, 9, 4, 0),
    I(0x79, 2, 10, -24, 0),
    I(0x0f, 6, 7, 0, 0),
    I(0x0f, 6, 2, 0, 0),
    I(0xbf, 2, 9, 0, 0),
    I(0x85, 0, 0, 0, 61),
    I(0x0f, 0, 6, 0, 0),
    I(0x0f, 0, 5, 0, 0),
    I(0x17, 8, 0, 0, 1),
    I(0x55, 8, 0, -23, 0),
    EXIT,
  ]);
  const mem = new Uint8Array(16).map((_, k) => k * 3);
  agree(prog, budgets(70, { mem }), "poke", { helpers: helpers() });
  agree(prog, [{ input: { mem: new Uint8Array(8) } }, { input: { mem } }, {}], "poke, short buffer", {
    helpers: helpers(),
  });
});

Deno.test("wasm review: an engine stays right after faults, growth, hand-overs (a sequence of inputs)", () => {
  // r0 = mem[mem[0]] (faults past the end), sum of the stack slot written at -mem[1]-1 (faults below the frame)
  const prog = Program.fromInsns([
    I(0x71, 2, 1, 0, 0),
    I(0xbf, 3, 1, 0, 0),
    I(0x0f, 3, 2, 0, 0),
    I(0x71, 0, 3, 0, 0),
    I(0x71, 4, 1, 1, 0),
    I(0xbf, 5, 10, 0, 0),
    I(0x1f, 5, 4, 0, 0),
    I(0x73, 5, 0, -1, 0),
    I(0x71, 6, 5, -1, 0),
    I(0x0f, 0, 6, 0, 0),
    I(0x7b, 10, 0, -512, 0),
    I(0x79, 0, 10, -512, 0),
    EXIT,
  ]);
  const m = (n: number, a: number, b: number) => {
    const u8 = new Uint8Array(n).map((_, k) => k & 0xff);
    u8[0] = a, u8[1] = b;
    return { input: { mem: u8 } };
  };
  agree(prog, [
    m(4, 3, 0),
    m(4, 4, 0),
    m(300_000, 200, 255),
    m(256, 255, 255),
    m(256, 256 & 0xff, 200),
    { input: { data: new Uint8Array(20) } },
    m(2, 1, 1),
    { input: {} },
    m(4, 3, 0),
    { input: { mem: new Uint8Array(200_000) }, run: { maxInsns: 5 } },
    m(4, 3, 7),
  ], "sequence");
});

Deno.test("wasm review: guarded stack accesses in a subprogram (its own frame, its caller's) keep the tier", () => {
  // a loop calling a subprogram that stores to and loads from its own frame and its caller's (through r1)
  const prog = Program.fromInsns([
    I(0xb7, 6, 0, 0, 20_000),
    I(0xb7, 7, 0, 0, 0),
    I(0xbf, 1, 10, 0, 0), // loop
    I(0x07, 1, 0, 0, -8),
    I(0x85, 0, 1, 0, 5), // call sub (insn 10)
    I(0x0f, 7, 0, 0, 0),
    I(0x17, 6, 0, 0, 1),
    I(0x55, 6, 0, -6, 0),
    I(0x79, 0, 10, -8, 0),
    EXIT,
    // sub: its frame's -8 and -512 (zero on entry), the caller's slot at r1
    I(0x79, 2, 10, -8, 0),
    I(0x07, 2, 0, 0, 5),
    I(0x7b, 10, 2, -512, 0),
    I(0x79, 0, 10, -512, 0),
    I(0x79, 3, 1, 0, 0),
    I(0x0f, 3, 0, 0, 0),
    I(0x7b, 1, 3, 0, 0),
    EXIT,
  ]);
  agree(prog, [{}, { run: { maxInsns: 777 } }, {}], "subprogram frames");
  // the default choice: the tier after the first long run, kept (no guard fails in the subprogram)
  const j = new Jit(prog);
  const e = new Interpreter(prog).run({}, { regs: true });
  const seen: boolean[] = [];
  for (let k = 0; k < 8; k++) {
    const r = j.run({}, { regs: true });
    assert.deepEqual([r.r0, r.regs, r.insnsExecuted], [e.r0, e.regs, e.insnsExecuted]);
    seen.push(j.wasm);
  }
  assert.deepEqual(seen, [false, false, false, true, true, true, true, true]);
});

Deno.test("wasm review: immediate stores, atomics and converted ctx loads between guarded accesses", () => {
  const mem = new Uint8Array(32).map((_, k) => 0x10 + k);
  for (const st of [0x7a, 0x62, 0x6a, 0x72]) {
    for (const imm of [-1, 0x7fffffff, -0x80000000, 0x1234]) {
      // a store, an atomic on the same bytes (an escape), a store forwarded to the load after it, a dead store
      for (const atomic of [0x00, 0x01, 0xa1, 0xe1, 0xf1]) {
        const p = Program.fromInsns([
          I(0xb7, 0, 0, 0, 3),
          I(0xb7, 5, 0, 0, 0x55),
          I(st, 1, 0, 8, imm),
          I(st, 10, 0, -16, imm),
          I(0xdb, 1, 5, 8, atomic),
          I(0xdb, 10, 5, -16, atomic),
          I(0x79, 2, 1, 8, 0),
          I(0x79, 3, 10, -16, 0),
          I(st, 1, 0, 16, imm),
          I(0x71, 4, 1, 17, 0),
          I(0x7a, 1, 0, 24, 7),
          I(st, 1, 0, 24, imm),
          I(0x0f, 0, 2, 0, 0),
          I(0x0f, 0, 3, 0, 0),
          I(0x0f, 0, 4, 0, 0),
          I(0x0f, 0, 5, 0, 0),
          EXIT,
        ]);
        agree(p, [{ input: { mem } }, { input: { mem: mem.subarray(0, 20) } }], `st ${st} ${imm} atomic ${atomic}`);
      }
    }
  }
  // a socket filter's converted __sk_buff loads (data, data_end) between stores to the ctx and the packet
  const skb = Program.fromInsns([
    I(0x62, 1, 0, 76, 0x777),
    I(0x61, 2, 1, 76, 0),
    I(0x61, 3, 1, 80, 0),
    I(0x79, 4, 1, 76, 0),
    I(0xbf, 5, 2, 0, 0),
    I(0x07, 5, 0, 0, 4),
    I(0x2d, 5, 3, 2, 0),
    I(0x61, 0, 2, 0, 0),
    I(0x63, 2, 4, 0, 0),
    I(0x0f, 0, 4, 0, 0),
    EXIT,
  ]);
  agree(skb, [{ input: { data: new Uint8Array(16).fill(9) } }, { input: { data: new Uint8Array(2) } }], "skb", {
    progType: 1,
  });
});

Deno.test("wasm review: a trap in the tier's code ends the run as a fault, not an exception", () => {
  // a module whose `fast` traps at once, run through the tier's entry as a Jit would
  const body = new FuncBody(1);
  body.op(Op.unreachable);
  const bytes = tierModule(body);
  const space = new AddressSpace();
  const R = { lo: new Int32Array(11), hi: new Int32Array(11), msg: null, pc: 7 } as unknown as JitRuntime;
  new WasmTier(
    new WebAssembly.Module(bytes),
    { bytes, escapes: [], maxDepth: 0 },
    R,
    mapProgramRegions(space, []),
    space,
  );
  assert.equal(R.wasm(100), 0);
  assert.match(R.msg!, /^jit: the wasm tier trapped: /);
  assert.equal(R.pc, 0);
});

Deno.test("wasm review: an input the wasm memory cannot grow to stays outside it and runs on the checked path", () => {
  // r0 = the byte at mem[mem[0] * 1000] (faults past the end): the inputs are larger than the tier's first memory
  const prog = Program.fromInsns([
    I(0x71, 2, 1, 0, 0),
    I(0x27, 2, 0, 0, 1000),
    I(0x0f, 1, 2, 0, 0),
    I(0x71, 0, 1, 0, 0),
    EXIT,
  ]);
  const m = (n: number, a: number) => {
    const u8 = new Uint8Array(n).map((_, k) => (k * 7) & 0xff);
    u8[0] = a;
    return { input: { mem: u8 } };
  };
  const grow = WebAssembly.Memory.prototype.grow;
  let refused = 0;
  WebAssembly.Memory.prototype.grow = function () {
    refused++;
    throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");
  };
  try {
    agree(prog, [m(300_000, 200), m(300_000, 255), m(4, 0), m(400_000, 255)], "grow refused");
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
  }
  assert.ok(refused >= 3, `the memory was asked to grow (${refused})`);
});
