/**
 * Bad input never crashes the log reader: corpus logs cut at random places,
 * with lines dropped, duplicated or shuffled, bytes flipped, and plain
 * garbage go through the parser, the summary, the slice and the TUI engine
 * without an exception.
 */
import assert from "node:assert/strict";
import { parseLog, parseState, sliceError, summarize } from "../core/kernlog/mod.ts";
import { LogFeed, LogStepEngine } from "../tui/log_engine.ts";
import { Rng } from "./fuzz/rng.ts";
import { corpusLogs } from "./kernlog_corpus.ts";

function mutate(r: Rng, text: string): string {
  const lines = text.split("\n");
  switch (r.int(7)) {
    case 0: // cut short
      return text.slice(0, r.int(text.length + 1));
    case 1: // lines dropped
      return lines.filter(() => !r.chance(0.1)).join("\n");
    case 2: // lines duplicated
      return lines.flatMap((l) => (r.chance(0.05) ? [l, l] : [l])).join("\n");
    case 3: { // lines swapped
      for (let k = 0; k < 5 && lines.length > 1; k++) {
        const a = r.int(lines.length), b = r.int(lines.length);
        [lines[a], lines[b]] = [lines[b], lines[a]];
      }
      return lines.join("\n");
    }
    case 4: { // characters changed
      const chars = [...text];
      for (let k = 0; k < 20 && chars.length; k++) chars[r.int(chars.length)] = String.fromCharCode(r.int(128));
      return chars.join("");
    }
    case 5: // an instruction index made huge (beyond any program)
      return text.replace(/^(\d+):/gm, (m, n) => (r.chance(0.2) ? `${n}${r.int(1_000_000_000)}:` : m));
    default: // garbage
      return new TextDecoder().decode(r.bytes(r.int(4000)));
  }
}

Deno.test("kernlog fuzz: mutated and garbage logs never throw", async () => {
  const logs = (await corpusLogs()).filter((c) => c.text.length < 60_000);
  const r = new Rng(20261205);
  let n = 0;
  for (let k = 0; k < 400; k++) {
    const c = logs[r.int(logs.length)];
    const text = mutate(r, c.text);
    try {
      for (const log of parseLog(text)) {
        summarize(log);
        sliceError(log);
        for (let i = 0; i < log.lines.length; i += 7) {
          const st = log.lineState(i);
          if (st !== null) {
            try {
              parseState(st);
            } catch (e) {
              if ((e as Error).name !== "ValueSyntaxError") throw e;
            }
          }
        }
      }
      const feed = new LogFeed();
      feed.feed(text);
      feed.end();
      while (!feed.finished) feed.pump(50);
      const e = new LogStepEngine(feed);
      for (let s = 0; s < 300 && !e.done; s++) {
        e.step();
        e.state();
        for (let i = 0; i < e.pendingDepth; i++) e.pendingAt(i);
      }
      e.verdict();
      n++;
    } catch (err) {
      throw new Error(`${c.name}, mutation ${k}: ${(err as Error).stack}`);
    }
  }
  assert.equal(n, 400);
});
