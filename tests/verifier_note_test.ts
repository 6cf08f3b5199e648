import assert from "node:assert/strict";
import { BPF_EXIT_INSN, BPF_MOV64_IMM, BPF_REG_0, PROG_TYPES, Program } from "../core/isa/mod.ts";
import { verify } from "../core/verifier/mod.ts";

const ret0 = [BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN()];

Deno.test("verify: silent rejections get a note naming the cause; the kernel's error stays null", () => {
  const xdp = verify(Program.fromInsns(ret0, { progType: PROG_TYPES.xdp }), { logLevel: 1 });
  assert.equal(xdp.accepted, false);
  assert.equal(xdp.errno, "EINVAL");
  assert.equal(xdp.error, null);
  assert.equal(xdp.log, "");
  assert.match(xdp.note ?? "", /program type xdp is not known to linux-3.19 \(it has unspec, socket_filter\)/);

  const big = verify(Program.fromInsns(Array.from({ length: 4096 }, () => BPF_MOV64_IMM(BPF_REG_0, 0))));
  assert.equal(big.errno, "EINVAL");
  assert.match(big.note ?? "", /4096 instructions; PROG_LOAD takes at most 4095/);

  const empty = verify(new Program(new Uint8Array(0)));
  assert.equal(empty.errno, "E2BIG");
  assert.equal(empty.note, "the program is empty");

  const ok = verify(Program.fromInsns(ret0));
  assert.equal(ok.accepted, true);
  assert.equal(ok.note, undefined);
});

Deno.test("verify CLI: the table's Error column has the kernel's message or the note", async () => {
  const { runCli } = await import("./cli_util.ts");
  const fx = new URL("fixtures/", import.meta.url).pathname;
  const r = await runCli("verify", `${fx}nullcheck.o`, `${fx}globals.o`);
  assert.equal(r.code, 1);
  const lines = r.out.trimEnd().split("\n");
  assert.match(lines[0], /Time \(us\)\s+Error$/);
  assert.match(
    lines.find((l) => l.includes("nullcheck.o")) ?? "",
    /EACCES .* R0 invalid mem access 'map_value_or_null'$/,
  );
  assert.match(
    lines.find((l) => l.includes("globals.o")) ?? "",
    /EINVAL .* program type xdp is not known to linux-3.19/,
  );
});
