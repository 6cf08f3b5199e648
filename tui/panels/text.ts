/**
 * The text of the panels without Ink: labels, row and token layout, wrapping
 * and the colour of each part, shared by the Ink panels and by the plain
 * renderer of the first frame (`tui/plain.ts`), so both draw the same
 * characters.
 *
 * @module
 */
import type { StateView } from "../engine.ts";
import { type Frame, heatChar, type InsnRow } from "../model.ts";

/** Header labels of the walk events. */
export const EVENT_LABEL: Readonly<Record<string, string>> = {
  insn: "insn",
  branch: "BRANCH pushed",
  resume: "RESUMED",
  store: "state stored",
  prune: "PRUNED",
  error: "ERROR",
  accept: "ACCEPTED",
};

/** `f() func#N` of the 6.18 log's `Validating f() func#N...` line (a global function's own walk starts), or null. */
export function globalWalkOf(line: string): string | null {
  const m = /^Validating (\S+ func#\d+)\.\.\.$/.exec(line);
  return m ? m[1] : null;
}

/** The header line's parts: bold `left`, the event `ev` in `evColor`, then `rest` (position, gap, profile, play state). */
export function headerParts(f: Frame): { left: string; ev: string; evColor: string; rest: string } {
  const w = f.layout.cols;
  // a resume that starts a global function's own walk (the log's last line: `Validating f() func#N...`)
  const walk = f.event === "resume" ? globalWalkOf(f.log[f.log.length - 1] ?? "") : null;
  const ev = walk ? `WALK of global ${walk}` : f.event ? EVENT_LABEL[f.event] : "start";
  const at = f.pc >= 0 ? ` @${f.pc}` : "";
  const right = ` ${f.progress ? `${f.progress} · ` : ""}${f.profile}${f.pruning ? "" : " · NO PRUNING"} · ${
    f.ui.playing ? `▶ ${f.ui.speed}/s` : "paused"
  } `;
  const mid = ` · step ${f.t} · `;
  const room = Math.max(4, w - right.length - mid.length - ev.length - at.length - " bpfscope · ".length);
  const title = f.title.length > room ? f.title.slice(0, room - 1) + "…" : f.title;
  const left = ` bpfscope · ${title}${mid}`;
  const gap = Math.max(0, w - left.length - ev.length - at.length - right.length);
  const evColor = f.event === "error"
    ? "red"
    : f.event === "accept"
    ? "green"
    : f.event === "prune"
    ? "magenta"
    : "yellow";
  return { left, ev, evColor, rest: at + " ".repeat(gap) + right };
}

/** Lines of the state panel and of the verdict panel above it (0: none) for a frame. */
export function rightHeights(f: Frame): { stateRows: number; verdictRows: number } {
  let stateRows = f.layout.stateRows;
  let verdictRows = 0;
  if (f.verdict) {
    verdictRows = Math.max(4, Math.min(stateRows - 2, Math.floor(stateRows / 2) + 1));
    stateRows = stateRows - verdictRows - 1;
  }
  return { stateRows, verdictRows };
}

/** The key hints of the footer (a kernel log's replay has keys of its own). */
export function footerHints(f: Frame): string {
  return f.profile.startsWith("kernel log")
    ? "s step  n next event  space run  b back  B back event  e end  g go to  x break  ? help  q quit"
    : "s step  n next event  space run  b back  x break  p pruning  P profile  l gallery  ? help  q quit";
}

/** Colours of the heat column by heat level (0..8). */
export const HEAT_COLORS: readonly string[] = [
  "gray",
  "blue",
  "blue",
  "cyan",
  "cyan",
  "green",
  "yellow",
  "redBright",
  "red",
];

/** Compact count in 4 cells: `   7`, ` 999`, `1.2k`, ` 32k`. */
export function compact(n: number): string {
  if (n <= 0) return "    ";
  if (n < 1000) return String(n).padStart(4);
  if (n < 10000) return ((n / 1000).toFixed(1) + "k").padStart(4);
  return (Math.round(n / 1000) + "k").padStart(4);
}

/** Text of one instruction row without colour. */
export function rowText(r: InsnRow, idxW: number, width: number): string {
  const cur = r.error ? "✗" : r.current ? "▶" : r.onPath ? "│" : " ";
  const s = `${r.cursor ? "›" : " "}${compact(r.heat)}${heatChar(r.heat)} ${r.breakpoint ? "●" : " "}${cur}${
    r.pruning ? "◆" : " "
  } ${String(r.idx).padStart(idxW)}: ${r.continuation ? "" : r.text}`;
  return s.length > width ? s.slice(0, width - 1) + "…" : s.padEnd(width);
}

/** The tokens of a state: `R0=inv`, ..., then `fp-8=ctx` (spill) or `fp-16=misc/8` (written bytes). */
export function stateTokens(s: StateView): string[] {
  const out = s.regs.map((r) => `R${r.reg}=${r.text}`);
  for (const sl of s.stack) {
    out.push(sl.spill || sl.raw ? `fp${sl.off}=${sl.text}` : `fp${sl.off}=${sl.text}/${sl.size}`);
  }
  return out;
}

/**
 * The registers and slots with their values in words: with room, the value
 * as the log prints it (`R2=fp-8`) and the words below it; otherwise one
 * line each with the words only (`R2     pointer to the stack at fp-8`; the
 * printed value is in the log panel).
 */
export function wordLines(s: StateView, width: number, height: number): Array<{ text: string; dim: boolean }> {
  const entries: Array<[string, string, string]> = [];
  for (const r of s.regs) entries.push([`R${r.reg}`, r.text, r.words ?? ""]);
  for (const sl of s.stack) entries.push([`fp${sl.off}`, sl.text, sl.words ?? ""]);
  const out: Array<{ text: string; dim: boolean }> = [];
  if (s.note) out.push({ text: s.note, dim: true });
  if (s.frame) out.push({ text: `frame ${s.frame} (in a called function)`, dim: true });
  const two = entries.length * 2 + out.length <= height;
  for (const [name, text, words] of entries) {
    if (two) {
      out.push({ text: `${name}=${text}`, dim: false });
      out.push({ text: `    ${words}`, dim: true });
    } else {
      out.push({ text: `${name.padEnd(6)} ${words || text}`, dim: false });
    }
  }
  return out.map((l) => ({ text: l.text.length > width ? l.text.slice(0, width - 1) + "…" : l.text, dim: l.dim }));
}

/** Flow tokens into lines of at most `w` cells, separated by one space. */
export function flow(tokens: string[], w: number): string[] {
  return tokenLines(tokens, w, Infinity).map((l) => l.join(" "));
}

/**
 * Tokens laid out in lines of at most `width` cells (one space between
 * tokens), at most `max` lines; when they do not all fit, the last token
 * shown becomes `…`.
 */
export function tokenLines(tokens: string[], width: number, max: number): string[][] {
  const lines: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const t of tokens) {
    const add = cur.length === 0 ? t.length : len + 1 + t.length;
    if (cur.length > 0 && add > width) {
      lines.push(cur);
      cur = [t];
      len = t.length;
    } else {
      cur.push(t);
      len = add;
    }
  }
  if (cur.length) lines.push(cur);
  const shown = lines.slice(0, max);
  if (lines.length > max && max > 0) shown[max - 1] = [...shown[max - 1].slice(0, -1), "…"];
  return shown;
}

/** The colour of a state token by its type (`R1=ctx`: magenta). */
export function typeColor(tok: string): string {
  const v = tok.slice(tok.indexOf("=") + 1);
  if (v.startsWith("map_value_or_null")) return "yellow";
  if (v.startsWith("map")) return "green";
  if (v.startsWith("fp")) return "blue";
  if (v.startsWith("ctx")) return "magenta";
  if (v.startsWith("imm")) return "cyan";
  if (v.startsWith("misc")) return "gray";
  return "white";
}

/** Hard-wrap text to lines of `w` cells (word boundaries where possible). */
export function wrap(s: string, w: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > w) {
    let cut = rest.lastIndexOf(" ", w);
    if (cut <= 0) cut = w;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}
