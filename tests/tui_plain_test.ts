// The plain renderer (tui/plain.ts, the frames drawn before Ink is loaded) against Ink's rendering of the same
// frames, cell by cell: character, bold, dim, inverse and colour, on the real verifier's walks of every gallery
// example at several terminal sizes, colours on and off, at the start, after steps, at prunes, at the verdict,
// with pruning off, the cursor moved, a message and the go-to prompt.
// Ink renders nothing while CI is set: clear it before Ink is loaded.
Deno.env.delete("CI");
import assert from "node:assert/strict";
import { Controller, type Session } from "../tui/controller.ts";
import { Timeline } from "../tui/timeline.ts";
import { loadVerifier } from "../tui/verifier_engine.ts";
import { GALLERY, type GalleryEntry } from "../tui/gallery.ts";
import { computeLayout, type Frame } from "../tui/model.ts";
import type { WalkOptions } from "../tui/engine.ts";
import { plainLines } from "../tui/plain.ts";
import { logEngineFactory, LogFeed } from "../tui/log_engine.ts";

const { renderToString } = await import("ink");
const React = await import("react");
const { Screen } = await import("../tui/app.tsx");
// Ink styles through chalk, whose level follows the terminal: force basic colours (not FORCE_COLOR, which the
// process shares with other test files and their CLI subprocesses)
const { default: chalk } = await import("chalk");
chalk.level = 1;

/** One terminal cell: the character and its attributes. */
interface Cell {
  ch: string;
  bold: boolean;
  dim: boolean;
  inverse: boolean;
  fg: number;
}

/** The cells of a line with SGR codes, padded with blank cells to `cols`. */
function cells(line: string, cols: number): Cell[] {
  const out: Cell[] = [];
  let st = { bold: false, dim: false, inverse: false, fg: 39 };
  // deno-lint-ignore no-control-regex
  const re = /\x1b\[([0-9;]*)m|([^\x1b])/gu;
  for (const m of line.matchAll(re)) {
    if (m[2] !== undefined) {
      out.push({ ch: m[2], ...st });
      continue;
    }
    for (const c of (m[1] === "" ? "0" : m[1]).split(";").map(Number)) {
      if (c === 0) st = { bold: false, dim: false, inverse: false, fg: 39 };
      else if (c === 1) st = { ...st, bold: true };
      else if (c === 2) st = { ...st, dim: true };
      else if (c === 22) st = { ...st, bold: false, dim: false };
      else if (c === 7) st = { ...st, inverse: true };
      else if (c === 27) st = { ...st, inverse: false };
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97) || c === 39) st = { ...st, fg: c };
      else throw new Error(`unexpected SGR ${c} in ${JSON.stringify(line)}`);
    }
  }
  while (out.length < cols) out.push({ ch: " ", bold: false, dim: false, inverse: false, fg: 39 });
  return out;
}

/** What a cell looks like: a blank shows only inverse (bold, dim and foreground colour do not show on a space). */
function look(c: Cell): string {
  if (c.ch === " ") return c.inverse ? "[inv]" : " ";
  return `${c.ch}${c.bold ? "b" : ""}${c.dim ? "d" : ""}${c.inverse ? "i" : ""}${c.fg === 39 ? "" : c.fg}`;
}

function compare(frame: Frame, label: string): void {
  const cols = frame.layout.cols;
  const ink = renderToString(React.createElement(Screen, { frame, gallery: GALLERY }), { columns: cols }).split("\n");
  const plain = plainLines(frame)!;
  assert.ok(plain !== null, `${label}: no plain frame`);
  for (let i = 0; i < frame.layout.rows; i++) {
    const a = cells(plain[i] ?? "", cols).map(look), b = cells(ink[i] ?? "", cols).map(look);
    assert.deepEqual(a, b, `${label}, line ${i}:\nplain ${JSON.stringify(plain[i])}\nink   ${JSON.stringify(ink[i])}`);
  }
}

const make = await loadVerifier();
const open = (g: GalleryEntry, o: WalkOptions): Session => ({
  tl: new Timeline(make((p) => g.build(p)), o),
  title: g.title,
});

Deno.test("plain renderer: every gallery example, sizes, colours, steps, prunes and verdicts look as Ink draws them", () => {
  const sizes: Array<[number, number]> = [[80, 24], [100, 30], [120, 40], [170, 50], [90, 26]];
  let frames = 0, prunes = 0;
  for (const g of GALLERY) {
    for (const [k, [cols, rows]] of sizes.entries()) {
      const profile = k % 2 ? "linux-3.18" : "linux-3.19";
      const c = new Controller(open(g, { profile, pruning: k !== 4 }), GALLERY, open);
      const layout = computeLayout(cols, rows, false);
      const color = k !== 2;
      const snap = (what: string) => {
        compare(c.frame(layout, color), `${g.id} ${cols}x${rows} ${what}`);
        frames++;
      };
      snap("start");
      for (const [i, key] of ["s", "s", "n", "n", "n", "j", "k"].entries()) {
        c.key({ name: key }, layout);
        snap(`after ${i + 1} keys (${key})`);
      }
      // on to the first prune, if the walk has one (the state panel shows the matched state beside the current)
      for (let n = 0; n < 60 && !c.session.tl.done; n++) {
        c.key({ name: "n" }, layout);
        if (c.frame(layout, color).matched) {
          snap("prune");
          prunes++;
          break;
        }
      }
      c.key({ name: "e" }, layout);
      snap("the end");
      c.key({ name: "g" }, layout);
      c.key({ name: "1" }, layout);
      snap("go-to prompt");
      c.key({ name: "escape" }, layout);
      c.key({ name: "x" }, layout);
      snap("breakpoint message");
    }
  }
  assert.ok(frames > 300 && prunes >= 4, `frames ${frames}, prunes ${prunes}`);
});

Deno.test("plain renderer: kernel log replays (source lines, values in words, progress) look as Ink draws them", async () => {
  const dir = new URL("./data/kernlog/samples/", import.meta.url).pathname;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".txt")).sort().slice(0, 6);
  assert.ok(files.length >= 3);
  let frames = 0;
  for (const [k, name] of files.entries()) {
    const feed = new LogFeed();
    feed.feed(await Deno.readTextFile(dir + name));
    feed.end();
    while (!feed.finished) feed.pump(100);
    const tl = new Timeline(logEngineFactory(feed), { profile: "kernel log", pruning: true });
    const c = new Controller({ tl, title: name }, GALLERY, open);
    const [cols, rows] = [[80, 24], [100, 30], [130, 40]][k % 3];
    const layout = computeLayout(cols, rows, false);
    const snap = (what: string) => {
      compare(c.frame(layout, k % 2 === 0), `${name} ${cols}x${rows} ${what}`);
      frames++;
    };
    snap("start");
    for (const key of ["s", "s", "n", "n", "n", "j", "e"]) {
      c.key({ name: key }, layout);
      snap(`after ${key}`);
    }
  }
  assert.ok(frames >= 24);
});

Deno.test("plain renderer: a too small terminal; overlays are left to Ink", () => {
  const c = new Controller(open(GALLERY[0], { profile: "linux-3.19", pruning: true }), GALLERY, open);
  compare(c.frame(computeLayout(70, 20, false), true), "too small");
  c.key({ name: "?" }, computeLayout(100, 30, false));
  assert.equal(plainLines(c.frame(computeLayout(100, 30, false), true)), null);
  // without styles: the characters only
  c.key({ name: "escape" }, computeLayout(100, 30, false));
  const lines = plainLines(c.frame(computeLayout(100, 30, false), true), false)!;
  assert.equal(lines.length, 30);
  assert.ok(lines.every((l) => !l.includes("\x1b")));
  assert.match(lines[0], /^ bpfscope · /);
});
