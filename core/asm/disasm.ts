/**
 * Whole-program disassembly in the kernel 3.18 log style or the llvm style.
 *
 * @module
 */
import type { Program } from "../isa/program.ts";
import { kernelInsnText } from "./kernel.ts";
import { fixupNames, llvmInsnWithWidth } from "./llvm.ts";

/** Options of {@link disassemble}. */
export interface DisasmOptions {
  /** `llvm` (default): `   0: r0 = 1`; `kernel`: `0: (b7) r0 = 1`, as the 3.18 verifier log. */
  style?: "kernel" | "llvm";
}

/**
 * Disassemble a program, one line per instruction, each ending in `\n`.
 *
 * An LD_IMM64 takes two indexes: the next line's index is two higher. In the
 * llvm style the index is right-aligned in 4 columns (`   0: `), as
 * llvm-objdump prints it; in the kernel style it is `%d: ` as in the
 * verifier log. The llvm output re-assembles into the same bytes.
 */
export function disassemble(p: Program, opts: DisasmOptions = {}): string {
  let out = "";
  if (opts.style === "kernel") {
    for (let i = 0; i < p.len; i++) {
      out += i + ": " + kernelInsnText(p, i) + "\n";
      if (p.code(i) === 0x18 && i + 1 < p.len) i++;
    }
    return out;
  }
  const o = { mapNames: fixupNames(p) };
  for (let i = 0; i < p.len;) {
    const [t, w] = llvmInsnWithWidth(p, i, o);
    out += (i < 1000 ? String(i).padStart(4) : String(i)) + ": " + t + "\n";
    i += w;
  }
  return out;
}
