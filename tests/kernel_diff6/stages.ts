/**
 * The generators of the kernel comparison, one per stage of the linux-6.18
 * profile (`alu`: ALU/JMP/JMP32 on scalars; later stages add memory, loops
 * and calls).
 *
 * @module
 */
import { aluBranchProgram, type Spec } from "./alu_gen.ts";

/** Generators by stage name: seed → program spec. */
export const GENERATORS: Readonly<Record<string, (seed: number) => Spec>> = {
  alu: (seed) => aluBranchProgram(seed),
};
