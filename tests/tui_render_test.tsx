// Ink renders nothing while CI is set: clear it before Ink is loaded.
Deno.env.delete("CI");
import assert from "node:assert/strict";
import type { Frame } from "../tui/model.ts";
import { computeLayout, initialUi } from "../tui/model.ts";
import { GALLERY } from "../tui/gallery.ts";
import type { StateView } from "../tui/engine.ts";

const { render } = await import("ink-testing-library");
const { Screen } = await import("../tui/app.tsx");
const { InsnPanel, rowText } = await import("../tui/panels/insns.tsx");
const { StatePanel, flow, stateTokens } = await import("../tui/panels/state.tsx");
const { BudgetPanel, LogPanel, PendingPanel, VerdictPanel } = await import("../tui/panels/walk.tsx");

const S0: StateView = {
  regs: [{ reg: 0, type: "map_value", text: "map_value(ks=8,vs=8)" }, { reg: 1, type: "ctx", text: "ctx" }, {
    reg: 10,
    type: "fp",
    text: "fp",
  }],
  stack: [{ off: -8, size: 8, text: "misc", spill: false }],
};

const TEXTS = [
  "(7a) *(u64 *)(r10 -8) = 0",
  "(bf) r2 = r10",
  "(07) r2 += -8",
  "(18) r1 = 0x1",
  "",
  "(85) call 0",
  "(15) if r0 == 0x0 goto pc+1",
  "(7a) *(u64 *)(r0 +4) = 0",
  "(95) exit",
];

/** A hand-made frame: the misaligned example stopped at the error. */
function makeFrame(over: Partial<Frame> = {}, cols = 80, rows = 24): Frame {
  const layout = computeLayout(cols, rows);
  return {
    title: "misaligned map access",
    profile: "linux-3.18",
    pruning: true,
    t: 8,
    event: "branch",
    pc: 6,
    len: 9,
    rows: TEXTS.map((text, idx) => ({
      idx,
      text,
      heat: idx === 4 || idx === 8 ? 0 : 1,
      current: idx === 6,
      onPath: idx <= 6 && idx !== 4,
      pruning: idx === 8,
      breakpoint: idx === 5,
      error: false,
      cursor: false,
      continuation: idx === 4,
    })),
    pendingDepth: 1,
    pending: [{ from: 6, to: 8 }],
    budget: { processed: 7, limit: 32768, stored: 0, prunes: 0 },
    state: S0,
    matched: null,
    log: ["0: (7a) *(u64 *)(r10 -8) = 0", "6: (15) if r0 == 0x0 goto pc+1", " R0=map_value(ks=8,vs=8) R10=fp"],
    logTotal: 8,
    verdict: null,
    path: [],
    breakpoints: 1,
    ui: initialUi(),
    layout,
    color: false,
    ...over,
  };
}

function lines(s: string | undefined): string[] {
  return (s ?? "").split("\n");
}

Deno.test("render: instruction panel marks current, path, breakpoint, pruning point, heat", () => {
  const f = makeFrame();
  const r = render(<InsnPanel frame={f} width={46} height={10} />);
  const out = lines(r.lastFrame());
  assert.equal(out.length, 11);
  assert.match(out[0], /─ instructions .*0-8\/9/);
  const cur = out.find((l) => l.includes("6: (15)"))!;
  assert.match(cur, /▶/);
  assert.match(out.find((l) => l.includes("5: (85)"))!, /●│/);
  assert.match(out.find((l) => l.includes("8: (95)"))!, /◆/);
  assert.match(out.find((l) => l.includes("0: (7a)"))!, /^\s+1▁/);
  for (const l of out) assert.ok(l.length <= 46, l);
  r.unmount();
});

Deno.test("render: row text without colour is readable", () => {
  const row = makeFrame().rows[7];
  assert.equal(rowText({ ...row, error: true }, 3, 46).trimEnd(), "    1▁  ✗    7: (7a) *(u64 *)(r0 +4) = 0");
  assert.equal(rowText({ ...row, heat: 12345, cursor: true, onPath: true }, 3, 30), "› 12k█  │    7: (7a) *(u64 *)…");
});

Deno.test("render: state panel shows registers and stack like the log", () => {
  const r = render(<StatePanel frame={makeFrame()} width={33} height={4} />);
  const out = lines(r.lastFrame());
  assert.match(out[0], /─ state .* at 6/);
  assert.equal(out[1].trim(), "R0=map_value(ks=8,vs=8) R1=ctx");
  assert.equal(out[2].trim(), "R10=fp fp-8=misc/8");
  r.unmount();
  assert.deepEqual(flow(stateTokens(S0), 20), ["R0=map_value(ks=8,vs=8)", "R1=ctx R10=fp", "fp-8=misc/8"]);
});

Deno.test("render: on a prune the stored state is shown beside the current one", () => {
  const matched: StateView = {
    regs: [{ reg: 0, type: "inv", text: "inv" }, { reg: 10, type: "fp", text: "fp" }],
    stack: [],
  };
  const f = makeFrame({ event: "prune", matched });
  const wide = render(<StatePanel frame={f} width={60} height={4} />);
  const w = lines(wide.lastFrame());
  assert.match(w[0], /PRUNED/);
  assert.match(w[1], /current\s+stored \(matched → prune\)/);
  assert.match(w[2], /R0=map_value.*│R0=inv R10=fp/);
  wide.unmount();
  const narrow = render(<StatePanel frame={f} width={33} height={6} />);
  const n = lines(narrow.lastFrame()).join("\n");
  assert.match(n, /current:\nR0=map_value/);
  assert.match(n, /stored \(matched → prune\):\nR0=inv R10=fp/);
  narrow.unmount();
});

Deno.test("render: pending stack, budget and log", () => {
  const f = makeFrame({
    pendingDepth: 12,
    pending: [{ from: 9, to: 12 }, { from: 7, to: 10 }, { from: 5, to: 8 }],
    budget: { processed: 16384, limit: 32768, stored: 3, prunes: 2 },
  });
  const p = render(<PendingPanel frame={f} width={33} height={3} />);
  const pl = lines(p.lastFrame());
  assert.match(pl[0], /pending branches .*depth 12/);
  assert.match(pl[1], /12 {2}from 9 to 12 {2}← next/);
  assert.match(pl[2], /11 {2}from 7 to 10/);
  assert.match(pl[3], /… 10 more below/);
  p.unmount();
  const b = render(<BudgetPanel frame={f} width={33} />);
  const bl = lines(b.lastFrame());
  assert.match(bl[0], /budget .*50\.0%/);
  assert.match(bl[1], /^█{10,}.*16384\/32768$/);
  assert.match(bl[2], /stored 3 {2}pruned 2 {2}pruning on/);
  b.unmount();
  const empty = render(<PendingPanel frame={makeFrame({ pendingDepth: 0, pending: [] })} width={33} height={2} />);
  assert.match(lines(empty.lastFrame())[1], /\(empty\)/);
  empty.unmount();
  const l = render(<LogPanel frame={f} width={46} height={4} />);
  const ll = lines(l.lastFrame());
  assert.match(ll[0], /─ log .*8 lines/);
  assert.equal(ll[3].trimEnd(), " R0=map_value(ks=8,vs=8) R10=fp");
  l.unmount();
});

Deno.test("render: end screens (accepted, rejected with explain path)", () => {
  const acc = makeFrame({
    event: "accept",
    verdict: { accepted: true },
    budget: { processed: 7, limit: 32768, stored: 1, prunes: 1 },
  });
  const a = render(<VerdictPanel frame={acc} width={33} height={4} />);
  assert.match(a.lastFrame()!, /✓ ACCEPTED/);
  assert.match(a.lastFrame()!, /processed 7 insns/);
  a.unmount();
  const rej = makeFrame({
    event: "error",
    pc: 7,
    verdict: { accepted: false, errno: "EACCES", message: "misaligned access off 4 size 8", insn: 7 },
    errorText: "(7a) *(u64 *)(r0 +4) = 0",
    path: [0, 1, 2, 3, 5, 6, 7],
  });
  const rr = render(<VerdictPanel frame={rej} width={33} height={7} />);
  const out = rr.lastFrame()!;
  assert.match(out, /✗ REJECTED \(EACCES\)/);
  assert.match(out, /misaligned access off 4 size 8/);
  assert.match(out, /at insn 7: \(7a\) \*\(u64 \*\)\(r0 \+4\)/);
  assert.match(out, /path: 0 → 1 → 2 → 3 → 5 → 6/);
  rr.unmount();
  const ex = makeFrame({
    event: "error",
    verdict: { accepted: false, message: "R0 invalid mem access 'imm'", insn: 7, explain: ["from 6 to 7: R0=imm0"] },
  });
  const er = render(<VerdictPanel frame={ex} width={40} height={5} />);
  assert.match(er.lastFrame()!, /from 6 to 7: R0=imm0/);
  er.unmount();
});

for (const [cols, rows] of [[80, 24], [100, 30], [140, 45]]) {
  Deno.test(`render: whole screen fits ${cols}x${rows}`, () => {
    const f = makeFrame({}, cols, rows);
    const r = render(<Screen frame={f} gallery={GALLERY} />);
    const out = lines(r.lastFrame());
    assert.equal(out.length, rows - 1);
    for (const l of out) assert.ok(l.length <= cols, `${l.length} > ${cols}: ${l}`);
    assert.match(out[0], /bpfscope · misaligned map acc.* · step 8 · BRANCH pushed @6/);
    assert.match(out[out.length - 1], /s step {2}n next event/);
    const all = out.join("\n");
    for (const t of ["instructions", "state", "pending branches", "budget", "log"]) {
      assert.ok(all.includes(`─ ${t} `), t);
    }
    r.unmount();
  });
}

Deno.test("render: the end screen replaces nothing else: verdict above state", () => {
  const f = makeFrame({ event: "error", verdict: { accepted: false, message: "boom", insn: 7 }, path: [0, 7] });
  const r = render(<Screen frame={f} gallery={GALLERY} />);
  const all = r.lastFrame()!;
  assert.ok(all.indexOf("─ verdict") < all.indexOf("─ state"));
  assert.match(all, /ERROR/);
  r.unmount();
});

Deno.test("render: help overlay lists every key; gallery overlay lists every example", async () => {
  const { KEYS } = await import("../tui/keys.ts");
  const h = render(<Screen frame={makeFrame({ ui: { ...initialUi(), overlay: "help" } }, 80, 24)} gallery={GALLERY} />);
  const ho = h.lastFrame()!;
  for (const g of KEYS) for (const k of g.items) assert.ok(ho.includes(k.what), k.what);
  h.unmount();
  const g = render(
    <Screen frame={makeFrame({ ui: { ...initialUi(), overlay: "gallery", gallerySel: 1 } })} gallery={GALLERY} />,
  );
  const go = g.lastFrame()!;
  for (const e of GALLERY) assert.ok(go.includes(e.title), e.title);
  assert.match(go, /› 2\. misaligned map access/);
  g.unmount();
});

Deno.test("render: too small", () => {
  const r = render(<Screen frame={makeFrame({}, 60, 20)} gallery={GALLERY} />);
  assert.match(r.lastFrame()!, /Terminal too small: 60x20/);
  assert.match(r.lastFrame()!, /at least 80x24/);
  r.unmount();
});

Deno.test("render: go-to prompt and messages in the footer", () => {
  const r = render(<Screen frame={makeFrame({ ui: { ...initialUi(), prompt: "12" } })} gallery={GALLERY} />);
  assert.match(r.lastFrame()!, /go to instruction: 12/);
  r.unmount();
});
