/**
 * Linked scalars in a rebuilt state: what `sync_linked_regs` does to the
 * registers and spilled slots that share a scalar's id when a conditional
 * jump narrows it. The kernel prints only the compared registers after the
 * jump; the others it changed silently, so a replay of the log alone would
 * keep their old values until the next whole state.
 *
 * Mirrors `collect_linked_regs` of 6.18.y (frames from the current one
 * down, the registers live before the jump, or before the call for an outer
 * frame, as the log's `Live regs before insn:` table says, then the spilled
 * slots; at most `LINKED_REGS_MAX` entries, the id of any further one reset)
 * and `sync_linked_regs`: a register or slot linked with the same added
 * constant (or none) becomes a copy of the narrowed register; one linked
 * with a different constant becomes that copy moved by the difference, with
 * its bounds synchronised, by the linux-6.18 verifier's own code
 * (`syncLinkedDelta`). The log prints an added constant of a 64-bit and of a
 * 32-bit add alike; it is taken for a 64-bit one.
 *
 * @module
 */
import { parseRegValue, printRegValue, type RegValue } from "./value.ts";
import { syncLinkedDelta } from "../verifier/linux618/jmp.ts";
import { BPF_ADD_CONST64, RegState, SCALAR_VALUE } from "../verifier/linux618/reg.ts";
import { regValueOf } from "../verifier/linux618/print.ts";

/** One frame of a rebuilt state, as {@link syncLinkedScalars} needs it (see `FrameText` in state.ts). */
export interface LinkedFrame {
  /** Register entries, index 0..10; null when not initialised or never printed. */
  regs: Array<string | null>;
  /** Spilled stack slots: offset (negative) -> the value text. */
  slots: Map<number, string>;
}

/** At most this many registers and slots are linked by one jump (the kernel's `LINKED_REGS_MAX`). */
export const LINKED_REGS_MAX = 6;

/** A scalar's id as printed (`id=N` with an optional `+M`); null for anything else or no id. */
function scalarOf(text: string | null): RegValue | null {
  if (text === null || !text.includes("id=")) return null;
  try {
    const v = parseRegValue(text);
    return v.kind === "scalar" && v.id ? v : null;
  } catch {
    return null;
  }
}

interface Linked {
  frame: number;
  /** A register number, or the slot's offset when `slot`. */
  at: number;
  slot: boolean;
}

const read = (frames: LinkedFrame[], e: Linked): string | null =>
  e.slot ? frames[e.frame].slots.get(e.at) ?? null : frames[e.frame].regs[e.at];

function write(frames: LinkedFrame[], e: Linked, text: string): void {
  if (e.slot) frames[e.frame].slots.set(e.at, text);
  else frames[e.frame].regs[e.at] = text;
}

/**
 * `collect_linked_regs` (on the state before the jump: `before` holds the compared registers' texts then):
 * append the scalars whose base id is `id`; ids of those past the limit are reset.
 */
function collect(
  frames: LinkedFrame[],
  cur: number,
  id: number,
  before: Map<number, string | null>,
  liveOf: (frame: number) => number,
  out: Linked[],
  reset: Set<number>,
) {
  const visit = (e: Linked) => {
    const compared = !e.slot && e.frame === cur && before.has(e.at);
    const v = scalarOf(compared ? before.get(e.at)! : read(frames, e));
    if (v === null || v.id !== id) return;
    if (out.length < LINKED_REGS_MAX) out.push(e);
    else if (compared) {
      // a compared register past the limit loses its id before the jump narrows it: nothing is synced
      // from it, and what the kernel printed after the jump already shows it without one
      reset.add(e.at);
    } else {
      v.id = 0;
      v.addConst = null;
      write(frames, e, printRegValue(v));
    }
  };
  for (let f = Math.min(cur, frames.length - 1); f >= 0; f--) {
    const live = liveOf(f);
    for (let r = 0; r < 10; r++) if (live & (1 << r)) visit({ frame: f, at: r, slot: false });
    const offs = [...frames[f].slots.keys()].filter((o) => o < 0 && o % 8 === 0).sort((a, b) => b - a);
    for (const o of offs) visit({ frame: f, at: o, slot: true });
  }
}

/**
 * After a conditional jump whose line printed the compared registers: give
 * the scalars linked with them what the kernel gave them.
 *
 * @param frames the rebuilt state's frames (changed in place)
 * @param cur the current frame
 * @param compared the compared registers, in the kernel's order (the source register of a register
 *   comparison first, then the destination), with their texts before the jump
 * @param liveOf the registers live in a frame (bit N: rN), before the jump in the current frame and before the
 *   call in an outer one (all when unknown)
 * @param pushed the jump pushed a branch (the log resumes it later), so the kernel did not decide it
 */
export function syncLinkedScalars(
  frames: LinkedFrame[],
  cur: number,
  compared: ReadonlyArray<{ reg: number; before: string | null }>,
  liveOf: (frame: number) => number = () => 0x3ff,
  pushed = false,
): void {
  const f = frames[cur];
  if (!f) return;
  // a jump the kernel decided links nothing and prints its registers unchanged; one that printed them
  // unchanged and pushed no branch the log shows is taken for decided
  const changed = compared.some((c) => f.regs[c.reg] !== null && f.regs[c.reg] !== c.before);
  if (!pushed && !changed) return;
  const linked: Linked[] = [];
  const reset = new Set<number>();
  const before = new Map(compared.map((c) => [c.reg, c.before]));
  // a constant prints without its id: the id is the one the register had before the jump
  const was = compared.map((c) => scalarOf(c.before));
  compared.forEach((c, i) => {
    // a compared register the first collection went past the limit on has no id left to collect by
    if (was[i] !== null && !reset.has(c.reg)) collect(frames, cur, was[i]!.id, before, liveOf, linked, reset);
  });
  const known: Array<{ reg: number; id: number; addConst: number | null }> = [];
  compared.forEach((c, i) => {
    const w = was[i];
    if (w !== null && f.regs[c.reg] !== null && !reset.has(c.reg)) {
      known.push({ reg: c.reg, id: w.id, addConst: w.addConst });
    }
  });
  for (const k of known) {
    const text = f.regs[k.reg]!;
    let kv: RegValue;
    try {
      kv = parseRegValue(text);
    } catch {
      continue;
    }
    if (kv.kind !== "scalar") continue;
    let knownReg: RegState | null = null;
    for (const e of linked) {
      if (!e.slot && e.frame === cur && e.at === k.reg) continue;
      const v = scalarOf(read(frames, e));
      if (v === null || v.id !== k.id) continue;
      if (v.addConst === k.addConst) {
        // copy_register_state: the same added constant (or none)
        write(frames, e, kv.id === k.id ? text : printRegValue({ ...kv, id: k.id, addConst: k.addConst }));
      } else {
        const reg = regStateOf(v, v.id, v.addConst);
        syncLinkedDelta(reg, knownReg ??= regStateOf(kv, k.id, k.addConst));
        write(frames, e, printRegValue(regValueOf(e.frame, reg, [])));
      }
    }
  }
}

/** A scalar of the log as the linux-6.18 verifier holds it, with the id and added constant given. */
function regStateOf(v: RegValue, id: number, addConst: number | null): RegState {
  const r = new RegState();
  r.type = SCALAR_VALUE;
  r.id = addConst === null ? id : (id | BPF_ADD_CONST64) >>> 0;
  r.off = addConst ?? 0;
  r.precise = v.precise;
  r.varOff = { value: v.varOff.value, mask: v.varOff.mask };
  r.smin = v.smin;
  r.smax = v.smax;
  r.umin = v.umin;
  r.umax = v.umax;
  r.s32min = BigInt(v.s32min);
  r.s32max = BigInt(v.s32max);
  r.u32min = BigInt(v.u32min);
  r.u32max = BigInt(v.u32max);
  return r;
}
