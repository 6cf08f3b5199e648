// Per-rule messages and errnos, log buffer semantics, profiles.
import assert from "node:assert/strict";
import {
  BPF_ADD,
  BPF_ALU32_IMM,
  BPF_B,
  BPF_DIV,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_JMP_A,
  BPF_LD_ABS,
  BPF_LD_IMM64,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_RAW_INSN,
  BPF_ST_MEM,
  BPF_STX_MEM,
  BPF_W,
  Program,
} from "../core/isa/mod.ts";
import { BPF_ALU64_IMM, BPF_EMIT_CALL } from "../core/isa/mod.ts";
import { verify } from "../core/verifier/mod.ts";
import { ifR0Zero, lookupPrologue, prog } from "./verifier_util.ts";

const EXIT0 = [BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()];

function rej(insns: Parameters<typeof prog>[0], errno: string, error: string | null, o = {}, po = {}) {
  const r = verify(prog(insns, po), o);
  assert.equal(r.accepted, false, `${error}: accepted`);
  assert.equal(r.error, error);
  assert.equal(r.errno, errno, String(error));
}

Deno.test("rules: errno and message per failure class", () => {
  rej([BPF_EXIT_INSN()], "EACCES", "R0 !read_ok");
  rej([BPF_MOV64_REG(0, 11), BPF_EXIT_INSN()], "EINVAL", "R11 is invalid");
  rej([BPF_MOV64_IMM(10, 0), BPF_EXIT_INSN()], "EACCES", "frame pointer is read only");
  rej([BPF_RAW_INSN(0x07, 0, 1, 0, 1), BPF_EXIT_INSN()], "EINVAL", "BPF_ALU uses reserved fields");
  rej([BPF_RAW_INSN(0xb7, 0, 0, 1, 1), BPF_EXIT_INSN()], "EINVAL", "BPF_MOV uses reserved fields");
  rej([BPF_MOV64_IMM(0, 1), BPF_RAW_INSN(0x87, 0, 0, 0, 1), BPF_EXIT_INSN()], "EINVAL", "BPF_NEG uses reserved fields");
  rej([BPF_MOV64_IMM(0, 1), BPF_RAW_INSN(0xd4, 0, 0, 0, 8), BPF_EXIT_INSN()], "EINVAL", "BPF_END uses reserved fields");
  rej([BPF_MOV64_IMM(0, 1), BPF_RAW_INSN(0xf7, 0, 0, 0, 1), BPF_EXIT_INSN()], "EINVAL", "invalid BPF_ALU opcode f0");
  rej([BPF_MOV64_IMM(0, 1), BPF_ALU32_IMM(BPF_DIV, 0, 0), BPF_EXIT_INSN()], "EINVAL", "div by zero");
  rej([BPF_RAW_INSN(0xa5, 1, 0, 0, 0), ...EXIT0], "EINVAL", "invalid BPF_JMP opcode a0");
  rej([BPF_RAW_INSN(0x15, 1, 2, 0, 0), ...EXIT0], "EINVAL", "BPF_JMP uses reserved fields");
  rej([BPF_RAW_INSN(0x05, 0, 0, 0, 1), ...EXIT0], "EINVAL", "BPF_JA uses reserved fields");
  rej([BPF_RAW_INSN(0x85, 1, 0, 0, 0), ...EXIT0], "EINVAL", "BPF_CALL uses reserved fields");
  rej([BPF_MOV64_IMM(0, 0), BPF_RAW_INSN(0x95, 1, 0, 0, 0)], "EINVAL", "BPF_EXIT uses reserved fields");
  rej([BPF_RAW_INSN(0x06, 0, 0, 0, 0), ...EXIT0], "EINVAL", "unknown insn class 6");
  rej([BPF_RAW_INSN(0x10, 0, 0, 0, 0), ...EXIT0], "EINVAL", "invalid BPF_LD_IMM insn");
  rej([BPF_RAW_INSN(0x60, 0, 0, 0, 0), ...EXIT0], "EINVAL", "invalid BPF_LD mode");
  rej([BPF_RAW_INSN(0x18, 0, 0, 0, 0), BPF_RAW_INSN(1, 0, 0, 0, 0), ...EXIT0], "EINVAL", "invalid bpf_ld_imm64 insn");
  rej(
    [BPF_RAW_INSN(0x18, 0, 2, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0), ...EXIT0],
    "EINVAL",
    "unrecognized bpf_ld_imm64 insn",
  );
  rej(
    [BPF_RAW_INSN(0x18, 0, 1, 0, 9), BPF_RAW_INSN(0, 0, 0, 0, 0), ...EXIT0],
    "EBADF",
    "fd 9 is not pointing to valid bpf_map",
  );
  rej(
    [BPF_RAW_INSN(0x18, 0, 1, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0), ...EXIT0],
    "EINVAL",
    "fd 0 is not pointing to valid bpf_map",
  );
  rej([BPF_RAW_INSN(0x61, 0, 1, 0, 1), BPF_EXIT_INSN()], "EINVAL", "BPF_LDX uses reserved fields");
  rej([BPF_RAW_INSN(0x63, 10, 1, -8, 1), ...EXIT0], "EINVAL", "BPF_STX uses reserved fields");
  rej([BPF_RAW_INSN(0xd3, 10, 1, -8, 0), ...EXIT0], "EINVAL", "BPF_XADD uses reserved fields");
  rej([BPF_RAW_INSN(0x62, 10, 1, -8, 0), ...EXIT0], "EINVAL", "BPF_ST uses reserved fields");
  // CFG
  rej([BPF_MOV64_IMM(0, 0)], "EINVAL", "jump out of range from insn 0 to 1");
  rej([BPF_JMP_A(-1), ...EXIT0], "EINVAL", "back-edge from insn 0 to 0");
  rej([BPF_JMP_A(1), ...EXIT0, BPF_EXIT_INSN()], "EINVAL", "unreachable insn 1");
  rej([BPF_RAW_INSN(0x0d, 0, 0, 0, 0), ...EXIT0], "EINVAL", null); // JA|X: silent EINVAL
  // memory
  rej([BPF_LDX_MEM(BPF_DW, 0, 10, -8), BPF_EXIT_INSN()], "EACCES", "invalid read from stack off -8+0 size 8");
  rej([BPF_ST_MEM(BPF_DW, 10, 0, 0), ...EXIT0], "EACCES", "invalid stack off=0 size=8");
  rej([BPF_ST_MEM(BPF_DW, 10, -4, 0), ...EXIT0], "EACCES", "misaligned access off -4 size 8");
  rej([BPF_LDX_MEM(BPF_W, 0, 1, 0), BPF_EXIT_INSN()], "EACCES", "invalid bpf_context access off=0 size=4");
  rej([BPF_ST_MEM(BPF_DW, 1, 0, 0), ...EXIT0], "EACCES", "invalid bpf_context access off=0 size=8");
  rej(
    [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, -8), BPF_ST_MEM(BPF_DW, 2, 0, 0), ...EXIT0],
    "EACCES",
    "R2 invalid mem access 'fp'",
  );
  rej([BPF_STX_MEM(BPF_W, 10, 1, -8), ...EXIT0], "EACCES", "invalid size of register spill");
  // calls
  rej([BPF_EMIT_CALL(1), ...EXIT0], "EINVAL", "invalid func 1", { profile: "linux-3.18" });
  rej([BPF_EMIT_CALL(0), ...EXIT0], "EINVAL", "unknown func 0", { profile: "linux-3.19" });
  rej([BPF_EMIT_CALL(4), ...EXIT0], "EINVAL", "invalid func 4", { profile: "linux-3.19" });
  rej([BPF_EMIT_CALL(0), ...EXIT0], "EINVAL", "cannot call GPL only function from proprietary program", {
    profile: "linux-3.18",
  }, { license: "MIT" });
  rej([BPF_EMIT_CALL(0), ...EXIT0], "EACCES", "R1 type=ctx expected=map_ptr", { profile: "linux-3.18" });
  rej([BPF_MOV64_IMM(1, 0), BPF_EMIT_CALL(1), ...EXIT0], "EACCES", "R1 type=imm expected=map_ptr");
  rej(
    [BPF_LD_IMM64(1, 0), BPF_MOV64_REG(2, 10), BPF_EMIT_CALL(0), ...EXIT0],
    "EACCES",
    "R1 type=inv expected=map_ptr",
    {
      profile: "linux-3.18",
    },
  );
  const keyUninit = [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, -8), ...lookupPrologue(0).slice(3), ...EXIT0];
  rej(keyUninit, "EACCES", "invalid indirect read from stack off -8+0 size 8", { profile: "linux-3.18" }, {
    fixups: [2],
  });
  const keyFp = [BPF_MOV64_REG(2, 10), ...lookupPrologue(0).slice(3), ...EXIT0];
  rej(keyFp, "EACCES", "R2 type=fp expected=fp", { profile: "linux-3.18" }, { fixups: [1] });
  const keyOob = [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, -4), ...lookupPrologue(0).slice(3), ...EXIT0];
  rej(keyOob, "EACCES", "invalid stack type R2 off=-4 access_size=8", { profile: "linux-3.18" }, { fixups: [2] });
  // map value bounds and null checks
  const mv = (st: ReturnType<typeof BPF_ST_MEM>) => [...lookupPrologue(1), ifR0Zero(1), st, ...EXIT0];
  rej(mv(BPF_ST_MEM(BPF_DW, 0, 8, 0)), "EACCES", "invalid access to map value, value_size=8 off=8 size=8", {}, {
    fixups: [3],
    map: { type: 1, keySize: 8, valueSize: 8 },
  });
  rej(
    [...lookupPrologue(1), BPF_ST_MEM(BPF_DW, 0, 0, 0), ...EXIT0],
    "EACCES",
    "R0 invalid mem access 'map_value_or_null'",
    {},
    {
      fixups: [3],
      map: { type: 1, keySize: 8, valueSize: 8 },
    },
  );
  // LD_ABS
  rej([BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_B, 0), BPF_EXIT_INSN()], "EINVAL", "LD_ABS is not supported yet", {
    profile: "linux-3.18",
  });
  rej(
    [BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_B, 0), BPF_EXIT_INSN()],
    "EINVAL",
    "BPF_LD_ABS|IND instructions are only allowed in socket filters",
  );
  rej([BPF_LD_ABS(BPF_B, 0), BPF_EXIT_INSN()], "EACCES", "R6 !read_ok", { progType: "socket_filter" });
  rej(
    [BPF_MOV64_IMM(6, 0), BPF_LD_ABS(BPF_B, 0), BPF_EXIT_INSN()],
    "EINVAL",
    "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
    {
      progType: "socket_filter",
    },
  );
  const la = verify(prog([BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_B, 0), BPF_EXIT_INSN()]), { progType: "socket_filter" });
  assert.equal(la.accepted, true);
});

Deno.test("rules: ARG_ANYTHING init check (3.19) vs none (3.18 stub has no such arg; update's flags arg)", () => {
  // map_update_elem(map, key, value, flags) with r4 unset: 3.19 rejects
  const insns = [
    BPF_ST_MEM(BPF_DW, 10, -8, 0),
    BPF_MOV64_REG(2, 10),
    BPF_ALU64_IMM(BPF_ADD, 2, -8),
    BPF_MOV64_REG(3, 10),
    BPF_ALU64_IMM(BPF_ADD, 3, -8),
    ...lookupPrologue(2).slice(3),
    ...EXIT0,
  ];
  const r = verify(prog(insns, { fixups: [5], map: { type: 1, keySize: 8, valueSize: 8 } }));
  assert.equal(r.error, "R4 !read_ok");
});

Deno.test("rules: program-level errors: length, program type, log parameters", () => {
  assert.equal(verify(new Program(new Uint8Array(0))).errno, "E2BIG");
  assert.equal(verify(prog(new Array(4096).fill(BPF_MOV64_IMM(0, 0)))).errno, "EINVAL");
  assert.equal(verify(prog(EXIT0), { progType: 6 }).errno, "EINVAL");
  assert.equal(verify(prog(EXIT0), { profile: "linux-3.18", progType: "socket_filter" }).errno, "EINVAL");
  assert.equal(verify(prog(EXIT0), { logLevel: 1, logSize: 127 }).errno, "EINVAL");
  assert.equal(verify(prog(EXIT0), { logLevel: 0, logSize: 1024 }).errno, "EINVAL");
  assert.equal(verify(prog(EXIT0), { logLevel: 1, logSize: (0xffffffff >>> 8) + 1 }).errno, "EINVAL");
  const ok = verify(prog(EXIT0), { logLevel: 1, logSize: 128 });
  assert.equal(ok.accepted, true);
  assert.equal(ok.log, "0: (b7) r0 = 0\n1: (95) exit\n");
  assert.throws(() => verify(prog(EXIT0), { profile: "linux-9.9" }), RangeError);
});

Deno.test("rules: log buffer full -> ENOSPC, even for a valid program; text truncated to log_size-1", () => {
  const insns = [...new Array(20).fill(BPF_MOV64_IMM(0, 0)), BPF_EXIT_INSN()];
  const r = verify(prog(insns), { logLevel: 1, logSize: 128 });
  assert.equal(r.accepted, false);
  assert.equal(r.errno, "ENOSPC");
  assert.equal(r.log.length, 127);
  const full = verify(prog(insns), { logLevel: 1 }).log;
  assert.equal(r.log, full.slice(0, 127));
  // exactly fitting text + NUL is fine; one byte less is ENOSPC
  assert.equal(verify(prog(insns), { logLevel: 1, logSize: full.length + 1 }).errno, "ENOSPC");
  assert.equal(verify(prog(insns), { logLevel: 1, logSize: full.length + 2 }).accepted, true);
  // logging off builds no text
  assert.equal(verify(prog(insns)).log, "");
});
