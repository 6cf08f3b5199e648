/**
 * The Linux 6.18 log's printing rules (`kernel/bpf/log.c`):
 * `print_reg_state` (`R1=ctx()`, `R10=fp0`, `scalar(smin=...,var_off=...)`,
 * `map_value(map=m,ks=4,vs=8)`, `pkt(r=14)`), `print_verifier_state`
 * (scratched registers and stack slots, `fp-8=mmmmmmmm`) and the number
 * formats (`verbose_snum`, `verbose_unum`, `tnum_strn`).
 *
 * The text itself is written by issue 12's log model (`core/kernlog/value.ts`,
 * its 6.5..6.18 dialect): this module turns the engine's registers, stack
 * slots and references into that model's values and prints them through
 * it, so the log reader and the engine share one printer of the format.
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
  typeIsPktPointer,
} from "./reg.ts";
import { BPF_REG_SIZE, type FuncState, MAX_BPF_REG, STACK_SPILL, type VerifierState } from "./state.ts";
import {
  printRegValue,
  printState,
  type RegEntry,
  type RegFields,
  type RegValue,
  regValue,
  type SlotValue,
  type StateValue,
} from "../../kernlog/value.ts";

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

/**
 * The register as issue 12's log model holds it (`core/kernlog/value.ts`), to
 * print through its 6.5..6.18 printer: the one `print_reg_state` of the
 * project, shared by the log reader and this engine.
 */
export function regValueOf(frameno: number, reg: RegState, maps: ReadonlyArray<PrintMap>): RegValue {
  const t = reg.type, b = baseType(t);
  const f: RegFields = {
    precise: reg.precise,
    id: (reg.id & ~BPF_ADD_CONST) >>> 0,
    addConst: reg.id & BPF_ADD_CONST ? reg.off : null,
    refObjId: reg.refObjId,
    off: reg.off,
    varOff: reg.varOff,
    smin: reg.smin,
    smax: reg.smax,
    umin: reg.umin,
    umax: reg.umax,
    s32min: Number(reg.s32min),
    s32max: Number(reg.s32max),
    u32min: Number(reg.u32min),
    u32max: Number(reg.u32max),
  };
  if (t === PTR_TO_STACK && frameno !== reg.frameno) f.frameno = reg.frameno;
  if (b === CONST_PTR_TO_MAP || b === PTR_TO_MAP_KEY || b === PTR_TO_MAP_VALUE) {
    const m = maps[reg.map];
    if (m) {
      if (m.name) f.mapName = m.name;
      f.ks = m.keySize;
      f.vs = m.valueSize;
    }
  }
  if (typeIsPktPointer(t)) f.range = reg.range;
  if (b === PTR_TO_MEM) f.memSize = reg.memSize;
  return regValue(regTypeStr(t), f);
}

/** `print_reg_state(env, state, reg)`: the text after `R1=`. */
export function regStateText(frameno: number, reg: RegState, maps: ReadonlyArray<PrintMap>): string {
  return printRegValue(regValueOf(frameno, reg, maps));
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
  const regs: RegEntry[] = [];
  for (let i = 0; i < MAX_BPF_REG; i++) {
    const reg = state.regs[i];
    if (reg.type === NOT_INIT) continue;
    if (!printAll && !((marks.regs >> i) & 1)) continue;
    regs.push({ reg: i, live: "", value: regValueOf(state.frameno, reg, maps) });
  }
  let refs: number[] | null = null;
  if (vstate.refs.length && vstate.refs[0].id) {
    refs = [];
    for (const r of vstate.refs) if (r.id) refs.push(r.id);
  }
  const flags: string[] = [];
  if (state.inCallbackFn) flags.push("cb");
  if (state.inAsyncCallbackFn) flags.push("async_cb");
  const st: StateValue = {
    frame: state.frameno,
    framePrinted: state.frameno !== 0,
    regs,
    stack: stackSlots(state, printAll, marks, maps),
    refs,
    flags,
  };
  return printState(st) + "\n";
}

function stackSlots(
  state: FuncState,
  printAll: boolean,
  marks: ScratchMarks,
  maps: ReadonlyArray<PrintMap>,
): SlotValue[] {
  const out: SlotValue[] = [];
  const n = state.allocatedStack / BPF_REG_SIZE;
  for (let i = 0; i < n; i++) {
    if (!printAll && !((marks.stack >> BigInt(i)) & 1n)) continue;
    const st = state.stack[i].slotType;
    let valid = false;
    let types = "";
    for (let j = 0; j < BPF_REG_SIZE; j++) {
      if (st[j] !== 0) valid = true;
      types += SLOT_TYPE_CHAR[st[j]];
    }
    if (!valid) continue;
    const off = (-i - 1) * BPF_REG_SIZE;
    if (st[BPF_REG_SIZE - 1] === STACK_SPILL) {
      let j = 0;
      while (j < BPF_REG_SIZE && st[j] !== STACK_SPILL) j++;
      const spill = regValueOf(state.frameno, state.stack[i].spilled, maps);
      out.push({ off, live: "", types: types.slice(0, j), spill, special: null });
    } else {
      out.push({ off, live: "", types, spill: null, special: null });
    }
  }
  return out;
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
