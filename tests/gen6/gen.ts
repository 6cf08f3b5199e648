/**
 * A seeded generator of Linux 6.18-era eBPF programs, accepted and rejected,
 * for comparing a verifier (or a log reader) with the running kernel.
 *
 * A program is built from blocks chosen by weight ({@link Gen6Knobs}): ALU
 * and ALU32 arithmetic (and, with `v4`, sign-extending moves, sdiv/smod,
 * bswap), JMP/JMP32 forward branches over nested blocks, stack stores,
 * spills and fills, map lookups (with a NULL check), updates and deletes,
 * helper calls, direct packet access with bounds checks (xdp, sched_cls),
 * bounded loops, and bpf-to-bpf calls into generated subprograms. The
 * generator keeps an abstract state close to the verifier's (register kinds,
 * constants, stack slots, checked packet ranges) so almost every block is
 * valid where it is placed; when a bug is asked for
 * ({@link Gen6Knobs.bugRate}) exactly one deliberate defect is placed at the
 * top level, and the program records what the kernel should say
 * ({@link Gen6Bug}): the kind, the instruction the error is reported at, the
 * offending register and the instruction that gave it the type or range the
 * error is about (the origin a backward slice should find).
 *
 * Everything is a function of the seed and the knobs.
 *
 * @module
 */
import {
  BPF_ADD,
  BPF_ALU32_IMM,
  BPF_ALU32_IMM_OFF,
  BPF_ALU32_REG_OFF,
  BPF_ALU64_IMM,
  BPF_ALU64_IMM_OFF,
  BPF_ALU64_REG_OFF,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC_OP,
  BPF_B,
  BPF_BSWAP,
  BPF_DIV,
  BPF_DW,
  BPF_ENDIAN,
  BPF_H,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LSH,
  BPF_MOD,
  BPF_MOVSX32_REG,
  BPF_MOVSX64_REG,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_XOR,
  MAP_TYPES,
  mapDef,
  PROG_TYPES,
  type Program,
} from "../../core/isa/mod.ts";
import { Rng } from "../fuzz/rng.ts";
import { Emitter } from "./emit.ts";

/** Weights and switches of the generator; every field has a default ({@link DEFAULT_KNOBS}). */
export interface Gen6Knobs {
  /** Program types to pick from (`socket_filter`, `xdp`, `sched_cls`, `cgroup_skb`). */
  progTypes: string[];
  /** Approximate number of blocks at the top level [min, max]. */
  blocks: [number, number];
  /** Weight of ALU blocks. */
  alu: number;
  /** Share of 32-bit ALU ops and JMP32 jumps (0..1). */
  alu32: number;
  /** Use ISA v4 ops (movsx, sdiv/smod, bswap). */
  v4: boolean;
  /** Weight of forward-branch blocks (`if ... goto` over nested blocks). */
  branches: number;
  /** Weight of stack blocks (stores of every size, spills and fills). */
  stack: number;
  /** Weight of map blocks (lookup with NULL check and value access, update, delete). */
  maps: number;
  /** Weight of helper calls without maps (ktime, prandom, smp id). */
  helpers: number;
  /** Weight of packet blocks (xdp and sched_cls only). */
  packet: number;
  /** Weight of bounded loops. */
  loops: number;
  /** Largest loop trip count. */
  maxTrips: number;
  /** Weight of may_goto loops (`can_loop`: bounded by may_goto only; `cond_break`: a counted loop under a may_goto guard). */
  mayGoto: number;
  /** Weight of bpf-to-bpf calls (0: no subprograms). */
  calls: number;
  /** Probability that the program carries one deliberate bug (0..1). */
  bugRate: number;
  /** Bug kinds to pick from (default: all of {@link BUG_KINDS}). */
  bugKinds: BugKind[];
}

/** The defaults: a mix of everything, one program in three with a bug. */
export const DEFAULT_KNOBS: Gen6Knobs = {
  progTypes: ["socket_filter", "xdp", "sched_cls", "cgroup_skb"],
  blocks: [3, 10],
  alu: 4,
  alu32: 0.3,
  v4: true,
  branches: 2,
  stack: 2,
  maps: 2,
  helpers: 1,
  packet: 2,
  loops: 1,
  maxTrips: 8,
  mayGoto: 0,
  calls: 1,
  bugRate: 0.35,
  bugKinds: [],
};

/** The deliberate defects the generator can place. */
export const BUG_KINDS = [
  "null_deref", // map value used without a NULL check (through copies and spills)
  "scalar_deref", // a scalar used as a pointer
  "pkt_unchecked", // packet read without a bounds check
  "pkt_short_check", // packet read past the checked length
  "pkt_end_deref", // data_end dereferenced
  "map_oob_const", // a map value pointer moved past the value, then accessed
  "map_oob_var", // a map value pointer moved by an unbounded byte, then accessed
  "clobbered_reg", // a caller-saved register read after a helper call
  "uninit_reg", // a register never written is read
  "stack_oob", // a stack pointer moved below the 512-byte frame, then written
  "ret_range", // cgroup_skb returning a value outside [0, 1]
  "helper_arg", // a scalar passed as a map key pointer
  "map_ptr_arith", // arithmetic on a map pointer
  "ctx_bad_off", // a ctx read at an offset the program type does not allow
  "infinite_loop", // a loop whose state never changes
  "div_zero", // division by the constant 0
  "bad_shift", // shift by a constant >= the width
  "sub_ret_ptr", // a subprogram returning a pointer to its own stack
] as const;

/** One of {@link BUG_KINDS}. */
export type BugKind = typeof BUG_KINDS[number];

/** The deliberate defect of a program, and what a correct explanation names. */
export interface Gen6Bug {
  /** What is wrong. */
  kind: BugKind;
  /** The instruction the kernel reports the error at. */
  insn: number;
  /** A pattern the kernel's error message matches. */
  message: string;
  /** The offending register at `insn` (`r0`..`r10`), or null when the error is not about a register. */
  reg: string | null;
  /**
   * The instruction that gave the offending register the type or range the
   * error is about; -1 when it comes from the program's entry (ctx in R1, the
   * frame pointer, a register never written); null when not applicable.
   */
  origin: number | null;
}

/** A generated program. */
export interface Gen6Program {
  /** The seed it was generated from. */
  seed: number;
  /** The program (maps, fixups, program type). */
  prog: Program;
  /** The deliberate bug, if any. */
  bug: Gen6Bug | null;
  /** Block kinds used (for coverage reports). */
  features: string[];
}

type Kind = "none" | "scalar" | "ctx" | "fp" | "pkt" | "pkt_end" | "mapval" | "mapnull" | "mapptr";

interface Reg {
  k: Kind;
  /** Known constant of a scalar. */
  c?: bigint;
  /** Offset of an fp / pkt / mapval pointer. */
  off?: number;
  /** Map index of mapval / mapnull / mapptr. */
  map?: number;
  /** Checked bytes of a pkt pointer (its `r=`). */
  range?: number;
  /** The instruction that gave the register its kind (for bug origins). */
  def?: number;
}

interface Slot {
  /** "none": never written; "misc": data bytes; "spill": a spilled register. */
  k: "none" | "misc" | "spill";
  reg?: Reg;
}

const NSLOTS = 24; // fp-8 .. fp-192 are used by blocks

class State {
  regs: Reg[] = Array.from({ length: 11 }, () => ({ k: "none" as Kind }));
  slots: Slot[] = Array.from({ length: NSLOTS + 1 }, () => ({ k: "none" as const }));
  clone(): State {
    const s = new State();
    s.regs = this.regs.map((r) => ({ ...r }));
    s.slots = this.slots.map((x) => ({ k: x.k, reg: x.reg ? { ...x.reg } : undefined }));
    return s;
  }
  /** Join with the state of another path into this one. */
  join(o: State): void {
    for (let i = 0; i < 11; i++) this.regs[i] = joinReg(this.regs[i], o.regs[i]);
    for (let i = 0; i <= NSLOTS; i++) {
      const a = this.slots[i], b = o.slots[i];
      if (a.k === "spill" && b.k === "spill") {
        const r = joinReg(a.reg!, b.reg!);
        this.slots[i] = r.k === "none" ? { k: "misc" } : { k: "spill", reg: r };
      } else if (a.k === "none" || b.k === "none") this.slots[i] = { k: a.k === b.k ? "none" : "misc" };
      else this.slots[i] = { k: "misc" };
    }
  }
}

function joinReg(a: Reg, b: Reg): Reg {
  if (a.k !== b.k) return { k: "none" };
  if (a.k === "scalar") return a.c === b.c ? a : { k: "scalar", def: a.def === b.def ? a.def : undefined };
  if (a.off !== b.off || a.map !== b.map) return { k: "none" };
  if (a.k === "pkt") return { ...a, range: Math.min(a.range ?? 0, b.range ?? 0) };
  return a;
}

/** Helper ids used. */
const H = { lookup: 1, update: 2, delete: 3, ktime: 5, prandom: 7, smpid: 8 } as const;

/** Where the packet pointers live in each program type's ctx. */
const PKT_CTX: Record<string, { data: number; end: number } | undefined> = {
  xdp: { data: 0, end: 4 },
  sched_cls: { data: 76, end: 80 },
};

/** ctx fields a program may read (u32 offsets) per program type. */
const CTX_FIELDS: Record<string, number[]> = {
  socket_filter: [0, 4, 8, 16],
  sched_cls: [0, 4, 8, 16],
  cgroup_skb: [0, 4, 8, 16],
  xdp: [12, 16],
};

/** An offset no program type of the generator may read. */
const BAD_CTX_OFF: Record<string, number> = { socket_filter: 1000, sched_cls: 1000, cgroup_skb: 1000, xdp: 60 };

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH];
const JMP_OPS = [
  BPF_JEQ,
  BPF_JNE,
  BPF_JGT,
  BPF_JGE,
  BPF_JLT,
  BPF_JLE,
  BPF_JSGT,
  BPF_JSGE,
  BPF_JSLT,
  BPF_JSLE,
  BPF_JSET,
];

class Gen {
  readonly r: Rng;
  readonly k: Gen6Knobs;
  readonly e = new Emitter();
  readonly progType: string;
  readonly maps: Array<{ name: string; type: number; ks: number; vs: number }> = [];
  readonly features = new Set<string>();
  st = new State();
  bug: Gen6Bug | null = null;
  subLabel: string | null = null;
  depth = 0;

  constructor(seed: number, knobs: Gen6Knobs) {
    this.r = new Rng(seed);
    this.k = knobs;
    this.progType = this.r.pick(knobs.progTypes);
    const nmaps = this.r.range(1, 2);
    for (let i = 0; i < nmaps; i++) {
      // map 0 is a hash map: an array lookup with a constant in-range key is known to be non-NULL
      const array = i > 0 && this.r.chance(0.6);
      this.maps.push({
        name: `m${i}`,
        type: array ? MAP_TYPES.array : MAP_TYPES.hash,
        ks: array ? 4 : this.r.pick([4, 8]),
        vs: this.r.pick([8, 16, 24, 48]),
      });
    }
  }

  // ---- register choice ----

  regsOf(k: Kind, from = 0, to = 9): number[] {
    const out: number[] = [];
    for (let i = from; i <= to; i++) if (this.st.regs[i].k === k) out.push(i);
    return out;
  }
  scalarReg(): number | null {
    const xs = this.regsOf("scalar");
    return xs.length ? this.r.pick(xs) : null;
  }
  /** A register to write a scalar into (never r6, which holds ctx when it is saved). */
  dstReg(): number {
    return this.r.pick(this.writable([0, 1, 2, 3, 4, 5, 7, 8, 9]));
  }
  /** The registers of `xs` that do not hold ctx (or a loop counter, hidden as ctx). */
  writable(xs: number[]): number[] {
    return xs.filter((i) => this.st.regs[i].k !== "ctx");
  }
  set(reg: number, v: Reg): void {
    this.st.regs[reg] = v;
  }
  clobberCallerSaved(): void {
    for (let i = 1; i <= 5; i++) this.st.regs[i] = { k: "none" };
  }
  /** A scalar register, made by `r = imm` when there is none. */
  needScalar(): number {
    const s = this.scalarReg();
    if (s !== null) return s;
    const d = this.dstReg();
    const c = this.r.range(-20, 300);
    const at = this.e.movImm(d, c);
    this.set(d, { k: "scalar", c: BigInt(c), def: at });
    return d;
  }
  /** A register holding ctx (r6, saved from r1 when it still holds it), or null once it is lost. */
  ctxReg(): number | null {
    if (this.st.regs[6].k === "ctx") return 6;
    if (this.st.regs[1].k === "ctx") {
      this.e.movReg(6, 1);
      this.set(6, { k: "ctx" });
      return 6;
    }
    return null;
  }

  // ---- blocks ----

  block(): void {
    const k = this.k;
    const pkt = PKT_CTX[this.progType] !== undefined;
    const w: Array<[number, () => void]> = [
      [k.alu, () => this.alu()],
      [this.depth < 2 ? k.branches : 0, () => this.branch()],
      [k.stack, () => this.stack()],
      [k.maps, () => this.map()],
      [k.helpers, () => this.helper()],
      [pkt ? k.packet : 0, () => this.packet()],
      [this.depth === 0 ? k.loops : 0, () => this.loop()],
      [k.calls && this.subLabel ? k.calls : 0, () => this.callSub()],
      [this.depth === 0 ? k.mayGoto : 0, () => this.mayGotoLoop()],
      [1, () => this.ctxRead()],
    ];
    const total = w.reduce((a, [x]) => a + x, 0);
    let p = this.r.u32() / 4294967296 * total;
    for (const [x, f] of w) {
      if ((p -= x) < 0) return f();
    }
    w[0][1]();
  }

  alu(n = this.r.range(1, 5)): void {
    this.features.add("alu");
    for (let i = 0; i < n; i++) {
      const w32 = this.r.chance(this.k.alu32);
      if (w32) this.features.add("alu32");
      const src = this.scalarReg();
      const roll = this.r.int(10);
      if (src === null || roll === 0) {
        const d = this.dstReg();
        const c = this.r.chance(0.7) ? this.r.range(-64, 1000) : this.r.i32();
        const at = this.e.movImm(d, c, w32);
        const v = w32 ? BigInt(c >>> 0) : BigInt(c);
        this.set(d, { k: "scalar", c: v, def: at });
        continue;
      }
      if (roll === 1 && this.k.v4) {
        // v4: movsx, bswap
        this.features.add("v4");
        const d = this.dstReg();
        if (this.r.chance(0.5)) {
          const off = this.r.pick([8, 16]);
          const at = this.e.emit(w32 ? BPF_MOVSX32_REG(d, src, off) : BPF_MOVSX64_REG(d, src, off));
          this.set(d, { k: "scalar", def: at });
        } else {
          this.e.movReg(d, src);
          const at = this.e.emit(BPF_BSWAP(d, this.r.pick([16, 32, 64])));
          this.set(d, { k: "scalar", def: at });
        }
        continue;
      }
      if (roll === 2) {
        const d = src;
        const at = this.r.chance(0.5)
          ? this.e.emit(w32 ? BPF_ALU32_IMM(BPF_NEG, d, 0) : BPF_ALU64_IMM(BPF_NEG, d, 0))
          : this.e.emit(BPF_ENDIAN(this.r.chance(0.5) ? BPF_TO_BE : BPF_TO_LE, d, this.r.pick([16, 32, 64])));
        this.set(d, { k: "scalar", def: at });
        continue;
      }
      const d = this.r.chance(0.6) ? src : this.dstReg();
      if (this.st.regs[d].k !== "scalar") {
        const at = this.e.movReg(d, src, w32);
        this.set(d, { k: "scalar", c: w32 ? undefined : this.st.regs[src].c, def: at });
        continue;
      }
      const op = this.r.pick(ALU_OPS);
      const sdiv = this.k.v4 && (op === BPF_DIV || op === BPF_MOD) && this.r.chance(0.3) ? 1 : 0;
      let at: number;
      if (this.r.chance(0.5)) {
        let imm = this.r.chance(0.8) ? this.r.range(1, 255) : this.r.i32() | 1;
        if (op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) imm = this.r.int(w32 ? 32 : 64);
        at = this.e.emit(w32 ? BPF_ALU32_IMM_OFF(op, d, imm, sdiv) : BPF_ALU64_IMM_OFF(op, d, imm, sdiv));
      } else {
        const s = this.r.pick(this.regsOf("scalar"));
        at = this.e.emit(w32 ? BPF_ALU32_REG_OFF(op, d, s, sdiv) : BPF_ALU64_REG_OFF(op, d, s, sdiv));
      }
      this.set(d, { k: "scalar", def: at });
    }
  }

  /** `if cond goto skip; <blocks>; skip:` with the two paths joined. */
  branch(): void {
    this.features.add("branch");
    const s = this.needScalar();
    const w32 = this.r.chance(this.k.alu32);
    if (w32) this.features.add("jmp32");
    const skip = this.e.fresh();
    const op = this.r.pick(JMP_OPS);
    const other = this.scalarReg();
    if (other !== null && this.r.chance(0.3)) this.e.jmpReg(op, s, other, skip, w32);
    else this.e.jmpImm(op, s, this.r.range(-5, 300), skip, w32);
    const before = this.st.clone();
    this.depth++;
    const n = this.r.range(1, 2);
    for (let i = 0; i < n; i++) this.block();
    this.depth--;
    this.e.label(skip);
    this.st.join(before);
  }

  slotOff(i: number): number {
    return -8 * i;
  }

  stack(): void {
    this.features.add("stack");
    const i = this.r.range(1, NSLOTS);
    const off = this.slotOff(i);
    const roll = this.r.int(4);
    if (roll === 0) {
      // data store of some size (possibly an immediate)
      const size = this.r.pick([BPF_B, BPF_H, BPF_W, BPF_DW]);
      const bytes = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4, [BPF_DW]: 8 }[size]!;
      const sub = this.r.int(8 / bytes) * bytes;
      const s = this.scalarReg();
      if (s === null || this.r.chance(0.4)) this.e.storeImm(size, 10, off + sub, this.r.range(-100, 100));
      else this.e.store(size, 10, off + sub, s);
      if (this.st.slots[i].k !== "spill" || size !== BPF_DW) this.st.slots[i] = { k: "misc" };
      if (size === BPF_DW) this.st.slots[i] = { k: "misc" };
      return;
    }
    if (roll === 1) {
      // spill a register (scalar or pointer) to a slot
      const cands = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => this.st.regs[r].k !== "none");
      if (!cands.length) return this.alu(1);
      const s = this.r.pick(cands);
      this.e.store(BPF_DW, 10, off, s);
      this.st.slots[i] = { k: "spill", reg: { ...this.st.regs[s] } };
      return;
    }
    // fill from a written slot
    const written = [];
    for (let j = 1; j <= NSLOTS; j++) if (this.st.slots[j].k !== "none") written.push(j);
    if (!written.length) return this.alu(1);
    const j = this.r.pick(written);
    const d = this.dstReg();
    const slot = this.st.slots[j];
    if (slot.k === "spill") {
      this.e.load(BPF_DW, d, 10, this.slotOff(j));
      this.set(d, { ...slot.reg! });
    } else {
      const size = this.r.pick([BPF_B, BPF_H, BPF_W, BPF_DW]);
      const at = this.e.load(size, d, 10, this.slotOff(j));
      this.set(d, { k: "scalar", def: at });
    }
  }

  /** Key at fp-off, r2 = pointer to it, r1 = map. Returns the map index. */
  mapArgs(map?: number): number {
    const m = map ?? this.r.int(this.maps.length);
    const ks = this.maps[m].ks;
    const i = this.r.range(1, NSLOTS);
    const off = this.slotOff(i);
    if (ks === 8) this.e.storeImm(BPF_DW, 10, off, this.r.range(0, 7));
    else this.e.storeImm(BPF_W, 10, off, this.r.range(0, 3));
    this.st.slots[i] = { k: "misc" };
    this.e.movReg(2, 10);
    this.e.aluImm(BPF_ADD, 2, off);
    this.e.loadMap(1, m);
    return m;
  }

  /** A lookup; R0 is map_value_or_null afterwards. Returns [map, call insn]. */
  lookup(map?: number): [number, number] {
    const m = this.mapArgs(map);
    const at = this.e.call(H.lookup);
    this.clobberCallerSaved();
    this.set(0, { k: "mapnull", map: m, off: 0, def: at });
    return [m, at];
  }

  map(): void {
    this.features.add("map");
    const roll = this.r.int(6);
    if (roll === 0) {
      // update with a value on the stack
      const m = this.mapArgs();
      const vs = this.maps[m].vs;
      const base = this.r.range(Math.ceil(vs / 8) + 1, NSLOTS);
      for (let b = 0; b < vs; b += 8) {
        this.e.storeImm(BPF_DW, 10, this.slotOff(base) + b, this.r.range(0, 9));
        this.st.slots[base - b / 8] = { k: "misc" };
      }
      this.e.movReg(3, 10);
      this.e.aluImm(BPF_ADD, 3, this.slotOff(base));
      this.e.movImm(4, 0);
      this.e.call(H.update);
      this.clobberCallerSaved();
      this.set(0, { k: "scalar" });
      return;
    }
    if (roll === 1) {
      this.mapArgs();
      this.e.call(H.delete);
      this.clobberCallerSaved();
      this.set(0, { k: "scalar" });
      return;
    }
    const [m] = this.lookup();
    const vs = this.maps[m].vs;
    const out = this.e.fresh();
    let vreg = 0;
    if (this.r.chance(0.3)) {
      const ws = this.writable([7, 8, 9]);
      vreg = ws.length ? this.r.pick(ws) : 0;
      this.e.movReg(vreg, 0);
      this.set(vreg, { ...this.st.regs[0] });
    }
    const before = this.st.clone();
    if (this.r.chance(0.5)) this.e.jmpImm(BPF_JEQ, vreg, 0, out);
    else {
      const use = this.e.fresh();
      this.e.jmpImm(BPF_JNE, vreg, 0, use);
      this.e.goto(out);
      this.e.label(use);
    }
    for (const r of [0, vreg]) if (this.st.regs[r].k === "mapnull") this.st.regs[r].k = "mapval";
    const n = this.r.range(1, 3);
    for (let i = 0; i < n; i++) {
      const size = this.r.pick([BPF_B, BPF_H, BPF_W, BPF_DW]);
      const bytes = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4, [BPF_DW]: 8 }[size]!;
      const off = this.r.int(vs / bytes) * bytes;
      const what = this.r.int(3);
      if (what === 0) {
        const d = this.r.pick([1, 2, 3, 4, 5]);
        const at = this.e.load(size, d, vreg, off);
        this.set(d, { k: "scalar", def: at });
      } else if (what === 1) {
        const s = this.scalarReg();
        if (s !== null && s !== vreg) this.e.store(size, vreg, off, s);
        else this.e.storeImm(size, vreg, off, this.r.range(0, 1000));
      } else if (bytes >= 4) {
        let s = this.scalarReg();
        if (s === null || s === vreg) {
          s = this.r.range(1, 5);
          this.e.movImm(s, this.r.range(1, 9));
          this.set(s, { k: "scalar" });
        }
        this.features.add("atomic");
        this.e.emit(BPF_ATOMIC_OP(bytes === 8 ? BPF_DW : BPF_W, BPF_ADD, vreg, s, off));
      }
    }
    this.e.label(out);
    this.st.join(before);
    for (const r of [0, vreg]) if (this.st.regs[r].k !== "scalar") this.st.regs[r] = { k: "none" };
  }

  helper(): void {
    this.features.add("helper");
    const h = this.r.pick([H.ktime, H.prandom, H.smpid]);
    const at = this.e.call(h);
    this.clobberCallerSaved();
    this.set(0, { k: "scalar", def: at });
    const free = [7, 8, 9].filter((x) => this.st.regs[x].k !== "ctx");
    if (free.length && this.r.chance(0.5)) {
      const d = this.r.pick(free);
      this.e.movReg(d, 0);
      this.set(d, { k: "scalar", def: at });
    }
  }

  ctxRead(): void {
    this.features.add("ctx");
    const c = this.ctxReg();
    if (c === null) return this.alu();
    const d = this.r.pick(this.writable([0, 2, 3, 4, 5, 7, 8, 9]));
    const at = this.e.load(BPF_W, d, c, this.r.pick(CTX_FIELDS[this.progType]));
    this.set(d, { k: "scalar", def: at });
  }

  /** data in r7, data_end in r8 (loaded when missing). */
  pktRegs(): [number, number] | null {
    const pc = PKT_CTX[this.progType]!;
    const c = this.ctxReg();
    if (c === null) return null;
    if (this.st.regs[7].k !== "pkt") {
      const at = this.e.load(BPF_W, 7, c, pc.data);
      this.set(7, { k: "pkt", off: 0, range: 0, def: at });
    }
    if (this.st.regs[8].k !== "pkt_end") {
      const at = this.e.load(BPF_W, 8, c, pc.end);
      this.set(8, { k: "pkt_end", def: at });
    }
    return [7, 8];
  }

  packet(): void {
    this.features.add("packet");
    const regs = this.pktRegs();
    if (!regs) return this.alu();
    const [data, end] = regs;
    const n = this.r.pick([1, 2, 4, 8, 14, 20, 34]);
    const skip = this.e.fresh();
    this.e.movReg(4, data);
    this.e.aluImm(BPF_ADD, 4, n);
    if (this.r.chance(0.5)) this.e.jmpReg(BPF_JGT, 4, end, skip);
    else this.e.jmpReg(BPF_JLT, end, 4, skip);
    const before = this.st.clone();
    this.st.regs[data].range = Math.max(this.st.regs[data].range ?? 0, n);
    this.set(4, { k: "pkt", off: n, range: n });
    const loads = this.r.range(1, 3);
    for (let i = 0; i < loads; i++) {
      const size = this.r.pick([BPF_B, BPF_H, BPF_W].filter((s) => ({ [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4 })[s]! <= n));
      const bytes = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4 }[size]!;
      const off = this.r.int(n - bytes + 1);
      const d = this.r.pick([0, 1, 2, 3, 5]);
      const at = this.e.load(size, d, data, off);
      this.set(d, { k: "scalar", def: at });
    }
    if (this.r.chance(0.3)) this.alu(2);
    this.e.label(skip);
    this.st.join(before);
  }

  loop(): void {
    this.features.add("loop");
    const c = this.r.pick([7, 8, 9].filter((x) => this.st.regs[x].k === "none" || this.st.regs[x].k === "scalar"));
    if (c === undefined) return this.alu();
    const trips = this.r.range(2, this.k.maxTrips);
    const w32 = this.r.chance(this.k.alu32);
    const head = this.e.fresh();
    this.e.movImm(c, 0);
    this.set(c, { k: "scalar" });
    this.e.label(head);
    // the body must not write the counter
    const saved = this.st.regs[c];
    this.st.regs[c] = { k: "ctx" }; // hide it from the ALU picks
    const body = this.r.int(3);
    if (body === 2) this.helper();
    const acc = this.r.pick([0, 2, 3]);
    if (body === 0 || this.st.regs[acc].k !== "scalar") {
      this.e.movImm(acc, 1);
      this.set(acc, { k: "scalar" });
    }
    this.e.aluReg(BPF_ADD, acc, c);
    this.st.regs[c] = saved;
    this.e.aluImm(BPF_ADD, c, 1, w32);
    this.e.jmpImm(this.r.pick([BPF_JLT, BPF_JNE]), c, trips, head, w32);
    this.set(c, { k: "scalar" });
    this.set(acc, { k: "scalar" });
  }

  /**
   * A may_goto loop: `c = 0; head: may_goto out; body; c += 1;` then
   * `goto head` (can_loop: the budget alone ends it, the verifier converges
   * through may_goto_depth and widening) or `if c < trips goto head`
   * (cond_break); the body adds the counter into an accumulator, after ALU
   * ops or a helper call, sometimes spilling it.
   */
  mayGotoLoop(): void {
    this.features.add("may_goto");
    const c = this.r.pick([7, 8, 9].filter((x) => this.st.regs[x].k === "none" || this.st.regs[x].k === "scalar"));
    if (c === undefined) return this.alu();
    const endless = this.r.chance(0.5);
    const trips = this.r.range(2, this.k.maxTrips * 4);
    const head = this.e.fresh(), out = this.e.fresh();
    this.e.movImm(c, 0);
    this.set(c, { k: "scalar" });
    const acc = this.r.pick([0, 2, 3].filter((x) => x !== c));
    if (this.st.regs[acc].k !== "scalar") {
      this.e.movImm(acc, 1);
      this.set(acc, { k: "scalar" });
    }
    this.e.label(head);
    this.e.mayGoto(out);
    // the state when may_goto jumps at once: joined with the body's at the exit
    const entry = this.st.clone();
    const saved = this.st.regs[c], savedAcc = this.st.regs[acc];
    this.st.regs[c] = this.st.regs[acc] = { k: "ctx" }; // hide them from the ALU picks
    const body = this.r.int(3);
    if (body === 1) this.alu(this.r.range(1, 2));
    else if (body === 2) this.helper();
    this.st.regs[acc] = savedAcc;
    if (body === 2) { // the helper call clobbered r0..r5
      this.e.movImm(acc, 1);
    }
    this.e.aluReg(BPF_ADD, acc, c);
    if (this.r.chance(0.3)) {
      const i = this.r.range(1, NSLOTS);
      this.e.store(BPF_DW, 10, this.slotOff(i), acc);
      this.st.slots[i] = { k: "misc" };
    }
    this.st.regs[c] = saved;
    this.e.aluImm(BPF_ADD, c, 1);
    if (endless) this.e.goto(head);
    else this.e.jmpImm(BPF_JLT, c, trips, head);
    this.e.label(out);
    this.st.join(entry);
    this.set(c, { k: "scalar" });
    this.set(acc, { k: "scalar" });
  }

  callSub(): void {
    this.features.add("call");
    const a = this.needScalar();
    if (a !== 1) this.e.movReg(1, a);
    this.set(1, { k: "scalar" });
    const i = this.r.range(1, NSLOTS);
    this.e.storeImm(BPF_DW, 10, this.slotOff(i), 7);
    this.st.slots[i] = { k: "misc" };
    this.e.movReg(2, 10);
    this.e.aluImm(BPF_ADD, 2, this.slotOff(i));
    const at = this.e.callSub(this.subLabel!);
    this.clobberCallerSaved();
    this.set(0, { k: "scalar", def: at });
  }

  /** The subprogram: r1 scalar, r2 pointer to 8 bytes of the caller's stack. */
  subprogram(bugRet: boolean): number | null {
    this.e.label(this.subLabel!);
    const saved = this.st;
    this.st = new State();
    this.set(1, { k: "scalar" });
    this.set(2, { k: "fp", off: 0 });
    this.e.load(BPF_DW, 3, 2, 0);
    this.set(3, { k: "scalar" });
    this.alu(this.r.range(1, 4));
    let origin: number | null = null;
    if (bugRet) {
      origin = this.e.movReg(0, 10);
      if (this.r.chance(0.5)) this.e.aluImm(BPF_ADD, 0, -8);
    } else {
      const s = this.needScalar();
      if (s !== 0) this.e.movReg(0, s);
    }
    this.e.exit();
    this.st = saved;
    return origin;
  }

  // ---- bugs ----

  setBug(kind: BugKind, insn: number, message: string, reg: string | null, origin: number | null): void {
    this.bug = { kind, insn, message, reg, origin };
    this.features.add(`bug:${kind}`);
  }

  /** Move the value of `reg` through a copy or a spill/fill `hops` times; returns the register holding it. */
  carry(reg: number, hops: number): number {
    let cur = reg;
    for (let h = 0; h < hops; h++) {
      const to = this.r.pick([6, 7, 8, 9].filter((x) => x !== cur && this.st.regs[x].k !== "ctx"));
      if (this.r.chance(0.5)) {
        this.e.movReg(to, cur);
      } else {
        const i = this.r.range(1, NSLOTS);
        this.e.store(BPF_DW, 10, this.slotOff(i), cur);
        this.st.slots[i] = { k: "spill", reg: { ...this.st.regs[cur] } };
        if (this.r.chance(0.5)) this.alu(1);
        this.e.load(BPF_DW, to, 10, this.slotOff(i));
      }
      this.set(to, { ...this.st.regs[cur] });
      cur = to;
    }
    return cur;
  }

  placeBug(kind: BugKind): void {
    const e = this.e;
    const hops = this.r.int(3);
    switch (kind) {
      case "null_deref": {
        const [m, call] = this.lookup(0);
        const r = this.carry(0, hops);
        const off = this.r.int(this.maps[m].vs / 8) * 8;
        const at = this.r.chance(0.5) ? e.load(BPF_DW, 3, r, off) : e.storeImm(BPF_DW, r, off, 1);
        this.setBug(kind, at, `R${r} invalid mem access 'map_value_or_null'`, `r${r}`, call);
        return;
      }
      case "scalar_deref": {
        const d = this.r.pick([2, 3, 4, 5]);
        const c = this.ctxReg();
        const def = c === null || this.r.chance(0.5)
          ? e.movImm(d, this.r.range(1, 4096))
          : e.load(BPF_W, d, c, this.r.pick(CTX_FIELDS[this.progType]));
        this.set(d, { k: "scalar", def });
        const r = this.carry(d, hops);
        const at = e.load(BPF_W, 0, r, 0);
        this.setBug(kind, at, `R${r} invalid mem access 'scalar'`, `r${r}`, def);
        return;
      }
      case "pkt_unchecked":
      case "pkt_short_check":
      case "pkt_end_deref": {
        const c = this.ctxReg();
        if (!PKT_CTX[this.progType] || c === null) return this.placeBug("scalar_deref");
        const pc = PKT_CTX[this.progType]!;
        const dataAt = e.load(BPF_W, 2, c, pc.data);
        const endAt = e.load(BPF_W, 3, c, pc.end);
        this.set(2, { k: "pkt", off: 0, range: 0, def: dataAt });
        this.set(3, { k: "pkt_end", def: endAt });
        if (kind === "pkt_end_deref") {
          const r = this.carry(3, hops);
          const at = e.load(BPF_B, 0, r, 0);
          this.setBug(kind, at, `R${r} invalid mem access 'pkt_end'`, `r${r}`, endAt);
          return;
        }
        if (kind === "pkt_unchecked") {
          const r = this.carry(2, hops);
          const at = e.load(BPF_B, 0, r, this.r.int(8));
          this.setBug(kind, at, `invalid access to packet`, `r${r}`, dataAt);
          return;
        }
        const n = this.r.pick([2, 4, 8, 14]);
        const out = e.fresh();
        e.movReg(4, 2);
        e.aluImm(BPF_ADD, 4, n);
        const check = e.jmpReg(BPF_JGT, 4, 3, out);
        const at = e.load(BPF_W, 0, 2, n - 2);
        e.label(out);
        this.set(0, { k: "none" });
        this.setBug(kind, at, `invalid access to packet`, "r2", check);
        return;
      }
      case "map_oob_const":
      case "map_oob_var": {
        const [m] = this.lookup();
        const out = e.fresh();
        e.jmpImm(BPF_JEQ, 0, 0, out);
        const vs = this.maps[m].vs;
        let origin: number;
        let at: number;
        if (kind === "map_oob_const") {
          origin = e.aluImm(BPF_ADD, 0, vs);
          const r = this.carry(0, hops);
          at = e.load(BPF_W, 1, r, 0);
          this.setBug(kind, at, `invalid access to map value`, `r${r}`, origin);
        } else {
          e.load(BPF_B, 1, 0, 0);
          origin = e.aluReg(BPF_ADD, 0, 1);
          const r = this.carry(0, hops);
          at = e.load(BPF_DW, 1, r, 0);
          this.setBug(kind, at, `invalid access to map value`, `r${r}`, origin);
        }
        e.label(out);
        this.set(0, { k: "none" });
        return;
      }
      case "clobbered_reg": {
        const d = this.r.pick([1, 2, 3, 4, 5]);
        e.movImm(d, 3);
        const call = e.call(this.r.pick([H.ktime, H.prandom]));
        this.clobberCallerSaved();
        const at = e.movReg(0, d);
        this.setBug(kind, at, `R${d} !read_ok`, `r${d}`, call);
        return;
      }
      case "uninit_reg": {
        // a callee-saved register nothing wrote
        const free = [6, 7, 8, 9].filter((x) => this.st.regs[x].k === "none");
        if (!free.length) return this.placeBug("clobbered_reg");
        const d = this.r.pick(free);
        const at = e.movReg(0, d);
        this.setBug(kind, at, `R${d} !read_ok`, `r${d}`, -1);
        return;
      }
      case "stack_oob": {
        e.movReg(2, 10);
        const origin = e.aluImm(BPF_ADD, 2, -8 * this.r.range(65, 75));
        const r = this.carry(2, Math.min(hops, 1));
        const at = e.storeImm(BPF_DW, r, 0, 0);
        this.setBug(kind, at, `invalid write to stack`, `r${r}`, origin);
        return;
      }
      case "ret_range":
        return; // placed by the epilogue
      case "helper_arg": {
        const m = this.r.int(this.maps.length);
        const origin = e.movImm(2, this.r.range(0, 64));
        e.loadMap(1, m);
        const at = e.call(H.lookup);
        this.clobberCallerSaved();
        this.set(0, { k: "scalar" });
        this.setBug(kind, at, `R2 type=scalar expected=`, "r2", origin);
        return;
      }
      case "map_ptr_arith": {
        const origin = e.loadMap(1, 0);
        const at = e.aluImm(BPF_ADD, 1, 8);
        this.set(1, { k: "none" });
        this.setBug(kind, at, `R1 pointer arithmetic on map_ptr prohibited`, "r1", origin);
        return;
      }
      case "ctx_bad_off": {
        const c = this.ctxReg();
        if (c === null) return this.placeBug("div_zero");
        const at = e.load(BPF_W, 0, c, BAD_CTX_OFF[this.progType]);
        // the access is the cause: the context pointer is the one the program got
        this.setBug(kind, at, `invalid bpf_context access`, `r${c}`, at);
        return;
      }
      case "infinite_loop": {
        const head = e.fresh();
        e.movImm(3, 0);
        e.label(head);
        const at = e.jmpImm(BPF_JLT, 3, 10, head);
        this.setBug(kind, at, `infinite loop detected at insn ${at}`, null, null);
        return;
      }
      case "div_zero": {
        const s = this.needScalar();
        const at = e.aluImm(this.r.pick([BPF_DIV, BPF_MOD]), s, 0, this.r.chance(0.5));
        this.setBug(kind, at, `div by zero`, null, null);
        return;
      }
      case "bad_shift": {
        const s = this.needScalar();
        const w32 = this.r.chance(0.5);
        const at = e.aluImm(this.r.pick([BPF_LSH, BPF_RSH, BPF_ARSH]), s, w32 ? this.r.range(32, 63) : 64, w32);
        this.setBug(kind, at, `invalid shift`, null, null);
        return;
      }
      case "sub_ret_ptr":
        return; // placed with the subprogram
    }
  }

  generate(): Gen6Program {
    const k = this.k;
    this.set(1, { k: "ctx" });
    this.set(10, { k: "fp", off: 0 });
    const kinds = k.bugKinds.length ? k.bugKinds : [...BUG_KINDS];
    let bugKind: BugKind | null = this.r.chance(k.bugRate) ? this.r.pick(kinds) : null;
    if (bugKind === "ret_range" && this.progType !== "cgroup_skb") bugKind = "scalar_deref";
    if (bugKind?.startsWith("pkt_") && !PKT_CTX[this.progType]) bugKind = "null_deref";
    const useSub = k.calls > 0 && (this.r.chance(0.4) || bugKind === "sub_ret_ptr");
    if (useSub) this.subLabel = "sub";
    if (this.r.chance(0.8)) this.ctxReg();
    const nblocks = this.r.range(k.blocks[0], k.blocks[1]);
    const bugAt = bugKind ? this.r.int(nblocks + 1) : -1;
    for (let b = 0; b <= nblocks; b++) {
      if (b === bugAt && bugKind) this.placeBug(bugKind);
      if (b < nblocks) this.block();
    }
    if (this.subLabel && (bugKind === "sub_ret_ptr" || !this.features.has("call"))) this.callSub();
    // epilogue
    if (bugKind === "ret_range") {
      const d = this.r.pick([0, 7, 8]);
      const origin = this.e.movImm(d, this.r.range(2, 9));
      this.set(d, { k: "scalar" });
      if (d !== 0) this.e.movReg(0, d);
      const at = this.e.exit();
      this.setBug("ret_range", at, `At program exit the register R0 has`, "r0", origin);
    } else {
      const s = this.scalarReg();
      if (this.progType === "cgroup_skb" || s === null || this.r.chance(0.3)) this.e.movImm(0, this.r.range(0, 1));
      else if (s !== 0) this.e.movReg(0, s);
      this.e.exit();
    }
    if (this.subLabel) {
      const origin = this.subprogram(bugKind === "sub_ret_ptr");
      if (bugKind === "sub_ret_ptr") {
        this.setBug("sub_ret_ptr", this.e.pc - 1, `cannot return stack pointer to the caller`, "r0", origin);
      }
    }
    const maps = this.maps.map((m, i) =>
      mapDef({ name: m.name, type: m.type, keySize: m.ks, valueSize: m.vs, maxEntries: 16 }, i)
    );
    const prog = this.e.finish(maps, PROG_TYPES[this.progType]);
    return { seed: 0, prog, bug: this.bug, features: [...this.features].sort() };
  }
}

/**
 * Generate one program from a seed.
 * @param seed any 32-bit number; the same seed and knobs give the same program
 * @param knobs overrides of {@link DEFAULT_KNOBS}
 */
export function generate6(seed: number, knobs: Partial<Gen6Knobs> = {}): Gen6Program {
  const g = new Gen(seed, { ...DEFAULT_KNOBS, ...knobs });
  const out = g.generate();
  out.seed = seed;
  return out;
}
