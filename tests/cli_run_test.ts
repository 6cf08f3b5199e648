// `bpfscope run` end to end (spawns `deno run -A cli/main.ts run ...`).
import assert from "node:assert/strict";
import { TESTS_DIR } from "./vm_util.ts";
import { runCli, tmpJson } from "./cli_util.ts";

const DATA = `${TESTS_DIR}data`;
const cli = (...args: string[]) => runCli("run", ...args);

Deno.test("run: bench programs with --mem, text and --json", async () => {
  const t = await cli("--mem", `${DATA}/bench/input256.mem`, `${DATA}/bench/fib32.json`);
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out, "r0 = 0x0000000065733f5e (1702051678), 9000007 insns executed\n");
  const j = await cli(
    "--json",
    "--regs",
    "--mem",
    `${DATA}/bench/input256.mem`,
    `${DATA}/bench/branchy.json`,
    `${DATA}/bench/memory.json`,
  );
  assert.equal(j.code, 0, j.err);
  const lines = j.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].r0, "5695119142526217640");
  assert.equal(lines[0].insns_executed, 10296007);
  assert.equal(lines[0].regs.length, 11);
  assert.deepEqual(lines[1].maps, []);
  assert.equal(lines[1].error, null);
});

Deno.test("run: maps with init and fixup, dumped after the run", async () => {
  const f = await tmpJson(JSON.parse(Deno.readTextFileSync(`${DATA}/vectors/alu/v1_seed1/case_00000.json`)));
  const j = await cli("--json", f);
  assert.equal(j.code, 0, j.err);
  const rec = JSON.parse(j.out);
  assert.equal(rec.r0, "1");
  assert.equal(rec.maps[0].type, "array");
  assert.equal(rec.maps[0].entries[0][0], "00000000");
  assert.equal(rec.output.length, 0);
});

Deno.test("run: fault -> exit 1 with the message; trace_printk output", async () => {
  const f = await tmpJson({ insns: [[121, 0, 10, 0, 0], [149, 0, 0, 0, 0]] });
  const r = await cli(f);
  assert.equal(r.code, 1);
  assert.match(r.out, /error: insn 0: invalid read of 8 bytes at 0x0000100000000200/);
  const lim = await cli("--json", "--max-insns", "10", await tmpJson({ insns: [[5, 0, 0, -1, 0], [149, 0, 0, 0, 0]] }));
  assert.equal(lim.code, 1);
  assert.match(JSON.parse(lim.out).error, /instruction limit of 10/);
  // "hi %d\n" on the stack, trace_printk(fmt, 7, 42)
  const fmt = [...new TextEncoder().encode("hi %d\n\0\0")];
  const lo = fmt.slice(0, 4).reduce((a, b, i) => a | (b << (8 * i)), 0);
  const hi = fmt.slice(4).reduce((a, b, i) => a | (b << (8 * i)), 0);
  const p = await tmpJson({
    insns: [
      [24, 1, 0, 0, lo],
      [0, 0, 0, 0, hi],
      [123, 10, 1, -8, 0],
      [191, 1, 10, 0, 0],
      [7, 1, 0, 0, -8],
      [183, 2, 0, 0, 7],
      [
        183,
        3,
        0,
        0,
        42,
      ],
      [133, 0, 0, 0, 6],
      [149, 0, 0, 0, 0],
    ],
  });
  const out = await cli(p);
  assert.equal(out.code, 0, out.err);
  assert.match(out.out, /trace: hi 42/);
});

Deno.test("run: bad input -> non-zero exit and one stderr line", async () => {
  for (
    const args of [["/nonexistent.json"], ["--ctx", "xyz", "/nonexistent.json"], ["--profile", "linux-2.6", "a.json"]]
  ) {
    const r = await cli(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.equal(r.err.trim().split("\n").length, 1, r.err);
    assert.match(r.err, /^bpfscope: /);
  }
  const v = await cli("--verify", `${DATA}/bench/fib32.json`);
  assert.equal(v.code, 1);
  assert.equal(v.out.trim(), "error: rejected by the verifier: EINVAL: back-edge from insn 12 to 4");
});

Deno.test("run: the JIT loads a program as the interpreter does (its program type's helpers)", async () => {
  // skb_load_bytes exists for sched_cls; without a test run's context it faults, on either engine
  const f = await tmpJson({
    prog_type: "sched_cls",
    insns: [[0xb7, 2, 0, 0, 0], [0x85, 0, 0, 0, 26], [0x95, 0, 0, 0, 0]],
  });
  const [jit, interp] = [await cli("--json", f), await cli("--json", "--engine", "interp", f)];
  assert.equal(jit.out, interp.out);
  assert.match(JSON.parse(jit.out).error, /insn 1: helper 26: skb_load_bytes needs the __sk_buff of a test run/);
});

Deno.test("cli run --wasm: the JIT's WebAssembly tier forced on or off gives the same output; a bad mode is one line", async () => {
  const mem = `${DATA}/bench/input256.mem`;
  for (const f of ["fib32", "memory", "branchy"]) {
    const file = `${DATA}/bench/${f}.json`;
    const outs = [];
    for (const mode of ["always", "never", "auto"]) {
      const r = await runCli("run", "--wasm", mode, "--regs", "--json", "--mem", mem, file);
      assert.equal(r.code, 0, `${f} --wasm ${mode}: ${r.err}`);
      outs.push(r.out);
    }
    assert.equal(outs[0], outs[1], `${f}: always vs never`);
    assert.equal(outs[2], outs[1], `${f}: auto vs never`);
  }
  const bad = await runCli("run", "--wasm", "sometimes", `${DATA}/bench/fib32.json`);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, "bpfscope: --wasm: expected auto, always or never, got 'sometimes'\n");
});
