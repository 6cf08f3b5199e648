/**
 * The pending-branch stack, the 32k budget, the log and the verdict panels
 * (lines from `lines.ts`).
 *
 * @module
 */
import type { ReactNode } from "react";
import type { Frame } from "../model.ts";
import { LinesPanel } from "./common.tsx";
import { budgetLines, logLines, pendingLines, verdictLines } from "./lines.ts";

/** The pending-branch stack: depth and the entries on top (`from A to B`). */
export function PendingPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  return <LinesPanel frame={frame} panel={pendingLines(frame, width, height)} width={width} height={height} />;
}

/** The processed-instructions budget with stored states and prunes. */
export function BudgetPanel(props: { frame: Frame; width: number }): ReactNode {
  const { frame, width } = props;
  return <LinesPanel frame={frame} panel={budgetLines(frame, width)} width={width} height={2} />;
}

/** The log as the kernel prints it, tail-following. */
export function LogPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  return <LinesPanel frame={frame} panel={logLines(frame)} width={width} height={height} />;
}

/** The end screen: accepted, or rejected with the error, the failing instruction and the path. */
export function VerdictPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  if (!frame.verdict) return null;
  return <LinesPanel frame={frame} panel={verdictLines(frame, width)} width={width} height={height} />;
}

export { wrap } from "./text.ts";
