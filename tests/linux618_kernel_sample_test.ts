// The linux-6.18 profile against recorded answers of the running kernel
// (6.18.44), without the kernel: tests/data/kernel618/*.jsonl.gz hold
// generated programs (tests/kernel_diff6 stages: alu, mem, loops, calls,
// helpers, and the ctx sweep of every context access), the hand-written
// limits, the directed programs of a review (tests/kernel_diff6/directed.ts)
// and the clang objects of tests/fixtures (the 1M-insn budget and
// the two 8193-jump loops at level 4, the rest at level 2; fixed seeds), the
// may_goto programs of tests/kernel_diff6/maygoto.ts (levels 2 and 1) and
// gen6's may_goto loops (gen_maygoto, level 1, programs under 100,000 processed), gen6 with its
// subprogram made a global function and loaded with BTF (global, levels 2 and 1) with the
// kernel's verdict, errno, error line, processed/total_states/peak_states
// and normalised log (recorded with
// `tests/kernel_diff6/run.ts STAGE N SEED --record FILE N`). Each stage
// file must agree on everything; a known disagreement is listed by seed
// with its cause (README, "Linux 6.18 verifier").
import assert from "node:assert/strict";
import { errorLine, normaliseLog, ours } from "./kernel_diff6/run.ts";
import type { Spec } from "./kernel_diff6/alu_gen.ts";

interface Recorded {
  seed: number;
  spec: Spec;
  accepted: boolean;
  errno: string;
  error: string | null;
  processed: number;
  total_states: number;
  peak_states: number;
  log: string;
  /** The log level of the recording (absent: 2). */
  level?: number;
}

/** Known disagreements per sample file: seed -> what differs (empty: none). */
const KNOWN: Record<string, Record<number, string>> = {
  "alu_200.jsonl.gz": {},
  "mem_200.jsonl.gz": {},
  "loops_200.jsonl.gz": {},
  "calls_200.jsonl.gz": {},
  "ctx_7680.jsonl.gz": {},
  "limits_l2_14.jsonl.gz": {},
  "limits_1m_l4.jsonl.gz": {},
  "helpers_300.jsonl.gz": {},
  "clang_63.jsonl.gz": {},
  "clang_l4_2.jsonl.gz": {},
  "directed_224.jsonl.gz": {},
  "maygoto_30.jsonl.gz": {},
  "maygoto_l1_30.jsonl.gz": {},
  "gen_maygoto_l1_100.jsonl.gz": {},
  "global_200.jsonl.gz": {},
  "global_l1_100.jsonl.gz": {},
};

/** Files with fewer than 100 programs (hand-written limits, the clang objects). */
const SMALL: Record<string, number> = {
  "limits_l2_14.jsonl.gz": 14,
  "limits_1m_l4.jsonl.gz": 1,
  "clang_63.jsonl.gz": 63,
  "clang_l4_2.jsonl.gz": 2,
  "directed_224.jsonl.gz": 224,
  "maygoto_30.jsonl.gz": 30,
  "maygoto_l1_30.jsonl.gz": 30,
};

/**
 * Programs the profile refuses as not modelled (EOPNOTSUPP with a note):
 * kprobe programs (clang) and the context's socket pointer (directed).
 * Their count per file is fixed; they are not compared.
 */
const NOT_MODELLED: Record<string, number> = { "clang_63.jsonl.gz": 4, "directed_224.jsonl.gz": 1 };

async function load(file: string): Promise<Recorded[]> {
  const gz = await Deno.readFile(new URL(`./data/kernel618/${file}`, import.meta.url));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return text.split("\n").filter((l) => l).map((l) => JSON.parse(l));
}

function statsOf(log: string): { processed: number; total: number; peak: number } {
  const m = /processed (\d+) insns .* total_states (\d+) peak_states (\d+)/.exec(log);
  return m ? { processed: +m[1], total: +m[2], peak: +m[3] } : { processed: -1, total: -1, peak: -1 };
}

for (const file of Object.keys(KNOWN)) {
  Deno.test(`linux618 kernel sample ${file}: verdicts, errors, stats and logs agree`, async () => {
    const recs = await load(file);
    assert.ok(recs.length >= (SMALL[file] ?? 100), `${recs.length} programs`);
    const bad: string[] = [];
    let notModelled = 0;
    for (const r of recs) {
      const o = ours(r.spec, (r.level ?? 2) | 4);
      if (o.errno === "EOPNOTSUPP") {
        notModelled++;
        continue;
      }
      const st = statsOf(o.log);
      const diffs: string[] = [];
      if (o.accepted !== r.accepted) diffs.push("verdict");
      if (!r.accepted && errorLine(o.log) !== r.error) diffs.push("error line");
      if (!r.accepted && o.errno !== r.errno) diffs.push("errno");
      if (st.processed !== r.processed || st.total !== r.total_states || st.peak !== r.peak_states) diffs.push("stats");
      if (normaliseLog(o.log) !== r.log) diffs.push("log");
      const known = KNOWN[file][r.seed];
      if (diffs.length && !known) bad.push(`seed ${r.seed}: ${diffs.join(", ")}`);
      if (!diffs.length && known) bad.push(`seed ${r.seed}: listed as known (${known}) but agrees now`);
    }
    assert.deepEqual(bad, []);
    assert.equal(notModelled, NOT_MODELLED[file] ?? 0, "programs the profile does not model");
  });
}
