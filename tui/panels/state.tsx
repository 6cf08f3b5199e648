/**
 * The current verifier state: registers (type and value as the log prints
 * them) and the stack slots in use; on a prune, the stored state it matched
 * beside (or below) the current one.
 *
 * @module
 */
import { Text } from "ink";
import type { ReactNode } from "react";
import type { Frame } from "../model.ts";
import { fit } from "../model.ts";
import { col, Panel, SP } from "./common.tsx";
import { flow, stateTokens, tokenLines, typeColor, wordLines } from "./text.ts";

export { flow, stateTokens, wordLines } from "./text.ts";

function StateLines(props: { tokens: string[]; width: number; color: boolean; max: number }): ReactNode[] {
  const { tokens, width, color, max } = props;
  // lay out token by token so each can carry its colour
  return tokenLines(tokens, width, max).map((toks, k) => (
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
