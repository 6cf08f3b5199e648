/**
 * A small instruction emitter with labels, used by the 6.18-era program
 * generator: instructions are appended as raw slots, jumps and bpf-to-bpf
 * calls name a label that is resolved when the program is finished, and map
 * loads record their fixup.
 *
 * @module
 */
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_CALL,
  BPF_DW,
  BPF_EXIT,
  BPF_IMM,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MOV,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_ST,
  BPF_STX,
  BPF_X,
  type Insn,
  type MapDef,
  Program,
} from "../../core/isa/mod.ts";

/** A jump or call waiting for its label. */
interface Pending {
  at: number;
  label: string;
  call: boolean;
}

/** Appends instructions; resolves labels in {@link Emitter.finish}. */
export class Emitter {
  /** The slots so far. */
  readonly insns: Insn[] = [];
  /** `[slot, mapIndex]` of every map load. */
  readonly fixups: Array<[number, number]> = [];
  readonly #labels = new Map<string, number>();
  readonly #pending: Pending[] = [];
  #next = 0;

  /** Index of the next slot. */
  get pc(): number {
    return this.insns.length;
  }

  /** A fresh label name. */
  fresh(prefix = "L"): string {
    return `${prefix}${this.#next++}`;
  }

  /** Place `label` at the next slot. */
  label(label: string): void {
    if (this.#labels.has(label)) throw new Error(`label ${label} placed twice`);
    this.#labels.set(label, this.pc);
  }

  /** Append one raw slot; returns its index. */
  raw(code: number, dst: number, src: number, off: number, imm: number): number {
    this.insns.push({ code, dst, src, off, imm });
    return this.insns.length - 1;
  }

  /** `dst op= imm` (64-bit unless `w32`). */
  aluImm(op: number, dst: number, imm: number, w32 = false): number {
    return this.raw((w32 ? BPF_ALU : BPF_ALU64) | op | BPF_K, dst, 0, 0, imm);
  }

  /** `dst op= src` (64-bit unless `w32`). */
  aluReg(op: number, dst: number, src: number, w32 = false): number {
    return this.raw((w32 ? BPF_ALU : BPF_ALU64) | op | BPF_X, dst, src, 0, 0);
  }

  /** `dst = imm`. */
  movImm(dst: number, imm: number, w32 = false): number {
    return this.aluImm(BPF_MOV, dst, imm, w32);
  }

  /** `dst = src`. */
  movReg(dst: number, src: number, w32 = false): number {
    return this.aluReg(BPF_MOV, dst, src, w32);
  }

  /** `dst = *(size *)(src + off)`. */
  load(size: number, dst: number, src: number, off: number): number {
    return this.raw(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
  }

  /** `*(size *)(dst + off) = src`. */
  store(size: number, dst: number, off: number, src: number): number {
    return this.raw(BPF_STX | BPF_MEM | size, dst, src, off, 0);
  }

  /** `*(size *)(dst + off) = imm`. */
  storeImm(size: number, dst: number, off: number, imm: number): number {
    return this.raw(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
  }

  /** `dst = map[mapIndex]` (two slots, with a fixup); returns the first slot. */
  loadMap(dst: number, mapIndex: number): number {
    const at = this.raw(BPF_LD | BPF_IMM | BPF_DW, dst, BPF_PSEUDO_MAP_FD, 0, 0);
    this.raw(0, 0, 0, 0, 0);
    this.fixups.push([at, mapIndex]);
    return at;
  }

  /** `dst = imm64` (two slots); returns the first slot. */
  loadImm64(dst: number, value: bigint): number {
    const v = BigInt.asUintN(64, value);
    const at = this.raw(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, Number(BigInt.asIntN(32, v)));
    this.raw(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)));
    return at;
  }

  /** A helper call. */
  call(helper: number): number {
    return this.raw(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
  }

  /** A bpf-to-bpf call of the subprogram at `label`. */
  callSub(label: string): number {
    const at = this.raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);
    this.#pending.push({ at, label, call: true });
    return at;
  }

  /** `exit`. */
  exit(): number {
    return this.raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }

  /** `goto label`. */
  goto(label: string): number {
    const at = this.raw(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** `if dst op imm goto label` (JMP32 when `w32`). */
  jmpImm(op: number, dst: number, imm: number, label: string, w32 = false): number {
    const at = this.raw((w32 ? BPF_JMP32 : BPF_JMP) | op | BPF_K, dst, 0, 0, imm);
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** `if dst op src goto label` (JMP32 when `w32`). */
  jmpReg(op: number, dst: number, src: number, label: string, w32 = false): number {
    const at = this.raw((w32 ? BPF_JMP32 : BPF_JMP) | op | BPF_X, dst, src, 0, 0);
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** Resolve every label and build the program. */
  finish(maps: MapDef[], progType: number): Program {
    for (const p of this.#pending) {
      const to = this.#labels.get(p.label);
      if (to === undefined) throw new Error(`label ${p.label} never placed`);
      if (p.call) this.insns[p.at].imm = to - p.at - 1;
      else this.insns[p.at].off = to - p.at - 1;
    }
    return Program.fromInsns(this.insns, { maps, fixups: this.fixups.slice(), progType });
  }
}
