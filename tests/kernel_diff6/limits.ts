/**
 * Hand-written programs for the limits of the 6.18 verifier that generated
 * programs rarely reach: the 1,000,000-insn budget, the 8192-branch
 * pending stack, infinite loops, the 512-byte combined stack of a call
 * chain, the 8-frame call depth, returning a stack pointer, back-edges
 * through LD_IMM64 and exits in the middle of loops. The `limits` stage of
 * run.ts picks them by seed (modulo their number).
 *
 * @module
 */
import type { Slot, Spec } from "./alu_gen.ts";

const MOV = (d: number, imm: number): Slot => [0xb7, d, 0, 0, imm];
const EXIT: Slot = [0x95, 0, 0, 0, 0];
const CALL = (helper: number): Slot => [0x85, 0, 0, 0, helper];
const PCALL = (off: number): Slot => [0x85, 0, 1, 0, off];
const JA = (off: number): Slot => [0x05, 0, 0, off, 0];
const JLT = (d: number, imm: number, off: number): Slot => [0xa5, d, 0, off, imm];
const JEQ = (d: number, imm: number, off: number): Slot => [0x15, d, 0, off, imm];
const ADD = (d: number, imm: number): Slot => [0x07, d, 0, 0, imm];
const STDW = (off: number, imm: number): Slot => [0x7a, 10, 0, off, imm];
const MOVX = (d: number, s: number): Slot => [0xbf, d, s, 0, 0];

function spec(insns: Slot[], progType = "socket_filter"): Spec {
  return { insns, prog_type: progType, maps: [], fixup: [] };
}

/** A chain of `depth` subprograms, each calling the next. */
function callChain(depth: number): Slot[] {
  const out: Slot[] = [PCALL(1), EXIT];
  for (let k = 0; k < depth; k++) out.push(k + 1 < depth ? PCALL(1) : MOV(0, 0), EXIT);
  return out;
}

/** The programs. */
export const LIMIT_PROGRAMS: ReadonlyArray<{ name: string; spec: Spec }> = [
  {
    name: "1M insn budget: a counted loop of 2^31 trips",
    spec: spec([MOV(1, 0), ADD(1, 1), JLT(1, 0x7fffffff, -2), MOV(0, 0), EXIT]),
  },
  {
    name: "8193 pending branches",
    spec: spec([CALL(7), ...Array.from({ length: 8300 }, (_, k) => JEQ(0, k, 0)), MOV(0, 0), EXIT]),
  },
  { name: "infinite loop: goto itself", spec: spec([MOV(0, 0), JA(-1), EXIT]) },
  { name: "infinite loop: a loop that changes nothing", spec: spec([MOV(0, 0), MOV(1, 5), JA(-2), EXIT]) },
  { name: "infinite loop: a jump always taken to itself", spec: spec([MOV(0, 0), JEQ(0, 0, -1), EXIT]) },
  { name: "infinite loop: an unchanging body", spec: spec([MOV(0, 0), MOV(1, 5), JEQ(0, 0, -2), EXIT]) },
  {
    name: "infinite loop: a counter that does not move",
    spec: spec([MOV(0, 0), MOV(1, 0), ADD(1, 0), JLT(1, 10, -2), EXIT]),
  },
  {
    name: "combined stack of 2 calls is 528",
    spec: spec([STDW(-512, 1), PCALL(2), MOV(0, 0), EXIT, STDW(-16, 2), MOV(0, 0), EXIT]),
  },
  { name: "call chain of 8 frames", spec: spec(callChain(7)) },
  { name: "call chain of 9 frames", spec: spec(callChain(8)) },
  {
    name: "return a stack pointer",
    spec: spec([PCALL(2), MOV(0, 0), EXIT, MOVX(0, 10), ADD(0, -8), EXIT]),
  },
  {
    name: "loop of 1000 trips with pruning off the table (precise counter)",
    spec: spec([MOV(1, 0), ADD(1, 1), JLT(1, 1000, -2), MOV(0, 0), EXIT]),
  },
  {
    name: "loop bounded by an unknown value",
    spec: spec([CALL(7), [0x57, 0, 0, 0, 63], MOV(1, 0), ADD(1, 1), [0xad, 1, 0, -2, 0], MOV(0, 0), EXIT]),
  },
  {
    name: "exit inside a loop",
    spec: spec([MOV(1, 0), ADD(1, 1), JEQ(1, 50, 1), JA(-3), MOV(0, 0), EXIT]),
  },
  {
    name: "back-edge to the second slot of an LD_IMM64",
    spec: spec([[0x18, 1, 0, 0, 1], [0, 0, 0, 0, 0], JA(-2), MOV(0, 0), EXIT]),
  },
];

/** The `limits` stage: seed -> one of the programs. */
export function limitProgram(seed: number): Spec {
  return LIMIT_PROGRAMS[seed % LIMIT_PROGRAMS.length].spec;
}
