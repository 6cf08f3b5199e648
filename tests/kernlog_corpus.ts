/**
 * The kernlog corpus (tests/data/kernlog): logs the running Linux 6.18 kernel
 * wrote for 400 generated programs at log levels 1 and 2 (gen6.jsonl.gz), for
 * 8 hand-written rejections whose cause crosses calls and spills (hand.jsonl.gz), for
 * 32 clang-built C programs loaded with bpftool (clang.jsonl.gz), for 480
 * programs full of linked scalars or packet pointer copies (linked.jsonl.gz, tests/kernlog/record_linked.py), and
 * excerpts of older kernels' logs from GitHub threads (older/*.txt); plus
 * the table of known-cause rejections the slice is measured on.
 *
 * @module
 */
import type { Gen6Bug } from "./gen6/gen.ts";
import { parseLog, type Slice, sliceError } from "../core/kernlog/mod.ts";

const DATA = new URL("./data/kernlog/", import.meta.url);

/** One log of the corpus. */
export interface CorpusLog {
  /** Where it comes from (`gen6 seed 12 level 2`, `clang bad_null.o bpftool -d prog load`, `older aya-1062.txt`). */
  name: string;
  /** The text (a bare log, or a tool's output around it). */
  text: string;
  /** Log level asked for (1, 2), or 0 when unknown (older excerpts). */
  level: number;
  /** `processed_insns` kbpf.py reported (generated part only). */
  processed?: number;
  /** Whether the kernel accepted the program, when known. */
  accepted?: boolean;
  /** The generated program's deliberate bug. */
  bug?: Gen6Bug | null;
  /** The clang object's file name. */
  object?: string;
}

async function gunzip(name: string): Promise<string> {
  const gz = await Deno.readFile(new URL(name, DATA));
  return await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

let cache: CorpusLog[] | null = null;

/** Every log of the corpus. */
export async function corpusLogs(): Promise<CorpusLog[]> {
  if (cache) return cache;
  const out: CorpusLog[] = [];
  for (const line of (await gunzip("gen6.jsonl.gz")).trim().split("\n")) {
    const r = JSON.parse(line);
    for (const lv of ["1", "2"]) {
      const k = r.kernel[lv];
      if (!k || typeof k.log !== "string") continue;
      out.push({
        name: `gen6 seed ${r.seed} level ${lv}`,
        text: k.log,
        level: Number(lv),
        processed: k.processed_insns,
        accepted: k.accepted,
        bug: r.bug,
      });
    }
  }
  for (const line of (await gunzip("clang.jsonl.gz")).trim().split("\n")) {
    const r = JSON.parse(line);
    out.push({
      name: `clang ${r.object} ${r.command}`,
      text: r.output,
      level: r.command.includes(" -d ") ? 2 : 1,
      accepted: r.rc === 0,
      object: r.object,
    });
  }
  for (const line of (await gunzip("hand.jsonl.gz")).trim().split("\n")) {
    const r = JSON.parse(line);
    for (const lv of ["1", "2"]) {
      const k = r.kernel[lv];
      out.push({
        name: `hand ${r.name} level ${lv}`,
        text: k.log,
        level: Number(lv),
        processed: k.processed_insns,
        accepted: k.accepted,
        bug: { kind: `hand:${r.name}` as Gen6Bug["kind"], insn: -1, reg: null, ...r.bug },
      });
    }
  }
  for (const line of (await gunzip("linked.jsonl.gz")).trim().split("\n")) {
    const r = JSON.parse(line);
    const k = r.kernel["2"];
    out.push({ name: r.name, text: k.log, level: 2, processed: k.processed_insns, accepted: k.accepted });
  }
  // a bounded loop of 100 insns run 98 times (tests/kernlog/make_big_log.py OUT 98 100): the benchmark's seed
  out.push({
    name: "kernel loop10k.log",
    text: await gunzip("loop10k.log.gz"),
    level: 2,
    processed: 10004,
    accepted: true,
  });
  for (const e of [...Deno.readDirSync(new URL("older/", DATA))].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.name.endsWith(".txt")) continue;
    out.push({ name: `older ${e.name}`, text: await Deno.readTextFile(new URL(`older/${e.name}`, DATA)), level: 0 });
  }
  cache = out;
  return out;
}

/**
 * Known causes of the clang-built rejections: the instruction (matched by
 * its text) that gave the offending register the type or range the error
 * is about, or "entry" when the value comes from the entry of the program
 * or function. Worked out from the C source; the same for the v1 and v3
 * builds.
 */
export const CLANG_ORIGINS: Record<string, RegExp | "entry"> = {
  bad_null: /call bpf_map_lookup_elem#1$/,
  bad_null_spill: /call bpf_map_lookup_elem#1$/,
  bad_pkt_unchecked: /^\(61\) r\d+ = \*\(u32 \*\)\(r1 \+0\)$/, // r = ctx->data
  bad_pkt_short: /^\(2d\) if r\d+ > r\d+ goto/, // the bounds check that covers 14 bytes
  bad_map_oob: /^\(0f\) r\d+ \+= r\d+$/, // value pointer + index
  bad_map_unbounded: /^\(0f\) r\d+ \+= r\d+$/,
  bad_scalar_ptr: /^\(61\) r\d+ = \*\(u32 \*\)\(r1 \+8\)$/, // skb->mark
  bad_helper_arg: /^\(b7\) r2 = 0$/,
  bad_stack_var: /^\(0f\) r\d+ \+= r\d+$/, // frame pointer + unchecked index
  bad_global_arg: "entry", // the global function's pointer argument
  bad_ret_range: /&= 3$/,
  bad_ringbuf_leak: /call bpf_ringbuf_reserve#131$/,
  bad_iter_leak: /call bpf_iter_num_new#\d+$/,
  bad_ctx_write: /^\(63\) \*\(u32 \*\)\(r1 \+0\) = r2$/, // the store into skb->len itself
  bad_probe_size: /^\(07\) r1 \+= -16$/, // the buffer pointer the helper writes 32 bytes to
};

/** An origin written down by hand (tests/data/kernlog/human_origins.json). */
export interface HumanOrigin {
  /** A clang object (`bad_null.o`) or `hand NAME`. */
  log: string;
  /** The instruction, "entry", or null when the cause is not a value. */
  origin: number | "entry" | null;
  /** Why, in one line. */
  reason: string;
}

/** The slice's answer for one log of a case with a hand-written origin. */
export interface HumanCheck {
  /** The corpus log. */
  name: string;
  /** The case. */
  want: HumanOrigin;
  /** The slice's origin. */
  origin: number | null;
  /** Whether the slice's origin is the one written down. */
  top: boolean;
  /** Whether the slice names it anywhere: its origin or the origin of an operand it explains (a range's source). */
  named: boolean;
}

function origins(sl: Slice): Array<number | null> {
  return [sl.origin, ...sl.operands.flatMap(origins)];
}

/** The slice of every corpus log whose case has a hand-written origin, against that origin. */
export async function humanChecks(): Promise<HumanCheck[]> {
  const file = JSON.parse(await Deno.readTextFile(new URL("human_origins.json", DATA)));
  const cases = new Map<string, HumanOrigin>(file.cases.map((c: HumanOrigin) => [c.log, c]));
  const out: HumanCheck[] = [];
  for (const c of await corpusLogs()) {
    const key = c.object ?? (c.name.startsWith("hand ") ? c.name.replace(/ level \d$/, "") : "");
    const want = cases.get(key);
    if (!want) continue;
    for (const log of parseLog(c.text)) {
      if (!log.errorLines.length) continue;
      const sl = sliceError(log);
      const w = want.origin === "entry" ? -1 : want.origin;
      const got = sl?.origin ?? null;
      out.push({
        name: c.name,
        want,
        origin: got,
        top: got === w,
        named: got === w || (w !== null && sl !== null && origins(sl).includes(w)),
      });
    }
  }
  return out;
}
