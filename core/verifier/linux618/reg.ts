/**
 * `struct bpf_reg_state` of Linux 6.18 and the functions that set and
 * synchronise its scalar bounds: `__mark_reg_known`, `__mark_reg_unknown`,
 * `__update_reg_bounds`, `__reg_deduce_bounds` (32-bit, 64-bit and mixed),
 * `__reg_bound_offset`, `reg_bounds_sync`, `__reg_assign_32_into_64`.
 *
 * Bounds are bigints in the register's {@link Width} (see width.ts): the
 * signed ones signed, the unsigned ones unsigned. The C casts of the kernel
 * code (`(s32)`, `(u32)`, `max_t(u32, ...)`) are spelled out with the width
 * helpers.
 *
 * @module
 */
import {
  type Tnum,
  TNUM_UNKNOWN,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSubreg,
  tnumSubregIsConst,
  tnumUnknown,
} from "./tnum.ts";
import { constViolation64, regBoundsSync64 } from "./sync64.ts";
import { W64, type Width } from "./width.ts";

// ---- enum bpf_reg_type (base types) ----
/** Nothing was written into the register. */
export const NOT_INIT = 0;
/** Not a valid pointer. */
export const SCALAR_VALUE = 1;
/** Points to the program's context. */
export const PTR_TO_CTX = 2;
/** Points to a `struct bpf_map`. */
export const CONST_PTR_TO_MAP = 3;
/** Points into a map element's value. */
export const PTR_TO_MAP_VALUE = 4;
/** Points into a map element's key. */
export const PTR_TO_MAP_KEY = 5;
/** Frame pointer + offset. */
export const PTR_TO_STACK = 6;
/** `skb->data - meta_len`. */
export const PTR_TO_PACKET_META = 7;
/** `skb->data`. */
export const PTR_TO_PACKET = 8;
/** `skb->data + headlen`. */
export const PTR_TO_PACKET_END = 9;
/** `struct bpf_flow_keys`. */
export const PTR_TO_FLOW_KEYS = 10;
/** `struct bpf_sock`. */
export const PTR_TO_SOCKET = 11;
/** `struct sock_common`. */
export const PTR_TO_SOCK_COMMON = 12;
/** `struct tcp_sock`. */
export const PTR_TO_TCP_SOCK = 13;
/** A writable raw tracepoint buffer. */
export const PTR_TO_TP_BUFFER = 14;
/** `struct xdp_sock`. */
export const PTR_TO_XDP_SOCK = 15;
/** A BTF-typed kernel object. */
export const PTR_TO_BTF_ID = 16;
/** A valid memory region of `mem_size` bytes. */
export const PTR_TO_MEM = 17;
/** Arena memory. */
export const PTR_TO_ARENA = 18;
/** A read/write buffer. */
export const PTR_TO_BUF = 19;
/** A BPF function (callback). */
export const PTR_TO_FUNC = 20;
/** A const `struct bpf_dynptr`. */
export const CONST_PTR_TO_DYNPTR = 21;

/** `BPF_BASE_TYPE_MASK`. */
export const BPF_BASE_TYPE_MASK = 0xff;
/** `PTR_MAYBE_NULL`: the pointer may be NULL. */
export const PTR_MAYBE_NULL = 0x100;
/** `MEM_RDONLY`. */
export const MEM_RDONLY = 0x200;
/** `MEM_RINGBUF`: memory of a ring buffer reservation. */
export const MEM_RINGBUF = 0x400;
/** `PTR_TO_MAP_VALUE_OR_NULL`. */
export const PTR_TO_MAP_VALUE_OR_NULL = PTR_MAYBE_NULL | PTR_TO_MAP_VALUE;
/** `PTR_TO_MEM_OR_NULL`. */
export const PTR_TO_MEM_OR_NULL = PTR_MAYBE_NULL | PTR_TO_MEM;

/** `BPF_ADD_CONST64`: the scalar's id links it to another with a 64-bit constant delta in `off`. */
export const BPF_ADD_CONST64 = 0x80000000;
/** `BPF_ADD_CONST32`: the link is a 32-bit add (`w1 += k`; the sync zero-extends). */
export const BPF_ADD_CONST32 = 0x40000000;
/** `BPF_ADD_CONST`: either flag (6.18.y backport of the negative/SUB/alu32 link tracking). */
export const BPF_ADD_CONST = 0xc0000000;

/** `base_type(t)`. */
export function baseType(t: number): number {
  return t & BPF_BASE_TYPE_MASK;
}

/** `type_may_be_null(t)`. */
export function typeMayBeNull(t: number): boolean {
  return (t & PTR_MAYBE_NULL) !== 0;
}

/** `type_is_pkt_pointer(t)`. */
export function typeIsPktPointer(t: number): boolean {
  const b = baseType(t);
  return b === PTR_TO_PACKET || b === PTR_TO_PACKET_META;
}

/** `struct bpf_reg_state`. Field order follows the kernel's (it decides `regs_exact`). */
export class RegState {
  /** `enum bpf_reg_type` (base type and flags). */
  type = NOT_INIT;
  /** Fixed part of a pointer's offset (or the delta of a BPF_ADD_CONST scalar). */
  off = 0;
  // ---- the union ----
  /** `map_ptr`: index of the map in the program's used maps, -1 for NULL. */
  map = -1;
  /** `map_uid`. */
  mapUid = 0;
  /** `range` of a packet pointer. */
  range = 0;
  /** `mem_size` of PTR_TO_MEM. */
  memSize = 0;
  /** `subprogno` of PTR_TO_FUNC. */
  subprogno = 0;
  // ---- value tracking ----
  /** `var_off`. */
  varOff: Tnum = TNUM_UNKNOWN;
  /** `smin_value`. */
  smin = 0n;
  /** `smax_value`. */
  smax = 0n;
  /** `umin_value`. */
  umin = 0n;
  /** `umax_value`. */
  umax = 0n;
  /** `s32_min_value`. */
  s32min = 0n;
  /** `s32_max_value`. */
  s32max = 0n;
  /** `u32_min_value`. */
  u32min = 0n;
  /** `u32_max_value`. */
  u32max = 0n;
  // ---- after `id` (not part of the memcmp of regs_exact) ----
  /** `id`. */
  id = 0;
  /** `ref_obj_id`. */
  refObjId = 0;
  /** `frameno` (PTR_TO_STACK: which frame it points into). */
  frameno = 0;
  /** `subreg_def`. */
  subregDef = 0;
  /** `precise`. */
  precise = false;
  /** bpfscope bookkeeping: the insn that last wrote the register (-1: program entry); never compared. */
  origin = -1;

  /** A copy. */
  clone(): RegState {
    const r = new RegState();
    copyReg(r, this);
    return r;
  }
}

/** `*dst = *src`. */
export function copyReg(d: RegState, s: RegState): void {
  d.type = s.type;
  d.off = s.off;
  copyUnion(d, s);
  d.varOff = s.varOff;
  d.smin = s.smin;
  d.smax = s.smax;
  d.umin = s.umin;
  d.umax = s.umax;
  d.s32min = s.s32min;
  d.s32max = s.s32max;
  d.u32min = s.u32min;
  d.u32max = s.u32max;
  d.id = s.id;
  d.refObjId = s.refObjId;
  d.frameno = s.frameno;
  d.subregDef = s.subregDef;
  d.precise = s.precise;
  d.origin = s.origin;
}

/** The union of `struct bpf_reg_state` (map, range, mem_size, subprogno) copied from `s` (`dst->raw = src->raw`). */
export function copyUnion(d: RegState, s: RegState): void {
  d.map = s.map;
  d.mapUid = s.mapUid;
  d.range = s.range;
  d.memSize = s.memSize;
  d.subprogno = s.subprogno;
}

/** `memset(&reg->raw, 0, ...)`: the union cleared (no map: -1). */
export function clearUnion(r: RegState): void {
  r.map = -1;
  r.mapUid = 0;
  r.range = 0;
  r.memSize = 0;
  r.subprogno = 0;
}

/** `memcmp(a, b, offsetof(struct bpf_reg_state, var_off)) == 0`. */
export function regsEqualUpToVarOff(a: RegState, b: RegState): boolean {
  return a.type === b.type && a.off === b.off && a.map === b.map && a.mapUid === b.mapUid &&
    a.range === b.range && a.memSize === b.memSize && a.subprogno === b.subprogno;
}

/** `memcmp(a, b, offsetof(struct bpf_reg_state, id)) == 0`. */
export function regsEqualUpToId(a: RegState, b: RegState): boolean {
  return regsEqualUpToVarOff(a, b) && a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask &&
    a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax &&
    a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max;
}

/** `memcmp(a, b, offsetof(struct bpf_reg_state, frameno)) == 0`. */
export function regsEqualUpToFrameno(a: RegState, b: RegState): boolean {
  return regsEqualUpToId(a, b) && a.id === b.id && a.refObjId === b.refObjId;
}

/** `___mark_reg_known(reg, imm)`: the value is `imm` (id is kept). */
export function markRegKnownValue(w: Width, reg: RegState, imm: bigint): void {
  // a small non-negative constant is its own s64, s32 and u32 (no new bigints: this runs per constant made)
  const small = imm >= 0n && imm <= w.hsmax;
  const v = small ? imm : BigInt.asUintN(w.bits, imm);
  reg.varOff = tnumConst(v);
  reg.smin = small ? v : BigInt.asIntN(w.bits, v);
  reg.smax = reg.smin;
  reg.umin = v;
  reg.umax = v;
  reg.s32min = small ? v : BigInt.asIntN(w.half, v);
  reg.s32max = reg.s32min;
  reg.u32min = small ? v : BigInt.asUintN(w.half, v);
  reg.u32max = reg.u32min;
}

/** `__mark_reg_known(reg, imm)`: clears off, the union, id and ref_obj_id. */
export function markRegKnown(w: Width, reg: RegState, imm: bigint): void {
  reg.off = 0;
  clearUnion(reg);
  reg.id = 0;
  reg.refObjId = 0;
  markRegKnownValue(w, reg, imm);
}

/** Known registers of recent immediates (direct-mapped by the low bits; a hit copies, a miss converts once). */
const immCache: (RegState | null)[] = new Array(64).fill(null);

/**
 * `__mark_reg_known(reg, imm)` for an instruction's immediate (a safe
 * integer: the sign-extended or the zero-extended 32-bit field), without
 * new bigints for a recent one.
 */
export function markRegKnownImm(reg: RegState, imm: number): void {
  const k = imm & 63;
  let t = immCache[k];
  if (t === null || t.off !== imm) {
    if (t === null) t = immCache[k] = new RegState(); // a miss overwrites the entry in place
    markRegKnown(W64, t, BigInt(imm));
    t.off = imm; // the cache key (off of a known register is 0 otherwise; never copied below)
  }
  reg.off = 0;
  clearUnion(reg);
  reg.id = 0;
  reg.refObjId = 0;
  reg.varOff = t.varOff;
  reg.smin = t.smin;
  reg.smax = t.smax;
  reg.umin = t.umin;
  reg.umax = t.umax;
  reg.s32min = t.s32min;
  reg.s32max = t.s32max;
  reg.u32min = t.u32min;
  reg.u32max = t.u32max;
}

/** `__mark_reg32_known(reg, imm)`. */
export function markReg32Known(w: Width, reg: RegState, imm: bigint): void {
  reg.varOff = tnumConstSubreg(w, reg.varOff, BigInt.asUintN(w.half, imm));
  reg.s32min = BigInt.asIntN(w.half, imm);
  reg.s32max = reg.s32min;
  reg.u32min = BigInt.asUintN(w.half, imm);
  reg.u32max = reg.u32min;
}

/** `__mark_reg_known_zero(reg)`. */
export function markRegKnownZero(reg: RegState): void {
  markRegKnown(W64, reg, 0n);
}

/** `__mark_reg_const_zero(env, reg)` for a privileged (bpf_capable) load. */
export function markRegConstZero(reg: RegState): void {
  markRegKnown(W64, reg, 0n);
  reg.type = SCALAR_VALUE;
  reg.precise = false;
}

/** `__mark_reg_unbounded(reg)`. */
export function markRegUnbounded(w: Width, reg: RegState): void {
  reg.smin = w.smin;
  reg.smax = w.smax;
  reg.umin = 0n;
  reg.umax = w.umax;
  reg.s32min = w.hsmin;
  reg.s32max = w.hsmax;
  reg.u32min = 0n;
  reg.u32max = w.humax;
}

/** `__mark_reg64_unbounded(reg)`. */
export function markReg64Unbounded(w: Width, reg: RegState): void {
  reg.smin = w.smin;
  reg.smax = w.smax;
  reg.umin = 0n;
  reg.umax = w.umax;
}

/** `__mark_reg32_unbounded(reg)`. */
export function markReg32Unbounded(w: Width, reg: RegState): void {
  reg.s32min = w.hsmin;
  reg.s32max = w.hsmax;
  reg.u32min = 0n;
  reg.u32max = w.humax;
}

/** `__update_reg32_bounds(reg)`: learn 32-bit bounds from var_off. */
export function updateReg32Bounds(w: Width, reg: RegState): void {
  const t = tnumSubreg(w, reg.varOff);
  const signBit = 1n << (w.hn - 1n);
  const lo = BigInt.asIntN(w.half, t.value | (t.mask & signBit));
  const hi = BigInt.asIntN(w.half, t.value | (t.mask & (signBit - 1n)));
  if (lo > reg.s32min) reg.s32min = lo;
  if (hi < reg.s32max) reg.s32max = hi;
  if (t.value > reg.u32min) reg.u32min = t.value;
  const m = t.value | t.mask;
  if (m < reg.u32max) reg.u32max = m;
}

/** `__update_reg64_bounds(reg)`: learn 64-bit bounds from var_off. */
export function updateReg64Bounds(w: Width, reg: RegState): void {
  const t = reg.varOff;
  const signBit = 1n << (w.n - 1n);
  const lo = BigInt.asIntN(w.bits, t.value | (t.mask & signBit));
  const hi = BigInt.asIntN(w.bits, t.value | (t.mask & (signBit - 1n)));
  if (lo > reg.smin) reg.smin = lo;
  if (hi < reg.smax) reg.smax = hi;
  if (t.value > reg.umin) reg.umin = t.value;
  const m = t.value | t.mask;
  if (m < reg.umax) reg.umax = m;
  regTnumSingleValue(w, reg);
}

/**
 * When the u64 range and var_off have a single value in common, the
 * register is that constant. This is not in 6.18.0; the running 6.18.y
 * kernel (6.18.44) does it, as measured: `r &= 0x80; if r > 5` makes the
 * jump side `R=128`, `r &= 0x81` with [2, 0x80] makes `R=128`, and a range
 * past every member but the largest picks the largest (`tmax`).
 */
function regTnumSingleValue(w: Width, reg: RegState): void {
  const t = reg.varOff;
  const next = tnumStep(w, t, reg.umin);
  const uminIn = (reg.umin & ~t.mask) === t.value;
  const tmax = t.value | t.mask;
  if (uminIn && next > reg.umax) markRegKnownValue(w, reg, reg.umin);
  else if (!uminIn && next === tmax) markRegKnownValue(w, reg, tmax);
  else if (!uminIn && next <= reg.umax && tnumStep(w, t, next) > reg.umax) markRegKnownValue(w, reg, next);
}

/** `__update_reg_bounds(reg)`. */
export function updateRegBounds(w: Width, reg: RegState): void {
  updateReg32Bounds(w, reg);
  updateReg64Bounds(w, reg);
}

/** `__reg32_deduce_bounds(reg)`: 32-bit bounds from the 64-bit ones and signed/unsigned from each other. */
export function reg32DeduceBounds(w: Width, reg: RegState): void {
  const H = w.hn, hb = w.half, bits = w.bits;
  if ((reg.umin >> H) === (reg.umax >> H)) {
    let v = BigInt.asUintN(hb, reg.umin);
    if (v > reg.u32min) reg.u32min = v;
    v = BigInt.asUintN(hb, reg.umax);
    if (v < reg.u32max) reg.u32max = v;
    if (BigInt.asIntN(hb, reg.umin) <= BigInt.asIntN(hb, reg.umax)) {
      v = BigInt.asIntN(hb, reg.umin);
      if (v > reg.s32min) reg.s32min = v;
      v = BigInt.asIntN(hb, reg.umax);
      if (v < reg.s32max) reg.s32max = v;
    }
  }
  if ((reg.smin >> H) === (reg.smax >> H)) {
    if (BigInt.asUintN(hb, reg.smin) <= BigInt.asUintN(hb, reg.smax)) {
      let v = BigInt.asUintN(hb, reg.smin);
      if (v > reg.u32min) reg.u32min = v;
      v = BigInt.asUintN(hb, reg.smax);
      if (v < reg.u32max) reg.u32max = v;
    }
    if (BigInt.asIntN(hb, reg.smin) <= BigInt.asIntN(hb, reg.smax)) {
      let v = BigInt.asIntN(hb, reg.smin);
      if (v > reg.s32min) reg.s32min = v;
      v = BigInt.asIntN(hb, reg.smax);
      if (v < reg.s32max) reg.s32max = v;
    }
  }
  // upper halves two consecutive numbers (mod 2^half), lower halves crossing from negative to positive
  if (
    BigInt.asUintN(hb, BigInt.asUintN(hb, reg.umin >> H) + 1n) === BigInt.asUintN(hb, reg.umax >> H) &&
    BigInt.asIntN(hb, reg.umin) < 0n && BigInt.asIntN(hb, reg.umax) >= 0n
  ) {
    let v = BigInt.asIntN(hb, reg.umin);
    if (v > reg.s32min) reg.s32min = v;
    v = BigInt.asIntN(hb, reg.umax);
    if (v < reg.s32max) reg.s32max = v;
  }
  if (
    BigInt.asUintN(hb, BigInt.asUintN(hb, BigInt.asUintN(bits, reg.smin) >> H) + 1n) ===
      BigInt.asUintN(hb, BigInt.asUintN(bits, reg.smax) >> H) &&
    BigInt.asIntN(hb, reg.smin) < 0n && BigInt.asIntN(hb, reg.smax) >= 0n
  ) {
    let v = BigInt.asIntN(hb, reg.smin);
    if (v > reg.s32min) reg.s32min = v;
    v = BigInt.asIntN(hb, reg.smax);
    if (v < reg.s32max) reg.s32max = v;
  }
  if (BigInt.asIntN(hb, reg.u32min) <= BigInt.asIntN(hb, reg.u32max)) {
    let v = BigInt.asIntN(hb, reg.u32min);
    if (v > reg.s32min) reg.s32min = v;
    v = BigInt.asIntN(hb, reg.u32max);
    if (v < reg.s32max) reg.s32max = v;
  }
  if (BigInt.asUintN(hb, reg.s32min) <= BigInt.asUintN(hb, reg.s32max)) {
    let v = BigInt.asUintN(hb, reg.s32min);
    if (v > reg.u32min) reg.u32min = v;
    v = BigInt.asUintN(hb, reg.s32max);
    if (v < reg.u32max) reg.u32max = v;
  } else if (reg.u32max < BigInt.asUintN(hb, reg.s32min)) {
    // s32 range crossing the sign boundary, u32 range on its non-negative
    // side only (the 6.18.y backport of the 32-bit analogue of the 64-bit case)
    reg.s32min = BigInt.asIntN(hb, reg.u32min);
    const v = BigInt.asUintN(hb, reg.s32max);
    if (v < reg.u32max) reg.u32max = v;
  } else if (BigInt.asUintN(hb, reg.s32max) < reg.u32min) {
    reg.s32max = BigInt.asIntN(hb, reg.u32max);
    const v = BigInt.asUintN(hb, reg.s32min);
    if (v > reg.u32min) reg.u32min = v;
  }
}

/** `__reg64_deduce_bounds(reg)`: signed and unsigned 64-bit bounds from each other. */
export function reg64DeduceBounds(w: Width, reg: RegState): void {
  const b = w.bits;
  if (BigInt.asIntN(b, reg.umin) <= BigInt.asIntN(b, reg.umax)) {
    let v = BigInt.asIntN(b, reg.umin);
    if (v > reg.smin) reg.smin = v;
    v = BigInt.asIntN(b, reg.umax);
    if (v < reg.smax) reg.smax = v;
  }
  if (BigInt.asUintN(b, reg.smin) <= BigInt.asUintN(b, reg.smax)) {
    let v = BigInt.asUintN(b, reg.smin);
    if (v > reg.umin) reg.umin = v;
    v = BigInt.asUintN(b, reg.smax);
    if (v < reg.umax) reg.umax = v;
  } else {
    if (reg.umax < BigInt.asUintN(b, reg.smin)) {
      reg.smin = BigInt.asIntN(b, reg.umin);
      const v = BigInt.asUintN(b, reg.smax);
      if (v < reg.umax) reg.umax = v;
    } else if (BigInt.asUintN(b, reg.smax) < reg.umin) {
      reg.smax = BigInt.asIntN(b, reg.umax);
      const v = BigInt.asUintN(b, reg.smin);
      if (v > reg.umin) reg.umin = v;
    }
  }
}

/** `__reg_deduce_mixed_bounds(reg)`: 64-bit bounds from the 32-bit ones. */
export function regDeduceMixedBounds(w: Width, reg: RegState): void {
  const b = w.bits, lowMask = w.humax, highMask = w.umax ^ w.humax;
  const newUmin = (reg.umin & highMask) | reg.u32min;
  const newUmax = (reg.umax & highMask) | reg.u32max;
  if (newUmin > reg.umin) reg.umin = newUmin;
  if (newUmax < reg.umax) reg.umax = newUmax;
  const newSmin = BigInt.asIntN(b, (BigInt.asUintN(b, reg.smin) & highMask) | reg.u32min);
  const newSmax = BigInt.asIntN(b, (BigInt.asUintN(b, reg.smax) & highMask) | reg.u32max);
  if (newSmin > reg.smin) reg.smin = newSmin;
  if (newSmax < reg.smax) reg.smax = newSmax;
  void lowMask;
  if (reg.s32min >= 0n && reg.smin >= w.hsmin && reg.smax <= w.hsmax) {
    reg.smin = reg.s32min;
    reg.smax = reg.s32max;
    reg.umin = BigInt.asUintN(b, reg.s32min);
    reg.umax = BigInt.asUintN(b, reg.s32max);
    reg.varOff = tnumIntersect(reg.varOff, tnumRange(w, reg.smin, reg.smax));
  }
}

/** `__reg_deduce_bounds(reg)`. */
export function regDeduceBounds(w: Width, reg: RegState): void {
  reg32DeduceBounds(w, reg);
  reg64DeduceBounds(w, reg);
  regDeduceMixedBounds(w, reg);
}

/** `__reg_bound_offset(reg)`: learn var_off bits from the unsigned bounds. */
export function regBoundOffset(w: Width, reg: RegState): void {
  const var64 = tnumIntersect(reg.varOff, tnumRange(w, reg.umin, reg.umax));
  const var32 = tnumIntersect(tnumSubreg(w, var64), tnumRange(w, reg.u32min, reg.u32max));
  reg.varOff = tnumOr(tnumClearSubreg(w, var64), var32);
}

/**
 * `reg_bounds_sync(reg)`. At the kernel's width this runs on 32-bit halves
 * (sync64.ts, no bigint per step); other widths (the small analogues of the
 * tests) run {@link regBoundsSyncBigint}, the reference it is checked against.
 */
export function regBoundsSync(w: Width, reg: RegState): void {
  if (w === W64) regBoundsSync64(reg);
  else regBoundsSyncBigint(w, reg);
}

/** `reg_bounds_sync(reg)` in bigints, at any width. */
export function regBoundsSyncBigint(w: Width, reg: RegState): void {
  // A constant whose eight bounds already say so is a fixed point: skip the work.
  if (reg.varOff.mask === 0n) {
    const v = reg.varOff.value;
    if (
      reg.umin === v && reg.umax === v && reg.smin === reg.smax && reg.smin === BigInt.asIntN(w.bits, v) &&
      reg.u32min === reg.u32max && reg.u32min === BigInt.asUintN(w.half, v) && reg.s32min === reg.s32max &&
      reg.s32min === BigInt.asIntN(w.half, v)
    ) return;
  }
  updateRegBounds(w, reg);
  regDeduceBounds(w, reg);
  regDeduceBounds(w, reg);
  regDeduceBounds(w, reg);
  regBoundOffset(w, reg);
  updateRegBounds(w, reg);
}

/** Whether a min is above its max. */
function rangesCross(reg: RegState): boolean {
  return reg.umin > reg.umax || reg.smin > reg.smax || reg.u32min > reg.u32max || reg.s32min > reg.s32max;
}

/**
 * The check of `reg_bounds_sanity_check`: null when the bounds are
 * consistent, else the kernel's message part (`range bounds violation`, ...).
 */
export function regBoundsViolation(w: Width, reg: RegState): string | null {
  if (w !== W64) return regBoundsViolationBigint(w, reg);
  if (rangesCross(reg)) return "range bounds violation";
  return constViolation64(reg);
}

/** {@link regBoundsViolation} in bigints, at any width (the reference of the 64-bit checks in sync64.ts). */
export function regBoundsViolationBigint(w: Width, reg: RegState): string | null {
  if (rangesCross(reg)) return "range bounds violation";
  if (tnumIsConst(reg.varOff)) {
    const u = reg.varOff.value, s = BigInt.asIntN(w.bits, u);
    if (reg.umin !== u || reg.umax !== u || reg.smin !== s || reg.smax !== s) {
      return "const tnum out of sync with range bounds";
    }
  }
  if (tnumSubregIsConst(w, reg.varOff)) {
    const u = tnumSubreg(w, reg.varOff).value, s = BigInt.asIntN(w.half, u);
    if (reg.u32min !== u || reg.u32max !== u || reg.s32min !== s || reg.s32max !== s) {
      return "const subreg tnum out of sync with range bounds";
    }
  }
  return null;
}

/** `__reg_assign_32_into_64(reg)`. */
export function regAssign32Into64(w: Width, reg: RegState): void {
  reg.umin = reg.u32min;
  reg.umax = reg.u32max;
  if (reg.s32min >= 0n && reg.s32min <= w.hsmax && reg.s32max >= 0n && reg.s32max <= w.hsmax) {
    reg.smin = reg.s32min;
    reg.smax = reg.s32max;
  } else {
    reg.smin = 0n;
    reg.smax = w.humax;
  }
}

/** `__mark_reg_unknown_imprecise(reg)`. */
export function markRegUnknownImprecise(w: Width, reg: RegState): void {
  reg.off = 0;
  clearUnion(reg);
  reg.type = SCALAR_VALUE;
  reg.id = 0;
  reg.refObjId = 0;
  reg.varOff = tnumUnknown(w);
  reg.frameno = 0;
  reg.precise = false;
  markRegUnbounded(w, reg);
}

/** `__mark_reg_unknown(env, reg)` for a privileged load (precise = false). */
export function markRegUnknown(reg: RegState): void {
  markRegUnknownImprecise(W64, reg);
}

/** `__mark_reg_not_init(env, reg)`. */
export function markRegNotInit(reg: RegState): void {
  markRegUnknownImprecise(W64, reg);
  reg.type = NOT_INIT;
}

/** `tnum_is_const(reg->var_off)` for a scalar. */
export function isRegConst(w: Width, reg: RegState, subreg32: boolean): boolean {
  return reg.type === SCALAR_VALUE && (subreg32 ? tnumSubregIsConst(w, reg.varOff) : tnumIsConst(reg.varOff));
}

/** `reg_const_value(reg, subreg32)`. */
export function regConstValue(w: Width, reg: RegState, subreg32: boolean): bigint {
  return subreg32 ? tnumSubreg(w, reg.varOff).value : reg.varOff.value;
}
