/**
 * The verifier view drawn without Ink and React: the lines of
 * `panels/lines.ts` (header, instructions, log, verdict, state, pending
 * branches, budget, footer), which the Ink panels render too, laid out as
 * the Ink {@link Screen} of `app.tsx` lays them out and written as strings
 * with SGR codes. Loading Ink and React and their first render take
 * 0.4-0.9 s; this draws the first full frame at once, and every frame until
 * Ink is ready. Overlays (help, gallery) are left to Ink ({@link plainLines}
 * returns null).
 *
 * `tests/tui_plain_test.ts` compares it cell by cell (character, bold, dim,
 * inverse, colour) with Ink's rendering of the same frames.
 *
 * @module
 */
import { type Frame, MIN_COLS, MIN_ROWS } from "./model.ts";
import {
  budgetLines,
  footerLine,
  headerLine,
  insnLines,
  type Line,
  logLines,
  type PanelLines,
  pendingLines,
  stateLines,
  titleLine,
  verdictLines,
} from "./panels/lines.ts";
import { rightHeights } from "./panels/text.ts";

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

/** A panel `width` cells wide: the title rule, then `height` lines (cut to the width, padded with blank ones). */
function panel(f: Frame, p: PanelLines, width: number, height: number): Line[] {
  const out: Line[] = [truncate(titleLine(p, width, f.color), width)];
  for (let k = 0; k < height; k++) out.push(truncate(p.lines[k] ?? [{ t: " " }], width));
  return out;
}

/** The body: instructions and log on the left, verdict, state, pending and budget on the right. */
function body(f: Frame): Line[] {
  const L = f.layout;
  const { stateRows, verdictRows } = rightHeights(f);
  const left = [
    ...panel(f, insnLines(f, L.leftW, L.insnRows), L.leftW, L.insnRows),
    ...panel(f, logLines(f), L.leftW, L.logRows),
  ];
  const right = [
    ...(f.verdict ? panel(f, verdictLines(f, L.rightW), L.rightW, verdictRows) : []),
    ...panel(f, stateLines(f, L.rightW, stateRows), L.rightW, stateRows),
    ...panel(f, pendingLines(f, L.rightW, L.pendingRows), L.rightW, L.pendingRows),
    ...panel(f, budgetLines(f, L.rightW), L.rightW, 2),
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
  const cols = L.cols;
  return [truncate(headerLine(frame), cols), ...body(frame), truncate(footerLine(frame), cols)].map((l) =>
    lineText(l, styled)
  );
}
