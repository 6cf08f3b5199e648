/**
 * The root of the terminal UI: {@link Screen} lays out the panels of a
 * frame for the terminal size; {@link App} is the same as a live Ink
 * component driven by a {@link Controller}.
 *
 * @module
 */
import { Box, type Key as InkKey, Text, useApp, useInput, useStdout } from "ink";
import { type ReactNode, useEffect, useReducer, useState } from "react";
import type { GalleryEntry } from "./gallery.ts";
import { computeLayout, type Frame } from "./model.ts";
import { type Controller, type Key, TICK_MS } from "./controller.ts";
import { InsnPanel } from "./panels/insns.tsx";
import { SP } from "./panels/common.tsx";
import { rightHeights } from "./panels/text.ts";
import { StatePanel } from "./panels/state.tsx";
import { BudgetPanel, LogPanel, PendingPanel, VerdictPanel } from "./panels/walk.tsx";
import { Footer, GalleryOverlay, Header, HelpOverlay, TooSmall } from "./panels/chrome.tsx";

/** Props of {@link App}. */
export interface AppProps {
  /** The controller (session, UI state, keys). */
  controller: Controller;
  /** Use colours. */
  color: boolean;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { cols: number; rows: number };
}

function useTerminalSize(fixed?: { cols: number; rows: number }): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => fixed ?? { cols: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const on = () => setSize(read());
    stdout.on("resize", on);
    return () => {
      stdout.off("resize", on);
    };
  }, [stdout]);
  return size;
}

/** The body when no overlay covers it. */
function Body(props: { frame: Frame }): ReactNode {
  const f = props.frame;
  const L = f.layout;
  const { stateRows, verdictRows } = rightHeights(f);
  return (
    <Box flexDirection="row">
      <Box flexDirection="column" width={L.leftW}>
        <InsnPanel frame={f} width={L.leftW} height={L.insnRows} />
        <LogPanel frame={f} width={L.leftW} height={L.logRows} />
      </Box>
      <Box width={1}>
        <Text>{SP}</Text>
      </Box>
      <Box flexDirection="column" width={L.rightW}>
        {f.verdict ? <VerdictPanel frame={f} width={L.rightW} height={verdictRows} /> : null}
        <StatePanel frame={f} width={L.rightW} height={stateRows} />
        <PendingPanel frame={f} width={L.rightW} height={L.pendingRows} />
        <BudgetPanel frame={f} width={L.rightW} />
      </Box>
    </Box>
  );
}

/** The whole screen for a frame (pure: used by the app and by render tests). */
export function Screen(props: { frame: Frame; gallery: readonly GalleryEntry[] }): ReactNode {
  const f = props.frame;
  const L = f.layout;
  if (L.tooSmall) return <TooSmall cols={L.cols} rows={L.termRows} />;
  const bodyH = L.rows - 2;
  let body: ReactNode;
  if (f.ui.overlay === "help") body = <HelpOverlay frame={f} width={L.cols} height={bodyH - 1} />;
  else if (f.ui.overlay === "gallery") {
    body = <GalleryOverlay frame={f} width={L.cols} height={bodyH - 1} entries={props.gallery} />;
  } else body = <Body frame={f} />;
  return (
    <Box flexDirection="column" width={L.cols} height={L.rows}>
      <Header frame={f} />
      <Box height={bodyH} flexDirection="column">{body}</Box>
      <Footer frame={f} />
    </Box>
  );
}

/** Map an Ink key event to a controller key. */
export function inkKey(input: string, key: InkKey): Key | null {
  if (key.upArrow) return { name: "up" };
  if (key.downArrow) return { name: "down" };
  if (key.leftArrow) return { name: "left" };
  if (key.rightArrow) return { name: "right" };
  if (key.pageUp) return { name: "pageup" };
  if (key.pageDown) return { name: "pagedown" };
  if (key.return) return { name: "enter" };
  if (key.escape) return { name: "escape" };
  if (key.backspace || key.delete) return { name: "backspace" };
  if (input) return { name: input, ctrl: key.ctrl };
  return null;
}

/**
 * The app as an Ink component (used by tests with ink-testing-library; the
 * terminal driver in `run.ts` renders {@link Screen} itself, diffing lines).
 */
export function App(props: AppProps): ReactNode {
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [, redraw] = useReducer((x: number) => x + 1, 0);
  const c = props.controller;
  const layout = computeLayout(size.cols, size.rows);
  useEffect(() => {
    if (!c.ui.playing) return;
    const id = setInterval(() => {
      if (c.tick(performance.now())) redraw();
    }, TICK_MS);
    return () => clearInterval(id);
  }, [c.ui.playing, c.ui.speed, c.session]);
  useInput((input, key) => {
    const k = inkKey(input, key);
    if (!k) return;
    c.key(k, layout);
    if (c.quit) exit();
    redraw();
  });
  return <Screen frame={c.frame(layout, props.color)} gallery={c.gallery} />;
}
