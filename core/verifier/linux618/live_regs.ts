/**
 * Register liveness of Linux 6.18 (`compute_live_registers`): the
 * registers each instruction reads and writes, propagated backwards over
 * the CFG in postorder to a fixed point. `live_regs_before[i]` decides which
 * registers `states_equal` compares at insn i and which ones
 * `clean_func_state` forgets; at log level 2 the result is printed
 * (`Live regs before insn:`).
 *
 * @module
 */
import { kernel618InsnText } from "../../asm/kernel618.ts";
import { insnSuccessors } from "./cfg.ts";
import { type Env, verbose } from "./env.ts";
import { helperNumParams } from "./helpers.ts";
import { BPF_LOG_LEVEL2 } from "./log.ts";

const ALL_CALLER_SAVED = 0x3f;

/** `compute_insn_live_regs`: [use, def] of insn i. */
export function insnUseDef(env: Env, i: number): [number, number] {
  const code = env.code[i], cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
  const src = 1 << env.src[i], dst = 1 << env.dst[i], r0 = 1;
  let def = 0, use = 0xffff;
  switch (cls) {
    case 0:
      if (mode === 0 && (code & 0x18) === 0x18) {
        def = dst;
        use = 0;
      }
      break;
    case 1:
      if (mode === 0x60 || mode === 0x80) {
        def = dst;
        use = src;
      }
      break;
    case 2:
      if (mode === 0x60) {
        def = 0;
        use = dst;
      }
      break;
    case 3:
      if (mode === 0x60) {
        def = 0;
        use = dst | src;
      } else if (mode === 0xc0) {
        const imm = env.imm[i];
        if (imm === 0xf1) {
          use = r0 | dst | src;
          def = r0;
        } else if (imm === 0x100) {
          def = dst;
          use = src;
        } else if (imm === 0x110) {
          def = 0;
          use = dst | src;
        } else {
          use = dst | src;
          def = imm & 1 ? src : 0;
        }
      }
      break;
    case 4:
    case 7:
      if (op === 0xd0) {
        use = dst;
        def = dst;
      } else if (op === 0xb0) {
        def = dst;
        use = code & 8 ? src : 0;
      } else {
        def = dst;
        use = code & 8 ? dst | src : dst;
      }
      break;
    case 5:
    case 6:
      if (op === 0x00 || op === 0xe0) {
        def = 0;
        use = 0;
      } else if (op === 0x90) {
        def = 0;
        use = r0;
      } else if (op === 0x80) {
        def = ALL_CALLER_SAVED;
        use = def & ~1;
        if (env.src[i] === 0 && env.progType?.helpers.has(env.imm[i])) {
          const n = helperNumParams(env.imm[i], env.progType.type);
          if (n >= 0) use = ((1 << (n + 1)) - 1) & ~1; // GENMASK(num_params, 1)
        }
      } else {
        def = 0;
        use = code & 8 ? dst | src : dst;
      }
      break;
  }
  return [use & 0xffff, def & 0xffff];
}

/** `compute_live_registers(env)`. */
export function computeLiveRegisters(env: Env): void {
  const n = env.len;
  const use = new Uint16Array(n), def = new Uint16Array(n), inn = new Uint16Array(n), out = new Uint16Array(n);
  for (let i = 0; i < n; i++) [use[i], def[i]] = insnUseDef(env, i);
  const succ = new Int32Array(2);
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = 0; k < env.curPostorder; k++) {
      const i = env.postorder[k];
      const m = insnSuccessors(env, i, succ);
      let nout = 0;
      for (let s = 0; s < m; s++) nout |= inn[succ[s]];
      const nin = (nout & ~def[i]) | use[i];
      if (nout !== out[i] || nin !== inn[i]) {
        inn[i] = nin;
        out[i] = nout;
        changed = true;
      }
    }
  }
  env.liveRegsBefore.set(inn);
  if (env.log.level & BPF_LOG_LEVEL2) {
    verbose(env, "Live regs before insn:\n");
    for (let i = 0; i < n; i++) {
      let line = env.scc[i] ? String(env.scc[i]).padStart(3) + " " : "    ";
      line += String(i).padStart(3) + ": ";
      for (let j = 0; j < 10; j++) line += inn[i] & (1 << j) ? String(j) : ".";
      const m = env.mapIndex[i];
      line += " " + kernel618InsnText(
        env.code[i],
        env.dst[i],
        env.src[i],
        env.off[i],
        env.imm[i],
        i + 1 < n ? env.imm[i + 1] : 0,
        m >= 0 ? env.mapAddr[m] + BigInt(env.mapOff[i]) : undefined,
      );
      verbose(env, line + "\n");
      if (env.code[i] === 0x18) i++;
    }
  }
}
