/**
 * The TUI's built-in gallery of example programs, written with the kernel's
 * `BPF_*` builders. Each entry builds its program for a profile, since the
 * map lookup helper is `call 0` (the 3.18 test stub) in linux-3.18 and
 * `call 1` (`bpf_map_lookup_elem`) from 3.19 on.
 *
 * @module
 */
import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_JNE,
  BPF_LD_MAP_FD,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_10,
  BPF_REG_2,
  BPF_ST_MEM,
  type Insn,
  mapDef,
  Program,
} from "../core/isa/mod.ts";

/** One gallery example. */
export interface GalleryEntry {
  /** Short id (`bpfscope tui --example ID`). */
  id: string;
  /** Title shown in the UI. */
  title: string;
  /** One or two sentences on what to watch. */
  about: string;
  /** What the verifier should say. */
  expect: "accept" | "reject";
  /** Build the program for a profile (`linux-3.18`, `linux-3.19`). */
  build(profile: string): Program;
}

/** The lookup helper id for a profile. */
export function lookupHelper(profile: string): number {
  return profile === "linux-3.18" ? 0 : 1;
}

/** A one-map program (key 8, value 8) with the map fd patched at `slot`. */
function withMap(insns: Array<Insn | Insn[]>, slot: number, profile: string, title: string): Program {
  return Program.fromInsns(insns, {
    maps: [
      mapDef({ name: "map0", type: profile === "linux-3.18" ? 0 : 1, keySize: 8, valueSize: 8, maxEntries: 1024 }),
    ],
    fixups: [[slot, 0]],
    origin: { file: `gallery:${title}` },
  });
}

/**
 * A chain of `n` diamonds `if r1 > i goto +1; r0 = 1` that all rejoin with
 * the same state, each followed by `filler` instructions (`r2 = 0`).
 * Keep `n` below 1024: the fall-through path pushes one branch per diamond.
 */
export function diamondChain(n: number, filler = 0): Program {
  const insns: Insn[] = [BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_1, 0), BPF_MOV64_IMM(BPF_REG_0, 1)];
  for (let i = 0; i < n; i++) {
    insns.push(BPF_JMP_IMM(BPF_JGT, BPF_REG_1, i, 1), BPF_MOV64_IMM(BPF_REG_0, 1));
    for (let k = 0; k < filler; k++) insns.push(BPF_MOV64_IMM(BPF_REG_2, 0));
  }
  insns.push(BPF_EXIT_INSN());
  return Program.fromInsns(insns, { origin: { file: `gallery:chain${n}` } });
}

/** The gallery, in the order the UI lists it. */
export const GALLERY: readonly GalleryEntry[] = [
  {
    id: "core",
    title: "verifier core: two paths to exit",
    about:
      "The 6-insn example from the verifier-core commit: r1 = xxx; if r1 == 0 goto 5; r0 = 1; goto 6; r0 = 2; exit. Watch the branch being pushed, the first path reach exit and the second resumed with R1=imm0.",
    expect: "accept",
    build: () =>
      Program.fromInsns([
        BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_1, 0),
        BPF_JMP_IMM(BPF_JEQ, BPF_REG_1, 0, 2),
        BPF_MOV64_IMM(BPF_REG_0, 1),
        BPF_JMP_A(1),
        BPF_MOV64_IMM(BPF_REG_0, 2),
        BPF_EXIT_INSN(),
      ], { origin: { file: "gallery:core" } }),
  },
  {
    id: "misaligned",
    title: "misaligned map access",
    about:
      "Key on the stack, map lookup, null check, then *(u64 *)(r0 +4) = 0: rejected with 'misaligned access off 4 size 8' on the non-null path.",
    expect: "reject",
    build: (profile) =>
      withMap(
        [
          BPF_ST_MEM(BPF_DW, BPF_REG_10, -8, 0),
          BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
          BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
          BPF_LD_MAP_FD(BPF_REG_1, 0),
          BPF_EMIT_CALL(lookupHelper(profile)),
          BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1),
          BPF_ST_MEM(BPF_DW, BPF_REG_0, 4, 0),
          BPF_EXIT_INSN(),
        ],
        3,
        profile,
        "misaligned",
      ),
  },
  {
    id: "filter",
    title: "pruning commit: filter(int arg)",
    about:
      "if (arg == 1) ptr = &a; else if (arg == 2) ptr = &b; else ptr = &c; then use ptr. The three paths reach the join with different stack pointers, so nothing can be pruned and the tail is walked three times (see the heat column).",
    expect: "accept",
    build: (profile) =>
      withMap(
        [
          BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_1, 0), // 0: arg
          BPF_ST_MEM(BPF_DW, BPF_REG_10, -8, 0), // 1: a = 0
          BPF_ST_MEM(BPF_DW, BPF_REG_10, -16, 0), // 2: b = 0
          BPF_ST_MEM(BPF_DW, BPF_REG_10, -24, 0), // 3: c = 0
          BPF_JMP_IMM(BPF_JNE, BPF_REG_1, 1, 3), // 4: if arg != 1 goto 8
          BPF_MOV64_REG(BPF_REG_2, BPF_REG_10), // 5: ptr = &a
          BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -8), // 6
          BPF_JMP_A(6), // 7: goto 14
          BPF_JMP_IMM(BPF_JNE, BPF_REG_1, 2, 3), // 8: if arg != 2 goto 12
          BPF_MOV64_REG(BPF_REG_2, BPF_REG_10), // 9: ptr = &b
          BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -16), // 10
          BPF_JMP_A(2), // 11: goto 14
          BPF_MOV64_REG(BPF_REG_2, BPF_REG_10), // 12: ptr = &c
          BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -24), // 13
          BPF_LD_MAP_FD(BPF_REG_1, 0), // 14-15
          BPF_EMIT_CALL(lookupHelper(profile)), // 16: use *ptr as a key
          BPF_MOV64_IMM(BPF_REG_0, 0), // 17
          BPF_EXIT_INSN(), // 18
        ],
        14,
        profile,
        "filter",
      ),
  },
  {
    id: "nullcheck",
    title: "missing null check",
    about:
      "The lookup result is written through without checking it for NULL: rejected with R0 invalid mem access 'map_value_or_null'.",
    expect: "reject",
    build: (profile) =>
      withMap(
        [
          BPF_ST_MEM(BPF_DW, BPF_REG_10, -8, 0),
          BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
          BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
          BPF_LD_MAP_FD(BPF_REG_1, 0),
          BPF_EMIT_CALL(lookupHelper(profile)),
          BPF_ST_MEM(BPF_DW, BPF_REG_0, 0, 1),
          BPF_MOV64_IMM(BPF_REG_0, 0),
          BPF_EXIT_INSN(),
        ],
        3,
        profile,
        "nullcheck",
      ),
  },
  {
    id: "budget",
    title: "16 diamonds: 32k budget without pruning",
    about:
      "16 branches in a row that rejoin with identical states. With pruning every second path is cut at the join (~50 insns); toggle pruning off (p) and the 2^16 paths drain the 32768-insn budget: 'BPF program is too large'.",
    expect: "accept",
    build: () => diamondChain(16),
  },
  {
    id: "big",
    title: "long chain: 4000 instructions",
    about:
      "999 diamonds with filler (3999 insns) for watching a large program scroll by: 999 pending branches, then each is pruned at its join.",
    expect: "accept",
    build: () => diamondChain(999, 2),
  },
];

/** Find a gallery entry by id (or 1-based number). */
export function findExample(key: string): GalleryEntry | undefined {
  const n = Number(key);
  if (Number.isInteger(n) && n >= 1 && n <= GALLERY.length) return GALLERY[n - 1];
  return GALLERY.find((g) => g.id === key);
}
