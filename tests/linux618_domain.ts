/**
 * Soundness checking of the linux-6.18 profile's scalar domain (tnums,
 * 64/32-bit signed and unsigned ranges, the ALU transfer functions and the
 * branch refinement) on small analogues of the kernel's registers: an
 * 8-bit register with a 4-bit subregister ({@link W8}), where every
 * concrete member of an abstract value can be enumerated.
 *
 * A check takes abstract inputs, enumerates every concrete input they
 * contain, applies the concrete operation and asserts the concrete result
 * is contained in the abstract result (for branches: the values that take
 * a direction are contained in that direction's refined registers, and a
 * predicted direction is the only one any concrete pair takes).
 *
 * Used by tests/linux618_domain_test.ts (random pairs, fixed seeds) and
 * tests/linux618_exhaustive.ts (every pair of a family of abstract values).
 *
 * @module
 */
import {
  isScalarBranchTaken,
  regSetMinMaxScalars,
  regsRefineCondOp,
  revOpcode,
} from "../core/verifier/linux618/branches.ts";
import {
  markRegKnown,
  markRegUnbounded,
  regBoundsSync,
  regBoundsViolation,
  RegState,
  SCALAR_VALUE,
} from "../core/verifier/linux618/reg.ts";
import { adjustScalarMinMaxVals } from "../core/verifier/linux618/scalar_alu.ts";
import { type Tnum, tnum, tnumContains } from "../core/verifier/linux618/tnum.ts";
import { makeWidth, type Width } from "../core/verifier/linux618/width.ts";
import type { Rng } from "./fuzz/rng.ts";

/** The 8-bit analogue: 8-bit registers with 4-bit subregisters. */
export const W8: Width = makeWidth(8);

/** ALU op codes (`BPF_OP`). */
export const ALU = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  XOR: 0xa0,
  ARSH: 0xc0,
} as const;

/** Conditional jump op codes (`BPF_OP`). */
export const JMP = {
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Whether concrete `x` (unsigned, `w.bits` wide) is in the abstract register. */
export function member(w: Width, r: RegState, x: bigint): boolean {
  if (!tnumContains(r.varOff, x)) return false;
  if (x < r.umin || x > r.umax) return false;
  const s = BigInt.asIntN(w.bits, x);
  if (s < r.smin || s > r.smax) return false;
  const lo = BigInt.asUintN(w.half, x), slo = BigInt.asIntN(w.half, x);
  return lo >= r.u32min && lo <= r.u32max && slo >= r.s32min && slo <= r.s32max;
}

/** Every concrete member of the abstract register (small widths only). */
export function gamma(w: Width, r: RegState): bigint[] {
  const out: bigint[] = [];
  for (let x = 0n; x <= w.umax; x++) if (member(w, r, x)) out.push(x);
  return out;
}

/** Every concrete member as numbers (small widths only). */
export function gammaN(w: Width, r: RegState): number[] {
  const b = bitmap(w, r), out: number[] = [];
  for (let x = 0; x < b.length; x++) if (b[x]) out.push(x);
  return out;
}

/** The membership bitmap of a register (small widths only): `bitmap[x]` is 1 when `x` is a member. */
export function bitmap(w: Width, r: RegState): Uint8Array {
  const n = Number(w.umax) + 1, out = new Uint8Array(n);
  const v = Number(r.varOff.value), m = Number(r.varOff.mask);
  const umin = Number(r.umin), umax = Number(r.umax), smin = Number(r.smin), smax = Number(r.smax);
  const u32min = Number(r.u32min), u32max = Number(r.u32max), s32min = Number(r.s32min), s32max = Number(r.s32max);
  const sh = 32 - w.bits, hsh = 32 - w.half, hm = Number(w.humax);
  for (let x = 0; x < n; x++) {
    if ((x & ~m) !== v || x < umin || x > umax) continue;
    const sx = (x << sh) >> sh, lo = x & hm, slo = (x << hsh) >> hsh;
    if (sx < smin || sx > smax || lo < u32min || lo > u32max || slo < s32min || slo > s32max) continue;
    out[x] = 1;
  }
  return out;
}

/** Every member of a tnum (small widths only). */
export function tnumGamma(w: Width, t: Tnum): bigint[] {
  const out: bigint[] = [];
  for (let x = 0n; x <= w.umax; x++) if (tnumContains(t, x)) out.push(x);
  return out;
}

/** A scalar register state at width `w`, unbounded. */
export function unknownReg(w: Width): RegState {
  const r = new RegState();
  r.type = SCALAR_VALUE;
  markRegUnbounded(w, r);
  r.varOff = tnum(0n, w.umax);
  return r;
}

/** A constant register. */
export function constReg(w: Width, v: bigint): RegState {
  const r = unknownReg(w);
  markRegKnown(w, r, v);
  return r;
}

/** The concrete semantics of an ALU op (`alu64`: full width, else on the subregister, zero-extended). */
export function concreteAlu(w: Width, op: number, alu64: boolean, x: bigint, y: bigint): bigint {
  const bits = alu64 ? w.bits : w.half;
  const u = (v: bigint) => BigInt.asUintN(bits, v);
  const a = u(x), b = u(y);
  let r: bigint;
  switch (op) {
    case ALU.ADD:
      r = a + b;
      break;
    case ALU.SUB:
      r = a - b;
      break;
    case ALU.MUL:
      r = a * b;
      break;
    case ALU.OR:
      r = a | b;
      break;
    case ALU.AND:
      r = a & b;
      break;
    case ALU.XOR:
      r = a ^ b;
      break;
    case ALU.LSH:
      r = a << b;
      break;
    case ALU.RSH:
      r = a >> b;
      break;
    case ALU.ARSH:
      r = BigInt.asIntN(bits, a) >> b;
      break;
    case ALU.NEG:
      r = -a;
      break;
    default:
      throw new Error(`op ${op}`);
  }
  return u(r);
}

/** {@link concreteAlu} on numbers, for widths up to 16 bits. */
export function concreteAluN(w: Width, op: number, alu64: boolean, x: number, y: number): number {
  const bits = alu64 ? w.bits : w.half, m = (1 << bits) - 1;
  const a = x & m, b = y & m;
  let r: number;
  switch (op) {
    case ALU.ADD:
      r = a + b;
      break;
    case ALU.SUB:
      r = a - b;
      break;
    case ALU.MUL:
      r = Math.imul(a, b);
      break;
    case ALU.OR:
      r = a | b;
      break;
    case ALU.AND:
      r = a & b;
      break;
    case ALU.XOR:
      r = a ^ b;
      break;
    case ALU.LSH:
      r = a << b;
      break;
    case ALU.RSH:
      r = a >>> b;
      break;
    case ALU.ARSH:
      r = ((a << (32 - bits)) >> (32 - bits)) >> b;
      break;
    case ALU.NEG:
      r = -a;
      break;
    default:
      throw new Error(`op ${op}`);
  }
  return r & m;
}

/** {@link concreteCond} on numbers, for widths up to 16 bits. */
export function concreteCondN(w: Width, op: number, jmp32: boolean, x: number, y: number): boolean {
  const bits = jmp32 ? w.half : w.bits, m = (1 << bits) - 1, sh = 32 - bits;
  const a = x & m, b = y & m;
  return compare(op, a, b, (a << sh) >> sh, (b << sh) >> sh, (a & b) !== 0);
}

/** A condition on unsigned `a, b`, their signed readings `sa, sb` and whether `a & b` is non-zero. */
function compare<T extends number | bigint>(op: number, a: T, b: T, sa: T, sb: T, anyCommon: boolean): boolean {
  switch (op) {
    case JMP.JEQ:
      return a === b;
    case JMP.JNE:
      return a !== b;
    case JMP.JGT:
      return a > b;
    case JMP.JGE:
      return a >= b;
    case JMP.JLT:
      return a < b;
    case JMP.JLE:
      return a <= b;
    case JMP.JSGT:
      return sa > sb;
    case JMP.JSGE:
      return sa >= sb;
    case JMP.JSLT:
      return sa < sb;
    case JMP.JSLE:
      return sa <= sb;
    case JMP.JSET:
      return anyCommon;
  }
  throw new Error(`op ${op}`);
}

/** The concrete semantics of a conditional jump (`jmp32`: on the subregisters). */
export function concreteCond(w: Width, op: number, jmp32: boolean, x: bigint, y: bigint): boolean {
  const bits = jmp32 ? w.half : w.bits;
  const a = BigInt.asUintN(bits, x), b = BigInt.asUintN(bits, y);
  return compare(op, a, b, BigInt.asIntN(bits, x), BigInt.asIntN(bits, y), (a & b) !== 0n);
}

/** Shift ops take a constant source below the width (what `is_safe_to_compute_dst_reg_range` requires). */
export function isShift(op: number): boolean {
  return op === ALU.LSH || op === ALU.RSH || op === ALU.ARSH;
}

/** A soundness violation: what was checked and the concrete witness. */
export interface Violation {
  /** Which check. */
  what: string;
  /** Human-readable witness. */
  detail: string;
}

/** Every field inside its C type's range (u64 fields unsigned, s64 signed, and so on), or a description of the first one that is not. */
export function badField(w: Width, r: RegState): string | null {
  const inU = (v: bigint, bits: number) => v >= 0n && v < (1n << BigInt(bits));
  const inS = (v: bigint, bits: number) => v >= -(1n << BigInt(bits - 1)) && v < (1n << BigInt(bits - 1));
  if (!inU(r.umin, w.bits) || !inU(r.umax, w.bits)) return `u64 [${r.umin}, ${r.umax}]`;
  if (!inS(r.smin, w.bits) || !inS(r.smax, w.bits)) return `s64 [${r.smin}, ${r.smax}]`;
  if (!inU(r.u32min, w.half) || !inU(r.u32max, w.half)) return `u32 [${r.u32min}, ${r.u32max}]`;
  if (!inS(r.s32min, w.half) || !inS(r.s32max, w.half)) return `s32 [${r.s32min}, ${r.s32max}]`;
  if (!inU(r.varOff.value, w.bits) || !inU(r.varOff.mask, w.bits) || (r.varOff.value & r.varOff.mask)) {
    return `var_off (${r.varOff.value}; ${r.varOff.mask})`;
  }
  return null;
}

function show(r: RegState): string {
  const h = (v: bigint) => v.toString(16);
  return `{t=(${h(r.varOff.value)};${h(r.varOff.mask)}) u=[${h(r.umin)},${h(r.umax)}] s=[${r.smin},${r.smax}] ` +
    `u32=[${h(r.u32min)},${h(r.u32max)}] s32=[${r.s32min},${r.s32max}]}`;
}

/**
 * `adjust_scalar_min_max_vals` on `(dst, src)` at a small width: every
 * concrete result of every pair of members is in the result. `xs`/`ys` are
 * the members (pass them when already enumerated).
 */
export function checkAlu(
  w: Width,
  op: number,
  alu64: boolean,
  dst: RegState,
  src: RegState,
  xs = gammaN(w, dst),
  ys = gammaN(w, src),
): Violation | null {
  const out = dst.clone();
  adjustScalarMinMaxVals(w, alu64, op, out, src.clone());
  const bad = badField(w, out);
  if (bad) return { what: `alu op=${op.toString(16)} alu64=${alu64}`, detail: `out of range: ${bad}` };
  const ok = bitmap(w, out);
  for (const x of xs) {
    for (const y of ys) {
      const z = concreteAluN(w, op, alu64, x, y);
      if (!ok[z]) {
        return {
          what: `alu op=${op.toString(16)} alu64=${alu64}`,
          detail: `${x} op ${y} = ${z} not in ${show(out)}; dst ${show(dst)} src ${show(src)}`,
        };
      }
    }
  }
  return null;
}

/**
 * A conditional jump on `(a, b)` at a small width: `is_scalar_branch_taken`
 * only predicts a direction every concrete pair takes, and the refined
 * registers of each direction (`regs_refine_cond_op` + `reg_bounds_sync`,
 * as `reg_set_min_max`) contain every pair that takes it.
 */
export function checkBranch(
  w: Width,
  op: number,
  jmp32: boolean,
  a: RegState,
  b: RegState,
  xs = gammaN(w, a),
  ys = gammaN(w, b),
): Violation | null {
  const pred = isScalarBranchTaken(w, a, b, op, jmp32);
  const ta = a.clone(), tb = b.clone(), fa = a.clone(), fb = b.clone();
  let mta: Uint8Array | null = null,
    mtb: Uint8Array | null = null,
    mfa: Uint8Array | null = null,
    mfb: Uint8Array | null = null;
  if (pred < 0) {
    regSetMinMaxScalars(w, ta, tb, fa, fb, op, jmp32);
    for (const r of [ta, tb, fa, fb]) {
      const bad = badField(w, r);
      if (bad) return { what: `refine op=${op.toString(16)} jmp32=${jmp32}`, detail: `out of range: ${bad}` };
    }
    mta = bitmap(w, ta);
    mtb = bitmap(w, tb);
    mfa = bitmap(w, fa);
    mfb = bitmap(w, fb);
  }
  for (const x of xs) {
    for (const y of ys) {
      const c = concreteCondN(w, op, jmp32, x, y);
      if (pred === 1 && !c || pred === 0 && c) {
        return {
          what: `branch op=${op.toString(16)} jmp32=${jmp32} predicted ${pred}`,
          detail: `${x}, ${y} goes the other way; ${show(a)} ${show(b)}`,
        };
      }
      if (pred >= 0) continue;
      if (c ? !mta![x] || !mtb![y] : !mfa![x] || !mfb![y]) {
        return {
          what: `refine op=${op.toString(16)} jmp32=${jmp32} ${c ? "true" : "false"} branch`,
          detail: `${x}, ${y} not in ${c ? show(ta) + " " + show(tb) : show(fa) + " " + show(fb)}; from ${show(a)} ${
            show(b)
          }`,
        };
      }
    }
  }
  return null;
}

/** `reg_bounds_sync` keeps every member of a register and leaves no invariant violation when it has one. */
export function checkSync(w: Width, r: RegState, xs = gammaN(w, r)): Violation | null {
  const s = r.clone();
  regBoundsSync(w, s);
  const bad = badField(w, s);
  if (bad) return { what: "reg_bounds_sync", detail: `out of range: ${bad} from ${show(r)}` };
  const ok = bitmap(w, s);
  for (const x of xs) {
    if (!ok[x]) return { what: "reg_bounds_sync", detail: `${x} dropped: ${show(r)} -> ${show(s)}` };
  }
  if (xs.length && regBoundsViolation(w, s)) {
    return { what: "reg_bounds_sync", detail: `violation on a non-empty register ${show(r)} -> ${show(s)}` };
  }
  return null;
}

/**
 * The 64-bit version of {@link checkAlu} / {@link checkBranch} on one
 * concrete pair `(x, y)` of members.
 */
export function checkAlu64(
  w: Width,
  op: number,
  alu64: boolean,
  dst: RegState,
  src: RegState,
  x: bigint,
  y: bigint,
): Violation | null {
  const out = dst.clone();
  adjustScalarMinMaxVals(w, alu64, op, out, src.clone());
  const z = concreteAlu(w, op, alu64, x, y);
  return member(w, out, z) ? null : {
    what: `alu64 op=${op.toString(16)} alu64=${alu64}`,
    detail: `${x} op ${y} = ${z} not in ${show(out)}; dst ${show(dst)} src ${show(src)}`,
  };
}

/** {@link checkBranch} for one concrete pair at any width. */
export function checkBranch64(
  w: Width,
  op: number,
  jmp32: boolean,
  a: RegState,
  b: RegState,
  x: bigint,
  y: bigint,
): Violation | null {
  const pred = isScalarBranchTaken(w, a, b, op, jmp32);
  const c = concreteCond(w, op, jmp32, x, y);
  if (pred === 1 && !c || pred === 0 && c) {
    return { what: `branch64 op=${op.toString(16)} predicted ${pred}`, detail: `${x}, ${y}; ${show(a)} ${show(b)}` };
  }
  if (pred >= 0) return null;
  const ra = a.clone(), rb = b.clone();
  regsRefineCondOp(w, ra, rb, c ? op : revOpcode(op), jmp32);
  regBoundsSync(w, ra);
  regBoundsSync(w, rb);
  return member(w, ra, x) && member(w, rb, y) ? null : {
    what: `refine64 op=${op.toString(16)} jmp32=${jmp32} ${c}`,
    detail: `${x}, ${y} not in ${show(ra)} ${show(rb)}; from ${show(a)} ${show(b)}`,
  };
}

/** A random tnum of width `w`. */
export function randomTnum(w: Width, rng: Rng): Tnum {
  let v = 0n, m = 0n;
  for (let i = 0; i < w.bits; i++) {
    const k = rng.int(3);
    if (k === 1) v |= 1n << BigInt(i);
    if (k === 2) m |= 1n << BigInt(i);
  }
  return tnum(v, m);
}

function randBig(w: Width, rng: Rng): bigint {
  let x = 0n;
  for (let i = 0; i < w.bits; i += 16) x = (x << 16n) | BigInt(rng.u32() & 0xffff);
  return BigInt.asUintN(w.bits, x);
}

/**
 * A random well-formed scalar register at width `w`: a random tnum, random
 * ranges around a concrete anchor inside it, then `reg_bounds_sync` (every
 * state contains the anchor). Some are constants.
 */
export function randomReg(w: Width, rng: Rng): RegState {
  if (rng.chance(0.1)) return constReg(w, randBig(w, rng));
  const r = unknownReg(w);
  const t = rng.chance(0.7) ? randomTnum(w, rng) : tnum(0n, w.umax);
  const anchor = t.value | (randBig(w, rng) & t.mask);
  r.varOff = t;
  const span = (max: bigint) =>
    (rng.chance(0.5) ? BigInt(rng.int(1 << Math.min(w.bits, 16))) : randBig(w, rng)) % (max + 1n);
  if (rng.chance(0.6)) {
    r.umin = BigInt.asUintN(w.bits, anchor - span(anchor));
    r.umax = anchor + span(w.umax - anchor);
  }
  const sa = BigInt.asIntN(w.bits, anchor);
  if (rng.chance(0.4)) {
    const lo = sa - span(sa - w.smin), hi = sa + span(w.smax - sa);
    r.smin = lo;
    r.smax = hi;
  }
  const la = BigInt.asUintN(w.half, anchor), sla = BigInt.asIntN(w.half, anchor);
  if (rng.chance(0.4)) {
    r.u32min = la - span(la);
    r.u32max = la + span(w.humax - la);
  }
  if (rng.chance(0.3)) {
    r.s32min = sla - span(sla - w.hsmin);
    r.s32max = sla + span(w.hsmax - sla);
  }
  regBoundsSync(w, r);
  return r;
}

/** A random concrete member of `r` (64-bit tests), or null when the tries fail. */
export function randomMember(w: Width, r: RegState, rng: Rng): bigint | null {
  for (let i = 0; i < 64; i++) {
    let x: bigint;
    const k = rng.int(4);
    if (k === 0) x = r.umin + (randBig(w, rng) % (r.umax - r.umin + 1n));
    else if (k === 1) x = r.varOff.value | (randBig(w, rng) & r.varOff.mask);
    else if (k === 2) {
      const n = BigInt.asUintN(w.bits, r.smax - r.smin + 1n);
      x = BigInt.asUintN(w.bits, r.smin + (n === 0n ? randBig(w, rng) : randBig(w, rng) % n));
    } else x = rng.chance(0.5) ? r.umin : r.umax;
    if (member(w, r, x)) return x;
  }
  return null;
}
