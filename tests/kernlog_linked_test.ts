/**
 * Linked scalars and packet ranges in kernlog's rebuilt state. The kernel
 * prints only the compared registers after a conditional jump; the
 * registers and spilled slots linked with them change silently
 * (`sync_linked_regs`), and so do the copies of a packet pointer a check
 * proved a range for (`find_good_pkt_pointers`). The log
 * shows what they became at their next use: a copy `rX = rY` prints rY, a
 * spill prints the slot, a fill prints the register filled. Every such use
 * in the corpus (tests/data/kernlog, with 400 programs built for this by
 * tests/kernlog/record_linked.py) is compared with the rebuilt state just
 * before it.
 */
import assert from "node:assert/strict";
import {
  findGoodPktPointers,
  LineKind,
  LINKED_REGS_MAX,
  parseLog,
  parseLogInsn,
  parseRegValue,
  type RegValue,
  stateEntries,
  StateTracker,
  syncLinkedScalars,
} from "../core/kernlog/mod.ts";
import { corpusLogs } from "./kernlog_corpus.ts";

/** The bounds of a scalar, and its id when `withId` (precision aside), or null for anything else. */
function bounds(text: string, withId: boolean): string | null {
  let v: RegValue;
  try {
    v = parseRegValue(text);
  } catch {
    return null;
  }
  if (v.kind === "pkt" || v.kind === "pkt_meta") {
    // a packet pointer: its range too (find_good_pkt_pointers gives it to the copies of a checked one)
    return [v.type, v.id, v.off, v.range, v.smin, v.smax, v.umin, v.umax, v.varOff.value, v.varOff.mask].join(",");
  }
  if (v.kind !== "scalar") return null;
  const id = withId ? `id=${v.id}${v.addConst ?? ""}` : "";
  return [id, v.smin, v.smax, v.umin, v.umax, v.s32min, v.s32max, v.u32min, v.u32max, v.varOff.value, v.varOff.mask]
    .join(",");
}

/** Uses of scalars that had an id, at least (6,055 in the corpus when this was written). */
const LINKED_USES_MIN = 5_000;

Deno.test("kernlog: linked scalars in the rebuilt state are what the kernel shows at their next use", async () => {
  let uses = 0, linkedUses = 0, pktUses = 0;
  const differ: string[] = [];
  for (const c of await corpusLogs()) {
    if (c.level !== 2) continue;
    for (const log of parseLog(c.text)) {
      const tr = new StateTracker(log);
      // registers and slots whose base id a conditional jump narrowed since they were last printed
      for (let i = 0; i < log.lines.length; i++) {
        if (log.kind(i) !== LineKind.Insn) continue;
        const x = parseLogInsn(log.lineInsnText(i));
        const mov = x.op === "mov_reg" && x.code === 0xbf && x.dst !== x.src && !/\(s\d+\)/.test(x.text);
        const spill = x.op === "store" && x.code === 0x7b && x.dst === 10 && x.src !== 10;
        const fill = x.op === "load" && x.code === 0x79 && x.src === 10 && x.dst !== 10;
        if (!mov && !spill && !fill) continue;
        const s = log.lineState(i);
        if (s === null) continue;
        const want = mov ? `R${x.src}=` : spill ? `fp${x.off}=` : `R${x.dst}=`;
        const printed = stateEntries(s).find((e) => e.startsWith(want));
        if (!printed) continue;
        const st = tr.at(i);
        const f = st.frames[st.cur];
        const mine = fill ? f?.slots.get(x.off) : f?.regs[x.src];
        if (!mine) continue;
        // ids too, where the use keeps them: a copy or spill gives a scalar without an id a new one, and one
        // linked with an added constant (`id=N+K`) a new one as well (assign_scalar_id_before_mov)
        const keepsId = /id=\d+[,)]/.test(mine);
        const a = bounds(mine, keepsId), b = bounds(printed.slice(printed.indexOf("=") + 1), keepsId);
        if (a === null || b === null) continue;
        uses++;
        if (/id=/.test(mine)) linkedUses++;
        if (/^pkt/.test(mine)) pktUses++;
        if (a !== b && differ.length < 5) differ.push(`${c.name} line ${i}: rebuilt ${mine}, kernel ${printed}`);
      }
    }
  }
  assert.deepEqual(differ, []);
  // the corpus has what this needs: thousands of uses, many of scalars that had an id
  assert.ok(uses > 9_000, `${uses} uses`);
  assert.ok(pktUses > 2_000, `${pktUses} uses of packet pointers`);
  assert.ok(linkedUses > LINKED_USES_MIN, `${linkedUses} uses of linked scalars`);
});

Deno.test("kernlog: syncLinkedScalars copies across frames, skips dead registers, stops at the limit", () => {
  const frame = () => ({ regs: new Array<string | null>(11).fill(null), slots: new Map<number, string>() });
  const frames = [frame(), frame()];
  const unknown = "scalar(id=3)";
  // frame 0 (the caller): r6 a copy, fp-8 a spilled copy, fp-16 one plus 4; frame 1: r1 the compared one
  frames[0].regs[6] = unknown;
  frames[0].slots.set(-8, unknown);
  frames[0].slots.set(-16, "scalar(id=3+4)");
  frames[1].regs[2] = "scalar(id=3+10)";
  const narrowed = "scalar(id=3,smin=smin32=0,smax=umax=smax32=umax32=100,var_off=(0x0; 0x7f))";
  frames[1].regs[1] = narrowed;
  syncLinkedScalars(frames, 1, [{ reg: 1, before: unknown }]);
  assert.equal(frames[0].regs[6], narrowed);
  assert.equal(frames[0].slots.get(-8), narrowed);
  // linked with another added constant: moved by the difference, bounds synchronised, own id and offset kept
  assert.equal(
    frames[0].slots.get(-16),
    "scalar(id=3+4,smin=umin=smin32=umin32=4,smax=umax=smax32=umax32=104,var_off=(0x0; 0x7f))",
  );
  assert.equal(
    frames[1].regs[2],
    "scalar(id=3+10,smin=umin=smin32=umin32=10,smax=umax=smax32=umax32=110,var_off=(0x0; 0x7f))",
  );

  // narrowed to a constant: printed without its id, the id it had before the jump finds the copies
  const g = [frame()];
  g[0].regs[3] = "scalar(id=5)";
  g[0].regs[5] = "scalar(id=6)";
  g[0].regs[1] = "7";
  syncLinkedScalars(g, 0, [{ reg: 1, before: "scalar(id=5)" }]);
  assert.equal(g[0].regs[3], "7");
  assert.equal(g[0].regs[5], "scalar(id=6)", "another id is left alone");

  // a jump that changed nothing it printed (the kernel decided it) syncs nothing
  const h = [frame()];
  h[0].regs[1] = "scalar(id=1)";
  h[0].regs[2] = "Pscalar(id=1)";
  syncLinkedScalars(h, 0, [{ reg: 1, before: "scalar(id=1)" }]);
  assert.equal(h[0].regs[2], "Pscalar(id=1)");

  // more than LINKED_REGS_MAX live ones: those collected after the limit lose their id and are not narrowed;
  // a dead register (r1 here) is neither collected nor narrowed, and keeps its id
  const m = [frame()];
  for (let r = 0; r < 10; r++) m[0].regs[r] = "scalar(id=9)";
  const one = "scalar(id=9,smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))";
  m[0].regs[6] = one;
  syncLinkedScalars(m, 0, [{ reg: 6, before: "scalar(id=9)" }], () => 0x3ff & ~(1 << 1));
  assert.deepEqual(m[0].regs.slice(0, 10), [
    one, // r0
    "scalar(id=9)", // r1: dead
    one,
    one,
    one,
    one,
    one, // r6: the compared one, the sixth collected
    "scalar()",
    "scalar()",
    "scalar()",
  ]);
  assert.equal(LINKED_REGS_MAX, 6);
});

Deno.test("kernlog: findGoodPktPointers gives a checked pointer's range to its copies, in this branch only", () => {
  const frame = () => ({ regs: new Array<string | null>(11).fill(null), slots: new Map<number, string>() });
  const setup = () => {
    const f = [frame(), frame()];
    f[0].regs[7] = "pkt(r=0)"; // a caller's copy
    f[1].regs[2] = "pkt(r=0)";
    f[1].regs[4] = "pkt(r=0)";
    f[1].regs[6] = "pkt(id=3,r=0)"; // another id: not the checked pointer's
    f[1].slots.set(-8, "pkt(r=0)");
    f[1].regs[3] = "pkt_end()";
    f[1].regs[5] = "pkt(off=8,r=8)"; // r5 = r2 + 8, printed after the check
    return f;
  };
  // if r5 > r3 (JGT, X): the fall-through has [pkt, pkt + 8) in bounds
  let f = setup();
  findGoodPktPointers(f, 1, 0x2d, 5, 3, true);
  assert.deepEqual([f[0].regs[7], f[1].regs[2], f[1].regs[4], f[1].slots.get(-8)], new Array(4).fill("pkt(r=8)"));
  assert.equal(f[1].regs[6], "pkt(id=3,r=0)");
  // if r5 >= r3: the fall-through has r5 < end, so one byte more (range_right_open: off + 1)
  f = setup();
  findGoodPktPointers(f, 1, 0x3d, 5, 3, true);
  assert.equal(f[1].regs[2], "pkt(r=9)");
  // if r5 < r3 proves the range in the jumped-to branch, not here; a JMP32 compares no pointers; a decided jump nothing
  for (const [code, changed] of [[0xad, true], [0x2e, true], [0x2d, false]] as const) {
    f = setup();
    findGoodPktPointers(f, 1, code, 5, 3, changed);
    assert.equal(f[1].regs[2], "pkt(r=0)", `code ${code.toString(16)}`);
  }
  // if r3 < r5 (the end as the destination): the fall-through has the range
  f = setup();
  findGoodPktPointers(f, 1, 0xad, 3, 5, true);
  assert.equal(f[1].regs[4], "pkt(r=8)");
});
