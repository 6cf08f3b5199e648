/**
 * The targets, measured on the whole kernlog corpus (no kernel
 * needed): every line recognised, every state printed back byte-identical,
 * the visit counts adding up to `processed N insns` on every level-2 log,
 * and the backward slice naming the known origin of every known-cause
 * rejection. Streaming (arbitrary chunks) gives the same result as one push.
 */
import assert from "node:assert/strict";
import {
  dynptrSlot,
  iterSlot,
  LineKind,
  LogParser,
  parseLog,
  parsePrecision,
  parseState,
  printRegValue,
  printSlot,
  printState,
  type RegFields,
  regValue,
  sliceError,
  StepKind,
} from "../core/kernlog/mod.ts";
import { CLANG_ORIGINS, corpusLogs, humanChecks } from "./kernlog_corpus.ts";

Deno.test("kernlog corpus: at least 500 kernel logs, 0 unrecognised lines", async () => {
  const logs = await corpusLogs();
  const kernel = logs.filter((l) => !l.name.startsWith("older"));
  assert.ok(kernel.length >= 500, `${kernel.length} logs`);
  const older = logs.length - kernel.length;
  assert.ok(older >= 60, `${older} excerpts of older kernels' logs`);
  let lines = 0, precision = 0;
  const unknown: string[] = [];
  for (const c of logs) {
    for (const log of parseLog(c.text)) {
      lines += log.lines.length;
      for (const i of log.unknown) unknown.push(`${c.name} line ${log.lineBase + i + 1}: ${log.lines.get(i)}`);
      // every form of the precision lines reads into its parts
      for (let i = 0; i < log.lines.length; i++) {
        if (log.kind(i) !== LineKind.MarkPrecise) continue;
        precision++;
        if (!parsePrecision(log.lines.get(i))) unknown.push(`${c.name}: precision line not read: ${log.lines.get(i)}`);
      }
    }
  }
  assert.ok(lines > 200_000, `${lines} lines`);
  assert.ok(precision > 50_000, `${precision} precision lines`);
  assert.deepEqual(unknown.slice(0, 5), []);
});

Deno.test("kernlog corpus: every state is printed back byte-identical", async () => {
  let states = 0;
  const bad: string[] = [];
  for (const c of await corpusLogs()) {
    for (const log of parseLog(c.text)) {
      for (let i = 0; i < log.lines.length; i++) {
        const st = log.lineState(i);
        if (st === null) continue;
        states++;
        let out: string;
        try {
          out = printState(parseState(st));
        } catch (e) {
          out = `error: ${(e as Error).message}`;
        }
        if (out !== st && bad.length < 5) bad.push(`${c.name} line ${log.lineBase + i + 1}:\n  ${st}\n  ${out}`);
      }
    }
  }
  assert.ok(states > 100_000, `${states} states`);
  assert.deepEqual(bad, []);
});

Deno.test("kernlog corpus: a 6.5+ value rebuilt from its fields alone (regValue) prints as the kernel did", async () => {
  // what a verifier engine does: build the value from what it tracks, then print it by the kernel's rules;
  // nothing of the text it was read from (fields printed, form) is carried over
  const KEYS = [
    "precise",
    "frameno",
    "id",
    "addConst",
    "refObjId",
    "nonOwnRef",
    "mapName",
    "ks",
    "vs",
    "off",
    "range",
    "memSize",
    "dynptrType",
    "varOff",
    "smin",
    "smax",
    "umin",
    "umax",
    "s32min",
    "s32max",
    "u32min",
    "u32max",
  ] as const;
  let n = 0;
  const bad: string[] = [];
  for (const c of await corpusLogs()) {
    if (c.name.startsWith("older")) continue;
    for (const log of parseLog(c.text)) {
      for (let i = 0; i < log.lines.length; i++) {
        const st = log.lineState(i);
        if (st === null) continue;
        const vals = parseState(st);
        for (const v of [...vals.regs.map((r) => r.value), ...vals.stack.flatMap((s) => (s.spill ? [s.spill] : []))]) {
          if (v.dialect !== "v6.5") continue;
          const fields: RegFields = {};
          for (const k of KEYS) (fields as Record<string, unknown>)[k] = v[k];
          const out = printRegValue(regValue(v.type, fields), "v6.5");
          n++;
          if (out !== printRegValue(v) && bad.length < 5) bad.push(`${printRegValue(v)} -> ${out}`);
        }
      }
    }
  }
  assert.ok(n > 200_000, `${n} values`);
  assert.deepEqual(bad, []);
  // a few built by hand, printed as 6.18 prints them (kernel/bpf/log.c print_reg_state)
  assert.equal(
    printRegValue(regValue("map_value", { mapName: "vals", ks: 4, vs: 8, off: 8 })),
    "map_value(map=vals,ks=4,vs=8,off=8)",
  );
  assert.equal(printRegValue(regValue("fp", { off: -16 })), "fp-16");
  assert.equal(
    printRegValue(regValue("ringbuf_mem_or_null", { id: 2, refObjId: 2, memSize: 8 })),
    "ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=8)",
  );
  assert.equal(printRegValue(regValue("rdonly_mem")), "rdonly_mem(sz=0)");
  assert.equal(
    printRegValue(
      regValue("scalar", {
        umin: 0n,
        umax: 255n,
        smin: 0n,
        smax: 255n,
        varOff: { value: 0n, mask: 255n },
        s32min: 0,
        s32max: 255,
        u32min: 0,
        u32max: 255,
      }),
    ),
    "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))",
  );
  assert.equal(printSlot(dynptrSlot(-16, "ringbuf", { refId: 1 })), "fp-16=dynptr_ringbuf(ref_id=1)");
  assert.equal(printSlot(iterSlot(-24, "num", 1, "active", 0)), "fp-24=iter_num(ref_id=1,state=active,depth=0)");
});

Deno.test("kernlog corpus: visit counts add up to processed on every level-2 log", async () => {
  let checked = 0;
  const bad: string[] = [];
  for (const c of await corpusLogs()) {
    if (c.level !== 2) continue;
    for (const log of parseLog(c.text)) {
      if (log.stats.processed === null) continue;
      let sum = 0;
      for (let i = 0; i < log.paths.visits.length; i++) sum += log.paths.visits.get(i);
      checked++;
      if (sum !== log.stats.processed || (c.processed !== undefined && sum !== c.processed)) {
        bad.push(`${c.name}: visits ${sum}, processed ${log.stats.processed}`);
      }
      if (log.paths.unmatched) bad.push(`${c.name}: ${log.paths.unmatched} resumes without their push`);
    }
  }
  assert.ok(checked >= 450, `${checked} level-2 logs`);
  assert.deepEqual(bad, []);
});

Deno.test("kernlog corpus: the verdict read from the log is the kernel's", async () => {
  const bad: string[] = [];
  for (const c of await corpusLogs()) {
    if (c.accepted === undefined) continue;
    const logs = parseLog(c.text).filter((l) => l.hasVerifierLines);
    if (!logs.length) continue;
    const rejected = logs.some((l) => l.rejected);
    if (rejected === c.accepted) bad.push(`${c.name}: accepted ${c.accepted}, read as rejected ${rejected}`);
  }
  assert.deepEqual(bad, []);
});

Deno.test("kernlog corpus: the slice names the known origin of every known-cause rejection", async () => {
  let n = 0;
  const bad: string[] = [];
  const kinds = new Set<string>();
  for (const c of await corpusLogs()) {
    if (c.bug && c.bug.origin !== null && c.accepted === false && c.text.includes(c.bug.message)) {
      const [log] = parseLog(c.text);
      const sl = sliceError(log);
      n++;
      kinds.add(c.bug.kind);
      if (sl?.origin !== c.bug.origin) {
        bad.push(`${c.name} (${c.bug.kind}): expected ${c.bug.origin}, got ${sl?.origin}`);
      }
    }
    const key = c.object?.replace(/(\.v3)?\.o$/, "");
    if (key && key in CLANG_ORIGINS) {
      const want = CLANG_ORIGINS[key];
      for (const log of parseLog(c.text)) {
        if (!log.errorLines.length) continue;
        const sl = sliceError(log);
        n++;
        kinds.add(key);
        const got = sl?.origin ?? null;
        const ok = want === "entry" ? got === -1 : got !== null && got >= 0 && want.test(log.insnText[got] ?? "");
        if (!ok) bad.push(`${c.name}: expected ${want}, got ${got} ${got !== null ? log.insnText[got] : ""}`);
      }
    }
  }
  assert.ok(n >= 200, `${n} known-cause rejections`);
  assert.ok(kinds.size >= 25, `${kinds.size} kinds`);
  assert.deepEqual(bad, []);
});

Deno.test("kernlog corpus: the slice names the origin written down by hand for each C program and hand-written case", async () => {
  // tests/data/kernlog/human_origins.json: what a person reading the source names as the cause, not the slice's rule
  const checks = await humanChecks();
  const cases = new Set(checks.map((c) => c.want.log));
  assert.ok(cases.size >= 40, `${cases.size} cases`);
  assert.ok(checks.length >= 80, `${checks.length} logs`);
  const missed = checks.filter((c) => !c.named).map((c) => `${c.name}: want ${c.want.origin}, slice ${c.origin}`);
  assert.deepEqual(missed, []);
  // the slice's own origin is the last instruction that gave the register its type or range; where the
  // cause lies further back (the index a pointer was moved by), it is an operand of the slice: 66 of 84 logs
  // name the person's origin as the slice's origin
  const top = checks.filter((c) => c.top).length;
  assert.ok(top >= 66, `${top} of ${checks.length} at the top`);
});

Deno.test("kernlog corpus: parsing in arbitrary chunks gives what one push gives", async () => {
  const logs = (await corpusLogs()).filter((_, i) => i % 7 === 0);
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  for (const c of logs) {
    const whole = parseLog(c.text);
    const p = new LogParser();
    for (let at = 0; at < c.text.length;) {
      const n = 1 + rnd(300);
      p.push(c.text.slice(at, at + n));
      at += n;
    }
    p.end();
    assert.equal(p.logs.length, whole.length, c.name);
    for (let k = 0; k < whole.length; k++) {
      const a = whole[k], b = p.logs[k];
      assert.deepEqual([...b.lines], [...a.lines], c.name);
      assert.deepEqual(b.stepKind.data.subarray(0, b.steps), a.stepKind.data.subarray(0, a.steps), c.name);
      assert.deepEqual(b.paths.visits.toArray(), a.paths.visits.toArray(), c.name);
      assert.equal(b.errorText, a.errorText, c.name);
      assert.equal(
        b.steps > 0 && b.stepKind.get(b.steps - 1) === StepKind.Error,
        a.rejected && a.steps > 0 && a.stepKind.get(a.steps - 1) === StepKind.Error,
        c.name,
      );
    }
  }
});
