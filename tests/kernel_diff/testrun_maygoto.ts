/**
 * Test-run cases of `may_goto` programs (tests/kernel_diff6/maygoto.ts,
 * those whose loops end before the budget does, so that the kernel's
 * time-based budget on x86-64 and bpfscope's BPF_MAX_LOOPS countdown give
 * the same answer) and loops that count their trips into an array map over
 * repeated runs. Run against the kernel by `testrun_diff.ts maygoto` and
 * replayed from tests/data/testrun/maygoto.jsonl.gz.
 *
 * @module
 */
import { MAYGOTO_PROGRAMS } from "../kernel_diff6/maygoto.ts";
import { asmCase } from "./testrun_asm.ts";
import type { CaseMap, TestRunCase } from "./testrun_case.ts";
import { packet } from "./testrun_semantics.ts";

const M: CaseMap = { name: "m", type: "array", key_size: 4, value_size: 8, max_entries: 1 };

/** The cases. */
export function mayGotoCases(): TestRunCase[] {
  const out: TestRunCase[] = [];
  MAYGOTO_PROGRAMS.forEach((p, i) => {
    if (!p.ends) return;
    const lines = p.asm.split("\n");
    const type = lines[0].startsWith(".prog_type") ? lines.shift()!.split(" ")[1] : "socket_filter";
    const usesMap = lines[0].startsWith(".map");
    if (usesMap) lines.shift();
    out.push(asmCase({
      id: `maygoto/${i}`,
      maps: usesMap ? [M] : [],
      progs: [{ type, asm: lines.join("\n") }],
      steps: [
        { op: "run", prog: 0, data: packet(64), repeat: 1 },
        { op: "run", prog: 0, data: packet(40, "000000000000", "0800", 7), repeat: 3 },
        ...(usesMap ? [{ op: "lookup" as const, map: 0, key: "00000000" }] : []),
      ],
    }));
  });
  // trips counted into a map: a counter-bounded loop under a may_goto guard, in the main program and in a subprogram
  const count = (id: string, asm: string) =>
    out.push(asmCase({
      id,
      maps: [M],
      progs: [{ type: "xdp", asm }],
      steps: [
        { op: "run", prog: 0, data: packet(64), repeat: 5 },
        { op: "lookup", map: 0, key: "00000000" },
      ],
    }));
  const ptr = `*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto fail\n`;
  count(
    "maygoto/count-main",
    `${ptr}r6 = 0\nloop:\nmay_goto done\nr1 = *(u64 *)(r0 +0)\nr1 += 1\n*(u64 *)(r0 +0) = r1\nr6 += 1\n` +
      `if r6 < 1000 goto loop\ndone:\nr0 = 2\nexit\nfail:\nr0 = 1\nexit`,
  );
  count(
    "maygoto/count-sub",
    `${ptr}r1 = r0\ncall sub\nr0 = 2\nexit\nfail:\nr0 = 1\nexit\n` +
      `sub:\nr6 = 0\nl:\nmay_goto d\nr2 = *(u64 *)(r1 +0)\nr2 += 3\n*(u64 *)(r1 +0) = r2\nr6 += 1\nif r6 < 77 goto l\n` +
      `d:\nr0 = 0\nexit`,
  );
  return out;
}
