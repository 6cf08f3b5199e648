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
import { col, Panel } from "./common.tsx";
import { wrap } from "./walk.tsx";

const EVENT_LABEL: Record<string, string> = {
  insn: "insn",
  branch: "BRANCH pushed",
  resume: "RESUMED",
  store: "state stored",
  prune: "PRUNED",
  error: "ERROR",
  accept: "ACCEPTED",
};

/** The top line: program, step, event, profile, pruning, play state. */
export function Header(props: { frame: Frame }): ReactNode {
  const f = props.frame;
  const w = f.layout.cols;
  const ev = f.event ? EVENT_LABEL[f.event] : "start";
  const at = f.pc >= 0 ? ` @${f.pc}` : "";
  const right = ` ${f.profile}${f.pruning ? "" : " · NO PRUNING"} · ${f.ui.playing ? `▶ ${f.ui.speed}/s` : "paused"} `;
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
  return (
    <Text wrap="truncate" inverse>
      <Text bold>{left}</Text>
      <Text bold color={col(f.color, evColor)}>{ev}</Text>
      <Text>{at + " ".repeat(gap) + right}</Text>
    </Text>
  );
}

/** The bottom line: the go-to prompt, a message, or key hints. */
export function Footer(props: { frame: Frame }): ReactNode {
  const f = props.frame;
  const w = f.layout.cols;
  if (f.ui.prompt !== null) {
    return <Text wrap="truncate" bold>{fit(`go to instruction: ${f.ui.prompt}▏  (Enter: go, Esc: cancel)`, w)}</Text>;
  }
  const hints = "s step  n next event  space run  b back  x break  p pruning  P profile  l gallery  ? help  q quit";
  if (f.ui.message) {
    return (
      <Text wrap="truncate">
        <Text bold color={col(f.color, "yellow")}>{f.ui.message}</Text>
        <Text dimColor>{fit("  " + hints, Math.max(0, w - f.ui.message.length))}</Text>
      </Text>
    );
  }
  return <Text wrap="truncate" dimColor>{fit(hints, w)}</Text>;
}

/** The help overlay: every key. */
export function HelpOverlay(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const lines: ReactNode[] = [];
  const colW = width >= 100 ? Math.floor(width / 2) : width;
  const entries: string[] = [];
  const heads = new Set<number>();
  for (const g of KEYS) {
    heads.add(entries.length);
    entries.push(`${g.group}:`);
    for (const k of g.items) entries.push(`  ${k.keys.padEnd(11)} ${k.what}`);
  }
  entries.push("");
  heads.add(entries.length);
  entries.push("marks:");
  entries.push("  ▶ current  │ on the current path  ◆ pruning point  ● breakpoint  ✗ error");
  entries.push("  heat: times processed (▁..█ on a log scale)");
  entries.push("  any key closes this help");
  const perCol = colW === width ? entries.length : Math.ceil(entries.length / 2);
  for (let r = 0; r < Math.min(height, perCol); r++) {
    const a = entries[r] ?? "";
    const b = colW === width ? "" : entries[r + perCol] ?? "";
    lines.push(
      <Text key={r} wrap="truncate">
        <Text bold={heads.has(r)} color={heads.has(r) ? col(frame.color, "cyan") : undefined}>{fit(a, colW)}</Text>
        <Text bold={heads.has(r + perCol)} color={heads.has(r + perCol) ? col(frame.color, "cyan") : undefined}>
          {b}
        </Text>
      </Text>,
    );
  }
  for (let k = lines.length; k < height; k++) lines.push(<Text key={`p${k}`}></Text>);
  return <Panel title="help: keys" width={width} height={height} color={frame.color} accent="cyan">{lines}</Panel>;
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
  lines.push(<Text key="sep"></Text>);
  for (const l of wrap(entries[sel]?.about ?? "", width - 2)) {
    lines.push(<Text key={`a${lines.length}`} color={col(frame.color, "cyan")}>{"  " + l}</Text>);
  }
  lines.push(<Text key="sep2"></Text>);
  lines.push(<Text key="keys" dimColor>↑/↓ or 1-9 choose · Enter open · Esc close</Text>);
  const shown = lines.slice(0, height);
  for (let k = shown.length; k < height; k++) shown.push(<Text key={`p${k}`}></Text>);
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
