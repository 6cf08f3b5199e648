/**
 * The Linux 6.18 walk (`bpf_check` → `do_check_main` → `do_check`) as a
 * stepping engine with the same contract as the 3.18/3.19 one
 * ({@link Walk}): `step()` returns the event codes of engine.ts, the same
 * accessors, explain and snapshot/restore.
 *
 * Passes before the walk: the log parameters, `add_subprog_and_kfunc`,
 * `check_subprogs`, the LD_IMM64 / map pre-pass, `check_cfg`,
 * `compute_postorder`, `compute_scc`, `compute_live_registers`. After it
 * (`do_check_subprogs`): each global function (BTF linkage global) a walked
 * path called is walked on its own from its prototype's argument types
 * (`Validating NAME() func#N...`), until no new one is called; then
 * `check_max_stack_depth`, `print_verification_stats` and the log's ENOSPC.
 *
 * @module
 */
import { kernel618InsnText } from "../../asm/kernel618.ts";
import {
  EV_ACCEPTED,
  EV_BRANCH_PUSHED,
  EV_BRANCH_RESUMED,
  EV_ERROR,
  EV_INSN,
  EV_NONE,
  EV_PRUNED,
  EV_STATE_STORED,
} from "../engine.ts";
import type { BranchDecision, EngineSnapshot, RegisterView, StackSlotView, StateView } from "../engine.ts";
import type { Walk } from "../walk.ts";
import type { ProgramBtf } from "../../isa/program.ts";
import { checkAluOp, checkRegArg, SRC_OP } from "./alu.ts";
import { checkHelperCall } from "./helper_call.ts";
import {
  addSubprogAndKfunc,
  checkAbnormalReturn,
  checkCfg,
  checkSubprogs,
  computePostorder,
  computeScc,
} from "./cfg.ts";
import {
  BPF_COMPLEXITY_LIMIT_INSNS,
  BTF_FUNC_GLOBAL,
  E2BIG,
  EFAULT,
  EINVAL,
  ENOTMODELLED,
  type Env,
  ERRNO_NAMES,
  type Map618,
  markRegScratched,
  markVerifierStateClean,
  markVerifierStateScratched,
  verbose,
  verifierStateScratched,
} from "./env.ts";
import { BPF_MAY_GOTO, checkCondJmpOp } from "./jmp.ts";
import { computeLiveRegisters } from "./live_regs.ts";
import { checkBtfFunc, checkBtfFuncEarly, checkBtfLine, verboseLinfo } from "./linfo.ts";
import { argIsPtrToMem, btfPrepareFuncArgs } from "./func_args.ts";
import { ARG_ANYTHING, ARG_PTR_TO_CTX } from "./helpers.ts";
import { BPF_LOG_LEVEL, BPF_LOG_LEVEL2, BPF_LOG_MASK, BPF_LOG_STATS, VerifierLog618 } from "./log.ts";
import { checkLdAbs, checkLdImm, checkMemInsn, resolvePseudoLdimm64 } from "./mem.ts";
import { markChainPrecision, pushJmpHistory } from "./precision.ts";
import { type PrintMap, regStateText, regTypeStr, SLOT_TYPE_CHAR, verifierStateText } from "./print.ts";
import { PROG_TYPES_618 } from "./prog_types.ts";
import {
  markRegKnownZero,
  markRegUnknown,
  MEM_RDONLY,
  NOT_INIT,
  PTR_MAYBE_NULL,
  PTR_TO_CTX,
  PTR_TO_MEM,
  RegState,
  SCALAR_VALUE,
} from "./reg.ts";
import { commitStackWriteMarks, resetStackWriteMarks, StackLiveness, updateLiveStack } from "./stack_liveness.ts";
import {
  BPF_MAIN_FUNC,
  BPF_REG_SIZE,
  FuncState,
  initFuncState,
  MAX_CALL_FRAMES,
  STACK_SPILL,
  VerifierState,
} from "./state.ts";
import { exploredAt, isStateVisited, popStack, updateBranchCounts } from "./states.ts";
import { printInsnState, printVerifierState } from "./trace.ts";
import { checkFuncCall as prepareCall, checkMaxStackDepth, prepareFuncExit } from "./calls.ts";
import { checkResourceLeak } from "./refs.ts";

/** The 64-bit value the log prints for the k-th map's `struct bpf_map *` (a fixed fake kernel address). */
export function fakeMapAddress(k: number): bigint {
  return 0xffff888100000000n + 0x1000n * BigInt(k);
}

/** `BPF_CGROUP_INET_EGRESS`, the expected attach type libbpf gives a `cgroup_skb/egress` program. */
export const BPF_CGROUP_INET_EGRESS = 1;

/**
 * `check_return_code`'s range: the program type's, but a cgroup_skb program
 * expected to attach at BPF_CGROUP_INET_EGRESS may return 0-3 (the
 * congestion notification bit).
 */
function retRangeOf(progType: number, expectedAttachType: number): [number, number] | null {
  const info = PROG_TYPES_618[progType];
  if (info?.name === "cgroup_skb" && expectedAttachType === BPF_CGROUP_INET_EGRESS) return [0, 3];
  return info?.retRange ?? null;
}

/** Options of {@link Engine618}. */
export interface Engine618Options {
  /** Program type number. */
  progType: number;
  /** Log level bits (1, 2, 4 = stats). */
  logLevel: number;
  /** `expected_attach_type` of the load (default 0; BPF_CGROUP_INET_EGRESS widens cgroup_skb's return range). */
  expectedAttachType?: number;
  /** Log buffer size (default with logging: 16 MiB). */
  logSize?: number;
  /** State pruning (default true). */
  prune?: boolean;
  /** Processed-instruction budget (default 1,000,000). */
  insnLimit?: number;
  /** Record the path for explain. */
  explain?: boolean;
  /** GPL-compatible license (default true). */
  gpl?: boolean;
  /** Maps by fd: the fd an LD_IMM64 names resolves to a map or an errno. */
  resolveMapFd: (fd: number) => Map618 | "EBADF" | "EINVAL";
  /** Measured verification time to print with `BPF_LOG_STATS` (default: the wall time). */
  clock?: () => number;
  /** BTF func_info/line_info and types passed with the program (as libbpf does for objects built with `-g`). */
  btf?: ProgramBtf;
}

/** A program as the engine reads it. */
export interface Insns618 {
  /** Number of slots. */
  len: number;
  /** Fields of slot i. */
  code(i: number): number;
  /** dst_reg. */
  dst(i: number): number;
  /** src_reg. */
  src(i: number): number;
  /** off. */
  off(i: number): number;
  /** imm. */
  imm(i: number): number;
}

const PH_TOP = 0, PH_EXEC = 1, PH_POP = 2, PH_DONE = 3;
/** `PROCESS_BPF_EXIT`. */
const PROCESS_BPF_EXIT = 1;
export { ENOTMODELLED } from "./env.ts";

/** `__MAX_BPF_PROG_TYPE - 1` of Linux 6.18 (`BPF_PROG_TYPE_NETFILTER`). */
const MAX_PROG_TYPE_618 = 32;

/** The TUI's view of register `r`: its type name (`reg_type_str`) and its text as the log prints it. */
function registerView(r: number, frameno: number, reg: RegState, maps: ReadonlyArray<PrintMap>): RegisterView {
  const typeName = reg.type === NOT_INIT ? "?" : regTypeStr(reg.type);
  return { reg: r, type: reg.type, typeName, text: regStateText(frameno, reg, maps), origin: reg.origin };
}

/**
 * The hidden stack `do_misc_fixups` gives a subprogram that keeps a
 * `may_goto` after the dead-code passes: the x86-64 JIT supports the timed
 * may_goto (since 6.15), so two 8-byte slots (count and timestamp) below the
 * subprogram's own stack. `print_verification_stats` runs after the fixups,
 * so the `stack depth` line of an accepted program includes them.
 * A may_goto survives when both of its successors were seen (else
 * `opt_hard_wire_dead_code_branches` makes it a `ja`) and its offset is not
 * 0 (`opt_remove_nops`).
 */
function mayGotoStackExtra(env: Env, start: number): number {
  const k = env.subprogs.findIndex((sp) => sp.start === start);
  const end = env.subprogs[k + 1]?.start ?? env.len;
  for (let i = start; i < end; i++) {
    if (!isMayGoto(env, i) || !env.seen[i] || env.off[i] === 0) continue;
    if (env.seen[i + 1] && env.seen[i + 1 + env.off[i]]) return MAY_GOTO_STACK_EXTRA;
  }
  return 0;
}

/** `stack_depth_extra` of a timed may_goto (x86-64): count and timestamp. */
const MAY_GOTO_STACK_EXTRA = 16;

/** `is_may_goto_insn_at(env, i)`. */
function isMayGoto(env: Env, i: number): boolean {
  return env.code[i] === 0xe5 && env.src[i] === BPF_MAY_GOTO;
}

/** The 6.18 verifier as a stepping engine. */
export class Engine618 implements Walk {
  /** Number of instruction slots. */
  readonly len: number;
  /** Profile name. */
  readonly profileName = "linux-6.18";
  /** Program type number. */
  readonly progType: number;
  /** Processed-instruction budget. */
  readonly limit: number;
  /** Whether pruning is on. */
  readonly prune: boolean;
  /** Log level. */
  readonly logLevel: number;
  #env: Env;
  readonly #opts: Engine618Options;
  readonly #prog: Insns618;
  #phase = PH_TOP;
  #lastEv = EV_NONE;
  #pc = -1;
  #doPrintState = false;
  #prevInsnIdx = -1;
  #steps = 0;
  #errno: string | null = null;
  #errMsg: string | null = null;
  #errInsn = -1;
  #accepted = false;
  #prunes = 0;
  #matched: VerifierState | null = null;
  #resumedFrom = -1;
  #explain: boolean;
  /** `check_return_code`'s range for the main program's R0 (by program type and expected attach type). */
  #retRange: [number, number] | null;
  #path: BranchDecision[] = [];
  #peakDepth = 0;
  #t0 = 0;
  #note: string | null = null;
  /** The subprogram the current walk started from (0: `do_check_main`). */
  #walkSub = 0;
  /** `do_check_subprogs`: the next subprogram to look at and the global functions verified in this pass. */
  #scan = 1;
  #newCnt = 0;

  /** Prepare a walk; the passes before it run here (a failure makes the first step an error). */
  constructor(prog: Insns618, opts: Engine618Options) {
    this.#prog = prog;
    this.#opts = opts;
    const n = prog.len;
    this.len = n;
    this.progType = opts.progType;
    this.limit = opts.insnLimit ?? BPF_COMPLEXITY_LIMIT_INSNS;
    this.prune = opts.prune ?? true;
    this.logLevel = opts.logLevel;
    this.#explain = opts.explain ?? false;
    this.#retRange = retRangeOf(opts.progType, opts.expectedAttachType ?? 0);
    this.#t0 = (opts.clock ?? (() => performance.now()))();
    const level = opts.logLevel;
    const size = level ? (opts.logSize ?? 16 << 20) : 0;
    const env: Env = {
      len: n,
      code: new Uint8Array(n),
      dst: new Uint8Array(n),
      src: new Uint8Array(n),
      off: new Int16Array(n),
      imm: new Int32Array(n),
      progType: PROG_TYPES_618[opts.progType],
      gpl: opts.gpl ?? true,
      maps: [],
      mapIndex: new Int32Array(n).fill(-1),
      mapOff: new Int32Array(n),
      mapAddr: [],
      prunePoint: new Uint8Array(n),
      jmpPoint: new Uint8Array(n),
      forceCheckpoint: new Uint8Array(n),
      callsCallback: new Uint8Array(n),
      liveRegsBefore: new Uint16Array(n),
      scc: new Int32Array(n),
      ptrType: new Int32Array(n).fill(-1),
      seen: new Uint8Array(n),
      counts: new Int32Array(n),
      subprogs: [],
      subprogCnt: 0,
      postorder: new Int32Array(0),
      curPostorder: 0,
      cur: new VerifierState(),
      head: null,
      stackSize: 0,
      statePool: [],
      pathLen: 0,
      insnIdx: 0,
      prevInsnIdx: -1,
      insnProcessed: 0,
      insnLimit: this.limit,
      jmpsProcessed: 0,
      prevJmpsProcessed: 0,
      prevInsnProcessed: 0,
      totalStates: 0,
      peakStates: 0,
      maxStatesPerInsn: 0,
      exploredStatesSize: 0,
      freeListSize: 0,
      numBackedges: 0,
      explored: new Array(n).fill(null),
      idGen: 0,
      curHistEnt: -1,
      bt: { frame: 0, regMasks: new Array(MAX_CALL_FRAMES).fill(0), stackMasks: new Array(MAX_CALL_FRAMES).fill(0n) },
      fakeReg: [new RegState(), new RegState()],
      prune: this.prune,
      liveness: new StackLiveness(),
      sccVisits: new Map(),
      sccCnt: 0,
      log: new VerifierLog618(level, size),
      scratchedRegs: 0,
      scratchedStack: 0n,
      prevLogPos: 0,
      prevInsnPrintPos: 0,
      linfo: [],
      prevLinfo: -1,
      stateSerial: 0,
      funcInfo: opts.btf?.funcInfo ?? [],
      btfTypes: opts.btf?.types ?? [],
    };
    this.#env = env;
    for (let i = 0; i < n; i++) {
      env.code[i] = prog.code(i);
      env.dst[i] = prog.dst(i);
      env.src[i] = prog.src(i);
      env.off[i] = prog.off(i);
      env.imm[i] = prog.imm(i);
    }
    // bpf_prog_load: these fail before the verifier, with an empty log
    if (n === 0 || n > BPF_COMPLEXITY_LIMIT_INSNS) {
      this.#failLoad(
        E2BIG,
        n === 0
          ? "the program is empty (bpf_prog_load: insn_cnt 0)"
          : `the program has ${n} instructions (at most 1,000,000)`,
      );
      return;
    }
    if (!env.progType) {
      const t = opts.progType;
      if (t > 0 && t <= MAX_PROG_TYPE_618) {
        this.#failLoad(
          ENOTMODELLED,
          `program type ${t} is not modelled by the linux-6.18 profile (it has ${
            Object.values(PROG_TYPES_618).map((p) => p.name).join(", ")
          })`,
        );
      } else {
        this.#failLoad(
          EINVAL,
          `program type ${t} is not a Linux 6.18 program type (bpf_prog_load: EINVAL)${
            // unspec: a raw file, or an asm/JSON one that names no type
            t === 0 ? '; the program names no type: give one with --prog-type, .prog_type or "prog_type"' : ""}`,
        );
      }
      return;
    }
    // bpf_vlog_init
    if ((level & ~BPF_LOG_MASK) || (level === 0 && size !== 0) || (size > 0xffffffff >>> 2)) {
      this.#failLoad(
        EINVAL,
        "bad log parameters: log_level must be a mask of 1, 2, 4 and 8, log_size at most UINT_MAX >> 2 and 0 without a log",
      );
      return;
    }
    if (level && size < 128) {
      // a buffer this small still works in 6.18; keep going
    }
    markVerifierStateClean(env);
    const fi = opts.btf?.funcInfo ?? [], li = opts.btf?.lineInfo ?? [];
    // check_btf_info_early (check_abnormal_return there sees no subprogs yet)
    let err = fi.length ? checkBtfFuncEarly(env, fi) : 0;
    if (!err) err = addSubprogAndKfunc(env);
    if (!err) err = checkSubprogs(env);
    // check_btf_info
    if (!err) err = fi.length || li.length ? checkBtfFunc(env, fi) || checkBtfLine(env, li) : checkAbnormalReturn(env);
    // check_btf_func: func_info_aux[i].linkage
    if (!err) { for (let k = 0; k < fi.length; k++) env.subprogs[k].linkage = fi[k].linkage; }
    if (!err) err = resolvePseudoLdimm64(env, opts.resolveMapFd);
    if (!err) err = checkCfg(env);
    if (err) {
      this.#failEarly(err);
      return;
    }
    computePostorder(env);
    computeScc(env);
    computeLiveRegisters(env);
    // do_check_main: do_check_common(env, 0)
    const st = this.#newWalkState(0);
    if (fi.length && env.btfTypes.length) {
      // the main program's prototype: a mismatch only makes its BTF unreliable
      err = btfPrepareFuncArgs(env, 0);
      if (err === ENOTMODELLED) {
        this.#error(err);
        return;
      }
      const main = env.subprogs[0];
      if (err || main.argCnt !== 1 || main.args[0].argType !== ARG_PTR_TO_CTX) main.unreliable = true;
    }
    const r1 = st.frame[0]!.regs[1];
    r1.type = PTR_TO_CTX;
    markRegKnownZero(r1);
  }

  /** `do_check_common`'s new state: frame 0 of subprogram `sub`, everything scratched, the walk at its start. */
  #newWalkState(sub: number): VerifierState {
    const env = this.#env;
    const st = new VerifierState();
    env.cur = st;
    st.curframe = 0;
    st.branches = 1;
    st.frame[0] = new FuncState();
    initFuncState(st.frame[0], BPF_MAIN_FUNC, 0, sub);
    markVerifierStateScratched(env);
    st.firstInsnIdx = env.subprogs[sub]?.start ?? 0;
    st.lastInsnIdx = -1;
    env.insnIdx = st.firstInsnIdx;
    env.prevLinfo = -1;
    this.#walkSub = sub;
    return st;
  }

  /**
   * The end of a successful walk: `do_check_common`'s log reset, then
   * `do_check_subprogs` starts the next global function's walk (a
   * BRANCH_RESUMED event at its first insn) or the program is accepted.
   */
  #walkDone(): number {
    const env = this.#env;
    if (!(env.log.level & BPF_LOG_LEVEL2)) env.log.reset(0);
    if (this.#walkSub > 0) {
      const k = this.#walkSub;
      if (env.log.level & BPF_LOG_LEVEL) {
        verbose(env, `Func#${k} ('${env.funcInfo[k].name}') is safe for any args that match its prototype\n`);
      }
      env.subprogs[k].verified = true;
      this.#newCnt++;
    }
    while (env.funcInfo.length) {
      for (; this.#scan < env.subprogCnt; this.#scan++) {
        const sp = env.subprogs[this.#scan];
        if (sp.linkage !== BTF_FUNC_GLOBAL || !sp.called || sp.verified) continue;
        return this.#startGlobalWalk(this.#scan++);
      }
      if (!this.#newCnt) break;
      this.#newCnt = 0;
      this.#scan = 1;
    }
    // bpf_check: check_max_stack_depth
    const err = checkMaxStackDepth(env);
    if (err) return this.#error(err);
    this.#phase = PH_DONE;
    this.#accepted = true;
    this.#finish(0);
    return EV_ACCEPTED;
  }

  /** `do_check_common(env, k)` for global function `k`: its registers from its BTF prototype. */
  #startGlobalWalk(k: number): number {
    const env = this.#env;
    // free_states: the explored states and loop visits of the last walk go; the counters stay
    env.explored.fill(null);
    env.sccVisits.clear();
    env.head = null;
    env.stackSize = 0;
    const st = this.#newWalkState(k);
    this.#prevInsnIdx = -1;
    this.#doPrintState = false;
    this.#path = [];
    this.#pc = env.insnIdx;
    this.#resumedFrom = -1;
    verbose(env, `Validating ${env.funcInfo[k].name}() func#${k}...\n`);
    const err = btfPrepareFuncArgs(env, k);
    if (err) return this.#error(err);
    const sub = env.subprogs[k], regs = st.frame[0]!.regs;
    for (let r = 1; r <= sub.argCnt; r++) {
      const arg = sub.args[r - 1], reg = regs[r];
      if (arg.argType === ARG_PTR_TO_CTX) {
        reg.type = PTR_TO_CTX;
        markRegKnownZero(reg);
      } else if (arg.argType === ARG_ANYTHING) {
        reg.type = SCALAR_VALUE;
        markRegUnknown(reg);
      } else if (argIsPtrToMem(arg.argType)) {
        reg.type = PTR_TO_MEM | (arg.argType & (PTR_MAYBE_NULL | MEM_RDONLY));
        markRegKnownZero(reg);
        reg.memSize = arg.memSize;
        if (arg.argType & PTR_MAYBE_NULL) reg.id = ++env.idGen;
      } else return this.#error(EFAULT, `verifier bug: unhandled arg#${r - 1} type ${arg.argType}`);
    }
    this.#phase = PH_TOP;
    return EV_BRANCH_RESUMED;
  }

  /** A failure of `bpf_prog_load` before `bpf_check`: no log at all, a note says why. */
  #failLoad(err: number, note: string): void {
    this.#errno = err === ENOTMODELLED ? "EOPNOTSUPP" : ERRNO_NAMES[-err] ?? `E${-err}`;
    this.#note = note;
    this.#phase = PH_DONE;
    this.#lastEv = EV_ERROR;
  }

  #failEarly(err: number): void {
    this.#errno = ERRNO_NAMES[-err] ?? `E${-err}`;
    this.#errMsg = this.#env.log.lastLine || null;
    this.#phase = PH_DONE;
    this.#lastEv = EV_ERROR;
    this.#finish(err);
  }

  /** print_verification_stats and the log's finalisation. */
  #finish(err: number): void {
    const env = this.#env;
    if (env.log.level) {
      if (env.log.level & BPF_LOG_STATS) {
        const now = (this.#opts.clock ?? (() => performance.now()))();
        verbose(env, `verification time ${Math.max(0, Math.floor((now - this.#t0) * 1000))} usec\n`);
        // on success, opt_remove_dead_code has dropped the subprograms no path reached
        const subs = env.subprogs.slice(0, Math.max(1, env.subprogCnt)).filter((sp, k) => {
          if (err !== 0 || k === 0) return true;
          const end = env.subprogs[k + 1]?.start ?? env.len;
          for (let j = sp.start; j < end; j++) if (env.seen[j]) return true;
          return false;
        });
        verbose(
          env,
          "stack depth " + subs.map((sp) =>
            sp.stackDepth + (err === 0 ? mayGotoStackExtra(env, sp.start) : 0)
          ).join("+") +
            "\n",
        );
      }
      verbose(
        env,
        `processed ${env.insnProcessed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ` +
          `${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0\n`,
      );
    }
    if (env.log.overflowed) {
      this.#errno = "ENOSPC";
      this.#accepted = false;
    }
  }

  // ------------------------------------------------------------------ stepping

  /** Advance by one instruction or event; after the end keeps returning the final event. */
  step(): number {
    this.#steps++;
    try {
      switch (this.#phase) {
        case PH_TOP:
          return (this.#lastEv = this.#top());
        case PH_EXEC:
          return (this.#lastEv = this.#exec());
        case PH_POP:
          return (this.#lastEv = this.#pop());
        default:
          this.#steps--;
          return this.#lastEv;
      }
    } catch (e) {
      if (e instanceof RangeError && /BigInt|Maximum call stack|Invalid array length/.test(String(e.message))) {
        return (this.#lastEv = this.#error(-12, `bpfscope: ${e.message}`));
      }
      throw e;
    }
  }

  /** Run to the end; returns the final event. */
  run(): number {
    let ev = this.#lastEv;
    while (this.#phase !== PH_DONE) ev = this.step();
    return ev;
  }

  /** Nothing to give back (the 6.18 engine allocates per walk). */
  release(): void {}

  #error(err: number, msg?: string): number {
    const env = this.#env;
    if (msg) verbose(env, msg + "\n");
    this.#errno = err === ENOTMODELLED ? "EOPNOTSUPP" : ERRNO_NAMES[-err] ?? `E${-err}`;
    this.#errMsg = env.log.lastLine || null;
    if (err === ENOTMODELLED) this.#note = this.#errMsg;
    this.#errInsn = this.#pc;
    this.#phase = PH_DONE;
    this.#finish(err);
    return EV_ERROR;
  }

  #top(): number {
    const env = this.#env;
    env.curHistEnt = -1;
    env.prevInsnIdx = this.#prevInsnIdx;
    const idx = env.insnIdx;
    this.#pc = idx;
    if (idx >= env.len) return this.#error(EFAULT, `invalid insn idx ${idx} insn_cnt ${env.len}`);
    if (++env.insnProcessed > this.limit) {
      return this.#error(E2BIG, `BPF program is too large. Processed ${env.insnProcessed} insn`);
    }
    env.counts[idx]++;
    const state = env.cur;
    state.lastInsnIdx = env.prevInsnIdx;
    state.insnIdx = idx;
    if (env.prunePoint[idx] && this.prune) {
      const v = isStateVisited(env, idx);
      if (v.ret < 0) return this.#error(v.ret);
      if (v.ret === 1) {
        this.#prunes++;
        this.#matched = v.matched;
        if (env.log.level & BPF_LOG_LEVEL) {
          if (this.#doPrintState) {
            verbose(
              env,
              `\nfrom ${env.prevInsnIdx} to ${idx}${state.speculative ? " (speculative execution)" : ""}: safe\n`,
            );
          } else verbose(env, `${idx}: safe\n`);
        }
        this.#phase = PH_POP;
        return EV_PRUNED;
      }
      if (v.stored) {
        this.#phase = PH_EXEC;
        return EV_STATE_STORED;
      }
    }
    return this.#exec();
  }

  #exec(): number {
    const env = this.#env;
    const idx = env.insnIdx;
    const state = env.cur;
    this.#pc = idx;
    this.#phase = PH_TOP;
    if (env.jmpPoint[idx]) pushJmpHistory(env, state, 0, 0n);
    if ((env.log.level & BPF_LOG_LEVEL2) && this.#doPrintState) {
      verbose(env, `\nfrom ${env.prevInsnIdx} to ${idx}${state.speculative ? " (speculative execution)" : ""}:`);
      printVerifierState(env, state, state.curframe, true);
      this.#doPrintState = false;
    }
    if (env.log.level & BPF_LOG_LEVEL) {
      if (verifierStateScratched(env)) printInsnState(env, state, state.curframe);
      verboseLinfo(env, idx, "; ");
      env.prevLogPos = env.log.endPos;
      verbose(env, `${idx}: ${this.insnText(idx)}\n`);
      env.prevInsnPrintPos = env.log.endPos - env.prevLogPos;
      env.prevLogPos = env.log.endPos;
    }
    env.seen[idx] = 1;
    this.#prevInsnIdx = idx;
    resetStackWriteMarks(env, idx);
    const pushedBefore = env.stackSize;
    const err = this.#doCheckInsn(idx);
    if (err >= 0) commitStackWriteMarks(env);
    if (err < 0) return this.#error(err);
    if (err === PROCESS_BPF_EXIT) {
      this.#phase = PH_POP;
      return EV_INSN;
    }
    if (env.stackSize > pushedBefore) {
      this.#peakDepth = Math.max(this.#peakDepth, env.stackSize);
      // may_goto: the current state takes the jump and the fall-through waits
      if (this.#explain) this.#path.push({ insn: idx, taken: isMayGoto(env, idx) });
      return EV_BRANCH_PUSHED;
    }
    return EV_INSN;
  }

  #pop(): number {
    const env = this.#env;
    this.#matched = null;
    markVerifierStateScratched(env);
    const err = updateBranchCounts(env, env.cur);
    if (err) return this.#error(err);
    updateLiveStack(env);
    const elem = popStack(env, !(env.log.level & BPF_LOG_LEVEL2));
    if (!elem) return this.#walkDone();
    this.#prevInsnIdx = elem.prevInsnIdx;
    env.insnIdx = elem.insnIdx;
    this.#resumedFrom = elem.prevInsnIdx;
    this.#pc = elem.insnIdx;
    this.#doPrintState = true;
    if (this.#explain) {
      this.#path.length = elem.pathLen;
      this.#path.push({ insn: elem.prevInsnIdx, taken: !isMayGoto(env, elem.prevInsnIdx) });
    }
    this.#phase = PH_TOP;
    return EV_BRANCH_RESUMED;
  }

  /** `do_check_insn(env, &do_print_state)`: 0, PROCESS_BPF_EXIT or an error. */
  #doCheckInsn(i: number): number {
    const env = this.#env;
    const code = env.code[i], cls = code & 7;
    let err: number;
    if (cls === 4 || cls === 7) {
      env.pathLen = this.#path.length;
      if ((err = checkAluOp(env, i))) return err;
      this.#setOrigin(env.dst[i], i);
    } else if (cls === 1 || cls === 2 || cls === 3) {
      if ((err = checkMemInsn(env, i))) return err;
      if (cls === 1) this.#setOrigin(env.dst[i], i);
      if (cls === 3 && (code & 0xe0) === 0xc0) {
        env.insnIdx++;
        return 0;
      }
    } else if (cls === 5 || cls === 6) {
      const op = code & 0xf0;
      env.jmpsProcessed++;
      if (op === 0x80) {
        const s = env.src[i];
        if (
          (code & 8) || (s !== 2 && env.off[i] !== 0) || (s !== 0 && s !== 1 && s !== 2) || env.dst[i] !== 0 ||
          cls === 6
        ) {
          verbose(env, "BPF_CALL uses reserved fields\n");
          return EINVAL;
        }
        if (env.cur.activeLocks) {
          verbose(env, "function calls are not allowed while holding a lock\n");
          return EINVAL;
        }
        if (s === 1) {
          err = prepareCall(env, i);
          if (err) return err;
        } else if (s === 2) {
          verbose(env, "bpfscope: kfunc calls are not modelled by the linux-6.18 profile\n");
          return ENOTMODELLED;
        } else {
          err = checkHelperCall(env, i);
          if (err) return err;
        }
        markRegScratched(env, 0);
        for (let r = 0; r <= 5; r++) this.#setOrigin(r, i);
      } else if (op === 0x00) {
        if (
          (code & 8) || env.src[i] !== 0 || env.dst[i] !== 0 || (cls === 5 && env.imm[i] !== 0) ||
          (cls === 6 && env.off[i] !== 0)
        ) {
          verbose(env, "BPF_JA uses reserved fields\n");
          return EINVAL;
        }
        env.insnIdx += (cls === 5 ? env.off[i] : env.imm[i]) + 1;
        return 0;
      } else if (op === 0x90) {
        if ((code & 8) || env.imm[i] !== 0 || env.src[i] !== 0 || env.dst[i] !== 0 || cls === 6) {
          verbose(env, "BPF_EXIT uses reserved fields\n");
          return EINVAL;
        }
        return this.#processBpfExit();
      } else {
        const depth = env.stackSize;
        err = checkCondJmpOp(env, i, this.#path.length);
        if (err) return err;
        if (this.#explain && env.stackSize === depth) this.#path.push({ insn: i, taken: env.insnIdx !== i });
      }
    } else if (cls === 0) {
      const mode = code & 0xe0;
      if (mode === 0x20 || mode === 0x40) {
        if ((err = checkLdAbs(env, i))) return err;
        for (let r = 0; r <= 5; r++) this.#setOrigin(r, i);
      } else if (mode === 0) {
        if ((err = checkLdImm(env, i))) return err;
        this.#setOrigin(env.dst[i], i);
        env.insnIdx++;
        env.seen[i + 1] = 1;
      } else {
        verbose(env, "invalid BPF_LD mode\n");
        return EINVAL;
      }
    } else {
      verbose(env, `unknown insn class ${cls}\n`);
      return EINVAL;
    }
    env.insnIdx++;
    return 0;
  }

  #setOrigin(r: number, i: number): void {
    if (r < 11) this.#env.cur.frame[this.#env.cur.curframe]!.regs[r].origin = i;
  }

  /** `process_bpf_exit_full(env, &do_print_state, false)`. */
  #processBpfExit(): number {
    const env = this.#env;
    const st = env.cur;
    // check_resource_leak(env, false, !curframe, "BPF_EXIT instruction in main prog")
    if (!st.curframe) {
      const err = checkResourceLeak(env, "BPF_EXIT instruction in main prog");
      if (err) return err;
    }
    if (st.curframe) {
      updateLiveStack(env);
      const err = prepareFuncExit(env);
      if (err) return err;
      this.#doPrintState = true;
      return 0;
    }
    // check_return_code(env, BPF_REG_0, "R0")
    let err = checkRegArg(env, 0, SRC_OP);
    if (err) return err;
    if (st.frame[0]!.subprogno) {
      // a global function's walk: it returns a scalar, any value
      const r0 = st.frame[0]!.regs[0];
      if (r0.type !== SCALAR_VALUE) {
        verbose(env, `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0.type)})\n`);
        return EINVAL;
      }
      return PROCESS_BPF_EXIT;
    }
    const range = this.#retRange;
    if (range) {
      const r0 = st.frame[st.curframe]!.regs[0];
      if (r0.type !== SCALAR_VALUE) {
        verbose(env, `At program exit the register R0 is not a known value (${regTypeStr(r0.type)})\n`);
        return EINVAL;
      }
      err = markChainPrecision(env, 0);
      if (err) return err;
      if (!(BigInt(range[0]) <= r0.smin && r0.smax <= BigInt(range[1]))) {
        let msg = "At program exit the register R0 has";
        let unknown = true;
        if (r0.smin > -(1n << 63n)) {
          msg += ` smin=${r0.smin}`;
          unknown = false;
        }
        if (r0.smax < (1n << 63n) - 1n) {
          msg += ` smax=${r0.smax}`;
          unknown = false;
        }
        if (unknown) msg += " unknown scalar value";
        verbose(env, `${msg} should have been in [${range[0]}, ${range[1]}]\n`);
        return EINVAL;
      }
    }
    return PROCESS_BPF_EXIT;
  }

  // ------------------------------------------------------------ accessors

  /** True once the walk ended. */
  get done(): boolean {
    return this.#phase === PH_DONE;
  }
  /** The insn the last event is about. */
  get pc(): number {
    return this.#pc;
  }
  /** The next insn the walk looks at. */
  get nextInsn(): number {
    return this.#env.insnIdx;
  }
  /** The last event code. */
  get lastEvent(): number {
    return this.#lastEv;
  }
  /** For BRANCH_RESUMED: the branching insn. */
  get resumedFrom(): number {
    return this.#resumedFrom;
  }
  /** Pending branches. */
  get pendingDepth(): number {
    return this.#env.stackSize;
  }
  /** Deepest pending stack. */
  get peakPendingDepth(): number {
    return this.#peakDepth;
  }
  /** Pending entry `i` (0 = oldest). */
  pendingAt(i: number): { from: number; to: number } {
    const all: { from: number; to: number }[] = [];
    for (let e = this.#env.head; e; e = e.next) all.push({ from: e.prevInsnIdx, to: e.insnIdx });
    return all[all.length - 1 - i] ?? { from: -1, to: -1 };
  }
  /** Instructions processed. */
  get processed(): number {
    return this.#env.insnProcessed;
  }
  /** `total_states`: states stored. */
  get storedStates(): number {
    return this.#env.totalStates;
  }
  /** `peak_states`. */
  get peakStates(): number {
    return this.#env.peakStates;
  }
  /** `max_states_per_insn`. */
  get maxStatesPerInsn(): number {
    return this.#env.maxStatesPerInsn;
  }
  /** Paths pruned. */
  get prunes(): number {
    return this.#prunes;
  }
  /** Largest stack depth of the main program (`stack depth`). */
  get stackDepth(): number {
    return this.#env.subprogs[0]?.stackDepth ?? 0;
  }
  /** How often insn `i` was processed. */
  insnCount(i: number): number {
    return this.#env.counts[i] ?? 0;
  }
  /** Explored states stored for insn `i`. */
  exploredCount(i: number): number {
    return exploredAt(this.#env, i).length;
  }
  /** Explored state `k` of insn `i` (0 = newest). */
  exploredState(i: number, k: number): StateView | null {
    const s = exploredAt(this.#env, i)[k];
    return s ? this.#view(s) : null;
  }
  /** Whether insn `i` is a pruning point. */
  isPruningPoint(i: number): boolean {
    return this.#env.prunePoint[i] === 1;
  }
  /** Whether slot `i` is the second half of an LD_IMM64. */
  isContinuation(i: number): boolean {
    let k = 0;
    while (k < this.len) {
      if (k === i) return false;
      k += this.#env.code[k] === 0x18 ? 2 : 1;
      if (k - 1 === i && this.#env.code[k - 2] === 0x18) return true;
    }
    return false;
  }
  /** The 6.18 log text of insn `i`. */
  insnText(i: number): string {
    const env = this.#env;
    const m = env.mapIndex[i];
    return kernel618InsnText(
      env.code[i],
      env.dst[i],
      env.src[i],
      env.off[i],
      env.imm[i],
      i + 1 < env.len ? env.imm[i + 1] : 0,
      m >= 0 ? env.mapAddr[m] + BigInt(env.mapOff[i]) : undefined,
    );
  }
  /** The log so far. */
  get log(): string {
    return this.#env.log.text;
  }
  /** `log_true_size`. */
  get logTrueSize(): number {
    return this.#env.log.trueSize;
  }
  /** The current state. */
  state(): StateView {
    const st = this.#env.cur;
    // a program refused at load (before the walk: no type, too long, bad BTF) has no state yet
    if (!st?.frame[st.curframe]) return { regs: [], stack: [], line: "" };
    return this.#view(st);
  }
  /** Register `r` of the current frame. */
  register(r: number): RegisterView {
    const st = this.#env.cur;
    const f = st.frame[st.curframe]!;
    return registerView(r, f.frameno, f.regs[r], this.#env.maps);
  }
  /** On PRUNED: the state matched. */
  matchedState(): StateView | null {
    return this.#matched ? this.#view(this.#matched) : null;
  }
  /** On PRUNED: the index of the matched state in its insn's list. */
  get matchedIndex(): number {
    if (!this.#matched) return -1;
    return exploredAt(this.#env, this.#matched.insnIdx).indexOf(this.#matched);
  }

  #view(st: VerifierState): StateView {
    const f = st.frame[st.curframe]!;
    const maps = this.#env.maps;
    const regs: RegisterView[] = [];
    for (let r = 0; r < 11; r++) {
      if (f.regs[r].type !== NOT_INIT) regs.push(registerView(r, f.frameno, f.regs[r], maps));
    }
    const stack: StackSlotView[] = [];
    for (let k = 0; k < f.allocatedStack / BPF_REG_SIZE; k++) {
      const t = f.stack[k].slotType;
      if (t.every((x) => x === 0)) continue;
      const bytes = Array.from(t).reverse();
      const spill = t[BPF_REG_SIZE - 1] === STACK_SPILL;
      const text = spill
        ? regStateText(f.frameno, f.stack[k].spilled, maps)
        : Array.from(t, (x) => SLOT_TYPE_CHAR[x]).join("");
      stack.push({ off: -(k + 1) * BPF_REG_SIZE, spill, text, bytes });
    }
    const line = verifierStateText(st, st.curframe, true, { regs: 0, stack: 0n }, maps).replace(/\n$/, "");
    return { regs, stack, line };
  }

  // ------------------------------------------------------------ verdict

  /** Accepted (and the log did not overflow). */
  get accepted(): boolean {
    return this.#phase === PH_DONE && this.#accepted && this.#errno === null;
  }
  /** errno name once rejected. */
  get errno(): string | null {
    return this.#errno;
  }
  /** The error message (the last log line of the rejection). */
  get errorMessage(): string | null {
    if (this.#note !== null) return null;
    return this.#errno === "ENOSPC" && this.#accepted ? null : this.#errMsg;
  }
  /** The insn the error is about (-1: before the walk). */
  get errorInsn(): number {
    return this.#errInsn;
  }
  /** The register the error is about, from its message (`R3 ...`), else -1. */
  get errorReg(): number {
    const m = /^R(\d+)\b/.exec(this.#errMsg ?? "");
    return m ? Number(m[1]) : -1;
  }
  /** The insn that last wrote that register (-1: program entry or none). */
  get errorRegOrigin(): number {
    const r = this.errorReg;
    if (r < 0 || r > 10) return -1;
    return this.#env.cur.frame[this.#env.cur.curframe]?.regs[r].origin ?? -1;
  }
  /** The global function the current walk verifies on its own (`f() func#N`), or null for the main program's walk. */
  get globalWalk(): string | null {
    const k = this.#walkSub;
    return k > 0 ? `${this.#env.funcInfo[k]?.name}() func#${k}` : null;
  }
  /** A note when the rejection is bpfscope's (a construct the profile does not model). */
  get note(): string | null {
    return this.#note;
  }
  /** Branch decisions of the current path (explain). */
  path(): BranchDecision[] {
    return this.#path.slice();
  }

  // ------------------------------------------------------------ snapshots

  /** A snapshot (the number of steps taken; restore replays the deterministic walk). */
  snapshot(): EngineSnapshot {
    return { _: { steps: this.#steps } };
  }

  /** Go back (or forward) to a snapshot of this engine's walk. */
  restore(snap: EngineSnapshot): void {
    const steps = (snap._ as { steps: number }).steps;
    const o = new Engine618(this.#prog, { ...this.#opts, clock: () => this.#t0 });
    for (let k = 0; k < steps; k++) o.step();
    this.#env = o.#env;
    this.#phase = o.#phase;
    this.#lastEv = o.#lastEv;
    this.#pc = o.#pc;
    this.#doPrintState = o.#doPrintState;
    this.#prevInsnIdx = o.#prevInsnIdx;
    this.#steps = o.#steps;
    this.#errno = o.#errno;
    this.#errMsg = o.#errMsg;
    this.#errInsn = o.#errInsn;
    this.#accepted = o.#accepted;
    this.#prunes = o.#prunes;
    this.#matched = o.#matched;
    this.#resumedFrom = o.#resumedFrom;
    this.#path = o.#path;
    this.#peakDepth = o.#peakDepth;
    this.#note = o.#note;
    this.#walkSub = o.#walkSub;
    this.#scan = o.#scan;
    this.#newCnt = o.#newCnt;
  }
}
