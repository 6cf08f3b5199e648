/**
 * The terminal driver of the interactive UI: alternate screen, raw keys, a
 * frame rendered with Ink's `renderToString` and written as a line diff
 * (only changed rows are rewritten, inside a synchronized update, so there
 * is no flicker), redraw on resize, and a terminal that is restored on
 * quit, Ctrl-C, SIGTERM/SIGHUP and uncaught errors.
 *
 * Ink and React are imported here lazily, so the text walk and the rest of
 * the CLI never load them; the verifier view is drawn without them
 * (`plain.ts`, the same characters and styles) until they are loaded, in the
 * background after the first frame.
 *
 * @module
 */
import type { WalkOptions } from "./engine.ts";
import type { GalleryEntry } from "./gallery.ts";
import { Controller, type Session, TICK_MS } from "./controller.ts";
import { parseKeys } from "./keys.ts";
import { computeLayout } from "./model.ts";
import type { Debugger } from "./debugger.ts";
import { mark } from "./startup.ts";
import { plainLines } from "./plain.ts";

/** How long the screen stays still before every row is written once more (see `settled` below). */
const SETTLE_MS = 500;

/** Options for {@link runInteractive}. */
export interface InteractiveOptions {
  /** The first session. */
  session: Session;
  /** Gallery entries. */
  gallery: readonly GalleryEntry[];
  /** Open a gallery entry. */
  openExample: (g: GalleryEntry, opts: WalkOptions) => Session;
  /** Colours on. */
  color: boolean;
  /** Start animating at once. */
  autoplay?: boolean;
  /** Animation speed (steps per second). */
  speed?: number;
  /** Run mode (the debugger over the interpreter) for a session's program: `m` switches views. */
  debugger?: (session: Session) => Debugger;
  /** Open in run mode. */
  startInRun?: boolean;
  /** A slice of background work between frames (parsing a log); returns true when the frame should be redrawn. */
  background?: () => boolean;
  /** A note for the status line of the first frame (what the command printed on stderr before the UI opened). */
  message?: string;
  /** Where keys come from (default stdin; `/dev/tty` when stdin is the pipe a log arrives through). */
  input?: { read(p: Uint8Array): Promise<number | null>; setRaw(on: boolean): void };
}

/** Alternate screen, home, clear, hide cursor, no autowrap. */
export const ENTER_SCREEN = "\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l\x1b[?7l";
/** Autowrap on, show cursor, leave the alternate screen. */
export const LEAVE_SCREEN = "\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l";

/** Run the UI until the user quits. Restores the terminal however it ends. */
export async function runInteractive(opts: InteractiveOptions): Promise<void> {
  const input = opts.input ?? Deno.stdin;
  // Ink and React are loaded only for the verifier view (run mode draws plain strings)
  type Ink = {
    renderToString: typeof import("ink").renderToString;
    React: typeof import("react");
    Screen: typeof import("./app.tsx").Screen;
    stringWidth: typeof import("string-width").default;
  };
  let ink: Ink | null = null;
  let inkLoading: Promise<Ink> | null = null;
  const loadInk = (): Promise<Ink> =>
    inkLoading ??= Promise.all([import("ink"), import("react"), import("./app.tsx"), import("string-width")])
      .then(([{ renderToString }, React, { Screen }, { default: stringWidth }]) => {
        mark("ink");
        return (ink = { renderToString, React, Screen, stringWidth });
      });
  let dbg: Debugger | null = opts.startInRun && opts.debugger ? opts.debugger(opts.session) : null;
  let dbgSession: Session | null = dbg ? opts.session : null;
  let mode: "verify" | "run" = dbg ? "run" : "verify";
  const enc = new TextEncoder();
  const write = (s: string) => {
    const b = enc.encode(s);
    let off = 0;
    while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
  };
  const ctl = new Controller(opts.session, opts.gallery, opts.openExample);
  if (opts.speed) ctl.ui = { ...ctl.ui, speed: opts.speed };
  if (opts.autoplay) ctl.ui = { ...ctl.ui, playing: true };
  if (opts.message) ctl.ui = { ...ctl.ui, message: opts.message };

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      input.setRaw(false);
    } catch { /* not a tty */ }
    write(LEAVE_SCREEN);
  };

  // chalk (Ink's styles) writes no SGR code at all on a terminal it finds without colour support
  const force = Deno.env.get("FORCE_COLOR");
  const styled = force !== undefined ? force !== "0" && force !== "false" : Deno.env.get("TERM") !== "dumb";
  let size = Deno.consoleSize();
  let drawn = false;
  let prev: string[] = [];
  // once the screen has been still for SETTLE_MS every row is written once more, whether or not it changed:
  // whatever a terminal lost or another writer scribbled over (a busy machine, a stray line on stderr)
  // is repaired without a key press
  let lastDraw = 0, settled = true;
  const draw = (full = false) => {
    let lines: string[];
    if (mode === "run") lines = dbg!.lines(size.columns, size.rows, opts.color);
    else if (!ink) {
      // until Ink is loaded; an overlay waits for it
      const plain = plainLines(ctl.frame(computeLayout(size.columns, size.rows, false), opts.color), styled);
      if (plain === null) return;
      lines = plain;
    } else {
      const { renderToString, React, Screen } = ink;
      const layout = computeLayout(size.columns, size.rows, false);
      const frame = ctl.frame(layout, opts.color);
      const s = renderToString(React.createElement(Screen, { frame, gallery: ctl.gallery }), { columns: size.columns });
      lines = s.split("\n");
    }
    let out = "\x1b[?2026h";
    if (full) {
      out += "\x1b[0m\x1b[2J";
      prev = [];
    }
    let rows = 0;
    for (let i = 0; i < size.rows; i++) {
      const l = lines[i] ?? "";
      if (l === prev[i]) continue;
      const w = l.length <= size.columns && /^[\x20-\x7e]*$/.test(l) ? l.length : width(l);
      out += `\x1b[${i + 1};1H\x1b[0m${l}\x1b[0m${w < size.columns ? " ".repeat(size.columns - w) : ""}`;
      rows++;
    }
    if (rows === 0) return;
    out += "\x1b[?2026l";
    write(out);
    prev = lines;
    lastDraw = performance.now();
    settled = false;
    if (!drawn) mark(mode === "verify" ? "full frame" : "first frame");
    drawn = true;
  };
  // display width: Ink's string-width when loaded; run mode's lines only use one-column characters
  // deno-lint-ignore no-control-regex
  const width = (l: string) => ink ? ink.stringWidth(l) : l.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").length;

  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const guard = (f: () => void) => {
    try {
      f();
    } catch (e) {
      fail(e);
    }
  };
  const onResize = () =>
    guard(() => {
      size = Deno.consoleSize();
      draw(true);
    });
  const onSignal = () => {
    restore();
    Deno.exit(130);
  };
  const onError = (e: ErrorEvent | PromiseRejectionEvent) => {
    e.preventDefault?.();
    fail("reason" in e ? e.reason : e.error);
  };

  write(ENTER_SCREEN);
  input.setRaw(true);
  globalThis.addEventListener("unhandledrejection", onError);
  globalThis.addEventListener("error", onError);
  const signals: Deno.Signal[] = ["SIGTERM", "SIGHUP"];
  const listen = (sig: Deno.Signal, f: () => void, on: boolean) => {
    try {
      if (on) Deno.addSignalListener(sig, f);
      else Deno.removeSignalListener(sig, f);
    } catch { /* not supported here */ }
  };
  for (const s of signals) listen(s, onSignal, true);
  listen("SIGWINCH", onResize, true);
  // while background work goes on (a log being parsed), frames from the timer are drawn at most every
  // 150 ms: drawing takes time the parse would otherwise get; keys still redraw at once
  let lastTimerDraw = 0, owed = false;
  const timer = setInterval(() =>
    guard(() => {
      const more = opts.background ? opts.background() : false;
      const changed = (mode === "verify" && ctl.tick(performance.now())) || more || owed;
      const now = performance.now();
      if (!changed) {
        if (!settled && now - lastDraw >= SETTLE_MS) {
          prev = [];
          draw();
          settled = true;
        }
        return;
      }
      if (more && now - lastTimerDraw < 150) {
        owed = true;
        return;
      }
      owed = false;
      lastTimerDraw = now;
      draw();
    }), TICK_MS);
  let reading = true;
  const readKeys = async () => {
    const buf = new Uint8Array(1024);
    const dec = new TextDecoder();
    while (reading) {
      const n = await input.read(buf);
      if (n === null) break;
      const layout = computeLayout(size.columns, size.rows, false);
      let full = false;
      for (const k of parseKeys(dec.decode(buf.subarray(0, n)))) {
        if (k.ctrl && k.name === "l") {
          // Ctrl-L: clear the terminal and draw every row again
          full = true;
          continue;
        }
        if (mode === "run" && dbg) {
          dbg.key(k);
          if (dbg.quit) return finish();
          if (dbg.switchToVerifier) {
            dbg.switchToVerifier = false;
            // drawn without Ink until it is loaded
            if (!ink) loadInk().then(() => guard(() => draw()), fail);
            mode = "verify";
            full = true;
          }
          continue;
        }
        if (k.name === "m" && !k.ctrl && opts.debugger && ctl.ui.overlay === "none" && ctl.ui.prompt === null) {
          // a gallery example opened since the debugger was made gets a debugger of its own
          if (!dbg || dbgSession !== ctl.session) {
            // a program the machine cannot load (a map type of another profile): say so, stay in this view
            try {
              dbg = opts.debugger(ctl.session);
            } catch (e) {
              ctl.ui = { ...ctl.ui, message: (e as Error).message };
              continue;
            }
            dbgSession = ctl.session;
          }
          mode = "run";
          full = true;
          continue;
        }
        ctl.key(k, layout);
        if (ctl.quit) break;
      }
      if (ctl.quit) return finish();
      draw(full);
    }
    finish();
  };
  try {
    draw(true);
    readKeys().catch(fail);
    if (mode === "verify") {
      // the frames so far came from plain.ts; Ink draws from now on (the same lines: the diff writes nothing new)
      await loadInk();
      guard(() => draw());
      mark("ink frame");
    }
    await done;
  } finally {
    reading = false;
    clearInterval(timer);
    for (const s of signals) listen(s, onSignal, false);
    listen("SIGWINCH", onResize, false);
    globalThis.removeEventListener("unhandledrejection", onError);
    globalThis.removeEventListener("error", onError);
    restore();
  }
}
