/**
 * The current verifier state: registers (type and value as the log prints
 * them) and the stack slots in use; on a prune, the stored state it matched
 * beside (or below) the current one.
 *
 * @module
 */
import { Text } from "ink";
import type { ReactNode } from "react";
import type { StateView } from "../engine.ts";
import type { Frame } from "../model.ts";
import { fit } from "../model.ts";
import { col, Panel, SP } from "./common.tsx";

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
  const lines: string[] = [];
  let cur = "";
  for (const t of tokens) {
    if (cur === "") cur = t;
    else if (cur.length + 1 + t.length <= w) cur += " " + t;
    else {
      lines.push(cur);
      cur = t;
    }
  }
  if (cur !== "") lines.push(cur);
  return lines;
}

function typeColor(tok: string): string {
  const v = tok.slice(tok.indexOf("=") + 1);
  if (v.startsWith("map_value_or_null")) return "yellow";
  if (v.startsWith("map")) return "green";
  if (v.startsWith("fp")) return "blue";
  if (v.startsWith("ctx")) return "magenta";
  if (v.startsWith("imm")) return "cyan";
  if (v.startsWith("misc")) return "gray";
  return "white";
}

function StateLines(props: { tokens: string[]; width: number; color: boolean; max: number }): ReactNode[] {
  const { tokens, width, color, max } = props;
  // lay out token by token so each can carry its colour
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
  return shown.map((toks, k) => (
    <Text key={k} wrap="truncate">
      {toks.map((t, j) => <Text key={j} color={col(color, typeColor(t))}>{(j ? " " : "") + t}</Text>)}
    </Text>
  ));
}

/** The state panel. */
export function StatePanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const cur = stateTokens(frame.state);
  const lines: ReactNode[] = [];
  if (frame.matched) {
    const old = stateTokens(frame.matched);
    if (width >= 56) {
      const half = Math.floor((width - 1) / 2);
      const a = flow(cur, half);
      const b = flow(old, half);
      lines.push(
        <Text key="h" wrap="truncate" bold>{fit("current", half) + " " + fit("stored (matched → prune)", half)}</Text>,
      );
      for (let k = 0; k < Math.min(height - 1, Math.max(a.length, b.length)); k++) {
        lines.push(
          <Text key={`r${k}`} wrap="truncate">
            <Text>{fit(a[k] ?? "", half)}</Text>
            <Text dimColor>│</Text>
            <Text color={col(frame.color, "magenta")}>{b[k] ?? ""}</Text>
          </Text>,
        );
      }
    } else {
      const room = height - 2;
      const na = Math.max(1, Math.ceil(room / 2));
      lines.push(<Text key="h1" bold wrap="truncate">current:</Text>);
      lines.push(...StateLines({ tokens: cur, width, color: frame.color, max: na }));
      lines.push(
        <Text key="h2" bold wrap="truncate" color={col(frame.color, "magenta")}>stored (matched → prune):</Text>,
      );
      lines.push(
        ...StateLines({ tokens: old, width, color: frame.color, max: Math.max(1, height - lines.length) }).map((
          n,
          k,
        ) => <Text key={`o${k}`}>{n}</Text>),
      );
    }
  } else if (frame.state.regs.some((r) => r.words !== undefined)) {
    const wl = wordLines(frame.state, width, height);
    wl.slice(0, height).forEach((l, k) =>
      lines.push(
        <Text
          key={`w${k}`}
          wrap="truncate"
          dimColor={l.dim}
          color={l.dim ? undefined : col(frame.color, typeColor(l.text))}
        >
          {l.text || SP}
        </Text>,
      )
    );
    if (cur.length === 0) lines.push(<Text key="none" dimColor>(no register printed yet)</Text>);
  } else {
    lines.push(...StateLines({ tokens: cur, width, color: frame.color, max: height }));
    if (cur.length === 0) lines.push(<Text key="none" dimColor>(no registers initialised)</Text>);
  }
  const shown = lines.slice(0, height);
  for (let k = shown.length; k < height; k++) shown.push(<Text key={`pad${k}`}>{SP}</Text>);
  const note = frame.matched ? "PRUNED" : frame.pc >= 0 ? `at ${frame.pc}` : "initial";
  return (
    <Panel
      title="state"
      note={note}
      width={width}
      height={height}
      color={frame.color}
      accent={frame.matched ? "magenta" : undefined}
    >
      {shown}
    </Panel>
  );
}
