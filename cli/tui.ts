/**
 * `bpfscope tui [FILE]`: watch the verifier walk a program, live. Without a
 * terminal (a pipe, CI) it prints the same walk as text and exits 0.
 *
 * @module
 */
import type { Command } from "commander";
import { CliError, loadProgramFile, parseIntOption, useColor } from "./util.ts";
import { findExample, GALLERY, type GalleryEntry } from "../tui/gallery.ts";
import type { WalkOptions } from "../tui/engine.ts";
import { textWalk } from "../tui/text.ts";
import { DEFAULT_PROFILE, PROFILES as VERIFIER_PROFILES } from "../core/verifier/mod.ts";
import { Timeline } from "../tui/timeline.ts";
import { type EngineMaker, loadVerifier, type ProgramSource } from "../tui/verifier_engine.ts";

/** The example `bpfscope tui` opens without a file. */
export const DEFAULT_EXAMPLE = "misaligned";

const PROFILES = Object.keys(VERIFIER_PROFILES);

/** Options of the `tui` command. */
interface TuiOptions {
  example?: string;
  profile: string;
  pruning: boolean;
  text?: boolean;
  play?: boolean;
  speed: string;
  maxEvents: string;
  log?: boolean;
}

/** Register the `tui` command. */
export function registerTui(program: Command): void {
  program
    .command("tui")
    .description("watch the verifier walk a program, live (prints a text walk when not on a terminal)")
    .argument("[file]", "program file (JSON, raw, asm, ELF); without it a built-in example")
    .option("-e, --example <id>", `gallery example: ${GALLERY.map((g) => g.id).join(", ")} (or 1-${GALLERY.length})`)
    .option("--profile <name>", `kernel profile: ${PROFILES.join(", ")}`, DEFAULT_PROFILE)
    .option("--no-pruning", "start with state pruning off")
    .option("--text", "print the text walk even on a terminal")
    .option("--play", "start the animation at once")
    .option("--speed <n>", "animation speed in steps per second", "20")
    .option("--max-events <n>", "text walk: print at most this many event lines", "200")
    .option("--log", "text walk: also print the verifier log")
    .addHelpText(
      "after",
      `
Keys: s step, n next event, space run/pause, b back, x breakpoint, p pruning,
P profile, l gallery, ? help, q quit.`,
    )
    .action(async (file: string | undefined, opts: TuiOptions) => {
      await runTuiCommand(file, opts);
    });
}

async function runTuiCommand(file: string | undefined, opts: TuiOptions): Promise<void> {
  if (!PROFILES.includes(opts.profile)) {
    throw new CliError(`--profile: expected one of ${PROFILES.join(", ")}, got '${opts.profile}'`, 2);
  }
  const speed = parseIntOption("--speed", opts.speed, 1, 1_000_000);
  const maxEvents = parseIntOption("--max-events", opts.maxEvents, 0);
  if (file && opts.example) throw new CliError("give a file or --example, not both", 2);
  let title: string;
  let src: ProgramSource;
  if (file) {
    src = loadProgramFile(file);
    title = file;
  } else {
    const g = findExample(opts.example ?? DEFAULT_EXAMPLE);
    if (!g) {
      throw new CliError(`--example: no example '${opts.example}' (${GALLERY.map((x) => x.id).join(", ")})`, 2);
    }
    src = (p: string) => g.build(p);
    title = g.title;
  }
  let make: EngineMaker;
  try {
    make = await loadVerifier();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const factory = make(src);
  const walk: WalkOptions = { profile: opts.profile, pruning: opts.pruning };
  const interactive = !opts.text && Deno.stdin.isTerminal() && Deno.stdout.isTerminal() && !Deno.env.get("CI");
  if (!interactive) {
    const out = textWalk(factory, { ...walk, title, maxEvents, log: opts.log });
    const bytes = new TextEncoder().encode(out);
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
    return;
  }
  const { runInteractive } = await import("../tui/run.ts");
  await runInteractive({
    session: { tl: new Timeline(factory, walk), title },
    gallery: GALLERY,
    openExample: (g: GalleryEntry, o: WalkOptions) => ({
      tl: new Timeline(make((p) => g.build(p)), o),
      title: g.title,
    }),
    color: useColor(Deno.stdout),
    autoplay: opts.play,
    speed,
  });
}
