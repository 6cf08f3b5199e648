/**
 * The instruction list: kernel-style disassembly of the visible window with
 * heat, breakpoints, the current instruction, the current path, pruning
 * points and the error instruction.
 *
 * @module
 */
import { Text } from "ink";
import type { ReactNode } from "react";
import { fit, type Frame, heatLevel, type InsnRow } from "../model.ts";
import { col, Panel, SP } from "./common.tsx";
import { HEAT_COLORS, rowText } from "./text.ts";

export { compact, rowText } from "./text.ts";

function Row(props: { r: InsnRow; idxW: number; width: number; color: boolean }): ReactNode {
  const { r, idxW, width, color } = props;
  const prefixLen = 1 + 4 + 1 + 1 + 3 + 1 + idxW + 2;
  const full = rowText(r, idxW, width);
  const heat = full.slice(1, 6);
  const marks = full.slice(7, 10);
  const rest = full.slice(10, prefixLen);
  const text = full.slice(prefixLen);
  const textColor = r.error ? "red" : r.current ? "yellowBright" : r.onPath ? "cyan" : undefined;
  return (
    <Text wrap="truncate" inverse={r.current || r.cursor} bold={r.current || r.error}>
      <Text>{full[0]}</Text>
      <Text color={col(color, HEAT_COLORS[heatLevel(r.heat)])}>{heat}</Text>
      <Text>{SP}</Text>
      <Text color={col(color, "red")}>{marks[0]}</Text>
      <Text color={col(color, r.error ? "red" : "cyan")}>{marks[1]}</Text>
      <Text color={col(color, "magenta")}>{marks[2]}</Text>
      <Text dimColor={r.continuation}>{rest}</Text>
      <Text color={col(color, textColor ?? "")} dimColor={r.continuation}>{text}</Text>
    </Text>
  );
}

/** The instruction panel. */
export function InsnPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const idxW = Math.max(3, String(Math.max(0, frame.len - 1)).length);
  const first = frame.rows[0]?.idx ?? 0;
  const note = `${first}-${first + frame.rows.length - 1}/${frame.len}${frame.ui.follow ? "" : " (cursor)"}`;
  const lines: ReactNode[] = frame.rows.map((r) => (
    <Row key={r.idx} r={r} idxW={idxW} width={width} color={frame.color} />
  ));
  const rows = frame.source !== undefined ? height - 1 : height;
  for (let k = lines.length; k < rows; k++) lines.push(<Text key={`pad${k}`}>{SP}</Text>);
  if (frame.source !== undefined) {
    // the C source line of the current instruction (or of the cursor's), as the kernel prints it
    lines.push(
      <Text key="src" wrap="truncate" color={col(frame.color, "cyan")} dimColor={!frame.source}>
        {fit(frame.source ? `; ${frame.source}` : "; (no source line)", width)}
      </Text>,
    );
  }
  return (
    <Panel title="instructions" note={note} width={width} height={height} color={frame.color}>
      {lines}
    </Panel>
  );
}
