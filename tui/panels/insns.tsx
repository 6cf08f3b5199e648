/**
 * The instruction list: kernel-style disassembly of the visible window with
 * heat, breakpoints, the current instruction, the current path, pruning
 * points and the error instruction (lines from `lines.ts`).
 *
 * @module
 */
import type { ReactNode } from "react";
import type { Frame } from "../model.ts";
import { LinesPanel } from "./common.tsx";
import { insnLines } from "./lines.ts";

export { compact, rowText } from "./text.ts";

/** The instruction panel. */
export function InsnPanel(props: { frame: Frame; width: number; height: number }): ReactNode {
  const { frame, width, height } = props;
  return <LinesPanel frame={frame} panel={insnLines(frame, width, height)} width={width} height={height} />;
}
