// Differential tests: the JIT (core/jit) against the interpreter (core/vm).
// Every program runs on both engines with fresh, identical maps and inputs;
// r0, all registers, memory (ctx/packet/mem after the run), map contents,
// helper output, faults (message and pc) and executed-instruction counts
// must be identical.
import assert from "node:assert/strict";
import { createVm, Jit, type JitOptions } from "../core/jit/mod.ts";
import { Interpreter, type RunInput, type RunOptions, type RunResult } from "../core/vm/mod.ts";
import { defaultHelpers, type HelperTable } from "../core/vm/mod.ts";
import { ArrayMap, type BpfMap, HashMap } from "../core/maps/mod.ts";
import { type Insn, mapDef, Program } from "../core/isa/mod.ts";
import { benchInput, benchPrograms, progFromSlots, TESTS_DIR } from "./vm_util.ts";
import { basicBlocks, structure } from "../core/jit/structure.ts";
import { predecode } from "../core/vm/decode.ts";

const hex = (
  b: Uint8Array | undefined,
) => (b === undefined ? undefined : Array.from(b, (x) => x.toString(16)).join(","));

function freshMaps(): Map<number, BpfMap> {
  const h = new HashMap({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4, name: "h" });
  const a = new ArrayMap({ mapType: 2, keySize: 4, valueSize: 16, maxEntries: 4, name: "a" });
  a.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array(16).fill(7));
  h.update(new Uint8Array([0, 0, 0, 0]), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  return new Map<number, BpfMap>([[1, h], [2, a]]);
}

interface Case {
  prog: Program;
  /** The JIT's split size (forces the chunked `precise`). */
  maxFunctionTokens?: number;
  input?: RunInput;
  run?: RunOptions;
  profile?: "modern" | "linux-3.18";
  helpers?: () => HelperTable;
  maps?: () => Map<number, BpfMap>;
}

let compared = 0;

/** Run `c` on both engines and assert identical observable results. Returns the interpreter's result. */
function same(c: Case, label: string) {
  // the JIT as the default choice makes it (JavaScript for a first run), and with the wasm tier forced on
  const results = (["interp", "jit", "wasm"] as const).map((engine) => {
    const maps = (c.maps ?? freshMaps)();
    const opts: JitOptions = {
      profile: c.profile,
      resolveMap: (fd) => maps.get(fd),
      maxFunctionTokens: c.maxFunctionTokens,
      wasm: engine === "wasm" ? "always" : undefined,
    };
    if (c.helpers) opts.helpers = c.helpers();
    const e = createVm(c.prog, opts, engine === "interp" ? "interp" : "jit");
    const r = e.run(c.input ?? {}, { clock: () => 123456789n, ...c.run, regs: true });
    return {
      r0: r.r0,
      regs: r.regs,
      insns: r.insnsExecuted,
      fault: r.fault,
      output: r.output,
      ctx: hex(r.ctxOut),
      data: hex(r.dataOut),
      mem: hex(r.memOut),
      maps: [...maps.values()].map((m) => m.entries().map(([k, v]) => hex(k) + "=" + hex(v))),
    };
  });
  compared++;
  assert.deepEqual(results[1], results[0], label);
  assert.deepEqual(results[2], results[0], `${label} (wasm tier)`);
  return results[0];
}

/** One engine's run `r` is the interpreter's `e`: r0, registers, instructions executed, fault and memory. */
function sameRun(r: RunResult, e: RunResult, label: string): void {
  assert.deepEqual(
    [r.r0, r.regs, r.insnsExecuted, r.fault, hex(r.memOut)],
    [e.r0, e.regs, e.insnsExecuted, e.fault, hex(e.memOut)],
    label,
  );
}

// ---------------------------------------------------------------- bench programs
Deno.test("jit: bench programs give the expected r0, counts and memory", () => {
  const mem = benchInput();
  for (const b of benchPrograms()) {
    const r = new Jit(b.prog).run({ mem });
    assert.equal(r.fault, null, b.name);
    assert.equal(r.r0, b.r0, b.name);
    assert.equal(r.insnsExecuted, b.insns, b.name);
    same({ prog: b.prog, input: { mem } }, b.name);
  }
});

Deno.test("jit: instruction limit on the bench programs (counts and fault pcs identical)", () => {
  const mem = benchInput();
  for (const b of benchPrograms()) {
    for (
      const max of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 25, 26, 27, 100, 771, 772, 12345, 99999]
    ) {
      const r = same({ prog: b.prog, input: { mem }, run: { maxInsns: max } }, `${b.name} max ${max}`);
      assert.equal(r.insns, max);
      assert.match(r.fault!.message, /instruction limit/);
    }
    same({ prog: b.prog, input: { mem }, run: { maxInsns: b.insns } }, `${b.name} exact budget`);
  }
});

// ---------------------------------------------------------------- kernel ALU vectors
function vectorCases(dir: string) {
  const root = `${TESTS_DIR}data/vectors/alu/${dir}`;
  return [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => /^case_\d+\.json$/.test(n)).sort().map((
    n,
  ) => [n, JSON.parse(Deno.readTextFileSync(`${root}/${n}`))] as const);
}

Deno.test("jit: all 400 kernel ALU vectors (bodies and full programs with maps)", () => {
  let n = 0;
  for (const dir of ["v1_seed1", "v4_seed4"]) {
    for (const [name, c] of vectorCases(dir)) {
      const body = c.insns.slice(c.body_range[0], c.body_range[1]).concat([[0x95, 0, 0, 0, 0]]);
      const r = same({ prog: progFromSlots(body) }, `${dir}/${name} body`);
      assert.deepEqual(r.regs!.slice(0, 10).map(String), c.expect_regs, `${dir}/${name}`);
      // deno-lint-ignore no-explicit-any
      const defs = c.maps.map((m: any) =>
        mapDef({ type: 2, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries })
      );
      const p = progFromSlots(c.insns).clone({ maps: defs, fixups: c.fixup });
      const fds = defs.map((_: unknown, i: number) => 100 + i);
      const full = same({
        prog: p.withMapFds(fds),
        input: { data: new Uint8Array(64) },
        maps: () =>
          new Map(
            // deno-lint-ignore no-explicit-any
            c.maps.map((m: any, i: number) => [
              100 + i,
              new ArrayMap({ mapType: 2, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries }),
            ]),
          ),
      }, `${dir}/${name} full`);
      assert.equal(full.fault, null);
      n++;
    }
  }
  assert.equal(n, 400);
});

// ---------------------------------------------------------------- every opcode byte
const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95, 0, 0, 0, 0);
const lddw = (dst: number, v: bigint): Insn[] => [
  I(0x18, dst, 0, 0, Number(BigInt.asIntN(32, v))),
  I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
];

const INTERESTING = [
  0n,
  1n,
  2n,
  7n,
  31n,
  32n,
  63n,
  64n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x123456789abcdef0n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
  0xfffffffffffffffen,
  0xffffffff80000000n,
];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return {
    u32: next,
    int: (n: number) => next() % n,
    pick: <T>(a: readonly T[]): T => a[next() % a.length],
    chance: (p: number) => next() / 4294967296 < p,
    u64: (): bigint => {
      const k = next() % 4;
      if (k === 0) return INTERESTING[next() % INTERESTING.length];
      if (k === 1) return BigInt(next() % 300);
      if (k === 2) return BigInt.asUintN(64, BigInt((next() | 0) % 100000));
      return (BigInt(next()) << 32n) | BigInt(next());
    },
  };
}

Deno.test("jit: every opcode byte with assorted operands (all instruction classes, bad ones included)", () => {
  const r = rng(42);
  for (let code = 0; code < 256; code++) {
    for (let v = 0; v < 10; v++) {
      const dst = v === 9 ? 11 : r.int(10), src = v === 8 ? 12 : r.int(11);
      const off = r.pick([0, 1, 8, 16, 32, -8, -16, -64, 2, 7, -512, 3]);
      const imm = r.pick([0, 1, 16, 32, 64, -1, 5, 0x7fffffff, -0x80000000, 63, 33, 0xe1, 0xf1, 0x01, 0x51, 0xa1]);
      const insns: Insn[] = [];
      for (let k = 0; k < 10; k++) insns.push(...lddw(k, r.u64()));
      if (v % 3 === 0) insns.push(I(0xbf, dst < 10 ? dst : 3, 10, 0, 0), I(0x07, dst < 10 ? dst : 3, 0, 0, -64));
      if (v % 3 === 1) insns.push(I(0xbf, src < 10 ? src : 4, 10, 0, 0), I(0x07, src < 10 ? src : 4, 0, 0, -32));
      insns.push(I(0xbf, 6, 1, 0, 0)); // r6 = ctx (LD_ABS)
      insns.push(I(code, dst, src, off, imm));
      insns.push(EXIT, EXIT, EXIT, EXIT);
      const data = new Uint8Array(40).map((_, i) => i * 7);
      const run = { maxInsns: 5000 }; // backward jumps loop
      same({ prog: Program.fromInsns(insns), input: { data }, run }, `opcode 0x${code.toString(16)} v${v}`);
      same(
        { prog: Program.fromInsns(insns), input: { data }, run, profile: "linux-3.18" },
        `3.18 0x${code.toString(16)}`,
      );
    }
  }
});

// ---------------------------------------------------------------- hand-written cases
Deno.test("jit: hand-written faults, limits, local calls, atomics, JMP32, helpers", () => {
  const cases: Array<[string, Insn[], Partial<Case>?]> = [
    ["fall off the end", [I(0xb7, 0, 0, 0, 1)]],
    ["jump out of range", [I(0x05, 0, 0, 5, 0), EXIT]],
    ["jump backwards out of range", [I(0x15, 0, 0, -3, 0), EXIT]],
    ["two bad jumps", [I(0x15, 1, 0, 9, 0), I(0x05, 0, 0, -9, 0), EXIT]],
    ["jump into lddw second slot", [I(0x05, 0, 0, 1, 0), ...lddw(0, 5n), EXIT]],
    ["lddw at the end", [I(0xb7, 0, 0, 0, 1), I(0x18, 0, 0, 0, 1)]],
    ["read null", [I(0x79, 0, 0, 0, 0), EXIT]],
    ["write past stack", [I(0x7a, 10, 0, 0, 1), EXIT]],
    ["write below stack", [I(0x62, 10, 0, -516, 1), EXIT]],
    ["read straddling stack", [I(0x79, 0, 10, -4, 0), EXIT]],
    ["ctx read ok", [I(0x61, 0, 1, 4, 0), EXIT], { input: { ctx: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) } }],
    ["ctx write", [I(0x62, 1, 0, 4, -2), I(0x61, 0, 1, 4, 0), EXIT], { input: { ctx: new Uint8Array(8) } }],
    ["mem r2 len", [I(0xbf, 0, 2, 0, 0), I(0x73, 1, 0, 3, 0x99), EXIT], { input: { mem: new Uint8Array(9) } }],
    ["map object deref", [
      ...lddw(1, 0n).map((x, i) => i === 0 ? { ...x, src: 1, imm: 1 } : x),
      I(0x79, 0, 1, 0, 0),
      EXIT,
    ]],
    ["bad map fd", [I(0x18, 1, 1, 0, 77), I(0, 0, 0, 0, 0), EXIT]],
    ["map value ld", [I(0x18, 1, 2, 0, 2), I(0, 0, 0, 0, 16), I(0x79, 0, 1, 0, 0), I(0x7a, 1, 0, 8, -1), EXIT]],
    ["map value bad off", [I(0x18, 1, 2, 0, 2), I(0, 0, 0, 0, 64), EXIT]],
    ["map value in hash", [I(0x18, 1, 2, 0, 1), I(0, 0, 0, 0, 0), EXIT]],
    ["unknown helper", [I(0x85, 0, 0, 0, 999), EXIT]],
    ["kfunc", [I(0x85, 0, 2, 0, 1), EXIT]],
    ["helper bad map", [I(0x85, 0, 0, 0, 1), EXIT]],
    ["prandom x3", [I(0x85, 0, 0, 0, 7), I(0xbf, 6, 0, 0, 0), I(0x85, 0, 0, 0, 7), I(0x85, 0, 0, 0, 7), EXIT], {
      run: { seed: 99 },
    }],
    ["ktime + cpu", [I(0x85, 0, 0, 0, 5), I(0xbf, 7, 0, 0, 0), I(0x85, 0, 0, 0, 8), EXIT]],
    [
      "lookup/update/delete hash",
      [
        I(0x62, 10, 0, -4, 0), // key 0
        I(0x18, 1, 1, 0, 1),
        I(0, 0, 0, 0, 0),
        I(0xbf, 2, 10, 0, 0),
        I(0x07, 2, 0, 0, -4),
        I(0x85, 0, 0, 0, 1),
        I(0x15, 0, 0, 3, 0),
        I(0x79, 6, 0, 0, 0),
        I(0x07, 6, 0, 0, 1),
        I(0x7b, 0, 6, 0, 0),
        I(0x62, 10, 0, -4, 3), // key 3
        I(0x7a, 10, 0, -16, 0x55),
        I(0x18, 1, 1, 0, 1),
        I(0, 0, 0, 0, 0),
        I(0xbf, 2, 10, 0, 0),
        I(0x07, 2, 0, 0, -4),
        I(0xbf, 3, 10, 0, 0),
        I(0x07, 3, 0, 0, -16),
        I(0xb7, 4, 0, 0, 0),
        I(0x85, 0, 0, 0, 2),
        I(0x62, 10, 0, -4, 0),
        I(0x18, 1, 1, 0, 1),
        I(0, 0, 0, 0, 0),
        I(0xbf, 2, 10, 0, 0),
        I(0x07, 2, 0, 0, -4),
        I(0x85, 0, 0, 0, 3),
        EXIT,
      ],
    ],
    [
      "trace_printk",
      [
        ...lddw(1, 0x0a78252064252025n), // "% d %x\n" little-endian bytes: "%  d %x\n"
        I(0x7b, 10, 1, -16, 0),
        I(0x7a, 10, 0, -8, 0),
        I(0xbf, 1, 10, 0, 0),
        I(0x07, 1, 0, 0, -16),
        I(0xb7, 2, 0, 0, 16),
        I(0xb7, 3, 0, 0, -5),
        I(0xb7, 4, 0, 0, 255),
        I(0x85, 0, 0, 0, 6),
        EXIT,
      ],
    ],
    ["printk bad pointer", [I(0xb7, 1, 0, 0, 0), I(0xb7, 2, 0, 0, 4), I(0x85, 0, 0, 0, 6), EXIT]],
    [
      "local call and return",
      [
        I(0xb7, 6, 0, 0, 5),
        I(0x85, 0, 1, 0, 3),
        I(0x0f, 0, 6, 0, 0),
        EXIT,
        I(0xb7, 6, 0, 0, 9),
        I(0x7a, 10, 0, -8, 1),
        I(0xb7, 0, 0, 0, 40),
        EXIT,
      ],
    ],
    ["recursion too deep", [I(0x07, 0, 0, 0, 1), I(0x85, 0, 1, 0, -2), EXIT]],
    ["call out of range", [I(0x85, 0, 1, 0, 10), EXIT]],
    ["infinite loop", [I(0x07, 0, 0, 0, 1), I(0x05, 0, 0, -2, 0)], { run: { maxInsns: 1001 } }],
    ["self loop w/ exit", [I(0x07, 0, 0, 0, 1), I(0x55, 0, 0, -2, 100), EXIT], { run: { maxInsns: 150 } }],
    ["gotol", [I(0x06, 0, 0, 0, 1), I(0xb7, 0, 0, 0, 1), EXIT]],
    ["gotol reserved", [I(0x06, 0, 0, 1, 1), EXIT]],
    ["atomic add/fetch/xchg/cmpxchg", [
      I(0x7a, 10, 0, -8, 10),
      I(0xb7, 1, 0, 0, 5),
      I(0xdb, 10, 1, -8, 0x01),
      I(0xc3, 10, 1, -8, 0x00),
      I(0xb7, 2, 0, 0, -1),
      I(0xdb, 10, 2, -8, 0xe1),
      I(0xbf, 0, 2, 0, 0),
      I(0xdb, 10, 1, -8, 0xf1),
      I(0x79, 3, 10, -8, 0),
      I(0xc3, 10, 3, -4, 0xa1),
      I(0xc3, 10, 3, -4, 0x51),
      I(0xc3, 10, 3, -4, 0x41),
      EXIT,
    ]],
    ["atomic fault", [I(0xdb, 1, 1, 0, 0x01), EXIT]],
    ["atomic bad", [I(0xdb, 10, 1, -8, 0x02), EXIT]],
    ["ld_abs ok", [I(0x20, 0, 0, 0, 2), I(0x28, 0, 0, 0, 1), EXIT], {
      input: { data: new Uint8Array([1, 2, 3, 4, 5]) },
    }],
    ["ld_abs oob (return 0)", [I(0xb7, 0, 0, 0, 3), I(0x20, 0, 0, 0, 2), EXIT], { input: { data: new Uint8Array(4) } }],
    ["ld_ind", [I(0xb7, 2, 0, 0, 1), I(0x40, 0, 2, 0, 1), EXIT], {
      input: { data: new Uint8Array([9, 8, 7, 6, 5, 4]) },
    }],
    ["ld_abs needs r6", [I(0xb7, 6, 0, 0, 0), I(0x30, 0, 0, 0, 1), EXIT], { input: { data: new Uint8Array(4) } }],
    ["div by zero 3.18", [I(0xb7, 0, 0, 0, 7), I(0x37, 0, 0, 0, 0), EXIT], { profile: "linux-3.18" }],
    ["mod32 by zero 3.18", [I(0xb7, 0, 0, 0, 7), I(0xbc, 1, 0, 0, 0), I(0x9c, 0, 1, 0, 0), EXIT], {
      profile: "linux-3.18",
    }],
    ["div64 3.18 hi divisor", [...lddw(0, -1n), ...lddw(1, 0x500000003n), I(0x3f, 0, 1, 0, 0), EXIT], {
      profile: "linux-3.18",
    }],
    ["JMP32 signed", [...lddw(1, 0x1ffffffffn), I(0xb7, 0, 0, 0, 1), I(0x66, 1, 0, 1, 0), I(0xb7, 0, 0, 0, 2), EXIT]],
    // address arithmetic at the edges of the 32-bit offset (the JIT's cached-region check works in int32)
    ...([[0xfffffdfcn, 8], [0xfffffdfcn, 4], [0x7ffffdfcn, 8], [0x7ffffdfcn, 0], [0n, -520], [0n, -512], [
      -509n,
      -8,
    ]] as Array<[bigint, number]>).map((
      [add, off]: [bigint, number],
    ) =>
      [`stack pointer + ${add} then off ${off}`, [
        I(0x7a, 10, 0, -512, 0x55), // marks the bottom of the stack and caches the stack region
        I(0x7a, 10, 0, -504, 0x66),
        I(0xbf, 1, 10, 0, 0),
        ...lddw(2, add),
        I(0x0f, 1, 2, 0, 0),
        I(0x71, 0, 1, off, 0),
        I(0x79, 3, 1, off, 0),
        I(0x73, 1, 0, off, 7),
        EXIT,
      ]] as [string, Insn[]]
    ),
  ];
  for (const [name, insns, extra] of cases) same({ prog: Program.fromInsns(insns), ...extra }, name);
});

Deno.test("jit: custom helpers see and change every register; helper exceptions become faults", () => {
  const helpers = () =>
    defaultHelpers().clone()
      .set(50, "scramble", (e) => {
        e.lo[3] = e.lo[1] ^ 0x1234;
        e.hi[9] = -7;
        e.ret(e.arg(1) + e.arg(5));
      })
      .set(51, "boom", () => {
        throw new Error("kaboom");
      })
      .set(52, "fault", (e) => e.fault("custom fault"));
  const pre = [...lddw(1, 0x1111222233334444n), ...lddw(5, 5n), I(0xb7, 3, 0, 0, 1)];
  for (const id of [50, 51, 52]) {
    same({ prog: Program.fromInsns([...pre, I(0x85, 0, 0, 0, id), I(0x0f, 0, 3, 0, 0), EXIT]), helpers }, `h${id}`);
  }
});

Deno.test("jit: engines agree on repeated runs (state reset), compile cache and createVm", () => {
  const b = benchPrograms()[2];
  const j = new Jit(b.prog);
  const mem = benchInput();
  const a = j.run({ mem }, { maxInsns: 1000 }), c = j.run({ mem });
  assert.equal(a.insnsExecuted, 1000);
  assert.equal(c.r0, b.r0);
  const j2 = new Jit(b.prog);
  assert.equal(j2.source, j.source);
  assert.ok(createVm(b.prog, {}, "interp") instanceof Interpreter);
  assert.ok(createVm(b.prog) instanceof Jit);
});

// ---------------------------------------------------------------- random programs
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const ATOMICS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

function randomProgram(r: ReturnType<typeof rng>): Insn[] {
  const p: Insn[] = [];
  for (let k = 0; k < 10; k++) if (k !== 1 && r.chance(0.7)) p.push(...lddw(k, r.u64()));
  p.push(I(0xbf, 6, 10, 0, 0), I(0x07, 6, 0, 0, -8 * r.int(64)));
  const len = 8 + r.int(40);
  const reg = () => r.int(10);
  while (p.length < len) {
    const k = r.int(100);
    const here = p.length;
    if (k < 35) { // ALU
      const cls = r.chance(0.5) ? 7 : 4, x = r.chance(0.5) ? 8 : 0, op = r.pick(ALU_OPS);
      let off = 0, imm = r.chance(0.5) ? r.int(70) : Number(BigInt.asIntN(32, r.u64()));
      if ((op === 0x30 || op === 0x90) && r.chance(0.4)) off = 1;
      if (op === 0xb0 && r.chance(0.3)) off = r.pick([8, 16, 32]);
      if (op === 0xd0) imm = r.pick([16, 32, 64]);
      p.push(I(op | x | cls, reg(), x ? r.int(11) : 0, off, imm));
    } else if (k < 55) { // memory
      const sz = r.pick([0x00, 0x08, 0x10, 0x18]);
      const base = r.pick([10, 6, 6, 1]);
      const off = base === 1 ? r.int(70) - 3 : -r.int(80) * (r.chance(0.8) ? 8 : 1) + (r.chance(0.05) ? 600 : 0);
      const kind = r.int(4);
      if (kind === 0) p.push(I(0x61 | sz, reg(), base, off, 0));
      else if (kind === 1) p.push(I(0x63 | sz, base, reg(), off, 0));
      else if (kind === 2) p.push(I(0x62 | sz, base, 0, off, Number(BigInt.asIntN(32, r.u64()))));
      else if (sz !== 0x18) p.push(I(0x81 | sz, reg(), base, off, 0));
      else p.push(I(0xc3 | r.pick([0x00, 0x18]), base, reg(), off & ~7, r.pick(ATOMICS)));
    } else if (k < 78) { // jumps
      const cls = r.chance(0.6) ? 5 : 6, x = r.chance(0.5) ? 8 : 0;
      const to = r.int(len + 3) - here - 1;
      if (r.chance(0.1)) p.push(I(0x05, 0, 0, to, 0));
      else p.push(I(r.pick(JMP_OPS) | x | cls, reg(), x ? reg() : 0, to, r.chance(0.5) ? r.int(40) : r.u32() | 0));
    } else if (k < 86) { // helpers
      const h = r.pick([1, 2, 3, 5, 7, 8, 6]);
      if (h <= 3) {
        p.push(I(0x62, 10, 0, -4, r.int(5)));
        p.push(I(0x18, 1, 1, 0, r.pick([1, 2])), I(0, 0, 0, 0, 0));
        p.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4));
        p.push(I(0xbf, 3, 10, 0, 0), I(0x07, 3, 0, 0, -24));
        p.push(I(0xb7, 4, 0, 0, r.int(3)));
      } else if (h === 6) {
        p.push(...lddw(1, 0x000a7825206425n), I(0x7b, 10, 1, -32, 0));
        p.push(I(0xbf, 1, 10, 0, 0), I(0x07, 1, 0, 0, -32), I(0xb7, 2, 0, 0, 8));
      }
      p.push(I(0x85, 0, 0, 0, h));
      if (h === 1 && r.chance(0.7)) p.push(I(0x15, 0, 0, 1, 0), I(0x79, reg(), 0, 0, 0), I(0x7a, 0, 0, 8, 3));
    } else if (k < 90) {
      p.push(I(0x85, 0, 1, 0, r.int(len) - here - 1)); // local call
    } else if (k < 93) {
      p.push(EXIT);
    } else if (k < 95) {
      p.push(I(0x18, 2, r.pick([0, 2]), 0, 2), I(0, 0, 0, 0, r.pick([0, 8, 30, 70])));
    } else if (k < 96) {
      p.push(I(r.u32() & 0xff, r.int(12), r.int(12), r.int(20) - 10, r.u32() | 0)); // anything
    } else {
      p.push(I(0x07, 10, 0, 0, -8)); // move the frame pointer
    }
  }
  if (r.chance(0.9)) p.push(EXIT);
  return p;
}

Deno.test("jit: 3000 seeded random programs (loops, memory, maps, helpers, calls, limits)", () => {
  const r = rng(20240607);
  let faults = 0, limits = 0;
  for (let i = 0; i < 3000; i++) {
    const insns = randomProgram(r);
    const maxInsns = r.chance(0.3) ? 1 + r.int(60) : 200 + r.int(3000);
    const mem = r.chance(0.5) ? new Uint8Array(64).map((_, j) => j * 13) : undefined;
    const res = same({
      prog: Program.fromInsns(insns),
      input: mem ? { mem } : { ctx: new Uint8Array(16).fill(3) },
      run: { maxInsns, seed: i },
      profile: r.chance(0.15) ? "linux-3.18" : "modern",
    }, `random #${i}: ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))} max ${maxInsns}`);
    if (res.fault) faults++;
    if (res.fault?.message.includes("instruction limit")) limits++;
  }
  // the generator must reach the interesting outcomes
  assert.ok(faults > 300 && limits > 100, `faults ${faults}, limits ${limits}`);
  assert.ok(compared > 3000);
});

Deno.test("jit: precise split into chunk functions (forced by a small size limit) agrees with the interpreter", () => {
  const r = rng(90210);
  let chunked = 0;
  for (let i = 0; i < 2000; i++) {
    const insns = randomProgram(r);
    const prog = Program.fromInsns(insns);
    const maxFunctionTokens = 400 + r.int(3000);
    if (/function chunk1\(max\)/.test(new Jit(prog, { maxFunctionTokens }).source)) chunked++;
    const maxInsns = r.chance(0.3) ? 1 + r.int(60) : 200 + r.int(3000);
    const mem = r.chance(0.5) ? new Uint8Array(64).map((_, j) => j * 13) : undefined;
    same({
      prog,
      maxFunctionTokens,
      input: mem ? { mem } : { ctx: new Uint8Array(16).fill(3) },
      run: { maxInsns, seed: i },
      profile: r.chance(0.15) ? "linux-3.18" : "modern",
    }, `chunks #${i}: ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))} max ${maxInsns}`);
  }
  assert.ok(chunked > 1000, `split into two chunks or more: ${chunked} of 2000`);
  // a long loop body cut into blocks of at most 64 instructions, over many chunks, every budget around the end
  const body = Array.from(
    { length: 300 },
    (_, j) => j % 3 ? I(0x07, j % 5, 0, 0, j) : I(0x7b, 10, j % 5, -8 * (1 + (j % 8)), 0),
  );
  const long = Program.fromInsns([I(0xb7, 6, 0, 0, 5), ...body, I(0x17, 6, 0, 0, 1), I(0x55, 6, 0, -302, 0), EXIT]);
  assert.match(new Jit(long).source, /function chunk1\(max\)/, "split at the default size too");
  const full = new Interpreter(long).run();
  for (let max = full.insnsExecuted - 70; max <= full.insnsExecuted + 1; max++) {
    same({ prog: long, run: { maxInsns: max } }, `long ${max}`);
  }
});

Deno.test("jit: structured control flow (labeled loops/blocks) and the switch fallback agree with the interpreter", () => {
  const r = rng(77001);
  let structuredCount = 0, fallback = 0;
  for (let i = 0; i < 3000; i++) {
    // no local calls: those always use the switch dispatch
    const insns = randomProgram(r).map((x) => (x.code === 0x85 && x.src === 1 ? I(0xb7, 5, 0, 0, 7) : x));
    const prog = Program.fromInsns(insns);
    const d = predecode(prog, defaultHelpers());
    if (structure(d, basicBlocks(d)) !== null) structuredCount++;
    else fallback++;
    const maxInsns = r.chance(0.3) ? 1 + r.int(60) : 200 + r.int(3000);
    same({
      prog,
      input: { ctx: new Uint8Array(16).fill(3) },
      run: { maxInsns, seed: i },
    }, `structured #${i}: ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))} max ${maxInsns}`);
  }
  assert.ok(structuredCount > 1000 && fallback > 100, `structured ${structuredCount}, switch ${fallback}`);
});

Deno.test("jit: constant propagation (registers holding known constants as operands) agrees with the interpreter", () => {
  const r = rng(424242);
  const small = [0n, 1n, 2n, 435n, 0x7fffn, 0x8000n, 0xfffen, 0xffffn, 0x10000n, 0x100000001b3n, 0xffff0000ffffn];
  let specialised = 0;
  for (let i = 0; i < 600; i++) {
    const k = i < small.length * 20 ? small[i % small.length] : r.u64();
    const x = r.u64();
    // r1 = k (mov or lddw), copied to r2; r0 = x; r0 op= r2; then a join of paths with r2 = k and r2 = 5
    const op = r.pick([0x2f, 0x2f, 0x2f, 0x6f, 0x7f, 0xcf, 0x0f, 0x1f, 0x3f, 0x9f, 0x27, 0x2c, 0x6c]);
    const setK = k < 0x80000000n ? [I(0xb7, 1, 0, 0, Number(k))] : lddw(1, k);
    const insns = [
      ...setK,
      I(0xbf, 2, 1, 0, 0),
      ...lddw(0, x),
      I(0xbf, 0 + 3, 0, 0, 0),
      I(op, 0, 2, 0, 0),
      I(0x45, 3, 0, 1, 1), // if x is odd, skip the change of r2
      I(0xb7, 2, 0, 0, 5),
      I(op === 0x27 ? 0x2f : op, 3, 2, 0, 0), // r2 is not a constant here (k or 5 reach it)
      I(0x0f, 0, 3, 0, 0),
      EXIT,
    ];
    const prog = Program.fromInsns(insns);
    if (new Jit(prog).source.includes("Math.imul(al & 0xffff")) specialised++;
    same({ prog }, `k ${k} x ${x} op 0x${op.toString(16)}`);
  }
  assert.ok(specialised > 50, `mul by a small known constant specialised ${specialised} times`);
});

Deno.test("jit: every budget of a nested loop with a diamond, stores and a helper call hands over to precise exactly", () => {
  // outer loop r6 = 3..1 { inner loop r7 = 4..1 { if r7 & 1 { r0 += r7 } else { *(u64 *)(r10 - 8) = r0 } } ; prandom }
  const insns = [
    I(0xb7, 0, 0, 0, 0),
    I(0xb7, 6, 0, 0, 3),
    I(0xb7, 7, 0, 0, 4), // outer header (2)
    I(0x45, 7, 0, 2, 1), // inner header (3): if r7 & 1 goto +2
    I(0x7b, 10, 0, -8, 0),
    I(0x05, 0, 0, 1, 0),
    I(0x0f, 0, 7, 0, 0),
    I(0x17, 7, 0, 0, 1),
    I(0x55, 7, 0, -6, 0), // back to the inner header
    I(0xbf, 8, 0, 0, 0),
    I(0x85, 0, 0, 0, 7), // get_prandom_u32 (r0..r5 change)
    I(0xbf, 0, 8, 0, 0),
    I(0x79, 1, 10, -8, 0),
    I(0x0f, 0, 1, 0, 0),
    I(0x17, 6, 0, 0, 1),
    I(0x55, 6, 0, -14, 0), // back to the outer header
    EXIT,
  ];
  const prog = Program.fromInsns(insns);
  assert.match(new Jit(prog).source, /function fast\(max\)/, "the structured form is used");
  const full = new Interpreter(prog).run().insnsExecuted;
  assert.ok(full > 60);
  for (let max = 1; max <= full + 1; max++) same({ prog, run: { maxInsns: max } }, `max ${max}`);
});

Deno.test("jit: local calls are inlined into the structured form; recursion keeps the switch form", () => {
  const prog = Program.fromInsns([I(0x85, 0, 1, 0, 1), EXIT, I(0xb7, 0, 0, 0, 7), EXIT]);
  const src = new Jit(prog).source;
  assert.match(src, /function fast\(max\)/);
  assert.match(src, /C_1: \{/, "the callee is inlined in a labeled block");
  assert.equal(same({ prog }, "local call").r0, 7n);
  const recursive = Program.fromInsns([I(0x07, 0, 0, 0, 1), I(0x85, 0, 1, 0, -2), EXIT]);
  assert.match(new Jit(recursive).source, /return \(max\) => precise\(max, 0, 0, 0\);/);
  assert.match(same({ prog: recursive }, "recursion").fault!.message, /call stack too deep/);
});

Deno.test("jit: every budget of calls inside a loop (nested calls, loops in callees) matches the interpreter", () => {
  // main: r6 = 3; loop { r1 = r6; call f; r7 += r0; r6 -= 1 } ; r0 = r7
  // f: r0 = 0; loop r1..1 { r0 += r1; call g } ; exit
  // g: *(u64 *)(r10 - 8) = r0 (its own frame); r0 += 1; if r0 is even, four more instructions
  const insns = [
    I(0xb7, 6, 0, 0, 3),
    I(0xb7, 7, 0, 0, 0),
    I(0xbf, 1, 6, 0, 0), // 2: loop
    I(0x85, 0, 1, 0, 5), // call f (insn 9)
    I(0x0f, 7, 0, 0, 0),
    I(0x17, 6, 0, 0, 1),
    I(0x55, 6, 0, -5, 0),
    I(0xbf, 0, 7, 0, 0),
    EXIT,
    I(0xb7, 0, 0, 0, 0), // 9: f
    I(0x0f, 0, 1, 0, 0), // 10: loop
    I(0x85, 0, 1, 0, 3), // call g (insn 15)
    I(0x17, 1, 0, 0, 1),
    I(0x55, 1, 0, -4, 0),
    EXIT,
    I(0x7b, 10, 0, -8, 0), // 15: g
    I(0x07, 0, 0, 0, 1),
    I(0x45, 0, 0, 4, 1), // odd r0: the short way out (a look-ahead covers the long way, so a budget hand-over in g
    I(0x07, 2, 0, 0, 1), // can still reach its exit and the return into f, then into main, in the switch form)
    I(0x07, 2, 0, 0, 1),
    I(0x07, 2, 0, 0, 1),
    I(0x07, 2, 0, 0, 1),
    EXIT,
  ];
  const prog = Program.fromInsns(insns);
  assert.match(new Jit(prog).source, /function fast\(max\)/, "the structured form is used");
  const full = new Interpreter(prog).run();
  assert.equal(full.fault, null);
  for (let max = 1; max <= full.insnsExecuted + 1; max++) same({ prog, run: { maxInsns: max } }, `max ${max}`);
});

/** A main program and 1–4 functions, each calling only later ones: loops, stack use, branches (all inlinable). */
function randomFunctions(r: ReturnType<typeof rng>): Insn[] {
  const nFns = 2 + r.int(4);
  const bodies: Array<{ insns: Insn[]; calls: Array<{ at: number; to: number }> }> = [];
  for (let f = 0; f < nFns; f++) {
    const b: Insn[] = [I(0xb7, 0, 0, 0, r.int(100))];
    const calls: Array<{ at: number; to: number }> = [];
    const loop = r.chance(0.6);
    if (loop) b.push(I(0xb7, 6, 0, 0, 1 + r.int(4)));
    const loopStart = b.length;
    for (let k = 2 + r.int(8); k > 0; k--) {
      const c = r.int(6);
      if (c === 0) b.push(I(0x07, r.int(6), 0, 0, r.int(50)));
      else if (c === 1) b.push(I(0x2f, 0, r.int(6), 0, 0));
      else if (c === 2) b.push(I(0x7b, 10, r.int(6), -8 * (1 + r.int(4)), 0));
      else if (c === 3) b.push(I(0x79, r.int(6), 10, -8 * (1 + r.int(4)), 0));
      else if (c === 4 && f + 1 < nFns) {
        calls.push({ at: b.length, to: f + 1 + r.int(nFns - f - 1) });
        b.push(I(0x85, 0, 1, 0, 0));
      } else b.push(I(0x45, 0, 0, 1, 1), I(0xaf, 0, r.int(6), 0, 0));
    }
    if (loop) b.push(I(0x17, 6, 0, 0, 1), I(0x55, 6, 0, loopStart - (b.length + 2), 0));
    b.push(EXIT);
    bodies.push({ insns: b, calls });
  }
  const starts: number[] = [];
  let at = 0;
  for (const b of bodies) starts.push(at), at += b.insns.length;
  return bodies.flatMap((b, f) => {
    for (const c of b.calls) b.insns[c.at] = I(0x85, 0, 1, 0, starts[c.to] - (starts[f] + c.at) - 1);
    return b.insns;
  });
}

Deno.test("jit: 1500 random programs of non-recursive functions (inlined), at random budgets", () => {
  const r = rng(31337);
  let inlined = 0, limits = 0;
  for (let i = 0; i < 1500; i++) {
    const insns = randomFunctions(r);
    const prog = Program.fromInsns(insns);
    if (/function fast\(max\)/.test(new Jit(prog).source)) inlined++;
    const maxInsns = r.chance(0.5) ? 1 + r.int(200) : 1e6;
    const res = same(
      { prog, run: { maxInsns } },
      `functions #${i}: ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))} max ${maxInsns}`,
    );
    if (res.fault?.message.includes("instruction limit")) limits++;
  }
  // all but the few whose inlined `fast` would be too large for V8's optimising compiler (4 of these 1500)
  assert.ok(inlined >= 1450, `structured with calls inlined: ${inlined} of 1500`);
  assert.ok(limits > 150, `limits ${limits}`);
});

Deno.test("jit: a wide call tree over the inlining bound compiles quickly to the switch form", () => {
  // 7 functions, each calling the next 40 times: 40^6 call paths when fully inlined
  const fns: Insn[][] = [];
  for (let f = 0; f < 7; f++) {
    const body: Insn[] = [];
    if (f < 6) { for (let k = 0; k < 40; k++) body.push(I(0x85, 0, 1, 0, 0)); }
    body.push(I(0x07, 0, 0, 0, 1), EXIT);
    fns.push(body);
  }
  const starts: number[] = [];
  let at = 0;
  for (const b of fns) starts.push(at), at += b.length;
  const insns = fns.flatMap((b, f) =>
    b.map((x, k) => (x.code === 0x85 ? I(0x85, 0, 1, 0, starts[f + 1] - (starts[f] + k) - 1) : x))
  );
  const src = new Jit(Program.fromInsns(insns)).source;
  assert.doesNotMatch(src, /function fast\(max\)/);
  same({ prog: Program.fromInsns(insns), run: { maxInsns: 5000 } }, "wide call tree");
});

Deno.test("runs of one engine are independent: an input given once is absent in the next run; calls, regs and stack", () => {
  const LD = (dst: number, src: number) => I(0x71, dst, src, 0, 0); // r_dst = *(u8 *)(r_src + 0)
  const readMem = Program.fromInsns([
    [I(0x18, 3, 0, 0, 0), I(0, 0, 0, 0, 0x100a)], // r3 = the mem buffer's address
    LD(0, 3),
    EXIT,
  ]);
  const readCtx = Program.fromInsns([LD(0, 1), EXIT]);
  // main: *(u64 *)(r10 - 8) += 1 (0 in a fresh run), call f; f: the same on its own frame; r0 = the sum of both slots
  const calls = Program.fromInsns([
    I(0x79, 6, 10, -8, 0),
    I(0x07, 6, 0, 0, 1),
    I(0x7b, 10, 6, -8, 0),
    I(0x85, 0, 1, 0, 2), // call f
    I(0x0f, 0, 6, 0, 0),
    EXIT,
    I(0x79, 0, 10, -8, 0), // f
    I(0x07, 0, 0, 0, 1),
    I(0x7b, 10, 0, -8, 0),
    EXIT,
  ]);
  // a packet run's __sk_buff: r0 = len | *(u32 *)(ctx + 4) << 32, then *(u32 *)(ctx + 4) = 77 (zero again next run)
  const skb = Program.fromInsns([
    I(0x61, 3, 1, 4, 0),
    I(0x62, 1, 0, 4, 77),
    I(0x61, 0, 1, 0, 0),
    I(0x67, 3, 0, 0, 32),
    I(0x4f, 0, 3, 0, 0),
    EXIT,
  ]);
  // at depth 0, through a pointer made into frame 1 (r10 + 2^32): r0 = *(u64 *)(frame 1 top - 8), then write 99 there
  const forged = Program.fromInsns([
    [I(0x18, 2, 0, 0, 0), I(0, 0, 0, 0, 1)],
    I(0xbf, 3, 10, 0, 0),
    I(0x0f, 3, 2, 0, 0),
    I(0x79, 0, 3, -8, 0),
    I(0x7a, 3, 0, -8, 99),
    EXIT,
  ]);
  // main: call f twice, r0 = the sum of its results; f: lock *(u64 *)(r10 - 8) += 5; r0 = *(u64 *)(r10 - 8)
  const atomic = Program.fromInsns([
    I(0x85, 0, 1, 0, 4),
    I(0xbf, 6, 0, 0, 0),
    I(0x85, 0, 1, 0, 2),
    I(0x0f, 0, 6, 0, 0),
    EXIT,
    I(0xb7, 1, 0, 0, 5), // f
    I(0xdb, 10, 1, -8, 0),
    I(0x79, 0, 10, -8, 0),
    EXIT,
  ]);
  for (const engine of ["interp", "jit"] as const) {
    const m = createVm(readMem, {}, engine), c = createVm(readCtx, {}, engine), k = createVm(calls, {}, engine);
    const p = createVm(skb, {}, engine), g = createVm(forged, {}, engine), x = createVm(atomic, {}, engine);
    for (let round = 0; round < 3; round++) {
      assert.equal(g.run({}).r0, 0n, `${engine}: frame 1 reads zero at the start of run ${round}`);
      assert.equal(x.run({}).r0, 10n, `${engine}: an atomic add leaves the frame to be zeroed by the next call`);
      assert.equal(p.run({ data: new Uint8Array(60 + round) }).r0, BigInt(60 + round), `${engine}: fresh __sk_buff`);
      assert.equal(p.run({ ctx: new Uint8Array(8).fill(1) }).r0, 0x0101010101010101n, `${engine}: a ctx of its own`);
      assert.equal(m.run({ mem: Uint8Array.of(7 + round) }).r0, BigInt(7 + round), `${engine}: mem given`);
      assert.match(
        m.run({}).fault?.message ?? "",
        /invalid read of 1 bytes at 0x0000100a00000000/,
        `${engine}: no mem`,
      );
      assert.equal(c.run({ ctx: Uint8Array.of(5 + round) }).r0, BigInt(5 + round), `${engine}: ctx given`);
      assert.match(c.run({}).fault?.message ?? "", /invalid read of 1 bytes/, `${engine}: no ctx`);
      assert.equal(c.run({ mem: Uint8Array.of(1) }).fault, null, `${engine}: r1 = mem`);
      const r = k.run({});
      assert.equal(r.fault, null);
      assert.equal(r.r0, 2n, `${engine}: both frames read zero at the start of run ${round}`);
    }
  }
});

Deno.test("jit: a budget hand-over with r1 in a callee's frame still records that frame's writes (zeroed at the next call)", () => {
  // f: r0 = *(u64 *)(r10 - 16) (0 in a fresh frame); r1 = r10 - 16; one pass of a loop that stores 77 at r1,
  // whose long way round (never taken) makes the look-ahead at the loop header larger than what is left to run.
  // With a budget between the run's length and that look-ahead, `fast` hands over to `precise` at the header,
  // where r1 points into frame 1: its store must lower frame 1's low mark, or the second call reads 77.
  const LONG = 50;
  const prog = Program.fromInsns([
    I(0xb7, 6, 0, 0, 0),
    I(0x85, 0, 1, 0, 4), // call f
    I(0x0f, 6, 0, 0, 0),
    I(0x85, 0, 1, 0, 2), // call f
    I(0x0f, 0, 6, 0, 0),
    EXIT,
    I(0x79, 0, 10, -16, 0), // f
    I(0xbf, 1, 10, 0, 0),
    I(0x07, 1, 0, 0, -16),
    I(0xb7, 2, 0, 0, 1),
    I(0x7a, 1, 0, 0, 77), // loop
    I(0x17, 2, 0, 0, 1),
    I(0x15, 2, 0, LONG + 1, 0),
    ...Array.from({ length: LONG }, () => I(0x07, 3, 0, 0, 1)),
    I(0x05, 0, 0, -(LONG + 4), 0),
    EXIT,
  ]);
  const interp = new Interpreter(prog), jit = new Jit(prog);
  const full = interp.run();
  assert.deepEqual([full.r0, full.insnsExecuted, full.fault], [0n, 22, null]);
  for (let max = 1; max <= full.insnsExecuted + LONG; max++) {
    const a = interp.run({}, { maxInsns: max }), b = jit.run({}, { maxInsns: max });
    assert.deepEqual([b.r0, b.insnsExecuted, b.fault], [a.r0, a.insnsExecuted, a.fault], `budget ${max}`);
  }
});

Deno.test("jit: inlining that would make `fast` too large for V8's optimising compiler gives way to the switch form", () => {
  // main: 200 iterations of `calls` calls of f; f: `body` ALU instructions
  const prog = (calls: number, body: number) => {
    const p: Insn[] = [I(0xb7, 6, 0, 0, 200)];
    for (let c = 0; c < calls; c++) p.push(I(0x85, 0, 1, 0, calls - c + 2)); // call f
    p.push(I(0x17, 6, 0, 0, 1), I(0x55, 6, 0, -(calls + 2), 0), EXIT);
    for (let j = 0; j < body; j++) p.push(j % 2 ? I(0x0f, 0, 1, 0, 0) : I(0x07, 1, 0, 0, 3));
    p.push(EXIT);
    return Program.fromInsns(p);
  };
  const fastLen = (src: string) => src.includes("function fast(") ? src.length - src.indexOf("function fast(") : 0;
  const small = new Jit(prog(4, 100)), wide = new Jit(prog(4, 200)), both = new Jit(prog(2, 300));
  assert.ok(fastLen(small.source) > 0, "4 calls of 100 insns: inlined");
  assert.equal(fastLen(wide.source), 0, "4 calls of 200 insns: the switch form");
  assert.doesNotMatch(wide.source, /function chunk/, "which fits in one function");
  assert.equal(fastLen(both.source), 0, "2 calls of 300 insns: the switch form ...");
  assert.match(both.source, /function chunk1\(max\)/, "... split into chunks");
  for (const [p, j] of [[prog(4, 200), wide], [prog(4, 100), small], [prog(2, 300), both]] as const) {
    const a = new Interpreter(p).run({}, { regs: true }), b = j.run({}, { regs: true });
    assert.deepEqual([b.r0, b.insnsExecuted, b.regs], [a.r0, a.insnsExecuted, a.regs]);
  }
});

/**
 * Loops over straight-line blocks of loads and stores (every size, signed loads, overlapping sub-word accesses)
 * through several pointers derived from r10 and r1 by copies and additions (some near the regions' edges, some
 * out of bounds, one near a carry into the high word), with ALU on the loaded values, pointer updates, 32-bit moves
 * of pointers, helper calls and atomics between them: what the block guards (and the store forwarding inside them)
 * must get right.
 */
function memoryBlockProgram(r: ReturnType<typeof rng>): Insn[] {
  const p: Insn[] = [];
  p.push(I(0xbf, 7, 1, 0, 0));
  p.push(I(0xb7, 5, 0, 0, 2 + r.int(6))); // loop counter
  // r8 is set before the loop: inside it, r8 and r10 are different base pointers into the same frame
  const r8early = r.chance(0.5);
  if (r8early) p.push(I(0xbf, 8, 10, 0, 0), I(0x07, 8, 0, 0, r.chance(0.5) ? 0 : -8 * r.int(3)));
  // r9 = r10 + something (sometimes wrapping the low word, or ending it just below 2^32, where small displacements
  // carry into the next region): before the loop (a base pointer of the loop's block) or in it
  const r9 = [
    ...lddw(3, BigInt(r.pick([0, -4, -512, 0x7ffffff0, -0x7fffffff, 0xfffffdfc, 0xfffffdf9, 0xfffffdf0]))),
    I(0xbf, 9, 10, 0, 0), // r9 = r10 (a stack pointer, so its accesses get a block guard); r9 += r3
    I(0x0f, 9, 3, 0, 0),
  ];
  const r9early = r.chance(0.5);
  if (r9early) p.push(...r9);
  const head = p.length;
  // the other pointers are set again every iteration (r7 keeps moving)
  p.push(I(0xbf, 6, 10, 0, 0), I(0x07, 6, 0, 0, -8 * (1 + (r.chance(0.8) ? r.int(4) : r.int(63)))));
  if (r.chance(0.3)) p.push(I(0x07, 7, 0, 0, r.int(8)));
  if (!r8early) p.push(I(0xbf, 8, 10, 0, 0));
  if (!r8early && r.chance(0.3)) p.push(I(0x07, 8, 0, 0, -8 * r.int(3)));
  if (!r9early) p.push(...r9);
  const body = 4 + r.int(24);
  const base = () => r.pick([10, 6, 6, 7, 7, 8, 9]);
  // offsets from small pools, so accesses through different pointers overlap often; a few out of bounds
  const off = (b: number, size: number) => {
    if (r.chance(0.03)) return r.pick([-520, -513, 1, 600, 72]) - size;
    if (b === 7) return r.chance(0.8) ? r.pick([0, 1, 2, 3, 4, 6, 8]) : r.int(64 - size);
    if (b === 9) return r.chance(0.8) ? 4 + r.int(5) : r.int(16) - 8;
    if (b === 6) return r.pick([0, 1, 3, 4, -4, -8]);
    // near the top of the frame, and sometimes at its bottom (where a pointer carried into the next region would land
    // by mistake)
    return r.chance(0.15) ? -512 + r.int(9 - size) : -size - r.pick([0, 0, 1, 3, 4, 8, 12, 16, 24]);
  };
  const val = () => r.pick([0, 2, 3, 4]);
  for (let k = 0; k < body; k++) {
    const c = r.int(100), b = base(), sz = r.pick([0x00, 0x08, 0x10, 0x18]), size = [4, 2, 1, 8][sz >> 3];
    if (c < 30) p.push(I(r.chance(0.7) ? 0x61 | sz : 0x81 | (sz === 0x18 ? 0 : sz), val(), b, off(b, size), 0));
    else if (c < 55) p.push(I(0x63 | sz, b, val(), off(b, size), 0));
    else if (c < 62) p.push(I(0x62 | sz, b, 0, off(b, size), r.u32() | 0));
    else if (c < 72) p.push(I(r.pick([0x0f, 0xaf, 0x2f, 0x0c, 0x77]), val(), val(), 0, 13));
    else if (c < 81) p.push(I(r.pick([0x07, 0x17]), r.pick([6, 7, 8]), 0, 0, r.pick([1, 4, 8, -8, 0, 16, -1])));
    else if (c < 84) p.push(I(0xbf, r.pick([6, 7, 8]), r.pick([6, 7, 8, 10]), 0, 0));
    else if (c < 86) p.push(I(0xbc, r.pick([6, 7]), r.pick([6, 7]), 0, 0)); // a 32-bit move drops the high word
    else if (c < 88) p.push(I(0x85, 0, 0, 0, 7)); // helper (prandom): changes r0..r5
    else if (c < 91) { // map_update_elem: reads a key at r10-4 and a value at r10-24 (the maps are compared)
      p.push(I(0x62, 10, 0, -4, r.int(4)), I(0x18, 1, 1, 0, r.pick([1, 2])), I(0, 0, 0, 0, 0));
      p.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4), I(0xbf, 3, 10, 0, 0), I(0x07, 3, 0, 0, -24));
      p.push(I(0xb7, 4, 0, 0, 0), I(0x85, 0, 0, 0, 2));
    } else if (c < 92 && r.chance(0.3)) p.push(I(0xb7, 1, 0, 0, 0), I(0x85, 0, 0, 0, 1)); // a helper fault
    else if (c < 94) p.push(I(0xdb, r.pick([6, 8]), val(), -8 * (1 + r.int(3)), r.pick(ATOMICS)));
    else if (c < 95) p.push(I(0x07, 6, 0, 0, 8));
    else if (c < 97) p.push(I(0x73, 10, val(), -1 - r.int(8), 0));
    else { // the same bytes through r10 and r8: store, load or store through the other, store again or load
      const [x, y] = r.chance(0.5) ? [10, 8] : [8, 10], o = -8 - r.pick([0, 0, 4, 8]), o2 = o + r.pick([0, 0, 4, 7]);
      p.push(I(0x63 | sz, x, val(), o, 0));
      p.push(r.chance(0.5) ? I(0x61 | sz, val(), y, o2, 0) : I(0x63 | sz, y, val(), o2, 0));
      p.push(r.chance(0.5) ? I(0x63 | sz, x, val(), o, 0) : I(0x61 | sz, val(), x, o, 0));
    }
  }
  p.push(I(0x17, 5, 0, 0, 1), I(0x55, 5, 0, head - p.length - 2, 0));
  p.push(I(0x79, 0, 10, -8, 0), I(0x79, 1, 10, -512, 0), I(0x0f, 0, 1, 0, 0), EXIT);
  return p;
}

Deno.test("jit: 2500 loops over blocks of loads and stores through derived pointers (block guards, forwarding) agree", () => {
  const r = rng(7150);
  let faults = 0, clean = 0;
  for (let i = 0; i < 2500; i++) {
    const insns = memoryBlockProgram(r);
    const res = same({
      prog: Program.fromInsns(insns),
      input: { mem: new Uint8Array(64).map((_, j) => j * 29 + i) },
      run: { maxInsns: r.chance(0.2) ? 1 + r.int(200) : 100000, seed: i },
      // a third run in `precise` alone (split into chunks: no `fast`), whose blocks have guards too
      maxFunctionTokens: i % 3 === 0 ? 300 : undefined,
    }, `memory blocks #${i}: ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))}`);
    if (res.fault) faults++;
    else clean++;
  }
  assert.ok(faults > 300 && clean > 300, `faults ${faults}, clean runs ${clean}`);
});

/**
 * Counted loops whose counters start at edge values (0, 1, 2^31, 2^32 - 1, 2^32, -1) and step by small amounts in
 * 64-bit or 32-bit arithmetic, with conditions of every kind against constants, and the counters added to,
 * subtracted from and compared with other registers: what the value ranges (core/jit/ranges.ts) must get right.
 */
function countedLoopProgram(r: ReturnType<typeof rng>): Insn[] {
  const edge = () => r.pick([0n, 1n, 2n, 5n, 100n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -1n, -2n]);
  const p: Insn[] = [...lddw(1, edge()), ...lddw(2, edge()), ...lddw(3, r.u64()), I(0xb7, 0, 0, 0, 0)];
  const head = p.length;
  for (let k = 1 + r.int(5); k > 0; k--) {
    const c = r.int(10);
    if (c < 3) p.push(I(r.pick([0x0f, 0x1f, 0x0c, 0x1c]), r.pick([0, 3]), r.pick([1, 2]), 0, 0));
    else if (c < 5) p.push(I(r.pick([0x07, 0x17, 0x04, 0x14]), r.pick([1, 2]), 0, 0, r.pick([1, 1, 2, -1, 3])));
    else if (c < 6) {
      p.push(I(r.pick([0x57, 0x77, 0x67, 0x47, 0xbc, 0x27]), r.pick([2, 3]), 0, 0, r.pick([0xff, 4, 1, 33])));
    } else if (c < 7) p.push(I(r.pick([0x0f, 0x1f, 0x2f]), r.pick([1, 2]), r.pick([1, 2, 3]), 0, 0));
    else if (c < 8) p.push(I(r.pick([0x25, 0x35, 0xa5, 0xb5, 0x15, 0x55, 0x65, 0xc5]), r.pick([1, 2]), 0, 1, r.int(8)));
    else p.push(I(0x0f, 0, r.pick([1, 2]), 0, 0));
    if (r.chance(0.3)) p.push(I(0xbf, 0, r.pick([1, 2, 3]), 0, 0));
  }
  p.push(I(r.pick([0x07, 0x17]), 1, 0, 0, r.pick([1, 1, 2])));
  const jmp = r.pick([0x55, 0x15, 0x25, 0x35, 0xa5, 0xb5, 0x65, 0x75, 0xc5, 0xd5, 0x56, 0xa6]);
  p.push(I(jmp, 1, 0, head - p.length - 1, r.pick([0, 1, 3, 1000, -1, 0x7fffffff])));
  p.push(I(0x0f, 0, 1, 0, 0), I(0x0f, 0, 2, 0, 0), EXIT);
  return p;
}

Deno.test("jit: 2000 counted loops with counters at edge values (value ranges) agree with the interpreter", () => {
  const r = rng(1515);
  let limits = 0;
  for (let i = 0; i < 2000; i++) {
    const insns = countedLoopProgram(r);
    // limits above 2^31 - 1 too (`fast` counts an int32 budget down and hands over at 2^31 - 1), for loops that end
    const ends = () => !new Interpreter(Program.fromInsns(insns)).run({}, { maxInsns: 20000 }).fault;
    const maxInsns = i % 5 === 0 && ends() ? (i % 10 === 0 ? 2 ** 31 + i : 2 ** 31 - 1) : 20000;
    const res = same(
      { prog: Program.fromInsns(insns), run: { maxInsns } },
      `counted loop #${i} (max ${maxInsns}): ${JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm]))}`,
    );
    if (res.fault?.message.includes("instruction limit")) limits++;
  }
  assert.ok(limits > 100 && limits < 1900, `limits ${limits}`);
});

Deno.test("jit: value ranges: a 32-bit comparison bounds no 64-bit register; borrows and carries at the edges", () => {
  const cases: Insn[][] = [
    // r1 = 2^32 + 3; if w1 < 10 (true): r0 = 0 + r1 must keep the high word
    [...lddw(1, 0x100000003n), I(0xb7, 0, 0, 0, 0), I(0xa6, 1, 0, 0, 10), I(0x0f, 0, 1, 0, 0), EXIT],
    // r1 = 2^32 + 3; if r1 < 10 (64-bit, false): the fall-through may not think r1 small
    [...lddw(1, 0x100000003n), I(0xb7, 0, 0, 0, 0), I(0xa5, 1, 0, 1, 10), I(0x0f, 0, 1, 0, 0), EXIT],
    // a counter from 0 down: borrows into the high word
    [
      I(0xb7, 1, 0, 0, 0),
      I(0xb7, 0, 0, 0, 0),
      I(0x17, 1, 0, 0, 1),
      I(0x0f, 0, 1, 0, 0),
      I(0x55, 1, 0, 1, -3),
      EXIT,
      I(
        0x05,
        0,
        0,
        -5,
        0,
      ),
    ],
    // a counter up to 2^32 - 1 and past it
    [
      ...lddw(1, 0xfffffffdn),
      I(0xb7, 0, 0, 0, 0),
      I(0x07, 1, 0, 0, 1),
      I(0x0f, 0, 1, 0, 0),
      I(0x55, 1, 0, -3, 0),
      EXIT,
    ],
  ];
  for (const [k, insns] of cases.entries()) {
    same({ prog: Program.fromInsns(insns), run: { maxInsns: 100 } }, `value ranges case ${k}`);
  }
});

Deno.test("jit: a block guard never takes a pointer whose low word would carry into the next region", () => {
  // r2 = (stack frame 0's hi, 0xfffffffc): r2 + 4 is offset 0 of the next region (stack frame 1), not of frame 0
  const insns = [
    I(0xbf, 2, 10, 0, 0),
    ...lddw(3, 0xfffffdfcn),
    I(0x0f, 2, 3, 0, 0),
    I(0x05, 0, 0, 0, 0), // a new block: r2 is its base pointer
    I(0x62, 2, 0, 4, 7), // *(u32 *)(r2 + 4) = 7
    I(0x61, 0, 10, -512, 0), // r0 = *(u32 *)(r10 - 512): frame 0's first word, still 0
    I(0x61, 4, 2, 4, 0),
    I(0x0f, 0, 4, 0, 0),
    EXIT,
  ];
  const r = same({ prog: Program.fromInsns(insns) }, "carrying base pointer");
  assert.equal(r.r0, 7n);
  assert.equal(r.fault, null);
  // found by the block test: r7 -= 8 was taken as carry-free for a base the guard did not test (r7 = the memory
  // buffer's start: it borrows), since an access after r7 -= 1 made r7 no base at all
  const found = JSON.parse(
    "[[191,7,1,0,0],[183,5,0,0,4],[191,6,10,0,0],[7,6,0,0,-368],[191,8,10,0,0],[24,9,0,0,0],[0,0,0,0,0],[15,9,10,0,0],[7,7,0,0,-8],[23,7,0,0,1],[188,6,6,0,0],[98,7,0,1,2004855488],[113,2,6,-514,0],[175,4,0,0,13],[113,0,8,-1,0],[145,4,10,-13,0],[97,3,6,-4,0],[47,2,4,0,13],[106,10,0,-10,-889832201],[137,0,6,3,0],[115,10,0,-5,0],[115,10,3,-6,0],[114,9,0,1,299162497],[23,5,0,0,1],[85,5,0,-23,0],[121,0,10,-8,0],[149,0,0,0,0]]",
  );
  same({
    prog: progFromSlots(found),
    input: { mem: new Uint8Array(64).map((_, j) => j * 29 + 1625) },
  }, "a pointer addition for a base the guard does not test");
  // additions of constants below 2^29 to a copy of a tested base, eight of them: past 2^32, they carry
  const many = [I(0xbf, 2, 10, 0, 0), ...Array.from({ length: 8 }, () => I(0x07, 2, 0, 0, 0x1fffffff))];
  const r2 = same({
    prog: Program.fromInsns([...many, I(0x7a, 10, 0, -8, 1), I(0xbf, 0, 2, 0, 0), EXIT]),
  }, "additions past 2^32");
  assert.equal(r2.r0, 0x1000_0000_0200n + 8n * 0x1fffffffn);
});

Deno.test("jit and interpreter: limits that are not integers, NaN, negative, 0 and 2^31 and above count alike", () => {
  const loop = [I(0xb7, 1, 0, 0, 50), I(0x17, 1, 0, 0, 1), I(0x55, 1, 0, -2, 0), I(0xbf, 0, 1, 0, 0), EXIT];
  for (const maxInsns of [100.5, 37.25, 0.5, 0, -3, NaN, Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 1e12]) {
    const r = same({ prog: Program.fromInsns(loop), run: { maxInsns } }, `max ${maxInsns}`);
    assert.ok(Number.isInteger(r.insns), `max ${maxInsns}: count ${r.insns}`);
  }
  const big = benchPrograms().find((b) => b.name === "fib32")!;
  for (const maxInsns of [1e6 + 0.5, 2 ** 31 + 0.5]) {
    const r = same({ prog: big.prog, input: { mem: benchInput() }, run: { maxInsns } }, `fib32, max ${maxInsns}`);
    assert.ok(Number.isInteger(r.insns));
  }
});

Deno.test("jit: the default choice of the wasm tier (long runs tier up, short runs never, escapes drop back)", () => {
  const mem = benchInput();
  const interp = (p: Program, input: RunInput, opts: RunOptions = {}) =>
    new Interpreter(p).run(input, { ...opts, regs: true });
  // a long run: the next runs go through the tier, with the same results, also under a budget
  const b = benchPrograms()[0];
  const j = new Jit(b.prog);
  assert.equal(j.wasm, false);
  assert.equal(j.run({ mem }).r0, b.r0);
  assert.equal(j.wasm, true);
  for (const maxInsns of [undefined, 5, 1000, 999_999]) {
    sameRun(j.run({ mem }, { maxInsns, regs: true }), interp(b.prog, { mem }, { maxInsns }), `maxInsns ${maxInsns}`);
  }
  assert.equal(j.wasm, true);
  // short runs, however many: the JavaScript code
  const short = new Jit(Program.fromInsns([I(0xb7, 0, 0, 0, 7), EXIT]));
  for (let k = 0; k < 200_000; k++) short.run();
  assert.equal(short.wasm, false);
  // a loop calling a helper in every iteration: tiers up after the first run, the second shows the escapes: back
  const helperLoop = Program.fromInsns([
    I(0xb7, 6, 0, 0, 400_000),
    I(0x85, 0, 0, 0, 7),
    I(0x17, 6, 0, 0, 1),
    I(0x55, 6, 0, -3, 0),
    EXIT,
  ]);
  const h = new Jit(helperLoop);
  const seen: boolean[] = [];
  for (let k = 0; k < 4; k++) {
    const r = h.run({}, { seed: k, regs: true }), e = interp(helperLoop, {}, { seed: k });
    assert.deepEqual([r.r0, r.regs, r.insnsExecuted], [e.r0, e.regs, e.insnsExecuted]);
    seen.push(h.wasm);
  }
  assert.deepEqual(seen, [true, false, false, false]);
  // forced on, it stays
  const w = new Jit(helperLoop, { wasm: "always" });
  assert.equal(w.wasm, true);
  w.run();
  assert.equal(w.wasm, true);
  assert.equal(new Jit(helperLoop, { wasm: "never" }).wasm, false);
});

Deno.test("jit: the wasm tier's memory grows for large inputs (views moved), packets without a ctx get the skb", () => {
  // sum the memory buffer's bytes (r1 = buffer, r2 = length), store the sum at its start
  const sum = Program.fromInsns([
    I(0xb7, 0, 0, 0, 0),
    I(0xbf, 3, 1, 0, 0),
    I(0x0f, 3, 2, 0, 0),
    I(0x3d, 1, 3, 4, 0), // if r1 >= r3 goto store
    I(0x71, 4, 1, 0, 0),
    I(0x0f, 0, 4, 0, 0),
    I(0x07, 1, 0, 0, 1),
    I(0x05, 0, 0, -5, 0),
    I(0x7b, 10, 0, -8, 0),
    I(0x79, 5, 10, -8, 0),
    I(0xbf, 0, 5, 0, 0),
    EXIT,
  ]);
  const w = new Jit(sum, { wasm: "always" });
  assert.equal(w.wasm, true);
  for (const n of [16, 100_000, 70_000, 300_000, 0, 5]) {
    const mem = new Uint8Array(n).map((_, k) => (k * 7) & 0xff);
    sameRun(w.run({ mem }, { regs: true }), new Interpreter(sum).run({ mem }, { regs: true }), `${n} bytes`);
  }
  // a packet run reads the __sk_buff length from the ctx, after the memory grew
  const len = Program.fromInsns([I(0x61, 0, 1, 0, 0), EXIT]);
  const p = new Jit(len, { wasm: "always" });
  p.run({ mem: new Uint8Array(200_000) });
  assert.equal(p.run({ data: new Uint8Array(1234) }).r0, 1234n);
});
