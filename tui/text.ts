/**
 * The textual walk printed when there is no terminal (a pipe, CI): the same
 * information as the interactive UI (events, pending-stack depth, budget,
 * stored states and prunes) one event per line, then a summary with the
 * verdict, the failing instruction and the path that led there.
 *
 * @module
 */
import type { WalkOptions } from "./engine.ts";
import { Timeline } from "./timeline.ts";
import { globalWalkOf } from "./panels/text.ts";
import type { EngineFactory } from "./engine.ts";

/** Options for {@link textWalk}. */
export interface TextWalkOptions extends WalkOptions {
  /** Title of the program. */
  title: string;
  /** At most this many event lines (the walk still runs to the end); default 200. */
  maxEvents?: number;
  /** Also print the kernel log after the walk. */
  log?: boolean;
}

/** Run a walk to the end and return it as text (lines end with `\n`). */
export function textWalk(factory: EngineFactory, opts: TextWalkOptions): string {
  const tl = new Timeline(factory, { profile: opts.profile, pruning: opts.pruning });
  const e0 = tl.engine;
  const max = opts.maxEvents ?? 200;
  const out: string[] = [];
  out.push(`bpfscope tui (text walk): ${opts.title}`);
  out.push(`profile ${opts.profile}, pruning ${opts.pruning ? "on" : "off"}, ${e0.len} insns, limit ${e0.limit}`);
  out.push("");
  out.push(
    `${"step".padStart(7)}  ${"event".padEnd(8)} ${"insn".padStart(5)} ${"depth".padStart(5)}  ${
      "budget".padStart(13)
    } ${"stored".padStart(6)} ${"pruned".padStart(6)}  detail`,
  );
  let shown = 0, skipped = 0, maxDepth = 0;
  const counts: Record<string, number> = {};
  while (!tl.done) {
    const ev = tl.step();
    const e = tl.engine;
    if (e.pendingDepth > maxDepth) maxDepth = e.pendingDepth;
    counts[ev] = (counts[ev] ?? 0) + 1;
    if (ev === "insn" || ev === "store") continue;
    if (shown >= max && ev !== "error" && ev !== "accept") {
      skipped++;
      continue;
    }
    shown++;
    let detail = "";
    if (ev === "branch") {
      const top = e.pendingAt(e.pendingDepth - 1);
      detail = `push from ${top.from} to ${top.to}`;
    } else if (ev === "resume") detail = `from ? to ${e.pc}`;
    else if (ev === "prune") detail = "safe: matched a stored state";
    else if (ev === "error") detail = e.verdict()?.message ?? "";
    else if (ev === "accept") detail = "no pending branches left";
    if (ev === "resume") {
      // the log's last "from A to B" line names the branch; "Validating f() func#N..." a global function's walk
      for (let i = e.logLines - 1; i >= 0 && i >= e.logLines - 3; i--) {
        const m = /^from (\d+) to (\d+)/.exec(e.logLine(i));
        if (m) {
          detail = `from ${m[1]} to ${m[2]}`;
          break;
        }
        const walk = globalWalkOf(e.logLine(i));
        if (walk) {
          detail = `walk of global ${walk}`;
          break;
        }
      }
    }
    const st = e.state().regs.map((r) => `R${r.reg}=${r.text}`).join(" ");
    if (ev === "branch" || ev === "resume") detail += `  ${st}`;
    out.push(
      `${String(tl.t).padStart(7)}  ${ev.padEnd(8)} ${String(e.pc).padStart(5)} ${
        String(e.pendingDepth).padStart(5)
      }  ${`${e.processed}/${e.limit}`.padStart(13)} ${String(e.stored).padStart(6)} ${
        String(e.prunes).padStart(6)
      }  ${detail}`,
    );
  }
  if (skipped) out.push(`   … ${skipped} more events not shown (--max-events)`);
  const e = tl.engine;
  const v = e.verdict();
  out.push("");
  out.push("summary:");
  if (v?.accepted) out.push("  ACCEPTED");
  else {
    out.push(`  REJECTED${v?.errno ? ` (${v.errno})` : ""}: ${v?.message ?? "?"}`);
    if (v?.insn !== undefined && v.insn >= 0) out.push(`  at insn ${v.insn}: ${e.insnText(v.insn)}`);
    if (v?.explain?.length) { for (const l of v.explain) out.push(`  ${l}`); }
    else out.push(`  path: ${tl.path().join(" -> ")}`);
  }
  out.push(
    `  processed ${e.processed}/${e.limit} insns, ${e.stored} states stored, ${e.prunes} pruned, ` +
      `max pending depth ${maxDepth}, ${tl.t} steps (${counts.branch ?? 0} branches, ${counts.resume ?? 0} resumes)`,
  );
  if (opts.log) {
    out.push("", "log:");
    for (let i = 0; i < e.logLines; i++) out.push(e.logLine(i));
  }
  return out.join("\n") + "\n";
}
