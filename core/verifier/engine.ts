/**
 * `do_check` as a stepping engine: {@link VerifierEngine.step} advances the
 * walk by one instruction or event and returns a small event code; read-only
 * accessors expose the state for observers (the TUI, tests, explain).
 * Batch verification (`verify()` in mod.ts) drives the same engine.
 *
 * Event order of one kernel loop iteration at instruction `i`:
 * - at a pruning point: `STATE_STORED` (the state was remembered; the next
 *   step executes `i`) or `PRUNED` (the path ends as safe);
 * - `INSN` (executed), or `BRANCH_PUSHED` (a conditional jump pushed its
 *   target), or `ERROR`;
 * - after EXIT or a prune the next step is `BRANCH_RESUMED` (the most
 *   recently pushed branch is popped) or `ACCEPTED` (none left).
 *
 * Nothing is allocated per step unless logging or explain is on (the state
 * arenas grow by doubling).
 *
 * @module
 */
import { kernelInsnText } from "../asm/kernel.ts";
import { Program } from "../isa/program.ts";
import {
  checkCfg,
  MAP_ADDR_HI,
  MAP_ADDR_LO_BASE,
  MAP_ADDR_STRIDE,
  type MapFdResolver,
  replaceMapFdWithMapPtr,
  type VerifierMap,
} from "./prepass.ts";
import {
  ARG_ANYTHING,
  ARG_CONST_MAP_PTR,
  ARG_CONST_STACK_SIZE,
  ARG_DONTCARE,
  ARG_PTR_TO_MAP_KEY,
  ARG_PTR_TO_MAP_VALUE,
  ARG_PTR_TO_STACK,
  BPF_READ,
  BPF_WRITE,
  type ProgTypeOps,
  RET_INTEGER,
  RET_PTR_TO_MAP_VALUE_OR_NULL,
  RET_VOID,
  type VerifierProfile,
} from "./profiles.ts";
import {
  CONST_IMM,
  CONST_PTR_TO_MAP,
  FRAME_PTR,
  initRegState,
  MASK_OFF,
  MAX_BPF_REG,
  MAX_BPF_STACK,
  NOT_INIT,
  NSLOTS,
  PTR_TO_CTX,
  PTR_TO_MAP_VALUE,
  PTR_TO_MAP_VALUE_OR_NULL,
  PTR_TO_STACK,
  R_HI,
  R_LO,
  R_MAP,
  R_ORIGIN,
  REG_TYPE_STR,
  REG_W,
  regSignature,
  regText,
  SLOT_OFF,
  STACK_INVALID,
  STACK_LO,
  STACK_MISC,
  STACK_SPILL,
  STACK_SPILL_PART,
  STATE_WORDS,
  stateLine,
  statesEqual,
  strictRegMask,
  STYPE_BYTE,
  UNKNOWN_VALUE,
} from "./state.ts";
import { checkLogParams, VerifierLog } from "./log.ts";
import { ExploredIndex, type StateMatcher } from "./explored.ts";

// ---- event codes ----
/** No step taken yet. */
export const EV_NONE = 0;
/** One instruction was executed. */
export const EV_INSN = 1;
/** A conditional jump pushed its branch target on the pending stack. */
export const EV_BRANCH_PUSHED = 2;
/** A path ended and the most recently pushed branch was resumed. */
export const EV_BRANCH_RESUMED = 3;
/** The state at a pruning point was stored in the explored states. */
export const EV_STATE_STORED = 4;
/** The state matched a stored one: the path ends as safe. */
export const EV_PRUNED = 5;
/** The walk (or a pass before it) failed: rejected. */
export const EV_ERROR = 6;
/** No pending branches are left: accepted. */
export const EV_ACCEPTED = 7;

/** Event names by code. */
export const EVENT_NAMES: readonly string[] = [
  "none",
  "insn",
  "branch_pushed",
  "branch_resumed",
  "state_stored",
  "pruned",
  "error",
  "accepted",
];

/**
 * Explored-state lists up to this long are walked as the kernel walks them
 * (with the pre-filter); a longer one is looked up in the instruction's
 * {@link ExploredIndex}. (The index pays for itself from about a dozen
 * states; below that its set-up costs more than the walk.)
 */
const LIST_WALK_MAX = 16;

/** Default processed-instruction budget of 3.18/3.19. */
export const INSN_LIMIT = 32768;
/** Pending-branch limit (`BPF program is too complex` above it). */
export const PENDING_LIMIT = 1024;
/** The syscall refuses `insn_cnt >= 4096` (`BPF_MAXINSNS`). */
const MAXINSNS_318 = 4096;

const GPL_LICENSES = ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"];

/** Resolved engine options. */
export interface EngineOptions {
  /** The kernel profile. */
  profile: VerifierProfile;
  /** Program type number (default: the program's). */
  progType?: number;
  /** Log level (0: off). */
  logLevel?: number;
  /** Log buffer size (default when logging: `UINT_MAX >> 8`). */
  logSize?: number;
  /** State pruning (default true). */
  prune?: boolean;
  /** Processed-instruction budget (default 32768). */
  insnLimit?: number;
  /** Record the path for explain (default false). */
  explain?: boolean;
  /**
   * Look up matching explored states in the index of `explored.ts` when an
   * instruction holds more than 16 states (true, the default), more than
   * `n` (a number; 0: always), or never (false: walk the instruction's list
   * as the kernel does, with an exact pre-filter). All find the same state.
   */
  exploredIndex?: boolean | number;
  /** Map fd resolver (required when the program loads map fds). */
  resolveMapFd: MapFdResolver;
}

/** One branch decision on the current path. */
export interface BranchDecision {
  /** Index of the conditional jump. */
  insn: number;
  /** True when the jump was taken, false for the fall-through. */
  taken: boolean;
}

/** A register as observers see it. */
export interface RegisterView {
  /** Register number. */
  reg: number;
  /** Type code (NOT_INIT .. CONST_IMM). */
  type: number;
  /** Type log name (`inv`, `fp`, ...). */
  typeName: string;
  /** Log text after `R<n>=` (`fp-8`, `imm0`, `map_value(ks=8,vs=8)`). */
  text: string;
  /** The insn that gave the register its current type (-1: program entry). */
  origin: number;
}

/** A stack slot (8 bytes) in use. */
export interface StackSlotView {
  /** Offset of the slot from the frame pointer (-512 .. -8). */
  off: number;
  /** True when it holds a spilled register. */
  spill: boolean;
  /** Spilled register type name, or `misc` / `misc?` (partly written) / `corrupt`. */
  text: string;
  /** Slot type of each byte (STACK_*), 8 entries, lowest address first. */
  bytes: number[];
}

/** A state as observers see it. */
export interface StateView {
  /** Initialised registers, R0..R10. */
  regs: RegisterView[];
  /** Stack slots in use, highest offset (fp-8) first. */
  stack: StackSlotView[];
  /** The state line the kernel would print (without the trailing newline). */
  line: string;
}

/** Opaque snapshot of a walk. */
export interface EngineSnapshot {
  /** @internal */
  readonly _: unknown;
}

const PH_TOP = 0;
const PH_EXEC = 1;
const PH_POP = 2;
const PH_DONE = 3;

const SIZE_BYTES = [4, 2, 1, 8];

/** One spare explored-states arena, reused by the next walk after {@link VerifierEngine.release}. */
let arenaPool: Int32Array<ArrayBuffer> | null = null;
/** One spare pending-stack arena. */
let pendPool: Int32Array<ArrayBuffer> | null = null;

/** The stepping verifier. */
export class VerifierEngine {
  /** Number of instruction slots. */
  readonly len: number;
  /** The profile. */
  readonly profile: VerifierProfile;
  /** Program type number. */
  readonly progType: number;
  /** Processed-instruction budget. */
  readonly limit: number;
  /** Whether pruning is on. */
  readonly prune: boolean;
  /** Log level (0: no log text is built). */
  readonly logLevel: number;
  /** Maps referenced by the program (order of first reference). */
  maps: VerifierMap[] = [];

  // decoded program (imm patched by the map pre-pass)
  #code: Uint8Array;
  #dst: Uint8Array;
  #src: Uint8Array;
  #off: Int16Array;
  #imm: Int32Array;
  #mapAt: Int32Array;
  #patched: Program | null = null;
  #orig: Program;
  #ops: ProgTypeOps | null;
  #gpl: boolean;
  #slotModel: boolean;

  // current state
  #cur = new Int32Array(STATE_WORDS);
  #curB: Uint8Array;
  // explored states (arena, append only)
  #ex = new Int32Array(0);
  #exB = new Uint8Array(0);
  #exNext = new Int32Array(0);
  #exInsn = new Int32Array(0);
  #exCount = 0;
  #head: Int32Array;
  #perInsn: Int32Array;
  #maxPerInsn = 0;
  #mark: Uint8Array;
  /** Explored-state lists up to this long are walked, longer ones looked up in the {@link ExploredIndex}. */
  #listWalkMax: number;
  /** The index (taken when a list first grows past `#listWalkMax`). */
  #index: ExploredIndex | null = null;
  /** The number of explored states when the index was last brought up to date. */
  #indexSync = 0;
  /** `states_equal(explored state k, cur)`, for the index. */
  #equalsCur: StateMatcher;
  // pending stack
  #pend = new Int32Array(0);
  #pendInsn = new Int32Array(0);
  #pendPrev = new Int32Array(0);
  #pendPath = new Int32Array(0);
  #depth = 0;
  #peakDepth = 0;
  // walk
  #phase = PH_TOP;
  #idx = 0;
  #prev = 0;
  #printState = false;
  #processed = 0;
  #prunes = 0;
  #counts: Int32Array;
  #pc = -1;
  #lastEv = EV_NONE;
  #matched = -1;
  /** Per explored state: strict register mask, register signature, written-slot mask (pre-filter). */
  #exSig = new Int32Array(0);
  #callMap = -1;
  // log
  #log: VerifierLog | null = null;
  // verdict
  #errno: string | null = null;
  #errMsg: string | null = null;
  #errInsn = -1;
  #errReg = -1;
  #errOrigin = -1;
  #accepted = false;
  // explain
  #explain: boolean;
  #pathInsn: number[] = [];
  #pathTaken: boolean[] = [];

  /**
   * Prepare a walk: the syscall checks (length, program type), the log
   * parameters, the map-fd pre-pass and check_cfg run here; a failure there
   * makes the first `step()` return `EV_ERROR`.
   */
  constructor(program: Program, opts: EngineOptions) {
    const n = program.len;
    this.len = n;
    this.profile = opts.profile;
    this.progType = opts.progType ?? program.progType;
    this.limit = opts.insnLimit ?? INSN_LIMIT;
    this.prune = opts.prune ?? true;
    this.#explain = opts.explain ?? false;
    this.#orig = program;
    this.#ops = this.profile.progTypes[this.progType] ?? null;
    this.#gpl = GPL_LICENSES.includes(program.license);
    this.#slotModel = this.profile.slotStack;
    this.#curB = new Uint8Array(this.#cur.buffer);
    this.#code = new Uint8Array(n);
    this.#dst = new Uint8Array(n);
    this.#src = new Uint8Array(n);
    this.#off = new Int16Array(n);
    this.#imm = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.#code[i] = program.code(i);
      this.#dst[i] = program.dst(i);
      this.#src[i] = program.src(i);
      this.#off[i] = program.off(i);
      this.#imm[i] = program.imm(i);
    }
    this.#mapAt = new Int32Array(n).fill(-1);
    this.#head = new Int32Array(n).fill(-1);
    this.#perInsn = new Int32Array(n);
    this.#counts = new Int32Array(n);
    this.#mark = new Uint8Array(n);
    const ix = opts.exploredIndex ?? true;
    this.#listWalkMax = ix === true ? LIST_WALK_MAX : ix === false ? Infinity : ix;
    this.#equalsCur = (k) =>
      statesEqual(this.#ex, k * STATE_WORDS, this.#cur, 0, this.#slotModel, this.#exB, this.#curB);
    const level = opts.logLevel ?? 0;
    let size = opts.logSize ?? 0;
    if (level > 0 && opts.logSize === undefined) size = 0xffffffff >>> 8;
    this.logLevel = level;
    initRegState(this.#cur);

    // bpf_prog_load: insn_cnt, prog type; bpf_check: len 0, log parameters
    if (n >= MAXINSNS_318) {
      this.#failEarly("EINVAL", "");
      return;
    }
    if (!this.#ops) {
      this.#failEarly("EINVAL", "");
      return;
    }
    if (n === 0) {
      this.#failEarly("E2BIG", "");
      return;
    }
    if (checkLogParams(level, size, level !== 0 || size !== 0) !== null) {
      this.#failEarly("EINVAL", "");
      return;
    }
    if (level > 0) this.#log = new VerifierLog(size);

    const mp = replaceMapFdWithMapPtr(n, this.#code, this.#dst, this.#src, this.#off, this.#imm, opts.resolveMapFd);
    if ("errno" in mp) {
      this.#failEarly(mp.errno, mp.msg);
      return;
    }
    this.maps = mp.maps;
    this.#mapAt = mp.mapAt;
    const cfg = checkCfg(n, this.#code, this.#off);
    if ("errno" in cfg) {
      this.#failEarly(cfg.errno, cfg.msg);
      return;
    }
    this.#mark = cfg;
  }

  #failEarly(errno: string, msg: string): void {
    this.#errno = errno;
    this.#errMsg = msg ? msg.slice(0, -1) : null;
    if (msg) this.#log?.append(msg);
    this.#phase = PH_DONE;
    this.#lastEv = EV_ERROR;
    this.#finish();
  }

  #finish(): void {
    if (this.#log && this.#log.full) {
      this.#errno = "ENOSPC";
      this.#accepted = false;
    }
  }

  // ------------------------------------------------------------------ stepping

  /** Advance by one instruction or event; after the end keeps returning the final event. */
  step(): number {
    switch (this.#phase) {
      case PH_TOP: {
        const idx = this.#idx;
        this.#pc = idx;
        if (idx >= this.len) return this.#err("EFAULT", `invalid insn idx ${idx} insn_cnt ${this.len}`);
        if (++this.#processed > this.limit) {
          return this.#err("E2BIG", `BPF program is too large. Proccessed ${this.#processed} insn`);
        }
        this.#counts[idx]++;
        if (this.prune && this.#mark[idx] !== 0) {
          if (this.#isStateVisited(idx)) {
            this.#prunes++;
            if (this.#log) {
              if (this.#printState) this.#log.append(`\nfrom ${this.#prev} to ${idx}: safe\n`);
              else this.#log.append(`${idx}: safe\n`);
            }
            this.#phase = PH_POP;
            return (this.#lastEv = EV_PRUNED);
          }
          this.#phase = PH_EXEC;
          return (this.#lastEv = EV_STATE_STORED);
        }
        return (this.#lastEv = this.#exec());
      }
      case PH_EXEC:
        return (this.#lastEv = this.#exec());
      case PH_POP: {
        this.#matched = -1;
        if (this.#depth === 0) {
          this.#phase = PH_DONE;
          this.#accepted = true;
          this.#finish();
          return (this.#lastEv = this.#accepted ? EV_ACCEPTED : EV_ERROR);
        }
        const d = --this.#depth;
        this.#cur.set(this.#pend.subarray(d * STATE_WORDS, (d + 1) * STATE_WORDS));
        this.#idx = this.#pendInsn[d];
        this.#prev = this.#pendPrev[d];
        this.#pc = this.#idx;
        this.#printState = true;
        if (this.#explain) {
          this.#pathInsn.length = this.#pendPath[d];
          this.#pathTaken.length = this.#pendPath[d];
          this.#pathInsn.push(this.#prev);
          this.#pathTaken.push(true);
        }
        this.#phase = PH_TOP;
        return (this.#lastEv = EV_BRANCH_RESUMED);
      }
      default:
        return this.#lastEv;
    }
  }

  /**
   * Give the explored-states arena back for reuse by the next engine (batch
   * verification calls this once it has read the results). Accessors about
   * explored states must not be used afterwards.
   */
  release(): void {
    if (!arenaPool || arenaPool.length < this.#ex.length) arenaPool = this.#ex;
    if (!pendPool || pendPool.length < this.#pend.length) pendPool = this.#pend;
    this.#pend = new Int32Array(0);
    this.#pendInsn = new Int32Array(0);
    this.#pendPrev = new Int32Array(0);
    this.#pendPath = new Int32Array(0);
    this.#depth = 0;
    this.#ex = new Int32Array(0);
    this.#exB = new Uint8Array(0);
    this.#exNext = new Int32Array(0);
    this.#exSig = new Int32Array(0);
    this.#exCount = 0;
    this.#head.fill(-1);
    this.#index?.release();
    this.#index = null;
  }

  /** Run to the end; returns the final event (EV_ACCEPTED or EV_ERROR). */
  run(): number {
    let ev = this.#lastEv;
    while (this.#phase !== PH_DONE) ev = this.step();
    return ev;
  }

  #err(errno: string, msg: string, reg = -1): number {
    this.#errno = errno;
    this.#errMsg = msg || null;
    this.#errInsn = this.#pc;
    this.#errReg = reg;
    this.#errOrigin = reg >= 0 && reg < MAX_BPF_REG ? this.#cur[reg * REG_W + R_ORIGIN] : -1;
    if (msg) this.#log?.append(msg + "\n");
    this.#phase = PH_DONE;
    this.#finish();
    return (this.#lastEv = EV_ERROR);
  }

  // ------------------------------------------------------------ explored states

  #isStateVisited(idx: number): boolean {
    if (this.#perInsn[idx] > this.#listWalkMax) {
      const index = this.#index ??= ExploredIndex.acquire(this.len);
      // restored to another snapshot since the index was last brought up to date: its states may be gone
      if (this.#indexSync !== this.#exCount) index.reset();
      if (!index.has(idx)) {
        // the insn's states, oldest first
        const list: number[] = [];
        for (let k = this.#head[idx]; k >= 0; k = this.#exNext[k]) list.push(k);
        for (let j = list.length - 1; j >= 0; j--) index.add(idx, list[j], this.#ex, list[j] * STATE_WORDS);
      }
      this.#indexSync = this.#exCount;
      const k = index.find(idx, this.#cur, this.#equalsCur);
      if (k >= 0) {
        this.#matched = k;
        return true;
      }
    } else if (this.#listWalk(idx)) return true;
    this.#store(idx);
    return false;
  }

  /**
   * The kernel's walk of the explored list of `idx`, head first, with an
   * exact pre-filter: old's strictly compared registers (neither NOT_INIT
   * nor inv) must hash alike in cur, and old's written stack slots must be
   * written in cur. The filter words sit in a compact side array (4 words
   * per state), so rejected states cost no cache miss on the 2 KB state
   * itself; cur's hash is recomputed only when the strict mask changes along
   * the list.
   */
  #listWalk(idx: number): boolean {
    const cur = this.#cur, curB = this.#curB, ex = this.#ex, exB = this.#exB, slot = this.#slotModel;
    const sig = this.#exSig;
    const cm0 = cur[MASK_OFF], cm1 = cur[MASK_OFF + 1];
    let lastMask = -1, lastHash = 0;
    for (let k = this.#head[idx]; k >= 0; k = this.#exNext[k]) {
      const q = k << 2, m = sig[q];
      if (m !== lastMask) {
        lastMask = m;
        lastHash = regSignature(cur, 0, m);
      }
      if (sig[q + 1] !== lastHash || (sig[q + 2] & ~cm0) !== 0 || (sig[q + 3] & ~cm1) !== 0) continue;
      if (statesEqual(ex, k * STATE_WORDS, cur, 0, slot, exB, curB)) {
        this.#matched = k;
        return true;
      }
    }
    return false;
  }

  /** Store the current state in the explored states of `idx` (at the head of its list). */
  #store(idx: number): void {
    const cur = this.#cur;
    const k = this.#exCount;
    if (k === this.#exNext.length) {
      let cap = Math.max(8, k * 2);
      const pooled = arenaPool;
      const ex2 = pooled && pooled.length >= cap * STATE_WORDS ? pooled : new Int32Array(cap * STATE_WORDS);
      if (ex2 === pooled) arenaPool = null;
      cap = ex2.length / STATE_WORDS;
      ex2.set(this.#ex);
      this.#ex = ex2;
      this.#exB = new Uint8Array(ex2.buffer);
      const nx = new Int32Array(cap);
      nx.set(this.#exNext);
      this.#exNext = nx;
      const ins = new Int32Array(cap);
      ins.set(this.#exInsn);
      this.#exInsn = ins;
      const sg = new Int32Array(cap * 4);
      sg.set(this.#exSig);
      this.#exSig = sg;
    }
    this.#ex.set(cur, k * STATE_WORDS);
    const sm = strictRegMask(cur, 0), q = k << 2;
    this.#exSig[q] = sm;
    this.#exSig[q + 1] = regSignature(cur, 0, sm);
    this.#exSig[q + 2] = cur[MASK_OFF];
    this.#exSig[q + 3] = cur[MASK_OFF + 1];
    // the index stays up to date with the arena: it holds this state when it holds the insn's others
    if (this.#index !== null && this.#indexSync === k) {
      if (this.#index.has(idx)) this.#index.add(idx, k, this.#ex, k * STATE_WORDS);
      this.#indexSync = k + 1;
    }
    this.#exNext[k] = this.#head[idx];
    this.#exInsn[k] = idx;
    this.#head[idx] = k;
    this.#exCount = k + 1;
    const c = ++this.#perInsn[idx];
    if (c > this.#maxPerInsn) this.#maxPerInsn = c;
  }

  // ------------------------------------------------------------ pending stack

  /** push_stack; returns the word offset of the pushed copy in #pend, or -1 (too complex). */
  #pushStack(insnIdx: number, prev: number): number {
    const d = this.#depth;
    if (d === this.#pendInsn.length) {
      let cap = Math.max(4, d * 2);
      const pooled = pendPool;
      const p2 = pooled && pooled.length >= cap * STATE_WORDS ? pooled : new Int32Array(cap * STATE_WORDS);
      if (p2 === pooled) pendPool = null;
      cap = p2.length / STATE_WORDS;
      p2.set(this.#pend);
      this.#pend = p2;
      const a = new Int32Array(cap), b = new Int32Array(cap), c = new Int32Array(cap);
      a.set(this.#pendInsn);
      b.set(this.#pendPrev);
      c.set(this.#pendPath);
      this.#pendInsn = a;
      this.#pendPrev = b;
      this.#pendPath = c;
    }
    this.#pend.set(this.#cur, d * STATE_WORDS);
    this.#pendInsn[d] = insnIdx;
    this.#pendPrev[d] = prev;
    this.#pendPath[d] = this.#explain ? this.#pathInsn.length : 0;
    this.#depth = d + 1;
    if (this.#depth > this.#peakDepth) this.#peakDepth = this.#depth;
    if (this.#depth > PENDING_LIMIT) {
      this.#log?.append("BPF program is too complex\n");
      this.#depth = 0;
      return -1;
    }
    return d * STATE_WORDS;
  }

  // ------------------------------------------------------------ registers

  #markUnknown(r: number): void {
    const s = this.#cur, o = r * REG_W;
    s[o] = UNKNOWN_VALUE;
    s[o + R_LO] = 0;
    s[o + R_HI] = 0;
    s[o + R_MAP] = -1;
    s[o + R_ORIGIN] = this.#pc;
  }

  /** check_reg_arg(SRC_OP): 0 or EV_ERROR. */
  #srcOp(r: number): number {
    if (r >= MAX_BPF_REG) return this.#err("EINVAL", `R${r} is invalid`);
    if (this.#cur[r * REG_W] === NOT_INIT) return this.#err("EACCES", `R${r} !read_ok`, r);
    return 0;
  }

  /** check_reg_arg(DST_OP / DST_OP_NO_MARK): 0 or EV_ERROR. */
  #dstOp(r: number, mark: boolean): number {
    if (r >= MAX_BPF_REG) return this.#err("EINVAL", `R${r} is invalid`);
    if (r === 10) return this.#err("EACCES", "frame pointer is read only");
    if (mark) this.#markUnknown(r);
    return 0;
  }

  // ------------------------------------------------------------ exec

  #exec(): number {
    const idx = this.#idx;
    const code = this.#code[idx];
    const cls = code & 0x07;
    this.#pc = idx;
    this.#phase = PH_TOP;
    if (this.#log) {
      if (this.#printState) {
        this.#log.append(`\nfrom ${this.#prev} to ${idx}:` + stateLine(this.#cur, 0, this.#curB, this.maps));
        this.#printState = false;
      }
      this.#log.append(`${idx}: ${this.insnText(idx)}\n`);
    }
    let e: number;
    switch (cls) {
      case 0x04:
      case 0x07:
        if ((e = this.#checkAluOp(idx, code)) !== 0) return e;
        break;
      case 0x01: {
        // LDX
        if ((code & 0xe0) !== 0x60 || this.#imm[idx] !== 0) return this.#err("EINVAL", "BPF_LDX uses reserved fields");
        if ((e = this.#srcOp(this.#src[idx])) !== 0) return e;
        if ((e = this.#dstOp(this.#dst[idx], false)) !== 0) return e;
        if ((e = this.#checkMemAccess(this.#src[idx], this.#off[idx], code & 0x18, BPF_READ, this.#dst[idx])) !== 0) {
          return e;
        }
        break;
      }
      case 0x03: {
        const mode = code & 0xe0;
        if (mode === 0xc0) {
          // check_xadd
          const sz = code & 0x18;
          if ((sz !== 0x00 && sz !== 0x18) || this.#imm[idx] !== 0) {
            return this.#err("EINVAL", "BPF_XADD uses reserved fields");
          }
          if ((e = this.#srcOp(this.#src[idx])) !== 0) return e;
          if ((e = this.#srcOp(this.#dst[idx])) !== 0) return e;
          if ((e = this.#checkMemAccess(this.#dst[idx], this.#off[idx], sz, BPF_READ, -1)) !== 0) return e;
          if ((e = this.#checkMemAccess(this.#dst[idx], this.#off[idx], sz, BPF_WRITE, -1)) !== 0) return e;
          break;
        }
        if (mode !== 0x60 || this.#imm[idx] !== 0) return this.#err("EINVAL", "BPF_STX uses reserved fields");
        if ((e = this.#srcOp(this.#src[idx])) !== 0) return e;
        if ((e = this.#srcOp(this.#dst[idx])) !== 0) return e;
        if ((e = this.#checkMemAccess(this.#dst[idx], this.#off[idx], code & 0x18, BPF_WRITE, this.#src[idx])) !== 0) {
          return e;
        }
        break;
      }
      case 0x02:
        if ((code & 0xe0) !== 0x60 || this.#src[idx] !== 0) return this.#err("EINVAL", "BPF_ST uses reserved fields");
        if ((e = this.#srcOp(this.#dst[idx])) !== 0) return e;
        if ((e = this.#checkMemAccess(this.#dst[idx], this.#off[idx], code & 0x18, BPF_WRITE, -1)) !== 0) return e;
        break;
      case 0x05: {
        const op = code & 0xf0;
        const x = code & 0x08, d = this.#dst[idx], s = this.#src[idx];
        if (op === 0x80) {
          if (x !== 0 || this.#off[idx] !== 0 || s !== 0 || d !== 0) {
            return this.#err("EINVAL", "BPF_CALL uses reserved fields");
          }
          if ((e = this.#checkCall(this.#imm[idx])) !== 0) return e;
        } else if (op === 0x00) {
          if (x !== 0 || this.#imm[idx] !== 0 || s !== 0 || d !== 0) {
            return this.#err("EINVAL", "BPF_JA uses reserved fields");
          }
          this.#idx = idx + this.#off[idx] + 1;
          return EV_INSN;
        } else if (op === 0x90) {
          if (x !== 0 || this.#imm[idx] !== 0 || s !== 0 || d !== 0) {
            return this.#err("EINVAL", "BPF_EXIT uses reserved fields");
          }
          if ((e = this.#srcOp(0)) !== 0) return e;
          this.#phase = PH_POP;
          return EV_INSN;
        } else {
          return this.#checkCondJmpOp(idx, code);
        }
        break;
      }
      case 0x00: {
        const mode = code & 0xe0;
        if (mode === 0x20 || mode === 0x40) {
          if ((e = this.#checkLdAbs(idx, mode)) !== 0) return e;
        } else if (mode === 0x00) {
          if ((e = this.#checkLdImm(idx, code)) !== 0) return e;
          this.#idx = idx + 2;
          return EV_INSN;
        } else {
          return this.#err("EINVAL", "invalid BPF_LD mode");
        }
        break;
      }
      default:
        return this.#err("EINVAL", `unknown insn class ${cls}`);
    }
    this.#idx = idx + 1;
    return EV_INSN;
  }

  #checkAluOp(idx: number, code: number): number {
    const op = code & 0xf0, x = code & 0x08;
    const d = this.#dst[idx], sr = this.#src[idx], off = this.#off[idx], imm = this.#imm[idx];
    const s = this.#cur;
    let e: number;
    if (op === 0xd0 || op === 0x80) {
      if (op === 0x80) {
        if (x !== 0 || sr !== 0 || off !== 0 || imm !== 0) return this.#err("EINVAL", "BPF_NEG uses reserved fields");
      } else if (sr !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64)) {
        return this.#err("EINVAL", "BPF_END uses reserved fields");
      }
      if ((e = this.#srcOp(d)) !== 0) return e;
      return this.#dstOp(d, true);
    }
    if (op === 0xb0) {
      if (x) {
        if (imm !== 0 || off !== 0) return this.#err("EINVAL", "BPF_MOV uses reserved fields");
        if ((e = this.#srcOp(sr)) !== 0) return e;
      } else if (sr !== 0 || off !== 0) {
        return this.#err("EINVAL", "BPF_MOV uses reserved fields");
      }
      if ((e = this.#dstOp(d, true)) !== 0) return e;
      const o = d * REG_W;
      if (x) {
        if ((code & 0x07) === 0x07) {
          // R1 = R2: copy the whole register (after DST_OP marked dst unknown)
          s.copyWithin(o, sr * REG_W, sr * REG_W + REG_W);
        }
      } else {
        s[o] = CONST_IMM;
        s[o + R_LO] = imm;
      }
      return 0;
    }
    if (op > 0xd0) return this.#err("EINVAL", `invalid BPF_ALU opcode ${op.toString(16)}`);
    if (x) {
      if (imm !== 0 || off !== 0) return this.#err("EINVAL", "BPF_ALU uses reserved fields");
      if ((e = this.#srcOp(sr)) !== 0) return e;
    } else if (sr !== 0 || off !== 0) {
      return this.#err("EINVAL", "BPF_ALU uses reserved fields");
    }
    if ((e = this.#srcOp(d)) !== 0) return e;
    if ((op === 0x90 || op === 0x30) && x === 0 && imm === 0) return this.#err("EINVAL", "div by zero");
    const stackRel = op === 0x00 && (code & 0x07) === 0x07 && s[d * REG_W] === FRAME_PTR && x === 0;
    if ((e = this.#dstOp(d, true)) !== 0) return e;
    if (stackRel) {
      s[d * REG_W] = PTR_TO_STACK;
      s[d * REG_W + R_LO] = imm;
    }
    return 0;
  }

  #checkMemAccess(regno: number, off: number, sizeCode: number, t: number, valueRegno: number): number {
    const size = SIZE_BYTES[sizeCode >> 3];
    const s = this.#cur;
    if (off % size !== 0) return this.#err("EACCES", `misaligned access off ${off} size ${size}`, regno);
    const type = s[regno * REG_W];
    if (type === PTR_TO_MAP_VALUE) {
      const m = this.maps[s[regno * REG_W + R_MAP]];
      if (off < 0 || off + size > m.valueSize) {
        return this.#err(
          "EACCES",
          `invalid access to map value, value_size=${m.valueSize | 0} off=${off} size=${size}`,
          regno,
        );
      }
      if (t === BPF_READ && valueRegno >= 0) this.#markUnknown(valueRegno);
      return 0;
    }
    if (type === PTR_TO_CTX) {
      if (!this.#ops!.isValidAccess(off, size, t)) {
        return this.#err("EACCES", `invalid bpf_context access off=${off} size=${size}`, regno);
      }
      if (t === BPF_READ && valueRegno >= 0) this.#markUnknown(valueRegno);
      return 0;
    }
    if (type === FRAME_PTR) {
      if (off >= 0 || off < -MAX_BPF_STACK) return this.#err("EACCES", `invalid stack off=${off} size=${size}`, regno);
      return t === BPF_WRITE ? this.#stackWrite(off, size, valueRegno) : this.#stackRead(off, size, valueRegno);
    }
    return this.#err("EACCES", `R${regno} invalid mem access '${REG_TYPE_STR[type]}'`, regno);
  }

  #stackWrite(off: number, size: number, valueRegno: number): number {
    const s = this.#cur, b = this.#curB;
    const base = STYPE_BYTE + MAX_BPF_STACK + off;
    const vt = valueRegno >= 0 ? s[valueRegno * REG_W] : NOT_INIT;
    const k = ((MAX_BPF_STACK + off) / 8) | 0;
    const so = SLOT_OFF + k * REG_W;
    if (MAX_BPF_STACK + off < s[STACK_LO]) s[STACK_LO] = MAX_BPF_STACK + off;
    s[MASK_OFF + (k >> 5)] |= 1 << (k & 31);
    if (vt === PTR_TO_MAP_VALUE || vt === PTR_TO_STACK || vt === PTR_TO_CTX) {
      if (size !== 8) return this.#err("EACCES", "invalid size of register spill");
      s.copyWithin(so, valueRegno * REG_W, valueRegno * REG_W + REG_W);
      if (this.#slotModel) {
        for (let i = 0; i < 8; i++) b[base + i] = STACK_SPILL;
      } else {
        b[base] = STACK_SPILL;
        for (let i = 1; i < 8; i++) b[base + i] = STACK_SPILL_PART;
      }
      return 0;
    }
    if (this.#slotModel) {
      s[so] = 0;
      s[so + R_LO] = 0;
      s[so + R_HI] = 0;
      s[so + R_MAP] = -1;
      s[so + R_ORIGIN] = -1;
    }
    for (let i = 0; i < size; i++) b[base + i] = STACK_MISC;
    return 0;
  }

  #stackRead(off: number, size: number, valueRegno: number): number {
    const s = this.#cur, b = this.#curB;
    const base = STYPE_BYTE + MAX_BPF_STACK + off;
    if (b[base] === STACK_SPILL) {
      if (size !== 8) return this.#err("EACCES", "invalid size of register spill");
      const part = this.#slotModel ? STACK_SPILL : STACK_SPILL_PART;
      for (let i = 1; i < 8; i++) if (b[base + i] !== part) return this.#err("EACCES", "corrupted spill memory");
      if (valueRegno >= 0) {
        const so = SLOT_OFF + ((MAX_BPF_STACK + off) >> 3) * REG_W;
        s.copyWithin(valueRegno * REG_W, so, so + REG_W);
      }
      return 0;
    }
    for (let i = 0; i < size; i++) {
      if (b[base + i] !== STACK_MISC) {
        return this.#err("EACCES", `invalid read from stack off ${off}+${i} size ${size}`);
      }
    }
    if (valueRegno >= 0) this.#markUnknown(valueRegno);
    return 0;
  }

  #checkCall(funcId: number): number {
    if (funcId < 0 || funcId >= this.profile.funcMaxId) return this.#err("EINVAL", `invalid func ${funcId}`);
    const fn = this.#ops!.getFuncProto(funcId);
    if (!fn) return this.#err("EINVAL", `unknown func ${funcId}`);
    if (!this.#gpl && fn.gplOnly) return this.#err("EINVAL", "cannot call GPL only function from proprietary program");
    this.#callMap = -1;
    let e: number;
    for (let i = 0; i < 5; i++) if ((e = this.#checkFuncArg(i + 1, fn.args[i])) !== 0) return e;
    const s = this.#cur;
    for (let r = 0; r <= 5; r++) {
      s[r * REG_W] = NOT_INIT;
      s[r * REG_W + R_LO] = 0;
      s[r * REG_W + R_ORIGIN] = this.#pc;
    }
    if (fn.ret === RET_INTEGER) {
      s[0] = UNKNOWN_VALUE;
    } else if (fn.ret === RET_VOID) {
      s[0] = NOT_INIT;
    } else if (fn.ret === RET_PTR_TO_MAP_VALUE_OR_NULL) {
      s[0] = PTR_TO_MAP_VALUE_OR_NULL;
      if (this.#callMap < 0) return this.#err("EINVAL", "kernel subsystem misconfigured verifier");
      s[R_LO] = (MAP_ADDR_LO_BASE + this.#callMap * MAP_ADDR_STRIDE) | 0;
      s[R_HI] = MAP_ADDR_HI;
      s[R_MAP] = this.#callMap;
    } else {
      return this.#err("EINVAL", `unknown return type ${fn.ret} of func ${funcId}`);
    }
    return 0;
  }

  #checkFuncArg(regno: number, argType: number): number {
    if (argType === ARG_DONTCARE) return 0;
    const s = this.#cur, o = regno * REG_W;
    if (s[o] === NOT_INIT) return this.#err("EACCES", `R${regno} !read_ok`, regno);
    if (argType === ARG_ANYTHING) return 0;
    let expected: number;
    if (argType === ARG_PTR_TO_STACK || argType === ARG_PTR_TO_MAP_KEY || argType === ARG_PTR_TO_MAP_VALUE) {
      expected = PTR_TO_STACK;
    } else if (argType === ARG_CONST_STACK_SIZE) expected = CONST_IMM;
    else if (argType === ARG_CONST_MAP_PTR) expected = CONST_PTR_TO_MAP;
    else return this.#err("EFAULT", `unsupported arg_type ${argType}`);
    if (s[o] !== expected) {
      return this.#err("EACCES", `R${regno} type=${REG_TYPE_STR[s[o]]} expected=${REG_TYPE_STR[expected]}`, regno);
    }
    if (argType === ARG_CONST_MAP_PTR) {
      this.#callMap = s[o + R_MAP];
    } else if (argType === ARG_PTR_TO_MAP_KEY) {
      if (this.#callMap < 0) return this.#err("EACCES", "invalid map_ptr to access map->key");
      return this.#checkStackBoundary(regno, this.maps[this.#callMap].keySize | 0); // (int) u32
    } else if (argType === ARG_PTR_TO_MAP_VALUE) {
      if (this.#callMap < 0) return this.#err("EACCES", "invalid map_ptr to access map->value");
      return this.#checkStackBoundary(regno, this.maps[this.#callMap].valueSize | 0);
    } else if (argType === ARG_CONST_STACK_SIZE) {
      if (regno === 1) return this.#err("EACCES", "ARG_CONST_STACK_SIZE cannot be first argument");
      return this.#checkStackBoundary(regno - 1, s[o + R_LO]);
    }
    return 0;
  }

  #checkStackBoundary(regno: number, size: number): number {
    const s = this.#cur, o = regno * REG_W;
    if (s[o] !== PTR_TO_STACK) return this.#err("EACCES", "", regno);
    const off = s[o + R_LO];
    if (off >= 0 || off < -MAX_BPF_STACK || off + size > 0 || size <= 0) {
      return this.#err("EACCES", `invalid stack type R${regno} off=${off} access_size=${size}`, regno);
    }
    const b = this.#curB, base = STYPE_BYTE + MAX_BPF_STACK + off;
    for (let i = 0; i < size; i++) {
      if (b[base + i] !== STACK_MISC) {
        return this.#err("EACCES", `invalid indirect read from stack off ${off}+${i} size ${size}`, regno);
      }
    }
    return 0;
  }

  #checkCondJmpOp(idx: number, code: number): number {
    const op = code & 0xf0, x = code & 0x08;
    const d = this.#dst[idx], imm = this.#imm[idx], off = this.#off[idx];
    let e: number;
    if (op > 0x90) return this.#err("EINVAL", `invalid BPF_JMP opcode ${op.toString(16)}`);
    if (x) {
      if (imm !== 0) return this.#err("EINVAL", "BPF_JMP uses reserved fields");
      if ((e = this.#srcOp(this.#src[idx])) !== 0) return e;
    } else if (this.#src[idx] !== 0) {
      return this.#err("EINVAL", "BPF_JMP uses reserved fields");
    }
    if ((e = this.#srcOp(d)) !== 0) return e;
    const s = this.#cur, o = d * REG_W;
    const eqne = x === 0 && (op === 0x10 || op === 0x50);
    if (eqne && s[o] === CONST_IMM && s[o + R_LO] === imm) {
      // constant shortcut: follow one side, push nothing, print nothing
      if (this.#explain) {
        this.#pathInsn.push(idx);
        this.#pathTaken.push(op === 0x10);
      }
      this.#idx = op === 0x10 ? idx + off + 1 : idx + 1;
      return EV_INSN;
    }
    if (this.#explain) {
      // the pushed branch remembers the path so far; this path continues with the fall-through
    }
    const ob = this.#pushStack(idx + off + 1, idx);
    if (ob < 0) {
      this.#errno = "EFAULT";
      this.#errMsg = "BPF program is too complex";
      this.#errInsn = idx;
      this.#phase = PH_DONE;
      this.#finish();
      return EV_ERROR;
    }
    if (this.#explain) {
      this.#pathInsn.push(idx);
      this.#pathTaken.push(false);
    }
    const p = this.#pend;
    if (eqne && imm === 0 && s[o] === PTR_TO_MAP_VALUE_OR_NULL) {
      if (op === 0x10) {
        s[o] = PTR_TO_MAP_VALUE;
        p[ob + o] = CONST_IMM;
        p[ob + o + R_LO] = 0;
      } else {
        p[ob + o] = PTR_TO_MAP_VALUE;
        s[o] = CONST_IMM;
        s[o + R_LO] = 0;
      }
      s[o + R_ORIGIN] = idx;
      p[ob + o + R_ORIGIN] = idx;
    } else if (eqne) {
      if (op === 0x10) {
        p[ob + o] = CONST_IMM;
        p[ob + o + R_LO] = imm;
        p[ob + o + R_ORIGIN] = idx;
      } else {
        s[o] = CONST_IMM;
        s[o + R_LO] = imm;
        s[o + R_ORIGIN] = idx;
      }
    }
    this.#log?.append(stateLine(s, 0, this.#curB, this.maps));
    this.#idx = idx + 1;
    return EV_BRANCH_PUSHED;
  }

  #checkLdImm(idx: number, code: number): number {
    if ((code & 0x18) !== 0x18) return this.#err("EINVAL", "invalid BPF_LD_IMM insn");
    if (this.#off[idx] !== 0) return this.#err("EINVAL", "BPF_LD_IMM64 uses reserved fields");
    const d = this.#dst[idx];
    let e: number;
    if ((e = this.#dstOp(d, true)) !== 0) return e;
    if (this.#src[idx] === 0) return 0;
    const s = this.#cur, o = d * REG_W;
    s[o] = CONST_PTR_TO_MAP;
    s[o + R_LO] = this.#imm[idx];
    s[o + R_HI] = this.#imm[idx + 1];
    s[o + R_MAP] = this.#mapAt[idx];
    return 0;
  }

  #checkLdAbs(idx: number, mode: number): number {
    if (!this.profile.hasLdAbs) return this.#err("EINVAL", "LD_ABS is not supported yet");
    if (!this.#ops!.ldAbs) return this.#err("EINVAL", "BPF_LD_ABS|IND instructions are only allowed in socket filters");
    if (this.#dst[idx] !== 0 || this.#off[idx] !== 0 || (mode === 0x20 && this.#src[idx] !== 0)) {
      return this.#err("EINVAL", "BPF_LD_ABS uses reserved fields");
    }
    let e: number;
    if ((e = this.#srcOp(6)) !== 0) return e;
    const s = this.#cur;
    if (s[6 * REG_W] !== PTR_TO_CTX) {
      return this.#err("EINVAL", "at the time of BPF_LD_ABS|IND R6 != pointer to skb", 6);
    }
    if (mode === 0x40 && (e = this.#srcOp(this.#src[idx])) !== 0) return e;
    for (let r = 0; r <= 5; r++) {
      s[r * REG_W] = NOT_INIT;
      s[r * REG_W + R_LO] = 0;
      s[r * REG_W + R_ORIGIN] = idx;
    }
    s[0] = UNKNOWN_VALUE;
    return 0;
  }

  // ------------------------------------------------------------ accessors

  /** True once the walk ended. */
  get done(): boolean {
    return this.#phase === PH_DONE;
  }
  /** The insn the last event is about (-1 before the first step). */
  get pc(): number {
    return this.#pc;
  }
  /** The next insn the walk will look at. */
  get nextInsn(): number {
    return this.#idx;
  }
  /** The last event code. */
  get lastEvent(): number {
    return this.#lastEv;
  }
  /** For BRANCH_RESUMED: the branching insn (`from`). */
  get resumedFrom(): number {
    return this.#prev;
  }
  /** Pending branches. */
  get pendingDepth(): number {
    return this.#depth;
  }
  /** Peak pending depth. */
  get peakPendingDepth(): number {
    return this.#peakDepth;
  }
  /** Pending entry `i` (0 = oldest): the branching insn and the target. */
  pendingAt(i: number): { from: number; to: number } {
    return { from: this.#pendPrev[i], to: this.#pendInsn[i] };
  }
  /** Instructions processed (counted against the limit). */
  get processed(): number {
    return this.#processed;
  }
  /** States stored at pruning points. */
  get storedStates(): number {
    return this.#exCount;
  }
  /** Largest number of states stored for one insn. */
  get maxStatesPerInsn(): number {
    return this.#maxPerInsn;
  }
  /** Paths pruned. */
  get prunes(): number {
    return this.#prunes;
  }
  /** How many times insn `i` was processed. */
  insnCount(i: number): number {
    return this.#counts[i] ?? 0;
  }
  /** Number of explored states stored for insn `i`. */
  exploredCount(i: number): number {
    return this.#perInsn[i] ?? 0;
  }
  /** Explored state `k` of insn `i` (0 = most recently stored, the head of the list). */
  exploredState(i: number, k: number): StateView | null {
    let e = this.#head[i] ?? -1;
    for (let j = 0; j < k && e >= 0; j++) e = this.#exNext[e];
    return e >= 0 ? this.#view(this.#ex, e * STATE_WORDS, this.#exB) : null;
  }
  /** Whether insn `i` is a pruning point (from check_cfg). */
  isPruningPoint(i: number): boolean {
    return this.#mark[i] === 1;
  }
  /** Whether slot `i` is the second half of an LD_IMM64. */
  isContinuation(i: number): boolean {
    return i > 0 && this.#code[i - 1] === 0x18 && (i < 2 || !this.isContinuation(i - 1));
  }
  /** Kernel 3.18 log text of insn `i` (with the map address patched in, as the kernel prints it). */
  insnText(i: number): string {
    if (!this.#patched) {
      const p = new Program(this.#orig.bytes.slice(), { progType: this.progType });
      for (let k = 0; k < this.len; k++) if (this.#mapAt[k] >= 0 || this.#mapAt[k - 1] >= 0) p.setImm(k, this.#imm[k]);
      this.#patched = p;
    }
    return kernelInsnText(this.#patched, i);
  }
  /** The log so far ("" when logging is off). */
  get log(): string {
    return this.#log?.text ?? "";
  }
  /** The current state. */
  state(): StateView {
    return this.#view(this.#cur, 0, this.#curB);
  }
  /** Register `r` of the current state. */
  register(r: number): RegisterView {
    const o = r * REG_W, s = this.#cur;
    return {
      reg: r,
      type: s[o],
      typeName: REG_TYPE_STR[s[o]],
      text: regText(s, o, this.maps),
      origin: s[o + R_ORIGIN],
    };
  }
  /** On PRUNED: the stored state the current one matched (else null). */
  matchedState(): StateView | null {
    return this.#matched >= 0 ? this.#view(this.#ex, this.#matched * STATE_WORDS, this.#exB) : null;
  }
  /** On PRUNED: the index of the matched state in the explored list of the insn (0 = head), else -1. */
  get matchedIndex(): number {
    if (this.#matched < 0) return -1;
    let j = 0;
    for (let e = this.#head[this.#exInsn[this.#matched]]; e >= 0 && e !== this.#matched; e = this.#exNext[e]) j++;
    return j;
  }

  #view(s: Int32Array, o: number, bytes: Uint8Array): StateView {
    const regs: RegisterView[] = [];
    for (let r = 0; r < MAX_BPF_REG; r++) {
      const ro = o + r * REG_W;
      if (s[ro] === NOT_INIT) continue;
      regs.push({
        reg: r,
        type: s[ro],
        typeName: REG_TYPE_STR[s[ro]],
        text: regText(s, ro, this.maps),
        origin: s[ro + R_ORIGIN],
      });
    }
    const stack: StackSlotView[] = [];
    const bo = (o * 4) + STYPE_BYTE;
    for (let k = NSLOTS - 1; k >= 0; k--) {
      const types: number[] = [];
      let used = false;
      for (let i = 0; i < 8; i++) {
        const t = bytes[bo + k * 8 + i];
        types.push(t);
        if (t !== STACK_INVALID) used = true;
      }
      if (!used) continue;
      const spill = types[0] === STACK_SPILL;
      let text: string;
      if (spill) text = REG_TYPE_STR[s[o + SLOT_OFF + k * REG_W]];
      else if (types.every((t) => t === STACK_MISC)) text = "misc";
      else if (types.some((t) => t === STACK_SPILL || t === STACK_SPILL_PART)) text = "corrupt";
      else text = "misc?";
      stack.push({ off: k * 8 - MAX_BPF_STACK, spill, text, bytes: types });
    }
    return { regs, stack, line: stateLine(s, o, bytes, this.maps).slice(0, -1) };
  }

  // ------------------------------------------------------------ verdict

  /** Whether the walk ended with acceptance (and the log did not overflow). */
  get accepted(): boolean {
    return this.#phase === PH_DONE && this.#accepted && this.#errno === null;
  }
  /** errno name once rejected, else null. */
  get errno(): string | null {
    return this.#errno;
  }
  /** The error message (without newline), or null (accepted, or a failure the kernel does not print). */
  get errorMessage(): string | null {
    return this.#errno === "ENOSPC" && this.#accepted ? null : this.#errMsg;
  }
  /** The insn the error is about (-1: a pass before the walk, or accepted). */
  get errorInsn(): number {
    return this.#errInsn;
  }
  /** The register the error is about (-1 if none). */
  get errorReg(): number {
    return this.#errReg;
  }
  /** The insn that gave the offending register its type (-1: program entry or none). */
  get errorRegOrigin(): number {
    return this.#errOrigin;
  }
  /** The branch decisions of the current (failing) path; empty unless `explain` was on. */
  path(): BranchDecision[] {
    return this.#pathInsn.map((insn, i) => ({ insn, taken: this.#pathTaken[i] }));
  }

  // ------------------------------------------------------------ snapshots

  /** A copy of the whole walk state (cost: O(len + pending depth × state size)). */
  snapshot(): EngineSnapshot {
    const d = this.#depth;
    return {
      _: {
        cur: this.#cur.slice(),
        pend: this.#pend.slice(0, d * STATE_WORDS),
        pendInsn: this.#pendInsn.slice(0, d),
        pendPrev: this.#pendPrev.slice(0, d),
        pendPath: this.#pendPath.slice(0, d),
        depth: d,
        peakDepth: this.#peakDepth,
        exCount: this.#exCount,
        head: this.#head.slice(),
        perInsn: this.#perInsn.slice(),
        maxPerInsn: this.#maxPerInsn,
        counts: this.#counts.slice(),
        scalars: [
          this.#phase,
          this.#idx,
          this.#prev,
          this.#printState ? 1 : 0,
          this.#processed,
          this.#prunes,
          this.#pc,
          this.#lastEv,
          this.#matched,
          this.#errInsn,
          this.#errReg,
          this.#errOrigin,
          this.#accepted ? 1 : 0,
        ],
        errno: this.#errno,
        errMsg: this.#errMsg,
        log: this.#log?.text ?? "",
        pathInsn: this.#pathInsn.slice(),
        pathTaken: this.#pathTaken.slice(),
      },
    };
  }

  /** Go back to a snapshot taken from this engine. */
  restore(snap: EngineSnapshot): void {
    // deno-lint-ignore no-explicit-any
    const x = snap._ as any;
    this.#cur.set(x.cur);
    const d: number = x.depth;
    if (this.#pendInsn.length < d) {
      this.#pend = new Int32Array(d * STATE_WORDS);
      this.#pendInsn = new Int32Array(d);
      this.#pendPrev = new Int32Array(d);
      this.#pendPath = new Int32Array(d);
    }
    this.#pend.set(x.pend);
    this.#pendInsn.set(x.pendInsn);
    this.#pendPrev.set(x.pendPrev);
    this.#pendPath.set(x.pendPath);
    this.#depth = d;
    this.#peakDepth = x.peakDepth;
    this.#exCount = x.exCount;
    this.#head.set(x.head);
    this.#perInsn.set(x.perInsn);
    this.#maxPerInsn = x.maxPerInsn;
    this.#counts.set(x.counts);
    const sc: number[] = x.scalars;
    [this.#phase, this.#idx, this.#prev] = [sc[0], sc[1], sc[2]];
    this.#printState = sc[3] === 1;
    [this.#processed, this.#prunes, this.#pc, this.#lastEv, this.#matched] = [sc[4], sc[5], sc[6], sc[7], sc[8]];
    [this.#errInsn, this.#errReg, this.#errOrigin] = [sc[9], sc[10], sc[11]];
    this.#accepted = sc[12] === 1;
    this.#errno = x.errno;
    this.#errMsg = x.errMsg;
    if (this.#log) this.#log.text = x.log;
    this.#pathInsn = x.pathInsn.slice();
    this.#pathTaken = x.pathTaken.slice();
  }
}
