/**
 * The verifier view as styled lines: header, footer and the content of each
 * panel (instructions, log, verdict, state, pending branches, budget), each
 * line a list of runs of text in one style. This is the one description of
 * the view's layout: the Ink panels render these lines as `<Text>` runs, and
 * the plain renderer of the first frames (`tui/plain.ts`) writes them with
 * SGR codes, without loading Ink or React. No Ink here.
 *
 * @module
 */
import { bar, fit, type Frame, heatLevel } from "../model.ts";
import {
  flow,
  footerHints,
  headerParts,
  HEAT_COLORS,
  rowText,
  stateTokens,
  tokenLines,
  typeColor,
  wordLines,
  wrap,
} from "./text.ts";

/** A run of characters in one style. */
export interface Seg {
  /** The characters. */
  t: string;
  /** Bold. */
  bold?: boolean;
  /** Dim (Ink's `dimColor`). */
  dim?: boolean;
  /** Inverse video. */
  inverse?: boolean;
  /** A colour name as Ink takes it (`red`, `yellowBright`, `gray`); undefined when colours are off. */
  color?: string;
}

/** One line of the view: its runs, left to right (cut to the panel's width by the renderer). */
export type Line = Seg[];

/** A panel: the title rule's parts and the content lines (the renderer pads or cuts them to the height). */
export interface PanelLines {
  /** The title. */
  title: string;
  /** Text at the right end of the title rule. */
  note?: string;
  /** The title's colour when the panel is highlighted. */
  accent?: string;
  /** The content lines. */
  lines: Line[];
}

/** The colour, when colours are on. */
const col = (f: Frame, name: string | undefined) => (f.color && name ? name : undefined);

/** The title rule of a panel `width` cells wide (`color`: colours on). */
export function titleLine(p: PanelLines, width: number, color: boolean): Line {
  const head = `─ ${p.title} `;
  const tail = p.note ? ` ${p.note} ─` : "";
  const rule = "─".repeat(Math.max(0, width - head.length - tail.length));
  return [
    { t: head, dim: !p.accent, bold: true, color: color && p.accent ? p.accent : undefined },
    { t: rule, dim: true },
    { t: tail, dim: true },
  ];
}

/** The top line: program, step, event, profile, pruning, play state. */
export function headerLine(f: Frame): Line {
  const { left, ev, evColor, rest } = headerParts(f);
  return [
    { t: left, bold: true, inverse: true },
    { t: ev, bold: true, inverse: true, color: col(f, evColor) },
    { t: rest, inverse: true },
  ];
}

/** The bottom line: the go-to prompt, a message, or key hints. */
export function footerLine(f: Frame): Line {
  const w = f.layout.cols;
  if (f.ui.prompt !== null) {
    return [{ t: fit(`go to instruction: ${f.ui.prompt}▏  (Enter: go, Esc: cancel)`, w), bold: true }];
  }
  if (f.ui.message) {
    return [
      { t: f.ui.message, bold: true, color: col(f, "yellow") },
      { t: fit("  " + footerHints(f), Math.max(0, w - f.ui.message.length)), dim: true },
    ];
  }
  return [{ t: fit(footerHints(f), w), dim: true }];
}

/** The instruction list: heat, marks, the current instruction and path, and the C source line when there is one. */
export function insnLines(f: Frame, width: number, height: number): PanelLines {
  const idxW = Math.max(3, String(Math.max(0, f.len - 1)).length);
  const first = f.rows[0]?.idx ?? 0;
  const note = `${first}-${first + f.rows.length - 1}/${f.len}${f.ui.follow ? "" : " (cursor)"}`;
  const prefixLen = 1 + 4 + 1 + 1 + 3 + 1 + idxW + 2;
  const lines = f.rows.map((r): Line => {
    const full = rowText(r, idxW, width);
    const inverse = r.current || r.cursor, bold = r.current || r.error;
    const textColor = r.error ? "red" : r.current ? "yellowBright" : r.onPath ? "cyan" : undefined;
    const s = (t: string, more: Partial<Seg> = {}): Seg => ({ t, inverse, bold, ...more });
    const marks = full.slice(7, 10);
    return [
      s(full[0]),
      s(full.slice(1, 6), { color: col(f, HEAT_COLORS[heatLevel(r.heat)]) }),
      s(" "),
      s(marks[0] ?? "", { color: col(f, "red") }),
      s(marks[1] ?? "", { color: col(f, r.error ? "red" : "cyan") }),
      s(marks[2] ?? "", { color: col(f, "magenta") }),
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
  return { title: "instructions", note, lines };
}

/** The log as the kernel prints it (state lines grey, `safe` magenta, the error red). */
export function logLines(f: Frame): PanelLines {
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
  return { title: "log", note: `${f.logTotal} lines`, lines };
}

/** The verdict: accepted, or rejected with the error, the failing instruction and the path. */
export function verdictLines(f: Frame, width: number): PanelLines {
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
  return { title: "verdict", accent: v.accepted ? "green" : "red", lines };
}

/** State tokens laid out in lines, each token in its type's colour. */
function tokenRows(f: Frame, tokens: string[], width: number, max: number): Line[] {
  return tokenLines(tokens, width, max).map((toks) =>
    toks.map((t, j): Seg => ({ t: (j ? " " : "") + t, color: col(f, typeColor(t)) }))
  );
}

/** The current state (registers, stack slots); on a prune, the stored state it matched beside or below it. */
export function stateLines(f: Frame, width: number, height: number): PanelLines {
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
      lines.push(...tokenRows(f, cur, width, na));
      lines.push([{ t: "stored (matched → prune):", bold: true, color: col(f, "magenta") }]);
      lines.push(...tokenRows(f, old, width, Math.max(1, height - lines.length)));
    }
  } else if (f.state.regs.some((r) => r.words !== undefined)) {
    // values in words (a kernel log's replay)
    for (const l of wordLines(f.state, width, height).slice(0, height)) {
      lines.push([{ t: l.text || " ", dim: l.dim, color: l.dim ? undefined : col(f, typeColor(l.text)) }]);
    }
    if (cur.length === 0) lines.push([{ t: "(no register printed yet)", dim: true }]);
  } else {
    lines.push(...tokenRows(f, cur, width, height));
    if (cur.length === 0) lines.push([{ t: "(no registers initialised)", dim: true }]);
  }
  const note = f.matched ? "PRUNED" : f.pc >= 0 ? `at ${f.pc}` : "initial";
  return { title: "state", note, accent: f.matched ? "magenta" : undefined, lines };
}

/** The pending-branch stack: depth and the entries on top (`from A to B`). */
export function pendingLines(f: Frame, width: number, height: number): PanelLines {
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
  return { title: "pending branches", note: `depth ${d}`, accent, lines };
}

/** The processed-instructions budget (two lines) with stored states and prunes. */
export function budgetLines(f: Frame, width: number): PanelLines {
  const b = f.budget;
  const nums = ` ${b.processed}/${b.limit}`;
  const frac = b.limit > 0 ? b.processed / b.limit : 0;
  const barColor = frac >= 1 ? "red" : frac > 0.75 ? "yellow" : "green";
  return {
    title: "budget",
    note: `${(frac * 100).toFixed(frac < 0.1 ? 2 : 1)}%`,
    lines: [
      [{ t: bar(b.processed, b.limit, width - nums.length), color: col(f, barColor) }, { t: nums }],
      [{ t: fit(`stored ${b.stored}  pruned ${b.prunes}  pruning ${f.pruning ? "on" : "OFF"}`, width) }],
    ],
  };
}
