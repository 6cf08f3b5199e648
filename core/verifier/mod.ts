/**
 * The Linux 3.18 / 3.19 eBPF verifier, re-implemented: the kernel's verdict,
 * errno and log, byte for byte.
 *
 * ```ts
 * import { verify } from "./core/verifier/mod.ts";
 * import { BPF_EXIT_INSN, BPF_MOV64_IMM, Program } from "./core/isa/mod.ts";
 * const r = verify(Program.fromInsns([BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), { logLevel: 1 });
 * console.log(r.accepted, r.log); // true "0: (b7) r0 = 0\n1: (95) exit\n"
 * ```
 *
 * Pass order (as `bpf_prog_load` + `bpf_check`): `insn_cnt >= 4096` →
 * EINVAL; unknown program type → EINVAL; length 0 → E2BIG; bad log
 * parameters → EINVAL; the LD_IMM64 map-fd pre-pass; `check_cfg`; the walk
 * (`do_check`) with pruning; ENOSPC when the log buffer filled up.
 *
 * Map fds: with `resolveMapFd`, the program's LD_IMM64 fds are resolved
 * through it. Without it, `program.maps[i]` gets fd `3 + i` (as in a process
 * with stdio open), `program.fixups` are applied with `withMapFds`, fds 0..2
 * are "open but not a map" (EINVAL) and any other fd is closed (EBADF).
 * Map addresses come from the fake kernel address space documented in
 * `prepass.ts`.
 *
 * @module
 */
import { findLineInfo, type LineInfo, lineInfoText, type MapDef, type Program } from "../isa/program.ts";
import { progTypeName } from "../isa/opcodes.ts";
import {
  EV_ACCEPTED,
  EV_BRANCH_PUSHED,
  EV_BRANCH_RESUMED,
  EV_ERROR,
  EV_INSN,
  EV_NONE,
  EV_PRUNED,
  EV_STATE_STORED,
  VerifierEngine,
} from "./engine.ts";
import type { MapFdResolver, VerifierMap } from "./prepass.ts";
import { DEFAULT_PROFILE, PROFILES } from "./profiles.ts";
import type { Walk } from "./walk.ts";
import { BPF_CGROUP_INET_EGRESS, Engine618 } from "./linux618/engine.ts";
import { PROG_TYPE_NUMBERS_618, PROG_TYPES_618 } from "./linux618/prog_types.ts";
import type { Map618 } from "./linux618/env.ts";

export * from "./engine.ts";
export type { Walk } from "./walk.ts";
export { Engine618 } from "./linux618/engine.ts";
export * from "./prepass.ts";
export * from "./profiles.ts";
export {
  CONST_IMM,
  CONST_PTR_TO_MAP,
  FRAME_PTR,
  NOT_INIT,
  PTR_TO_CTX,
  PTR_TO_MAP_VALUE,
  PTR_TO_MAP_VALUE_OR_NULL,
  PTR_TO_STACK,
  REG_TYPE_STR,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_SPILL_PART,
  UNKNOWN_VALUE,
} from "./state.ts";
export { LOG_SIZE_MAX, LOG_SIZE_MIN, VerifierLog } from "./log.ts";

/** Event codes by name (the numbers `VerifierEngine.step()` returns). */
export const VerifierEvent: Readonly<{
  NONE: number;
  INSN: number;
  BRANCH_PUSHED: number;
  BRANCH_RESUMED: number;
  STATE_STORED: number;
  PRUNED: number;
  ERROR: number;
  ACCEPTED: number;
}> = {
  NONE: EV_NONE,
  INSN: EV_INSN,
  BRANCH_PUSHED: EV_BRANCH_PUSHED,
  BRANCH_RESUMED: EV_BRANCH_RESUMED,
  STATE_STORED: EV_STATE_STORED,
  PRUNED: EV_PRUNED,
  ERROR: EV_ERROR,
  ACCEPTED: EV_ACCEPTED,
};

/** Options of {@link verify} and {@link createEngine}. */
export interface VerifyOptions {
  /** `linux-3.18`, `linux-3.19` (default) or `linux-6.18`. */
  profile?: string;
  /** Program type: number or name (`unspec`, `socket_filter`); default the program's. */
  progType?: number | string;
  /** Log level (0 = off, default; 1 and 2 print the same in 3.18/3.19; linux-6.18: bits 1, 2 and 4 = stats). */
  logLevel?: number;
  /** Log buffer size in bytes (with logging: default `UINT_MAX >> 8`; 128 .. `UINT_MAX >> 8`). */
  logSize?: number;
  /** State pruning (default true). */
  prune?: boolean;
  /** Processed-instruction budget (default 32768; linux-6.18: 1,000,000). */
  insnLimit?: number;
  /** On rejection, explain the failing path (default false). */
  explain?: boolean;
  /**
   * Look matching explored states up in an index when an instruction holds
   * more than 16 states (true, the default), more than `n` (a number; 0:
   * always), or never (false: walk each explored-state list as the kernel
   * does). The log, verdict, stats and matched states are the same; the
   * index is faster when many states are stored at one instruction.
   */
  exploredIndex?: boolean | number;
  /** Resolve LD_IMM64 map fds (see the module doc for the default). */
  resolveMapFd?: MapFdResolver;
  /**
   * linux-6.18: pass the program's BTF func/line info (`program.btf`, from
   * an ELF object built with `-g`) as libbpf does (true, the default): the
   * log gets source lines and global functions are verified on their own
   * from their prototypes; or load without it as `kbpf.py` does (false:
   * every function is a static one). 3.18/3.19 have no BTF.
   */
  btf?: boolean;
}

/** Statistics of a walk, named as veristat does. */
export interface VerifyStats {
  /** Instructions processed (the counter the 32768 limit applies to). */
  processed_insns: number;
  /** States stored at pruning points. */
  total_states: number;
  /** Most states held at once (3.18 frees none during the walk, so equal to total_states). */
  peak_states: number;
  /** Most states stored for one instruction. */
  max_states_per_insn: number;
  /** Paths ended by pruning. */
  prunes: number;
  /** Deepest pending-branch stack. */
  peak_stack_depth: number;
  /** Wall time of the whole verification in microseconds. */
  duration_us: number;
}

/** Why a program was rejected, along the failing path. */
export interface Explanation {
  /** Conditional jumps on the failing path and the side taken. */
  path: Array<{ insn: number; taken: boolean }>;
  /** The insn the error is reported at (-1: before the walk). */
  insn: number;
  /** The register the error is about, or -1. */
  register: number;
  /** Where that register got its current type (-1: program entry / none). */
  origin: number;
  /** The same as readable lines. */
  text: string[];
  /** The C source line of the failing insn (`<source> @ <file>:<line>`), when the program has BTF line info. */
  source?: string;
}

/** The verdict of {@link verify}. */
export interface VerifyResult {
  /** True when the kernel would load the program. */
  accepted: boolean;
  /** errno name when rejected, else null. */
  errno: string | null;
  /** The log ("" with logging off). */
  log: string;
  /** The error message (the kernel's last log line, also computed with logging off), or null. */
  error: string | null;
  /** Walk statistics. */
  stats: VerifyStats;
  /** With `explain` on a rejection. */
  explain?: Explanation;
  /**
   * On a rejection the kernel prints nothing for (`error` is null): why, in
   * bpfscope's words. Not part of the kernel's output.
   */
  note?: string;
}

const PROG_TYPE_NAMES: Record<string, number> = {
  unspec: 0,
  socket_filter: 1,
  sched_cls: 3,
  sched_act: 4,
  xdp: 6,
  cgroup_skb: 8,
};

/** The profile names: `linux-3.18`, `linux-3.19`, `linux-6.18`. */
export const PROFILE_NAMES: readonly string[] = [...Object.keys(PROFILES), "linux-6.18"];

/**
 * Resolve a program type name or number (`undefined` for an unknown name);
 * `names` is the profile's table (the 3.18/3.19 names by default).
 */
export function progTypeNumber(
  t: number | string,
  names: Readonly<Record<string, number>> = PROG_TYPE_NAMES,
): number | undefined {
  return typeof t === "number" ? t : /^\d+$/.test(t) ? Number(t) : names[t];
}

/** `program`'s type, or `opts.progType` resolved in `names`. @throws RangeError for an unknown name */
function progTypeOf(program: Program, opts: VerifyOptions, names?: Readonly<Record<string, number>>): number {
  if (opts.progType === undefined) return program.progType;
  const t = progTypeNumber(opts.progType, names);
  if (t === undefined) throw new RangeError(`unknown program type '${opts.progType}'`);
  return t;
}

/**
 * The program's own maps as a loader hands them out: fds 3, 4, ... in
 * order (`prog` has them patched into its map loads); fds 0-2 are not maps
 * (EINVAL) and any other fd is closed (EBADF). `view` is what the verifier
 * sees of each map, made once, so one fd is one map.
 */
function ownMapFds<M>(
  program: Program,
  view: (m: MapDef) => M,
): { prog: Program; resolve: (fd: number) => M | "EBADF" | "EINVAL" } {
  const own = program.maps.map(view);
  return {
    prog: program.fixups.length > 0 ? program.withMapFds(own.map((_, i) => 3 + i)) : program,
    resolve: (fd) => own[fd - 3] ?? (fd >= 0 && fd <= 2 ? "EINVAL" : "EBADF"),
  };
}

/**
 * Build a stepping engine for `program` (the same one {@link verify} drives).
 * @throws RangeError for an unknown profile or program type name, or a fixup outside the program
 */
export function createEngine(program: Program, opts: VerifyOptions = {}): Walk {
  if (opts.profile === "linux-6.18") return createEngine618(program, opts);
  const profile = PROFILES[opts.profile ?? DEFAULT_PROFILE];
  if (!profile) {
    throw new RangeError(`unknown verifier profile '${opts.profile}' (linux-3.18, linux-3.19, linux-6.18)`);
  }
  const progType = progTypeOf(program, opts);
  let prog = program;
  let resolve = opts.resolveMapFd;
  if (!resolve) {
    ({ prog, resolve } = ownMapFds(program, (m): VerifierMap => ({
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    })));
  }
  return new VerifierEngine(prog, {
    profile,
    progType,
    logLevel: opts.logLevel ?? 0,
    logSize: opts.logSize,
    prune: opts.prune,
    insnLimit: opts.insnLimit,
    explain: opts.explain,
    exploredIndex: opts.exploredIndex,
    resolveMapFd: resolve,
  });
}

/** The linux-6.18 engine for `program` (see {@link createEngine}). */
function createEngine618(program: Program, opts: VerifyOptions): Engine618 {
  const progType = progTypeOf(program, opts, PROG_TYPE_NUMBERS_618);
  let prog = program;
  let resolve: (fd: number) => Map618 | "EBADF" | "EINVAL";
  if (opts.resolveMapFd) {
    // a caller's resolver sees the fds the program holds; one VerifierMap is one map
    const r = opts.resolveMapFd;
    const seen = new Map<VerifierMap, Map618>();
    resolve = (fd) => {
      const m = r(fd);
      if (typeof m === "string") return m;
      let v = seen.get(m);
      if (!v) seen.set(m, v = { ...m, flags: 0, name: "" });
      return v;
    };
  } else {
    ({ prog, resolve } = ownMapFds(program, (m): Map618 => ({
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      // libbpf creates a `.rodata*` section's map BPF_F_RDONLY_PROG and freezes it after filling it
      flags: m.frozen ? m.flags | 0x80 : m.flags,
      name: m.name.slice(0, 15),
      frozenValue: m.frozen && m.type === 2 && m.maxEntries === 1 ? m.init[0]?.[1] : undefined,
    })));
  }
  return new Engine618(prog, {
    progType,
    // libbpf's `cgroup_skb/egress` section: expected_attach_type BPF_CGROUP_INET_EGRESS
    expectedAttachType: program.origin.section?.startsWith("cgroup_skb/egress") ? BPF_CGROUP_INET_EGRESS : 0,
    logLevel: opts.logLevel ?? 0,
    logSize: opts.logSize,
    prune: opts.prune,
    insnLimit: opts.insnLimit,
    explain: opts.explain,
    gpl: ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"].includes(
      program.license,
    ),
    resolveMapFd: resolve,
    btf: opts.btf === false ? undefined : program.btf,
  });
}

/** The statistics of an engine's walk. */
export function engineStats(e: Walk, durationUs = 0): VerifyStats {
  return {
    processed_insns: e.processed,
    total_states: e.storedStates,
    peak_states: e instanceof Engine618 ? e.peakStates : e.storedStates,
    max_states_per_insn: e.maxStatesPerInsn,
    prunes: e.prunes,
    peak_stack_depth: e.peakPendingDepth,
    duration_us: durationUs,
  };
}

/**
 * The explanation of a rejected walk (the engine must have run with `explain`);
 * `lines`: the program's BTF line info, to name the failing insn's source line.
 */
export function explainEngine(e: Walk, lines?: ReadonlyArray<LineInfo>): Explanation {
  const path = e.path();
  const text: string[] = [];
  for (const p of path) {
    text.push(`insn ${p.insn}: ${e.insnText(p.insn)} -> ${p.taken ? "jump taken" : "fall-through"}`);
  }
  let source: string | undefined;
  if (e.errorInsn >= 0) {
    text.push(`insn ${e.errorInsn}: ${e.insnText(e.errorInsn)}: ${e.errorMessage ?? e.errno}`);
    const k = lines ? findLineInfo(lines, e.errorInsn) : -1;
    if (k >= 0) {
      source = lineInfoText(lines![k]);
      text.push(`source of insn ${e.errorInsn}: ${source}`);
    }
  } else if (e.errno) text.push(`rejected before the walk: ${e.errorMessage ?? e.errno}`);
  const reg = e.errorReg, origin = e.errorRegOrigin;
  if (reg >= 0) {
    const r = e.register(reg);
    const what = r.type === 0 ? "is not initialised" : `is ${r.text}`;
    if (origin >= 0) text.push(`R${reg} ${what}; it got that at insn ${origin}: ${e.insnText(origin)}`);
    else {
      const g = e instanceof Engine618 ? e.globalWalk : null;
      text.push(
        `R${reg} ${what} since ${g ? `the entry of global function ${g} (its BTF prototype)` : "the program entry"}`,
      );
    }
  }
  const out: Explanation = { path, insn: e.errorInsn, register: reg, origin, text };
  if (source !== undefined) out.source = source;
  return out;
}

/**
 * Verify a program: `{accepted, errno, log, error, stats, explain?}`.
 * Rejections are results, not exceptions.
 * @throws RangeError for an unknown profile or program type name
 */
export function verify(program: Program, opts: VerifyOptions = {}): VerifyResult {
  const t0 = performance.now();
  const e = createEngine(program, opts);
  e.run();
  const dt = Math.round((performance.now() - t0) * 1000);
  const res: VerifyResult = {
    accepted: e.accepted,
    errno: e.errno,
    log: e.log,
    error: e.errorMessage,
    stats: engineStats(e, dt),
  };
  if (opts.explain && !e.accepted) {
    res.explain = explainEngine(e, opts.btf !== false ? program.btf?.lineInfo : undefined);
  }
  if (!e.accepted && res.error === null) {
    res.note = e instanceof Engine618 && e.note ? e.note : silentRejectionNote(program, opts, e.errno);
  }
  e.release();
  return res;
}

/**
 * Why a program was rejected when the kernel says nothing: the checks
 * `bpf_prog_load` and `bpf_check` make before any log is written.
 */
export function silentRejectionNote(program: Program, opts: VerifyOptions, errno: string | null): string {
  const profile = PROFILES[opts.profile ?? DEFAULT_PROFILE];
  const type = opts.progType !== undefined ? progTypeNumber(opts.progType) ?? -1 : program.progType;
  if (errno === "ENOSPC") {
    return "the log buffer filled up (log_size too small); the program itself may be fine (log level 0 verifies it without a log)";
  }
  if (program.len === 0) return "the program is empty";
  if (program.len >= 4096) return `the program has ${program.len} instructions; PROG_LOAD takes at most 4095`;
  if (profile && !profile.progTypes[type]) {
    const known = Object.values(profile.progTypes).map((t) => t.name).join(", ");
    // the profiles that know the type: what a user of the default profile with a modern program wants to hear
    const others = Object.values(PROFILES).filter((p) => p.progTypes[type]).map((p) => `--profile ${p.name}`);
    if (PROG_TYPES_618[type]) others.push("--profile linux-6.18");
    return `program type ${progTypeName(type)} is not known to ${profile.name} (it has ${known}); ${
      others.length ? `${others.join(" or ")} ${others.length > 1 ? "know" : "knows"} it, ` : ""
    }--prog-type overrides it`;
  }
  if (errno === "EINVAL" && (opts.logLevel || opts.logSize)) {
    return "bad log parameters: log_size must be 128 .. UINT_MAX >> 8 and log_level non-zero";
  }
  return "the kernel prints no message for this rejection";
}

/** What `Bpf.progLoad` passes to its verify hook (structurally `VerifyRequest` of core/bpf.ts). */
export interface VerifyHookRequest {
  /** Program type number. */
  progType: number;
  /** Log level. */
  logLevel: number;
  /** Log size (0: no log). */
  logSize: number;
  /** `linux-3.18` or `modern` (verified as linux-3.19). */
  profile: string;
  /** The map behind an fd. */
  mapByFd(fd: number): { type: number; keySize: number; valueSize: number; maxEntries: number } | undefined;
}

/** A verify hook's verdict (structurally `VerifyVerdict` of core/bpf.ts). */
export interface HookVerdict {
  /** True when the program may be loaded. */
  accepted: boolean;
  /** errno name on rejection. */
  errno?: string;
  /** The verifier log. */
  log: string;
  /** The error message (or the note of a program the profile does not model). */
  error: string | null;
}

/** Verify for a `Bpf` facade: its fds, one VerifierMap per facade map (two fds of one map are one map). */
function verifyForFacade(prog: Program, req: VerifyHookRequest, profile: string, logSize: number | undefined) {
  const seen = new Map<object, VerifierMap>();
  const r = verify(prog, {
    profile,
    progType: req.progType,
    logLevel: req.logLevel,
    logSize,
    resolveMapFd: (fd) => {
      const m = req.mapByFd(fd);
      if (!m) return fd >= 0 && fd <= 2 ? "EINVAL" : "EBADF";
      let v = seen.get(m);
      if (!v) seen.set(m, v = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries });
      return v;
    },
  });
  return r;
}

/**
 * A `VerifyHook` for `Bpf` (core/bpf.ts) that verifies as Linux 6.18 does
 * (the `linux-6.18` profile) with the facade's maps: the verifier to give
 * `testRun`/`BpfObject` (`{ verify: verifyHook618 }`) so that a program is
 * refused at load time where the kernel would refuse it. A program the
 * profile does not model is refused with EOPNOTSUPP and a note.
 */
export function verifyHook618(prog: Program, req: VerifyHookRequest): HookVerdict {
  const r = verifyForFacade(prog, req, "linux-6.18", req.logLevel > 0 ? req.logSize : undefined);
  return r.accepted
    ? { accepted: true, log: r.log, error: null }
    : { accepted: false, errno: r.errno ?? "EACCES", log: r.log, error: r.error ?? r.note ?? null };
}

/**
 * A `VerifyHook` for `Bpf` (core/bpf.ts): verifies with the facade's fds.
 * Profile `linux-3.18` verifies as linux-3.18, anything else as linux-3.19.
 */
export function verifyHook(prog: Program, req: VerifyHookRequest): HookVerdict {
  const profile = req.profile === "linux-3.18" ? "linux-3.18" : "linux-3.19";
  const r = verifyForFacade(prog, req, profile, req.logLevel > 0 || req.logSize > 0 ? req.logSize : undefined);
  return r.accepted
    ? { accepted: true, log: r.log, error: null }
    : { accepted: false, errno: r.errno ?? "EACCES", log: r.log, error: r.error ?? r.note ?? null };
}
