/**
 * The targets measured on the committed kernlog corpus (no kernel
 * needed): `deno run -A tests/kernlog/measure.ts`. Prints the counts the
 * README quotes: logs and lines by source, unrecognised lines, states printed
 * back byte-identical, level-2 logs whose visit counts add up to
 * `processed`, and the slice's accuracy on the known-cause rejections.
 *
 * @module
 */
import { LineKind, parseLog, parsePrecision, parseState, printState, sliceError } from "../../core/kernlog/mod.ts";
import { CLANG_ORIGINS, corpusLogs, humanChecks } from "../kernlog_corpus.ts";

const logs = await corpusLogs();
const by: Record<string, { logs: number; lines: number; unknown: number; states: number; same: number }> = {};
let l2 = 0, l2ok = 0, precision = 0, precisionRead = 0;
const slice: Record<string, [number, number]> = {};
for (const c of logs) {
  const src = c.name.split(" ")[0];
  const b = by[src] ??= { logs: 0, lines: 0, unknown: 0, states: 0, same: 0 };
  b.logs++;
  for (const log of parseLog(c.text)) {
    b.lines += log.lines.length;
    b.unknown += log.unknown.length;
    for (let i = 0; i < log.lines.length; i++) {
      if (log.kind(i) === LineKind.MarkPrecise) {
        precision++;
        if (parsePrecision(log.lines.get(i))) precisionRead++;
      }
      const st = log.lineState(i);
      if (st === null) continue;
      b.states++;
      try {
        if (printState(parseState(st)) === st) b.same++;
      } catch { /* counted as different */ }
    }
    if (c.level === 2 && log.stats.processed !== null) {
      l2++;
      let sum = 0;
      for (let i = 0; i < log.paths.visits.length; i++) sum += log.paths.visits.get(i);
      if (sum === log.stats.processed && log.paths.unmatched === 0) l2ok++;
    }
  }
  const key = c.object?.replace(/(\.v3)?\.o$/, "");
  if (c.bug && c.bug.origin !== null && c.accepted === false && c.text.includes(c.bug.message)) {
    const [log] = parseLog(c.text);
    const s = slice[c.bug.kind.startsWith("hand:") ? `hand ${c.bug.kind.slice(5)}` : `gen6 ${c.bug.kind}`] ??= [0, 0];
    s[1]++;
    if (sliceError(log)?.origin === c.bug.origin) s[0]++;
  } else if (key && key in CLANG_ORIGINS) {
    const want = CLANG_ORIGINS[key];
    for (const log of parseLog(c.text)) {
      if (!log.errorLines.length) continue;
      const got = sliceError(log)?.origin ?? null;
      const s = slice[`clang ${key}`] ??= [0, 0];
      s[1]++;
      if (want === "entry" ? got === -1 : got !== null && got >= 0 && want.test(log.insnText[got] ?? "")) s[0]++;
    }
  }
}
console.log("| source | logs | lines | unrecognised | states | printed back identical |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const [k, b] of Object.entries(by)) {
  console.log(`| ${k} | ${b.logs} | ${b.lines} | ${b.unknown} | ${b.states} | ${b.same} |`);
}
console.log(`\nprecision lines: ${precision}, read into parts: ${precisionRead}`);
console.log(`level-2 logs with statistics: ${l2}, visits add up to processed (and every resume matched): ${l2ok}`);
let ok = 0, n = 0;
console.log("\n| known-cause rejections | slice names the origin |");
console.log("| --- | --- |");
for (const [k, [a, b]] of Object.entries(slice).sort()) {
  console.log(`| ${k} | ${a}/${b} |`);
  ok += a;
  n += b;
}
console.log(`\nslice: ${ok}/${n} known-cause rejection logs (${Object.keys(slice).length} kinds)`);

// the origins a person wrote down by hand (tests/data/kernlog/human_origins.json), independent of the slice's rule
const human = await humanChecks();
const humanCases = new Set(human.map((c) => c.want.log)).size;
console.log(
  `human-named origins: ${human.length} logs of ${humanCases} cases; the slice's origin is it on ` +
    `${human.filter((c) => c.top).length}, the slice names it (origin or an operand's) on ` +
    `${human.filter((c) => c.named).length}`,
);
for (const c of human) {
  if (!c.top) {
    console.log(
      `  ${c.name}: person ${c.want.origin}, slice ${c.origin}${c.named ? " (named as an operand's origin)" : ""}`,
    );
  }
}
