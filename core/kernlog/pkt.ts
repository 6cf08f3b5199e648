/**
 * Packet ranges in a rebuilt state: what `find_good_pkt_pointers` does when
 * a jump compares a packet pointer with the end of the packet (or a meta
 * pointer with the packet's start). The kernel prints the compared
 * registers; every other packet pointer with the same type and id (copies,
 * spills, the caller's registers) gets the checked range too, silently.
 *
 * Only the fall-through state is the log's current one, so only the four
 * cases of `try_match_pkt_pointers` that mark `this_branch` apply here
 * (`pkt > pkt_end`, `pkt >= pkt_end`, `pkt_end < pkt`, `pkt_end <= pkt`, and
 * their `pkt_meta`/`pkt` forms); the jumped-to state is printed whole when
 * the walk resumes it.
 *
 * @module
 */
import { NO_RANGE, parseRegValue, printRegValue, type RegValue } from "./value.ts";
import type { LinkedFrame } from "./linked.ts";

/** `MAX_PACKET_OFF`. */
const MAX_PACKET_OFF = 0xffff;

const JGT = 0x20, JGE = 0x30, JLT = 0xa0, JLE = 0xb0;

function valueOf(text: string | null): RegValue | null {
  if (text === null) return null;
  try {
    return parseRegValue(text);
  } catch {
    return null;
  }
}

/** `reg_is_init_pkt_pointer(reg, PTR_TO_PACKET)`. */
function isInitPkt(v: RegValue): boolean {
  return v.type === "pkt" && v.id === 0 && v.off === 0 && v.varOff.mask === 0n && v.varOff.value === 0n;
}

const rangeOf = (v: RegValue) => v.range === NO_RANGE ? 0 : v.range;

/**
 * After a 64-bit register comparison whose line printed the compared
 * registers: give the packet pointers that share the checked one's type and
 * id the range the check proved, as the kernel does.
 *
 * @param frames the rebuilt state's frames (changed in place)
 * @param cur the current frame
 * @param code the jump's opcode byte
 * @param dst the destination register
 * @param src the source register
 * @param changed whether the jump's line printed a compared register changed, or the walk later resumed a
 *   branch the jump pushed (a jump the kernel decided checks nothing)
 */
export function findGoodPktPointers(
  frames: LinkedFrame[],
  cur: number,
  code: number,
  dst: number,
  src: number,
  changed: boolean,
): void {
  // BPF_JMP (not JMP32), BPF_X
  if (!changed || (code & 0x07) !== 0x05 || !(code & 0x08)) return;
  const f = frames[cur];
  if (!f) return;
  const d = valueOf(f.regs[dst]), s = valueOf(f.regs[src]);
  if (d === null || s === null) return;
  const dstChecked = (d.type === "pkt" && s.type === "pkt_end") || (d.type === "pkt_meta" && isInitPkt(s));
  const srcChecked = !dstChecked &&
    ((d.type === "pkt_end" && s.type === "pkt") || (isInitPkt(d) && s.type === "pkt_meta"));
  const op = code & 0xf0;
  let t: RegValue, open: boolean;
  if (op === JGT && dstChecked) [t, open] = [d, false];
  else if (op === JGE && dstChecked) [t, open] = [d, true];
  else if (op === JLT && srcChecked) [t, open] = [s, false];
  else if (op === JLE && srcChecked) [t, open] = [s, true];
  else return;
  if (t.off < 0 || (t.off === 0 && open)) return;
  // a pointer with a known variable part prints no bounds: its umax is that value
  const umax = t.varOff.mask === 0n ? t.varOff.value : t.umax;
  if (umax > BigInt(MAX_PACKET_OFF) || umax + BigInt(t.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = t.off + (open ? 1 : 0);
  const widen = (text: string | null): string | null => {
    if (text === null || !text.includes(t.type)) return null;
    const v = valueOf(text);
    if (v === null || v.type !== t.type || v.id !== t.id || rangeOf(v) >= newRange) return null;
    v.range = newRange;
    return printRegValue(v);
  };
  for (const fr of frames) {
    for (let r = 0; r < fr.regs.length; r++) {
      const w = widen(fr.regs[r]);
      if (w !== null) fr.regs[r] = w;
    }
    for (const [off, text] of fr.slots) {
      const w = widen(text);
      if (w !== null) fr.slots.set(off, w);
    }
  }
}
