// snapshot()/restore() as a history for stepping back (the TUI's use): on
// random programs, restoring any earlier snapshot — in random order, also
// jumping forward again after going back — and stepping on reproduces the
// original walk exactly (events, pc, state lines, pending entries, counters,
// log, verdict, explain path).
import assert from "node:assert/strict";
import { createEngine, type Walk } from "../core/verifier/mod.ts";
import { MAP_318, MAP_319, randomProgram } from "./verifier_model.ts";

/** What an observer sees after a step. */
function observe(e: Walk, ev: number): string {
  const pend: string[] = [];
  for (let i = 0; i < e.pendingDepth; i++) {
    const p = e.pendingAt(i);
    pend.push(`${p.from}->${p.to}`);
  }
  const matched = e.matchedState();
  return [
    ev,
    e.pc,
    e.nextInsn,
    e.state().line,
    pend.join(","),
    e.processed,
    e.storedStates,
    e.prunes,
    e.peakPendingDepth,
    matched ? matched.line : "-",
    e.log.length,
  ].join("|");
}

/**
 * Walk `e` to its end taking a snapshot after every step, then restore
 * `restores` pseudo-random earlier snapshots (from `seed`), in random order,
 * and check that stepping on replays the walk. Returns the replayed steps.
 */
function walkAndReplay(e: Walk, seed: number, restores: number, label: string): number {
  const seen: string[] = [];
  const snaps = [e.snapshot()];
  while (!e.done) {
    seen.push(observe(e, e.step()));
    snaps.push(e.snapshot());
  }
  const log = e.log, errno = e.errno, path = JSON.stringify(e.path());
  let s = seed, steps = 0;
  for (let k = 0; k < restores; k++) {
    s = (Math.imul(s, 48271) + 11) >>> 0;
    const at = s % snaps.length;
    e.restore(snaps[at]);
    const again: string[] = [];
    while (!e.done) again.push(observe(e, e.step()));
    steps += again.length;
    assert.deepEqual(again, seen.slice(at), `${label} from step ${at}`);
    assert.equal(e.log, log);
    assert.equal(e.errno, errno);
    assert.equal(JSON.stringify(e.path()), path);
  }
  return steps;
}

Deno.test("snapshot/restore: any earlier point replays the same walk", () => {
  let walks = 0, steps = 0;
  for (const profile of ["linux-3.18", "linux-3.19"] as const) {
    const m = profile === "linux-3.18" ? MAP_318 : MAP_319;
    const opts = {
      profile,
      logLevel: 1,
      explain: true,
      resolveMapFd: (fd: number) => (fd === 3 ? m : "EBADF" as const),
    };
    for (let seed = 1; seed <= 300; seed++) {
      const e = createEngine(randomProgram(seed * 104729 + 17, profile), opts);
      steps += walkAndReplay(e, seed, 4, `${profile} seed ${seed}`);
      walks++;
    }
  }
  assert.ok(walks === 600 && steps > 5000, `${walks} walks, ${steps} replayed steps`);
});

Deno.test("snapshot/restore, linux-6.18: any earlier point replays the same walk (recorded kernel programs)", async () => {
  const { decodeJson } = await import("../core/formats/mod.ts");
  const progs = [];
  for (const f of ["loops_200", "calls_200", "directed_224"]) {
    const gz = await Deno.readFile(new URL(`./data/kernel618/${f}.jsonl.gz`, import.meta.url));
    const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
    for (const l of text.split("\n").filter((x) => x).slice(0, 50)) {
      progs.push(decodeJson(JSON.stringify(JSON.parse(l).spec), f));
    }
  }
  let walks = 0, steps = 0, pruned = 0;
  for (const [n, p] of progs.entries()) {
    const e = createEngine(p, { profile: "linux-6.18", logLevel: 2, explain: true });
    steps += walkAndReplay(e, n + 1, 3, `program ${n}`);
    walks++;
    if (e.prunes) pruned++;
  }
  assert.ok(walks === 150 && steps > 1000 && pruned > 20, `${walks} walks, ${steps} replayed steps, ${pruned} pruned`);
});
