/**
 * The first frame of the verifier view as plain strings, drawn while Ink and
 * React load (~200 ms): the header, the instruction list and the state, in
 * the same geometry as the full frame, which replaces it (a line diff) as
 * soon as Ink is ready. No React, no Ink.
 *
 * @module
 */
import type { Frame } from "./model.ts";

function fit(s: string, w: number): string {
  return s.length > w ? s.slice(0, Math.max(0, w)) : s + " ".repeat(w - s.length);
}

/** The preview lines of `frame` (`frame.layout.rows` lines of `cols` columns). */
export function previewLines(frame: Frame): string[] {
  const L = frame.layout;
  if (L.tooSmall) return [fit(`terminal too small (${L.cols}x${L.termRows})`, L.cols)];
  const out: string[] = [];
  const right = ` ${frame.profile}${frame.pruning ? "" : " · NO PRUNING"} · paused `;
  const left = ` bpfscope · ${frame.title} · step ${frame.t} · start`;
  const head = fit(left, Math.max(0, L.cols - right.length)) + right;
  out.push(frame.color ? `\x1b[7m${fit(head, L.cols)}\x1b[0m` : fit(head, L.cols));
  const idxW = Math.max(3, String(Math.max(0, frame.len - 1)).length);
  const leftLines = [fit(`─ instructions ${"─".repeat(L.leftW)}`, L.leftW)];
  for (const r of frame.rows) {
    if (r.continuation) continue;
    leftLines.push(
      fit(`${r.current ? "▶" : " "}${r.breakpoint ? "●" : " "} ${String(r.idx).padStart(idxW)}: ${r.text}`, L.leftW),
    );
  }
  const rightLines = [fit(`─ state ${"─".repeat(L.rightW)}`, L.rightW)];
  rightLines.push(fit(" " + frame.state.regs.map((g) => `R${g.reg}=${g.text}`).join(" "), L.rightW));
  for (let i = 0; i < L.rows - 2; i++) {
    out.push((leftLines[i] ?? " ".repeat(L.leftW)) + " " + (rightLines[i] ?? " ".repeat(L.rightW)));
  }
  out.push(fit(" loading…", L.cols));
  return out;
}
