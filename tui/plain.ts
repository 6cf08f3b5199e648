/**
 * The verifier view drawn without Ink and React: the same characters and
 * styles as the Ink {@link Screen} of `app.tsx` (header, instructions, log,
 * verdict, state, pending branches, budget, footer), as strings with SGR
 * codes. Loading Ink and React and their first render take 0.4-0.9 s; this
 * draws the first full frame at once, and every frame until Ink is ready.
 * Overlays (help, gallery) are left to Ink ({@link plainLines} returns null).
 *
 * `tests/tui_plain_test.ts` compares it cell by cell (character, bold, dim,
 * inverse, colour) with Ink's rendering of the same frames.
 *
 * @module
 */
import { bar, fit, type Frame, heatLevel, MIN_COLS, MIN_ROWS } from "./model.ts";
import {
  flow,
  footerHints,
  headerParts,
  HEAT_COLORS,
  rightHeights,
  rowText,
  stateTokens,
  tokenLines,
  typeColor,
  wordLines,
  wrap,
} from "./panels/text.ts";

/** A run of characters in one style. */
interface Seg {
  t: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  /** A colour name as Ink takes it (`red`, `yellowBright`, `gray`). */
  color?: string;
}

type Line = Seg[];

/** SGR foreground codes of the colour names the panels use (chalk's). */
const FG: Readonly<Record<string, number>> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  gray: 90,
  grey: 90,
  redBright: 91,
  greenBright: 92,
  yellowBright: 93,
  blueBright: 94,
  magentaBright: 95,
  cyanBright: 96,
  whiteBright: 97,
};

const len = (l: Line) => l.reduce((n, s) => n + s.t.length, 0);

/** Ink's `wrap="truncate"`: over `w` cells, cut to `w - 1` and end with `…` (in the style of the cut). */
function truncate(l: Line, w: number): Line {
  if (len(l) <= w) return l;
  const out: Line = [];
  let room = Math.max(0, w - 1);
  for (const s of l) {
    if (room <= 0) break;
    out.push({ ...s, t: s.t.slice(0, room) });
    room -= Math.min(room, s.t.length);
  }
  const last = out[out.length - 1] ?? l[0];
  if (w > 0) out.push({ ...last, t: "…" });
  return out;
}

/** Pad `l` with unstyled spaces to `w` cells. */
function padTo(l: Line, w: number): Line {
  const n = len(l);
  return n < w ? [...l, { t: " ".repeat(w - n) }] : l;
}

/** The colour, when colours are on. */
const col = (f: Frame, name: string | undefined) => (f.color && name ? name : undefined);

/** A titled panel: the title rule, then `height` lines. */
function panel(
  f: Frame,
  title: string,
  width: number,
  height: number,
  lines: Line[],
  note?: string,
  accent?: string,
): Line[] {
  const head = `─ ${title} `;
  const tail = note ? ` ${note} ─` : "";
  const rule = "─".repeat(Math.max(0, width - head.length - tail.length));
  const out: Line[] = [
    truncate([
      { t: head, dim: !accent, bold: true, color: accent ? col(f, accent) : undefined },
      { t: rule, dim: true },
      {
        t: tail,
        dim: true,
      },
    ], width),
  ];
  for (let k = 0; k < height; k++) out.push(truncate(lines[k] ?? [{ t: " " }], width));
  return out;
}

function header(f: Frame): Line {
  const { left, ev, evColor, rest } = headerParts(f);
  return truncate([
    { t: left, bold: true, inverse: true },
    { t: ev, bold: true, inverse: true, color: col(f, evColor) },
    { t: rest, inverse: true },
  ], f.layout.cols);
}

function footer(f: Frame): Line {
  const w = f.layout.cols;
  if (f.ui.prompt !== null) {
    return truncate([{ t: fit(`go to instruction: ${f.ui.prompt}▏  (Enter: go, Esc: cancel)`, w), bold: true }], w);
  }
  if (f.ui.message) {
    return truncate([
      { t: f.ui.message, bold: true, color: col(f, "yellow") },
      { t: fit("  " + footerHints(f), Math.max(0, w - f.ui.message.length)), dim: true },
    ], w);
  }
  return truncate([{ t: fit(footerHints(f), w), dim: true }], w);
}

function insnPanel(f: Frame, width: number, height: number): Line[] {
  const idxW = Math.max(3, String(Math.max(0, f.len - 1)).length);
  const first = f.rows[0]?.idx ?? 0;
  const note = `${first}-${first + f.rows.length - 1}/${f.len}${f.ui.follow ? "" : " (cursor)"}`;
  const prefixLen = 1 + 4 + 1 + 1 + 3 + 1 + idxW + 2;
  const lines = f.rows.map((r): Line => {
    const full = rowText(r, idxW, width);
    const inverse = r.current || r.cursor, bold = r.current || r.error;
    const textColor = r.error ? "red" : r.current ? "yellowBright" : r.onPath ? "cyan" : undefined;
    const s = (t: string, more: Partial<Seg> = {}): Seg => ({ t, inverse, bold, ...more });
    return [
      s(full[0]),
      s(full.slice(1, 6), { color: col(f, HEAT_COLORS[heatLevel(r.heat)]) }),
      s(" "),
      s(full.slice(7, 10)[0] ?? "", { color: col(f, "red") }),
      s(full.slice(7, 10)[1] ?? "", { color: col(f, r.error ? "red" : "cyan") }),
      s(full.slice(7, 10)[2] ?? "", { color: col(f, "magenta") }),
      s(full.slice(10, prefixLen), { dim: r.continuation }),
      s(full.slice(prefixLen), { color: col(f, textColor), dim: r.continuation }),
    ];
  });
  if (f.source !== undefined) {
    // the C source line of the current instruction (or of the cursor's), as the kernel prints it
    while (lines.length < height - 1) lines.push([{ t: " " }]);
    lines.push([{
      t: fit(f.source ? `; ${f.source}` : "; (no source line)", width),
      color: col(f, "cyan"),
      dim: !f.source,
    }]);
  }
  return panel(f, "instructions", width, height, lines, note);
}

function logPanel(f: Frame, width: number, height: number): Line[] {
  const last = f.log.length - 1;
  const lines = f.log.map((l, k): Line => {
    const isErr = !!f.verdict && !f.verdict.accepted && k === last;
    const isState = l.startsWith(" R") || l.startsWith("from ");
    const isSafe = l.endsWith(": safe");
    return [{
      t: l === "" ? " " : l,
      bold: isErr,
      color: col(f, isErr ? "red" : isSafe ? "magenta" : isState ? "gray" : ""),
    }];
  });
  return panel(f, "log", width, height, lines, `${f.logTotal} lines`);
}

function verdictPanel(f: Frame, width: number, height: number): Line[] {
  const v = f.verdict!;
  const lines: Line[] = [];
  if (v.accepted) {
    lines.push([{ t: "✓ ACCEPTED", bold: true, color: col(f, "green") }]);
    lines.push([{ t: `processed ${f.budget.processed} insns` }]);
    lines.push([{ t: `stored ${f.budget.stored}, pruned ${f.budget.prunes}` }]);
  } else {
    lines.push([{ t: `✗ REJECTED${v.errno ? ` (${v.errno})` : ""}`, bold: true, color: col(f, "red") }]);
    for (const part of (v.message ?? "").split("\n")) {
      for (const l of wrap(part, width)) lines.push([{ t: l, color: col(f, "red") }]);
    }
    if (v.insn !== undefined && v.insn >= 0) {
      lines.push([{ t: `at insn ${v.insn}${f.errorText ? ": " + f.errorText : ""}` }]);
    }
    if (v.explain && v.explain.length) {
      for (const l of v.explain) for (const w of wrap(l, width)) lines.push([{ t: w }]);
    } else if (f.path.length) {
      for (const w of wrap("path: " + f.path.join(" → "), width)) lines.push([{ t: w, color: col(f, "cyan") }]);
    }
  }
  return panel(f, "verdict", width, height, lines, undefined, v.accepted ? "green" : "red");
}

/** State tokens laid out in coloured lines (as the state panel's `StateLines`). */
function stateLines(f: Frame, tokens: string[], width: number, max: number): Line[] {
  return tokenLines(tokens, width, max).map((toks) =>
    toks.map((t, j): Seg => ({ t: (j ? " " : "") + t, color: col(f, typeColor(t)) }))
  );
}

function statePanel(f: Frame, width: number, height: number): Line[] {
  const cur = stateTokens(f.state);
  const lines: Line[] = [];
  if (f.matched) {
    const old = stateTokens(f.matched);
    if (width >= 56) {
      const half = Math.floor((width - 1) / 2);
      const a = flow(cur, half), b = flow(old, half);
      lines.push([{ t: fit("current", half) + " " + fit("stored (matched → prune)", half), bold: true }]);
      for (let k = 0; k < Math.min(height - 1, Math.max(a.length, b.length)); k++) {
        lines.push([{ t: fit(a[k] ?? "", half) }, { t: "│", dim: true }, { t: b[k] ?? "", color: col(f, "magenta") }]);
      }
    } else {
      const room = height - 2;
      const na = Math.max(1, Math.ceil(room / 2));
      lines.push([{ t: "current:", bold: true }]);
      lines.push(...stateLines(f, cur, width, na));
      lines.push([{ t: "stored (matched → prune):", bold: true, color: col(f, "magenta") }]);
      lines.push(...stateLines(f, old, width, Math.max(1, height - lines.length)));
    }
  } else if (f.state.regs.some((r) => r.words !== undefined)) {
    // values in words (a kernel log's replay)
    for (const l of wordLines(f.state, width, height).slice(0, height)) {
      lines.push([{ t: l.text || " ", dim: l.dim, color: l.dim ? undefined : col(f, typeColor(l.text)) }]);
    }
    if (cur.length === 0) lines.push([{ t: "(no register printed yet)", dim: true }]);
  } else {
    lines.push(...stateLines(f, cur, width, height));
    if (cur.length === 0) lines.push([{ t: "(no registers initialised)", dim: true }]);
  }
  const note = f.matched ? "PRUNED" : f.pc >= 0 ? `at ${f.pc}` : "initial";
  return panel(f, "state", width, height, lines, note, f.matched ? "magenta" : undefined);
}

function pendingPanel(f: Frame, width: number, height: number): Line[] {
  const lines: Line[] = [];
  const d = f.pendingDepth;
  const shown = f.pending.slice(0, d > height ? height - 1 : height);
  shown.forEach((p, k) => {
    const label = `${String(d - k).padStart(4)}  from ${p.from} to ${p.to}`;
    lines.push([{
      t: fit(label + (k === 0 ? "  ← next" : ""), width),
      bold: k === 0,
      color: k === 0 ? col(f, "yellow") : undefined,
    }]);
  });
  if (d > shown.length) lines.push([{ t: `   … ${d - shown.length} more below`, dim: true }]);
  if (d === 0) lines.push([{ t: "(empty)", dim: true }]);
  const accent = f.event === "branch" ? "yellow" : f.event === "resume" ? "green" : undefined;
  return panel(f, "pending branches", width, height, lines, `depth ${d}`, accent);
}

function budgetPanel(f: Frame, width: number): Line[] {
  const b = f.budget;
  const nums = ` ${b.processed}/${b.limit}`;
  const frac = b.limit > 0 ? b.processed / b.limit : 0;
  const barColor = frac >= 1 ? "red" : frac > 0.75 ? "yellow" : "green";
  return panel(f, "budget", width, 2, [
    [{ t: bar(b.processed, b.limit, width - nums.length), color: col(f, barColor) }, { t: nums }],
    [{ t: fit(`stored ${b.stored}  pruned ${b.prunes}  pruning ${f.pruning ? "on" : "OFF"}`, width) }],
  ], `${(frac * 100).toFixed(frac < 0.1 ? 2 : 1)}%`);
}

/** The body: instructions and log on the left, verdict, state, pending and budget on the right. */
function body(f: Frame): Line[] {
  const L = f.layout;
  const { stateRows, verdictRows } = rightHeights(f);
  const left = [...insnPanel(f, L.leftW, L.insnRows), ...logPanel(f, L.leftW, L.logRows)];
  const right = [
    ...(f.verdict ? verdictPanel(f, L.rightW, verdictRows) : []),
    ...statePanel(f, L.rightW, stateRows),
    ...pendingPanel(f, L.rightW, L.pendingRows),
    ...budgetPanel(f, L.rightW),
  ];
  const out: Line[] = [];
  for (let i = 0; i < L.rows - 2; i++) {
    out.push([...padTo(left[i] ?? [], L.leftW), { t: " " }, ...(right[i] ?? [])]);
  }
  return out;
}

/** One line as a string: SGR codes around each styled run (none at all when `styled` is false). */
function lineText(l: Line, styled: boolean): string {
  let s = "";
  for (const g of l) {
    const codes: number[] = [];
    // bold and dim share their reset code, and Ink's writer keeps the inner one, always the dim here
    if (g.bold && !g.dim) codes.push(1);
    if (g.dim) codes.push(2);
    if (g.inverse) codes.push(7);
    if (g.color !== undefined && FG[g.color] !== undefined) codes.push(FG[g.color]);
    s += styled && codes.length > 0 ? `\x1b[${codes.join(";")}m${g.t}\x1b[0m` : g.t;
  }
  return s;
}

/**
 * The lines of the verifier view for `frame` (`frame.layout.rows` of them),
 * as the Ink {@link Screen} draws them; null when an overlay is open (left to
 * Ink). With `styled` false no SGR code at all is written (a terminal whose
 * colour support is off, as chalk's level 0).
 */
export function plainLines(frame: Frame, styled = true): string[] | null {
  const L = frame.layout;
  if (frame.ui.overlay !== "none") return null;
  if (L.tooSmall) {
    return [
      `Terminal too small: ${L.cols}x${L.termRows}.`,
      `bpfscope tui needs at least ${MIN_COLS}x${MIN_ROWS}.`,
      "Enlarge the window, or q to quit.",
    ].map((t) => lineText(truncate([{ t }], L.cols), styled));
  }
  return [header(frame), ...body(frame), footer(frame)].map((l) => lineText(l, styled));
}
