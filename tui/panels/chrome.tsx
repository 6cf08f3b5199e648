/**
 * Header, footer, the help overlay, the gallery overlay and the
 * terminal-too-small screen.
 *
 * @module
 */
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { GalleryEntry } from "../gallery.ts";
import { KEYS } from "../keys.ts";
import { fit, type Frame, MIN_COLS, MIN_ROWS } from "../model.ts";
import { col, Panel, Segs, SP } from "./common.tsx";
import { footerLine, headerLine } from "./lines.ts";
import { wrap } from "./text.ts";

/** The top line: program, step, event, profile, pruning, play state. */
export function Header(props: { frame: Frame }): ReactNode {
  return <Segs line={headerLine(props.frame)} />;
}

/** The bottom line: the go-to prompt, a message, or key hints. */
export function Footer(props: { frame: Frame }): ReactNode {
  return <Segs line={footerLine(props.frame)} />;
}

/** The help overlay: every key, in two columns, and what the marks mean. */
export function HelpOverlay(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const entries: Array<[string, boolean]> = [];
  for (const g of KEYS) {
    entries.push([`${g.group}:`, true]);
    for (const k of g.items) entries.push([`  ${k.keys.padEnd(10)} ${k.what}`, false]);
  }
  const perCol = Math.ceil(entries.length / 2);
  const colW = Math.floor(width / 2);
  const lines: ReactNode[] = [];
  for (let r = 0; r < perCol; r++) {
    const a = entries[r] ?? ["", false];
    const b = entries[r + perCol] ?? ["", false];
    lines.push(
      <Text key={r} wrap="truncate">
        <Text bold={a[1]} color={a[1] ? col(frame.color, "cyan") : undefined}>{fit(a[0], colW)}</Text>
        <Text bold={b[1]} color={b[1] ? col(frame.color, "cyan") : undefined}>{b[0]}</Text>
      </Text>,
    );
  }
  lines.push(<Text key="m0" bold color={col(frame.color, "cyan")}>marks:</Text>);
  lines.push(
    <Text key="m1" wrap="truncate">▶ current │ on the path ◆ pruning point ● breakpoint ✗ error</Text>,
  );
  lines.push(<Text key="m2" wrap="truncate">heat: times processed, ▁..█ on a log scale</Text>);
  const shown = lines.slice(0, height);
  for (let k = shown.length; k < height; k++) shown.push(<Text key={`p${k}`}>{SP}</Text>);
  return (
    <Panel title="help: keys" note="any key closes" width={width} height={height} color={frame.color} accent="cyan">
      {shown}
    </Panel>
  );
}

/** The gallery overlay: pick an example with ↑/↓ (or its number) and Enter. */
export function GalleryOverlay(
  props: { frame: Frame; width: number; height: number; entries: readonly GalleryEntry[] },
): ReactNode {
  const { frame, width, height, entries } = props;
  const sel = frame.ui.gallerySel;
  const lines: ReactNode[] = [];
  entries.forEach((g, k) => {
    const mark = k === sel ? "›" : " ";
    lines.push(
      <Text key={`g${k}`} wrap="truncate" inverse={k === sel} bold={k === sel}>
        {fit(`${mark} ${k + 1}. ${g.title}  [${g.expect}]`, width)}
      </Text>,
    );
  });
  lines.push(<Text key="sep">{SP}</Text>);
  for (const l of wrap(entries[sel]?.about ?? "", width - 2)) {
    lines.push(<Text key={`a${lines.length}`} color={col(frame.color, "cyan")}>{"  " + l}</Text>);
  }
  lines.push(<Text key="sep2">{SP}</Text>);
  lines.push(<Text key="keys" dimColor>↑/↓ or 1-9 choose · Enter open · Esc close</Text>);
  const shown = lines.slice(0, height);
  for (let k = shown.length; k < height; k++) shown.push(<Text key={`p${k}`}>{SP}</Text>);
  return <Panel title="gallery" width={width} height={height} color={frame.color} accent="cyan">{shown}</Panel>;
}

/** Shown instead of the UI when the terminal is smaller than the layout needs. */
export function TooSmall(props: { cols: number; rows: number }): ReactNode {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">{`Terminal too small: ${props.cols}x${props.rows}.`}</Text>
      <Text wrap="truncate">{`bpfscope tui needs at least ${MIN_COLS}x${MIN_ROWS}.`}</Text>
      <Text wrap="truncate">Enlarge the window, or q to quit.</Text>
    </Box>
  );
}
