// Soundness of the linux-6.18 profile's scalar domain: tnum operators,
// reg_bounds_sync, the ALU transfer functions and the branch refinement on
// the 8-bit analogue (random pairs of abstract values, every concrete
// member), and on 64-bit registers (random abstract values, sampled
// concrete members). tests/linux618_exhaustive.ts runs the same checks on
// every pair of a family of abstract values.
import assert from "node:assert/strict";
import { Rng } from "./fuzz/rng.ts";
import {
  ALU,
  checkAlu,
  checkAlu64,
  checkBranch,
  checkBranch64,
  checkSync,
  constReg,
  JMP,
  randomMember,
  randomReg,
  randomTnum,
  tnumGamma,
  W8,
} from "./linux618_domain.ts";
import {
  type Tnum,
  tnumAdd,
  tnumAnd,
  tnumContains,
  tnumIntersect,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSub,
  tnumUnion,
  tnumXor,
} from "../core/verifier/linux618/tnum.ts";
import { W64 } from "../core/verifier/linux618/width.ts";

const TNUM_BINARY: Array<[string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint]> = [
  ["add", (a, b) => tnumAdd(W8, a, b), (x, y) => x + y],
  ["sub", (a, b) => tnumSub(W8, a, b), (x, y) => x - y],
  ["mul", (a, b) => tnumMul(W8, a, b), (x, y) => x * y],
  ["and", tnumAnd, (x, y) => x & y],
  ["or", tnumOr, (x, y) => x | y],
  ["xor", tnumXor, (x, y) => x ^ y],
];

Deno.test("linux618 tnum: binary operators are sound on random 8-bit pairs (every member)", () => {
  const rng = new Rng(61801);
  for (const [name, op, conc] of TNUM_BINARY) {
    for (let i = 0; i < 400; i++) {
      const a = randomTnum(W8, rng), b = randomTnum(W8, rng);
      const r = op(a, b);
      for (const x of tnumGamma(W8, a)) {
        for (const y of tnumGamma(W8, b)) {
          const z = BigInt.asUintN(8, conc(x, y));
          if (!tnumContains(r, z)) assert.fail(`tnum_${name}: ${x},${y} -> ${z} not in (${r.value};${r.mask})`);
        }
      }
    }
  }
});

Deno.test("linux618 tnum: neg, range, intersect, union, step on 8 bits", () => {
  const rng = new Rng(61802);
  for (let i = 0; i < 600; i++) {
    const a = randomTnum(W8, rng), b = randomTnum(W8, rng);
    const ga = tnumGamma(W8, a), gb = tnumGamma(W8, b);
    const n = tnumNeg(W8, a);
    for (const x of ga) assert.ok(tnumContains(n, BigInt.asUintN(8, -x)), "tnum_neg");
    const inter = tnumIntersect(a, b), uni = tnumUnion(a, b);
    for (const x of ga) {
      if (tnumContains(b, x)) assert.ok(tnumContains(inter, x), "tnum_intersect");
      assert.ok(tnumContains(uni, x), "tnum_union");
    }
    for (const y of gb) assert.ok(tnumContains(uni, y), "tnum_union");
    // tnum_step(t, z): the smallest member above z; tmax from tmax on, t.value below it
    const tmax = a.value | a.mask;
    for (let z = 0n; z <= 255n; z++) {
      const want = z >= tmax ? tmax : z < a.value ? a.value : ga.find((x) => x > z)!;
      assert.equal(tnumStep(W8, a, z), want, `tnum_step (${a.value};${a.mask}) ${z}`);
    }
  }
  for (let lo = 0n; lo <= 255n; lo += 3n) {
    for (let hi = lo; hi <= 255n; hi += 5n) {
      const t = tnumRange(W8, lo, hi);
      for (let x = lo; x <= hi; x++) assert.ok(tnumContains(t, x), `tnum_range ${lo} ${hi}`);
    }
  }
});

Deno.test("linux618 bounds: reg_bounds_sync keeps every member of random 8-bit registers", () => {
  const rng = new Rng(61803);
  for (let i = 0; i < 20000; i++) {
    const v = checkSync(W8, randomReg(W8, rng));
    if (v) assert.fail(`${v.what}: ${v.detail}`);
  }
});

const OPS = [ALU.ADD, ALU.SUB, ALU.MUL, ALU.AND, ALU.OR, ALU.XOR, ALU.LSH, ALU.RSH, ALU.ARSH, ALU.NEG];
const CONDS = Object.values(JMP);

Deno.test("linux618 ALU: adjust_scalar_min_max_vals is sound on random 8-bit pairs (every member)", () => {
  const rng = new Rng(61804);
  for (const op of OPS) {
    for (const alu64 of [true, false]) {
      for (let i = 0; i < 400; i++) {
        const dst = randomReg(W8, rng);
        const src = op === ALU.LSH || op === ALU.RSH || op === ALU.ARSH
          ? constReg(W8, BigInt(rng.int(alu64 ? 8 : 4)))
          : op === ALU.NEG
          ? constReg(W8, 0n)
          : randomReg(W8, rng);
        const v = checkAlu(W8, op, alu64, dst, src);
        if (v) assert.fail(`${v.what}: ${v.detail}`);
      }
    }
  }
});

Deno.test("linux618 branches: prediction and refinement are sound on random 8-bit pairs (every member)", () => {
  const rng = new Rng(61805);
  for (const op of CONDS) {
    for (const jmp32 of [false, true]) {
      for (let i = 0; i < 300; i++) {
        const a = randomReg(W8, rng);
        const b = rng.chance(0.4) ? constReg(W8, BigInt(rng.int(256))) : randomReg(W8, rng);
        const v = checkBranch(W8, op, jmp32, a, b);
        if (v) assert.fail(`${v.what}: ${v.detail}`);
      }
    }
  }
});

Deno.test("linux618 ALU and branches: sound on random 64-bit registers (sampled members)", () => {
  const rng = new Rng(61806);
  let checked = 0;
  for (let i = 0; i < 1500; i++) {
    const a = randomReg(W64, rng);
    const x = randomMember(W64, a, rng);
    if (x === null) continue;
    for (const op of OPS) {
      const alu64 = rng.chance(0.5);
      let b = randomReg(W64, rng);
      if (op === ALU.LSH || op === ALU.RSH || op === ALU.ARSH) b = constReg(W64, BigInt(rng.int(alu64 ? 64 : 32)));
      if (op === ALU.NEG) b = constReg(W64, 0n);
      const y = randomMember(W64, b, rng);
      if (y === null) continue;
      const v = checkAlu64(W64, op, alu64, a, b, x, y);
      if (v) assert.fail(`${v.what}: ${v.detail}`);
      checked++;
    }
    const b = rng.chance(0.4) ? constReg(W64, BigInt.asUintN(64, BigInt(rng.i32()))) : randomReg(W64, rng);
    const y = randomMember(W64, b, rng);
    if (y === null) continue;
    const v = checkBranch64(W64, rng.pick(CONDS), rng.chance(0.3), a, b, x, y);
    if (v) assert.fail(`${v.what}: ${v.detail}`);
    checked++;
  }
  assert.ok(checked > 10000, `only ${checked} checks`);
});
