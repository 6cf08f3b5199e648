// `bpfscope verify` on objects with several programs (no --section): every program verified, a header per
// program, the table at the end, an array with --json, the exit status over all of them.
import assert from "node:assert/strict";
import { normaliseLog } from "./btf_linfo.ts";
import { ROOT, runCli } from "./cli_util.ts";

const MULTI = `${ROOT}tests/fixtures/multi.o`; // socket/count (accepted), socket/bad (rejected), classifier
const FW = `${ROOT}tests/fixtures/xdp_firewall.o`; // xdp/ipv4, xdp: both accepted by linux-6.18
const COUNTER = `${ROOT}tests/fixtures/counter.o`; // one program
const cli = (...args: string[]) => runCli("verify", ...args);

Deno.test("verify an object with several programs: each one's output after a header, then the table", async () => {
  for (const profile of ["linux-3.19", "linux-6.18"]) {
    const [all, ...one] = await Promise.all([
      cli("--profile", profile, MULTI),
      ...["socket/count", "socket/bad", "classifier"].map((s) => cli("--profile", profile, "--section", s, MULTI)),
    ]);
    assert.equal(all.code, 1, all.err); // socket/bad is rejected
    // each program's part is exactly what --section prints for it
    const parts = [
      `${MULTI}: socket/count (count_packets):\n${one[0].out}`,
      `${MULTI}: socket/bad (no_null_check):\n${one[1].out}`,
      `${MULTI}: classifier (sched_pass):\n${one[2].out}`,
    ];
    const body = parts.join("");
    // durations differ between runs: compare all but the table
    assert.equal(all.out.slice(0, body.length), body, profile);
    const table = all.out.slice(body.length).split("\n");
    assert.match(table[0], /^File +Program +Section +Verdict +Errno +Insns +States +Peak states +.*Error$/);
    assert.match(table[2], /multi\.o +count_packets +socket\/count +success +- +\d+ /);
    assert.match(table[3], /multi\.o +no_null_check +socket\/bad +failure +EACCES +\d+ .*R0 invalid mem access/);
    // linux-3.19 knows no sched_cls program type
    assert.match(
      table[4],
      profile === "linux-6.18" ? /sched_pass +classifier +success/ : /sched_pass +classifier +failure +EINVAL/,
    );
    if (profile === "linux-3.19") {
      // the long EINVAL note is cut short in the table (60 characters) and whole in the log above
      assert.match(table[4], / {2}program type sched_cls is not known to linux-3\.19 \(it has\.\.\.$/);
      assert.match(
        all.out,
        /verdict: rejected, EINVAL \(program type sched_cls is not known to linux-3\.19 \(it has unspec/,
      );
    }
    assert.equal(table.length, 6);
  }
});

Deno.test("verify several programs: --log-level 0 gives just the table; exit 0 when all are accepted", async () => {
  const [fw, quiet] = await Promise.all([
    cli("--profile", "linux-6.18", FW),
    cli("--profile", "linux-6.18", "--log-level", "0", MULTI),
  ]);
  assert.equal(fw.code, 0, fw.err);
  assert.ok(fw.out.startsWith(`${FW}: xdp/ipv4 (ipv4):\n`));
  assert.match(fw.out, /\/xdp_firewall\.o: xdp \(firewall\):\n/);
  assert.match(fw.out, /\n.*xdp_firewall\.o +firewall +xdp +success/);
  assert.equal(quiet.code, 1);
  const lines = quiet.out.trimEnd().split("\n");
  assert.equal(lines.length, 5, quiet.out);
  assert.match(lines[0], /^File +Program +Section +Verdict/);
  assert.match(lines[4], /sched_pass +classifier +success/);
});

Deno.test("verify --json: an array for an object with several programs, an object as before for one", async () => {
  const [multi, sec, one] = await Promise.all([
    cli("--json", "--profile", "linux-6.18", MULTI),
    cli("--json", "--profile", "linux-6.18", "--section", "socket/bad", MULTI),
    cli("--json", COUNTER),
  ]);
  assert.equal(multi.code, 1);
  const recs = JSON.parse(multi.out);
  assert.ok(Array.isArray(recs));
  assert.deepEqual(recs.map((r: { section: string }) => r.section), ["socket/count", "socket/bad", "classifier"]);
  assert.deepEqual(recs.map((r: { program: string }) => r.program), ["count_packets", "no_null_check", "sched_pass"]);
  assert.deepEqual(recs.map((r: { accepted: boolean }) => r.accepted), [true, false, true]);
  assert.equal(recs[1].errno, "EACCES");
  // the same keys as one program's record, plus section and program
  const single = JSON.parse(sec.out);
  assert.deepEqual(Object.keys(recs[1]), ["file", "section", "program", ...Object.keys(single).slice(1)]);
  assert.deepEqual({ ...recs[1], section: undefined, program: undefined, stats: undefined }, {
    ...single,
    section: undefined,
    program: undefined,
    stats: undefined,
  });
  // one program: exactly today's object, no section/program keys
  assert.equal(one.code, 0);
  const o = JSON.parse(one.out);
  assert.ok(!Array.isArray(o));
  assert.deepEqual(Object.keys(o), ["file", "accepted", "errno", "error", "log", "stats"]);
});

Deno.test("verify several files with several programs each; an unreadable file keeps a JSON record", async () => {
  const missing = `${ROOT}tests/fixtures/no_such_file.o`;
  const [tab, json] = await Promise.all([
    cli("--profile", "linux-6.18", MULTI, COUNTER, FW),
    cli("--json", "--profile", "linux-6.18", MULTI, missing, COUNTER),
  ]);
  assert.equal(tab.code, 1, tab.err);
  const rows = tab.out.trimEnd().split("\n");
  assert.equal(rows.length, 2 + 3 + 1 + 2, tab.out); // several files: log level 0, just the table
  assert.match(rows[0], /^File +Program +Section +Verdict/);
  assert.match(rows[5], /counter\.o +- +- +success/);
  assert.match(rows[7], /xdp_firewall\.o +firewall +xdp +success/);
  assert.equal(json.code, 2); // bad input wins over a rejection
  assert.equal(json.err, `bpfscope: ${missing}: no such file\n`);
  const lines = json.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].length, 3);
  assert.deepEqual(lines[1], { file: missing, error: `${missing}: no such file` });
  assert.equal(lines[2].accepted, true);
});

Deno.test("verify several programs: colour on a terminal (FORCE_COLOR), none with NO_COLOR", async () => {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, "verify", "--profile", "linux-6.18", MULTI],
    stdout: "piped",
    stderr: "piped",
    env: { FORCE_COLOR: "1", NO_COLOR: "" },
  }).output();
  const out = new TextDecoder().decode(p.stdout);
  assert.ok(out.includes("\x1b[1m" + `${MULTI}: socket/bad (no_null_check):` + "\x1b[0m\n"), out);
  assert.ok(out.includes("\x1b[31mverdict: rejected, EACCES"));
  assert.ok(out.includes("\x1b[32mverdict: accepted"));
});

Deno.test("decodePrograms: every program of an object with its section and function; one for other formats", async () => {
  const { decodePrograms } = await import("../core/formats/mod.ts");
  const { FormatError } = await import("../core/errors.ts");
  const bytes = Deno.readFileSync(MULTI);
  const all = decodePrograms(bytes, "multi.o");
  assert.deepEqual(all.map((p) => [p.section, p.func, p.program.len]), [
    ["socket/count", "count_packets", 12],
    ["socket/bad", "no_null_check", 9],
    ["classifier", "sched_pass", 2],
  ]);
  const one = decodePrograms(bytes, "multi.o", { section: "socket/bad" });
  assert.deepEqual(one.map((p) => [p.section, p.func]), [["socket/bad", "no_null_check"]]);
  assert.throws(
    () => decodePrograms(bytes, "multi.o", { section: "xdp" }),
    (e) =>
      e instanceof FormatError &&
      /no program in section 'xdp' \(programs: socket\/count, socket\/bad, classifier\)/.test(e.message),
  );
  assert.throws(() => decodePrograms(bytes.subarray(0, 100), "multi.o"), FormatError);
  assert.throws(() => decodePrograms(new Uint8Array(0), "multi.o"), /empty file/);
  const asm = decodePrograms(new TextEncoder().encode("r0 = 0\nexit\n"), "x.s");
  assert.equal(asm.length, 1);
  assert.equal(asm[0].section, undefined);
  assert.equal(asm[0].program.len, 2);
});

Deno.test("verify multi.o as linux-6.18 (--no-btf): each program's verdict, stats and log are the kernel's", async () => {
  // recorded from the running kernel by tests/kernlog/record_multi.sh
  const kernel = JSON.parse(Deno.readTextFileSync(`${ROOT}tests/data/verify_multi/kernel.json`));
  const r = await cli("--json", "--profile", "linux-6.18", "--no-btf", "--log-level", "5", MULTI);
  assert.equal(r.code, 1, r.err);
  const ours = JSON.parse(r.out);
  assert.equal(ours.length, kernel.length);
  for (const [i, k] of kernel.entries()) {
    const o = ours[i];
    assert.deepEqual(
      [o.section, o.accepted, o.errno, o.stats.processed_insns, o.stats.total_states, o.stats.peak_states],
      [k.section, k.accepted, k.errno, k.processed_insns, k.total_states, k.peak_states],
    );
    assert.equal(normaliseLog(o.log), normaliseLog(k.log), k.section);
  }
});
