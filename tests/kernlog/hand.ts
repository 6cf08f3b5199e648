/**
 * Hand-written rejections whose cause crosses what the generated ones do not:
 * bpf-to-bpf calls (an argument, a return value, a store the callee makes
 * into the caller's stack), a spill across a helper call, a spill through a
 * copy of the frame pointer, a range narrowed by a branch, a return value
 * from a subprogram, arithmetic that turns pointers into a number. Each names the message the kernel gives and the
 * instruction that gave the offending register its type or range.
 * tests/kernlog/record_hand.ts records the kernel's logs of them into
 * tests/data/kernlog/hand.jsonl.gz.
 *
 * @module
 */
import {
  BPF_ADD,
  BPF_B,
  BPF_DW,
  BPF_JEQ,
  BPF_JGT,
  BPF_SUB,
  BPF_W,
  MAP_TYPES,
  mapDef,
  PROG_TYPES,
  type Program,
} from "../../core/isa/mod.ts";
import { Emitter } from "../gen6/emit.ts";

/** One hand-written rejection. */
export interface HandCase {
  /** Short name. */
  name: string;
  /** The program. */
  prog: Program;
  /** A pattern of the kernel's error message. */
  message: string;
  /** The instruction that gave the offending register its type or range (-1: the entry). */
  origin: number;
  /** What it shows. */
  note: string;
}

const HASH = [mapDef({ name: "h", type: MAP_TYPES.hash, keySize: 8, valueSize: 48, maxEntries: 16 }, 0)];

/** key 0 at fp-8, r2 = fp-8, r1 = the map; then the lookup. Returns the call's index. */
function lookup(e: Emitter): number {
  e.storeImm(BPF_DW, 10, -8, 0);
  e.movReg(2, 10);
  e.aluImm(BPF_ADD, 2, -8);
  e.loadMap(1, 0);
  return e.call(1);
}

function build(name: string, note: string, message: string, f: (e: Emitter) => number, progType = "socket_filter") {
  const e = new Emitter();
  const origin = f(e);
  return { name, note, message, origin, prog: e.finish(HASH, PROG_TYPES[progType]) };
}

/** The cases. */
export const HAND_CASES: HandCase[] = [
  build(
    "arg_scalar",
    "a constant passed as r1 to a subprogram that dereferences it",
    "R1 invalid mem access 'scalar'",
    (e) => {
      const o = e.movImm(1, 7);
      e.callSub("sub");
      e.movImm(0, 0);
      e.exit();
      e.label("sub");
      e.load(BPF_W, 0, 1, 0);
      e.exit();
      return o;
    },
  ),
  build(
    "ret_null",
    "a subprogram returns the lookup's result unchecked; the caller dereferences it",
    "invalid mem access 'map_value_or_null'",
    (e) => {
      e.callSub("sub");
      e.movReg(6, 0);
      e.load(BPF_DW, 0, 6, 0);
      e.exit();
      e.label("sub");
      const o = lookup(e);
      e.exit();
      return o;
    },
  ),
  build(
    "spill_across_call",
    "the lookup's result spilled, a helper called, filled into r7 and used unchecked",
    "R7 invalid mem access 'map_value_or_null'",
    (e) => {
      const o = lookup(e);
      e.store(BPF_DW, 10, -16, 0);
      e.call(5);
      e.load(BPF_DW, 7, 10, -16);
      e.storeImm(BPF_DW, 7, 0, 1);
      e.movImm(0, 0);
      e.exit();
      return o;
    },
  ),
  build(
    "callee_writes_caller_stack",
    "a subprogram stores a constant through the stack pointer it was passed; the caller fills and dereferences it",
    "R3 invalid mem access 'scalar'",
    (e) => {
      e.storeImm(BPF_DW, 10, -8, 0);
      e.movReg(1, 10);
      e.aluImm(BPF_ADD, 1, -8);
      e.callSub("sub");
      e.load(BPF_DW, 3, 10, -8);
      e.load(BPF_W, 0, 3, 0);
      e.exit();
      e.label("sub");
      const o = e.movImm(2, 42);
      e.store(BPF_DW, 1, 0, 2);
      e.movImm(0, 0);
      e.exit();
      return o;
    },
  ),
  build(
    "spill_through_copy",
    "the lookup's result stored through a copy of the frame pointer, filled back and used unchecked",
    "R9 invalid mem access 'map_value_or_null'",
    (e) => {
      const o = lookup(e);
      e.movReg(2, 10);
      e.aluImm(BPF_ADD, 2, -24);
      e.store(BPF_DW, 2, 0, 0);
      e.load(BPF_DW, 9, 10, -24);
      e.load(BPF_DW, 1, 9, 0);
      e.movImm(0, 0);
      e.exit();
      return o;
    },
  ),
  build(
    "range_after_branch",
    "an index narrowed to [0, 60] by a branch, added to a 48-byte map value, read 8 bytes",
    "invalid access to map value",
    (e) => {
      e.movReg(6, 1);
      e.load(BPF_W, 7, 6, 0);
      e.jmpImm(BPF_JGT, 7, 60, "out");
      lookup(e);
      e.jmpImm(BPF_JEQ, 0, 0, "out");
      const o = e.aluReg(BPF_ADD, 0, 7);
      e.load(BPF_DW, 2, 0, 0);
      e.label("out");
      e.movImm(0, 0);
      e.exit();
      return o;
    },
  ),
  build(
    "ptr_diff_deref",
    "data_end - data, two packet pointers subtracted into a number, then used as a pointer",
    "R3 invalid mem access 'scalar'",
    (e) => {
      e.load(BPF_W, 2, 1, 76);
      e.load(BPF_W, 3, 1, 80);
      const o = e.aluReg(BPF_SUB, 3, 2);
      e.load(BPF_B, 0, 3, 0);
      e.exit();
      return o;
    },
    "sched_cls",
  ),
  build(
    "ret_range_from_sub",
    "a cgroup_skb program returns what its subprogram computed (5, not 0 or 1)",
    "At program exit the register R0 has",
    (e) => {
      e.callSub("sub");
      e.exit();
      e.label("sub");
      const o = e.movImm(0, 5);
      e.exit();
      return o;
    },
    "cgroup_skb",
  ),
];
