/**
 * A seeded random program generator biased towards programs the Linux
 * 3.18/3.19 verifier accepts: it tracks an abstract state like the
 * verifier's (register kinds, stack bytes written, spilled pointers) and
 * mostly emits instructions that are valid in that state — ALU on scalars,
 * stack spills and fills, map lookups with (and sometimes without) a NULL
 * check, map updates and deletes with valid arguments, forward branches,
 * ctx reads for `unspec` (8-byte reads at 0 and 8), LD_ABS/LD_IND for
 * `socket_filter`, XADD, early exits. A small share of instructions is
 * deliberately invalid (unchecked map values, div by constant 0, bad
 * shifts, 3.19-unknown opcodes, back-edges, uninitialised reads) so the
 * verifier's rejection paths are exercised too.
 *
 * @module
 */
import { type Insn, type MapDef, mapDef, Program } from "../../core/isa/mod.ts";
import type { Rng } from "./rng.ts";

/** Which verifier the program is aimed at. */
export type GenProfile = "linux-3.18" | "linux-3.19";

/** Options of {@link generateProgram}. */
export interface GenOptions {
  /** Target profile (helpers, LD_ABS, program types). */
  profile: GenProfile;
  /** Approximate number of instructions (default 10..120). */
  size?: number;
  /** Share of deliberately invalid constructs (default 0.012). */
  badRate?: number;
  /** Program type (0 unspec, 1 socket_filter; default: random, socket_filter only for linux-3.19). */
  progType?: number;
}

type Kind = "uninit" | "scalar" | "ctx" | "frame" | "stack" | "mapval" | "maybe_null" | "mapptr" | "other";

interface Reg {
  kind: Kind;
  /** Stack offset (stack / frame) or the map index (mapval, maybe_null, mapptr). */
  n: number;
}

interface Slot {
  /** "none" nothing known, "misc" bytes in `mask` written with data, "spill" a spilled register. */
  kind: "none" | "misc" | "spill";
  mask: number;
  spill?: Reg;
}

class State {
  regs: Reg[];
  stack: Slot[];
  dead = false;
  constructor() {
    this.regs = Array.from({ length: 11 }, () => ({ kind: "uninit" as Kind, n: 0 }));
    this.regs[1] = { kind: "ctx", n: 0 };
    this.regs[10] = { kind: "frame", n: 0 };
    this.stack = Array.from({ length: 64 }, () => ({ kind: "none" as const, mask: 0 }));
  }
  clone(): State {
    const s = new State();
    s.regs = this.regs.map((r) => ({ ...r }));
    s.stack = this.stack.map((x) => ({ ...x, spill: x.spill ? { ...x.spill } : undefined }));
    s.dead = this.dead;
    return s;
  }
  /** The state at a join point of `this` and `o`: what holds on both paths. */
  join(o: State): State {
    if (this.dead) return o.clone();
    if (o.dead) return this.clone();
    const s = this.clone();
    for (let i = 0; i < 11; i++) {
      const a = this.regs[i], b = o.regs[i];
      if (a.kind !== b.kind || a.n !== b.n) {
        s.regs[i] = { kind: a.kind === "uninit" || b.kind === "uninit" ? "uninit" : "other", n: 0 };
      }
    }
    for (let i = 0; i < 64; i++) {
      const a = this.stack[i], b = o.stack[i];
      if (a.kind === "misc" && b.kind === "misc") s.stack[i] = { kind: "misc", mask: a.mask & b.mask };
      else if (
        a.kind === "spill" && b.kind === "spill" && a.spill!.kind === b.spill!.kind && a.spill!.n === b.spill!.n
      ) {
        s.stack[i] = { kind: "spill", mask: 0xff, spill: { ...a.spill! } };
      } else s.stack[i] = { kind: "none", mask: 0 };
    }
    return s;
  }
}

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const JMP_OPS_319 = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70];
const SIZES: Array<[number, number]> = [[0x18, 8], [0x00, 4], [0x08, 2], [0x10, 1]];

/** A generated program with what is needed to run it. */
export interface GenProgram {
  /** The program (maps declared, fixups set, prog type set). */
  prog: Program;
  /** True when the generator emitted something it believes the verifier must reject. */
  intendedBad: boolean;
  /** True when the program does arithmetic on a pointer (3.19 allows it; results are address-dependent). */
  pointerAlu: boolean;
}

/** The generator; one instance builds one program. */
class Gen {
  readonly out: Insn[] = [];
  readonly fixups: Array<[number, number]> = [];
  st = new State();
  bad = false;
  ptrAlu = false;
  constructor(
    readonly r: Rng,
    readonly profile: GenProfile,
    readonly progType: number,
    readonly maps: MapDef[],
    readonly badRate: number,
  ) {}

  emit(...xs: Insn[]): void {
    this.out.push(...xs);
  }

  regsOf(pred: (r: Reg) => boolean, lo = 0): number[] {
    const out: number[] = [];
    for (let i = lo; i < 10; i++) if (pred(this.st.regs[i])) out.push(i);
    return out;
  }
  scalars(): number[] {
    return this.regsOf((x) => x.kind === "scalar");
  }
  /** A register that may be overwritten (never r10; keeps one ctx holder for unspec/LD_ABS). */
  dstReg(): number {
    const r = this.r;
    for (let t = 0; t < 8; t++) {
      const d = r.int(10);
      if (this.keepCtx(d)) continue;
      return d;
    }
    return 0;
  }
  keepCtx(d: number): boolean {
    // socket_filter: r6 must stay the ctx for LD_ABS; unspec: keep r6 as a ctx holder too, mostly
    return d === 6 && this.st.regs[6].kind === "ctx";
  }
  setReg(d: number, k: Kind, n = 0): void {
    this.st.regs[d] = { kind: k, n };
  }
  badNow(): boolean {
    return this.r.chance(this.badRate);
  }

  /** Scalar value in a fresh or existing register. */
  ensureScalar(): number {
    const s = this.scalars();
    if (s.length > 0 && this.r.chance(0.8)) return this.r.pick(s);
    const d = this.dstReg();
    this.emitMovImm(d);
    return d;
  }
  emitMovImm(d: number): void {
    if (this.r.chance(0.15)) {
      const lo = this.r.i32(), hi = this.r.i32();
      this.emit(I(0x18, d, 0, 0, lo), I(0, 0, 0, 0, hi));
    } else this.emit(I(this.r.chance(0.5) ? 0xb7 : 0xb4, d, 0, 0, this.r.imm()));
    this.setReg(d, "scalar");
  }

  alu(): void {
    const r = this.r;
    const is64 = r.chance(0.6);
    const cls = is64 ? 0x07 : 0x04;
    let op = r.pick(ALU_OPS);
    const d = this.dstReg();
    if (this.st.regs[d].kind !== "scalar" && op !== 0xb0) {
      if (r.chance(0.85) || this.st.regs[d].kind === "uninit") {
        this.emitMovImm(d);
      } else this.ptrAlu = true;
    }
    if (op === 0xd0) { // END
      const len = r.pick([16, 32, 64]);
      const src = r.chance(0.5) ? 0x08 : 0;
      this.emit(I(0xd4 | src, d, 0, 0, len));
      this.setReg(d, "scalar");
      return;
    }
    if (op === 0x80) { // NEG
      this.emit(I(cls | 0x80, d, 0, 0, 0));
      this.setReg(d, "scalar");
      return;
    }
    const useReg = r.chance(0.4);
    if (useReg) {
      let s = this.scalars();
      if (op === 0xb0 && r.chance(0.3)) s = this.regsOf((x) => x.kind !== "uninit");
      if (s.length === 0) op = 0xb0;
      const src = s.length > 0 ? r.pick(s) : 10;
      if (op === 0xb0) {
        this.emit(I(cls | 0x08 | op, d, src, 0, 0));
        const k = this.st.regs[src];
        if (is64) this.setReg(d, k.kind === "frame" ? "frame" : k.kind, k.n);
        else this.setReg(d, k.kind === "scalar" ? "scalar" : "other");
        if (!is64 && k.kind !== "scalar") this.ptrAlu = true;
        return;
      }
      if (!is64 && op === 0xc0 && !this.badNow()) op = 0x70; // 3.18/3.19: no 32-bit ARSH
      this.emit(I(cls | 0x08 | op, d, src, 0, 0));
      this.setReg(d, "scalar");
      return;
    }
    let imm = r.imm();
    if (op === 0x30 || op === 0x90) {
      if (imm === 0 && !this.badNow()) imm = r.range(1, 1000);
    } else if (op === 0x60 || op === 0x70 || op === 0xc0) {
      imm = this.badNow() ? r.pick([64, 99, -1]) : r.int(is64 ? 64 : 32);
    }
    if (!is64 && op === 0xc0 && !this.badNow()) op = 0x70;
    this.emit(I(cls | op, d, 0, 0, imm));
    this.setReg(d, "scalar");
  }

  /** Make `n` bytes at stack offset `off` (negative, aligned) plain data. */
  stackData(off: number, n: number): void {
    for (let o = off; o < off + n; o += 8) {
      const w = Math.min(8, off + n - o);
      const slot = this.st.stack[(512 + o) >> 3];
      if (slot.kind === "misc" && (slot.mask & ((1 << w) - 1)) === (1 << w) - 1) continue;
      const [sz] = SIZES.find(([, b]) => b === w) ?? [0x18, 8];
      if (this.r.chance(0.5)) this.emit(I(0x62 | sz, 10, 0, o, this.r.range(0, 3)));
      else this.emit(I(0x63 | sz, 10, this.ensureScalar(), o, 0));
      this.markStack(o, w, null);
    }
  }

  markStack(o: number, w: number, spill: Reg | null): void {
    const slot = this.st.stack[(512 + o) >> 3];
    const b = (512 + o) & 7;
    if (spill) {
      this.st.stack[(512 + o) >> 3] = { kind: "spill", mask: 0xff, spill: { ...spill } };
    } else if (slot.kind === "spill") {
      this.st.stack[(512 + o) >> 3] = w === 8 ? { kind: "misc", mask: 0xff } : { kind: "none", mask: 0 };
    } else {
      this.st.stack[(512 + o) >> 3] = {
        kind: "misc",
        mask: (slot.kind === "misc" ? slot.mask : 0) | (((1 << w) - 1) << b),
      };
    }
  }

  stackStore(): void {
    const r = this.r;
    const [sz, w] = r.pick(SIZES);
    const o = -8 * r.range(1, 64) + (w < 8 ? w * r.int(8 / w) : 0);
    const regs = this.regsOf((x) => x.kind !== "uninit" && x.kind !== "other");
    if (r.chance(0.3)) {
      this.emit(I(0x62 | sz, 10, 0, o, r.imm()));
      this.markStack(o, w, null);
      return;
    }
    let s = regs.length > 0 && r.chance(0.7) ? r.pick(regs) : this.ensureScalar();
    let k = this.st.regs[s];
    if (k.kind !== "scalar" && w !== 8) {
      if (!this.badNow()) {
        s = this.ensureScalar();
        k = this.st.regs[s];
      } else this.bad = true;
    }
    this.emit(I(0x63 | sz, 10, s, o, 0));
    this.markStack(o, w, k.kind === "scalar" ? null : k);
  }

  stackLoad(): void {
    const r = this.r;
    const slots: number[] = [];
    for (let i = 0; i < 64; i++) if (this.st.stack[i].kind !== "none") slots.push(i);
    if (slots.length === 0) return this.stackStore();
    const i = r.pick(slots);
    const slot = this.st.stack[i];
    const d = this.dstReg();
    const base = i * 8 - 512;
    if (slot.kind === "spill") {
      this.emit(I(0x79, d, 10, base, 0));
      this.st.regs[d] = { ...slot.spill! };
      return;
    }
    const opts = SIZES.flatMap(([sz, w]) => {
      const xs: Array<[number, number]> = [];
      for (let b = 0; b < 8; b += w) if (((slot.mask >> b) & ((1 << w) - 1)) === (1 << w) - 1) xs.push([sz, b]);
      return xs;
    });
    if (opts.length === 0) return this.stackStore();
    const [sz, b] = r.pick(opts);
    this.emit(I(0x61 | sz, d, 10, base + b, 0));
    this.setReg(d, "scalar");
  }

  /** A register holding a stack pointer to `off` (emits `r = r10; r += off`). */
  stackPtr(d: number, off: number): void {
    this.emit(I(0xbf, d, 10, 0, 0), I(0x07, d, 0, 0, off));
    this.setReg(d, "stack", off);
  }

  ldMap(d: number, m: number): void {
    this.fixups.push([this.out.length, m]);
    this.emit(I(0x18, d, 0, 0, 0), I(0, 0, 0, 0, 0));
    this.setReg(d, "mapptr", m);
  }

  afterCall(ret: Kind, m = 0): void {
    for (let i = 1; i <= 5; i++) this.setReg(i, "uninit");
    this.setReg(0, ret, m);
  }

  keyOff(ks: number): number {
    return -8 * this.r.range(Math.ceil(ks / 8), 64);
  }

  mapCall(depth: number): void {
    const r = this.r;
    const m = r.int(this.maps.length);
    const def = this.maps[m];
    const fn = this.profile === "linux-3.18" ? 0 : r.pick([1, 1, 1, 2, 3]);
    const ko = this.keyOff(def.keySize);
    // key: small values so lookups often hit the initial entries
    if (def.keySize === 4) this.emit(I(0x62, 10, 0, ko, r.range(0, 5)));
    else {
      this.emit(I(0x7a, 10, 0, ko, r.range(0, 5)));
      for (let o = 8; o < def.keySize; o += 8) this.emit(I(0x7a, 10, 0, ko + o, 0));
    }
    this.markStack(ko, Math.min(8, def.keySize), null);
    for (let o = 8; o < def.keySize; o += 8) this.markStack(ko + o, 8, null);
    let vo = 0;
    if (fn === 2) {
      vo = this.keyOff(def.valueSize);
      if (vo === ko) vo = ko >= -256 ? -504 + 8 * Math.ceil(def.valueSize / 8) : -8 * Math.ceil(def.valueSize / 8);
      vo = Math.max(-512, Math.min(vo, -8 * Math.ceil(def.valueSize / 8)));
      this.stackData(vo, def.valueSize);
      // the key may have been overwritten by the value when they overlap: rewrite it
      if (def.keySize === 4) this.emit(I(0x62, 10, 0, ko, r.range(0, 5)));
      else for (let o = 0; o < def.keySize; o += 8) this.emit(I(0x7a, 10, 0, ko + o, o === 0 ? r.range(0, 5) : 0));
      this.markStack(ko, Math.min(8, def.keySize), null);
      for (let o = 8; o < def.keySize; o += 8) this.markStack(ko + o, 8, null);
      this.stackPtr(3, vo);
      if (r.chance(0.8)) this.emit(I(0xb7, 4, 0, 0, r.pick([0, 0, 1, 2])));
      else this.emit(I(0xbf, 4, this.ensureScalar(), 0, 0));
      this.setReg(4, "scalar");
    }
    this.stackPtr(2, ko);
    this.ldMap(1, m);
    this.emit(I(0x85, 0, 0, 0, fn));
    if (fn === 0 || fn === 1) {
      this.afterCall("maybe_null", m);
      if (r.chance(0.3)) {
        // a copy of the maybe-NULL pointer in a callee-saved register: the NULL check marks it too
        const d = r.range(7, 9);
        this.emit(I(0xbf, d, 0, 0, 0));
        this.setReg(d, "maybe_null", m);
      }
      if (r.chance(this.badRate * 3)) {
        // no NULL check: the verifier must reject any access through r0
        this.bad = true;
        this.emit(I(0x79, 0, 0, 0, 0));
        this.setReg(0, "scalar");
        return;
      }
      this.nullChecked(depth, m);
    } else this.afterCall("scalar");
  }

  /** `if r0 == 0 goto +N; <body using r0 as a map value>` or the JNE form. */
  nullChecked(depth: number, m: number): void {
    const r = this.r;

    const ptrRegs = this.regsOf((x) => x.kind === "maybe_null" && x.n === m);
    const nullState = this.st.clone();
    for (const p of ptrRegs) nullState.regs[p] = { kind: p === 0 ? "scalar" : "other", n: 0 };
    for (const p of ptrRegs) this.st.regs[p] = { kind: p === 0 ? "mapval" : "other", n: p === 0 ? m : 0 };
    if (r.chance(0.25)) {
      // if r0 != 0 goto +2; r0 = 0; exit; <rest of the program sees r0 as a map value>
      this.emit(I(0x55, 0, 0, 2, 0), I(0xb7, 0, 0, 0, r.range(0, 3)), I(0x95, 0, 0, 0, 0));
      return;
    }
    const at = this.out.length;
    this.emit(I(0x15, 0, 0, 0, 0));
    this.block(depth + 1, r.range(1, 8), true);
    this.out[at] = I(0x15, 0, 0, this.out.length - at - 1, 0);
    this.st = this.st.join(nullState);
  }

  valueAccess(): void {
    const r = this.r;
    const vals = this.regsOf((x) => x.kind === "mapval");
    if (vals.length === 0) return this.alu();
    const p = r.pick(vals);
    const vs = this.maps[this.st.regs[p].n].valueSize;
    const [sz, w] = r.pick(SIZES.filter(([, w]) => w <= vs));
    let off = w * r.int(Math.floor(vs / w));
    if (this.badNow()) {
      off = r.pick([vs, -w, vs - w + (w > 1 ? 2 : 1)]);
      this.bad = true;
    }
    switch (r.int(4)) {
      case 0: {
        const d = this.dstReg();
        this.emit(I(0x61 | sz, d, p, off, 0));
        if (d !== p) this.setReg(d, "scalar");
        else this.setReg(d, "scalar");
        return;
      }
      case 1:
        this.emit(I(0x62 | sz, p, 0, off, r.imm()));
        return;
      case 2:
        if (w === 8 || w === 4) {
          this.emit(I(w === 8 ? 0xdb : 0xc3, p, this.ensureScalar(), off, 0));
          return;
        }
        this.emit(I(0x63 | sz, p, this.ensureScalar(), off, 0));
        return;
      default:
        this.emit(I(0x63 | sz, p, this.ensureScalar(), off, 0));
    }
  }

  ctxRead(): void {
    const ctxs = this.regsOf((x) => x.kind === "ctx");
    if (this.progType !== 0 || ctxs.length === 0) return this.alu();
    const d = this.dstReg();
    const c = this.r.pick(ctxs);
    const off = this.badNow() ? this.r.pick([4, 16, -8]) : this.r.pick([0, 8]);
    if (off !== 0 && off !== 8) this.bad = true;
    this.emit(I(0x79, d, c, off, 0));
    this.setReg(d, "scalar");
  }

  ldAbs(): void {
    if (this.progType !== 1 || this.st.regs[6].kind !== "ctx") return this.alu();
    const r = this.r;
    const sz = r.pick([0x00, 0x08, 0x10]);
    if (r.chance(0.7)) this.emit(I(0x20 | sz, 0, 0, 0, r.range(0, 80)));
    else {
      const s = this.ensureScalar();
      if (s >= 1 && s <= 5 || s === 0) {
        // the source must survive as a scalar; keep it small so it hits the packet sometimes
        this.emit(I(0x57, s, 0, 0, 63));
      }
      this.emit(I(0x40 | sz, 0, s, 0, r.range(0, 16)));
    }
    this.afterCall("scalar");
  }

  branch(depth: number): void {
    const r = this.r;
    const s = this.scalars();
    if (s.length === 0) return this.alu();
    const a = r.pick(s);
    let op = r.pick(JMP_OPS_319);
    let cls = 0x05;
    if (this.badNow()) {
      if (r.chance(0.5)) op = r.pick([0xa0, 0xb0, 0xc0, 0xd0]);
      else cls = 0x06;
    }
    const useReg = r.chance(0.4) && s.length > 1;
    const at = this.out.length;
    this.emit(I(0, 0, 0, 0, 0));
    const before = this.st.clone();
    this.block(depth + 1, r.range(1, 10), false);
    const n = this.out.length - at - 1;
    this.out[at] = useReg ? I(cls | 0x08 | op, a, r.pick(s), n, 0) : I(cls | op, a, 0, n, r.imm());
    this.st = this.st.join(before);
  }

  exitNow(): void {
    if (this.st.regs[0].kind === "uninit" || this.st.regs[0].kind === "other" || this.r.chance(0.5)) {
      this.emit(I(0xb7, 0, 0, 0, this.r.range(0, 3)));
      this.setReg(0, "scalar");
    }
    this.emit(I(0x95, 0, 0, 0, 0));
    this.st.dead = true;
  }

  /** A block of about `n` steps (a step is one construct). */
  block(depth: number, n: number, inNullCheck: boolean): void {
    const r = this.r;
    for (let i = 0; i < n && !this.st.dead; i++) {
      const x = r.int(100);
      if (x < 25) this.alu();
      else if (x < 35) this.stackStore();
      else if (x < 45) this.stackLoad();
      else if (x < 55 && depth < 4) this.mapCall(depth);
      else if (x < 65) (inNullCheck || r.chance(0.5)) ? this.valueAccess() : this.alu();
      else if (x < 70) this.ctxRead();
      else if (x < 75) this.ldAbs();
      else if (x < 85 && depth < 4) this.branch(depth);
      else if (x < 87 && depth > 0) this.exitNow();
      else if (x < 92) {
        const sp = this.regsOf((x) => x.kind === "mapval" || x.kind === "stack" || x.kind === "ctx");
        if (sp.length > 0) {
          // copy a pointer to a callee-saved register (survives calls)
          const d = r.range(7, 9);
          const s = r.pick(sp);
          this.emit(I(0xbf, d, s, 0, 0));
          this.st.regs[d] = { ...this.st.regs[s] };
        } else this.alu();
      } else if (x < 94 && this.badNow()) {
        // invalid on purpose: uninitialised read, back-edge, unknown opcode, reserved fields
        this.bad = true;
        switch (r.int(4)) {
          case 0: {
            const u = this.regsOf((x) => x.kind === "uninit");
            this.emit(I(0xbf, 0, u.length ? r.pick(u) : 2, 0, 0));
            this.setReg(0, "scalar");
            break;
          }
          case 1:
            this.emit(I(0x05, 0, 0, -1 - r.int(Math.min(this.out.length, 5)), 0));
            break;
          case 2:
            this.emit(I(r.pick([0x8f, 0xe7, 0xff, 0x3e]), r.int(10), r.int(10), 0, 0));
            break;
          default:
            this.emit(I(0xb7, r.int(10), r.int(16), r.i32() & 0x7fff, 0));
        }
      } else this.alu();
    }
  }

  finish(): void {
    if (this.st.dead) return;
    const r0 = this.st.regs[0].kind;
    if (r0 === "uninit" || r0 === "other" || r0 === "maybe_null" || this.r.chance(0.3)) {
      const s = this.scalars();
      if (s.length > 0 && this.r.chance(0.6)) this.emit(I(0xbf, 0, this.r.pick(s), 0, 0));
      else this.emit(I(0xb7, 0, 0, 0, this.r.imm()));
    }
    this.emit(I(0x95, 0, 0, 0, 0));
  }
}

/** Random map definitions for a profile (hash and array, small). */
export function randomMaps(r: Rng, profile: GenProfile): MapDef[] {
  const n = r.range(1, 3);
  const maps: MapDef[] = [];
  for (let i = 0; i < n; i++) {
    const isArray = r.chance(0.4);
    const keySize = isArray ? 4 : r.pick([4, 8, 16]);
    const valueSize = r.pick([8, 16, 24, 48]);
    const maxEntries = isArray ? r.range(1, 6) : r.range(2, 8);
    maps.push(mapDef({ type: isArray ? 2 : 1, keySize, valueSize, maxEntries, name: `m${i}` }, i));
  }
  void profile;
  return maps;
}

/**
 * Generate one program for `profile` from `r`. Programs are `unspec` (ctx
 * reads) or, for linux-3.19, `socket_filter` (LD_ABS/LD_IND) half the time.
 */
export function generateProgram(r: Rng, opts: GenOptions): GenProgram {
  const progType = opts.progType ?? (opts.profile === "linux-3.19" && r.chance(0.5) ? 1 : 0);
  const maps = randomMaps(r, opts.profile);
  const g = new Gen(r, opts.profile, progType, maps, opts.badRate ?? 0.012);
  // prologue: keep the ctx in r6 (needed by LD_ABS, handy for ctx reads after calls)
  g.emit(I(0xbf, 6, 1, 0, 0));
  g.setReg(6, "ctx");
  g.block(0, opts.size ?? r.range(4, 40), false);
  g.finish();
  return {
    prog: Program.fromInsns(g.out, { maps, fixups: g.fixups, progType }),
    intendedBad: g.bad,
    pointerAlu: g.ptrAlu,
  };
}
