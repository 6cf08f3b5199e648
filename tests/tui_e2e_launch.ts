/**
 * Test helper: the interactive TUI on the fake engine (the terminal driver
 * exactly as `bpfscope tui` uses it), for the tmux end-to-end test.
 * Usage: deno run -A tests/tui_e2e_launch.ts [EXAMPLE] [play]
 *
 * @module
 */
import { Timeline } from "../tui/timeline.ts";
import { FakeEngine } from "./tui_fake_engine.ts";
import { findExample, GALLERY, type GalleryEntry } from "../tui/gallery.ts";
import { runInteractive } from "../tui/run.ts";
import type { WalkOptions } from "../tui/engine.ts";

const open = (g: GalleryEntry, o: WalkOptions) => ({
  tl: new Timeline((oo) => new FakeEngine(g.build(oo.profile), oo), o),
  title: g.title,
});
// (picked up by `deno test tests/tui_*` too: nothing to drive without a terminal)
if (Deno.stdout.isTerminal()) {
  const g = findExample(Deno.args[0] ?? "misaligned")!;
  await runInteractive({
    session: open(g, { profile: "linux-3.18", pruning: true }),
    gallery: GALLERY,
    openExample: open,
    color: !Deno.env.get("NO_COLOR"),
    autoplay: Deno.args[1] === "play",
  });
  Deno.exit(0);
}
