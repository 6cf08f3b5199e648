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
      const p = randomProgram(seed * 104729 + 17, profile);
      const e = createEngine(p, opts);
      const seen: string[] = [];
      const snaps = [e.snapshot()];
      while (!e.done) {
        seen.push(observe(e, e.step()));
        snaps.push(e.snapshot());
      }
      const log = e.log, errno = e.errno, path = JSON.stringify(e.path());
      walks++;
      // restore a few random points, in random order
      let s = seed;
      for (let k = 0; k < 4; k++) {
        s = (Math.imul(s, 48271) + 11) >>> 0;
        const at = s % snaps.length;
        e.restore(snaps[at]);
        const again: string[] = [];
        while (!e.done) again.push(observe(e, e.step()));
        steps += again.length;
        assert.deepEqual(again, seen.slice(at), `${profile} seed ${seed} from step ${at}`);
        assert.equal(e.log, log);
        assert.equal(e.errno, errno);
        assert.equal(JSON.stringify(e.path()), path);
      }
    }
  }
  assert.ok(walks === 600 && steps > 5000, `${walks} walks, ${steps} replayed steps`);
});
