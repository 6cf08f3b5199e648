// The verifier-log reader on a log of about 1,000,000 processed instructions.
// Run: deno bench -A tests/bench/kernlog_bench.ts
//
// The input is synthesised from a recorded kernel log (tests/data/kernlog/
// loop10k.log.gz: Linux 6.18, level 2, a bounded loop of 100 ALU insns run 98
// times, 10,004 processed): its loop iterations are repeated until the log
// holds ~1M processed instructions (~200 MB, ~3.5 M lines), and the
// statistics line is set to the visit count. The real thing comes from the
// kernel with `sudo python3 tests/kernlog/make_big_log.py /tmp/big.log`
// (9800 iterations: 999,608 processed, 205 MB); `deno run -A
// tests/bench/kernlog_bench.ts /tmp/big.log` times the parse of that file
// once instead of benchmarking.
import { classifyLine, LogParser, newLineInfo, summarize } from "../../core/kernlog/mod.ts";
import { LogFeed, LogStepEngine } from "../../tui/log_engine.ts";

const LOOP_HEAD = /^6: \(/; // the first insn of the loop body in the recorded program

/** The recorded 10k-insn log, its iterations repeated up to about `target` processed instructions. */
export async function synthesize(target: number): Promise<string> {
  const gz = await Deno.readFile(new URL("../data/kernlog/loop10k.log.gz", import.meta.url));
  const small = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const lines = small.split("\n");
  const heads: number[] = [];
  lines.forEach((l, i) => {
    if (LOOP_HEAD.test(l)) heads.push(i);
  });
  // one steady-state iteration: from the second visit of the loop head to the third
  const block = lines.slice(heads[1], heads[2]);
  const perBlock = block.filter((l) => /^\d+: \(/.test(l)).length;
  const head = lines.slice(0, heads[1]);
  const tail = lines.slice(heads[heads.length - 1]);
  const fixed = [...head, ...tail].filter((l) => /^\d+: \(/.test(l)).length;
  const reps = Math.max(1, Math.round((target - fixed) / perBlock));
  const processed = fixed + reps * perBlock;
  const parts: string[] = [head.join("\n")];
  const blockText = block.join("\n");
  for (let k = 0; k < reps; k++) parts.push(blockText);
  parts.push(tail.join("\n").replace(/^processed \d+ insns/m, `processed ${processed} insns`));
  return parts.join("\n");
}

function parse(text: string): LogParser {
  const p = new LogParser();
  for (let i = 0; i < text.length; i += 1 << 20) p.push(text.slice(i, i + (1 << 20)));
  p.end();
  return p;
}

if (import.meta.main) {
  // time the parse of a real log file once
  const text = await Deno.readTextFile(Deno.args[0]);
  const t0 = performance.now();
  const p = parse(text);
  const ms = performance.now() - t0;
  const log = p.logs[0];
  console.log(
    `${(text.length / 1e6).toFixed(1)} MB, ${p.lineCount} lines, processed ${log.stats.processed}: ` +
      `${ms.toFixed(0)} ms, ${(text.length / 1e3 / ms).toFixed(1)} MB/s, ${
        (p.lineCount / 1e3 / ms).toFixed(2)
      } M lines/s`,
  );
} else {
  const big = await synthesize(1_000_000);
  const nLines = big.split("\n").length;
  const parsed = parse(big);
  console.log(
    `input: ${(big.length / 1e6).toFixed(1)} MB, ${nLines} lines, processed ${parsed.logs[0].stats.processed} ` +
      `(visits ${parsed.logs[0].paths.visits.toArray().reduce((a, b) => a + b, 0)})`,
  );
  const bigLines = big.split("\n");

  Deno.bench({ name: "kernlog: classify every line (1M-insn log)", n: 3, warmup: 1 }, () => {
    const info = newLineInfo();
    for (const l of bigLines) classifyLine(l, info);
  });

  Deno.bench({ name: "kernlog: parse (steps, paths, visits) the 1M-insn log", n: 3, warmup: 1 }, () => {
    parse(big);
  });

  Deno.bench({ name: "kernlog: summary and slice of the parsed log", n: 3, warmup: 1 }, () => {
    summarize(parsed.logs[0]);
  });

  Deno.bench({ name: "kernlog: TUI engine, first 10k steps of the log while it streams", n: 5, warmup: 1 }, () => {
    const feed = new LogFeed();
    feed.feed(big);
    feed.end();
    feed.pump(0); // the first 256 KB piece
    const e = new LogStepEngine(feed);
    for (let k = 0; k < 10_000; k++) {
      while (!e.ready()) feed.pump(0);
      e.step();
    }
    e.state();
  });
}
