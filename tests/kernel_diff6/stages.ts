/**
 * The generators of the kernel comparison, one per stage of the linux-6.18
 * profile:
 *
 * - `alu`: ALU/JMP/JMP32 on scalars (alu_gen.ts);
 * - `mem`: issue 12's generator (tests/gen6/gen.ts) without loops and
 *   calls: stack, ctx, map values, packets, helpers and its deliberate bugs;
 * - `loops`: the same with bounded loops;
 * - `calls`: everything, bpf-to-bpf calls included;
 * - `ctx`: a sweep of context accesses (seed -> program type, offset,
 *   size, read or write, LDX/STX/ST) that checks the `is_valid_access`
 *   tables; 7680 seeds cover it;
 * - `limits`: the hand-written programs of limits.ts (budgets, pending
 *   stack, infinite loops, call depth and stack size);
 * - `clang`: the programs of the clang-built objects in tests/fixtures
 *   (clang.ts);
 * - `helpers`: calls of the modelled helpers with right and wrong
 *   arguments, ring buffer references, map types (helper_gen.ts);
 * - `maygoto`: the loop-budget instruction may_goto (maygoto.ts);
 * - `gen_maygoto`: gen6 with may_goto loops (can_loop and cond_break) among
 *   everything else;
 * - `global`: gen6 with its subprogram made a global function, loaded with
 *   BTF (global_gen.ts).
 *
 * @module
 */
import { encodeJson } from "../../core/formats/mod.ts";
import { type Gen6Knobs, generate6 } from "../gen6/gen.ts";
import { aluBranchProgram, type Spec } from "./alu_gen.ts";
import { limitProgram } from "./limits.ts";
import { clangProgram } from "./clang.ts";
import { directedProgram } from "./directed.ts";
import { helperProgram } from "./helper_gen.ts";
import { mayGotoProgram } from "./maygoto.ts";
import { globalProgram } from "./global_gen.ts";

function gen6(knobs: Partial<Gen6Knobs>): (seed: number) => Spec {
  return (seed) => JSON.parse(encodeJson(generate6(seed, knobs).prog));
}

const CTX_TYPES = ["socket_filter", "sched_cls", "sched_act", "xdp", "cgroup_skb"];

/** One context access: seed -> type (5) x offset (-4..187 step 1, 192) x size (4) x kind (2). */
function ctxProgram(seed: number): Spec {
  const kind = seed % 2, size = [1, 2, 4, 8][(seed >> 1) % 4];
  const off = Math.floor(seed / 8) % 192 - 4, type = CTX_TYPES[Math.floor(seed / 8 / 192) % CTX_TYPES.length];
  const sz = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }[size]!;
  const insns: Spec["insns"] = [[0xb7, 2, 0, 0, 0]];
  if (kind === 0) insns.push([0x61 | sz, 0, 1, off, 0]); // r0 = *(size *)(r1 + off)
  else insns.push([0x63 | sz, 1, 2, off, 0]); // *(size *)(r1 + off) = r2
  insns.push([0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]);
  return { insns, prog_type: type, maps: [], fixup: [] };
}

/** Generators by stage name: seed → program spec. */
export const GENERATORS: Readonly<Record<string, (seed: number) => Spec>> = {
  alu: (seed) => aluBranchProgram(seed),
  mem: gen6({ loops: 0, calls: 0 }),
  loops: gen6({ calls: 0, loops: 3 }),
  calls: gen6({ calls: 2 }),
  ctx: ctxProgram,
  limits: limitProgram,
  clang: clangProgram,
  helpers: helperProgram,
  directed: directedProgram,
  maygoto: mayGotoProgram,
  gen_maygoto: gen6({ mayGoto: 3 }),
  global: globalProgram,
};
