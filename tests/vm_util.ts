/**
 * Test helpers for the interpreter tests: build programs from the JSON slot
 * lists of the shared data (core/formats may not be available yet).
 *
 * @module
 */
import { Program } from "../core/isa/mod.ts";

/** A program from `[opcode, dst, src, off, imm]` slots. */
export function progFromSlots(slots: number[][]): Program {
  return Program.fromInsns(slots.map(([code, dst, src, off, imm]) => ({ code, dst, src, off, imm })));
}

/** The directory of this file. */
export const TESTS_DIR: string = new URL(".", import.meta.url).pathname;

/** The four bench programs with their expectations. */
export function benchPrograms(): Array<{ name: string; prog: Program; r0: bigint; insns: number }> {
  const exp = JSON.parse(Deno.readTextFileSync(`${TESTS_DIR}data/bench/expected.json`)).programs;
  return ["alu_loop", "fib32", "memory", "branchy"].map((name) => ({
    name,
    prog: progFromSlots(JSON.parse(Deno.readTextFileSync(`${TESTS_DIR}data/bench/${name}.json`))),
    r0: BigInt(exp[name].expected_r0_u64_decimal_string),
    insns: exp[name].executed_insns,
  }));
}

/** input256.mem. */
export function benchInput(): Uint8Array {
  return Deno.readFileSync(`${TESTS_DIR}data/bench/input256.mem`);
}
