/**
 * A small instruction emitter with labels, used by the 6.18-era program
 * generator: instructions are appended as raw slots, jumps and bpf-to-bpf
 * calls name a label that is resolved when the program is finished, and map
 * loads record their fixup.
 *
 * @module
 */
import {
  BPF_ALU32_IMM,
  BPF_ALU32_REG,
  BPF_ALU64_IMM,
  BPF_ALU64_REG,
  BPF_CALL_REL,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JMP32_IMM,
  BPF_JMP32_REG,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_JMP_REG,
  BPF_LD_IMM64,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_MOV,
  BPF_ST_MEM,
  BPF_STX_MEM,
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

  /** Append instructions (the core/isa builders' `BPF_*` slots); returns the index of the first. */
  emit(...slots: Insn[]): number {
    const at = this.insns.length;
    this.insns.push(...slots);
    return at;
  }

  /** `dst op= imm` (64-bit unless `w32`). */
  aluImm(op: number, dst: number, imm: number, w32 = false): number {
    return this.emit(w32 ? BPF_ALU32_IMM(op, dst, imm) : BPF_ALU64_IMM(op, dst, imm));
  }

  /** `dst op= src` (64-bit unless `w32`). */
  aluReg(op: number, dst: number, src: number, w32 = false): number {
    return this.emit(w32 ? BPF_ALU32_REG(op, dst, src) : BPF_ALU64_REG(op, dst, src));
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
    return this.emit(BPF_LDX_MEM(size, dst, src, off));
  }

  /** `*(size *)(dst + off) = src`. */
  store(size: number, dst: number, off: number, src: number): number {
    return this.emit(BPF_STX_MEM(size, dst, src, off));
  }

  /** `*(size *)(dst + off) = imm`. */
  storeImm(size: number, dst: number, off: number, imm: number): number {
    return this.emit(BPF_ST_MEM(size, dst, off, imm));
  }

  /** `dst = map[mapIndex]` (two slots, with a fixup); returns the first slot. */
  loadMap(dst: number, mapIndex: number): number {
    const at = this.emit(...BPF_LD_MAP_FD(dst, 0));
    this.fixups.push([at, mapIndex]);
    return at;
  }

  /** `dst = imm64` (two slots); returns the first slot. */
  loadImm64(dst: number, value: bigint): number {
    return this.emit(...BPF_LD_IMM64(dst, value));
  }

  /** A helper call. */
  call(helper: number): number {
    return this.emit(BPF_EMIT_CALL(helper));
  }

  /** A bpf-to-bpf call of the subprogram at `label`. */
  callSub(label: string): number {
    const at = this.emit(BPF_CALL_REL(0));
    this.#pending.push({ at, label, call: true });
    return at;
  }

  /** `exit`. */
  exit(): number {
    return this.emit(BPF_EXIT_INSN());
  }

  /** `goto label`. */
  goto(label: string): number {
    const at = this.emit(BPF_JMP_A(0));
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** `may_goto label` (BPF_JMP | BPF_JCOND, 0xe5): jump once the loop budget is used up. */
  mayGoto(label: string): number {
    const at = this.emit({ code: 0xe5, dst: 0, src: 0, off: 0, imm: 0 });
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** `if dst op imm goto label` (JMP32 when `w32`). */
  jmpImm(op: number, dst: number, imm: number, label: string, w32 = false): number {
    const at = this.emit(w32 ? BPF_JMP32_IMM(op, dst, imm, 0) : BPF_JMP_IMM(op, dst, imm, 0));
    this.#pending.push({ at, label, call: false });
    return at;
  }

  /** `if dst op src goto label` (JMP32 when `w32`). */
  jmpReg(op: number, dst: number, src: number, label: string, w32 = false): number {
    const at = this.emit(w32 ? BPF_JMP32_REG(op, dst, src, 0) : BPF_JMP_REG(op, dst, src, 0));
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
