/**
 * Generate 6.18-era programs and record the running kernel's verdicts and
 * logs for them (needs root and bpf(); not part of `deno task test`):
 *
 *   sudo deno run -A tests/gen6/record.ts --out DIR [--seed S] [--count N]
 *        [--levels 1,2] [--knobs '{"bugRate":0.5}'] [--no-kernel]
 *
 * Writes, for seeds S..S+N-1:
 * - `DIR/programs.jsonl`: one line per program: `{seed, features, bug,
 *   program}` where `program` is the JSON program format (kbpf.py reads it);
 * - `DIR/kernel.jsonl` (unless `--no-kernel`): `{seed, "1": RESULT, "2":
 *   RESULT}` per program, RESULT being kbpf.py's verify result at that log
 *   level (accepted, errno_name, log, processed_insns, ...);
 * - `DIR/summary.json`: accepted / rejected counts, and per bug kind how
 *   often the kernel reported the expected message at the expected
 *   instruction (`confirmed`).
 *
 * The kernel is called through tests/gen6/verify_batch.py (kbpf.py), one
 * python process per batch of 50 programs.
 *
 * @module
 */
import { encodeJson } from "../../core/formats/mod.ts";
import { DEFAULT_KNOBS, type Gen6Bug, type Gen6Knobs, generate6 } from "./gen.ts";

/** One recorded program. */
export interface RecordedProgram {
  /** Generator seed. */
  seed: number;
  /** Block kinds used. */
  features: string[];
  /** The deliberate bug, if any. */
  bug: Gen6Bug | null;
  /** The program in the JSON program format. */
  program: Record<string, unknown>;
}

/** kbpf.py's verify result (the fields verify_batch.py keeps). */
export interface KernelResult {
  /** Loaded. */
  accepted?: boolean;
  /** `OK`, `EACCES`, ... */
  errno_name?: string;
  /** The verifier log. */
  log?: string;
  /** `processed N insns`. */
  processed_insns?: number;
  /** Set when the load could not be attempted. */
  exception?: string;
}

/**
 * Where the kernel's level-1 log puts the error: the instruction an
 * `... at insn N` message names, else the last instruction line's index.
 */
export function errorInsnOfLog(log: string): number | null {
  const at = /(?:detected|loop) at insn (\d+)/.exec(log);
  if (at) return Number(at[1]);
  let last: number | null = null;
  for (const line of log.split("\n")) {
    const m = /^(\d+): \(/.exec(line);
    if (m) last = Number(m[1]);
  }
  return last;
}

/** Whether the kernel confirmed a bug: the expected message at the expected instruction. */
export function confirmed(bug: Gen6Bug, r: KernelResult | undefined): boolean {
  if (!r || r.accepted !== false || !r.log) return false;
  return r.log.includes(bug.message) && errorInsnOfLog(r.log) === bug.insn;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Verify program specs (JSON program format texts) in the running kernel at `levels` ("1,2"), 50 per python process. */
export async function verifyInKernel(specs: string[], levels: string): Promise<Array<Record<string, KernelResult>>> {
  const out: Array<Record<string, KernelResult>> = [];
  for (let i = 0; i < specs.length; i += 50) {
    out.push(...await runBatch(specs.slice(i, i + 50), levels));
    console.error(`${Math.min(i + 50, specs.length)}/${specs.length}`);
  }
  return out;
}

/** Generate the programs of seeds `seed`..`seed+count-1`. */
export function generatePrograms(seed: number, count: number, knobs: Partial<Gen6Knobs>): RecordedProgram[] {
  const progs: RecordedProgram[] = [];
  for (let s = seed; s < seed + count; s++) {
    const g = generate6(s, knobs);
    progs.push({ seed: s, features: g.features, bug: g.bug, program: JSON.parse(encodeJson(g.prog)) });
  }
  return progs;
}

async function runBatch(specs: string[], levels: string): Promise<Array<Record<string, KernelResult>>> {
  const dir = await Deno.makeTempDir({ prefix: "gen6-" });
  try {
    const inp = `${dir}/in.jsonl`, outp = `${dir}/out.jsonl`;
    await Deno.writeTextFile(inp, specs.join("\n") + "\n");
    const script = new URL("./verify_batch.py", import.meta.url).pathname;
    const st = await new Deno.Command("python3", { args: [script, inp, outp, levels], stderr: "inherit" }).output();
    if (!st.success) throw new Error(`verify_batch.py failed (${st.code})`);
    return (await Deno.readTextFile(outp)).trim().split("\n").map((l) => JSON.parse(l));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(args: string[]): Promise<void> {
  const out = arg(args, "--out");
  if (!out) {
    console.error("usage: record.ts --out DIR [--seed S] [--count N] [--levels 1,2] [--knobs JSON] [--no-kernel]");
    Deno.exit(2);
  }
  const seed = Number(arg(args, "--seed") ?? "1");
  const count = Number(arg(args, "--count") ?? "100");
  const levels = arg(args, "--levels") ?? "1,2";
  const knobs: Partial<Gen6Knobs> = JSON.parse(arg(args, "--knobs") ?? "{}");
  const kernel = !args.includes("--no-kernel");
  await Deno.mkdir(out, { recursive: true });
  const progs = generatePrograms(seed, count, knobs);
  await Deno.writeTextFile(`${out}/programs.jsonl`, progs.map((p) => JSON.stringify(p)).join("\n") + "\n");
  const summary: Record<string, unknown> = { seed, count, knobs: { ...DEFAULT_KNOBS, ...knobs } };
  if (kernel) {
    const results = await verifyInKernel(progs.map((p) => JSON.stringify(p.program)), levels);
    await Deno.writeTextFile(
      `${out}/kernel.jsonl`,
      results.map((r, i) => JSON.stringify({ seed: progs[i].seed, ...r })).join("\n") + "\n",
    );
    const lv = levels.split(",")[0];
    let accepted = 0;
    const bugs: Record<string, { placed: number; confirmed: number }> = {};
    progs.forEach((p, i) => {
      const r = results[i][lv];
      if (r?.accepted) accepted++;
      if (p.bug) {
        const b = bugs[p.bug.kind] ??= { placed: 0, confirmed: 0 };
        b.placed++;
        if (confirmed(p.bug, r)) b.confirmed++;
      }
    });
    Object.assign(summary, { accepted, rejected: progs.length - accepted, bugs });
  }
  await Deno.writeTextFile(`${out}/summary.json`, JSON.stringify(summary, null, 2) + "\n");
  console.log(JSON.stringify(summary));
}

if (import.meta.main) await main(Deno.args);
