/**
 * Building blocks shared by the panels: a titled panel of fixed height and
 * colour helpers that honour `NO_COLOR`.
 *
 * @module
 */
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { fit, type Frame } from "../model.ts";
import { type Line as SegLine, type PanelLines, titleLine } from "./lines.ts";

/** One space, for blank lines and gaps (a JSX literal would be trimmed). */
export const SP = " ";

/** A colour name, or undefined when colours are off. */
export function col(on: boolean, name: string): string | undefined {
  return on && name ? name : undefined;
}

/** Props of {@link Panel}. */
export interface PanelProps {
  /** Title shown in the rule above the content. */
  title: string;
  /** Extra text on the right of the title rule. */
  note?: string;
  /** Width in cells. */
  width: number;
  /** Content lines (without the title line); the panel pads to this many. */
  height: number;
  /** Colours on. */
  color: boolean;
  /** Highlight the title (e.g. the panel changed with the last event). */
  accent?: string;
  /** The content (at most `height` single-line children). */
  children?: ReactNode;
}

/** A panel: a title rule and a fixed number of content lines. */
export function Panel(props: PanelProps): ReactNode {
  const { title, note, width, height, color, accent } = props;
  return (
    <Box flexDirection="column" width={width} height={height + 1} overflow="hidden">
      <Segs line={titleLine({ title, note, accent, lines: [] }, width, color)} />
      {props.children}
    </Box>
  );
}

/** One line of styled runs (`panels/lines.ts`), cut to the width. */
export function Segs(props: { line: SegLine }): ReactNode {
  return (
    <Text wrap="truncate">
      {props.line.map((s, k) => (
        <Text key={k} bold={s.bold} dimColor={s.dim} inverse={s.inverse} color={s.color}>{s.t}</Text>
      ))}
    </Text>
  );
}

/** A panel of `height` content lines drawn from its description in `panels/lines.ts` (padded with blank lines). */
export function LinesPanel(props: { frame: Frame; panel: PanelLines; width: number; height: number }): ReactNode {
  const { frame, panel, width, height } = props;
  const lines = panel.lines.slice(0, height).map((l, k) => <Segs key={k} line={l} />);
  for (let k = lines.length; k < height; k++) lines.push(<Text key={`pad${k}`}>{SP}</Text>);
  return (
    <Panel
      title={panel.title}
      note={panel.note}
      width={width}
      height={height}
      color={frame.color}
      accent={panel.accent}
    >
      {lines}
    </Panel>
  );
}

/** One line of text, truncated to the width. */
export function Line(props: { width: number; children?: ReactNode; text?: string }): ReactNode {
  if (props.text !== undefined) return <Text wrap="truncate">{fit(props.text, props.width)}</Text>;
  return <Text wrap="truncate">{props.children}</Text>;
}
