/**
 * The `jitopt` fuzz target: unverified programs aimed at the JIT's
 * optimisations (core/jit/ranges.ts and the block guards, store forwarding
 * and dead stores of core/jit/codegen.ts), run on the interpreter and the
 * JIT, which must agree on r0, every register, the executed-instruction
 * count, the fault (message and pc), the memory buffer and the maps.
 *
 * A program is loops (backward jumps, some counted down from edge values)
 * over straight-line runs of: 64- and 32-bit arithmetic of every kind on
 * registers that start at edge values (0, 1, 2^31, 2^32 - 1, 2^32, -1, ...),
 * conditional jumps of every kind against constants and registers (which
 * narrow the value ranges), loads and stores of every size through pointers
 * derived from r10 and from r1 (the memory buffer) by copies, additions of
 * constants and of registers, and 32-bit moves (offsets near the regions'
 * edges, some out of bounds), overlapping stores and loads through two
 * pointers into the same bytes, helper calls (some faulting, some reading
 * the stack), atomics, calls of a subprogram that writes through a pointer to
 * the caller's frame, `may_goto` forward and backward (its budget shared
 * within a frame, new in every call), and, in the linux-3.18 profile,
 * divisions that end the run. Limits are small or large, and a third of the programs run in the
 * chunked `precise` form alone.
 *
 * @module
 */
import { type Insn, Program } from "../../core/isa/mod.ts";
import { ArrayMap, type BpfMap, HashMap } from "../../core/maps/mod.ts";
import { createVm, Jit } from "../../core/jit/mod.ts";
import type { FuzzOptions, FuzzStats } from "./targets.ts";
import { Rng } from "./rng.ts";

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const lddw = (dst: number, v: bigint): Insn[] => [
  I(0x18, dst, 0, 0, Number(BigInt.asIntN(32, v))),
  I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
];
const EDGES = [
  0n,
  1n,
  2n,
  3n,
  8n,
  255n,
  0xffffn,
  0x7ffffffen,
  0x7fffffffn,
  0x80000000n,
  0xffff0000n,
  0xffffff00n,
  0xfffffff0n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  0x100000001n,
  -1n,
  -2n,
  -0x80000000n,
];
const SMALL = [0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 255, 0xffff, 0x7fffffff, -1, -2, -8, -0x80000000];
/** ALU operation codes (the K form; `| 8` is the X form), 64- and 32-bit. */
const ALU = [0x07, 0x17, 0x27, 0x37, 0x47, 0x57, 0x67, 0x77, 0x97, 0xa7, 0xb7, 0xc7, 0x87];
/** Conditional jump codes (K form), JMP and JMP32. */
const JMPS = [0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0x75, 0xa5, 0xb5, 0xc5, 0xd5];
/** Atomic operations (imm field). */
const ATOMICS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

function maps(): Map<number, BpfMap> {
  const h = new HashMap({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4, name: "h" });
  const a = new ArrayMap({ mapType: 2, keySize: 4, valueSize: 16, maxEntries: 4, name: "a" });
  a.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array(16).fill(7));
  h.update(new Uint8Array([0, 0, 0, 0]), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  return new Map<number, BpfMap>([[1, h], [2, a]]);
}

/** A program for the `jitopt` target (see the module doc); `legacy`: only what linux-3.18's machine has. */
export function jitOptProgram(r: Rng, legacy: boolean): Insn[] {
  const p: Insn[] = [];
  const labels: number[] = []; // earlier positions a backward jump may go to
  // r0, r2..r5: values at edges; r6: the loop counter; r7: the memory buffer (r1 again after a call); r8: a stack
  // pointer; r9: a pointer into the memory buffer
  for (const k of [0, 2, 3, 4, 5]) {
    if (r.chance(0.7)) p.push(...lddw(k, r.pick(EDGES)));
    else p.push(I(r.pick([0xb7, 0xb4]), k, 0, 0, r.pick(SMALL)));
  }
  p.push(I(0xbf, 7, 1, 0, 0), I(0xb7, 6, 0, 0, 2 + r.int(6)), I(0xbf, 8, 10, 0, 0));
  p.push(I(0xbf, 9, 1, 0, 0));
  const subAt: number[] = []; // positions of calls to fix up
  const reg = () => r.pick([0, 2, 3, 4, 5]);
  const ptr = () => r.pick([7, 7, 8, 8, 9, 10, 10]);
  const off = (b: number, size: number): number => {
    if (r.chance(0.01)) return r.pick([-520, -513, -512, 1, 64, 72, 600, 0x7ff0]) - size;
    if (b === 7) return r.chance(0.8) ? r.pick([0, 1, 2, 4, 8, 56]) : r.int(65 - size);
    if (b === 9) return r.pick([0, 1, 2, 4, 8, 16]);
    return r.chance(0.15) ? -512 + r.int(9 - size) : -size - r.pick([0, 0, 1, 2, 4, 8, 12, 16]);
  };
  const n = 8 + r.int(40);
  for (let k = 0; k < n; k++) {
    if (r.chance(0.15)) {
      labels.push(p.length);
      // pointers set again at a loop's head (most loops), so they do not drift out of their regions
      if (r.chance(0.7)) p.push(I(0xbf, 8, 10, 0, 0));
      if (r.chance(0.7)) p.push(I(0xbf, 9, 1, 0, 0));
    }
    const c = r.int(100);
    const sz = r.pick([0x00, 0x08, 0x10, 0x18]), size = [4, 2, 1, 8][sz >> 3];
    if (c < 28) { // arithmetic
      const op = r.pick(ALU), x = r.chance(0.4) && op !== 0x87;
      const code = (legacy || r.chance(0.6) ? op : op & ~7 | 4) | (x ? 8 : 0);
      const imm = op === 0x67 || op === 0x77 || op === 0xc7 ? r.int(64) : r.pick(SMALL);
      p.push(I(code, reg(), x ? reg() : 0, 0, imm));
    } else if (c < 40) { // a forward conditional jump over 0-3 instructions (filled below)
      const op = r.pick(JMPS), x = r.chance(0.3), skip = r.int(4);
      const code = ((legacy || r.chance(0.7)) ? op : (op & ~7) | 6) | (x ? 8 : 0);
      if (r.chance(0.12)) p.push(I(0xe5, 0, 0, skip, 0)); // may_goto: jumps once the frame's budget is used up
      else p.push(I(code, reg(), x ? reg() : 0, skip, r.pick(SMALL)));
      for (let q = 0; q < skip; q++) p.push(I(r.pick([0x07, 0x17, 0x04, 0xbf]), reg(), reg(), 0, r.pick(SMALL)));
    } else if (c < 46 && labels.length > 0) { // a backward jump: counted down in r6 (the loops end), or on anything
      const to = r.pick(labels);
      if (r.chance(0.9)) { // signed conditions: the counter going below 0 in a later loop ends that loop too
        p.push(I(r.pick([0x17, 0x14]), 6, 0, 0, 1));
        const [op, k] = r.pick([[0x65, 0], [0x66, 0], [0x75, 1], [0x76, 1]]);
        p.push(I(op, 6, 0, to - p.length - 1, k));
      } else {
        const cnt = reg();
        if (r.chance(0.5)) p.push(I(r.pick([0x17, 0x07, 0x14]), cnt, 0, 0, r.pick([1, 1, 2, -1])));
        const op = r.pick([0x55, 0x25, 0x35, 0xa5, 0xb5, 0x56, 0xa6, 0x5d, 0x2d]);
        // a backward may_goto loops (to the limit) once the budget is used up
        if (r.chance(0.25)) p.push(I(0xe5, 0, 0, to - p.length - 1, 0));
        else p.push(I(op, cnt, reg(), to - p.length - 1, r.pick([0, 1, 3, 100, -1, 0x7fffffff])));
      }
    } else if (c < 62) { // load
      const b = ptr(), code = r.chance(0.75) || sz === 0x18 ? 0x61 | sz : 0x81 | sz;
      p.push(I(code, r.chance(0.8) ? reg() : r.pick([6, 8, 9]), b, off(b, size), 0));
    } else if (c < 78) { // store (register or constant)
      const b = ptr();
      p.push(r.chance(0.7) ? I(0x63 | sz, b, reg(), off(b, size), 0) : I(0x62 | sz, b, 0, off(b, size), r.pick(SMALL)));
    } else if (c < 86) { // pointer arithmetic
      const t = r.pick([8, 9]), q = r.int(40);
      // a copy of a base, rarely an addition of a register, a 32-bit move or a large constant
      if (q < 8) p.push(I(0xbf, t, t === 9 ? 1 : 10, 0, 0));
      else if (q === 4) p.push(I(0x0f, t, reg(), 0, 0));
      else if (q === 5) p.push(I(0xbc, t, t, 0, 0));
      else if (q === 6) p.push(I(r.pick([0x07, 0x17]), t, 0, 0, r.pick([0x1fffffff, -0x1fffffff, 512, -512])));
      else p.push(I(0x07, t, 0, 0, r.pick([1, 2, 4, 8, 16]) * (t === 9 ? 1 : -1)));
    } else if (c < 90) { // the same bytes through two pointers
      const [x, y] = r.chance(0.5) ? [10, 8] : [8, 10], o = -16 - r.pick([0, 4, 8]), o2 = o + r.pick([0, 0, 2, 4, 7]);
      p.push(I(0x63 | sz, x, reg(), o, 0));
      p.push(r.chance(0.5) ? I(0x61 | sz, reg(), y, o2, 0) : I(0x63 | sz, y, reg(), o2, 0));
      p.push(r.chance(0.5) ? I(0x63 | sz, x, reg(), o, 0) : I(0x61 | sz, reg(), x, o, 0));
    } else if (c < 92) p.push(I(0x85, 0, 0, 0, 7)); // prandom
    else if (c < 93) { // covered accesses around one through an alias the block guard cannot see (r9 = r10 + r5)
      const o = -8 * (1 + r.int(3)), o2 = r.pick([0, 0, 2, 4]);
      p.push(I(0xb7, 5, 0, 0, o), I(0xbf, 9, 10, 0, 0), I(0x0f, 9, 5, 0, 0));
      p.push(r.chance(0.7) ? I(0x63 | sz, 10, reg(), o, 0) : I(0x61 | sz, reg(), 10, o, 0));
      p.push(r.chance(0.7) ? I(0x63 | sz, 9, reg(), o2, 0) : I(0x61 | sz, reg(), 9, o2, 0));
      p.push(r.chance(0.5) ? I(0x61 | sz, reg(), 10, o, 0) : I(0x63 | sz, 10, reg(), o, 0));
      p.push(I(0xbf, 9, 1, 0, 0));
    } else if (c < 94) {
      // a value at the top of the range an operation or a comparison gives it (a mask, a shift, a byte load, `< k`),
      // through the stack so that the ranges know nothing else of it, plus (or minus) a constant that makes the sum
      // carry past 2^32 (or borrow) exactly there, or just not
      const v = reg(), e = reg(), k = r.pick([0x100, 0x10000, 0x80000000, 0xfffffff0, 5]), d = r.int(3);
      const [top, narrow] = r.pick<[number, Insn[]]>([
        [0xff, [I(0x57, v, 0, 0, 0xff)]],
        [0xf, [I(0x57, v, 0, 0, 0xf)]],
        [0xff, [I(0x77, v, 0, 0, 56)]],
        [k - 1, [I(r.pick([0x35, 0x3d]), v, r.pick([0, e]), 3, k)]], // if v >= k goto over the addition
      ]);
      const val = r.pick([top, top, top - 1, top + 1, 0]), sub = r.chance(0.3);
      p.push(...lddw(v, top === 0xff && narrow[0].code === 0x77 ? BigInt(val) << 56n : BigInt(val)));
      p.push(I(0x7b, 10, v, -32, 0), I(0x79, v, 10, -32, 0));
      if (narrow[0].src === e) p.push(...lddw(e, BigInt(k)));
      p.push(...narrow);
      const c2 = sub ? BigInt(top + d - 1) : 0x100000000n - BigInt(top) + BigInt(d) - 1n;
      p.push(...lddw(e, c2), I(sub ? 0x1f : 0x0f, v, e, 0, 0));
      // the result folded into bytes 120..127 of the memory buffer (no other access reaches them), which are compared
      p.push(I(0x79, e, 7, 120, 0), I(0xaf, e, v, 0, 0), I(0x7b, 7, e, 120, 0));
    } else if (c < 95) { // map_update_elem: reads its key and value from the stack
      p.push(I(0x62, 10, 0, -4, r.int(4)), I(0x18, 1, 1, 0, r.pick([1, 2])), I(0, 0, 0, 0, 0));
      p.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4), I(0xbf, 3, 10, 0, 0), I(0x07, 3, 0, 0, -24));
      p.push(I(0xb7, 4, 0, 0, 0), I(0x85, 0, 0, 0, 2), I(0xbf, 1, 7, 0, 0));
      // the key and value bytes written again after the call: the stores before it are read by the helper
      if (r.chance(0.5)) p.push(I(0x62, 10, 0, -4, r.int(4)), I(0x7a, 10, 0, -24, r.int(9)));
    } else if (c < 96 && r.chance(0.2)) p.push(I(0xb7, 1, 0, 0, 0), I(0x85, 0, 0, 0, 1)); // a helper fault (null map)
    else if (c < 98 && !legacy) p.push(I(0xdb, r.pick([8, 10]), reg(), -8 * (1 + r.int(3)), r.pick(ATOMICS)));
    else if (!legacy) { // call the subprogram with a pointer into this frame in r1, then restore r1
      p.push(I(0xbf, 1, 10, 0, 0), I(0x07, 1, 0, 0, -8 * (1 + r.int(4))));
      subAt.push(p.length);
      p.push(I(0x85, 0, 1, 0, 0), I(0xbf, 1, 7, 0, 0));
    }
  }
  p.push(I(0x79, 2, 10, -8, 0), I(0x0f, 0, 2, 0, 0), I(0x61, 2, 7, 0, 0), I(0x0f, 0, 2, 0, 0), I(0x95, 0, 0, 0, 0));
  if (subAt.length > 0) {
    const at = p.length;
    for (const i of subAt) p[i] = I(0x85, 0, 1, 0, at - i - 1);
    // the subprogram: stores through its argument and its own frame, a load back, arithmetic with a range
    p.push(I(0x7a, 1, 0, 0, r.pick(SMALL)), I(0x63 | r.pick([0, 8, 0x10]), 1, 2, r.pick([0, 2, 4]), 0));
    p.push(I(0x7b, 10, 2, -8, 0), I(0x79, 0, 1, 0, 0), I(0x67, 0, 0, 0, r.int(40)), I(0x95, 0, 0, 0, 0));
  }
  return p;
}

/** The `jitopt` target (see the module doc). */
export function fuzzJitOpt(opts: FuzzOptions = {}): FuzzStats {
  const stats: FuzzStats = { target: "jitopt", iterations: 0, ms: 0, counts: {}, findings: [] };
  const seen = new Set<string>();
  const count = (k: string, v = 1) => void (stats.counts[k] = (stats.counts[k] ?? 0) + v);
  const t0 = performance.now(), seed0 = opts.seed ?? 1, max = opts.iterations ?? Infinity;
  const ms = opts.ms ?? (opts.iterations === undefined ? 1000 : Infinity);
  const hex = (b: Uint8Array | undefined) => (b === undefined ? "" : Array.from(b, (x) => x.toString(16)).join(","));
  for (let i = 0; i < max && performance.now() - t0 < ms; i++) {
    const seed = seed0 + i, r = new Rng(seed), legacy = seed % 4 === 0;
    const insns = jitOptProgram(r, legacy);
    const prog = Program.fromInsns(insns);
    const maxInsns = r.chance(0.3) ? 1 + r.int(300) : r.chance(0.5) ? 3000 : 100000;
    const mem = r.bytes(128);
    const tokens = r.chance(0.3) ? 300 : undefined;
    // a small may_goto budget (as the kernel's 8,388,608 would never run out here) for the programs that have one
    const mayGotoBudget = insns.some((x) => x.code === 0xe5) ? r.int(8) : undefined;
    if (mayGotoBudget !== undefined) count("may_goto");
    const out = (["interp", "jit"] as const).map((engine) => {
      const m = maps();
      const vm = createVm(prog, {
        profile: legacy ? "linux-3.18" : "modern",
        resolveMap: (fd) => m.get(fd),
        maxFunctionTokens: tokens,
      }, engine);
      let res;
      try {
        res = vm.run({ mem: mem.slice() }, { maxInsns, seed: 1, clock: () => 1n, regs: true, mayGotoBudget });
      } catch (e) {
        return `${engine} threw ${e}`;
      }
      if (vm instanceof Jit) {
        // what the program exercised of the optimisations (the generated code's marks)
        if (/h\d+ === [se]Hi && l\d+ >= /.test(vm.source)) count("block guards");
        if (/const f\d+l = /.test(vm.source)) count("forwarded stores");
        if (/l\d+ = \(l\d+ [+-] [^;]*\) \| 0; h\d+ = 0;/.test(vm.source)) count("32-bit arithmetic from ranges");
      }
      return JSON.stringify({
        r0: String(res.r0),
        regs: res.regs?.map(String),
        n: res.insnsExecuted,
        fault: res.fault,
        mem: hex(res.memOut),
        maps: [...m.values()].map((x) => x.entries().map(([k, v]) => hex(k) + "=" + hex(v))),
      });
    });
    stats.iterations++;
    count("runs", 2);
    count(JSON.parse(out[0]).fault === null ? "clean" : "faults");
    if (out[0] !== out[1]) {
      count("findings");
      const message = `interp ${out[0]}\njit    ${out[1]}`;
      const key = message.replace(/\d+/g, "N").slice(0, 120);
      if (!seen.has(key)) {
        seen.add(key);
        stats.findings.push({
          target: "jitopt",
          kind: "engine-mismatch",
          seed,
          message,
          input: JSON.stringify(insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm])),
        });
      }
    }
  }
  stats.ms = Math.round(performance.now() - t0);
  return stats;
}
