// may_goto on the machine: the interpreter and every JIT form (the JavaScript
// `fast`, the split `precise`, the wasm tier) run the kernel's fixup of
// may_goto: each call of a function starts a budget of BPF_MAX_LOOPS
// (8,388,608) shared by its may_gotos, a may_goto falls through counting it
// down and jumps once it is 0, and every run starts afresh. The kernel's
// own answers for loops that end before the budget are replayed by
// testrun_kernel_test.ts (tests/data/testrun/maygoto.jsonl.gz); its x86-64 JIT
// bounds an endless loop by time instead (see the README).
import assert from "node:assert/strict";
import { assemble } from "../core/asm/mod.ts";
import { Jit, type JitOptions } from "../core/jit/mod.ts";
import { Interpreter, type RunOptions, type RunResult } from "../core/vm/mod.ts";
import { BPF_MAX_LOOPS } from "../core/vm/decode.ts";
import type { Program } from "../core/isa/mod.ts";
import { parseElf } from "../core/elf/loader.ts";
import { verify } from "../core/verifier/mod.ts";
import { testRun } from "../core/testrun/mod.ts";
import { parseLog, summarize } from "../core/kernlog/mod.ts";

const ENGINES: Array<[string, (p: Program) => { run(i: object, o?: RunOptions): RunResult }]> = [
  ["interp", (p) => new Interpreter(p)],
  ["jit", (p) => new Jit(p, { wasm: "never" } as JitOptions)],
  ["jit split", (p) => new Jit(p, { wasm: "never", maxFunctionTokens: 40 } as JitOptions)],
  ["jit wasm", (p) => new Jit(p, { wasm: "always" } as JitOptions)],
];

/** Run `asm` on every engine (twice each: the budget starts afresh); all must give the same result, returned. */
function runAll(asm: string, opts: RunOptions = {}): RunResult {
  const prog = assemble(asm);
  let first: RunResult | null = null;
  for (const [name, make] of ENGINES) {
    const e = make(prog);
    for (let k = 0; k < 2; k++) {
      const r = e.run({}, { regs: true, ...opts });
      const got = { r0: r.r0, insns: r.insnsExecuted, fault: r.fault, regs: r.regs };
      if (first === null) first = r;
      else {
        assert.deepEqual(
          got,
          { r0: first.r0, insns: first.insnsExecuted, fault: first.fault, regs: first.regs },
          `${name} run ${k + 1}`,
        );
      }
    }
  }
  return first!;
}

Deno.test("may_goto: an endless can_loop loop ends after BPF_MAX_LOOPS trips on every engine", () => {
  assert.equal(BPF_MAX_LOOPS, 8 * 1024 * 1024);
  const r = runAll(`r1 = 0\nloop:\nmay_goto done\nr1 += 1\ngoto loop\ndone:\nr0 = r1\nexit`);
  assert.equal(r.fault, null);
  assert.equal(r.r0, BigInt(BPF_MAX_LOOPS));
  assert.equal(r.insnsExecuted, 3 * BPF_MAX_LOOPS + 4);
});

Deno.test("may_goto: the may_gotos of one frame share its budget (nested loops, two in one loop)", () => {
  // the outer may_goto takes one trip, the inner loop the rest
  const nested = runAll(
    `r6 = 0\nouter:\nmay_goto out\ninner:\nmay_goto outer\nr6 += 1\ngoto inner\nout:\nr0 = r6\nexit`,
  );
  assert.equal(nested.r0, BigInt(BPF_MAX_LOOPS - 1));
  // 1 + 2 per trip; the budget ends at the first or the second may_goto of the loop
  const two = runAll(`r1 = 0\nloop:\nmay_goto done\nr1 += 1\nmay_goto done\nr1 += 2\ngoto loop\ndone:\nr0 = r1\nexit`);
  assert.equal(two.r0, BigInt(3 * BPF_MAX_LOOPS / 2));
});

Deno.test("may_goto: every call of a subprogram starts its own budget; the caller's is kept", () => {
  // main calls sub twice in a may_goto loop of 2 trips; sub loops until its budget is used up and returns its trips
  const r = runAll(
    `r6 = 0\nr7 = 0\nloop:\nmay_goto done\ncall sub\nr7 += r0\nr6 += 1\nif r6 < 2 goto loop\ndone:\nr0 = r7\nexit\n` +
      `sub:\nr0 = 0\nl:\nmay_goto d\nr0 += 1\ngoto l\nd:\nexit`,
  );
  assert.equal(r.fault, null);
  assert.equal(r.r0, BigInt(2 * BPF_MAX_LOOPS));
});

Deno.test("may_goto: +0 and a target that is also the next block count the budget down all the same", () => {
  // may_goto +0 both ways leads on: the budget only shows in r1 after 5 trips through two may_gotos
  const r = runAll(`r1 = 0\nr2 = 0\nloop:\nmay_goto +0\nr2 += 1\nmay_goto +0\nif r2 < 5 goto loop\nr0 = r2\nexit`);
  assert.equal(r.r0, 5n);
  // an endless loop of may_goto +0 runs into the instruction limit at the same place on every engine
  const lim = runAll(`r0 = 0\nloop:\nmay_goto +0\ngoto loop\nexit`, { maxInsns: 100_001 });
  assert.equal(lim.insnsExecuted, 100_001);
  assert.match(lim.fault?.message ?? "", /instruction limit/);
});

Deno.test("may_goto: a budget that outlives the instruction limit: same fault, count and registers on every engine", () => {
  // the JIT hands over from fast (or wasm) to precise before the limit, in the middle of the budget
  const r = runAll(`r1 = 0\nloop:\nmay_goto done\nr1 += 1\ngoto loop\ndone:\nr0 = r1\nexit`, { maxInsns: 1_000_000 });
  assert.match(r.fault?.message ?? "", /instruction limit of 1000000/);
  assert.equal(r.regs?.[1], 333_333n); // 1 + 3 per trip = 1,000,000 run; the next may_goto is over the limit
});

Deno.test("may_goto: malformed encodings fault with a message naming the field", () => {
  for (
    const [slot, msg] of [
      ["0xe5, 0, 0, 1, 5", "invalid may_goto (dst_reg 0, src_reg 0, imm 5)"],
      ["0xe5, 1, 0, 1, 0", "invalid may_goto (dst_reg 1, src_reg 0, imm 0)"],
      ["0xe5, 0, 1, 1, 0", "invalid may_goto (dst_reg 0, src_reg 1, imm 0)"],
      ["0xe6, 0, 0, 1, 0", "unknown opcode 0xe6"],
    ]
  ) {
    const r = runAll(`r0 = 0\n.insn ${slot}\nr0 = 1\nexit`);
    assert.equal(r.fault?.message, `insn 1: ${msg}`);
  }
});

Deno.test("may_goto from C (clang 14, raw-byte can_loop / cond_break): the kernel's verdict and stats, and its runs", () => {
  const o = parseElf(Deno.readFileSync(new URL("./fixtures/maygoto/can_loop.o", import.meta.url)), "can_loop.o");
  const prog = (section: string) => o.programs.find((p) => p.section === section)!.program;
  // the running kernel (6.18.44), kbpf.py verify --log-level 2: processed, total_states, peak_states, stack depth
  const kernel: Record<string, [number, number, number, string]> = {
    "xdp/endless": [20, 3, 4, "16"],
    "xdp/sum": [838, 66, 66, "16"],
  };
  for (const [section, [processed, total, peak, depth]] of Object.entries(kernel)) {
    const r = verify(prog(section), { profile: "linux-6.18", logLevel: 6 });
    assert.ok(r.accepted, section);
    assert.deepEqual(
      [r.stats.processed_insns, r.stats.total_states, r.stats.peak_states],
      [processed, total, peak],
      section,
    );
    assert.match(r.log, new RegExp(`^stack depth ${depth}$`, "m"), section);
  }
  const data = Uint8Array.from({ length: 22 }, (_, i) => i + 1);
  for (const engine of ["interp", "jit"] as const) {
    // the kernel's BPF_PROG_TEST_RUN gave 253 (the sum of bytes 1..22)
    assert.equal(testRun(prog("xdp/sum"), { data, engine }).retval, 253);
    // 2 + (trips & 1): 8,388,608 trips here; the kernel's timed budget gave an odd count (retval 3) in one 250 ms run
    assert.equal(testRun(prog("xdp/endless"), { data, engine }).retval, 2);
  }
});

Deno.test("may_goto in `bpfscope log`: the path shows its decisions (fall-through resumed, jump at the end)", () => {
  // the 6.18 profile's level-2 log of a cond_break loop, as the kernel prints it (maygoto_30.jsonl.gz agrees)
  const prog = assemble(
    `.prog_type socket_filter\nr1 = 0\nloop:\nmay_goto done\nr1 += 3\nif r1 < 30 goto loop\ndone:\nr0 = r1\nexit`,
  );
  const log = verify(prog, { profile: "linux-6.18", logLevel: 2 }).log;
  const [parsed] = parseLog(log);
  const s = summarize(parsed, { decisions: 40 });
  const mg = s.path.filter((d) => d.text.includes("may_goto"));
  assert.ok(mg.some((d) => d.what === "not taken" && d.next === 2), JSON.stringify(s.path));
});

Deno.test("may_goto under the 3.18/3.19 profiles: an unknown BPF_JMP opcode, as Linux 3.18 rejects it", () => {
  const prog = assemble(`r0 = 0\nmay_goto +1\nr0 = 1\nexit`);
  for (const profile of ["linux-3.18", "linux-3.19"] as const) {
    const r = verify(prog, { profile });
    assert.equal(r.accepted, false);
    assert.equal(r.errno, "EINVAL");
    assert.equal(r.error, "invalid BPF_JMP opcode e0");
  }
});

Deno.test("may_goto: RunOptions.mayGotoBudget sets the budget a call starts with (0 jumps at once)", () => {
  const sub =
    `r6 = 0\nr7 = 0\nloop:\nmay_goto done\ncall sub\nr7 += r0\nr6 += 1\nif r6 < 2 goto loop\ndone:\nr0 = r7\nexit\n` +
    `sub:\nr0 = 0\nl:\nmay_goto d\nr0 += 1\ngoto l\nd:\nexit`;
  for (const [budget, want] of [[0, 0n], [1, 1n], [3, 6n], [-5, 2n * BigInt(BPF_MAX_LOOPS)]] as const) {
    assert.equal(runAll(sub, { mayGotoBudget: budget }).r0, want, `budget ${budget}`);
  }
});
