// An independent audit of the verifier against the 3.18/3.19 spec
// (/work/shared/reference/linux-3.18-verifier.md): one case per rule and per
// message, expectations written from the spec text, not from the engine's
// output. Programs are raw slots `[code, dst, src, off, imm]`; map fds come
// from an explicit resolver (fd 3: key 8 / value 8, fd 4: key 0, fd 5:
// key 8 / value 16; 0..2 are open but not maps, anything else is closed).
import assert from "node:assert/strict";
import { Program } from "../core/isa/mod.ts";
import { createEngine, VerifierEvent as EV, verify, type VerifyOptions } from "../core/verifier/mod.ts";

type Slot = [number, number?, number?, number?, number?];

function P(slots: Slot[], init: { progType?: number; license?: string } = {}): Program {
  return Program.fromInsns(
    slots.map(([code, dst = 0, src = 0, off = 0, imm = 0]) => ({ code, dst, src, off, imm })),
    init,
  );
}

const MAPS: Record<number, { type: number; keySize: number; valueSize: number; maxEntries: number }> = {
  3: { type: 0, keySize: 8, valueSize: 8, maxEntries: 1 },
  4: { type: 0, keySize: 0, valueSize: 8, maxEntries: 1 },
  5: { type: 1, keySize: 8, valueSize: 16, maxEntries: 1 },
};
const resolveMapFd: VerifyOptions["resolveMapFd"] = (fd) => MAPS[fd] ?? (fd >= 0 && fd <= 2 ? "EINVAL" : "EBADF");

function run(p: Program, o: VerifyOptions = {}) {
  return verify(p, { resolveMapFd, logLevel: 1, ...o });
}

// ---- a few encodings ----
const EXIT: Slot = [0x95];
const R0_0: Slot = [0xb7, 0, 0, 0, 0]; // r0 = 0
const LD_MAP = (dst: number, fd: number): Slot[] => [[0x18, dst, 1, 0, fd], [0]];
const CTX_ARG: Slot = [0x79, 1, 1, 0, 0]; // r1 = *(u64 *)(r1 +0)
/** key at fp-8, r2 = fp-8, r1 = map fd, call `id` (slots 0..5, the call at 5). */
const LOOKUP = (id: number, fd = 3): Slot[] => [
  [0x7a, 10, 0, -8, 0],
  [0xbf, 2, 10],
  [0x07, 2, 0, 0, -8],
  ...LD_MAP(1, fd),
  [0x85, 0, 0, 0, id],
];

/** [name, profile, program, errno, last log line] — rejections; the message is checked as the last log line. */
const REJECT: Array<[string, string, Program, string, string]> = [
  // (a) encodings
  ["ALU K with src_reg", "linux-3.19", P([[0x07, 0, 1, 0, 1], EXIT]), "EINVAL", "BPF_ALU uses reserved fields"],
  ["ALU X with imm", "linux-3.19", P([R0_0, [0x0f, 0, 1, 0, 1], EXIT]), "EINVAL", "BPF_ALU uses reserved fields"],
  ["ALU X with off", "linux-3.19", P([R0_0, [0x0f, 0, 1, 1, 0], EXIT]), "EINVAL", "BPF_ALU uses reserved fields"],
  ["MOV K with src_reg", "linux-3.19", P([[0xb7, 0, 2, 0, 0], EXIT]), "EINVAL", "BPF_MOV uses reserved fields"],
  ["MOV X with imm", "linux-3.19", P([[0xbf, 0, 1, 0, 3], EXIT]), "EINVAL", "BPF_MOV uses reserved fields"],
  ["NEG X form", "linux-3.19", P([R0_0, [0x8f, 0, 0, 0, 0], EXIT]), "EINVAL", "BPF_NEG uses reserved fields"],
  ["NEG with imm", "linux-3.19", P([R0_0, [0x87, 0, 0, 0, 1], EXIT]), "EINVAL", "BPF_NEG uses reserved fields"],
  ["END imm 8", "linux-3.19", P([R0_0, [0xd4, 0, 0, 0, 8], EXIT]), "EINVAL", "BPF_END uses reserved fields"],
  ["DIV K 0", "linux-3.19", P([R0_0, [0x37, 0, 0, 0, 0], EXIT]), "EINVAL", "div by zero"],
  ["MOD32 K 0", "linux-3.18", P([R0_0, [0x94, 0, 0, 0, 0], EXIT]), "EINVAL", "div by zero"],
  ["ALU op 0xe0", "linux-3.19", P([R0_0, [0xe7, 0, 0, 0, 0], EXIT]), "EINVAL", "invalid BPF_ALU opcode e0"],
  ["ALU op 0xf0 (X)", "linux-3.19", P([R0_0, [0xfc, 0, 0, 0, 0], EXIT]), "EINVAL", "invalid BPF_ALU opcode f0"],
  ["LDX imm", "linux-3.19", P([[0x79, 0, 1, 0, 1], EXIT]), "EINVAL", "BPF_LDX uses reserved fields"],
  ["LDX mode ABS", "linux-3.19", P([[0x39, 0, 1, 0, 0], EXIT]), "EINVAL", "BPF_LDX uses reserved fields"],
  ["STX imm", "linux-3.19", P([R0_0, [0x7b, 10, 0, -8, 1], EXIT]), "EINVAL", "BPF_STX uses reserved fields"],
  ["XADD size H", "linux-3.19", P([R0_0, [0xcb, 10, 0, -8, 0], EXIT]), "EINVAL", "BPF_XADD uses reserved fields"],
  ["ST src_reg", "linux-3.19", P([[0x7a, 10, 1, -8, 0], R0_0, EXIT]), "EINVAL", "BPF_ST uses reserved fields"],
  ["ST mode XADD", "linux-3.19", P([[0xda, 10, 0, -8, 0], R0_0, EXIT]), "EINVAL", "BPF_ST uses reserved fields"],
  ["JA with imm", "linux-3.19", P([[0x05, 0, 0, 0, 1], R0_0, EXIT]), "EINVAL", "BPF_JA uses reserved fields"],
  ["JA with dst", "linux-3.19", P([[0x05, 1, 0, 0, 0], R0_0, EXIT]), "EINVAL", "BPF_JA uses reserved fields"],
  ["Jcc K with src_reg", "linux-3.19", P([R0_0, [0x15, 0, 1, 0, 0], EXIT]), "EINVAL", "BPF_JMP uses reserved fields"],
  ["Jcc X with imm", "linux-3.19", P([R0_0, [0x1d, 0, 0, 0, 1], EXIT]), "EINVAL", "BPF_JMP uses reserved fields"],
  ["JMP op 0xa0", "linux-3.19", P([R0_0, [0xa5, 0, 0, 0, 0], EXIT]), "EINVAL", "invalid BPF_JMP opcode a0"],
  ["CALL with off", "linux-3.18", P([[0x85, 0, 0, 1, 0], EXIT]), "EINVAL", "BPF_CALL uses reserved fields"],
  ["CALL X form", "linux-3.18", P([[0x8d, 0, 0, 0, 0], EXIT]), "EINVAL", "BPF_CALL uses reserved fields"],
  ["EXIT with dst", "linux-3.19", P([R0_0, [0x95, 1]]), "EINVAL", "BPF_EXIT uses reserved fields"],
  ["EXIT with imm", "linux-3.19", P([R0_0, [0x95, 0, 0, 0, 1]]), "EINVAL", "BPF_EXIT uses reserved fields"],
  ["class 6", "linux-3.19", P([[0x06], EXIT]), "EINVAL", "unknown insn class 6"],
  ["LD mode MEM", "linux-3.19", P([[0x60], EXIT]), "EINVAL", "invalid BPF_LD mode"],
  ["LD IMM size W (code 0)", "linux-3.19", P([[0x00], EXIT]), "EINVAL", "invalid BPF_LD_IMM insn"],
  [
    "LD_IMM64 with off",
    "linux-3.19",
    P([[0x18, 0, 0, 1, 0], [0], EXIT]),
    "EINVAL",
    "BPF_LD_IMM64 uses reserved fields",
  ],
  ["LD_IMM64 into R10", "linux-3.19", P([[0x18, 10, 0, 0, 0], [0], EXIT]), "EACCES", "frame pointer is read only"],
  [
    "jump into the second slot",
    "linux-3.19",
    P([[0x15, 1, 0, 1, 0], [0x18, 0, 0, 0, 0], [0], EXIT]),
    "EINVAL",
    "invalid BPF_LD_IMM insn",
  ],
  ["register field 15 (dst)", "linux-3.19", P([[0xb7, 15, 0, 0, 0], EXIT]), "EINVAL", "R15 is invalid"],
  ["register field 11 (src)", "linux-3.19", P([[0xbf, 0, 11, 0, 0], EXIT]), "EINVAL", "R11 is invalid"],
  ["write R10", "linux-3.19", P([[0xb7, 10, 0, 0, 0], EXIT]), "EACCES", "frame pointer is read only"],
  ["LDX into R10", "linux-3.19", P([[0x79, 10, 1, 0, 0], EXIT]), "EACCES", "frame pointer is read only"],
  ["read uninit", "linux-3.19", P([[0xbf, 0, 2], EXIT]), "EACCES", "R2 !read_ok"],
  ["exit without R0", "linux-3.19", P([EXIT]), "EACCES", "R0 !read_ok"],
  // (b) CFG
  ["back-edge", "linux-3.19", P([R0_0, [0x05, 0, 0, -2, 0], EXIT]), "EINVAL", "back-edge from insn 1 to 0"],
  ["self loop", "linux-3.19", P([R0_0, [0x15, 0, 0, -1, 0], EXIT]), "EINVAL", "back-edge from insn 1 to 1"],
  ["jump before 0", "linux-3.19", P([[0x05, 0, 0, -2, 0], EXIT]), "EINVAL", "jump out of range from insn 0 to -1"],
  ["fall off the end", "linux-3.19", P([R0_0]), "EINVAL", "jump out of range from insn 0 to 1"],
  ["LD_IMM64 at the end", "linux-3.19", P([[0x18, 0, 0, 0, 1], [0]]), "EINVAL", "jump out of range from insn 1 to 2"],
  ["trailing JA", "linux-3.18", P([R0_0, [0x05, 0, 0, 0, 0]]), "EINVAL", "jump out of range from insn 1 to 2"],
  ["unreachable", "linux-3.19", P([R0_0, EXIT, R0_0, EXIT]), "EINVAL", "unreachable insn 2"],
  // fall-through is explored first: its error wins over the branch's
  [
    "fall-through explored before the branch",
    "linux-3.19",
    P([R0_0, [0x15, 0, 0, 5, 0], R0_0]),
    "EINVAL",
    "jump out of range from insn 2 to 3",
  ],
  // (j) LD_IMM64 pre-pass (before the CFG: a back-edge later does not matter)
  ["ld_imm64 last slot", "linux-3.19", P([R0_0, EXIT, [0x18]]), "EINVAL", "invalid bpf_ld_imm64 insn"],
  ["ld_imm64 bad 2nd slot", "linux-3.19", P([[0x18], [0, 1], EXIT]), "EINVAL", "invalid bpf_ld_imm64 insn"],
  [
    "ld_imm64 src 2",
    "linux-3.19",
    P([[0x18, 0, 2], [0], [0x05, 0, 0, -3, 0]]),
    "EINVAL",
    "unrecognized bpf_ld_imm64 insn",
  ],
  [
    "map fd 0 (not a map)",
    "linux-3.19",
    P([...LD_MAP(1, 0), R0_0, EXIT]),
    "EINVAL",
    "fd 0 is not pointing to valid bpf_map",
  ],
  [
    "map fd 99 (closed)",
    "linux-3.19",
    P([...LD_MAP(1, 99), R0_0, EXIT]),
    "EBADF",
    "fd 99 is not pointing to valid bpf_map",
  ],
  // (c) memory
  [
    "misaligned before type",
    "linux-3.19",
    P([R0_0, [0x62, 0, 0, 2, 0], EXIT]),
    "EACCES",
    "misaligned access off 2 size 4",
  ],
  [
    "misaligned -4 size 8",
    "linux-3.19",
    P([[0x7a, 10, 0, -4, 0], R0_0, EXIT]),
    "EACCES",
    "misaligned access off -4 size 8",
  ],
  ["stack off 0", "linux-3.19", P([[0x7a, 10, 0, 0, 0], R0_0, EXIT]), "EACCES", "invalid stack off=0 size=8"],
  ["stack off -520", "linux-3.19", P([[0x7a, 10, 0, -520, 0], R0_0, EXIT]), "EACCES", "invalid stack off=-520 size=8"],
  [
    "stack read uninit",
    "linux-3.19",
    P([[0x79, 0, 10, -8, 0], EXIT]),
    "EACCES",
    "invalid read from stack off -8+0 size 8",
  ],
  [
    "stack read half init",
    "linux-3.18",
    P([[0x62, 10, 0, -8, 0], [0x79, 0, 10, -8, 0], EXIT]),
    "EACCES",
    "invalid read from stack off -8+4 size 8",
  ],
  ["spill size 4", "linux-3.19", P([[0x63, 10, 1, -8, 0], R0_0, EXIT]), "EACCES", "invalid size of register spill"],
  [
    "xadd on uninit stack",
    "linux-3.19",
    P([R0_0, [0xdb, 10, 0, -8, 0], EXIT]),
    "EACCES",
    "invalid read from stack off -8+0 size 8",
  ],
  // pitfall 1: only a FRAME_PTR register addresses the stack
  [
    "store through fp-8",
    "linux-3.18",
    P([[0xbf, 2, 10], [0x07, 2, 0, 0, -8], [0x7a, 2, 0, 0, 0], R0_0, EXIT]),
    "EACCES",
    "R2 invalid mem access 'fp'",
  ],
  ["load through imm", "linux-3.19", P([R0_0, [0x79, 0, 0, 0, 0], EXIT]), "EACCES", "R0 invalid mem access 'imm'"],
  // r1 = r1 (64-bit): dst is marked unknown before the copy
  [
    "mov r1 = r1 gives inv",
    "linux-3.19",
    P([[0xbf, 1, 1], [0x79, 0, 1, 0, 0], EXIT]),
    "EACCES",
    "R1 invalid mem access 'inv'",
  ],
  [
    "mov32 of ctx gives inv",
    "linux-3.19",
    P([[0xbc, 2, 1], [0x79, 0, 2, 0, 0], EXIT]),
    "EACCES",
    "R2 invalid mem access 'inv'",
  ],
  // ctx of the test stub: 8-byte reads at 0 and 8 only
  ["ctx read u32", "linux-3.18", P([[0x61, 0, 1, 0, 0], EXIT]), "EACCES", "invalid bpf_context access off=0 size=4"],
  [
    "ctx read at 16",
    "linux-3.18",
    P([[0x79, 0, 1, 16, 0], EXIT]),
    "EACCES",
    "invalid bpf_context access off=16 size=8",
  ],
  ["ctx write", "linux-3.19", P([[0x7a, 1, 0, 8, 0], R0_0, EXIT]), "EACCES", "invalid bpf_context access off=8 size=8"],
  [
    "socket_filter ctx",
    "linux-3.19",
    P([[0x79, 0, 1, 0, 0], EXIT], { progType: 1 }),
    "EACCES",
    "invalid bpf_context access off=0 size=8",
  ],
  // (g) helpers
  ["3.18 helper 1", "linux-3.18", P([[0x85, 0, 0, 0, 1], EXIT]), "EINVAL", "invalid func 1"],
  ["3.18 helper -1", "linux-3.18", P([[0x85, 0, 0, 0, -1], EXIT]), "EINVAL", "invalid func -1"],
  ["3.19 helper 0", "linux-3.19", P([[0x85, 0, 0, 0, 0], EXIT]), "EINVAL", "unknown func 0"],
  ["3.19 helper 4", "linux-3.19", P([[0x85, 0, 0, 0, 4], EXIT]), "EINVAL", "invalid func 4"],
  [
    "3.18 stub from a proprietary program",
    "linux-3.18",
    P([...LOOKUP(0), EXIT], { license: "Proprietary" }),
    "EINVAL",
    "cannot call GPL only function from proprietary program",
  ],
  ["lookup: R2 not init", "linux-3.19", P([...LD_MAP(1, 3), [0x85, 0, 0, 0, 1], EXIT]), "EACCES", "R2 !read_ok"],
  [
    "lookup: R1 ctx",
    "linux-3.19",
    P([[0xbf, 2, 10], [0x85, 0, 0, 0, 1], EXIT]),
    "EACCES",
    "R1 type=ctx expected=map_ptr",
  ],
  // a bare copy of R10 is FRAME_PTR, not PTR_TO_STACK: `fp` vs `fp`
  [
    "lookup: key = r10",
    "linux-3.19",
    P([[0x7a, 10, 0, -8, 0], [0xbf, 2, 10], ...LD_MAP(1, 3), [0x85, 0, 0, 0, 1], EXIT]),
    "EACCES",
    "R2 type=fp expected=fp",
  ],
  [
    "lookup: key uninit",
    "linux-3.19",
    P([[0xbf, 2, 10], [0x07, 2, 0, 0, -8], ...LD_MAP(1, 3), [0x85, 0, 0, 0, 1], EXIT]),
    "EACCES",
    "invalid indirect read from stack off -8+0 size 8",
  ],
  // a spilled pointer is not initialised data for a helper
  [
    "lookup: key is a spill",
    "linux-3.18",
    P([[0x7b, 10, 1, -8, 0], [0xbf, 2, 10], [0x07, 2, 0, 0, -8], ...LD_MAP(1, 3), [0x85, 0, 0, 0, 0], EXIT]),
    "EACCES",
    "invalid indirect read from stack off -8+0 size 8",
  ],
  [
    "lookup: key crosses fp",
    "linux-3.19",
    P([[0x7a, 10, 0, -8, 0], [0xbf, 2, 10], [0x07, 2, 0, 0, -4], ...LD_MAP(1, 3), [0x85, 0, 0, 0, 1], EXIT]),
    "EACCES",
    "invalid stack type R2 off=-4 access_size=8",
  ],
  [
    "3.18 map with key_size 0",
    "linux-3.18",
    P([...LOOKUP(0, 4), EXIT]),
    "EACCES",
    "invalid stack type R2 off=-8 access_size=0",
  ],
  // cumulative stack arithmetic is not tracked: fp-8 + -8 is inv
  [
    "fp-8 += -8 is inv",
    "linux-3.19",
    P([[0x7a, 10, 0, -16, 0], [0xbf, 2, 10], [0x07, 2, 0, 0, -8], [0x07, 2, 0, 0, -8], ...LD_MAP(1, 3), [
      0x85,
      0,
      0,
      0,
      1,
    ], EXIT]),
    "EACCES",
    "R2 type=inv expected=fp",
  ],
  // 32-bit add on a frame pointer copy is not stack arithmetic
  [
    "(u32) fp += -8 is inv",
    "linux-3.19",
    P([[0x7a, 10, 0, -8, 0], [0xbf, 2, 10], [0x04, 2, 0, 0, -8], ...LD_MAP(1, 3), [0x85, 0, 0, 0, 1], EXIT]),
    "EACCES",
    "R2 type=inv expected=fp",
  ],
  // a map pointer does not survive a spill
  [
    "spilled map_ptr comes back inv",
    "linux-3.19",
    P([
      [0x7a, 10, 0, -8, 0],
      ...LD_MAP(1, 3),
      [0x7b, 10, 1, -16, 0],
      [0x79, 1, 10, -16, 0],
      [0xbf, 2, 10],
      [0x07, 2, 0, 0, -8],
      [0x85, 0, 0, 0, 1],
      EXIT,
    ]),
    "EACCES",
    "R1 type=inv expected=map_ptr",
  ],
  ["update: R4 uninit (ARG_ANYTHING)", "linux-3.19", P([...LOOKUP(2), EXIT]), "EACCES", "R3 !read_ok"],
  [
    "update: value (16 bytes) not initialised",
    "linux-3.19",
    P([...LOOKUP(0, 5).slice(0, 5), [0xbf, 3, 10], [0x07, 3, 0, 0, -24], [0x7a, 10, 0, -24, 0], [0xb7, 4], [
      0x85,
      0,
      0,
      0,
      2,
    ], EXIT]),
    "EACCES",
    "invalid indirect read from stack off -24+8 size 16",
  ],
  ["call clobbers R1", "linux-3.18", P([...LOOKUP(0), [0xbf, 0, 1], EXIT]), "EACCES", "R1 !read_ok"],
  [
    "unchecked lookup result",
    "linux-3.19",
    P([...LOOKUP(1), [0x7a, 0, 0, 0, 0], EXIT]),
    "EACCES",
    "R0 invalid mem access 'map_value_or_null'",
  ],
  [
    "map value out of bounds",
    "linux-3.19",
    P([...LOOKUP(1), [0x15, 0, 0, 1, 0], [0x7a, 0, 0, 8, 0], EXIT]),
    "EACCES",
    "invalid access to map value, value_size=8 off=8 size=8",
  ],
  [
    "map value negative offset",
    "linux-3.19",
    P([...LOOKUP(1), [0x15, 0, 0, 1, 0], [0x72, 0, 0, -1, 0], EXIT]),
    "EACCES",
    "invalid access to map value, value_size=8 off=-1 size=1",
  ],
  // JEQ with a non-zero imm does not null-check
  [
    "if r0 == 1 is not a null check",
    "linux-3.19",
    P([...LOOKUP(1), [0x15, 0, 0, 1, 1], [0x7a, 0, 0, 0, 0], EXIT]),
    "EACCES",
    "R0 invalid mem access 'map_value_or_null'",
  ],
  // JNE 0: the fall-through is the NULL side
  [
    "if r0 != 0: fall-through is imm0",
    "linux-3.19",
    P([...LOOKUP(1), [0x55, 0, 0, 1, 0], [0x7a, 0, 0, 0, 0], EXIT]),
    "EACCES",
    "R0 invalid mem access 'imm'",
  ],
  // JEQ refines any type on the target side, even R10
  [
    "R10 becomes imm on the JEQ target side",
    "linux-3.19",
    P([R0_0, [0x15, 10, 0, 1, 0], EXIT, [0x7a, 10, 0, -8, 0], EXIT]),
    "EACCES",
    "R10 invalid mem access 'imm'",
  ],
  // 3.19 update returns an integer
  [
    "update result is inv",
    "linux-3.19",
    P([...LOOKUP(0, 3).slice(0, 5), [0xbf, 3, 10], [0x07, 3, 0, 0, -8], [0xb7, 4], [0x85, 0, 0, 0, 2], [
      0x7a,
      0,
      0,
      0,
      0,
    ], EXIT]),
    "EACCES",
    "R0 invalid mem access 'inv'",
  ],
  // 3.19: LD_ABS/IND
  ["3.18 LD_ABS", "linux-3.18", P([[0x30, 0, 0, 0, 0], EXIT]), "EINVAL", "LD_ABS is not supported yet"],
  [
    "3.19 LD_ABS in unspec",
    "linux-3.19",
    P([[0x30, 0, 0, 0, 0], EXIT]),
    "EINVAL",
    "BPF_LD_ABS|IND instructions are only allowed in socket filters",
  ],
  [
    "LD_ABS dst",
    "linux-3.19",
    P([[0x30, 1, 0, 0, 0], EXIT], { progType: 1 }),
    "EINVAL",
    "BPF_LD_ABS uses reserved fields",
  ],
  [
    "LD_ABS src",
    "linux-3.19",
    P([[0x30, 0, 1, 0, 0], EXIT], { progType: 1 }),
    "EINVAL",
    "BPF_LD_ABS uses reserved fields",
  ],
  ["LD_ABS without R6", "linux-3.19", P([[0x30, 0, 0, 0, 0], EXIT], { progType: 1 }), "EACCES", "R6 !read_ok"],
  [
    "LD_ABS with R6 = fp",
    "linux-3.19",
    P([[0xbf, 6, 10], [0x30, 0, 0, 0, 0], EXIT], { progType: 1 }),
    "EINVAL",
    "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
  ],
  [
    "LD_IND src uninit",
    "linux-3.19",
    P([[0xbf, 6, 1], [0x50, 0, 3, 0, 0], EXIT], { progType: 1 }),
    "EACCES",
    "R3 !read_ok",
  ],
  [
    "LD_ABS clobbers R1",
    "linux-3.19",
    P([[0xbf, 6, 1], [0x30, 0, 0, 0, 0], [0xbf, 0, 1], EXIT], { progType: 1 }),
    "EACCES",
    "R1 !read_ok",
  ],
];

for (const [name, profile, p, errno, msg] of REJECT) {
  Deno.test(`audit reject (${profile}): ${name} -> ${msg}`, () => {
    const r = run(p, { profile });
    assert.equal(r.accepted, false);
    assert.equal(r.errno, errno);
    assert.equal(r.error, msg);
    assert.ok(r.log.endsWith(msg + "\n"), r.log);
    assert.equal(r.log.split(msg + "\n").length, 2, "the message appears once, at the end");
    // the same verdict and message without a log
    const q = run(p, { profile, logLevel: 0 });
    assert.equal(q.errno, errno);
    assert.equal(q.error, msg);
    assert.equal(q.log, "");
  });
}

/** [name, profile, program] — accepted. */
const ACCEPT: Array<[string, string, Program]> = [
  ["ALU64 END 0xd7 passes the verifier", "linux-3.19", P([R0_0, [0xd7, 0, 0, 0, 16], EXIT])],
  ["ALU32 ARSH passes the verifier", "linux-3.18", P([R0_0, [0xc4, 0, 0, 0, 3], EXIT])],
  ["END to BE", "linux-3.18", P([R0_0, [0xdc, 0, 0, 0, 64], EXIT])],
  ["exit with a pointer in R0", "linux-3.19", P([[0xbf, 0, 10], EXIT])],
  ["ctx reads at 0 and 8", "linux-3.18", P([[0x79, 0, 1, 0, 0], [0x79, 0, 1, 8, 0], EXIT])],
  [
    "XADD on initialised stack",
    "linux-3.18",
    P([[0x7a, 10, 0, -8, 0], [0xb7, 1], [0xdb, 10, 1, -8, 0], [0xc3, 10, 1, -4, 0], R0_0, EXIT]),
  ],
  ["3.18 stub: args 3..5 are not checked at all", "linux-3.18", P([...LOOKUP(0), R0_0, EXIT])],
  ["3.19 lookup from a proprietary program", "linux-3.19", P([...LOOKUP(1), R0_0, EXIT], { license: "MIT" })],
  [
    "3.19 update with all args",
    "linux-3.19",
    P([...LOOKUP(0).slice(0, 5), [0xbf, 3, 10], [0x07, 3, 0, 0, -8], [0xb7, 4], [0x85, 0, 0, 0, 2], EXIT]),
  ],
  ["3.19 delete", "linux-3.19", P([...LOOKUP(3), EXIT])],
  ["map value read at the end", "linux-3.19", P([...LOOKUP(1, 5), [0x15, 0, 0, 1, 0], [0x79, 0, 0, 8, 0], EXIT])],
  [
    "spill and fill a map value pointer",
    "linux-3.19",
    P([...LOOKUP(1), [0x15, 0, 0, 3, 0], [0x7b, 10, 0, -16, 0], [0x79, 3, 10, -16, 0], [0x7a, 3, 0, 0, 1], EXIT]),
  ],
  [
    "constant shortcut skips the fall-through",
    "linux-3.19",
    P([[0xb7, 1, 0, 0, 5], [0x15, 1, 0, 1, 5], [0xbf, 0, 9], R0_0, EXIT]),
  ],
  [
    "socket filter LD_ABS / LD_IND",
    "linux-3.19",
    P([[0xbf, 6, 1], [0x30, 0, 0, 0, 12], [0xbf, 7, 0], [0x50, 0, 7, 0, 0], EXIT], { progType: 1 }),
  ],
  ["4095 insns", "linux-3.19", P([...Array.from({ length: 4094 }, () => R0_0), EXIT])],
];

for (const [name, profile, p] of ACCEPT) {
  Deno.test(`audit accept (${profile}): ${name}`, () => {
    const r = run(p, { profile });
    assert.equal(r.errno, null, r.log);
    assert.equal(r.accepted, true);
    assert.equal(r.error, null);
  });
}

Deno.test("audit: program-level errnos (length, program type, log parameters)", () => {
  assert.equal(run(P([])).errno, "E2BIG");
  assert.equal(run(P([])).log, "");
  const big = P([...Array.from({ length: 4095 }, () => R0_0), EXIT]);
  assert.equal(big.len, 4096);
  assert.deepEqual([run(big).errno, run(big).log], ["EINVAL", ""]);
  // 3.18 registers only the test stub's program type
  assert.equal(run(P([R0_0, EXIT], { progType: 1 }), { profile: "linux-3.18" }).errno, "EINVAL");
  assert.equal(run(P([R0_0, EXIT], { progType: 7 })).errno, "EINVAL");
  // log parameters: size >= 128, <= UINT_MAX >> 8, level != 0
  assert.equal(run(P([R0_0, EXIT]), { logSize: 127 }).errno, "EINVAL");
  assert.equal(run(P([R0_0, EXIT]), { logSize: 128 }).errno, null);
  assert.equal(run(P([R0_0, EXIT]), { logSize: 0xffffff }).errno, null);
  assert.equal(run(P([R0_0, EXIT]), { logSize: 0x1000000 }).errno, "EINVAL");
  assert.equal(run(P([R0_0, EXIT]), { logLevel: 0, logSize: 4096 }).errno, "EINVAL");
  // any non-zero level prints the same
  assert.equal(run(P([R0_0, EXIT]), { logLevel: 2 }).log, run(P([R0_0, EXIT]), { logLevel: 7 }).log);
  // a bad log parameter wins over a broken program, E2BIG (length 0) wins over it
  assert.equal(run(P([[0x06]]), { logSize: 5 }).errno, "EINVAL");
  assert.equal(run(P([]), { logSize: 5 }).errno, "E2BIG");
});

Deno.test("audit: log buffer fills exactly -> ENOSPC (valid and invalid programs)", () => {
  const p = P([R0_0, EXIT]);
  const full = run(p).log;
  assert.equal(full, "0: (b7) r0 = 0\n1: (95) exit\n");
  // pad to >= 128 bytes with a longer straight-line program
  const q = P([...Array.from({ length: 20 }, () => R0_0), EXIT]);
  const text = run(q).log;
  const L = text.length;
  const fit = run(q, { logSize: L + 2 });
  assert.deepEqual([fit.accepted, fit.errno, fit.log], [true, null, text]);
  const exact = run(q, { logSize: L + 1 }); // text would use all but the NUL: "full"
  assert.deepEqual([exact.accepted, exact.errno, exact.log], [false, "ENOSPC", text]);
  const short = run(q, { logSize: 128 });
  assert.deepEqual([short.accepted, short.errno, short.log], [false, "ENOSPC", text.slice(0, 127)]);
  // a rejected program whose log overflows reports ENOSPC, not its own errno
  const bad = P([...Array.from({ length: 20 }, () => R0_0), [0x79, 0, 2, 0, 0], EXIT]);
  const r = run(bad, { logSize: 128 });
  assert.equal(r.errno, "ENOSPC");
  assert.equal(r.log.length, 127);
});

Deno.test("audit: full log — JNE refinement on ctx, constant shortcut prints no state", () => {
  const r = run(P([[0x55, 1, 0, 1, 5], [0xb7, 0, 0, 0, 1], [0xb7, 0, 0, 0, 2], [0x15, 0, 0, 0, 2], EXIT]));
  assert.equal(
    r.log,
    "0: (55) if r1 != 0x5 goto pc+1\n R1=imm5 R10=fp\n" +
      "1: (b7) r0 = 1\n2: (b7) r0 = 2\n3: (15) if r0 == 0x2 goto pc+0\n4: (95) exit\n" +
      "\nfrom 0 to 2: R1=ctx R10=fp\n2: (b7) r0 = 2\n3: (15) if r0 == 0x2 goto pc+0\n4: (95) exit\n",
  );
  // 2 is a branch target, so a pruning point; the ctx state is not equal to R1=imm5 (old imm5 vs cur ctx)
  assert.equal(r.stats.prunes, 0);
});

Deno.test("audit: full log — numbers (negative imm, unsigned hex, +0 offsets, second map)", () => {
  const r = run(
    P([
      [0xb7, 0, 0, 0, -1], // r0 = -1
      [0x55, 0, 0, 0, -1], // if r0 != 0xffffffff goto pc+0 -> shortcut (imm -1 == -1)
      [0x7b, 10, 0, -8, 0], // *(u64 *)(r10 -8) = r0
      [0x7a, 10, 0, -16, 0],
      ...LD_MAP(1, 3),
      ...LD_MAP(2, 5),
      [0x25, 0, 0, 0, 0x7fffffff], // if r0 > 0x7fffffff goto pc+0
      [0x1d, 1, 2, 0, 0], // if r1 == r2 goto pc+0
      EXIT,
    ]),
  );
  assert.equal(
    r.log,
    "0: (b7) r0 = -1\n1: (55) if r0 != 0xffffffff goto pc+0\n2: (7b) *(u64 *)(r10 -8) = r0\n" +
      "3: (7a) *(u64 *)(r10 -16) = 0\n4: (18) r1 = 0xd1b5c000\n6: (18) r2 = 0xd1b5c400\n" +
      "8: (25) if r0 > 0x7fffffff goto pc+0\n R0=imm-1 R1=map_ptr(ks=8,vs=8) R2=map_ptr(ks=8,vs=16) R10=fp\n" +
      "9: (1d) if r1 == r2 goto pc+0\n R0=imm-1 R1=map_ptr(ks=8,vs=8) R2=map_ptr(ks=8,vs=16) R10=fp\n" +
      "10: (95) exit\n\nfrom 9 to 10: safe\n\nfrom 8 to 9: safe\n",
  );
});

Deno.test("audit: the same map fd twice is one map (one address)", () => {
  const r = run(P([...LD_MAP(1, 3), ...LD_MAP(2, 3), R0_0, EXIT]));
  assert.ok(r.log.includes("0: (18) r1 = 0xd1b5c000\n2: (18) r2 = 0xd1b5c000\n"), r.log);
});

Deno.test("audit: two fds naming the same map object are one map", () => {
  const m = { type: 1, keySize: 4, valueSize: 4, maxEntries: 1 };
  const r = verify(P([...LD_MAP(1, 7), ...LD_MAP(2, 8), R0_0, EXIT]), {
    logLevel: 1,
    resolveMapFd: (fd) => (fd === 7 || fd === 8 ? m : "EBADF"),
  });
  assert.ok(r.log.includes("0: (18) r1 = 0xd1b5c000\n2: (18) r2 = 0xd1b5c000\n"), r.log);
});

Deno.test("audit: 3.19 prints a half-overwritten spill slot as fp-8=? (3.18: fp-8=ctx)", () => {
  // spill ctx at fp-8, overwrite its upper 4 bytes with data, branch to print the state
  const p = P([[0x7b, 10, 1, -8, 0], [0x62, 10, 0, -4, 0], R0_0, [0x15, 0, 0, 0, 1], EXIT]);
  assert.ok(run(p, { profile: "linux-3.19" }).log.includes("\n R0=imm0 R1=ctx R10=fp fp-8=?\n"));
  assert.ok(run(p, { profile: "linux-3.18" }).log.includes("\n R0=imm0 R1=ctx R10=fp fp-8=ctx\n"));
});

Deno.test("audit: states_equal compares spilled registers (fp-8 vs fp-16 spilled are different)", () => {
  // both sides spill a stack pointer into fp-24, then meet at a pruning point
  const mk = (a: number, b: number) =>
    P([
      CTX_ARG, // 0
      R0_0, // 1
      [0xbf, 2, 10], // 2
      [0x25, 1, 0, 3, 0], // 3: if r1 > 0 goto 7
      [0x07, 2, 0, 0, a], // 4
      [0x7b, 10, 2, -24, 0], // 5: spill
      [0x05, 0, 0, 3, 0], // 6: goto 10 (marks 7)
      [0x07, 2, 0, 0, b], // 7
      [0x7b, 10, 2, -24, 0], // 8: spill
      [0x05, 0, 0, 0, 0], // 9: goto 10 (marks 10)
      [0xb7, 2, 0, 0, 0], // 10: r2 = 0 (so only the spill differs)
      EXIT, // 11
    ]);
  for (const profile of ["linux-3.18", "linux-3.19"]) {
    // 10 is a pruning point (after the JA at 9); the fall-through stores its state there first
    const same = run(mk(-8, -8), { profile });
    assert.equal(same.stats.prunes, 1, profile);
    assert.ok(same.log.endsWith("9: (05) goto pc+0\n10: safe\n"), same.log);
    const diff = run(mk(-8, -16), { profile });
    assert.equal(diff.stats.prunes, 0, profile);
    assert.equal(diff.stats.max_states_per_insn, 2, profile);
  }
});

Deno.test("audit: 3.18 per-byte MISC vs SPILL_PART are different states", () => {
  // fall-through: spill ctx at fp-8 then a 4-byte data write at fp-4 (bytes 4..7 MISC);
  // branch: data at fp-8 (all MISC) then the spill again -> bytes 1..7 SPILL_PART: not equal
  const p = P([
    CTX_ARG, // 0 (r1 = inv; keep ctx in r6)
    [0xb7, 0, 0, 0, 0], // 1
    [0x25, 1, 0, 3, 0], // 2: if r1 > 0 goto 6
    [0x7a, 10, 0, -8, 0], // 3
    [0x62, 10, 0, -4, 0], // 4
    [0x05, 0, 0, 2, 0], // 5: goto 8
    [0x7a, 10, 0, -8, 0], // 6
    [0x05, 0, 0, 0, 0], // 7: goto 8 (marks 8)
    EXIT, // 8
  ]);
  // fall-through reaches 8 with all-MISC; the branch too: pruned
  assert.equal(run(p, { profile: "linux-3.18" }).stats.prunes, 1);
});

Deno.test("audit: engine events around a prune and the stored state it matched", () => {
  const p = P([CTX_ARG, R0_0, [0x25, 1, 0, 0, 0], EXIT]);
  const e = createEngine(p, { resolveMapFd });
  const evs: string[] = [];
  while (!e.done) {
    const ev = e.step();
    evs.push(`${ev}@${e.pc}`);
    if (ev === EV.PRUNED) {
      assert.equal(e.matchedIndex, 0);
      assert.equal(e.matchedState()!.line, " R0=imm0 R1=inv R10=fp");
      assert.equal(e.exploredCount(3), 1);
    }
  }
  assert.deepEqual(evs, [
    `${EV.INSN}@0`,
    `${EV.INSN}@1`,
    `${EV.BRANCH_PUSHED}@2`,
    `${EV.STATE_STORED}@3`,
    `${EV.INSN}@3`,
    `${EV.BRANCH_RESUMED}@3`,
    `${EV.PRUNED}@3`,
    `${EV.ACCEPTED}@3`,
  ]);
  assert.equal(e.processed, 5);
  assert.equal(e.insnCount(3), 2);
});

Deno.test("audit: pruning points — branch targets and insns after JA only", () => {
  const p = P([
    CTX_ARG, // 0
    [0x85, 0, 0, 0, 0], // 1: call (3.18 stub) -> invalid args, but the CFG marks do not care
    [0x15, 1, 0, 1, 0], // 2: if r1 == 0 goto 4
    [0x05, 0, 0, 1, 0], // 3: goto 5
    R0_0, // 4
    EXIT, // 5
  ]);
  const e = createEngine(p, { resolveMapFd, profile: "linux-3.18" });
  const marks = Array.from({ length: p.len }, (_, i) => e.isPruningPoint(i));
  assert.deepEqual(marks, [false, false, false, false, true, false]);
});

Deno.test("audit: budget — insnLimit counts like the kernel (limit+1 in the message)", () => {
  const p = P([...Array.from({ length: 10 }, () => R0_0), EXIT]);
  assert.equal(run(p, { insnLimit: 11 }).accepted, true);
  const r = run(p, { insnLimit: 10 });
  assert.deepEqual([r.errno, r.error, r.stats.processed_insns], [
    "E2BIG",
    "BPF program is too large. Proccessed 11 insn",
    11,
  ]);
});

Deno.test("audit: explain — path of branch decisions, origin of the offending register", () => {
  const p = P([
    CTX_ARG, // 0
    [0x15, 1, 0, 2, 7], // 1: if r1 == 7 goto 4 (taken on the failing path)
    R0_0, // 2
    EXIT, // 3
    [0x25, 1, 0, 1, 0], // 4: if r1 > 0 goto 6 (fall-through on the failing path)
    [0x79, 0, 6, 0, 0], // 5: r0 = *(u64 *)(r6 +0): R6 never set
    EXIT, // 6 -> hmm: the taken side of 4 exits without r0 ... see below
  ]);
  const r = run(p, { explain: true });
  assert.equal(r.error, "R6 !read_ok");
  assert.deepEqual(r.explain!.path, [{ insn: 1, taken: true }, { insn: 4, taken: false }]);
  assert.equal(r.explain!.insn, 5);
  assert.equal(r.explain!.register, 6);
  assert.equal(r.explain!.origin, -1);
  assert.ok(r.explain!.text.join("\n").includes("R6"));
});

Deno.test("audit: is_state_visited pre-filter is exact (equal states always share the signature)", async () => {
  const S = await import("../core/verifier/state.ts");
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let equal = 0;
  for (let iter = 0; iter < 20000; iter++) {
    const a = new Int32Array(S.STATE_WORDS), b = new Int32Array(S.STATE_WORDS);
    S.initRegState(a);
    for (let r = 0; r < S.MAX_BPF_REG; r++) {
      const o = r * S.REG_W;
      a[o] = rnd(9);
      a[o + 1] = rnd(3) - 1;
      a[o + 2] = rnd(2) ? 0 : 0xffff8800 | 0;
    }
    b.set(a);
    // mutate cur a little: relaxations (old NOT_INIT / inv) make many pairs equal
    for (let j = rnd(3); j > 0; j--) {
      const o = rnd(S.MAX_BPF_REG) * S.REG_W;
      b[o + rnd(3)] = rnd(9);
    }
    const m = S.strictRegMask(a, 0);
    const eq = S.statesEqual(a, 0, b, 0, true, new Uint8Array(a.buffer), new Uint8Array(b.buffer));
    if (eq) {
      equal++;
      assert.equal(S.regSignature(a, 0, m), S.regSignature(b, 0, m));
    }
  }
  assert.ok(equal > 2000, `only ${equal} equal pairs`);
});

Deno.test("audit: map sizes are C ints where the kernel passes them as int (3.18 UNSPEC maps are not validated)", () => {
  const huge = { type: 0, keySize: 0xffffffff, valueSize: 0x80000000, maxEntries: 1 };
  const r = verify(P([...LOOKUP(0, 9), R0_0, EXIT]), {
    profile: "linux-3.18",
    resolveMapFd: (fd) => (fd === 9 ? huge : "EBADF"),
  });
  assert.equal(r.error, "invalid stack type R2 off=-8 access_size=-1");
});

Deno.test("audit: at most 64 distinct maps per program (the 65th: E2BIG, no message)", () => {
  const slots = (k: number): Slot[] => [...Array.from({ length: k }, (_, i) => LD_MAP(1, 100 + i)).flat(), R0_0, EXIT];
  const resolve = (fd: number) => (fd >= 100 ? { type: 1, keySize: 4, valueSize: 4, maxEntries: 1 } : "EBADF" as const);
  const ok = verify(P(slots(64)), { logLevel: 1, resolveMapFd: resolve });
  assert.equal(ok.accepted, true);
  assert.ok(ok.log.includes("126: (18) r1 = 0xd1b6bc00\n"), "64th map at 0xd1b5c000 + 63 * 0x400");
  const bad = verify(P(slots(65)), { logLevel: 1, resolveMapFd: resolve });
  assert.deepEqual([bad.errno, bad.log, bad.error], ["E2BIG", "", null]);
});
