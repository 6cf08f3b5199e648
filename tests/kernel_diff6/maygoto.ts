/**
 * The `maygoto` stage of the kernel comparison: hand-written programs with
 * the loop-budget instruction `may_goto` (BPF_JMP | BPF_JCOND, 0xe5), as
 * clang emits it for bpf_experimental.h's `can_loop` / `cond_break` (clang 14
 * here cannot: these are assembly). They cover a may_goto-bounded infinite
 * loop, nested loops, a map lookup inside the loop, widening of imprecise
 * scalars (registers and spills), loops that converge only through
 * `may_goto_depth`, a may_goto in a subprogram, `may_goto +0`, the
 * malformed encodings (`invalid may_goto imm`, JMP32 | JCOND) and rejected
 * loops. Seed i is program i modulo their number.
 *
 * The programs that end by themselves return a value the machine tests
 * compare with the kernel's BPF_PROG_TEST_RUN (tests/data/testrun/maygoto.json).
 *
 * @module
 */
import { assemble } from "../../core/asm/mod.ts";
import { encodeJson } from "../../core/formats/mod.ts";
import type { Spec } from "./alu_gen.ts";

/** One program: name, assembly (socket_filter unless `.prog_type` says otherwise). */
export interface MayGotoProgram {
  /** What it is about. */
  name: string;
  /** Assembly text. */
  asm: string;
  /** Whether its loops end before any may_goto budget runs out (its return value does not depend on the budget). */
  ends?: boolean;
}

const MAP = `.map m array key=4 value=8 max=1\n`;

/** The programs. */
export const MAYGOTO_PROGRAMS: ReadonlyArray<MayGotoProgram> = [
  {
    name: "an infinite loop bounded by may_goto only (can_loop), returns the trip count",
    asm: `r1 = 0\nloop:\nmay_goto done\nr1 += 1\ngoto loop\ndone:\nr0 = r1\nexit`,
  },
  {
    name: "a counted loop with may_goto as a second guard (cond_break)",
    asm: `r1 = 0\nloop:\nmay_goto done\nr1 += 3\nif r1 < 300 goto loop\ndone:\nr0 = r1\nexit`,
    ends: true,
  },
  {
    name: "nested loops, each with its own may_goto; the inner bounded by a counter",
    asm: `r6 = 0\nr7 = 0\nouter:\nmay_goto out\nr8 = 0\ninner:\nmay_goto next\nr7 += 1\nr8 += 1\n` +
      `if r8 < 10 goto inner\nnext:\nr6 += 1\nif r6 < 20 goto outer\nout:\nr0 = r7\nexit`,
    ends: true,
  },
  {
    name: "nested infinite loops bounded by may_goto only",
    asm: `r6 = 0\nouter:\nmay_goto out\ninner:\nmay_goto outer\nr6 += 1\ngoto inner\nout:\nr0 = r6\nexit`,
  },
  {
    name: "a map lookup inside the loop, the value incremented each trip",
    asm: `${MAP}r6 = 0\nloop:\nmay_goto done\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto done\nr1 = *(u64 *)(r0 +0)\nr1 += 1\n*(u64 *)(r0 +0) = r1\nr6 += 1\nif r6 < 50 goto loop\n` +
      `done:\nr0 = r6\nexit`,
    ends: true,
  },
  {
    name: "a map value pointer kept across the loop, may_goto only",
    asm: `${MAP}*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto out\nr6 = r0\n` +
      `loop:\nmay_goto out\nr1 = *(u64 *)(r6 +0)\nr1 += 2\n*(u64 *)(r6 +0) = r1\ngoto loop\nout:\nr0 = 0\nexit`,
  },
  {
    name: "rejected: the widened counter as a stack offset",
    asm: `r1 = 0\nloop:\nmay_goto done\nr2 = r10\nr2 += -64\nr2 += r1\n*(u8 *)(r2 +0) = 0\nr1 += 1\ngoto loop\n` +
      `done:\nr0 = 0\nexit`,
  },
  {
    name: "the widened counter stored to the stack, read after the loop",
    asm: `r1 = 0\nloop:\nmay_goto done\n*(u64 *)(r10 -8) = r1\nr1 += 1\ngoto loop\ndone:\nr0 = *(u64 *)(r10 -8)\nexit`,
  },
  {
    name: "a precise counter (compared with a constant) is not widened",
    asm: `r1 = 0\nloop:\nmay_goto done\nif r1 > 5 goto done\nr1 += 1\ngoto loop\ndone:\nr0 = r1\nexit`,
    ends: true,
  },
  {
    name: "a spilled counter is widened too",
    asm: `*(u64 *)(r10 -8) = 0\nloop:\nmay_goto done\nr1 = *(u64 *)(r10 -8)\nr1 += 1\n*(u64 *)(r10 -8) = r1\n` +
      `goto loop\ndone:\nr0 = *(u64 *)(r10 -8)\nexit`,
  },
  {
    name: "may_goto as the first insn, looped back to",
    asm: `loop:\nmay_goto done\nr1 = 1\ngoto loop\ndone:\nr0 = 7\nexit`,
  },
  {
    name: "may_goto +0 (removed as a nop: no hidden stack)",
    asm: `r0 = 1\nmay_goto +0\nexit`,
    ends: true,
  },
  {
    name: "forward may_goto: both branches reach exit",
    asm: `r0 = 1\nmay_goto +1\nr0 = 2\nexit`,
    ends: true,
  },
  {
    name: "may_goto in a subprogram's loop (stack depth 0+16)",
    asm: `r1 = 5\ncall sub\nexit\nsub:\nr0 = 0\nloop:\nmay_goto done\nr0 += r1\nif r0 < 100 goto loop\ndone:\nexit`,
    ends: true,
  },
  {
    name: "may_goto in the main program and a subprogram called in the loop",
    asm: `r6 = 0\nloop:\nmay_goto done\nr1 = r6\ncall sub\nr6 += 1\nif r6 < 8 goto loop\ndone:\nr0 = r6\nexit\n` +
      `sub:\nr0 = r1\nr2 = 0\nl2:\nmay_goto d2\nr2 += 1\nif r2 < 3 goto l2\nd2:\nr0 += r2\nexit`,
    ends: true,
  },
  {
    name: "a loop that would not converge without may_goto: r1 = r1 * 3 + 1",
    asm: `r1 = 1\nloop:\nmay_goto done\nr1 *= 3\nr1 += 1\ngoto loop\ndone:\nr0 = 0\nexit`,
  },
  {
    name: "the cond_break pattern clang emits: may_goto +1 / goto continue / goto break",
    asm: `r1 = 0\nloop:\nr1 += 1\nmay_goto +1\ngoto +1\ngoto done\nif r1 < 1000 goto loop\ndone:\nr0 = r1\nexit`,
    ends: true,
  },
  {
    name: "rejected: uninitialised r2 read after the loop",
    asm: `r1 = 0\nloop:\nmay_goto done\nr1 += 1\ngoto loop\ndone:\nr0 = r2\nexit`,
  },
  {
    name: "rejected: cgroup_skb returns a widened r0, not in [0, 1]",
    asm: `.prog_type cgroup_skb\nr0 = 0\nloop:\nmay_goto done\nr0 += 1\ngoto loop\ndone:\nexit`,
  },
  {
    name: "invalid may_goto imm 5",
    asm: `r0 = 0\n.insn 0xe5, 0, 0, 1, 5\nr0 = 1\nexit`,
  },
  {
    name: "invalid may_goto: dst_reg set",
    asm: `r0 = 0\n.insn 0xe5, 1, 0, 1, 0\nr0 = 1\nexit`,
  },
  {
    name: "invalid may_goto: src_reg 1",
    asm: `r0 = 0\n.insn 0xe5, 0, 1, 1, 0\nr0 = 1\nexit`,
  },
  {
    name: "JMP32 | JCOND (0xe6) is not an opcode",
    asm: `r0 = 0\n.insn 0xe6, 0, 0, 1, 0\nr0 = 1\nexit`,
  },
  {
    name: "BPF_JCOND | BPF_X (0xed) is not an opcode",
    asm: `r0 = 0\n.insn 0xed, 0, 0, 1, 0\nr0 = 1\nexit`,
  },
  {
    name: "may_goto jumping out of the program",
    asm: `r0 = 0\nmay_goto +5\nexit`,
  },
  {
    name: "may_goto jumping into the middle of an LD_IMM64",
    asm: `r0 = 0\nmay_goto +1\nr1 = 0x100000000 ll\nexit`,
  },
  {
    name: "an infinite loop with may_goto +0 only (no budget: infinite loop detected)",
    asm: `r0 = 0\nloop:\nmay_goto +0\ngoto loop\nexit`,
  },
  {
    name: "two may_gotos in one loop",
    asm: `r1 = 0\nloop:\nmay_goto done\nr1 += 1\nmay_goto done\nr1 += 2\ngoto loop\ndone:\nr0 = r1\nexit`,
  },
  {
    name: "xdp: a packet loop bounded by may_goto, a counter and the packet end",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr0 = 0\nr6 = 0\nloop:\nmay_goto done\n` +
      `if r6 > 15 goto done\nr6 += 1\nr4 = r2\nr4 += 1\nif r4 > r3 goto done\nr5 = *(u8 *)(r2 +0)\nr0 += r5\nr2 = r4\n` +
      `goto loop\ndone:\nr0 &= 1\nr0 += 1\nexit`,
    ends: true,
  },
  {
    name: "a sequence of 8200 may_goto +0: the pending stack overflows",
    asm: `r0 = 0\n${"may_goto +0\n".repeat(8200)}exit`,
  },
];

/** The program of a seed (modulo the number of programs) as a spec. */
export function mayGotoProgram(seed: number): Spec {
  const d = MAYGOTO_PROGRAMS[seed % MAYGOTO_PROGRAMS.length];
  const asm = d.asm.startsWith(".prog_type") || d.asm.startsWith(".map") ? d.asm : `.prog_type socket_filter\n${d.asm}`;
  const src = d.asm.startsWith(".map") ? `.prog_type socket_filter\n${asm}` : asm;
  return JSON.parse(encodeJson(assemble(src, { file: d.name })));
}
