import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_JEQ,
  BPF_JMP_IMM,
  BPF_LD_IMM64,
  BPF_LD_MAP_FD,
  BPF_LD_MAP_VALUE,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_10,
  BPF_REG_2,
  BPF_ST_MEM,
  mapDef,
  Program,
} from "../core/isa/mod.ts";

Deno.test("isa: builders encode the kernel's struct bpf_insn layout", () => {
  const p = Program.fromInsns([
    BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
    BPF_ST_MEM(BPF_DW, BPF_REG_10, -8, 0),
    BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_2, 8),
    BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1),
    BPF_EXIT_INSN(),
  ]);
  assert.equal(p.len, 5);
  // 07 02 0000 f8ffffff
  assert.deepEqual([...p.bytes.subarray(0, 8)], [0x07, 0x02, 0x00, 0x00, 0xf8, 0xff, 0xff, 0xff]);
  // 7a 0a f8ff 00000000
  assert.deepEqual([...p.bytes.subarray(8, 16)], [0x7a, 0x0a, 0xf8, 0xff, 0, 0, 0, 0]);
  // 79 20 0800 ...: src in the high nibble
  assert.equal(p.bytes[17], 0x20);
  assert.equal(p.src(2), 2);
  assert.equal(p.dst(2), 0);
  assert.equal(p.off(2), 8);
  assert.equal(p.off(1), -8);
  assert.equal(p.imm(0), -8);
  assert.equal(p.code(4), 0x95);
});

Deno.test("isa: LD_IMM64 splits a 64-bit value over two slots", () => {
  const p = Program.fromInsns([BPF_LD_IMM64(BPF_REG_1, 0x1234567890abcdefn), BPF_EXIT_INSN()]);
  assert.equal(p.len, 3);
  assert.equal(p.code(0), 0x18);
  assert.equal(p.imm(0) >>> 0, 0x90abcdef);
  assert.equal(p.imm(1), 0x12345678);
  assert.equal(p.code(1), 0);
  const neg = Program.fromInsns([BPF_LD_IMM64(BPF_REG_1, -1)]);
  assert.equal(neg.imm(0), -1);
  assert.equal(neg.imm(1), -1);
});

Deno.test("isa: fields are truncated to their widths as a C struct would", () => {
  const p = Program.fromInsns([{ code: 0x1b7, dst: 17, src: 18, off: 0x18000, imm: 2 ** 32 + 5 }]);
  assert.equal(p.code(0), 0xb7);
  assert.equal(p.dst(0), 1);
  assert.equal(p.src(0), 2);
  assert.equal(p.off(0), -32768);
  assert.equal(p.imm(0), 5);
});

Deno.test("isa: zero-copy wrap of an aligned buffer, copy of an unaligned one", () => {
  const buf = new Uint8Array(24);
  buf[8] = 0xb7;
  const aligned = new Program(buf.subarray(8, 16));
  assert.equal(aligned.bytes.buffer, buf.buffer);
  assert.equal(aligned.code(0), 0xb7);
  const unaligned = new Program(new Uint8Array(buf.buffer, 1, 16));
  assert.notEqual(unaligned.bytes.buffer, buf.buffer);
  assert.throws(() => new Program(new Uint8Array(12)), /not a multiple of 8/);
});

Deno.test("isa: withMapFds patches imm and src_reg of fixup slots, leaving the original intact", () => {
  const p = Program.fromInsns([BPF_LD_MAP_FD(BPF_REG_1, 0), BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN()], {
    maps: [mapDef({ type: 1, keySize: 8, valueSize: 8, maxEntries: 4 })],
    fixups: [[0, 0]],
  });
  p.setSrc(0, 0);
  const q = p.withMapFds([7]);
  assert.equal(q.imm(0), 7);
  assert.equal(q.src(0), BPF_PSEUDO_MAP_FD);
  assert.equal(p.imm(0), 0);
  assert.equal(p.src(0), 0);
  assert.throws(() => p.withMapFds([]), /names map 0, but there are 0 maps/);
});

Deno.test("isa: withMapFds keeps BPF_PSEUDO_MAP_VALUE loads (global data) as value loads", () => {
  const p = Program.fromInsns([BPF_LD_MAP_VALUE(BPF_REG_1, 0, 16), BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN()], {
    maps: [mapDef({ type: 2, keySize: 4, valueSize: 32, maxEntries: 1 })],
    fixups: [[0, 0]],
  });
  const q = p.withMapFds([5]);
  assert.equal(q.imm(0), 5);
  assert.equal(q.src(0), BPF_PSEUDO_MAP_VALUE);
  assert.equal(q.imm(1), 16);
});
