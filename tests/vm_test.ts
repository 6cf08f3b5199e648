// Interpreter semantics: every instruction class, memory faults, limits,
// local calls, atomics, JMP32, LD_ABS/LD_IND, helpers, profiles.
import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_ALU32_IMM,
  BPF_ALU32_REG,
  BPF_ALU64_IMM,
  BPF_ALU64_IMM_OFF,
  BPF_ALU64_REG,
  BPF_AND,
  BPF_ATOMIC_OP,
  BPF_B,
  BPF_BSWAP,
  BPF_CALL_REL,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_END,
  BPF_ENDIAN,
  BPF_EXIT_INSN,
  BPF_FETCH,
  BPF_H,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP32_A,
  BPF_JMP32_IMM,
  BPF_JMP32_REG,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_JMP_REG,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGT,
  BPF_JSLT,
  BPF_LD_ABS,
  BPF_LD_IMM64,
  BPF_LD_IND,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_LDX_MEMSX,
  BPF_LSH,
  BPF_MOD,
  BPF_MOV32_IMM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_MOVSX64_REG,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RAW_INSN,
  BPF_RSH,
  BPF_ST_MEM,
  BPF_STX_MEM,
  BPF_SUB,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_XCHG,
  BPF_XOR,
  type Insn,
  Program,
} from "../core/isa/mod.ts";
import { createMap } from "../core/maps/mod.ts";
import { createVm } from "../core/jit/mod.ts";
import {
  formatPrintk,
  HelperTable,
  Interpreter,
  type RunInput,
  type RunOptions,
  type RunResult,
} from "../core/vm/mod.ts";

type Slots = ReadonlyArray<Insn | ReadonlyArray<Insn>>;
function run(insns: Slots, input: RunInput = {}, opts: RunOptions = {}, profile?: "modern" | "linux-3.18"): RunResult {
  return new Interpreter(Program.fromInsns(insns), { profile }).run(input, { regs: true, ...opts });
}
function r0(insns: Slots, input: RunInput = {}, profile?: "modern" | "linux-3.18"): bigint {
  const r = run(insns, input, {}, profile);
  assert.equal(r.fault, null, r.fault?.message);
  return r.r0;
}
const EXIT = BPF_EXIT_INSN();
const M = (1n << 64n) - 1n;

Deno.test("ALU64: imm sign-extended, add/sub carry, mul, div/mod by zero, shifts masked, neg", () => {
  assert.equal(r0([BPF_MOV64_IMM(0, -1), EXIT]), M);
  assert.equal(r0([BPF_LD_IMM64(0, 0xffffffffn), BPF_ALU64_IMM(BPF_ADD, 0, 1), EXIT]), 0x100000000n);
  assert.equal(r0([BPF_MOV64_IMM(0, 0), BPF_ALU64_IMM(BPF_SUB, 0, 1), EXIT]), M);
  assert.equal(
    r0([BPF_LD_IMM64(0, 0x123456789abcdefn), BPF_LD_IMM64(1, 0xfedcba987654321n), BPF_ALU64_REG(BPF_MUL, 0, 1), EXIT]),
    (0x123456789abcdefn * 0xfedcba987654321n) & M,
  );
  assert.equal(r0([BPF_MOV64_IMM(0, 7), BPF_MOV64_IMM(1, 0), BPF_ALU64_REG(BPF_DIV, 0, 1), EXIT]), 0n);
  assert.equal(r0([BPF_MOV64_IMM(0, 7), BPF_MOV64_IMM(1, 0), BPF_ALU64_REG(BPF_MOD, 0, 1), EXIT]), 7n);
  assert.equal(
    r0([BPF_LD_IMM64(0, M), BPF_LD_IMM64(1, 0x100000000n), BPF_ALU64_REG(BPF_DIV, 0, 1), EXIT]),
    0xffffffffn,
  );
  assert.equal(r0([BPF_LD_IMM64(0, M), BPF_ALU64_IMM(BPF_DIV, 0, -2), EXIT]), 1n, "imm -2 is 0xffff...fffe, unsigned");
  assert.equal(r0([BPF_MOV64_IMM(0, 1), BPF_MOV64_IMM(1, 65), BPF_ALU64_REG(BPF_LSH, 0, 1), EXIT]), 2n, "count & 63");
  assert.equal(r0([BPF_MOV64_IMM(0, -16), BPF_ALU64_IMM(0xc0, 0, 2), EXIT]), M - 3n, "arsh");
  assert.equal(r0([BPF_MOV64_IMM(0, -16), BPF_ALU64_IMM(BPF_RSH, 0, 60), EXIT]), 15n);
  assert.equal(r0([BPF_MOV64_IMM(0, 5), BPF_ALU64_IMM(BPF_NEG, 0, 0), EXIT]), M - 4n);
  assert.equal(
    r0([
      BPF_LD_IMM64(0, 0xff00ff00ff00ff00n),
      BPF_ALU64_IMM(BPF_AND, 0, 0x0ff0),
      BPF_ALU64_IMM(BPF_OR, 0, 1),
      BPF_ALU64_IMM(BPF_XOR, 0, 3),
      EXIT,
    ]),
    0xf02n,
  );
});

Deno.test("ALU32: zero-extension, div/mod by zero, INT_MIN sdiv -1, smod", () => {
  assert.equal(r0([BPF_MOV64_IMM(0, -1), BPF_ALU32_IMM(BPF_ADD, 0, 1), EXIT]), 0n);
  assert.equal(r0([BPF_MOV32_IMM(0, -1), EXIT]), 0xffffffffn);
  assert.equal(
    r0([BPF_LD_IMM64(0, 0x1234567800000009n), BPF_LD_IMM64(1, 0x500000000n), BPF_ALU32_REG(BPF_MOD, 0, 1), EXIT]),
    9n,
    "w1 = 0: mod leaves the low 32 bits",
  );
  assert.equal(
    r0([BPF_LD_IMM64(0, 0x1234567800000009n), BPF_LD_IMM64(1, 0x500000000n), BPF_ALU32_REG(BPF_DIV, 0, 1), EXIT]),
    0n,
  );
  assert.equal(
    r0([BPF_MOV32_IMM(0, 0x80000000), BPF_RAW_INSN(0x34, 0, 0, 1, -1), EXIT]),
    0x80000000n,
    "sdiv32 INT_MIN / -1",
  );
  assert.equal(r0([BPF_MOV32_IMM(0, -7), BPF_RAW_INSN(0x94, 0, 0, 1, 2), EXIT]), 0xffffffffn, "smod32 -7 % 2 = -1");
  assert.equal(
    r0([BPF_LD_IMM64(0, 1n << 63n), BPF_ALU64_IMM_OFF(BPF_DIV, 0, -1, 1), EXIT]),
    1n << 63n,
    "sdiv64 INT_MIN / -1",
  );
  assert.equal(r0([BPF_MOV64_IMM(0, -7), BPF_ALU64_IMM_OFF(BPF_MOD, 0, 2, 1), EXIT]), M, "smod64");
  assert.equal(r0([BPF_MOV64_IMM(0, 1), BPF_MOV64_IMM(1, 33), BPF_ALU32_REG(BPF_LSH, 0, 1), EXIT]), 2n, "count & 31");
});

Deno.test("byte swaps, movsx, LD_IMM64", () => {
  const v = BPF_LD_IMM64(0, 0x1122334455667788n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_LE, 0, 16), EXIT]), 0x7788n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_LE, 0, 32), EXIT]), 0x55667788n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_LE, 0, 64), EXIT]), 0x1122334455667788n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_BE, 0, 16), EXIT]), 0x8877n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_BE, 0, 32), EXIT]), 0x88776655n);
  assert.equal(r0([v, BPF_ENDIAN(BPF_TO_BE, 0, 64), EXIT]), 0x8877665544332211n);
  assert.equal(r0([v, BPF_BSWAP(0, 64), EXIT]), 0x8877665544332211n);
  assert.equal(r0([v, BPF_BSWAP(0, 16), EXIT]), 0x8877n);
  assert.equal(r0([BPF_MOV64_IMM(1, 0x80), BPF_MOVSX64_REG(0, 1, 8), EXIT]), M - 0x7fn);
  assert.equal(
    r0([BPF_MOV64_IMM(1, 0x8000), BPF_RAW_INSN(0xbc, 0, 1, 16, 0), EXIT]),
    0xffff8000n,
    "movsx32 zero-extends",
  );
  assert.equal(r0([BPF_MOV32_IMM(1, 0x80000000), BPF_MOVSX64_REG(0, 1, 32), EXIT]), 0xffffffff80000000n);
  assert.equal(
    run([BPF_RAW_INSN(BPF_END | 0x04, 0, 0, 0, 8), EXIT]).fault?.message,
    "insn 0: invalid byte swap width 8",
  );
});

Deno.test("jumps: 64-bit signed/unsigned, JSET, JMP32, goto, gotol", () => {
  const pick = (j: Insn) =>
    r0([BPF_MOV64_IMM(1, -1), BPF_MOV64_IMM(2, 1), BPF_MOV64_IMM(0, 0), j, EXIT, BPF_MOV64_IMM(0, 1), EXIT]);
  assert.equal(pick(BPF_JMP_REG(BPF_JGT, 1, 2, 1)), 1n, "-1 >u 1");
  assert.equal(pick(BPF_JMP_REG(BPF_JSGT, 1, 2, 1)), 0n, "-1 >s 1 is false");
  assert.equal(pick(BPF_JMP_REG(BPF_JSLT, 1, 2, 1)), 1n);
  assert.equal(pick(BPF_JMP_IMM(BPF_JEQ, 1, -1, 1)), 1n, "imm sign-extended");
  assert.equal(pick(BPF_JMP_IMM(BPF_JSET, 2, 2, 1)), 0n);
  assert.equal(pick(BPF_JMP32_IMM(BPF_JEQ, 1, -1, 1)), 1n);
  assert.equal(pick(BPF_JMP_REG(0xa0, 2, 1, 1)), 1n, "jlt unsigned");
  const hiOnly = [BPF_LD_IMM64(1, 0x100000005n), BPF_MOV64_IMM(0, 0)];
  assert.equal(
    r0([...hiOnly, BPF_JMP32_IMM(BPF_JEQ, 1, 5, 1), EXIT, BPF_MOV64_IMM(0, 1), EXIT]),
    1n,
    "JMP32 ignores the high half",
  );
  assert.equal(r0([...hiOnly, BPF_JMP_IMM(BPF_JEQ, 1, 5, 1), EXIT, BPF_MOV64_IMM(0, 1), EXIT]), 0n);
  assert.equal(
    r0([
      BPF_MOV64_IMM(1, 3),
      BPF_MOV64_IMM(2, 4),
      BPF_MOV64_IMM(0, 0),
      BPF_JMP32_REG(BPF_JNE, 1, 2, 1),
      EXIT,
      BPF_MOV64_IMM(0, 1),
      EXIT,
    ]),
    1n,
  );
  assert.equal(r0([BPF_MOV64_IMM(0, 1), BPF_JMP_A(1), BPF_MOV64_IMM(0, 2), EXIT]), 1n);
  assert.equal(r0([BPF_MOV64_IMM(0, 1), BPF_JMP32_A(1), BPF_MOV64_IMM(0, 2), EXIT]), 1n);
});

Deno.test("memory: stack, MEMSX, ST imm, mem buffer; r10 and the input addresses are documented", () => {
  const r = run([
    BPF_ST_MEM(BPF_DW, 10, -8, -2),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    BPF_LDX_MEMSX(BPF_B, 3, 10, -8),
    BPF_LDX_MEMSX(BPF_H, 4, 10, -8),
    BPF_LDX_MEMSX(BPF_W, 5, 10, -8),
    BPF_LDX_MEM(BPF_H, 6, 10, -8),
    BPF_LDX_MEM(BPF_B, 7, 1, 1),
    BPF_STX_MEM(BPF_B, 1, 7, 0),
    EXIT,
  ], { mem: new Uint8Array([1, 2, 3]) });
  assert.equal(r.fault, null);
  assert.equal(r.r0, M - 1n);
  assert.deepEqual(r.regs!.slice(3, 8), [M - 1n, M - 1n, M - 1n, 0xfffen, 2n]);
  assert.equal(r.regs![10], 0x0000100000000200n);
  assert.equal(r.regs![1], 0x0000100a00000000n);
  assert.equal(r.regs![2], 3n);
  assert.deepEqual(r.memOut, new Uint8Array([2, 2, 3]));
});

Deno.test("memory faults name the insn, address, size and nearest region; no exception", () => {
  let r = run([BPF_LDX_MEM(BPF_DW, 0, 10, 0), EXIT]);
  assert.equal(r.r0, 0n);
  assert.equal(r.insnsExecuted, 1);
  assert.deepEqual(r.fault, {
    pc: 0,
    message:
      "insn 0: invalid read of 8 bytes at 0x0000100000000200: nearest region: stack frame 0 [0x0000100000000000, 0x0000100000000200), 0 bytes past its end",
  });
  r = run([BPF_MOV64_IMM(0, 0), BPF_STX_MEM(BPF_W, 10, 0, -516), EXIT]);
  assert.equal(
    r.fault!.message,
    "insn 1: invalid write of 4 bytes at 0x00000ffffffffffc: nearest region: stack frame 0 [0x0000100000000000, 0x0000100000000200), 4 bytes before its start",
  );
  r = run([BPF_LD_MAP_FD(1, 3), BPF_LDX_MEM(BPF_B, 0, 1, 0), EXIT]);
  r = run([BPF_MOV64_IMM(1, 0), BPF_LDX_MEM(BPF_B, 0, 1, 0), EXIT]);
  assert.match(
    r.fault!.message,
    /^insn 1: invalid read of 1 bytes at 0x0000000000000000: nearest region: stack frame 0/,
  );
  r = run([BPF_LDX_MEM(BPF_W, 0, 1, 2), EXIT], { mem: new Uint8Array(5) });
  assert.match(
    r.fault!.message,
    /memory buffer \[0x0000100a00000000, 0x0000100a00000005\), the access runs 1 bytes past its end/,
  );
  r = run([BPF_LD_MAP_FD(1, 7), BPF_LDX_MEM(BPF_B, 0, 1, 0), EXIT]);
  assert.match(r.fault!.message, /^insn 0: LD_IMM64: fd 7 is not a map/);
});

Deno.test("invalid programs fault instead of throwing", () => {
  assert.equal(
    run([BPF_MOV64_IMM(0, 1)]).fault?.message,
    "insn 1: fell off the end of the program (insn 0 is not an exit or a jump)",
  );
  assert.equal(run([BPF_JMP_A(5), EXIT]).fault?.message, "insn 0: jump out of range to insn 6 (program has 2 insns)");
  assert.equal(run([BPF_RAW_INSN(0xff, 0, 0, 0, 0), EXIT]).fault?.message, "insn 0: unknown opcode 0xff");
  assert.equal(run([BPF_MOV64_IMM(11, 0), EXIT]).fault?.message, "insn 0: invalid dst register r11 (opcode 0xb7)");
  assert.equal(run([BPF_EMIT_CALL(999), EXIT]).fault?.message, "insn 0: unknown helper function 999");
  const r = run([BPF_LD_IMM64(0, 1n), BPF_JMP_A(-2), EXIT]);
  assert.equal(r.fault?.message, "insn 1: jumped into the second slot of an LD_IMM64");
});

Deno.test("instruction limit", () => {
  const r = run([BPF_MOV64_IMM(0, 0), BPF_JMP_A(-1), EXIT], {}, { maxInsns: 1000 });
  assert.equal(r.insnsExecuted, 1000);
  assert.equal(r.fault?.message, "insn 1: instruction limit of 1000 executed instructions reached");
});

Deno.test("local calls: pc+imm+1, r6-r9 callee-saved, own r10 per frame, depth limit 8", () => {
  const r = run([
    BPF_MOV64_IMM(6, 60),
    BPF_MOV64_IMM(1, 5),
    BPF_CALL_REL(3), // -> 6
    BPF_ALU64_REG(BPF_ADD, 0, 6), // r0 = 10 + 60
    BPF_MOV64_REG(9, 10),
    EXIT,
    BPF_MOV64_IMM(6, 1000), // callee clobbers r6
    BPF_STX_MEM(BPF_DW, 10, 1, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    BPF_ALU64_REG(BPF_ADD, 0, 1),
    BPF_MOV64_REG(8, 10),
    BPF_MOV64_REG(5, 10),
    EXIT,
  ]);
  assert.equal(r.fault, null);
  assert.equal(r.r0, 70n);
  assert.equal(r.regs![6], 60n);
  assert.equal(r.regs![8], 0n, "r8 is callee-saved: restored");
  assert.equal(r.regs![5], 0x0000100100000200n, "the callee's r10 is the top of frame 1");
  assert.equal(r.regs![9], 0x0000100000000200n);
  const deep = run([BPF_CALL_REL(-1), EXIT]);
  assert.equal(deep.fault?.message, "insn 0: call stack too deep (at most 8 frames)");
  assert.equal(deep.insnsExecuted, 8);
});

Deno.test("atomics 32/64: add, fetch or/and/xor, xchg, cmpxchg", () => {
  const setup = [BPF_LD_IMM64(1, 0x00000001_000000f0n), BPF_STX_MEM(BPF_DW, 10, 1, -8)];
  let r = run([
    ...setup,
    BPF_MOV64_IMM(2, 0x10),
    BPF_ATOMIC_OP(BPF_DW, BPF_ADD, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    EXIT,
  ]);
  assert.equal(r.r0, 0x1_00000100n);
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 0x0f),
    BPF_ATOMIC_OP(BPF_W, BPF_OR | BPF_FETCH, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    EXIT,
  ]);
  assert.equal(r.r0, 0x1_000000ffn);
  assert.equal(r.regs![2], 0xf0n, "fetch returns the old 32-bit value");
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 0x30),
    BPF_ATOMIC_OP(BPF_DW, BPF_AND | BPF_FETCH, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    EXIT,
  ]);
  assert.deepEqual([r.r0, r.regs![2]], [0x30n, 0x1_000000f0n]);
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 0xff),
    BPF_ATOMIC_OP(BPF_DW, BPF_XOR | BPF_FETCH, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    EXIT,
  ]);
  assert.equal(r.r0, 0x1_0000000fn);
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 7),
    BPF_ATOMIC_OP(BPF_DW, BPF_XCHG, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 0, 10, -8),
    EXIT,
  ]);
  assert.deepEqual([r.r0, r.regs![2]], [7n, 0x1_000000f0n]);
  // cmpxchg: r0 compared with memory; r0 = old either way
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 9),
    BPF_MOV64_IMM(0, 1),
    BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 3, 10, -8),
    EXIT,
  ]);
  assert.deepEqual([r.r0, r.regs![3]], [0x1_000000f0n, 0x1_000000f0n]);
  r = run([
    ...setup,
    BPF_MOV64_IMM(2, 9),
    BPF_MOV64_IMM(0, 0xf0),
    BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 2, -8),
    BPF_LDX_MEM(BPF_DW, 3, 10, -8),
    EXIT,
  ]);
  assert.deepEqual([r.r0, r.regs![3]], [0xf0n, 0x1_00000009n]);
});

Deno.test("LD_ABS/LD_IND: big-endian packet reads, r6 must be ctx, out of range returns 0", () => {
  const data = new Uint8Array([0x45, 0x00, 0x00, 0x54, 0xaa, 0xbb]);
  const pre = [BPF_MOV64_REG(6, 1)];
  assert.equal(r0([...pre, BPF_LD_ABS(BPF_W, 0), EXIT], { data }), 0x45000054n);
  assert.equal(r0([...pre, BPF_LD_ABS(BPF_H, 4), EXIT], { data }), 0xaabbn);
  assert.equal(r0([...pre, BPF_MOV64_IMM(2, 3), BPF_LD_IND(BPF_B, 2, 2), EXIT], { data }), 0xbbn);
  let r = run([...pre, BPF_MOV64_IMM(0, 5), BPF_LD_ABS(BPF_W, 4), BPF_MOV64_IMM(0, 9), EXIT], { data });
  assert.deepEqual([r.r0, r.fault, r.insnsExecuted], [0n, null, 3]);
  r = run([BPF_LD_ABS(BPF_B, 0), EXIT], { data });
  assert.match(r.fault!.message, /^insn 0: LD_ABS\/LD_IND needs r6 = the ctx pointer/);
});

Deno.test("linux-3.18 profile: div/mod by zero returns 0, 32-bit divisor, r0 truncated", () => {
  const L = "linux-3.18" as const;
  const r = run(
    [BPF_MOV64_IMM(0, 7), BPF_MOV64_IMM(1, 0), BPF_ALU64_REG(BPF_MOD, 0, 1), BPF_MOV64_IMM(0, 3), EXIT],
    {},
    {},
    L,
  );
  assert.deepEqual([r.r0, r.fault, r.insnsExecuted], [0n, null, 3]);
  assert.equal(
    r0([BPF_LD_IMM64(0, 0x500000000n), BPF_LD_IMM64(1, 0x100000002n), BPF_ALU64_REG(BPF_DIV, 0, 1), EXIT], {}, L),
    0x80000000n,
  );
  assert.equal(r0([BPF_LD_IMM64(0, 0x1234567887654321n), EXIT], {}, L), 0x87654321n);
  assert.equal(r0([BPF_EMIT_CALL(0), EXIT], {}, L), 0n, "the 3.18 test stub helper");
  assert.equal(run([BPF_EMIT_CALL(0), EXIT]).fault?.message, "insn 0: unknown helper function 0");
});

Deno.test("helpers: trace_printk, prandom (seeded), smp id, ktime (fixed clock), embedder helper", () => {
  const s = "a=%d u=%u x=%llx %%\n\0";
  const b = new TextEncoder().encode(s.padEnd(40, "\0"));
  const dv = new DataView(b.buffer);
  const insns: Slots = [
    ...Array.from(
      { length: 5 },
      (_, i) => [BPF_LD_IMM64(1, dv.getBigUint64(i * 8, true)), BPF_STX_MEM(BPF_DW, 10, 1, -48 + i * 8)],
    ).flat(),
    BPF_MOV64_IMM(1, 0x6968), // "hi"
    BPF_STX_MEM(BPF_DW, 10, 1, -56),
    BPF_MOV64_REG(1, 10),
    BPF_ALU64_IMM(BPF_ADD, 1, -48),
    BPF_MOV64_IMM(2, 40),
    BPF_MOV64_IMM(3, -5),
    BPF_MOV64_IMM(4, -5),
    BPF_LD_IMM64(5, 0xabcdef0123n),
    BPF_EMIT_CALL(6),
    EXIT,
  ];
  const r = run(insns);
  assert.equal(r.fault, null, r.fault?.message);
  assert.deepEqual(r.output, ["a=-5 u=4294967291 x=abcdef0123 %"]);
  assert.equal(r.r0, 33n, "trace_printk returns the bytes written");
  const mem = { str: () => "hi", bytes: () => null };
  assert.equal(formatPrintk("[%5d|%-4s|%08x]", [42n, 0n, 0xbeefn], mem), "[   42|hi  |0000beef]");
  assert.equal(formatPrintk("%c|%lld|%px|%+d|% d", [65n, -1n, 0x1234n]), -22, "at most 3 arguments");
  assert.equal(formatPrintk("%c|%lld|%px", [65n, -1n, 0x1234n]), "A|-1|0000000000001234");
  assert.equal(formatPrintk("%+d|% d|%o", [5n, 5n, 8n]), -22, "no %o");
  assert.equal(formatPrintk("%+d|% d", [5n, 5n]), "+5| 5");
  assert.equal(formatPrintk("%s:%lu", [0n, M], mem), "hi:18446744073709551615");
  const rnd = (seed: number) => run([BPF_EMIT_CALL(7), EXIT], {}, { seed }).r0;
  assert.equal(rnd(1), rnd(1));
  assert.notEqual(rnd(1), rnd(2));
  assert.equal(rnd(1), 270369n, "xorshift32 from seed 1");
  assert.equal(r0([BPF_EMIT_CALL(8), EXIT]), 0n);
  assert.equal(run([BPF_EMIT_CALL(5), EXIT], {}, { clock: () => 123n }).r0, 123n);
  for (const engine of ["interp", "jit"] as const) {
    // a clock given to one run is not kept for the next (which reads the real clock)
    const vm = createVm(Program.fromInsns([BPF_EMIT_CALL(5), EXIT]), {}, engine);
    assert.equal(vm.run({}, { clock: () => 42n }).r0, 42n);
    assert.notEqual(vm.run({}).r0, 42n, engine);
  }
  const helpers = new HelperTable().set(100, "answer", (e) => e.ret(e.arg(1) + 42n));
  const vm = new Interpreter(Program.fromInsns([BPF_MOV64_IMM(1, 1), BPF_EMIT_CALL(100), EXIT]), { helpers });
  assert.equal(vm.run().r0, 43n);
});

Deno.test("map helpers: lookup returns a pointer to the value, a region of its own; past it faults naming it", () => {
  const m = createMap({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4, name: "h" });
  m.update(new Uint8Array(4), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
  const key0 = [BPF_ST_MEM(BPF_W, 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, -4)];
  const prog = (tail: Slots) =>
    new Interpreter(Program.fromInsns([...key0, BPF_LD_MAP_FD(1, 3), BPF_EMIT_CALL(1), ...tail, EXIT]), {
      resolveMap: (fd) => (fd === 3 ? m : undefined),
    });
  const r = prog([BPF_LDX_MEM(BPF_DW, 6, 0, 0), BPF_ST_MEM(BPF_DW, 0, 0, 5)]).run({}, { regs: true });
  assert.equal(r.fault, null, r.fault?.message);
  assert.deepEqual([r.regs![0], r.regs![6]], [0x100bn << 32n, 1n], "the first dynamic region after 0 array maps");
  assert.deepEqual(m.lookup(new Uint8Array(4)), new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]));
  // the value's chunk has 16 slots of 8 bytes, but the next slot is not reachable from this value
  assert.equal(prog([BPF_LDX_MEM(BPF_W, 0, 0, 4)]).run().fault, null);
  for (const off of [8, 120, 128, -8]) {
    assert.match(
      prog([BPF_LDX_MEM(BPF_DW, 0, 0, off)]).run().fault!.message,
      /^insn 6: invalid read of 8 bytes at 0x0000100\w{9}: nearest region: value of map "h" \(slot 0\) \[0x0000100b00000000, 0x0000100b00000008\)/,
      `off ${off}`,
    );
  }
});
