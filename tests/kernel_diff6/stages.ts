/**
 * The generators of the kernel comparison, one per stage of the linux-6.18
 * profile:
 *
 * - `alu`: ALU/JMP/JMP32 on scalars (alu_gen.ts);
 * - `mem`: issue 12's generator (tests/gen6/gen.ts) without loops and
 *   calls: stack, ctx, map values, packets, helpers and its deliberate bugs;
 * - `loops`: the same with bounded loops;
 * - `calls`: everything, bpf-to-bpf calls included.
 *
 * @module
 */
import { encodeJson } from "../../core/formats/mod.ts";
import { type Gen6Knobs, generate6 } from "../gen6/gen.ts";
import { aluBranchProgram, type Spec } from "./alu_gen.ts";

function gen6(knobs: Partial<Gen6Knobs>): (seed: number) => Spec {
  return (seed) => JSON.parse(encodeJson(generate6(seed, knobs).prog));
}

/** Generators by stage name: seed → program spec. */
export const GENERATORS: Readonly<Record<string, (seed: number) => Spec>> = {
  alu: (seed) => aluBranchProgram(seed),
  mem: gen6({ loops: 0, calls: 0 }),
  loops: gen6({ calls: 0, loops: 3 }),
  calls: gen6({ calls: 2 }),
};
