/**
 * The Linux 6.18 log's printing rules (`kernel/bpf/log.c`):
 * `print_reg_state` (`R1=ctx()`, `R10=fp0`, `scalar(smin=...,var_off=...)`,
 * `map_value(map=m,ks=4,vs=8)`, `pkt(r=14)`), `print_verifier_state`
 * (scratched registers and stack slots, `fp-8=mmmmmmmm`) and the number
 * formats (`verbose_snum`, `verbose_unum`, `tnum_strn`).
 *
 * Note: issue 12 is writing `core/kernlog/value.ts`, a typed register/stack
 * value model with the kernel's printing rules per dialect; once it is in
 * `main`, this module should print through it (the lead reconciles the two).
 *
 * @module
 */
import {
  baseType,
  BPF_ADD_CONST,
  CONST_PTR_TO_MAP,
  NOT_INIT,
  PTR_MAYBE_NULL,
  PTR_TO_MAP_KEY,
  PTR_TO_MAP_VALUE,
  PTR_TO_MEM,
  PTR_TO_STACK,
  type RegState,
  SCALAR_VALUE,
  typeIsPktPointer,
} from "./reg.ts";
import { type Tnum, tnumIsConst } from "./tnum.ts";
import { BPF_REG_SIZE, type FuncState, MAX_BPF_REG, STACK_SPILL, type VerifierState } from "./state.ts";
import { W64 } from "./width.ts";

/** What the printer needs to know about a map. */
export interface PrintMap {
  /** Map name (empty: not printed). */
  name: string;
  /** key_size. */
  keySize: number;
  /** value_size. */
  valueSize: number;
}

const TYPE_STR: Readonly<Record<number, string>> = {
  0: "?",
  1: "scalar",
  2: "ctx",
  3: "map_ptr",
  4: "map_value",
  5: "map_key",
  6: "fp",
  7: "pkt_meta",
  8: "pkt",
  9: "pkt_end",
  10: "flow_keys",
  11: "sock",
  12: "sock_common",
  13: "tcp_sock",
  14: "tp_buffer",
  15: "xdp_sock",
  16: "ptr_",
  17: "mem",
  18: "arena",
  19: "buf",
  20: "func",
  21: "dynptr_ptr",
};

/** `reg_type_str(env, type)`. */
export function regTypeStr(type: number): string {
  let s = (type & 0x200 ? "rdonly_" : "") + (type & 0x400 ? "ringbuf_" : "") + (TYPE_STR[baseType(type)] ?? "?");
  if (type & PTR_MAYBE_NULL) s += baseType(type) === 16 ? "or_null_" : "_or_null";
  return s;
}

/** `STACK_*` to the character `print_verifier_state` shows. */
export const SLOT_TYPE_CHAR = "?rm0dif";

const S16_MIN = -32768n, S16_MAX = 32767n, U16_MAX = 65535n;

/** `%#llx` as the kernel's vsnprintf prints it. */
export function hexU64(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16);
}

/** `verbose_unum`. */
export function unum(v: bigint): string {
  return v <= U16_MAX ? v.toString() : hexU64(v);
}

/** `verbose_snum` (the argument as an s64). */
export function snum(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return s >= S16_MIN && s <= S16_MAX ? s.toString() : hexU64(s);
}

/** `tnum_strn`. */
export function tnumStr(t: Tnum): string {
  if (t.mask === 0n) return unum(t.value);
  return `(${hexU64(t.value)}; ${hexU64(t.mask)})`;
}

interface MinMax {
  name: string;
  val: bigint;
  omit: boolean;
}

/** `print_scalar_ranges`. */
function scalarRanges(reg: RegState, out: string[], sepIn: string): string {
  const dec32 = (v: bigint) => v >= S16_MIN && v <= S16_MAX;
  const m: MinMax[] = [
    { name: "smin", val: BigInt.asUintN(64, reg.smin), omit: reg.smin === W64.smin },
    { name: "smax", val: BigInt.asUintN(64, reg.smax), omit: reg.smax === W64.smax },
    { name: "umin", val: reg.umin, omit: reg.umin === 0n },
    { name: "umax", val: reg.umax, omit: reg.umax === W64.umax },
    {
      name: "smin32",
      val: dec32(reg.s32min) ? BigInt.asUintN(64, reg.s32min) : BigInt.asUintN(32, reg.s32min),
      omit: reg.s32min === W64.hsmin,
    },
    {
      name: "smax32",
      val: dec32(reg.s32max) ? BigInt.asUintN(64, reg.s32max) : BigInt.asUintN(32, reg.s32max),
      omit: reg.s32max === W64.hsmax,
    },
    { name: "umin32", val: reg.u32min, omit: reg.u32min === 0n },
    { name: "umax32", val: reg.u32max, omit: reg.u32max === W64.humax },
  ];
  let sep = sepIn;
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === "s" && BigInt.asIntN(64, m1.val) < 0n;
    out.push(sep, m1.name, "=");
    sep = ",";
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === "s" && BigInt.asIntN(64, m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      out.push(m2.name, "=");
    }
    out.push(m1.name[0] === "s" ? snum(m1.val) : unum(m1.val));
  }
  return sep;
}

/** `print_reg_state(env, state, reg)`: the text after `R1=`. */
export function regStateText(frameno: number, reg: RegState, maps: ReadonlyArray<PrintMap>): string {
  const t = reg.type;
  const out: string[] = [];
  if (t === SCALAR_VALUE && reg.precise) out.push("P");
  if (t === SCALAR_VALUE && tnumIsConst(reg.varOff)) {
    out.push(snum(reg.varOff.value));
    return out.join("");
  }
  out.push(regTypeStr(t));
  if (t === 18) return out.join(""); // PTR_TO_ARENA
  if (t === PTR_TO_STACK) {
    if (frameno !== reg.frameno) out.push(`[${reg.frameno}]`);
    if (tnumIsConst(reg.varOff)) {
      out.push(snum(reg.varOff.value + BigInt(reg.off)));
      return out.join("");
    }
  }
  out.push("(");
  let sep = "";
  if (reg.id) {
    out.push(sep, `id=${(reg.id & ~BPF_ADD_CONST) >>> 0}`);
    sep = ",";
  }
  if (reg.id & BPF_ADD_CONST) out.push(reg.off < 0 ? String(reg.off) : "+" + reg.off);
  if (reg.refObjId) {
    out.push(sep, `ref_obj_id=${reg.refObjId}`);
    sep = ",";
  }
  const b = baseType(t);
  if (b === CONST_PTR_TO_MAP || b === PTR_TO_MAP_KEY || b === PTR_TO_MAP_VALUE) {
    const m = maps[reg.map];
    if (m) {
      if (m.name) {
        out.push(sep, `map=${m.name}`);
        sep = ",";
      }
      out.push(sep, `ks=${m.keySize},vs=${m.valueSize}`);
      sep = ",";
    }
  }
  if (t !== SCALAR_VALUE && reg.off) {
    out.push(sep, "off=", snum(BigInt(reg.off)));
    sep = ",";
  }
  if (typeIsPktPointer(t)) {
    out.push(sep, "r=", unum(BigInt.asUintN(64, BigInt(reg.range))));
    sep = ",";
  }
  if (b === PTR_TO_MEM) {
    out.push(sep, "sz=", unum(BigInt(reg.memSize)));
    sep = ",";
  }
  if (tnumIsConst(reg.varOff)) {
    if (reg.varOff.value) {
      out.push(sep, "imm=", snum(reg.varOff.value));
      sep = ",";
    }
  } else {
    sep = scalarRanges(reg, out, sep);
    if (reg.varOff.mask !== W64.umax) {
      out.push(sep, "var_off=", tnumStr(reg.varOff));
      sep = ",";
    }
  }
  out.push(")");
  return out.join("");
}

/** Scratch marks of the log (`env->scratched_regs`, `env->scratched_stack_slots`). */
export interface ScratchMarks {
  /** Bit r: register r was touched since the last state print. */
  regs: number;
  /** Bit spi: stack slot spi was touched. */
  stack: bigint;
}

/** `print_verifier_state(env, vstate, frameno, print_all)`: the state line (with trailing newline). */
export function verifierStateText(
  vstate: VerifierState,
  frameno: number,
  printAll: boolean,
  marks: ScratchMarks,
  maps: ReadonlyArray<PrintMap>,
): string {
  const state = vstate.frame[frameno]!;
  const out: string[] = [];
  if (state.frameno) out.push(` frame${state.frameno}:`);
  for (let i = 0; i < MAX_BPF_REG; i++) {
    const reg = state.regs[i];
    if (reg.type === NOT_INIT) continue;
    if (!printAll && !((marks.regs >> i) & 1)) continue;
    out.push(` R${i}=`, regStateText(state.frameno, reg, maps));
  }
  out.push(stackText(state, printAll, marks, maps));
  if (vstate.refs.length && vstate.refs[0].id) {
    out.push(` refs=${vstate.refs[0].id}`);
    for (let i = 1; i < vstate.refs.length; i++) if (vstate.refs[i].id) out.push(`,${vstate.refs[i].id}`);
  }
  if (state.inCallbackFn) out.push(" cb");
  if (state.inAsyncCallbackFn) out.push(" async_cb");
  out.push("\n");
  return out.join("");
}

function stackText(state: FuncState, printAll: boolean, marks: ScratchMarks, maps: ReadonlyArray<PrintMap>): string {
  const out: string[] = [];
  const n = state.allocatedStack / BPF_REG_SIZE;
  for (let i = 0; i < n; i++) {
    if (!printAll && !((marks.stack >> BigInt(i)) & 1n)) continue;
    const st = state.stack[i].slotType;
    let valid = false;
    let buf = "";
    for (let j = 0; j < BPF_REG_SIZE; j++) {
      if (st[j] !== 0) valid = true;
      buf += SLOT_TYPE_CHAR[st[j]];
    }
    if (!valid) continue;
    const off = (-i - 1) * BPF_REG_SIZE;
    if (st[BPF_REG_SIZE - 1] === STACK_SPILL) {
      let j = 0;
      while (j < BPF_REG_SIZE && st[j] !== STACK_SPILL) j++;
      out.push(` fp${off}=${buf.slice(0, j)}`, regStateText(state.frameno, state.stack[i].spilled, maps));
    } else {
      out.push(` fp${off}=${buf}`);
    }
  }
  return out.join("");
}

/** `BPF_LOG_MIN_ALIGNMENT`. */
const LOG_MIN_ALIGNMENT = 8;
/** `BPF_LOG_ALIGNMENT`. */
const LOG_ALIGNMENT = 40;

/** `vlog_alignment(pos)`: the padding before the `;` of a joined state. */
export function vlogAlignment(pos: number): number {
  const x = Math.max(pos + LOG_MIN_ALIGNMENT / 2, LOG_ALIGNMENT);
  return Math.ceil(x / LOG_MIN_ALIGNMENT) * LOG_MIN_ALIGNMENT - pos - 1;
}
