/**
 * The pending-branch stack, the 32k budget and the log panels.
 *
 * @module
 */
import { Text } from "ink";
import type { ReactNode } from "react";
import { bar, fit, type Frame } from "../model.ts";
import { col, Panel, SP } from "./common.tsx";
import { wrap } from "./text.ts";

function pad(lines: ReactNode[], height: number): ReactNode[] {
  const out = lines.slice(0, height);
  for (let k = out.length; k < height; k++) out.push(<Text key={`pad${k}`}>{SP}</Text>);
  return out;
}

/** The pending-branch stack: depth and the entries on top (`from A to B`). */
export function PendingPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const lines: ReactNode[] = [];
  const d = frame.pendingDepth;
  const shown = frame.pending.slice(0, d > height ? height - 1 : height);
  shown.forEach((p, k) => {
    const label = `${String(d - k).padStart(4)}  from ${p.from} to ${p.to}`;
    lines.push(
      <Text key={k} wrap="truncate" bold={k === 0} color={k === 0 ? col(frame.color, "yellow") : undefined}>
        {fit(label + (k === 0 ? "  ← next" : ""), width)}
      </Text>,
    );
  });
  if (d > shown.length) {
    lines.push(<Text key="more" dimColor wrap="truncate">{`   … ${d - shown.length} more below`}</Text>);
  }
  if (d === 0) lines.push(<Text key="empty" dimColor>(empty)</Text>);
  const accent = frame.event === "branch" ? "yellow" : frame.event === "resume" ? "green" : undefined;
  return (
    <Panel
      title="pending branches"
      note={`depth ${d}`}
      width={width}
      height={height}
      color={frame.color}
      accent={accent}
    >
      {pad(lines, height)}
    </Panel>
  );
}

/** The processed-instructions budget with stored states and prunes. */
export function BudgetPanel(props: { frame: Frame; width: number }): ReactNode {
  const { frame, width } = props;
  const b = frame.budget;
  const nums = ` ${b.processed}/${b.limit}`;
  const frac = b.limit > 0 ? b.processed / b.limit : 0;
  const barColor = frac >= 1 ? "red" : frac > 0.75 ? "yellow" : "green";
  return (
    <Panel
      title="budget"
      note={`${(frac * 100).toFixed(frac < 0.1 ? 2 : 1)}%`}
      width={width}
      height={2}
      color={frame.color}
    >
      <Text wrap="truncate">
        <Text color={col(frame.color, barColor)}>{bar(b.processed, b.limit, width - nums.length)}</Text>
        <Text>{nums}</Text>
      </Text>
      <Text wrap="truncate">
        {fit(`stored ${b.stored}  pruned ${b.prunes}  pruning ${frame.pruning ? "on" : "OFF"}`, width)}
      </Text>
    </Panel>
  );
}

/** The log as the kernel prints it, tail-following. */
export function LogPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const last = frame.log.length - 1;
  const lines = frame.log.map((l, k) => {
    const isErr = frame.verdict && !frame.verdict.accepted && k === last;
    const isState = l.startsWith(" R") || l.startsWith("from ");
    const isSafe = l.endsWith(": safe");
    return (
      <Text
        key={k}
        wrap="truncate"
        color={col(frame.color, isErr ? "red" : isSafe ? "magenta" : isState ? "gray" : "")}
        bold={!!isErr}
      >
        {l === "" ? " " : l}
      </Text>
    );
  });
  return (
    <Panel title="log" note={`${frame.logTotal} lines`} width={width} height={height} color={frame.color}>
      {pad(lines, height)}
    </Panel>
  );
}

/** The end screen: accepted, or rejected with the error, the failing instruction and the path. */
export function VerdictPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  const v = frame.verdict;
  const lines: ReactNode[] = [];
  if (!v) return null;
  if (v.accepted) {
    lines.push(<Text key="a" bold color={col(frame.color, "green")}>✓ ACCEPTED</Text>);
    lines.push(<Text key="b" wrap="truncate">{`processed ${frame.budget.processed} insns`}</Text>);
    lines.push(<Text key="c" wrap="truncate">{`stored ${frame.budget.stored}, pruned ${frame.budget.prunes}`}</Text>);
  } else {
    lines.push(
      <Text key="a" bold color={col(frame.color, "red")} wrap="truncate">
        {`✗ REJECTED${v.errno ? ` (${v.errno})` : ""}`}
      </Text>,
    );
    for (const part of (v.message ?? "").split("\n")) {
      for (const l of wrap(part, width)) {
        lines.push(<Text key={`m${lines.length}`} color={col(frame.color, "red")}>{l}</Text>);
      }
    }
    if (v.insn !== undefined && v.insn >= 0) {
      lines.push(
        <Text key="i" wrap="truncate">
          {`at insn ${v.insn}${frame.errorText ? ": " + frame.errorText : ""}`}
        </Text>,
      );
    }
    if (v.explain && v.explain.length) {
      for (const l of v.explain) {
        for (const w of wrap(l, width)) lines.push(<Text key={`e${lines.length}`} dimColor={false}>{w}</Text>);
      }
    } else if (frame.path.length) {
      for (const w of wrap("path: " + frame.path.join(" → "), width)) {
        lines.push(<Text key={`p${lines.length}`} color={col(frame.color, "cyan")}>{w}</Text>);
      }
    }
  }
  return (
    <Panel title="verdict" width={width} height={height} color={frame.color} accent={v.accepted ? "green" : "red"}>
      {pad(lines, height)}
    </Panel>
  );
}

export { wrap } from "./text.ts";
