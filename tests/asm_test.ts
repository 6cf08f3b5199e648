import assert from "node:assert/strict";
import { FormatError } from "../core/errors.ts";
import { type Insn, mapDef, Program } from "../core/isa/mod.ts";
import { assemble, disassemble, kernelInsnText, llvmInsnText } from "../core/asm/mod.ts";
import { kernel618InsnText } from "../core/asm/kernel618.ts";
import { decodeProgram } from "../core/formats/mod.ts";

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ins(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

function prog(...xs: Insn[]): Program {
  return Program.fromInsns(xs);
}

// ---------------------------------------------------------------------------
// every valid RFC 9669 opcode, with a generator of well-formed random fields
// ---------------------------------------------------------------------------

type Gen = (r: () => number) => Insn[];

function validOpcodes(): Map<number, Gen> {
  const m = new Map<number, Gen>();
  const reg = (r: () => number) => Math.floor(r() * 11);
  const s16 = (r: () => number) => Math.floor(r() * 65536) - 32768;
  const s32 = (r: () => number) => {
    const k = r();
    if (k < 0.2) return Math.floor(r() * 33) - 16;
    return (Math.floor(r() * 4294967296) | 0);
  };
  const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  for (const cls of [0x04, 0x07]) {
    for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]) {
      const signed = op === 0x30 || op === 0x90;
      m.set(cls | op, (r) => [ins(cls | op, reg(r), 0, signed ? pick(r, [0, 1]) : 0, s32(r))]);
      m.set(cls | op | 8, (r) => {
        let off = signed ? pick(r, [0, 1]) : 0;
        if (op === 0xb0) off = pick(r, cls === 7 ? [0, 8, 16, 32] : [0, 8, 16]);
        return [ins(cls | op | 8, reg(r), reg(r), off, 0)];
      });
    }
    m.set(cls | 0x80, (r) => [ins(cls | 0x80, reg(r))]);
  }
  for (const code of [0xd4, 0xdc, 0xd7]) m.set(code, (r) => [ins(code, reg(r), 0, 0, pick(r, [16, 32, 64]))]);
  for (const cls of [0x05, 0x06]) {
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      m.set(cls | op, (r) => [ins(cls | op, reg(r), 0, s16(r), s32(r))]);
      m.set(cls | op | 8, (r) => [ins(cls | op | 8, reg(r), reg(r), s16(r), 0)]);
    }
  }
  m.set(0x05, (r) => [ins(0x05, 0, 0, s16(r), 0)]);
  m.set(0x06, (r) => [ins(0x06, 0, 0, 0, s32(r))]);
  m.set(0x85, (r) => [ins(0x85, 0, pick(r, [0, 1, 2]), 0, s32(r))]);
  m.set(0x95, () => [ins(0x95)]);
  m.set(0xe5, (r) => [ins(0xe5, 0, 0, s16(r), 0)]); // may_goto
  m.set(0x18, (r) => {
    const src = pick(r, [0, 1, 2, 3, 4, 5, 6]);
    const hi = src === 0 || src === 2 || src === 6 ? s32(r) : 0;
    return [ins(0x18, reg(r), src, 0, s32(r)), ins(0, 0, 0, 0, hi)];
  });
  for (const size of [0x00, 0x08, 0x10]) {
    m.set(0x20 | size, (r) => [ins(0x20 | size, 0, 0, 0, s32(r))]);
    m.set(0x40 | size, (r) => [ins(0x40 | size, 0, reg(r), 0, s32(r))]);
    m.set(0x81 | size, (r) => [ins(0x81 | size, reg(r), reg(r), s16(r), 0)]);
  }
  for (const size of [0x00, 0x08, 0x10, 0x18]) {
    m.set(0x61 | size, (r) => [ins(0x61 | size, reg(r), reg(r), s16(r), 0)]);
    m.set(0x62 | size, (r) => [ins(0x62 | size, reg(r), 0, s16(r), s32(r))]);
    m.set(0x63 | size, (r) => [ins(0x63 | size, reg(r), reg(r), s16(r), 0)]);
  }
  const atomics = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
  for (const code of [0xc3, 0xdb]) m.set(code, (r) => [ins(code, reg(r), reg(r), s16(r), pick(r, atomics))]);
  return m;
}

Deno.test("asm: property: assemble(disassemble(p)) reproduces every valid opcode with random fields", () => {
  const r = rng(0x5eed);
  const ops = validOpcodes();
  assert.ok(ops.size >= 126, `only ${ops.size} opcodes`);
  let n = 0;
  for (const [code, gen] of ops) {
    for (let k = 0; k < 60; k++) {
      const p = Program.fromInsns(gen(r));
      const text = disassemble(p, { style: "llvm" });
      assert.ok(!text.includes(".insn"), `0x${code.toString(16)} printed raw: ${text}`);
      const q = assemble(text);
      assert.deepEqual([...q.bytes], [...p.bytes], `0x${code.toString(16)}: ${text}`);
      n++;
    }
  }
  assert.equal(n, ops.size * 60);
});

Deno.test("asm: property: random slots (any bytes) and random programs round-trip through llvm text", () => {
  const r = rng(42);
  const ops = [...validOpcodes().values()];
  for (let k = 0; k < 300; k++) {
    const slots: Insn[] = [];
    const n = 1 + Math.floor(r() * 40);
    for (let j = 0; j < n; j++) {
      if (r() < 0.3) {
        const b = new Uint8Array(8).map(() => Math.floor(r() * 256));
        const dv = new DataView(b.buffer);
        slots.push(ins(b[0], b[1] & 15, b[1] >> 4, dv.getInt16(2, true), dv.getInt32(4, true)));
      } else slots.push(...ops[Math.floor(r() * ops.length)](r));
    }
    const p = Program.fromInsns(slots);
    const text = disassemble(p);
    const q = assemble(text);
    assert.deepEqual([...q.bytes], [...p.bytes], text);
  }
});

// ---------------------------------------------------------------------------
// data files: bench programs and kernel ALU vectors
// ---------------------------------------------------------------------------

function dataFiles(): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("tests/data/bench")) {
    if (e.name.endsWith(".json") && e.name !== "expected.json") out.push(`tests/data/bench/${e.name}`);
  }
  for (const d of Deno.readDirSync("tests/data/vectors/alu")) {
    if (!d.isDirectory) continue;
    for (const e of Deno.readDirSync(`tests/data/vectors/alu/${d.name}`)) {
      if (/^case_.*\.json$/.test(e.name)) out.push(`tests/data/vectors/alu/${d.name}/${e.name}`);
    }
  }
  return out.sort();
}

Deno.test("asm: bench and vector programs: both styles, llvm text matches the reference, re-assembles", () => {
  const files = dataFiles();
  assert.ok(files.length >= 400, `${files.length} files`);
  let compared = 0;
  for (const f of files) {
    const p = decodeProgram(Deno.readFileSync(f), f);
    const kernel = disassemble(p, { style: "kernel" });
    assert.ok(kernel.startsWith("0: ("), f);
    const llvm = disassemble(p, { style: "llvm" });
    const doc = JSON.parse(Deno.readTextFileSync(f));
    if (!Array.isArray(doc) && Array.isArray(doc.disasm)) {
      assert.deepEqual(llvm.trimEnd().split("\n"), doc.disasm, f);
      compared++;
    }
    const q = assemble(llvm, { file: f });
    assert.deepEqual([...q.bytes], [...p.bytes], f);
  }
  assert.ok(compared >= 400);
});

Deno.test("asm: bench .bin files decode to the same slots as the .json files", () => {
  for (const name of ["alu_loop", "branchy", "fib32", "memory"]) {
    const a = decodeProgram(Deno.readFileSync(`tests/data/bench/${name}.json`), `${name}.json`);
    const b = decodeProgram(Deno.readFileSync(`tests/data/bench/${name}.bin`), `${name}.bin`);
    assert.deepEqual([...a.bytes], [...b.bytes], name);
  }
});

// ---------------------------------------------------------------------------
// kernel 3.18 log text
// ---------------------------------------------------------------------------

Deno.test("asm: kernel style text is byte exact", () => {
  const cases: Array<[Insn[], string]> = [
    [[ins(0x07, 2, 0, 0, -8)], "(07) r2 += -8"],
    [[ins(0xbc, 1, 2)], "(bc) (u32) r1 = (u32) r2"],
    [[ins(0x04, 1, 0, 0, 2)], "(04) (u32) r1 += (u32) 2"],
    [[ins(0x87, 1)], "(87) r1 neg 0"],
    [[ins(0xd4, 1, 0, 0, 16)], "(d4) (u32) r1 endian (u32) 16"],
    [[ins(0xbf, 0, 2)], "(bf) r0 = r2"],
    [[ins(0x1f, 1, 2)], "(1f) r1 -= r2"],
    [[ins(0xb7, 0, 0, 0, 2)], "(b7) r0 = 2"],
    [[ins(0xcf, 1, 2)], "(cf) r1 s>>= r2"],
    [[ins(0xe7, 1, 0, 0, 1)], "(e7) r1 (null) 1"],
    [[ins(0xf4, 1, 0, 0, 1)], "(f4) (u32) r1 (null) (u32) 1"],
    [[ins(0x7b, 10, 1, -8)], "(7b) *(u64 *)(r10 -8) = r1"],
    [[ins(0x63, 1, 2, 0)], "(63) *(u32 *)(r1 +0) = r2"],
    [[ins(0xc3, 1, 2, 0)], "(c3) lock *(u32 *)(r1 +0) += r2"],
    [[ins(0xdb, 10, 0, -16)], "(db) lock *(u64 *)(r10 -16) += r0"],
    [[ins(0x83, 1, 2)], "BUG_83"],
    [[ins(0x7a, 10, 0, -8, 0)], "(7a) *(u64 *)(r10 -8) = 0"],
    [[ins(0x72, 1, 0, 3, -1)], "(72) *(u8 *)(r1 +3) = -1"],
    [[ins(0x82, 1)], "BUG_st_82"],
    [[ins(0x79, 0, 2, 8)], "(79) r0 = *(u64 *)(r2 +8)"],
    [[ins(0x69, 3, 1, -2)], "(69) r3 = *(u16 *)(r1 -2)"],
    [[ins(0x81, 1, 2)], "BUG_ldx_81"],
    [[ins(0x20, 0, 0, 0, 4)], "(20) r0 = *(u32 *)skb[4]"],
    [[ins(0x40, 0, 1, 0, 4)], "(40) r0 = *(u32 *)skb[r1 + 4]"],
    [[ins(0x30, 0, 0, 0, -1)], "(30) r0 = *(u8 *)skb[-1]"],
    [[ins(0x18, 0, 0, 0, -1), ins(0, 0, 0, 0, 5)], "(18) r0 = 0xffffffff"],
    [[ins(0x18, 0, 0, 0, 1), ins(0)], "(18) r0 = 0x1"],
    [[ins(0x00, 0, 0, 0, 0)], "(00) r0 = 0x0"],
    [[ins(0x60, 0)], "BUG_ld_60"],
    [[ins(0x85, 0, 0, 0, 1)], "(85) call 1"],
    [[ins(0x8d, 0, 0, 0, -3)], "(8d) call -3"],
    [[ins(0x05, 0, 0, 1)], "(05) goto pc+1"],
    [[ins(0x05, 0, 0, -4)], "(05) goto pc-4"],
    [[ins(0x95)], "(95) exit"],
    [[ins(0x15, 0, 0, 1, 0)], "(15) if r0 == 0x0 goto pc+1"],
    [[ins(0x55, 3, 0, 0, -1)], "(55) if r3 != 0xffffffff goto pc+0"],
    [[ins(0x1d, 1, 2, -3)], "(1d) if r1 == r2 goto pc-3"],
    [[ins(0x9d)], "(9d) if r0 exit r0 goto pc+0"],
    [[ins(0x0d, 1, 2, 2)], "(0d) if r1 jmp r2 goto pc+2"],
    [[ins(0xa5, 1, 0, 2, 7)], "(a5) if r1 (null) 0x7 goto pc+2"],
    [[ins(0x06)], "(06) BUG"],
    [[ins(0x16, 1, 0, 1, 1)], "(16) BUG"],
  ];
  for (const [slots, want] of cases) assert.equal(kernelInsnText(prog(...slots), 0), want);
});

Deno.test("asm: kernel style disassembly numbers LD_IMM64 as two indexes", () => {
  const p = prog(ins(0x7a, 10, 0, -8, 0), ins(0x18, 1, 1, 0, 3), ins(0), ins(0x85, 0, 0, 0, 1), ins(0x95));
  assert.equal(
    disassemble(p, { style: "kernel" }),
    "0: (7a) *(u64 *)(r10 -8) = 0\n1: (18) r1 = 0x3\n3: (85) call 1\n4: (95) exit\n",
  );
  assert.equal(
    disassemble(p),
    "   0: *(u64 *)(r10 -8) = 0\n   1: r1 = map[fd:3] ll\n   3: call 1\n   4: exit\n",
  );
});

// ---------------------------------------------------------------------------
// llvm text
// ---------------------------------------------------------------------------

Deno.test("asm: llvm style forms", () => {
  const cases: Array<[Insn[], string]> = [
    [[ins(0xbc, 1, 2)], "w1 = w2"],
    [[ins(0xb4, 1, 0, 0, -1)], "w1 = -1"],
    [[ins(0x18, 1, 0, 0, 1), ins(0, 0, 0, 0, 2)], "r1 = 0x200000001 ll"],
    [[ins(0x18, 1, 1, 0, 3), ins(0)], "r1 = map[fd:3] ll"],
    [[ins(0x18, 1, 2, 0, 3), ins(0, 0, 0, 0, 8)], "r1 = map_value[fd:3]+8 ll"],
    [[ins(0x18, 1, 5, 0, 2), ins(0)], "r1 = map[idx:2] ll"],
    [[ins(0x7b, 10, 1, -8)], "*(u64 *)(r10 -8) = r1"],
    [[ins(0x91, 1, 2, 0)], "r1 = *(s8 *)(r2 +0)"],
    [[ins(0xc3, 1, 2, 0, 0)], "lock *(u32 *)(r1 +0) += w2"],
    [[ins(0xdb, 1, 2, 0, 0xa0)], "lock *(u64 *)(r1 +0) ^= r2"],
    [[ins(0xdb, 1, 0, 0, 1)], "r0 = atomic_fetch_add((u64 *)(r1 +0), r0)"],
    [[ins(0xc3, 1, 3, 4, 0x51)], "w3 = atomic_fetch_and((u32 *)(r1 +4), w3)"],
    [[ins(0xdb, 1, 0, 0, 0xe1)], "r0 = xchg_64(r1 +0, r0)"],
    [[ins(0xdb, 1, 2, 0, 0xf1)], "r0 = cmpxchg_64(r1 +0, r0, r2)"],
    [[ins(0xc3, 1, 2, -8, 0xf1)], "w0 = cmpxchg32_32(r1 -8, w0, w2)"],
    [[ins(0xd7, 1, 0, 0, 16)], "r1 = bswap16 r1"],
    [[ins(0xdc, 1, 0, 0, 16)], "r1 = be16 r1"],
    [[ins(0xd4, 1, 0, 0, 64)], "r1 = le64 r1"],
    [[ins(0x3f, 1, 2, 1)], "r1 s/= r2"],
    [[ins(0x94, 1, 0, 1, 7)], "w1 s%= 7"],
    [[ins(0xbf, 1, 2, 8)], "r1 = (s8)r2"],
    [[ins(0xbc, 1, 2, 16)], "w1 = (s16)w2"],
    [[ins(0x84, 3)], "w3 = -w3"],
    [[ins(0x85, 0, 0, 0, 1)], "call 1"],
    [[ins(0x85, 0, 1, 0, 3)], "call pc+3"],
    [[ins(0x85, 0, 2, 0, 77)], "call kfunc:77"],
    [[ins(0x06, 0, 0, 0, 100000)], "gotol +100000"],
    [[ins(0x05, 0, 0, -1)], "goto -1"],
    [[ins(0xae, 1, 2, 3)], "if w1 < w2 goto +3"],
    [[ins(0xd5, 1, 0, -2, -5)], "if r1 s<= -5 goto -2"],
    [[ins(0x45, 1, 0, 0, 1)], "if r1 & 1 goto +0"],
    [[ins(0x20, 0, 0, 0, 4)], "r0 = *(u32 *)skb[4]"],
    [[ins(0x50, 0, 1, 0, 4)], "r0 = *(u8 *)skb[r1 + 4]"],
    [[ins(0x95)], "exit"],
    [[ins(0xe5, 0, 0, 2)], "may_goto +2"],
    [[ins(0xe5, 0, 0, -3)], "may_goto -3"],
    [[ins(0xe5, 0, 1, 2)], ".insn 0xe510020000000000"],
    [[ins(0xe5, 0, 0, 2, 1)], ".insn 0xe500020001000000"],
    [[ins(0x06, 1, 0, 0, 0)], ".insn 0x0601000000000000"],
    [[ins(0xe7, 1, 0, 0, 1)], ".insn 0xe701000001000000"],
    [[ins(0x07, 1, 0, 5, 1)], ".insn 0x0701050001000000"],
    [[ins(0x18, 1, 0, 0, 1)], ".insn 0x1801000001000000 unpaired"],
  ];
  for (const [slots, want] of cases) assert.equal(llvmInsnText(prog(...slots), 0), want);
});

Deno.test("asm: map[NAME] for fixed-up loads of named maps, map[fd:N] otherwise", () => {
  const p = Program.fromInsns([ins(0x18, 1, 1), ins(0), ins(0x18, 2, 1), ins(0), ins(0x95)], {
    maps: [
      mapDef({ name: "counts", type: 1, keySize: 8, valueSize: 8, maxEntries: 16 }, 0),
      mapDef({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 }, 1),
    ],
    fixups: [[0, 0], [2, 1]],
  });
  assert.equal(llvmInsnText(p, 0), "r1 = map[counts] ll");
  assert.equal(llvmInsnText(p, 2), "r2 = map[fd:0] ll");
});

// ---------------------------------------------------------------------------
// assembler
// ---------------------------------------------------------------------------

Deno.test("asm: labels, comments, directives and map references", () => {
  const src = `
# a comment
.prog_type socket_filter   ; trailing comment
.license "Dual MIT/GPL"
.map counts hash key=8 value=8 max=1024
.init counts 0000000000000000 0500000000000000
start:
    *(u64 *)(r10 -8) = 0       // key
    r2 = r10
    r2 += -8
    r1 = map[counts] ll
    call 1
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
out: r0 = 0
    exit
    goto start
    call sub
sub: exit
`;
  const p = assemble(src, { file: "t.s" });
  assert.equal(p.progType, 1);
  assert.equal(p.license, "Dual MIT/GPL");
  assert.equal(p.maps.length, 1);
  assert.equal(p.maps[0].name, "counts");
  assert.equal(p.maps[0].type, 1);
  assert.deepEqual([...p.maps[0].init[0][1]], [5, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(p.fixups, [[3, 0]]);
  assert.deepEqual(p.insn(6), ins(0x15, 0, 0, 2, 0));
  assert.deepEqual(p.insn(11), ins(0x05, 0, 0, -12, 0));
  assert.deepEqual(p.insn(12), ins(0x85, 0, 1, 0, 0));
  assert.equal(p.origin.lines?.[0], 8);
  const text = disassemble(p);
  assert.match(text, /r1 = map\[counts\] ll/);
  assert.deepEqual([...assemble(".map counts hash key=8 value=8 max=1024\n" + text).bytes], [...p.bytes]);
});

function asmError(src: string, re: RegExp): void {
  assert.throws(() => assemble(src, { file: "t.s" }), (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${e}`);
    assert.match(e.message, re);
    return true;
  });
}

Deno.test("asm: errors carry file:line:col", () => {
  asmError("r0 = 0\nfoo r1\n", /^t\.s:2:1: unknown instruction 'foo'$/);
  asmError("  goto nowhere\nexit", /^t\.s:1:8: undefined label 'nowhere'$/);
  asmError("a: exit\na: exit\n", /^t\.s:2:1: duplicate label 'a' \(first defined at line 1\)$/);
  asmError("goto +40000\n", /^t\.s:1:6: jump offset 40000 is out of range \(-32768\.\.32767\)$/);
  asmError(
    "goto far\n" + "exit\n".repeat(40000) + "far: exit\n",
    /^t\.s:1:6: jump offset 40000 to 'far' is out of range/,
  );
  asmError("r16 = 1\nexit", /^t\.s:1:1: register r16 does not exist/);
  asmError("r1 = map[nope] ll\nexit", /^t\.s:1:10: unknown map 'nope'/);
  asmError("r1 += w2\n", /^t\.s:1:7: 'w2' mixes 32-bit and 64-bit registers/);
  asmError("r1 = 0x100000000\n", /^t\.s:1:6: immediate 4294967296 is out of range/);
  asmError("r1 = *(u64 *)(r2 +40000)\n", /^t\.s:1:18: offset 40000 is out of range \(-32768\.\.32767\)/);
  asmError("*(u128 *)(r1 +0) = 1\n", /^t\.s:1:3: unknown size 'u128'/);
  asmError("if r1 =< r2 goto +1\n", /^t\.s:1:7: expected a comparison/);
  asmError("exit r0\n", /^t\.s:1:6: unexpected 'r0' after the instruction$/);
  asmError("r1 = $\n", /^t\.s:1:6: unexpected character '\$'/);
  asmError(".insn 0x1234\n", /^t\.s:1:7: expected 16 hex digits/);
  asmError(".map m hash key=8 value=8\nexit", /^t\.s:1:\d+: map 'm' needs max=N/);
  asmError(".prog_type nonsense\nexit", /^t\.s:1:12: unknown program type 'nonsense'/);
  asmError("# nothing\n", /^t\.s: no instructions$/);
  asmError(".license GPL\nexit", /^t\.s:1:10: expected a quoted license string/);
  asmError('.license "GPL\nexit', /^t\.s:1:10: unterminated string/);
  asmError("r1 = 1 ll\nw1 = 1 ll\n", /^t\.s:2:1: 64-bit immediate loads take an r register/);
  asmError("r1 = 1\nr1 =", /^t\.s:2:5: expected a value after '='/);
  // LD_IMM64 written raw without its second slot
  asmError("exit\n.insn 0x1801000005000000\n# end\n", /^t\.s:2:7: LD_IMM64 at slot 1 is missing its second slot/);
  asmError(".insn 24, 1, 0, 0, 5\n", /^t\.s:1:7: LD_IMM64 at slot 0 is missing its second slot/);
  asmError(".insn 0x9500000000000000 unpaired\n", /^t\.s:1:26: only an LD_IMM64 slot \(code 0x18\) can be 'unpaired'/);
  // names inherited from Object.prototype are not table entries
  asmError(".prog_type toString\nexit", /^t\.s:1:12: unknown program type 'toString'/);
  asmError(".map m constructor key=8 value=8 max=1\nexit", /^t\.s:1:8: unknown map type 'constructor'/);
  asmError("r1 = (constructor)r2\n", /^t\.s:1:7: unknown sign-extension cast 'constructor'/);
  asmError("r0 = constructor((u64 *)(r1 +0), r0)\n", /^t\.s:1:6: unknown operand 'constructor'/);
  asmError("*(constructor *)(r1 +0) = r1\n", /^t\.s:1:3: unknown size 'constructor'/);
  asmError("r0 = *(toString *)(r1 +0)\n", /^t\.s:1:8: unknown size 'toString'/);
});

Deno.test("asm: leading N: indexes are ignored, .insn accepts raw and 5-integer forms", () => {
  {
    // a program ending in half an LD_IMM64 prints 'unpaired' and re-assembles
    const p = Program.fromInsns([ins(0xb7, 0, 0, 0, 1), ins(0x18, 1, 0, 0, 5)]);
    const text = disassemble(p);
    assert.equal(text, "   0: r0 = 1\n   1: .insn 0x1801000005000000 unpaired\n");
    assert.deepEqual([...assemble(text).bytes], [...p.bytes]);
  }
  const p = assemble("   0: r0 = 1\n   1: .insn 0x0601000000000000\n   2: .insn 6, 1, 0, 0, 0\n3: exit\n");
  assert.equal(p.len, 4);
  assert.deepEqual(p.insn(1), ins(6, 1));
  assert.deepEqual(p.insn(2), ins(6, 1));
});

Deno.test("asm: llvm-objdump labels and target annotations", () => {
  const p = assemble(".LBB0_1:\n  if r1 > 3 goto +1 <LBB0_3>\n  goto .LBB0_1\nLBB0_3:\n  exit\n");
  assert.deepEqual(p.insn(0), ins(0x25, 1, 0, 1, 3));
  assert.deepEqual(p.insn(1), ins(0x05, 0, 0, -2, 0));
});

Deno.test("asm: prototype property names are not mnemonics, sizes or types", () => {
  asmError("*(constructor *)(r1 +0) = 1\n", /^t\.s:1:3: unknown size 'constructor'/);
  asmError(".prog_type toString\nexit", /^t\.s:1:12: unknown program type 'toString'/);
  asmError(".map m __proto__ key=1 value=1 max=1\nexit", /^t\.s:1:8: unknown map type '__proto__'/);
  asmError("r1 = *(hasOwnProperty *)(r2 +0)\n", /^t\.s:1:8: unknown size 'hasOwnProperty'/);
});

Deno.test("asm: may_goto as llvm-objdump and the 6.18 verifier log print it, and to a label", () => {
  const p = assemble("loop:\nmay_goto done\nmay_goto pc+1\nmay_goto -2\ngoto loop\ndone:\nexit\n");
  assert.deepEqual(
    Array.from({ length: p.len }, (_, i) => [p.code(i), p.src(i), p.off(i), p.imm(i)]),
    [[0xe5, 0, 3, 0], [0xe5, 0, 1, 0], [0xe5, 0, -2, 0], [0x05, 0, -4, 0], [0x95, 0, 0, 0]],
  );
  assert.equal(kernel618InsnText(0xe5, 0, 0, 3, 0, 0), "(e5) may_goto pc+3");
  assert.equal(kernel618InsnText(0xe5, 0, 0, -2, 0, 0), "(e5) may_goto pc-2");
  // the 3.18 log has no name for BPF_JCOND: its string table prints (null), as Linux 3.18 did
  assert.equal(kernelInsnText(p, 0), "(e5) if r0 (null) 0x0 goto pc+3");
});
