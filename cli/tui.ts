/**
 * `bpfscope tui [FILE]`: watch the verifier walk a program, live. Without a
 * terminal (a pipe, CI) it prints the same walk as text and exits 0.
 *
 * @module
 */
import type { Command } from "commander";
import { BpfError } from "../core/errors.ts";
import {
  btfNotice,
  CliError,
  loadProgramFile,
  parseHexOption,
  parseIntOption,
  readFileOrDie,
  useColor,
} from "./util.ts";
import { findExample, GALLERY, type GalleryEntry } from "../tui/gallery.ts";
import type { WalkOptions } from "../tui/engine.ts";
import { textWalk } from "../tui/text.ts";
import { DEFAULT_PROFILE, PROFILE_NAMES } from "../core/verifier/mod.ts";
import { Timeline } from "../tui/timeline.ts";
import type { Session } from "../tui/controller.ts";
import type { InteractiveOptions } from "../tui/run.ts";
import { type EngineMaker, loadVerifier, type ProgramSource, verifierMaker } from "../tui/verifier_engine.ts";
import { mark, marksText } from "../tui/startup.ts";
import { PROG_TYPE_HELP, progTypeOption } from "./verify.ts";

/** The example `bpfscope tui` opens without a file. */
export const DEFAULT_EXAMPLE = "misaligned";

const PROFILES = PROFILE_NAMES;

/** Options of the `tui` command. */
interface TuiOptions {
  example?: string;
  profile: string;
  pruning: boolean;
  /** false with --no-btf: linux-6.18 walks ELF programs without their BTF func/line info. */
  btf: boolean;
  /** ELF objects: the section of the program. */
  section?: string;
  /** Program type name or number (default: the file's). */
  progType?: string;
  text?: boolean;
  play?: boolean;
  speed: string;
  maxEvents: string;
  log?: string;
  printLog?: boolean;
  run?: boolean;
  ctx?: string;
  data?: string;
  mem?: string;
  seed?: string;
  maxInsns?: string;
}

/** Register the `tui` command. */
export function registerTui(program: Command): void {
  program
    .command("tui")
    .description("watch the verifier walk a program, live (prints a text walk when not on a terminal)")
    .argument("[file]", "program file (JSON, raw, asm, ELF); without it a built-in example")
    .option("-e, --example <id>", `gallery example: ${GALLERY.map((g) => g.id).join(", ")} (or 1-${GALLERY.length})`)
    .option("--profile <name>", `kernel profile: ${PROFILES.join(", ")}`, DEFAULT_PROFILE)
    .option("--section <name>", "ELF objects: the section of the program (needed when there are several)")
    .option("--prog-type <type>", PROG_TYPE_HELP)
    .option("--no-pruning", "start with state pruning off")
    .option(
      "--no-btf",
      "linux-6.18, ELF objects: walk without the object's BTF func/line info (a global function is then " +
        "verified as a static one), as verify --no-btf does",
    )
    .option("--text", "print the text walk even on a terminal")
    .option("--play", "start the animation at once")
    .option("--speed <n>", "animation speed in steps per second", "20")
    .option("--max-events <n>", "text walk: print at most this many event lines", "200")
    .option("--log <file>", "replay a kernel verifier log (a file, or - for a pipe) instead of walking a program")
    .option("--print-log", "text walk: also print the verifier log")
    .option("--run", "run mode: step the interpreter (a debugger); without a terminal, print a trace")
    .option("--ctx <hex>", "run mode: ctx bytes (r1 points at a copy)")
    .option("--data <hex>", "run mode: packet bytes")
    .option("--mem <file>", "run mode: memory buffer (r1 = its address, r2 = its length)")
    .option("--seed <n>", "run mode: get_prandom_u32 seed", "1")
    .option("--max-insns <n>", "run mode: executed-instruction limit (default 1e9)")
    .addHelpText(
      "after",
      `
Examples:
  bpfscope tui                                   a built-in example (misaligned map access)
  bpfscope tui --profile linux-6.18 --section xdp prog.o
  clang -O2 -g -target bpf -c x.c -o - | bpfscope tui --profile linux-6.18 -
Keys: s step, n next event, space run/pause, b back, x breakpoint, p pruning,
P profile, l gallery, m run mode, ? help, q quit.
Replaying a log (--log FILE): the same keys step through what the kernel printed;
heat comes from the log's visit counts, the state panel describes values in words.
  bpfscope tui --log verifier.log
  bpftool -d prog load x.o /sys/fs/bpf/x 2>&1 | bpfscope tui --log -
Run mode (--run, or m): s step, c continue, b back, x breakpoint, v style,
R restart, m verifier view, q quit.`,
    )
    .action(async (file: string | undefined, opts: TuiOptions) => {
      await runTuiCommand(file, opts);
    });
}

/** Whether stdout is a terminal the UI can draw on (Ink draws nothing under CI=true). */
function uiTerminal(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("CI");
}

async function runTuiCommand(file: string | undefined, opts: TuiOptions): Promise<void> {
  mark("cli");
  // warnings and notes printed on stderr before the UI opens (its status line shows them too)
  const notes: string[] = [];
  const note = (line: string) => {
    console.error(line);
    notes.push(line);
  };
  if (!PROFILES.includes(opts.profile)) {
    throw new CliError(`--profile: expected one of ${PROFILES.join(", ")}, got '${opts.profile}'`, 2);
  }
  const speed = parseIntOption("--speed", opts.speed, 1, 1_000_000);
  const maxEvents = parseIntOption("--max-events", opts.maxEvents, 0);
  if (file && opts.example) throw new CliError("give a file or --example, not both", 2);
  if (!file && opts.progType !== undefined) throw new CliError("--prog-type applies to a program file", 2);
  if (opts.log !== undefined) {
    if (file || opts.example || opts.run) {
      throw new CliError("--log replays a log: give no program file, --example or --run", 2);
    }
    if (!opts.btf) note("note: --no-btf has no effect on a log replay");
    return await replayLog(opts.log, opts, speed, maxEvents, notes);
  }
  let title: string;
  let src: ProgramSource;
  if (file) {
    src = loadProgramFile(file, 2, opts.section);
    if (opts.progType !== undefined) src = src.clone({ progType: progTypeOption(opts.progType) });
    const notice = btfNotice(src, file, opts.profile, opts.btf, true);
    if (notice) note(notice);
    if (!opts.btf) src = src.clone({ btf: undefined });
    title = file === "-" ? "stdin" : file;
  } else {
    const g = findExample(opts.example ?? DEFAULT_EXAMPLE);
    if (!g) {
      throw new CliError(`--example: no example '${opts.example}' (${GALLERY.map((x) => x.id).join(", ")})`, 2);
    }
    if (!opts.btf) note("note: --no-btf has no effect on the built-in examples (they carry no BTF)");
    src = (p: string) => g.build(p);
    title = g.title;
  }
  const outTty = !opts.text && uiTerminal();
  // `clang ... -o - | bpfscope tui -`: the program came through stdin, keys come from the terminal (as for --log -)
  const keys = outTty && file === "-" ? openTty() : undefined;
  const interactive = outTty && (keys !== undefined || Deno.stdin.isTerminal());
  const input = {
    ctx: opts.ctx !== undefined ? parseHexOption("--ctx", opts.ctx) : undefined,
    data: opts.data !== undefined ? parseHexOption("--data", opts.data) : undefined,
    mem: opts.mem !== undefined ? readFileOrDie(opts.mem, 2) : undefined,
  };
  const vmOpts = {
    profile: opts.profile === "linux-3.18" ? "linux-3.18" as const : "modern" as const,
    seed: parseIntOption("--seed", opts.seed ?? "1", 0, 0xffffffff),
    maxInsns: opts.maxInsns !== undefined ? parseIntOption("--max-insns", opts.maxInsns, 1) : undefined,
  };
  const runProg = () => typeof src === "function" ? src(opts.profile) : src;
  // what the machine refuses to load (a map type of another profile): a one-line error, not an internal one
  const runMode = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof BpfError) throw new CliError(`run mode: ${e.message}`, 2);
      throw e;
    }
  };
  const makeDebugger = async () => {
    const { Debugger, vmFactory } = await import("../tui/debugger.ts");
    const p = runProg();
    return (s: Session) => {
      const prog = s.program?.() ?? p;
      return runMode(() => new Debugger(vmFactory(prog, input, vmOpts), prog, s.title));
    };
  };
  if (opts.run && !interactive) {
    const { traceText, vmFactory } = await import("../tui/debugger.ts");
    const p = runProg();
    writeAll(runMode(() => traceText(vmFactory(p, input, vmOpts), p, title, maxEvents)));
    return;
  }
  let make: EngineMaker;
  try {
    make = await loadVerifier();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  mark("verifier");
  const factory = make(src);
  const walk: WalkOptions = { profile: opts.profile, pruning: opts.pruning };
  if (!interactive) {
    writeAll(textWalk(factory, { ...walk, title, maxEvents, log: opts.printLog }));
    return;
  }
  await openInteractive({ tl: new Timeline(factory, walk), title, program: runProg }, opts, speed, notes, {
    debugger: await makeDebugger(),
    startInRun: opts.run,
    input: keys,
  });
  keys?.close();
}

/** The terminal for keys when stdin is a pipe, or undefined when there is none. */
function openTty(): Deno.FsFile | undefined {
  try {
    return Deno.openSync("/dev/tty", { read: true });
  } catch {
    return undefined;
  }
}

/**
 * The interactive UI on a session, with the gallery and the options every session has; `notes` are the lines
 * printed on stderr before it opened, which its status line repeats.
 */
async function openInteractive(
  session: Session,
  opts: TuiOptions,
  speed: number,
  notes: readonly string[],
  extra: Partial<InteractiveOptions>,
): Promise<void> {
  const { runInteractive } = await import("../tui/run.ts");
  await runInteractive({
    session,
    gallery: GALLERY,
    openExample: (g: GalleryEntry, o: WalkOptions) => ({
      tl: new Timeline(verifierMaker((p) => g.build(p)), o),
      title: g.title,
      program: () => g.build(o.profile),
    }),
    color: useColor(Deno.stdout),
    // the UI covers what was printed on stderr before it opened: its status line repeats it
    message: notes.join("; ") || undefined,
    autoplay: opts.play,
    speed,
    ...extra,
  });
  if (Deno.env.get("BPFSCOPE_STARTUP")) console.error(`startup: ${marksText()}`);
}

function writeAll(out: string): void {
  const bytes = new TextEncoder().encode(out);
  for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
}

/** `--log FILE|-`: replay a kernel verifier log; the UI opens before the whole log is parsed. */
async function replayLog(
  src: string,
  opts: TuiOptions,
  speed: number,
  maxEvents: number,
  notes: readonly string[],
): Promise<void> {
  const { LogFeed, logEngineFactory } = await import("../tui/log_engine.ts");
  const { openLogInput, verifierLogs } = await import("./log.ts");
  const fromPipe = src === "-";
  // read in chunks (a file or a pipe): the UI opens on the first ones while the rest is read and parsed
  const input = openLogInput(src, "tui --log -");
  const outTty = uiTerminal();
  const keys = fromPipe && outTty && !opts.text ? openTty() : undefined;
  const interactive = !opts.text && outTty && (fromPipe ? keys !== undefined : Deno.stdin.isTerminal());
  const feed = new LogFeed();
  const name = input.name;
  feed.expected = input.size;
  const reader = input.stream.getReader();
  const dec = new TextDecoder();
  let first = true;
  let signalFirst!: () => void;
  const firstChunk = new Promise<void>((r) => (signalFirst = r));
  const reading = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed.feed(dec.decode(value, { stream: true }));
        if (first) {
          first = false;
          signalFirst();
        }
      }
    } catch { /* a broken pipe ends the input */ }
    feed.feed(dec.decode());
    feed.end();
    signalFirst();
  })();
  if (!interactive) {
    await reading;
    while (!feed.finished) feed.pump(1000);
    verifierLogs(feed.parser, name);
    const title = feed.log.name ?? name;
    writeAll(textWalk(logEngineFactory(feed), {
      profile: "kernel log",
      pruning: true,
      title,
      maxEvents,
      log: opts.printLog,
    }));
    return;
  }
  // the first chunk and a first slice of the parse, so the first frame has something to show
  await firstChunk;
  mark("read");
  // a small input is judged whole before the UI opens (garbage, an object file, a text that is no log
  // get their one-line error): a small file is read at once; a pipe gets 100 ms to end
  const SMALL = 1 << 20;
  if (input.size && input.size <= SMALL) await reading;
  else if (!input.size) await Promise.race([reading, new Promise((r) => setTimeout(r, 100))]);
  if (feed.ended && feed.received <= SMALL) { while (!feed.finished) feed.pump(1000); }
  else feed.pump(30);
  mark("first slice");
  if (feed.ended && feed.received === 0) throw new CliError(`${name}: empty input, no verifier log`, 2);
  // not a log at all: say so before opening the UI (a big input is judged by its first part)
  if (feed.finished) verifierLogs(feed.parser, name);
  else if (!feed.parser.logs.some((l) => l.hasVerifierLines)) {
    const p = feed.parser;
    if (p.binaryLines > 100 && p.binaryLines * 2 >= p.lineCount) {
      throw new CliError(`${name}: binary data, not a verifier log (${p.lineCount} lines read)`, 2);
    }
    if (p.lineCount >= 5000) throw new CliError(`${name}: no verifier log in the first ${p.lineCount} lines`, 2);
  }
  const factory = logEngineFactory(feed);
  const title = `${feed.log.name ?? name} (kernel log)`;
  const walk: WalkOptions = { profile: "kernel log", pruning: true };
  await openInteractive({ tl: new Timeline(factory, walk), title, kind: "log" }, opts, speed, notes, {
    // parse between frames: most of each 25 ms tick, so the UI stays responsive while a big log loads
    background: () => feed.pump(15),
    input: keys,
  });
  keys?.close();
}
