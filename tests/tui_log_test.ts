/**
 * The TUI's log replay: the engine over a parsed log (events, heat, state in
 * words, pending branches, verdict and slice), going back and forth through
 * the timeline, a log that arrives in pieces, and `bpfscope tui --log` in a
 * real terminal (tmux) from a file and from a pipe.
 */
import assert from "node:assert/strict";
import { logEngineFactory, LogFeed, LogStepEngine } from "../tui/log_engine.ts";
import { StateTracker } from "../core/kernlog/mod.ts";
import { Timeline } from "../tui/timeline.ts";
import type { WalkEvent } from "../tui/engine.ts";
import { corpusLogs } from "./kernlog_corpus.ts";
import { hasTmux, inTmux, tmux, waitFor } from "./tmux_util.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SAMPLES = `${ROOT}tests/data/kernlog/samples/`;

function feedOf(text: string): LogFeed {
  const f = new LogFeed();
  f.feed(text);
  f.end();
  while (!f.finished) f.pump(100);
  return f;
}

Deno.test("log engine: a rejected log replayed to its error, with the slice in the verdict", async () => {
  const feed = feedOf(await Deno.readTextFile(`${SAMPLES}bad_map_oob.bpftool-d.txt`));
  const e = new LogStepEngine(feed);
  const events: WalkEvent[] = [];
  while (!e.done) events.push(e.step());
  assert.equal(events.at(-1), "error");
  assert.equal(e.pc, 13);
  assert.equal(e.processed, 13);
  const v = e.verdict()!;
  assert.equal(v.accepted, false);
  assert.equal(v.insn, 13);
  assert.match(v.message!, /invalid access to map value, value_size=64 off=120 size=8\nR0 max value/);
  assert.ok(v.explain!.some((l) => /12: r0 \+= r1/.test(l)), v.explain!.join("\n"));
  const st = e.state();
  const r0 = st.regs.find((r) => r.reg === 0)!;
  assert.match(r0.words!, /pointer to a value of map 'table' .* variable offset in \[0, 120\], multiple of 8/);
  assert.equal(e.sourceAt(13), "return b->slot[i] & 1; /* ERROR */  (bad_map_oob.c:22)");
  assert.equal(e.insnText(12), "(0f) r0 += r1");
  assert.ok(e.isContinuation(6), "the second slot of the LD_IMM64 at 5");
});

Deno.test("log engine: heat, prunes and pending branches of a level-2 log; back and forth", async () => {
  const c = (await corpusLogs()).find((x) => x.name === "clang xdp_parse.o bpftool -d prog load")!;
  const factory = logEngineFactory(feedOf(c.text));
  const tl = new Timeline(factory, { profile: "kernel log", pruning: true });
  const seen: Array<{ t: number; state: string; pending: string; heat: number; path: string }> = [];
  let sawPending = false;
  while (!tl.done) {
    tl.step();
    const e = tl.engine;
    const pending = Array.from({ length: e.pendingDepth }, (_, i) => {
      const p = e.pendingAt(i);
      return `${p.from}->${p.to}`;
    }).join(",");
    if (e.pendingDepth) sawPending = true;
    seen.push({
      t: tl.t,
      state: JSON.stringify(e.state()),
      pending,
      heat: e.insnCount(Math.max(0, e.pc)),
      path: tl.path().join(","),
    });
  }
  assert.ok(sawPending, "the log pushes branches");
  const e = tl.engine as LogStepEngine;
  assert.equal(e.verdict()?.accepted, true);
  let total = 0;
  for (let i = 0; i < e.len; i++) total += e.insnCount(i);
  assert.equal(total, e.log.stats.processed, "the heat adds up to processed");
  assert.equal(e.prunes, [...e.log.lines].filter((l) => /: safe$/.test(l)).length);
  // going back to any step shows what was shown there
  for (const k of [seen.length - 1, 17, 3, seen.length - 5, 0, 40]) {
    const want = seen[k];
    tl.goTo(want.t);
    const eng = tl.engine;
    assert.equal(JSON.stringify(eng.state()), want.state, `state at ${want.t}`);
    assert.equal(
      Array.from({ length: eng.pendingDepth }, (_, i) => `${eng.pendingAt(i).from}->${eng.pendingAt(i).to}`).join(","),
      want.pending,
    );
    assert.equal(eng.insnCount(Math.max(0, eng.pc)), want.heat);
    assert.equal(tl.path().join(","), want.path);
  }
});

Deno.test("log engine: a branch pruned as it is resumed shows the state printed at its push", async () => {
  const c = (await corpusLogs()).find((x) => x.name === "clang loop_sum.o bpftool -d prog load")!;
  const e = new LogStepEngine(feedOf(c.text));
  const log = e.log;
  let checked = 0, differs = 0;
  while (!e.done) {
    e.step();
    if (!/^from \d+ to \d+: safe$/.test(log.lines.get(e.line))) continue;
    const [, from] = /^from (\d+)/.exec(log.lines.get(e.line))!;
    const st = e.state();
    assert.match(st.note!, new RegExp(`after insn ${from} pushed this branch`));
    // the push of 'from X to 82' is the visit of X whose line printed the registers the branch compared
    const pushLine = [...log.lines].findLastIndex((l, i) => i < e.line && l.startsWith(`${from}: (`));
    const want = new StateTracker(log).at(pushLine + 1);
    const regs = want.frames[want.cur].regs.flatMap((t, r) => (t === null ? [] : [`R${r}=${t}`]));
    assert.deepEqual(st.regs.map((r) => `R${r.reg}=${r.text}`), regs);
    // not the state the previous path ended with (the lines just before)
    const prev = new StateTracker(log).at(e.line);
    if (JSON.stringify(prev.frames[prev.cur].regs) !== JSON.stringify(want.frames[want.cur].regs)) differs++;
    checked++;
  }
  assert.equal(checked, 2 * 16, "16 'from X to 82: safe' lines, a resume and a prune step each");
  assert.ok(differs > 0);
});

Deno.test("log engine: a log arriving in pieces is stepped as far as it has come", async () => {
  const text = await Deno.readTextFile(`${SAMPLES}subprogs.bpftool-d.txt`);
  const feed = new LogFeed();
  feed.feed(text.slice(0, Math.floor(text.length / 3)));
  feed.pump(100);
  const tl = new Timeline(logEngineFactory(feed), { profile: "kernel log", pruning: true });
  assert.equal(tl.advance(1_000_000), "count", "stops where the text ends, without an end");
  const t1 = tl.t;
  assert.ok(t1 > 5 && !tl.done, `${t1} steps`);
  assert.equal(tl.step(), tl.lastEvent, "no step is recorded while waiting");
  assert.equal(tl.t, t1);
  feed.feed(text.slice(Math.floor(text.length / 3)));
  feed.end();
  assert.equal(tl.advance(1_000_000), "count", "nothing more until it is parsed (between frames)");
  while (!feed.finished) feed.pump(100);
  assert.equal(tl.advance(1_000_000), "end");
  const whole = new Timeline(logEngineFactory(feedOf(text)), { profile: "kernel log", pruning: true });
  whole.runToEnd();
  assert.equal(tl.t, whole.t);
  assert.equal(tl.engine.processed, whole.engine.processed);
  assert.deepEqual(tl.engine.verdict(), whole.engine.verdict());
});

Deno.test({
  name: "e2e (tmux): bpfscope tui --log FILE and --log - (keys from the terminal)",
  ignore: !hasTmux,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await inTmux(
      ROOT,
      "bpfscope_e2e_log",
      `deno run -A cli/main.ts tui --log ${SAMPLES}bad_pkt_short.bpftool-d.txt`,
      async (s) => {
        await waitFor(s, [/bad_pkt_short \(kernel log\) · step 0/, /─ instructions /]);
        tmux("send-keys", "-t", s, "s");
        await waitFor(s, [/step 1/, /▶ +0: \(b7\) r0 = 2/, /R0 +the constant 2|R0=2/]);
        tmux("send-keys", "-t", s, "e");
        let scr = await waitFor(s, [/ERROR @6/, /REJECTED \(EACCES\)/, /this bounds/, /; return ip->protocol == 6/]);
        assert.match(scr, /R2 +the end of the packet \(data_end\)/);
        tmux("send-keys", "-t", s, "b");
        scr = await waitFor(s, [/insn @6/]);
        assert.doesNotMatch(scr, /REJECTED/);
        tmux("send-keys", "-t", s, "p");
        await waitFor(s, [/pruning, profile and gallery do not apply/]);
        tmux("send-keys", "-t", s, "q");
        await waitFor(s, [/EXIT=0/]);
        assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "0");
      },
    );
    await inTmux(
      ROOT,
      "bpfscope_e2e_logpipe",
      `cat ${SAMPLES}iter_num.bpftool-d.txt | deno run -A cli/main.ts tui --log -`,
      async (s) => {
        await waitFor(s, [/iter_num \(kernel log\)/, /─ instructions /]);
        tmux("send-keys", "-t", s, "e");
        await waitFor(s, [/ACCEPTED/]);
        tmux("send-keys", "-t", s, "q");
        await waitFor(s, [/EXIT=0/]);
        assert.equal(tmux("display", "-p", "-t", s, "#{alternate_on}").trim(), "0");
      },
    );
    // on a terminal, a small input that is no log gets its one-line error before the UI opens (an object
    // file, garbage through a pipe): the UI used to open on them when the first chunk was not the last
    const obj = `${ROOT}tests/fixtures/kernlog/bad_null.o`;
    await inTmux(
      ROOT,
      "bpfscope_e2e_lognot",
      `deno run -A cli/main.ts tui --log ${obj}; cat ${obj} | deno run -A cli/main.ts tui --log -`,
      async (s) => {
        const scr = await waitFor(s, [/EXIT=2/]);
        assert.match(scr, /bad_null\.o: binary data, not a verifier log/);
        assert.match(scr, /stdin: binary data, not a verifier log/);
        assert.doesNotMatch(scr, /─ instructions /);
      },
    );
  },
});

Deno.test("log engine: n and e at the edge of a log still being read say what they do", async () => {
  const { Controller } = await import("../tui/controller.ts");
  const { computeLayout } = await import("../tui/model.ts");
  const text = await Deno.readTextFile(`${SAMPLES}subprogs.bpftool-d.txt`);
  const feed = new LogFeed();
  feed.feed(text.slice(0, text.indexOf("\nfrom ")));
  feed.pump(100);
  const tl = new Timeline(logEngineFactory(feed), { profile: "kernel log", pruning: true });
  const c = new Controller({ tl, title: "log", kind: "log" }, [], () => {
    throw new Error("no gallery");
  });
  const L = computeLayout(100, 30);
  c.key({ name: "n" }, L);
  assert.ok(!c.ui.toEnd, "n stops at the edge");
  assert.match(c.ui.message, /no event in the part parsed so far/);
  const t = tl.t;
  c.key({ name: "e" }, L);
  assert.equal(c.ui.toEnd, true, "e goes on as the log is parsed");
  assert.match(c.ui.message, /going on to the end/);
  feed.feed(text.slice(text.indexOf("\nfrom ")));
  feed.end();
  while (!feed.finished) feed.pump(100);
  while (c.ui.toEnd) c.tick(performance.now());
  assert.ok(tl.done && tl.t > t);
});
