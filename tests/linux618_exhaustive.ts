/**
 * Exhaustive soundness checks of the linux-6.18 profile's scalar domain on
 * the 8-bit analogue (not part of `deno task test`; minutes of CPU):
 *
 *   deno run -A tests/linux618_exhaustive.ts [tnum|alu|branch|sync ...]
 *
 * - `tnum`: every pair of 8-bit tnums (6561^2) for add, sub, mul, and, or,
 *   xor, intersect and union, and every tnum for neg and tnum_step, with
 *   every concrete member;
 * - `sync`: reg_bounds_sync on every register of the family below;
 * - `alu`: adjust_scalar_min_max_vals for every op, ALU64 and ALU32, on
 *   every pair of registers of the family (shifts: every constant shift);
 * - `branch`: every conditional jump, JMP and JMP32, on every pair.
 *
 * The family of 8-bit registers: every tnum with its implied ranges
 * (6561), every unsigned and every signed interval with endpoints on a grid
 * of 18 values around the boundaries (0, 1, 7, 8, 15, 16, 127, 128, 255,
 * ...), each with an unknown tnum, and every interval of a 4-bit
 * subregister (s32/u32 analogues); the tnum-only registers are sampled one
 * in 32 for the pairwise checks.
 *
 * Prints counts and the first violation of each check; exits 1 on any.
 *
 * @module
 */
import {
  ALU,
  badField,
  checkAlu,
  checkBranch,
  checkSync,
  constReg,
  gammaN,
  JMP,
  unknownReg,
  W8,
} from "./linux618_domain.ts";
import {
  type Tnum,
  tnum,
  tnumAdd,
  tnumAnd,
  tnumContains,
  tnumIntersect,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumStep,
  tnumSub,
  tnumUnion,
  tnumXor,
} from "../core/verifier/linux618/tnum.ts";
import { regBoundsSync, type RegState } from "../core/verifier/linux618/reg.ts";

const which = new Set(Deno.args.length ? Deno.args : ["tnum", "sync", "alu", "branch"]);
let failures = 0;

function report(name: string, checked: number, first: string | null): void {
  console.log(`${name}: ${checked} checks, ${first ? "VIOLATION " + first : "sound"}`);
  if (first) failures++;
}

/** Every 8-bit tnum. */
function allTnums(): Tnum[] {
  const out: Tnum[] = [];
  for (let v = 0; v < 256; v++) {
    for (let m = 0; m < 256; m++) if (!(v & m)) out.push(tnum(BigInt(v), BigInt(m)));
  }
  return out;
}

function members(t: Tnum): Int32Array {
  const out: number[] = [];
  for (let x = 0; x < 256; x++) if (tnumContains(t, BigInt(x))) out.push(x);
  return Int32Array.from(out);
}

if (which.has("tnum")) {
  const ts = allTnums();
  const mem = ts.map(members);
  const inT = (t: Tnum, x: number) => ((x & ~Number(t.mask)) & 0xff) === Number(t.value);
  const ops: Array<[string, (a: Tnum, b: Tnum) => Tnum]> = [
    ["add", (a, b) => tnumAdd(W8, a, b)],
    ["sub", (a, b) => tnumSub(W8, a, b)],
    ["mul", (a, b) => tnumMul(W8, a, b)],
    ["and", tnumAnd],
    ["or", tnumOr],
    ["xor", tnumXor],
  ];
  for (const [k, [name, op]] of ops.entries()) {
    let first: string | null = null, n = 0;
    for (let i = 0; i < ts.length && !first; i++) {
      for (let j = 0; j < ts.length && !first; j++) {
        const r = op(ts[i], ts[j]);
        const mi = mem[i], mj = mem[j], rv = Number(r.value), rm = ~Number(r.mask) & 0xff;
        n += mi.length * mj.length;
        for (let p = 0; p < mi.length; p++) {
          const x = mi[p];
          for (let q = 0; q < mj.length; q++) {
            const y = mj[q];
            // the concrete op, inline (a call per member pair would dominate)
            const z = k === 0
              ? x + y
              : k === 1
              ? x - y
              : k === 2
              ? Math.imul(x, y)
              : k === 3
              ? x & y
              : k === 4
              ? x | y
              : x ^ y;
            if ((z & rm) !== rv) {
              first ??= `${x} ${name} ${y} = ${z & 0xff} not in (${r.value};${r.mask})`;
              break;
            }
          }
        }
      }
    }
    report(`tnum_${name}`, n, first);
  }
  let first: string | null = null, n = 0;
  for (let i = 0; i < ts.length && !first; i++) {
    for (let j = 0; j < ts.length && !first; j++) {
      const inter = tnumIntersect(ts[i], ts[j]), uni = tnumUnion(ts[i], ts[j]);
      for (const x of mem[i]) {
        n++;
        if (inT(ts[j], x) && !inT(inter, x)) first = `intersect loses ${x}`;
        if (!inT(uni, x)) first = `union loses ${x}`;
      }
      for (const y of mem[j]) if (!inT(uni, y)) first = `union loses ${y}`;
    }
  }
  report("tnum_intersect/union", n, first);
  first = null;
  n = 0;
  for (let i = 0; i < ts.length && !first; i++) {
    const t = ts[i], neg = tnumNeg(W8, t), tmax = Number(t.value | t.mask);
    for (const x of mem[i]) {
      n++;
      if (!inT(neg, (-x) & 0xff)) first = `neg loses -${x}`;
    }
    for (let z = 0; z < 256; z++) {
      n++;
      const want = z >= tmax ? tmax : z < Number(t.value) ? Number(t.value) : [...mem[i]].find((x) => x > z)!;
      const got = Number(tnumStep(W8, t, BigInt(z)));
      if (got !== want) first = `tnum_step((${t.value};${t.mask}), ${z}) = ${got}, want ${want}`;
    }
  }
  report("tnum_neg/step", n, first);
}

/** The register family (see the module doc). */
function family(): { all: RegState[]; pairs: RegState[] } {
  const grid = [0n, 1n, 2n, 3n, 7n, 8n, 15n, 16n, 31n, 64n, 100n, 127n, 128n, 129n, 191n, 200n, 254n, 255n];
  const all: RegState[] = [], pairs: RegState[] = [];
  const add = (r: RegState, pair: boolean) => {
    if (!gammaN(W8, r).length) return;
    all.push(r);
    if (pair) pairs.push(r);
  };
  allTnums().forEach((t, i) => {
    const r = unknownReg(W8);
    r.varOff = t;
    regBoundsSync(W8, r);
    add(r, i % 32 === 0);
  });
  for (const a of grid) {
    for (const b of grid) {
      if (a > b) continue;
      const u = unknownReg(W8);
      u.umin = a;
      u.umax = b;
      regBoundsSync(W8, u);
      add(u, true);
      const s = unknownReg(W8);
      s.smin = BigInt.asIntN(8, a) < BigInt.asIntN(8, b) ? BigInt.asIntN(8, a) : BigInt.asIntN(8, b);
      s.smax = BigInt.asIntN(8, a) < BigInt.asIntN(8, b) ? BigInt.asIntN(8, b) : BigInt.asIntN(8, a);
      regBoundsSync(W8, s);
      add(s, true);
    }
  }
  for (let a = 0n; a < 16n; a++) {
    for (let b = a; b < 16n; b++) {
      const u = unknownReg(W8);
      u.u32min = a;
      u.u32max = b;
      regBoundsSync(W8, u);
      add(u, true);
      const s = unknownReg(W8);
      const sa = BigInt.asIntN(4, a), sb = BigInt.asIntN(4, b);
      s.s32min = sa < sb ? sa : sb;
      s.s32max = sa < sb ? sb : sa;
      regBoundsSync(W8, s);
      add(s, true);
    }
  }
  return { all, pairs };
}

if (which.has("sync") || which.has("alu") || which.has("branch")) {
  const { all, pairs } = family();
  const mem = new Map<RegState, number[]>(all.map((r) => [r, gammaN(W8, r)]));
  console.log(`family: ${all.length} registers, ${pairs.length} in pairs`);
  if (which.has("sync")) {
    let first: string | null = null;
    for (const r of all) {
      const v = checkSync(W8, r, mem.get(r)!) ?? (badField(W8, r) ? { detail: badField(W8, r)! } : null);
      if (v && !first) first = v.detail;
    }
    report("reg_bounds_sync", all.length, first);
  }
  if (which.has("alu")) {
    for (const op of [ALU.ADD, ALU.SUB, ALU.MUL, ALU.AND, ALU.OR, ALU.XOR, ALU.LSH, ALU.RSH, ALU.ARSH, ALU.NEG]) {
      for (const alu64 of [true, false]) {
        let first: string | null = null, n = 0;
        const srcs = op === ALU.NEG
          ? [constReg(W8, 0n)]
          : op === ALU.LSH || op === ALU.RSH || op === ALU.ARSH
          ? Array.from({ length: alu64 ? 8 : 4 }, (_, k) => constReg(W8, BigInt(k)))
          : pairs;
        for (const d of pairs) {
          for (const s of srcs) {
            n++;
            const v = checkAlu(W8, op, alu64, d, s, mem.get(d)!, mem.get(s) ?? gammaN(W8, s));
            if (v && !first) first = v.detail;
          }
        }
        report(`alu op=0x${op.toString(16)} ${alu64 ? "64" : "32"}`, n, first);
      }
    }
  }
  if (which.has("branch")) {
    for (const op of Object.values(JMP)) {
      for (const jmp32 of [false, true]) {
        let first: string | null = null, n = 0;
        for (const a of pairs) {
          for (const b of pairs) {
            n++;
            const v = checkBranch(W8, op, jmp32, a, b, mem.get(a)!, mem.get(b)!);
            if (v && !first) first = v.detail;
          }
        }
        report(`branch op=0x${op.toString(16)} ${jmp32 ? "jmp32" : "jmp"}`, n, first);
      }
    }
  }
}

Deno.exit(failures ? 1 : 0);
