// Findings of a user's pass over the CLI (spawns `deno run -A cli/main.ts`): each test fails without its fix.
import assert from "node:assert/strict";
import { malformedBtfExtObject, pipeCli, ROOT, runCli, tmpJson } from "./cli_util.ts";
import { hasTmux, inTmux, tmux, waitFor } from "./tmux_util.ts";

Deno.test("a program file that is missing or cannot be decoded exits 2 (bad input) in every command that runs one", async () => {
  const garbled = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(garbled, '{"insns": [[183, 0');
    // run and tui exited 1; verify, bench and test-run already 2
    const cases = [["run"], ["tui", "--text"], ["tui", "--text", "--run"], ["verify"]].flatMap((cmd) =>
      ["/nonexistent.json", garbled].map((file) => [...cmd, file])
    );
    await Promise.all(cases.map(async (args) => {
      const r = await runCli(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, /^bpfscope: .*(no such file|invalid JSON).*\n$/, args.join(" "));
      assert.equal(r.out, "");
    }));
    // a fault in run is still 1
    const f = await runCli("run", await tmpJson({ insns: [[121, 0, 10, 0, 0], [149, 0, 0, 0, 0]] }));
    assert.equal(f.code, 1, f.err);
  } finally {
    await Deno.remove(garbled);
  }
});

Deno.test("test-run without --data: the '--data' hint only where the refusal is about the missing packet", async () => {
  const fw = await runCli("test-run", new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname);
  assert.equal(fw.code, 2);
  assert.match(fw.err, /EINVAL: packet programs need data_in \(give the packet with --data\)\n$/);
  // a program the loader refuses (an ld_imm64 without its second half): EINVAL too, but no packet would help
  const bad = await runCli(
    "test-run",
    await tmpJson({ prog_type: "xdp", insns: [[24, 0, 0, 0, 1], [149, 0, 0, 0, 0]] }),
  );
  assert.equal(bad.code, 2);
  assert.match(bad.err, /EINVAL: /);
  assert.doesNotMatch(bad.err, /--data/);
});

Deno.test("asm -o into a missing directory or onto a directory: one plain line, without the OS error's text", async () => {
  const src = new URL("./data/examples/lookup_null_write.s", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [out, why] of [[`${dir}/nosuch/x.json`, "no such directory"], [dir, "is a directory"]]
    ) {
      const r = await runCli("asm", src, "-o", out);
      assert.equal(r.code, 1);
      assert.equal(r.err, `bpfscope: ${out}: cannot write: ${why}\n`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an empty file says 'empty file' in every format; a .o that is not ELF is not decoded as raw slots", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: string[][] = [];
    for (const ext of [".json", ".s", ".bin", ".o", ""]) {
      await Deno.writeFile(`${dir}/empty${ext}`, new Uint8Array(0));
      cases.push(["verify", `${dir}/empty${ext}`]);
    }
    // the commands that read an object their own way
    for (const cmd of ["test-run", "inspect"]) cases.push([cmd, `${dir}/empty.o`]);
    await Promise.all(cases.map(async (args) => {
      const r = await runCli(...args);
      assert.notEqual(r.code, 0);
      assert.equal(r.err, `bpfscope: ${args[1]}: empty file\n`, args.join(" "));
    }));
    // 16 bytes of text in a .o (a build step that wrote something else): two raw slots before, now not ELF
    await Deno.writeTextFile(`${dir}/text.o`, "not an object!!\n");
    await Promise.all(["verify", "test-run"].map(async (cmd) => {
      const r = await runCli(cmd, `${dir}/text.o`);
      assert.notEqual(r.code, 0);
      assert.equal(r.err, `bpfscope: ${dir}/text.o: not an ELF file (bad magic)\n`, cmd);
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("test-run - reads the program from stdin, as verify, run and disasm do", async () => {
  const obj = await Deno.readFile(new URL("./fixtures/xdp_firewall.o", import.meta.url));
  const pkt = "000000000001000000000002080045000014000000004011" + "66970a0000420a000001";
  const r = await pipeCli(obj, "test-run", "--json", "--data", pkt, "-");
  assert.equal(r.code, 0, r.err);
  const rec = JSON.parse(r.out);
  assert.equal(rec.file, "stdin");
  assert.equal(rec.meaning, "XDP_PASS");
  const both = await pipeCli(obj, "test-run", "--data-file", "-", "-");
  assert.equal(both.code, 2);
  assert.equal(both.err, "bpfscope: stdin can be the program or --data-file, not both\n");
  const empty = await pipeCli("", "test-run", "--data", pkt, "-");
  assert.equal(empty.code, 2);
  assert.equal(empty.err, "bpfscope: stdin: empty input, no program\n");
});

/** Run `bpfscope ...args` with `env` (FORCE_COLOR stands for a terminal: useColor honours it). */
async function runEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/main.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  return { code: p.code, out: new TextDecoder().decode(p.stdout) };
}

Deno.test("verify's verdict and run's error are coloured on a terminal, plain with NO_COLOR, in a pipe and with --json", async () => {
  const ok = new URL("./fixtures/counter.o", import.meta.url).pathname;
  const fault = await tmpJson({ insns: [[121, 0, 10, 0, 0], [149, 0, 0, 0, 0]] });
  const tty = { FORCE_COLOR: "1", NO_COLOR: "" };
  const ESC = "\x1b[";
  const v = await runEnv(tty, "verify", ok);
  assert.ok(v.out.endsWith(`${ESC}32mverdict: accepted (24 insns processed)${ESC}0m\n`), v.out);
  const bad = await runEnv(tty, "verify", fault);
  assert.ok(bad.out.includes(`\n${ESC}31mverdict: rejected, EACCES: `) && bad.out.endsWith(`${ESC}0m\n`), bad.out);
  const r = await runEnv(tty, "run", fault);
  assert.equal(r.code, 1);
  assert.ok(r.out.includes(`\n  ${ESC}31merror: insn 0: invalid read `) && r.out.endsWith(`${ESC}0m\n`), r.out);
  const plain: Promise<void>[] = [];
  for (
    const [env, args] of [
      [{ FORCE_COLOR: "1", NO_COLOR: "1" }, ["verify", ok]],
      [{ FORCE_COLOR: "", NO_COLOR: "" }, ["run", fault]],
      [tty, ["verify", "--json", fault]],
      [tty, ["run", "--json", fault]],
    ] as const
  ) {
    plain.push(runEnv(env, ...args).then((p) => assert.ok(!p.out.includes(ESC), `${JSON.stringify(env)} ${args}`)));
  }
  await Promise.all(plain);
});

Deno.test("a program type the profile does not know: the note names the profile that knows it, in verify and in the tui", async () => {
  const { verify } = await import("../core/verifier/mod.ts");
  const { verifierMaker } = await import("../tui/verifier_engine.ts");
  const { decodeProgram } = await import("../core/formats/mod.ts");
  const tc = new URL("./fixtures/tc_portmap.o", import.meta.url);
  const prog = decodeProgram(await Deno.readFile(tc), "tc_portmap.o");
  const note = "program type sched_cls is not known to linux-3.19 (it has unspec, socket_filter); " +
    "--profile linux-6.18 knows it, --prog-type overrides it";
  const r = verify(prog, { profile: "linux-3.19" });
  assert.equal(r.errno, "EINVAL");
  assert.equal(r.note, note);
  // the tui said a bare 'REJECTED (EINVAL): EINVAL'
  const e = verifierMaker(prog)({ profile: "linux-3.19", pruning: true });
  while (!e.done) e.step();
  assert.equal(e.verdict()?.message, note);
});

Deno.test("a subcommand's usage error (missing argument, unknown option, missing option value) exits 2, as --help says", async () => {
  const cases = [["verify"], ["verify", "--profile"], ["run", "--bogus", "x.json"], ["tui", "a", "b"], ["test-run"]];
  await Promise.all(cases.map(async (args) => {
    const r = await runCli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /^error: .*\n\(run with --help for usage\)\n$/, args.join(" "));
    assert.equal(r.out, "");
  }));
  const h = await runCli("verify", "--help");
  assert.equal(h.code, 0);
  assert.match(h.out, /^Usage: bpfscope verify /);
});

Deno.test("test-run --set/--tail the kernel refuses: one line naming the option, and for E2BIG the map's size", async () => {
  const fw = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
  const pkt = "00".repeat(34);
  const cases: Array<[string[], string]> = [
    [
      ["--set", "stats:09000000=" + "00".repeat(16)],
      "--set stats:09000000=" + "00".repeat(16) + ": E2BIG (map stats holds at most 2)",
    ],
    [["--tail", "handlers:99=xdp"], "--tail handlers:99=xdp: E2BIG (map handlers holds at most 4)"],
    [["--set", "blocklist:00=00"], "--set blocklist:00=00: EINVAL: key must be 4 bytes, got 1"],
  ];
  await Promise.all(cases.map(async ([opt, msg]) => {
    const r = await runCli("test-run", "--data", pkt, ...opt, fw);
    assert.equal(r.code, 2);
    assert.equal(r.err, `bpfscope: ${msg}\n`);
  }));
});

Deno.test("test-run --clock past u64 (ktime_get_ns's type) is a usage error, as a negative one is", async () => {
  const fw = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
  await Promise.all(["18446744073709551616", "-1", "1e9"].map(async (clock) => {
    const r = await runCli("test-run", "--data", "00".repeat(34), "--clock", clock, fw);
    assert.equal(r.code, 2);
    assert.equal(r.err, `bpfscope: --clock: expected nanoseconds from 0 to 18446744073709551615, got '${clock}'\n`);
  }));
  const max = await runCli("test-run", "--data", "00".repeat(34), "--clock", "18446744073709551615", fw);
  assert.equal(max.code, 0, max.err);
});

Deno.test("run --verify on a program type linux-3.19 lacks says so and what verifies it as 6.18 (it said 'program rejected')", async () => {
  const r = await runCli("run", "--verify", new URL("./fixtures/tc_portmap.o", import.meta.url).pathname);
  assert.equal(r.code, 1);
  assert.equal(
    r.out,
    "error: rejected by the verifier: EINVAL: program type sched_cls is not known to linux-3.19 (it has unspec, " +
      "socket_filter); run --verify verifies as Linux 3.19: test-run --verify or verify --profile linux-6.18 verify " +
      "as Linux 6.18\n",
  );
});

Deno.test("every 'bpfscope ...' example of every --help names a command and options that exist", async () => {
  const { buildCli } = await import("../cli/main.ts");
  const cli = buildCli();
  const helps = [
    cli.helpInformation(),
    ...cli.commands.map((c) => {
      let after = "";
      c.configureOutput({ writeOut: (s) => (after += s), writeErr: () => {} });
      c.outputHelp();
      return after;
    }),
  ];
  let n = 0;
  for (const help of helps) {
    for (const m of help.matchAll(/(?:^ {2}|\| )bpfscope ([^\n|]+?)(?= {2,}|$)/gm)) {
      const words = m[1].replace(/\s+#.*$/, "").trim().split(/\s+/);
      const cmd = cli.commands.find((c) => c.name() === words[0]);
      assert.ok(cmd, `unknown command in example: bpfscope ${m[1]}`);
      const { unknown } = cmd.parseOptions(words.slice(1).filter((w) => w !== "..."));
      assert.deepEqual(unknown, [], `unknown option in example: bpfscope ${m[1]}`);
      n++;
    }
  }
  assert.ok(n >= 40, `${n} examples`);
});

Deno.test("every command that loads one program of an object has --section (tui, bench and asm had none)", async () => {
  const fw = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
  // verify without --section verifies every program (tests/verify_multi_test.ts); tui needs one
  const none = await runCli("tui", "--text", fw);
  assert.equal(none.code, 2);
  assert.ok(none.err.endsWith("the object has 2 programs (xdp/ipv4, xdp); choose a section (--section NAME)\n"));
  await Promise.all([["tui", "--text"], ["bench", "--runs", "1", "--engine", "interp"], ["asm"]].map(async (cmd) => {
    const one = await runCli(...cmd, "--section", "xdp", fw);
    assert.ok(one.code === 0 || one.code === 1, `${cmd.join(" ")} --section xdp: ${one.err}`);
    assert.doesNotMatch(one.err, /choose a section|unknown option/);
  }));
});

Deno.test("linux-6.18 on a program that names no type, and a log that fills its buffer: the note says what to do", async () => {
  const { silentRejectionNote, verify } = await import("../core/verifier/mod.ts");
  const { decodeProgram } = await import("../core/formats/mod.ts");
  // raw slots carry no program type
  const raw = new Uint8Array(16);
  raw[0] = 0xb7;
  raw[8] = 0x95;
  const prog = decodeProgram(raw, "p.bin");
  const r = verify(prog, { profile: "linux-6.18" });
  assert.equal(r.errno, "EINVAL");
  assert.match(r.note!, /; the program names no type: give one with --prog-type, \.prog_type or "prog_type"$/);
  // ENOSPC: 300,000 insns at level 2 fill the log (checked end to end before; the note is this function's)
  assert.match(
    silentRejectionNote(prog, { profile: "linux-6.18" }, "ENOSPC"),
    /\(log level 0 verifies it without a log\)$/,
  );
});

Deno.test("inspect on a program that is not an object points at disasm", async () => {
  const j = new URL("./data/bench/fib32.json", import.meta.url).pathname;
  const r = await runCli("inspect", j);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    `bpfscope: ${j}: not an ELF file (bad magic); inspect reads ELF objects (disasm shows other programs)\n`,
  );
});

Deno.test("tui: P to linux-6.18 on a program it refuses at load (no program type) draws the verdict, no TypeError", async () => {
  const { verifierMaker } = await import("../tui/verifier_engine.ts");
  const { Timeline } = await import("../tui/timeline.ts");
  const { buildFrame, computeLayout, initialUi } = await import("../tui/model.ts");
  const { decodeProgram } = await import("../core/formats/mod.ts");
  const src = new URL("./data/examples/lookup_null_write.s", import.meta.url);
  const prog = decodeProgram(await Deno.readFile(src), "lookup_null_write.s");
  const tl = new Timeline(verifierMaker(prog), { profile: "linux-3.19", pruning: true });
  tl.step();
  tl.restart({ profile: "linux-6.18" }); // what P does
  const layout = computeLayout(120, 40, false);
  let f = buildFrame(tl, initialUi(), layout, "lookup_null_write.s", false);
  assert.deepEqual(f.state.regs, []);
  tl.runToEnd();
  f = buildFrame(tl, initialUi(), layout, "lookup_null_write.s", false);
  assert.equal(f.verdict?.accepted, false);
  assert.equal(f.verdict?.errno, "EINVAL");
});

Deno.test("tui run mode on a program the machine cannot load (an unspec map outside linux-3.18): one line, no internal error", async () => {
  const src = new URL("./data/examples/lookup_null_write.s", import.meta.url).pathname;
  const r = await runCli("tui", "--run", "--text", src);
  assert.equal(r.code, 2);
  assert.equal(r.err, "bpfscope: run mode: EINVAL: map type unspec exists only in the linux-3.18 profile\n");
});

Deno.test({
  name: "tui on a terminal: m on a program the machine cannot load says why on the status line and keeps the UI",
  ignore: !hasTmux,
  fn: async () => {
    await inTmux(
      ROOT,
      "bpfscope_m_unspec",
      "deno run -A cli/main.ts tui tests/data/examples/lookup_null_write.s",
      async (s) => {
        await waitFor(s, /─ instructions /);
        tmux("send-keys", "-t", s, "m");
        await waitFor(s, /run mode: EINVAL: map type unspec exists only in the linux-3\.18 profile/);
        tmux("send-keys", "-t", s, "q");
        await waitFor(s, /EXIT=0/);
      },
    );
  },
});

Deno.test("tui --prog-type: a program that names no type can be walked as linux-6.18, as verify --prog-type does", async () => {
  const f = await tmpJson({ insns: [[183, 0, 0, 0, 0], [149, 0, 0, 0, 0]] });
  const none = await runCli("tui", "--text", "--profile", "linux-6.18", f);
  assert.match(none.out, /REJECTED \(EINVAL\): program type 0 is not a Linux 6\.18 program type/);
  const xdp = await runCli("tui", "--text", "--profile", "linux-6.18", "--prog-type", "xdp", f);
  assert.equal(xdp.code, 0, xdp.err);
  assert.match(xdp.out, /\n {2}ACCEPTED\n/);
  const bad = await runCli("tui", "--text", "--prog-type", "nosuch", f);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^bpfscope: --prog-type: expected unspec, socket_filter, .* got 'nosuch'\n$/);
});

Deno.test("the round trip disasm's --help points at: asm prog.o -o prog.s, then asm prog.s, is the program again", async () => {
  const obj = new URL("./fixtures/counter.o", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    const help = (await runCli("disasm", "--help")).out;
    assert.match(help, /bpfscope asm prog\.o -o prog\.s/);
    // the llvm-style text of a program with a map does not assemble on its own: it names no .map
    const d = await runCli("disasm", obj);
    await Deno.writeTextFile(`${dir}/d.s`, d.out);
    assert.match((await runCli("asm", `${dir}/d.s`)).err, /unknown map 'counts' \(declare it with \.map\)/);
    assert.equal((await runCli("asm", obj, "-o", `${dir}/p.s`)).code, 0);
    const [again, orig] = await Promise.all([runCli("asm", `${dir}/p.s`), runCli("asm", obj)]);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), JSON.parse(orig.out));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "tui --log - with a terminal for stdin names its own pipe (it named log's)",
  ignore: !hasTmux,
  fn: async () => {
    await inTmux(ROOT, "bpfscope_log_tty", "deno run -A cli/main.ts tui --log -", async (s) => {
      await waitFor(s, [/stdin is a terminal; pipe a log in \(\.\.\. 2>&1 \| bpfscope tui --log -\)/, /EXIT=2/]);
    });
  },
});

Deno.test("test-run on a JSON program names it once in its first line (it said 'f.json f.json (xdp)')", async () => {
  const f = await tmpJson({ prog_type: "xdp", insns: [[183, 0, 0, 0, 2], [149, 0, 0, 0, 0]] });
  const r = await runCli("test-run", "--data", "00".repeat(14), f);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.startsWith(`${f} (xdp): retval 2 (XDP_PASS)\n`), r.out);
});

Deno.test("tui --seed and --max-insns take what run takes (0 to 2^32-1; from 1)", async () => {
  const f = await tmpJson({ insns: [[183, 0, 0, 0, 0], [149, 0, 0, 0, 0]] });
  const r = await runCli("tui", "--run", "--text", "--seed", "4294967296", f);
  assert.equal(r.code, 2);
  assert.equal(r.err, "bpfscope: --seed: expected an integer from 0 to 4294967295, got '4294967296'\n");
  // and --max-insns from 1, as run's (0 stopped before the first instruction)
  const z = await runCli("tui", "--run", "--text", "--max-insns", "0", f);
  assert.equal(z.code, 2);
  assert.equal(z.err, "bpfscope: --max-insns: expected an integer from 1 to 9007199254740991, got '0'\n");
});

Deno.test("run on a packet program that reads past its empty ctx points at test-run (stderr; exit status unchanged)", async () => {
  const tc = new URL("./fixtures/tc_portmap.o", import.meta.url).pathname;
  const note = `note: ${tc}: run gives a sched_cls program an empty ctx (give one with --ctx); ` +
    "test-run builds its context from a packet as the kernel's test run does\n";
  const [r, j, withCtx] = await Promise.all([
    runCli("run", tc),
    runCli("run", "--json", tc),
    runCli("run", "--ctx", "00".repeat(8), tc),
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.err, note);
  assert.equal(j.err, note);
  assert.equal(JSON.parse(j.out).error.includes("ctx ["), true);
  assert.doesNotMatch(withCtx.err, /note: /);
});

Deno.test("a verifier log given to verify or tui as a program: the error says to read it with log or tui --log", async () => {
  const log = new URL("./data/kernlog/samples/bad_pkt_short.bpftool-d.txt", import.meta.url).pathname;
  const hint = `; it looks like a verifier log: read it with bpfscope log ${log} or tui --log ${log}\n`;
  const [v, t, asm] = await Promise.all([
    runCli("verify", log),
    runCli("tui", "--text", log),
    runCli(
      "verify",
      await tmpJson({ insns: [[183, 0, 0, 0, 0], [149, 0, 0, 0, 0]] }).then(async (f) => {
        const s = f.replace(/\.json$/, ".s");
        await Deno.writeTextFile(s, "r0 = 1\nbogus r1\n");
        return s;
      }),
    ),
  ]);
  assert.equal(v.code, 2);
  assert.ok(v.err.startsWith(`bpfscope: ${log}:1:`) && v.err.endsWith(hint), v.err);
  assert.ok(t.err.endsWith(hint), t.err);
  // an assembly error stays as it was
  assert.match(asm.err, /:2:1: unknown instruction 'bogus'\n$/);
});

Deno.test("log on a program (an ELF object, a JSON program) says verify reads it", async () => {
  const o = new URL("./fixtures/counter.o", import.meta.url).pathname;
  const j = new URL("./data/bench/fib32.json", import.meta.url).pathname;
  const [ro, rj, pipe] = await Promise.all([
    runCli("log", o),
    runCli("log", j),
    pipeCli(await Deno.readFile(o), "log", "-"),
  ]);
  assert.equal(ro.code, 2);
  assert.ok(
    ro.err.endsWith(`: binary data, not a verifier log (3 lines); an ELF object: bpfscope verify ${o} verifies it\n`),
  );
  assert.equal(rj.code, 2);
  assert.ok(rj.err.endsWith(`; a JSON program: bpfscope verify ${j} verifies it\n`), rj.err);
  assert.ok(pipe.err.endsWith("; an ELF object: bpfscope verify - verifies it\n"), pipe.err);
});

Deno.test("test-run --prog-type takes a number as verify's does, and a bad one is a usage error naming the option", async () => {
  const f = await tmpJson({ insns: [[183, 0, 0, 0, 2], [149, 0, 0, 0, 0]] });
  const [num, bad] = await Promise.all([
    runCli("test-run", "--prog-type", "6", "--data", "00".repeat(14), f),
    runCli("test-run", "--prog-type", "bogus", "--data", "00".repeat(14), f),
  ]);
  assert.equal(num.code, 0, num.err);
  assert.match(num.out, /\(xdp\): retval 2 \(XDP_PASS\)/);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.err,
    "bpfscope: --prog-type: expected socket_filter, sched_cls, sched_act, xdp (or another program type's name or " +
      "number), got 'bogus'\n",
  );
});

Deno.test({
  name: "tui - on a terminal: a program piped in opens the UI, keys from the terminal (it printed the text walk)",
  ignore: !hasTmux,
  fn: async () => {
    const cmd = "cat tests/data/examples/lookup_null_write.s | deno run -A cli/main.ts tui -";
    await inTmux(ROOT, "bpfscope_tui_pipe", cmd, async (s) => {
      await waitFor(s, [/bpfscope · stdin · step 0/, /─ instructions /]);
      tmux("send-keys", "-t", s, "e");
      await waitFor(s, /REJECTED/);
      tmux("send-keys", "-t", s, "q");
      await waitFor(s, /EXIT=0/);
    });
  },
});

Deno.test("verify or run of several files: one that cannot be read says so and the others still go (exit 2)", async () => {
  const ok = await tmpJson({ insns: [[183, 0, 0, 0, 0], [149, 0, 0, 0, 0]] });
  const [t, j, one, run] = await Promise.all([
    runCli("verify", ok, "/nonexistent.json", ok),
    runCli("verify", "--json", "/nonexistent.json", ok),
    runCli("verify", "/nonexistent.json"),
    runCli("run", "--json", ok, "/nonexistent.json"),
  ]);
  assert.equal(run.code, 2);
  assert.equal(run.err, "bpfscope: /nonexistent.json: no such file\n");
  assert.equal(JSON.parse(run.out).r0, "0");
  assert.equal(t.code, 2);
  assert.equal(t.err, "bpfscope: /nonexistent.json: no such file\n");
  assert.equal(t.out.split("\n").filter((l) => l.includes("success")).length, 2, t.out);
  assert.equal(j.code, 2);
  // the unreadable file keeps a record in the JSON ({file, error}), in file order
  const [missing, good] = j.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(missing, { file: "/nonexistent.json", error: "/nonexistent.json: no such file" });
  assert.equal(good.accepted, true);
  assert.equal(one.code, 2);
  assert.equal(one.out, "");
});

Deno.test("log and tui --log read a gzipped log (.gz) as its text; gzip under another name, or cut short, is one line", async () => {
  const gz = new URL("./data/kernlog/loop10k.log.gz", import.meta.url).pathname;
  const bytes = await Deno.readFile(gz);
  const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/loop.log`, bytes);
    await Deno.writeFile(`${dir}/cut.log.gz`, bytes.subarray(0, 300));
    const [z, plain, t, other, cut] = await Promise.all([
      runCli("log", gz),
      pipeCli(text, "log", "-"),
      runCli("tui", "--text", "--log", gz),
      runCli("log", `${dir}/loop.log`),
      runCli("log", `${dir}/cut.log.gz`),
    ]);
    assert.equal(z.code, 0, z.err);
    assert.equal(z.out, plain.out);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /profile kernel log, pruning on, 110 insns/);
    assert.equal(other.code, 2);
    assert.ok(other.err.endsWith(`; gzip data: name it .gz (or zcat ${dir}/loop.log | bpfscope log -)\n`), other.err);
    assert.equal(cut.code, 2);
    assert.match(cut.err, /^bpfscope: .*cut\.log\.gz: read failed: .*\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect shows each program's BTF func/line info, and a malformed .BTF.ext it ignored", async () => {
  const tmp = await malformedBtfExtObject();
  try {
    const fw = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
    const [ok, bad, j] = await Promise.all([
      runCli("inspect", fw),
      runCli("inspect", tmp),
      runCli("inspect", "--json", tmp),
    ]);
    assert.match(ok.out, /\n {2}xdp {21}40 insns {2}xdp {2}BTF: 1 func_info, 16 line_info\n/);
    assert.match(bad.out, /\n {2}BTF ignored: .*section '\.BTF\.ext' offset 0: bad magic 0x0 /);
    const rec = JSON.parse(j.out);
    assert.match(rec.btf_ignored, /bad magic 0x0/);
    assert.equal(rec.programs[0].line_info, 0);
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("a C source given as a program: the error says to build an object with clang", async () => {
  const c = new URL("./fixtures/counter.c", import.meta.url).pathname;
  const [f, p] = await Promise.all([runCli("verify", c), pipeCli(await Deno.readFile(c), "tui", "--text", "-")]);
  assert.equal(f.code, 2);
  assert.ok(
    f.err.endsWith(`; it looks like C source: build an object with clang -O2 -g -target bpf -c ${c} -o prog.o\n`),
  );
  assert.ok(
    p.err.endsWith("; it looks like C source: build an object with clang -O2 -g -target bpf -c x.c -o prog.o\n"),
  );
});

Deno.test("asm -o - writes the JSON to stdout (it created a file named '-')", async () => {
  const src = new URL("./data/examples/lookup_null_write.s", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}cli/main.ts`, "asm", src, "-o", "-"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(p.code, 0);
    assert.equal(JSON.parse(new TextDecoder().decode(p.stdout)).insns.length, 11);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
