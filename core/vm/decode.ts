/**
 * Pre-decoding shared by the interpreter and the JIT: internal opcodes,
 * operand slots, jump targets, sentinels and the fault message of every bad
 * instruction, so both engines agree on every program.
 *
 * @module
 */
import type { Program } from "../isa/mod.ts";
import type { BpfMap } from "../maps/mod.ts";
import { ArrayMap } from "../maps/mod.ts";
import type { HelperFn, HelperTable } from "./helpers.ts";
import { MAP_PTR_HI, REGION_HI_BASE, REGION_MAPS } from "./memory.ts";

/** Internal opcodes beyond the 0..255 code byte (same values as the interpreter). */
export const SDIV32 = 0x100, SMOD32 = 0x101, SDIV64 = 0x102, SMOD64 = 0x103;
/** Sign-extending moves. */
export const MOVSX32_8 = 0x108, MOVSX32_16 = 0x109, MOVSX64_8 = 0x10a, MOVSX64_16 = 0x10b, MOVSX64_32 = 0x10c;
/** Byte swaps. */
export const LE16 = 0x110, LE32 = 0x111, LE64 = 0x112, BE16 = 0x113, BE32 = 0x114, BE64 = 0x115;
/** Atomics: base + kind (0 add, 1 fadd, 2 or, 3 for, 4 and, 5 fand, 6 xor, 7 fxor, 8 xchg, 9 cmpxchg). */
export const ATOMIC32 = 0x120, ATOMIC64 = 0x130;
/** Local call, bad instruction, out-of-range sentinel. */
export const CALL_LOCAL = 0x140, BAD = 0x1f0, OOB = 0x1f1;
/** `may_goto` (BPF_JMP | BPF_JCOND, src_reg BPF_MAY_GOTO): jump when the frame's loop budget is used up, else count one down. */
export const MAY_GOTO = 0x142;
/**
 * `BPF_MAX_LOOPS`: the budget of a frame's `may_goto`s. The kernel's fixup
 * (`do_misc_fixups`) keeps it in a hidden stack slot of each subprogram,
 * set in the subprogram's prologue: every call of a function starts a new
 * budget, shared by the function's may_goto instructions; each may_goto
 * falls through while it is above 0 (counting it down) and jumps once it
 * is 0.
 */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** An ldxw at the offset of a converted ctx field (`data`, `data_end`, `data_meta`, ...; see core/vm/context.ts). */
export const CTX_LDXW = 0x141;
/** `BPF_FUNC_tail_call`. */
export const BPF_FUNC_TAIL_CALL = 12;
/** Operand slots ≥ CONST_BASE name the constant of instruction `slot - CONST_BASE`. */
export const CONST_BASE = 16;

const ATOMIC_KIND: Record<number, number> = {
  0x00: 0,
  0x01: 1,
  0x40: 2,
  0x41: 3,
  0x50: 4,
  0x51: 5,
  0xa0: 6,
  0xa1: 7,
  0xe1: 8,
  0xf1: 9,
};

/** A decoded program: structure-of-arrays, indexed by instruction (plus sentinels). */
export interface Decoded {
  /** Program length in instructions. */
  n: number;
  /** Number of slots in use: `n` + 1 (fall-off sentinel) + number of out-of-range jumps. */
  total: number;
  /** Internal opcode per slot. */
  op: Uint16Array;
  /** dst register. */
  dst: Uint8Array;
  /** src register, or CONST_BASE + i for the constant of insn i. */
  src: Int32Array;
  /** Offset (LD_ABS/LD_IND: the immediate). */
  off: Int32Array;
  /** Jump target. */
  tgt: Int32Array;
  /** Constant low words, by instruction. */
  clo: Int32Array;
  /** Constant high words, by instruction. */
  chi: Int32Array;
  /** Helper implementation per call instruction. */
  helpers: Array<HelperFn | null>;
  /** 1 at the calls of helper 12, `bpf_tail_call` (a subprogram may return there: see core/vm/runtime.ts). */
  tailCallAt: Uint8Array;
  /** Fault message per bad slot. */
  bad: Map<number, string>;
  /** Maps referenced, by index. */
  maps: BpfMap[];
}

/**
 * Pre-decode `prog` for running. Never throws for a bad program: bad slots
 * decode to BAD with a message. An ldxw whose offset is a key of
 * `ctxFields` decodes to {@link CTX_LDXW}.
 */
export function predecode(
  prog: Program,
  helperTable: HelperTable,
  resolveMap?: (fd: number) => BpfMap | undefined,
  ctxFields?: ReadonlyMap<number, number> | null,
): Decoded {
  const n = prog.len;
  const badJumps: Array<[number, number]> = [];
  const targetOf = (i: number): number => {
    const c = prog.code(i);
    const t = c === 0x06 ? i + prog.imm(i) + 1 : (c === 0x85 ? i + prog.imm(i) + 1 : i + prog.off(i) + 1);
    if (t >= 0 && t < n) return t;
    badJumps.push([i, t]);
    return n + badJumps.length;
  };
  const size = n + 2 + n;
  const op = new Uint16Array(size).fill(OOB);
  const dstA = new Uint8Array(size);
  const srcA = new Int32Array(size);
  const offA = new Int32Array(size);
  const tgt = new Int32Array(size);
  const clo = new Int32Array(n + 1);
  const chi = new Int32Array(n + 1);
  const helpers: Array<HelperFn | null> = new Array(n).fill(null);
  const tailCallAt = new Uint8Array(n);
  const badMap = new Map<number, string>();
  const maps: BpfMap[] = [];
  const mapIndex = new Map<BpfMap, number>();
  const mapOf = (fd: number): number => {
    const m = resolveMap?.(fd);
    if (!m) return -1;
    let k = mapIndex.get(m);
    if (k === undefined) {
      k = maps.length;
      mapIndex.set(m, k);
      maps.push(m);
    }
    return k;
  };
  const bad = (i: number, msg: string) => {
    op[i] = BAD;
    badMap.set(i, msg);
  };
  for (let i = 0; i < n; i++) {
    const code = prog.code(i), d = prog.dst(i), s = prog.src(i), off = prog.off(i), imm = prog.imm(i);
    const cls = code & 7;
    const k = CONST_BASE + i;
    dstA[i] = d;
    offA[i] = off;
    srcA[i] = s;
    clo[i] = imm;
    chi[i] = imm >> 31;
    const hex = "0x" + code.toString(16).padStart(2, "0");
    if (d > 10 && code !== 0x85 && code !== 0x95 && code !== 0x05 && code !== 0x06) {
      bad(i, `invalid dst register r${d} (opcode ${hex})`);
      continue;
    }
    const useSrcReg = (code & 8) !== 0;
    if (cls === 4 || cls === 7) {
      const o = code & 0xf0;
      if (o === 0xd0) {
        const w = imm;
        if (w !== 16 && w !== 32 && w !== 64) {
          bad(i, `invalid byte swap width ${w}`);
          continue;
        }
        if (code === 0xd4) op[i] = w === 16 ? LE16 : w === 32 ? LE32 : LE64;
        else if (code === 0xdc || code === 0xd7) op[i] = w === 16 ? BE16 : w === 32 ? BE32 : BE64;
        else bad(i, `unknown opcode ${hex}`);
        continue;
      }
      if (o === 0xe0 || o === 0xf0 || (o === 0x80 && useSrcReg)) {
        bad(i, `unknown opcode ${hex}`);
        continue;
      }
      if (useSrcReg && s > 10) {
        bad(i, `invalid src register r${s}`);
        continue;
      }
      srcA[i] = useSrcReg ? s : k;
      const x = code | 8;
      if ((o === 0x30 || o === 0x90) && off === 1) {
        op[i] = cls === 7 ? (o === 0x30 ? SDIV64 : SMOD64) : (o === 0x30 ? SDIV32 : SMOD32);
      } else if (o === 0xb0 && off !== 0) {
        if (!useSrcReg) bad(i, `movsx needs a register source`);
        else if (cls === 4 && (off === 8 || off === 16)) op[i] = off === 8 ? MOVSX32_8 : MOVSX32_16;
        else if (cls === 7 && (off === 8 || off === 16 || off === 32)) {
          op[i] = off === 8 ? MOVSX64_8 : off === 16 ? MOVSX64_16 : MOVSX64_32;
        } else bad(i, `invalid movsx offset ${off}`);
      } else op[i] = o === 0x80 ? code : x;
      continue;
    }
    if (cls === 5 || cls === 6) {
      const o = code & 0xf0;
      if (code === 0x05 || code === 0x06) {
        if (code === 0x06 && off !== 0) {
          bad(i, "gotol uses reserved fields");
          continue;
        }
        op[i] = 0x05;
        tgt[i] = targetOf(i);
        continue;
      }
      if (code === 0x95) {
        op[i] = 0x95;
        continue;
      }
      if (code === 0x85) {
        if (s === 1) {
          op[i] = CALL_LOCAL;
          tgt[i] = targetOf(i);
        } else if (s === 0) {
          const h = helperTable.get(imm);
          if (h) {
            op[i] = 0x85;
            helpers[i] = h.fn;
            if (imm === BPF_FUNC_TAIL_CALL) tailCallAt[i] = 1;
          } else bad(i, `unknown helper function ${imm}`);
        } else bad(i, `kfunc calls (call src=${s}) are not supported`);
        continue;
      }
      if (code === 0xe5) {
        if (s !== 0 || d !== 0 || imm !== 0) bad(i, `invalid may_goto (dst_reg ${d}, src_reg ${s}, imm ${imm})`);
        else {
          op[i] = MAY_GOTO;
          tgt[i] = targetOf(i);
        }
        continue;
      }
      if (o === 0x80 || o === 0x90 || o === 0xe0 || o === 0xf0) {
        bad(i, `unknown opcode ${hex}`);
        continue;
      }
      if (useSrcReg && s > 10) {
        bad(i, `invalid src register r${s}`);
        continue;
      }
      srcA[i] = useSrcReg ? s : k;
      op[i] = code | 8;
      tgt[i] = targetOf(i);
      continue;
    }
    if (code === 0x18) {
      if (
        i + 1 >= n || prog.code(i + 1) !== 0 || prog.dst(i + 1) !== 0 || prog.src(i + 1) !== 0 ||
        prog.off(i + 1) !== 0
      ) {
        bad(i, "invalid LD_IMM64: the second slot must be [0, 0, 0, 0, imm_hi]");
        continue;
      }
      op[i] = 0x18;
      srcA[i] = k;
      chi[i] = prog.imm(i + 1);
      if (s === 1 || s === 2) {
        const mk = mapOf(imm);
        if (mk < 0) {
          bad(i, `LD_IMM64: fd ${imm} is not a map`);
          continue;
        }
        if (s === 1) {
          chi[i] = MAP_PTR_HI;
          clo[i] = (mk + 1) << 8;
        } else {
          const m = maps[mk];
          if (!(m instanceof ArrayMap) || prog.imm(i + 1) >>> 0 >= m.values.length) {
            bad(i, `LD_IMM64: map value offset ${prog.imm(i + 1)} is not inside an array map value`);
            continue;
          }
          chi[i] = REGION_HI_BASE + REGION_MAPS + mk;
          clo[i] = prog.imm(i + 1);
        }
      } else if (s === 4) {
        bad(
          i,
          "LD_IMM64 of a function (BPF_PSEUDO_FUNC: a callback for bpf_loop, for_each_map_elem, ...) is not supported",
        );
        continue;
      } else if (s !== 0) {
        bad(i, `LD_IMM64 with src=${s} is not supported`);
        continue;
      }
      op[i + 1] = BAD;
      badMap.set(i + 1, "jumped into the second slot of an LD_IMM64");
      i++;
      continue;
    }
    const mode = code & 0xe0, sz = code & 0x18;
    if (cls === 0 && (mode === 0x20 || mode === 0x40) && sz !== 0x18) {
      if (mode === 0x40 && s > 10) {
        bad(i, `invalid src register r${s}`);
        continue;
      }
      op[i] = 0x40 | sz;
      srcA[i] = mode === 0x40 ? s : k;
      if (mode === 0x20) clo[i] = chi[i] = 0;
      offA[i] = imm;
      continue;
    }
    if (cls === 1 && (mode === 0x60 || (mode === 0x80 && sz !== 0x18))) {
      if (s > 10) bad(i, `invalid src register r${s}`);
      else op[i] = code === 0x61 && ctxFields?.has(off) ? CTX_LDXW : code;
      continue;
    }
    if ((cls === 2 || cls === 3) && mode === 0x60) {
      if (cls === 3 && s > 10) {
        bad(i, `invalid src register r${s}`);
        continue;
      }
      op[i] = code | 1;
      srcA[i] = cls === 3 ? s : k;
      continue;
    }
    if (cls === 3 && mode === 0xc0 && (sz === 0x00 || sz === 0x18)) {
      const kind = ATOMIC_KIND[imm];
      if (kind === undefined || s > 10) {
        bad(i, `invalid atomic operation imm=0x${(imm >>> 0).toString(16)}`);
        continue;
      }
      op[i] = (sz === 0 ? ATOMIC32 : ATOMIC64) + kind;
      continue;
    }
    bad(i, `unknown opcode ${hex}`);
  }
  op[n] = OOB;
  badMap.set(n, `fell off the end of the program (insn ${n - 1} is not an exit or a jump)`);
  for (let j = 0; j < badJumps.length; j++) {
    const [from, to] = badJumps[j];
    badMap.set(n + 1 + j, `insn ${from}: jump out of range to insn ${to} (program has ${n} insns)`);
  }
  return {
    n,
    total: n + 1 + badJumps.length,
    op,
    dst: dstA,
    src: srcA,
    off: offA,
    tgt,
    clo,
    chi,
    helpers,
    tailCallAt,
    bad: badMap,
    maps,
  };
}
