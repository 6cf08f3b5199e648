/**
 * Building blocks shared by the panels: a titled panel of fixed height and
 * colour helpers that honour `NO_COLOR`.
 *
 * @module
 */
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { fit } from "../model.ts";

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
  const head = `─ ${title} `;
  const tail = note ? ` ${note} ─` : "";
  const rule = "─".repeat(Math.max(0, width - head.length - tail.length));
  return (
    <Box flexDirection="column" width={width} height={height + 1} overflow="hidden">
      <Text wrap="truncate">
        <Text dimColor={!accent} bold color={accent ? col(color, accent) : undefined}>{head}</Text>
        <Text dimColor>{rule}</Text>
        <Text dimColor>{tail}</Text>
      </Text>
      {props.children}
    </Box>
  );
}

/** One line of text, truncated to the width. */
export function Line(props: { width: number; children?: ReactNode; text?: string }): ReactNode {
  if (props.text !== undefined) return <Text wrap="truncate">{fit(props.text, props.width)}</Text>;
  return <Text wrap="truncate">{props.children}</Text>;
}
