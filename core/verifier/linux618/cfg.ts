/**
 * The passes of Linux 6.18 before the walk that shape it:
 * `add_subprog_and_kfunc` and `check_subprogs` (bpf-to-bpf call targets and
 * jumps staying inside their subprogram), `check_cfg` (the DFS that marks
 * pruning points, jump-history points and force checkpoints, and rejects
 * unreachable code and jumps out of range; back-edges are allowed for
 * privileged loads), `compute_postorder`, `compute_scc` (Tarjan's SCCs:
 * which insns are in loops) and `bpf_insn_successors`.
 *
 * @module
 */
import { CHANGES_PKT_DATA } from "./helpers.ts";
import {
  BPF_MAX_SUBPROGS,
  E2BIG,
  EINVAL,
  type Env,
  findContainingSubprog,
  findSubprog,
  isHelperCall,
  isLdimm64,
  isPseudoCall,
  type SubprogInfo,
  verbose,
} from "./env.ts";
import { BPF_LOG_LEVEL2 } from "./log.ts";
import { verboseLinfo } from "./linfo.ts";
import { isSyncCallbackCallingHelper } from "./helpers.ts";

/** `bpf_jmp_offset(insn)`: `imm` for `gotol`, else `off`. */
export function jmpOffset(env: Env, i: number): number {
  return env.code[i] === 0x06 ? env.imm[i] : env.off[i];
}

/**
 * `bpf_insn_successors(prog, idx, succ)`: writes the successors of insn
 * `idx` into `succ` and returns how many there are (0..2).
 */
export function insnSuccessors(env: Env, idx: number, succ: Int32Array): number {
  const code = env.code[idx];
  const cls = code & 7;
  let canJump = false, canFall = true;
  if (cls === 5 || cls === 6) {
    const op = code & 0xf0;
    if (op === 0x90) canFall = false; // EXIT
    else if (op === 0x00) {
      canJump = true;
      canFall = false;
    } else if (op !== 0x80) canJump = true; // conditional (CALL: fall through only)
  }
  let n = 0;
  if (canFall) succ[n++] = idx + (isLdimm64(env, idx) ? 2 : 1);
  if (canJump) succ[n++] = idx + jmpOffset(env, idx) + 1;
  return n;
}

function newSubprog(start: number): SubprogInfo {
  return {
    start,
    stackDepth: 0,
    postorderStart: 0,
    hasTailCall: false,
    hasLdAbs: false,
    changesPktData: false,
    mightSleep: false,
    isCb: false,
    isAsyncCb: false,
    linkage: 0,
    unreliable: false,
    called: false,
    verified: false,
    argsCached: false,
    argCnt: 0,
    args: [],
  };
}

/** `add_subprog(env, off)`. */
function addSubprog(env: Env, off: number): number {
  if (off >= env.len || off < 0) {
    verbose(env, "call to invalid destination\n");
    return EINVAL;
  }
  const ret = findSubprog(env, off);
  if (ret >= 0) return ret;
  if (env.subprogCnt >= BPF_MAX_SUBPROGS) {
    verbose(env, "too many subprograms\n");
    return E2BIG;
  }
  const list = env.subprogs.slice(0, env.subprogCnt);
  list.push(newSubprog(off));
  list.sort((a, b) => a.start - b.start);
  env.subprogCnt++;
  env.subprogs = list;
  return env.subprogCnt - 1;
}

/** `add_subprog_and_kfunc(env)` (kfunc calls are not part of this profile). */
export function addSubprogAndKfunc(env: Env): number {
  env.subprogs = [];
  env.subprogCnt = 0;
  let ret = addSubprog(env, 0);
  if (ret) return ret;
  for (let i = 0; i < env.len; i++) {
    const pseudoFunc = env.code[i] === 0x18 && env.src[i] === 4;
    if (!pseudoFunc && !isPseudoCall(env, i)) {
      if (env.code[i] === 0x85 && env.src[i] === 2) {
        verbose(env, "calling kernel functions are not allowed in non-JITed programs\n");
        return EINVAL;
      }
      continue;
    }
    ret = addSubprog(env, i + env.imm[i] + 1);
    if (ret < 0) return ret;
  }
  env.subprogs.push(newSubprog(env.len)); // the fake 'exit' subprog
  if (env.log.level & BPF_LOG_LEVEL2) {
    for (let i = 0; i < env.subprogCnt; i++) verbose(env, `func#${i} @${env.subprogs[i].start}\n`);
  }
  return 0;
}

/**
 * `check_btf_info(env)` of a program without BTF (no `func_info`, as every
 * program the profile takes): `check_abnormal_return`, no subprogram may use
 * LD_ABS/LD_IND or a tail call.
 */
export function checkAbnormalReturn(env: Env): number {
  for (let i = 1; i < env.subprogCnt; i++) {
    if (env.subprogs[i].hasLdAbs) {
      verbose(env, "LD_ABS is not allowed in subprogs without BTF\n");
      return EINVAL;
    }
    if (env.subprogs[i].hasTailCall) {
      verbose(env, "tail_call is not allowed in subprogs without BTF\n");
      return EINVAL;
    }
  }
  return 0;
}

/** `check_subprogs(env)`: every jump stays inside its subprogram; each ends with exit or a jump. */
export function checkSubprogs(env: Env): number {
  let cur = 0;
  let start = env.subprogs[0].start, end = env.subprogs[1].start;
  for (let i = 0; i < env.len; i++) {
    const code = env.code[i], cls = code & 7;
    if (code === 0x85 && env.src[i] === 0 && env.imm[i] === 12) {
      env.subprogs[cur].hasTailCall = true;
    }
    if (cls === 0 && ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40)) env.subprogs[cur].hasLdAbs = true;
    if ((cls === 5 || cls === 6) && (code & 0xf0) !== 0x90 && (code & 0xf0) !== 0x80) {
      const off = i + jmpOffset(env, i) + 1;
      if (off < start || off >= end) {
        verbose(env, `jump out of range from insn ${i} to ${off}\n`);
        return EINVAL;
      }
    }
    if (i === end - 1) {
      if (code !== 0x95 && code !== 0x06 && code !== 0x05) {
        verbose(env, "last insn is not an exit or jmp\n");
        return EINVAL;
      }
      start = end;
      cur++;
      if (cur < env.subprogCnt) end = env.subprogs[cur + 1].start;
    }
  }
  return 0;
}

const DISCOVERED = 0x10, EXPLORED = 0x20, FALLTHROUGH = 1, BRANCH = 2;
const DONE_EXPLORING = 0, KEEP_EXPLORING = 1;

interface CfgWalk {
  state: Int32Array;
  stack: Int32Array;
  sp: number;
}

function markPrunePoint(env: Env, i: number): void {
  env.prunePoint[i] = 1;
}
function markJmpPoint(env: Env, i: number): void {
  env.jmpPoint[i] = 1;
}

/** `push_insn(t, w, e, env)`. */
function pushInsn(env: Env, c: CfgWalk, t: number, w: number, e: number): number {
  if (e === FALLTHROUGH && c.state[t] >= (DISCOVERED | FALLTHROUGH)) return DONE_EXPLORING;
  if (e === BRANCH && c.state[t] >= (DISCOVERED | BRANCH)) return DONE_EXPLORING;
  if (w < 0 || w >= env.len) {
    verboseLinfo(env, t, `${t}: `);
    verbose(env, `jump out of range from insn ${t} to ${w}\n`);
    return EINVAL;
  }
  if (e === BRANCH) {
    markPrunePoint(env, w);
    markJmpPoint(env, w);
  }
  if (c.state[w] === 0) {
    c.state[t] = DISCOVERED | e;
    c.state[w] = DISCOVERED;
    if (c.sp >= env.len) return E2BIG;
    c.stack[c.sp++] = w;
    return KEEP_EXPLORING;
  } else if ((c.state[w] & 0xf0) === DISCOVERED) {
    return DONE_EXPLORING; // a back-edge: allowed for bpf_capable
  } else if (c.state[w] === EXPLORED) {
    c.state[t] = DISCOVERED | e;
  }
  return DONE_EXPLORING;
}

/** `visit_func_call_insn(t, insns, env, visit_callee)`. */
function visitFuncCallInsn(env: Env, c: CfgWalk, t: number, visitCallee: boolean): number {
  const sz = isLdimm64(env, t) ? 2 : 1;
  let ret = pushInsn(env, c, t, t + sz, FALLTHROUGH);
  if (ret) return ret;
  markPrunePoint(env, t + sz);
  markJmpPoint(env, t + sz);
  if (visitCallee) {
    const w = t + env.imm[t] + 1;
    markPrunePoint(env, t);
    const caller = findContainingSubprog(env, t), callee = findContainingSubprog(env, w);
    if (caller >= 0 && callee >= 0) {
      env.subprogs[caller].changesPktData ||= env.subprogs[callee].changesPktData;
      env.subprogs[caller].mightSleep ||= env.subprogs[callee].mightSleep;
    }
    ret = pushInsn(env, c, t, w, BRANCH);
  }
  return ret;
}

/** `visit_insn(t, env)`. */
function visitInsn(env: Env, c: CfgWalk, t: number): number {
  const code = env.code[t], cls = code & 7;
  if (code === 0x18 && env.src[t] === 4) return visitFuncCallInsn(env, c, t, true);
  if (cls !== 5 && cls !== 6) return pushInsn(env, c, t, t + (isLdimm64(env, t) ? 2 : 1), FALLTHROUGH);
  const op = code & 0xf0;
  switch (op) {
    case 0x90:
      return DONE_EXPLORING;
    case 0x80: {
      if (isHelperCall(env, t)) {
        if (isSyncCallbackCallingHelper(env.imm[t])) {
          env.callsCallback[t] = 1;
          env.forceCheckpoint[t] = 1;
          markPrunePoint(env, t);
          markJmpPoint(env, t);
        }
        if (CHANGES_PKT_DATA.has(env.imm[t])) {
          const s = findContainingSubprog(env, t);
          if (s >= 0) env.subprogs[s].changesPktData = true;
        }
      }
      return visitFuncCallInsn(env, c, t, env.src[t] === 1);
    }
    case 0x00: {
      if (code & 8) return EINVAL;
      const off = cls === 5 ? env.off[t] : env.imm[t];
      const ret = pushInsn(env, c, t, t + off + 1, FALLTHROUGH);
      if (ret) return ret;
      markPrunePoint(env, t + off + 1);
      markJmpPoint(env, t + off + 1);
      return ret;
    }
    default: {
      markPrunePoint(env, t);
      if (code === 0xe5 && env.src[t] === 0) env.forceCheckpoint[t] = 1; // may_goto
      const ret = pushInsn(env, c, t, t + 1, FALLTHROUGH);
      if (ret) return ret;
      return pushInsn(env, c, t, t + env.off[t] + 1, BRANCH);
    }
  }
}

/** `check_cfg(env)`. */
export function checkCfg(env: Env): number {
  const n = env.len;
  const c: CfgWalk = { state: new Int32Array(n), stack: new Int32Array(n), sp: 1 };
  c.state[0] = DISCOVERED;
  c.stack[0] = 0;
  while (c.sp > 0) {
    const t = c.stack[c.sp - 1];
    const ret = visitInsn(env, c, t);
    if (ret === DONE_EXPLORING) {
      c.state[t] = EXPLORED;
      c.sp--;
    } else if (ret !== KEEP_EXPLORING) return ret;
  }
  for (let i = 0; i < n; i++) {
    if (c.state[i] !== EXPLORED) {
      verbose(env, `unreachable insn ${i}\n`);
      return EINVAL;
    }
    if (isLdimm64(env, i)) {
      if (c.state[i + 1] !== 0) {
        verbose(env, `jump into the middle of ldimm64 insn ${i}\n`);
        return EINVAL;
      }
      i++;
    }
  }
  return 0;
}

/** `compute_postorder(env)`. */
export function computePostorder(env: Env): void {
  const n = env.len;
  const post = new Int32Array(n), state = new Int32Array(n), stack = new Int32Array(n);
  const succ = new Int32Array(2);
  let cur = 0, i = 0;
  for (; i < env.subprogCnt; i++) {
    env.subprogs[i].postorderStart = cur;
    stack[0] = env.subprogs[i].start;
    let sz = 1;
    do {
      const top = stack[sz - 1];
      state[top] |= DISCOVERED;
      if (state[top] & EXPLORED) {
        post[cur++] = top;
        sz--;
        continue;
      }
      const k = insnSuccessors(env, top, succ);
      for (let s = 0; s < k; s++) {
        if (!state[succ[s]]) {
          stack[sz++] = succ[s];
          state[succ[s]] |= DISCOVERED;
        }
      }
      state[top] |= EXPLORED;
    } while (sz);
  }
  env.subprogs[i].postorderStart = cur;
  env.postorder = post;
  env.curPostorder = cur;
}

/** `compute_scc(env)`: loop membership of every insn (0: none). */
export function computeScc(env: Env): void {
  const n = env.len, NOT_ON_STACK = 0xffffffff;
  const stack = new Int32Array(n), pre = new Float64Array(n), low = new Float64Array(n), dfs = new Int32Array(n);
  const succ = new Int32Array(2);
  let nextPre = 1, nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    let ssz = 0, dsz = 1;
    dfs[0] = i;
    outer: while (dsz) {
      const w = dfs[dsz - 1];
      if (pre[w] === 0) {
        low[w] = nextPre;
        pre[w] = nextPre;
        nextPre++;
        stack[ssz++] = w;
      }
      const k = insnSuccessors(env, w, succ);
      for (let j = 0; j < k; j++) {
        if (pre[succ[j]]) {
          low[w] = Math.min(low[w], low[succ[j]]);
        } else {
          dfs[dsz++] = succ[j];
          continue outer;
        }
      }
      if (low[w] < pre[w]) {
        dsz--;
        continue;
      }
      // a component of two or more insns, a self reference, or (the running 6.18.y kernel) an insn
      // calling a callback: an implicit loop
      let assign = stack[ssz - 1] !== w || env.callsCallback[w] === 1;
      for (let j = 0; j < k; j++) {
        if (succ[j] === w) {
          assign = true;
          break;
        }
      }
      let t: number;
      do {
        t = stack[--ssz];
        low[t] = NOT_ON_STACK;
        if (assign) env.scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dsz--;
    }
  }
  env.sccCnt = nextScc;
}
