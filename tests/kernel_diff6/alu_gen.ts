/**
 * A seeded generator of Linux 6.18-era programs for the kernel comparison
 * of the linux-6.18 verifier profile, with one knob per feature:
 *
 * - `alu`: ALU64/ALU32 on scalars (every op, K and X, div/mod, shifts,
 *   neg, endianness, bswap, movsx, sdiv/smod), constants from MOV and
 *   LD_IMM64, unknown scalars from `bpf_get_prandom_u32`, masks that make
 *   ranges;
 * - `branches`: JMP and JMP32 conditional jumps (every op, K and X) to
 *   forward targets, unconditional jumps, early exits.
 *
 * Later stages add knobs for the stack, map values, packets, loops and
 * bpf-to-bpf calls. A small share of deliberately invalid constructs
 * (uninitialised reads, invalid shifts, division by constant zero, writes
 * to R10, reserved fields, unknown opcodes, jumps out of range, unreachable
 * code) exercises the rejections.
 *
 * The stage-1 programs only: the later stages use issue 12's generator
 * (`tests/gen6/gen.ts`) with knobs per feature.
 *
 * @module
 */
import { Rng } from "../fuzz/rng.ts";

/** One slot: `[code, dst, src, off, imm]`. */
export type Slot = [number, number, number, number, number];

/** A kbpf.py program spec (also readable by bpfscope's JSON format). */
export interface Spec {
  /** Instruction slots. */
  insns: Slot[];
  /** Program type name. */
  prog_type: string;
  /** Maps. */
  maps: Array<{ type: string; key_size: number; value_size: number; max_entries: number; name: string }>;
  /** `[insn, map]` fixups. */
  fixup: Array<[number, number]>;
}

/** Feature knobs. */
export interface Gen6Options {
  /** Approximate number of body instructions (default 8..48). */
  size?: number;
  /** Share of deliberately invalid constructs (default 0.02). */
  badRate?: number;
  /** Program type (default socket_filter). */
  progType?: string;
}

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

/** Edge and small values for immediates. */
function imm(r: Rng): number {
  switch (r.int(8)) {
    case 0:
      return r.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0xff, 0xffff, 0x7fff, -0x8000, 63, 64, 31, 32, 255, 256]);
    case 1:
    case 2:
    case 3:
      return r.range(-20, 20);
    case 4:
      return r.range(0, 300);
    default:
      return r.i32();
  }
}

/** Generator state: which registers are initialised on the current path. */
class Builder {
  readonly out: Slot[] = [];
  /** Pending: insn index → init sets of the jumps targeting it. */
  readonly pending = new Map<number, number[]>();
  init = 0;
  live = true; // the current position is reachable by fall-through
  constructor(readonly r: Rng, readonly bad: number) {}

  get pos(): number {
    return this.out.length;
  }

  /** Init set at the current position (join of the fall-through and the jumps to here). */
  arrive(): void {
    const p = this.pending.get(this.pos);
    if (p) {
      let s = this.live ? this.init : 0x7ff;
      for (const x of p) s &= x;
      this.init = s;
      this.live = true;
      this.pending.delete(this.pos);
    }
  }

  emit(s: Slot): void {
    this.out.push(s);
  }

  regs(): number[] {
    const out: number[] = [];
    for (let i = 0; i < 10; i++) if (this.init & (1 << i)) out.push(i);
    return out;
  }

  pickReg(): number {
    const rs = this.regs();
    if (rs.length === 0 || this.r.chance(this.bad * 0.3)) return this.r.int(10);
    return this.r.pick(rs);
  }

  dstReg(): number {
    if (this.r.chance(this.bad * 0.2)) return 10;
    return this.r.int(10);
  }
}

function aluInsn(b: Builder): void {
  const r = b.r;
  const alu64 = r.chance(0.6);
  const cls = alu64 ? 0x07 : 0x04;
  const op = r.pick(ALU_OPS);
  if (op === 0xb0) {
    // MOV
    const d = b.dstReg();
    if (r.chance(0.5) || b.regs().length === 0) {
      b.emit([cls | op, d, 0, 0, imm(r)]);
    } else {
      const s = b.pickReg();
      let off = 0;
      if (r.chance(0.15)) off = alu64 ? r.pick([8, 16, 32]) : r.pick([8, 16]);
      b.emit([cls | op | 8, d, s, off, 0]);
    }
    if (d < 10) b.init |= 1 << d;
    return;
  }
  const d = b.pickReg();
  if (op === 0x80) {
    b.emit([cls | op, d, 0, 0, 0]);
    return;
  }
  if (r.chance(0.07)) {
    // END / bswap
    if (alu64) b.emit([0xd7, d, 0, 0, r.pick([16, 32, 64])]);
    else b.emit([0xd4 | (r.chance(0.5) ? 8 : 0), d, 0, 0, r.pick([16, 32, 64])]);
    return;
  }
  const signed = (op === 0x30 || op === 0x90) && r.chance(0.25) ? 1 : 0;
  if (r.chance(0.45) && b.regs().length > 0) {
    b.emit([cls | op | 8, d, b.pickReg(), signed, 0]);
    return;
  }
  let k = imm(r);
  if ((op === 0x30 || op === 0x90) && k === 0 && !r.chance(b.bad * 5)) k = 3;
  if (op === 0x60 || op === 0x70 || op === 0xc0) {
    k = r.chance(b.bad * 2) ? r.pick([64, 65, -1, 32]) : r.int(alu64 ? 64 : 32);
  }
  b.emit([cls | op, d, 0, signed, k]);
}

function addPending(b: Builder, target: number, init: number): void {
  const p = b.pending.get(target) ?? [];
  p.push(init);
  b.pending.set(target, p);
}

function condJump(b: Builder, end: number): void {
  const r = b.r;
  const jmp32 = r.chance(0.3);
  const cls = jmp32 ? 0x06 : 0x05;
  const op = r.pick(JMP_OPS);
  const maxOff = Math.max(1, Math.min(12, end - b.pos - 1));
  let off = r.range(0, maxOff);
  if (r.chance(b.bad * 0.3)) off = r.pick([-b.pos - 2, 1000]);
  const d = b.pickReg();
  if (r.chance(0.4) && b.regs().length > 0) b.emit([cls | op | 8, d, b.pickReg(), off, 0]);
  else b.emit([cls | op, d, 0, off, imm(r)]);
  const target = b.pos + off;
  if (target > b.pos - 1 && target < 100000) {
    const p = b.pending.get(target) ?? [];
    p.push(b.init);
    b.pending.set(target, p);
  }
}

/** An ALU/branch program of `seed`. */
export function aluBranchProgram(seed: number, opts: Gen6Options = {}): Spec {
  const r = new Rng(seed);
  const bad = opts.badRate ?? 0.02;
  const b = new Builder(r, bad);
  const body = opts.size ?? r.range(8, 48);
  b.init = 0; // r1 = ctx is not a scalar: the generator leaves it alone
  // prologue: a few constants and unknowns
  const nUnknown = r.range(1, 3);
  for (let k = 0; k < nUnknown; k++) {
    b.emit([0x85, 0, 0, 0, 7]); // bpf_get_prandom_u32
    const d = r.range(6, 9);
    b.emit([0xbf, d, 0, 0, 0]);
    b.init = (b.init & ~0x3f) | (1 << d);
    if (r.chance(0.5)) b.emit([0x57, d, 0, 0, r.pick([0xff, 0xf, 0x3ff, 0xffff, 7, 0x7fffffff])]);
  }
  const nConst = r.range(1, 3);
  for (let k = 0; k < nConst; k++) {
    const d = r.range(0, 9);
    if (r.chance(0.3)) {
      b.emit([0x18, d, 0, 0, r.i32()]);
      b.emit([0, 0, 0, 0, r.chance(0.5) ? 0 : r.i32()]);
    } else b.emit([r.chance(0.7) ? 0xb7 : 0xb4, d, 0, 0, imm(r)]);
    b.init |= 1 << d;
  }
  const end = b.pos + body;
  while (b.pos < end) {
    b.arrive();
    if (!b.live) {
      // unreachable position: normally never emitted (targets keep it alive), but be safe
      b.live = true;
    }
    const x = r.int(100);
    if (x < 55) aluInsn(b);
    else if (x < 80) condJump(b, end);
    else if (x < 84) {
      b.emit([0x85, 0, 0, 0, r.pick([7, 7, 5])]);
      b.init = (b.init & ~0x3f) | 1;
    } else if (x < 89 && b.pos < end - 3) {
      // a conditional jump over an unconditional one or over an early exit
      const d = b.regs().length ? b.pickReg() : 0;
      b.emit([r.pick([0x15, 0x55, 0x25, 0xa5, 0x16, 0x56]), d, 0, 1, imm(r)]);
      addPending(b, b.pos + 1, b.init);
      if (r.chance(0.5)) {
        const off = r.range(0, Math.min(8, end - b.pos - 1));
        b.emit([0x05, 0, 0, off, 0]);
        addPending(b, b.pos + off, b.init);
      } else {
        if (!(b.init & 1) && !r.chance(bad * 3)) {
          b.emit([0xb7, 0, 0, 0, r.range(0, 2)]);
          b.init |= 1;
          b.out[b.out.length - 2][3] = 2;
          const p = b.pending.get(b.pos)!;
          const moved = p.pop()!;
          if (p.length === 0) b.pending.delete(b.pos);
          addPending(b, b.pos + 1, moved);
        }
        b.emit([0x95, 0, 0, 0, 0]);
      }
      b.live = false;
      b.init = 0x7ff;
    } else if (x < 90 && r.chance(bad * 10)) {
      badInsn(b);
    } else aluInsn(b);
  }
  // epilogue: land every pending jump, set r0, exit
  const tail = Math.max(b.pos, ...b.pending.keys());
  while (b.pos < tail) {
    b.arrive();
    aluInsn(b);
  }
  b.arrive();
  if (!(b.init & 1) || r.chance(0.5)) {
    if (!r.chance(bad * 2)) b.emit([0xb7, 0, 0, 0, r.range(0, 3)]);
  }
  b.emit([0x95, 0, 0, 0, 0]);
  return { insns: b.out, prog_type: opts.progType ?? "socket_filter", maps: [], fixup: [] };
}

function badInsn(b: Builder): void {
  const r = b.r;
  switch (r.int(8)) {
    case 0:
      b.emit([0x07, r.int(10), 0, 0, 1]); // maybe uninitialised
      break;
    case 1:
      b.emit([0x07, 10, 0, 0, 8]); // frame pointer is read only
      break;
    case 2:
      b.emit([0xbf, r.int(10), 11 + r.int(4), 0, 0]); // R11+ is invalid
      break;
    case 3:
      b.emit([0x0f, r.int(10), r.int(10), 0, 5]); // reserved field
      break;
    case 4:
      b.emit([r.pick([0xe7, 0xf7, 0xe4, 0x8f, 0xff]), r.int(10), 0, 0, 0]); // unknown opcode
      break;
    case 5:
      b.emit([0x85, 0, 0, 0, r.pick([1000, -1, 99])]); // unknown helper
      break;
    case 6:
      b.emit([0x37, r.int(10), 0, 0, 0]); // div by zero
      break;
    default:
      b.emit([0x67, r.int(10), 0, 0, 64]); // invalid shift
  }
}
