/**
 * The current verifier state: registers (type and value as the log prints
 * them) and the stack slots in use; on a prune, the stored state it matched
 * beside (or below) the current one (lines from `lines.ts`).
 *
 * @module
 */
import type { ReactNode } from "react";
import type { Frame } from "../model.ts";
import { LinesPanel } from "./common.tsx";
import { stateLines } from "./lines.ts";

export { flow, stateTokens, wordLines } from "./text.ts";

/** The state panel. */
export function StatePanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  return <LinesPanel frame={frame} panel={stateLines(frame, width, height)} width={width} height={height} />;
}
