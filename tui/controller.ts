/**
 * The controller: turns keys into {@link Timeline} operations and UI-state
 * changes, and drives the animation. Pure logic (no terminal, no React), so
 * key handling is unit-testable; the terminal driver (`run.ts`) and the Ink
 * component (`app.tsx`) both use it.
 *
 * @module
 */
import type { Program } from "../core/isa/mod.ts";
import type { WalkOptions } from "./engine.ts";
import type { GalleryEntry } from "./gallery.ts";
import { SPEEDS } from "./keys.ts";
import { buildFrame, type Frame, initialUi, type Layout, type UiState } from "./model.ts";
import type { Timeline } from "./timeline.ts";

/** Profiles the `P` key cycles through. */
export const PROFILES: readonly string[] = ["linux-3.18", "linux-3.19", "linux-6.18"];

/** What the UI is showing: a timeline and a title. */
export interface Session {
  /** The walk. */
  tl: Timeline;
  /** Title for the header. */
  title: string;
  /** The program of the walk, for run mode (`m`). */
  program?: () => Program;
  /** `log` when replaying a kernel verifier log: pruning, profiles and the gallery do not apply. */
  kind?: "verifier" | "log";
}

/** A key press, normalised. */
export interface Key {
  /** A printable character (`"s"`, `" "`, `"?"`), or a name: `up`, `down`, `left`, `right`, `pageup`, `pagedown`, `home`, `end`, `enter`, `escape`, `backspace`, `tab`. */
  name: string;
  /** Ctrl was held (`ctrl` + `c` is Ctrl-C). */
  ctrl?: boolean;
}

/** What the status line says when `e` reaches the edge of a log that is still being read. */
const LOADING = "the log is still being read: going on to the end as it is parsed (any key stops)";
/** What it says when `n` finds no event in the part of the log parsed so far. */
const NO_EVENT_YET = "the log is still being read: no event in the part parsed so far (n again looks further)";

/** Interval of the animation timer in milliseconds (40 ticks per second at full speed). */
export const TICK_MS = 25;

/** Keys, UI state and animation over a session. */
export class Controller {
  /** The current session. */
  session: Session;
  /** UI state. */
  ui: UiState;
  /** Set when the user asked to quit. */
  quit = false;
  /** Gallery entries. */
  readonly gallery: readonly GalleryEntry[];
  readonly #open: (g: GalleryEntry, o: WalkOptions) => Session;
  #carry = 0;
  #lastTick = 0;

  /**
   * @param session the first session
   * @param gallery gallery entries for `l`
   * @param openExample opens a gallery entry as a new session
   */
  constructor(
    session: Session,
    gallery: readonly GalleryEntry[],
    openExample: (g: GalleryEntry, o: WalkOptions) => Session,
  ) {
    this.session = session;
    this.gallery = gallery;
    this.#open = openExample;
    this.ui = initialUi();
  }

  /** The timeline of the current session. */
  get tl(): Timeline {
    return this.session.tl;
  }

  /** Build the frame for a layout. */
  frame(layout: Layout, color: boolean): Frame {
    return buildFrame(this.tl, this.ui, layout, this.session.title, color);
  }

  #patch(p: Partial<UiState>): void {
    this.ui = { ...this.ui, ...p };
  }

  /**
   * One animation tick: takes as many steps as the speed asks for since the
   * last tick. Returns true when something changed.
   * @param now a clock in milliseconds (performance.now())
   */
  tick(now: number): boolean {
    if (this.ui.toEnd) {
      // `e` while the log is still being read: go on as it gets parsed
      const r = this.tl.runToEnd(true);
      if (r !== "count") {
        this.#patch({ toEnd: false, message: r === "breakpoint" ? `breakpoint at ${this.tl.engine.pc}` : "" });
      }
      return true;
    }
    if (!this.ui.playing) {
      this.#lastTick = 0;
      return false;
    }
    const dt = this.#lastTick ? Math.min(250, now - this.#lastTick) : TICK_MS;
    this.#lastTick = now;
    this.#carry += (this.ui.speed * dt) / 1000;
    const n = Math.floor(this.#carry);
    if (n <= 0) return false;
    this.#carry -= n;
    const r = this.tl.advance(n);
    if (r === "end" || r === "breakpoint") {
      this.#patch({ playing: false, message: r === "breakpoint" ? `breakpoint at ${this.tl.engine.pc}` : "" });
    }
    return true;
  }

  /** Handle a key. `layout` gives the page size for PgUp/PgDn. */
  key(k: Key, layout: Layout): void {
    if (this.ui.toEnd) this.#patch({ toEnd: false, message: "" });
    const u = this.ui;
    const tl = this.tl;
    const patch = (p: Partial<UiState>) => this.#patch(p);
    if (k.ctrl && k.name === "c") {
      this.quit = true;
      return;
    }
    // other Ctrl keys are not the letter's action (Ctrl-L, the terminal's redraw, is the driver's: tui/run.ts)
    if (k.ctrl) return;
    if (u.prompt !== null) {
      if (k.name === "enter") {
        const n = Number(u.prompt);
        if (u.prompt !== "" && Number.isInteger(n) && n >= 0 && n < tl.engine.len) {
          patch({ prompt: null, cursor: n, follow: false, message: `cursor at ${n}` });
        } else patch({ prompt: null, message: u.prompt === "" ? "" : `no instruction ${u.prompt}` });
      } else if (k.name === "escape") patch({ prompt: null, message: "" });
      else if (k.name === "backspace") patch({ prompt: u.prompt.slice(0, -1) });
      else if (/^[0-9]$/.test(k.name)) patch({ prompt: (u.prompt + k.name).slice(0, 7) });
      return;
    }
    if (u.overlay === "help") {
      if (k.name === "q") this.quit = true;
      patch({ overlay: "none" });
      return;
    }
    if (u.overlay === "gallery") {
      const n = this.gallery.length;
      if (k.name === "escape" || k.name === "l" || k.name === "q") return patch({ overlay: "none" });
      if (k.name === "down" || k.name === "j") return patch({ gallerySel: (u.gallerySel + 1) % n });
      if (k.name === "up" || k.name === "k") return patch({ gallerySel: (u.gallerySel + n - 1) % n });
      let sel = u.gallerySel;
      if (/^[1-9]$/.test(k.name) && Number(k.name) <= n) sel = Number(k.name) - 1;
      else if (k.name !== "enter") return;
      const g = this.gallery[sel];
      this.session = this.#open(g, tl.options);
      patch({
        overlay: "none",
        gallerySel: sel,
        cursor: 0,
        follow: true,
        playing: false,
        message: `opened: ${g.title}`,
      });
      return;
    }
    const cursorBase = u.follow ? Math.max(0, tl.engine.pc) : u.cursor;
    const moveCursor = (d: number) =>
      patch({ follow: false, cursor: Math.max(0, Math.min(tl.engine.len - 1, cursorBase + d)), message: "" });
    const stopped = (m = "") => patch({ playing: false, message: m });
    if (this.session.kind === "log" && (k.name === "p" || k.name === "P" || k.name === "l")) {
      return patch({ message: "replaying a kernel log: pruning, profile and gallery do not apply" });
    }
    switch (k.name) {
      case "q":
        this.quit = true;
        return;
      case "?":
      case "h":
        return patch({ overlay: "help" });
      case "l":
        return patch({ overlay: "gallery", playing: false });
      case "s":
      case "right":
        tl.step();
        return stopped();
      case "n":
      case "c": {
        const r = tl.continueToEvent();
        return stopped(
          r === "breakpoint" ? `breakpoint at ${tl.engine.pc}` : r === "count" && !tl.ready ? NO_EVENT_YET : "",
        );
      }
      case " ":
      case "r":
        if (tl.done && !u.playing) return patch({ message: "the walk has ended: b back, 0 start, R restart" });
        return patch({ playing: !u.playing, message: "" });
      case "+":
      case "=": {
        const i = SPEEDS.findIndex((s) => s > u.speed);
        return patch({ speed: i < 0 ? u.speed : SPEEDS[i], message: "" });
      }
      case "-":
      case "_": {
        const lower = SPEEDS.filter((s) => s < u.speed);
        return patch({ speed: lower.length ? lower[lower.length - 1] : u.speed, message: "" });
      }
      case "e":
      case "end": {
        const r = tl.runToEnd(true);
        if (r === "count") return patch({ playing: false, toEnd: true, message: LOADING });
        return stopped(r === "breakpoint" ? `breakpoint at ${tl.engine.pc}` : "");
      }
      case "b":
      case "left":
        tl.back();
        return stopped();
      case "B":
        tl.backToEvent();
        return stopped();
      case "0":
      case "home":
        tl.goTo(0);
        return stopped("back at the start");
      case "R":
        tl.restart();
        return stopped("restarted");
      case "p":
        tl.restart({ pruning: !tl.options.pruning });
        return stopped(`pruning ${tl.options.pruning ? "on" : "OFF"}: restarted`);
      case "P": {
        const next = PROFILES[(PROFILES.indexOf(tl.options.profile) + 1) % PROFILES.length];
        tl.restart({ profile: next });
        return stopped(`profile ${next}: restarted`);
      }
      case "j":
      case "down":
        return moveCursor(1);
      case "k":
      case "up":
        return moveCursor(-1);
      case "pagedown":
        return moveCursor(layout.insnRows);
      case "pageup":
        return moveCursor(-layout.insnRows);
      case "g":
        return patch({ prompt: "", playing: false, message: "" });
      case "f":
        return patch({ follow: true, message: "following the walk" });
      case "x": {
        const on = tl.toggleBreakpoint(cursorBase);
        return patch({ message: `breakpoint ${on ? "set at" : "cleared at"} ${cursorBase}` });
      }
      case "t": {
        const target = cursorBase;
        const had = tl.breakpoints.has(target);
        tl.breakpoints.add(target);
        const r = tl.advance(Number.MAX_SAFE_INTEGER);
        if (!had) tl.breakpoints.delete(target);
        return stopped(r === "breakpoint" ? `reached ${tl.engine.pc}` : `${target} not reached`);
      }
      case "escape":
        return patch({ message: "" });
    }
  }
}
