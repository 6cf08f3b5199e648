// The linux-6.18 profile's 64-bit fast paths against their general code:
// reg_bounds_sync on 32-bit halves (sync64.ts)
// against the bigint reference (regBoundsSyncBigint): the same nine fields
// (var_off and the eight bounds) on random raw registers, consistent or not
// (the kernel syncs a register before its sanity check rejects it), with
// bounds drawn from values at the edges of the number representations
// (2^31, 2^32, 2^53, 2^63, 2^64-1, negative signed bounds), from anchors
// inside the tnum, and at random; and ADD/SUB of two constants
// (adjust_scalar_min_max_vals) against the bound functions, zext and the
// bigint sync.
import assert from "node:assert/strict";
import { Rng } from "./fuzz/rng.ts";
import {
  markRegKnown,
  markRegKnownImm,
  regBoundsSync,
  regBoundsSyncBigint,
  regBoundsViolation,
  regBoundsViolationBigint,
  RegState,
  SCALAR_VALUE,
} from "../core/verifier/linux618/reg.ts";
import {
  adjustScalarMinMaxVals,
  scalar32MinMaxAdd,
  scalar32MinMaxSub,
  scalarMinMaxAdd,
  scalarMinMaxSub,
  zext32To64,
} from "../core/verifier/linux618/scalar_alu.ts";
import { type Tnum, tnum, tnumAdd, tnumSub } from "../core/verifier/linux618/tnum.ts";
import { W64 } from "../core/verifier/linux618/width.ts";

const EDGES: bigint[] = [];
for (const e of [0n, 1n, 31n, 32n, 52n, 53n, 63n, 64n]) {
  for (const d of [-2n, -1n, 0n, 1n]) {
    const x = (1n << e) + d;
    EDGES.push(BigInt.asUintN(64, x), BigInt.asUintN(64, -x));
  }
}
EDGES.push(0xffffffff00000000n, 0x7fffffff80000000n, 0x80000000ffffffffn, 0xffffffff7fffffffn, 0x100000000n * 5n);

function rand64(rng: Rng): bigint {
  return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
}

function randTnum(rng: Rng): Tnum {
  switch (rng.int(6)) {
    case 0:
      return tnum(0n, W64.umax);
    case 1:
      return tnum(rand64(rng), 0n);
    case 2: {
      // unknown low bits
      const m = (1n << BigInt(rng.int(65))) - 1n;
      return tnum(rand64(rng) & ~m & W64.umax, m);
    }
    case 3: {
      // unknown high bits
      const m = W64.umax ^ ((1n << BigInt(rng.int(65))) - 1n);
      return tnum(rand64(rng) & ~m & W64.umax, m);
    }
    default: {
      let v = 0n, m = 0n;
      for (let i = 0n; i < 64n; i++) {
        const k = rng.int(3);
        if (k === 1) v |= 1n << i;
        if (k === 2) m |= 1n << i;
      }
      return tnum(v, m);
    }
  }
}

/** A value for a bound: an edge, a member of the tnum, or random (unsigned 64-bit bits). */
function pick(rng: Rng, t: Tnum): bigint {
  const k = rng.int(10);
  if (k < 4) return EDGES[rng.int(EDGES.length)];
  if (k < 7) return t.value | (rand64(rng) & t.mask);
  if (k < 8) return BigInt.asUintN(64, t.value + BigInt(rng.int(5) - 2));
  return rand64(rng);
}

function ordered(rng: Rng, a: bigint, b: bigint, signed: boolean, bits: number): [bigint, bigint] {
  const cv = (x: bigint) => signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x);
  let x = cv(a), y = cv(b);
  if (x > y && !rng.chance(0.1)) [x, y] = [y, x];
  return [x, y];
}

function rawReg(rng: Rng): RegState {
  const r = new RegState();
  r.type = SCALAR_VALUE;
  const t = randTnum(rng);
  r.varOff = t;
  [r.smin, r.smax] = rng.chance(0.3) ? [W64.smin, W64.smax] : ordered(rng, pick(rng, t), pick(rng, t), true, 64);
  [r.umin, r.umax] = rng.chance(0.3) ? [0n, W64.umax] : ordered(rng, pick(rng, t), pick(rng, t), false, 64);
  [r.s32min, r.s32max] = rng.chance(0.4) ? [W64.hsmin, W64.hsmax] : ordered(rng, pick(rng, t), pick(rng, t), true, 32);
  [r.u32min, r.u32max] = rng.chance(0.4) ? [0n, W64.humax] : ordered(rng, pick(rng, t), pick(rng, t), false, 32);
  return r;
}

function fields(r: RegState): string {
  return [r.varOff.value, r.varOff.mask, r.smin, r.smax, r.umin, r.umax, r.s32min, r.s32max, r.u32min, r.u32max].join(
    " ",
  );
}

Deno.test("linux-6.18 reg_bounds_sync and the sanity check on 32-bit halves equal the bigint reference (random and edge registers)", () => {
  const rng = new Rng(20261205);
  let changed = 0, violations = 0;
  for (let i = 0; i < 60000; i++) {
    const a = rawReg(rng), b = a.clone();
    const before = fields(a);
    assert.equal(regBoundsViolation(W64, a), regBoundsViolationBigint(W64, b), `case ${i}: check of ${before}`);
    if (regBoundsViolationBigint(W64, b)) violations++;
    regBoundsSync(W64, a);
    regBoundsSyncBigint(W64, b);
    assert.equal(regBoundsViolation(W64, a), regBoundsViolationBigint(W64, b), `case ${i}: check after sync`);
    const got = fields(a), want = fields(b);
    if (got !== want) assert.fail(`case ${i}: from ${before}\n  got  ${got}\n  want ${want}`);
    if (want !== before) changed++;
  }
  // most cases must move some bound, else the comparison says little
  assert.ok(changed > 40000, `only ${changed} cases changed a field`);
  assert.ok(violations > 5000 && violations < 55000, `${violations} raw registers failed the sanity check`);
});

Deno.test("linux-6.18 reg_bounds_sync on halves: constants, unknowns and values at 2^53 / 2^63 / 2^64-1", () => {
  for (const x of EDGES) {
    for (const mask of [0n, 1n, 0xffn, 0xffffffffn, 0xffffffff00000000n, W64.umax]) {
      const r = new RegState();
      r.type = SCALAR_VALUE;
      r.varOff = tnum(x & ~mask & W64.umax, mask);
      r.smin = W64.smin, r.smax = W64.smax, r.umin = 0n, r.umax = W64.umax;
      r.s32min = W64.hsmin, r.s32max = W64.hsmax, r.u32min = 0n, r.u32max = W64.humax;
      const b = r.clone();
      regBoundsSync(W64, r);
      regBoundsSyncBigint(W64, b);
      assert.equal(fields(r), fields(b), `tnum ${x} mask ${mask}`);
      if (mask === 0n) {
        // a constant: every bound is the value in its own reading
        assert.equal(r.umin, x);
        assert.equal(r.smax, BigInt.asIntN(64, x));
        assert.equal(r.s32min, BigInt.asIntN(32, x));
        assert.equal(r.u32max, BigInt.asUintN(32, x));
      }
    }
  }
});

/** The general path of adjust_scalar_min_max_vals for ADD/SUB (bigint sync), the reference of the constant fast path. */
function addSubGeneral(alu64: boolean, sub: boolean, dst: RegState, src: RegState): void {
  if (sub) {
    scalar32MinMaxSub(W64, dst, src);
    scalarMinMaxSub(W64, dst, src);
    dst.varOff = tnumSub(W64, dst.varOff, src.varOff);
  } else {
    scalar32MinMaxAdd(W64, dst, src);
    scalarMinMaxAdd(W64, dst, src);
    dst.varOff = tnumAdd(W64, dst.varOff, src.varOff);
  }
  if (!alu64) zext32To64(W64, dst);
  regBoundsSyncBigint(W64, dst);
}

function known(x: bigint): RegState {
  const r = new RegState();
  r.type = SCALAR_VALUE;
  markRegKnown(W64, r, x);
  return r;
}

Deno.test("linux-6.18 ADD/SUB of two constants: the fast path equals the general path (edges, overflow, alu32)", () => {
  const rng = new Rng(618);
  const vals = [...EDGES];
  for (let i = 0; i < 150; i++) vals.push(rand64(rng));
  let n = 0;
  for (const x of vals) {
    for (let j = 0; j < 40; j++) {
      const y = j < 20 ? EDGES[(j * 7 + n) % EDGES.length] : vals[rng.int(vals.length)];
      for (const alu64 of [true, false]) {
        for (const sub of [false, true]) {
          const a = known(x), b = known(y);
          adjustScalarMinMaxVals(W64, alu64, sub ? 0x10 : 0x00, a, b);
          const c = known(x), d = known(y);
          addSubGeneral(alu64, sub, c, d);
          assert.equal(fields(a), fields(c), `${x} ${sub ? "-" : "+"} ${y} alu64=${alu64}`);
          n++;
        }
      }
    }
  }
  // a constant whose bounds disagree with its tnum takes the general path
  const odd = known(5n), one = known(1n);
  odd.umax = 9n;
  const ref = known(5n);
  ref.umax = 9n;
  adjustScalarMinMaxVals(W64, true, 0x00, odd, one);
  addSubGeneral(true, false, ref, known(1n));
  assert.equal(fields(odd), fields(ref));
  assert.ok(n > 10000);
});

Deno.test("linux-6.18 known registers of immediates from the cache equal __mark_reg_known (collisions, signs, u32)", () => {
  const imms = [0, 1, -1, 64, -64, 63, 127, 0x7fffffff, -0x80000000, 0xffffffff, 0x80000000, 65, 1, 0, 64, -1];
  for (let round = 0; round < 3; round++) {
    for (const imm of round === 1 ? [...imms].reverse() : imms) {
      const a = new RegState(), b = new RegState();
      a.id = b.id = 7;
      a.off = b.off = 3;
      a.type = b.type = SCALAR_VALUE;
      markRegKnownImm(a, imm);
      markRegKnown(W64, b, BigInt(imm));
      assert.equal(fields(a), fields(b), `imm ${imm}`);
      assert.equal(a.off, 0);
      assert.equal(a.id, 0);
    }
  }
});
