/**
 * eBPF → WebAssembly: the JIT's wasm tier, a drop-in for the structured
 * JavaScript function `fast` (see codegen.ts), built when the control flow
 * nests ({@link structuredFunctions}).
 *
 * ## Shape
 * One function `fast(budget: i32) -> i32` (instructions run) over eleven
 * i64 locals r0..r10 with native 64- and 32-bit arithmetic. The structure
 * is the JavaScript form's: a loop region is a wasm `loop`, a forward region
 * a `block`, a back edge `br` to the loop, a forward jump `br` out of the
 * block; local calls are inlined inside a `block` their exits leave, between
 * a save and a restore of r6..r10. The whole body sits in a `block` that
 * every way out of the run leaves (exit, fault, budget hand-over), after
 * which the registers are stored.
 *
 * ## Memory (see {@link WASM_LAYOUT})
 * The wasm memory holds the register file the tier exchanges with
 * JavaScript, the hand-over state, a table of regions, the eight stack
 * frames and the copies of a run's ctx, packet and memory-buffer input: the
 * engine's region objects view those bytes, so helpers and the wasm code
 * share them. A load or store computes its 64-bit address, takes the region
 * id from the high word and, for ids 0..10 (stack frames, ctx, packet,
 * memory buffer), its base in wasm memory and length from the table: in
 * bounds, the access is one wasm load or store at base + low word. Any other
 * address (a map value, a region outside wasm memory, an address out of
 * bounds) goes to the instruction's *escape*. A block with a block guard
 * (guards.ts: one test of its base pointers at its start) has only the
 * guarded copy, with store forwarding and dead stores as in the JavaScript
 * form; when the guard fails, control goes to the JavaScript `precise` at
 * that block, as for the budget.
 *
 * ## Escapes
 * An instruction the tier does not compile itself (a helper call, LD_ABS /
 * LD_IND, atomics, a converted ctx load, `linux-3.18` divisions) or a memory
 * access outside the table runs through the import `exec(insn, depth)`: the
 * wasm code stores the registers, the JavaScript form's code for that one
 * instruction (codegen.ts, `escapes`) runs on them with the interpreter's
 * checks and fault messages, and the registers are loaded back. Its status:
 * 0 go on, 1 the run stops there (fault, tail call, `ret0`), 2 return from
 * the subprogram (a tail call made in one).
 *
 * ## Budget
 * As in `fast`: an i32 countdown, check points with look-ahead
 * ({@link lookahead}); when the budget may run out before the next check
 * point, the registers and the frames of the inlined calls in progress are
 * stored and control goes to the JavaScript `precise` at the same block,
 * depth and count. A stop at the j-th instruction of a block gives back the
 * instructions it did not run, so counts are exact.
 *
 * @module
 */
import {
  BAD,
  BE16,
  BE32,
  BE64,
  CALL_LOCAL,
  type Decoded,
  LE16,
  LE32,
  LE64,
  MAY_GOTO,
  MOVSX32_16,
  MOVSX32_8,
  MOVSX64_16,
  MOVSX64_32,
  MOVSX64_8,
  OOB,
  SDIV32,
  SDIV64,
  SMOD32,
  SMOD64,
} from "../vm/decode.ts";
import { FRAME_SIZE, MAX_FRAMES, REGION_HI_BASE } from "../vm/memory.ts";
import { accessOf, type GuardPlan, planGuard } from "./guards.ts";
import { constHi, constLo, isConstSource, knownSources, PTR_STACK } from "./sources.ts";
import { basicBlocks, type Block, isJump, isTerminator, type StructuredFn, structuredFunctions } from "./structure.ts";
import { FuncBody, I32, I64, Op, wasmModule } from "./wasm_encode.ts";

/** Byte offsets of the fixed parts of the tier's wasm memory. */
export const WASM_LAYOUT = {
  /** r0..r10 as little-endian i64 (registers exchanged with JavaScript at entry, exit and escapes). */
  REGS: 0,
  /**
   * i32: how the last call of `fast` ended: 0 exit, 1 stop (pc in PC), 2 hand-over to `precise` (the budget), 3 fell
   * off, 4 hand-over to `precise` (a block guard failed).
   */
  STATUS: 96,
  /** i32: the pc of a stop. */
  PC: 100,
  /** i32: the block `precise` resumes at. */
  RESUME_AT: 104,
  /** i32: the call depth it resumes at. */
  RESUME_DEPTH: 108,
  /** i32 × 88: the saved r6..r10 (lo, hi) and return block of each call in progress (the `frames` of codegen.ts). */
  FRAMES: 128,
  /** i32 × 8: the may_goto budget of each frame in progress (copied from and back to `R.mg` around a run). */
  MAYGOTO: 480,
  /** i32: the budget a call starts with (`R.mgBudget`). */
  MAYGOTO_BUDGET: 112,
  /** Per region id 0..10: i32 base in wasm memory, i32 length (0: not in wasm memory). */
  TABLE: 512,
  /** Region ids in the table (stack frames 0..7, ctx, packet, memory buffer). */
  TABLE_IDS: 11,
  /** The ctx a packet run without one gets (192 bytes). */
  SKB: 768,
  /** Stack frames 0..7, 512 bytes each. */
  STACK: 1024,
  /** Where a run's input copies start. */
  INPUT: 1024 + MAX_FRAMES * FRAME_SIZE,
} as const;

/** A compiled wasm tier: the module's bytes and the instructions it escapes to JavaScript for. */
export interface WasmProgram {
  /** The module (imports `env.mem`, `env.exec`, `env.bad`; exports `fast`). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Instructions run through the `exec` import (their JavaScript code is generated with the `precise` form). */
  escapes: number[];
  /** Deepest inlined call (stack frames 1..this may be written by the wasm code). */
  maxDepth: number;
  /** Whether the program has a may_goto (its budgets are exchanged with JavaScript around a run, see `MAYGOTO`). */
  mayGoto?: boolean;
}

const L = WASM_LAYOUT;
const IMPORT_EXEC = 0, IMPORT_BAD = 1;

/** Generate the wasm tier of `d`; null when its control flow does not nest (the JavaScript forms run it). */
export function generateWasm(d: Decoded, opts: { legacy: boolean }): WasmProgram | null {
  const blocks = basicBlocks(d);
  const fns = structuredFunctions(d, blocks);
  if (fns === null) return null;
  const known = knownSources(d, blocks);
  const f = new FuncBody(1);
  const BUDGET = 0;
  const reg = Array.from({ length: 11 }, () => f.local(I64));
  const left = f.local(I32), t = f.local(I64), ea = f.local(I32), id = f.local(I32), st = f.local(I32);
  // the entry region (where r1 pointed at entry, when it is in wasm memory): its first address, length (-1: none)
  // and base in wasm memory, for the block guards
  const eStart = f.local(I64), eLen = f.local(I64), eBase = f.local(I32), t2 = f.local(I64);
  // in a subprogram's block guard: the wasm address of the frame each tested stack base points into (i32 locals)
  const frameOf = new Map<number, number>(), frameLocal: number[] = [];
  const escapes = new Set<number>();
  let maxDepth = 0, inlined = 0;

  // control labels: every open block, loop and if, innermost last
  const labels: string[] = [];
  const open = (kind: number, label = "", type: number = 0x40) => {
    f.op(kind, type);
    labels.push(label);
  };
  const end = () => {
    f.op(Op.end);
    labels.pop();
  };
  const depthOf = (label: string): number => {
    const k = labels.lastIndexOf(label);
    if (k < 0) throw new Error(`jit: wasm label ${label} is not open`);
    return labels.length - 1 - k;
  };
  const br = (label: string, cond = false) => f.br(depthOf(label), cond);

  const i32store = (addr: number, push: () => void) => {
    f.i32(0);
    push();
    f.mem(Op.i32_store, 2, addr);
  };
  const storeRegs = () => {
    for (let r = 0; r < 11; r++) f.i32(0).get(reg[r]).mem(Op.i64_store, 3, L.REGS + 8 * r);
  };
  const loadRegs = () => {
    for (let r = 0; r < 11; r++) f.i32(0).mem(Op.i64_load, 3, L.REGS + 8 * r).set(reg[r]);
  };

  const isConst = (i: number) => isConstSource(d, known, i);
  /** Push the 64-bit source operand of i. */
  const src64 = (i: number) => (isConst(i) ? f.i64(constHi(d, known, i), constLo(d, known, i)) : f.get(reg[d.src[i]]));
  /** Push the low 32 bits of the source operand. */
  const src32 = (i: number) => (isConst(i) ? f.i32(constLo(d, known, i)) : f.get(reg[d.src[i]]).op(Op.i32_wrap_i64));
  const dst32 = (i: number) => f.get(reg[d.dst[i]]).op(Op.i32_wrap_i64);
  const setDst32 = (i: number) => f.op(Op.i64_extend_i32_u).set(reg[d.dst[i]]);

  /** A stop at the j-th instruction (insn i) of a block of `len`: give back, record the pc, leave the run. */
  const stop = (j: number, len: number, i: number) => {
    if (len - j - 1 > 0) f.get(left).i32(len - j - 1).op(Op.i32_add).set(left);
    i32store(L.PC, () => f.i32(i));
    i32store(L.STATUS, () => f.i32(1));
    br("run");
  };

  /** Run insn i through the `exec` import (see "Escapes"). */
  const escape = (i: number, j: number, len: number, depth: number, callee: string | null) => {
    escapes.add(i);
    storeRegs();
    f.i32(i).i32(depth).call(IMPORT_EXEC).set(st);
    loadRegs();
    entryRegion(); // a helper may have moved the packet's end
    f.get(st);
    open(Op.if);
    if (callee === null) stop(j, len, i);
    else {
      f.get(st).i32(1).op(Op.i32_eq);
      open(Op.if);
      stop(j, len, i);
      end();
      // 2: the subprogram returns (a tail call made in it ran)
      if (len - j - 1 > 0) f.get(left).i32(len - j - 1).op(Op.i32_add).set(left);
      br(callee);
    }
    end();
  };

  /** A 64-bit shift/op helper: dst = dst <op> src. */
  const alu64 = (i: number, op: number) => {
    f.get(reg[d.dst[i]]);
    src64(i);
    f.op(op).set(reg[d.dst[i]]);
  };
  const alu32 = (i: number, op: number) => {
    dst32(i);
    src32(i);
    f.op(op);
    setDst32(i);
  };
  /** bswap of the i32 on the stack. */
  const bswap32 = () => {
    const x = ea;
    f.tee(x).i32(8).op(Op.i32_rotr).i32(0xff00ff00 | 0).op(Op.i32_and);
    f.get(x).i32(8).op(Op.i32_rotl).i32(0x00ff00ff).op(Op.i32_and).op(Op.i32_or);
  };

  /** Unsigned or signed division / modulo with the eBPF rules (x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN). */
  const divmod = (i: number, wide: boolean, signed: boolean, isDiv: boolean) => {
    const r = reg[d.dst[i]];
    const [eqz, div, rem, eq, sub] = wide
      ? [Op.i64_eqz, signed ? Op.i64_div_s : Op.i64_div_u, signed ? Op.i64_rem_s : Op.i64_rem_u, Op.i64_eq, Op.i64_sub]
      : [Op.i32_eqz, signed ? Op.i32_div_s : Op.i32_div_u, signed ? Op.i32_rem_s : Op.i32_rem_u, Op.i32_eq, Op.i32_sub];
    const src = () => (wide ? src64(i) : src32(i));
    const dst = () => (wide ? f.get(r) : dst32(i));
    const put = () => (wide ? f.set(r) : setDst32(i));
    const minus1 = () => (wide ? f.i64(-1, -1) : f.i32(-1));
    const zero = () => (wide ? f.i64(0, 0) : f.i32(0));
    src();
    f.op(eqz);
    open(Op.if);
    if (isDiv) zero(), put();
    else if (!wide) dst(), put(); // a 32-bit modulo by 0 keeps the low word, zero-extended
    f.op(Op.else);
    if (signed) {
      // -1: the quotient is the negation (wasm traps on INT_MIN / -1), the remainder 0
      src();
      minus1();
      f.op(eq);
      open(Op.if);
      if (isDiv) zero(), dst(), f.op(sub), put();
      else zero(), put();
      f.op(Op.else);
      dst(), src(), f.op(isDiv ? div : rem), put();
      end();
    } else dst(), src(), f.op(isDiv ? div : rem), put();
    end();
  };

  /** The load or store at i (j-th of a block of len): in-table fast path, else its escape. */
  const access = (i: number, j: number, len: number, depth: number, callee: string | null) => {
    const m = accessOf(d, i)!;
    // t = address; id = region id; ea = wasm address or -1
    f.get(reg[m.a]).i64(d.off[i] >> 31, d.off[i]).op(Op.i64_add).tee(t);
    f.i64(0, 32).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(REGION_HI_BASE).op(Op.i32_sub).tee(id);
    f.i32(L.TABLE_IDS).op(Op.i32_lt_u);
    open(Op.if, "", I32);
    f.get(t).i64(0, -1).op(Op.i64_and).i64(0, m.size).op(Op.i64_add);
    f.get(id).i32(3).op(Op.i32_shl).mem(Op.i64_load32_u, 2, L.TABLE + 4).op(Op.i64_le_u);
    open(Op.if, "", I32);
    f.get(id).i32(3).op(Op.i32_shl).mem(Op.i32_load, 2, L.TABLE);
    f.get(t).op(Op.i32_wrap_i64, Op.i32_add);
    f.op(Op.else).i32(-1);
    end();
    f.op(Op.else).i32(-1);
    end();
    f.tee(ea).i32(0).op(Op.i32_ge_s);
    open(Op.if);
    memOp(i, () => f.get(ea), 0);
    f.op(Op.else);
    escape(i, j, len, depth, callee);
    end();
  };

  /** The load or store of insn i at the wasm address `addr` pushes plus `offset` (≥ 0). */
  const memOp = (i: number, addr: () => void, offset: number) => {
    const r = reg[d.dst[i]];
    const load = (op: number, align: number) => {
      addr();
      f.mem(op, align, offset).set(r);
    };
    const store = (op: number, align: number) => {
      addr();
      src64(i);
      f.mem(op, align, offset);
    };
    switch (d.op[i]) {
      case 0x79:
        return load(Op.i64_load, 0);
      case 0x61:
        return load(Op.i64_load32_u, 0);
      case 0x81:
        return load(Op.i64_load32_s, 0);
      case 0x69:
        return load(Op.i64_load16_u, 0);
      case 0x89:
        return load(Op.i64_load16_s, 0);
      case 0x71:
        return load(Op.i64_load8_u, 0);
      case 0x91:
        return load(Op.i64_load8_s, 0);
      case 0x7b:
        return store(Op.i64_store, 0);
      case 0x63:
        return store(Op.i64_store32, 0);
      case 0x6b:
        return store(Op.i64_store16, 0);
      default:
        return store(Op.i64_store8, 0);
    }
  };

  /** Code of a non-terminator instruction (j-th of a block of len). */
  const body = (i: number, j: number, len: number, depth: number, callee: string | null) => {
    const op = d.op[i], r = reg[d.dst[i]];
    if (accessOf(d, i) !== null) return access(i, j, len, depth, callee);
    switch (op) {
      case 0x0f:
        return alu64(i, Op.i64_add);
      case 0x1f:
        return alu64(i, Op.i64_sub);
      case 0x2f:
        return alu64(i, Op.i64_mul);
      case 0x4f:
        return alu64(i, Op.i64_or);
      case 0x5f:
        return alu64(i, Op.i64_and);
      case 0xaf:
        return alu64(i, Op.i64_xor);
      case 0x6f:
        return alu64(i, Op.i64_shl);
      case 0x7f:
        return alu64(i, Op.i64_shr_u);
      case 0xcf:
        return alu64(i, Op.i64_shr_s);
      case 0x3f:
      case 0x9f:
        if (opts.legacy) return escape(i, j, len, depth, callee);
        return divmod(i, true, false, op === 0x3f);
      case SDIV64:
      case SMOD64:
        return divmod(i, true, true, op === SDIV64);
      case 0x87:
        f.i64(0, 0).get(r).op(Op.i64_sub).set(r);
        return;
      case 0xbf:
      case 0x18:
        src64(i);
        f.set(r);
        return;
      case MOVSX64_8:
        src64(i);
        f.op(Op.i64_extend8_s).set(r);
        return;
      case MOVSX64_16:
        src64(i);
        f.op(Op.i64_extend16_s).set(r);
        return;
      case MOVSX64_32:
        src64(i);
        f.op(Op.i64_extend32_s).set(r);
        return;
      case 0x0c:
        return alu32(i, Op.i32_add);
      case 0x1c:
        return alu32(i, Op.i32_sub);
      case 0x2c:
        return alu32(i, Op.i32_mul);
      case 0x4c:
        return alu32(i, Op.i32_or);
      case 0x5c:
        return alu32(i, Op.i32_and);
      case 0xac:
        return alu32(i, Op.i32_xor);
      case 0x6c:
        return alu32(i, Op.i32_shl);
      case 0x7c:
        return alu32(i, Op.i32_shr_u);
      case 0xcc:
        return alu32(i, Op.i32_shr_s);
      case 0x3c:
      case 0x9c:
        if (opts.legacy) return escape(i, j, len, depth, callee);
        return divmod(i, false, false, op === 0x3c);
      case SDIV32:
      case SMOD32:
        return divmod(i, false, true, op === SDIV32);
      case 0x84:
        f.i32(0);
        dst32(i);
        f.op(Op.i32_sub);
        return setDst32(i);
      case 0xbc:
        src32(i);
        return setDst32(i);
      case MOVSX32_8:
        src32(i);
        f.op(Op.i32_extend8_s);
        return setDst32(i);
      case MOVSX32_16:
        src32(i);
        f.op(Op.i32_extend16_s);
        return setDst32(i);
      case LE16:
        f.get(r).i64(0, 0xffff).op(Op.i64_and).set(r);
        return;
      case LE32:
        f.get(r).i64(0, -1).op(Op.i64_and).set(r);
        return;
      case LE64:
        return;
      case BE16:
        dst32(i);
        f.tee(ea).i32(8).op(Op.i32_shl).i32(0xff00).op(Op.i32_and);
        f.get(ea).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).op(Op.i32_or);
        return setDst32(i);
      case BE32:
        dst32(i);
        bswap32();
        return setDst32(i);
      case BE64:
        // bswap32 of each word, swapped
        dst32(i);
        bswap32();
        f.op(Op.i64_extend_i32_u).i64(0, 32).op(Op.i64_shl);
        f.get(r).i64(0, 32).op(Op.i64_shr_u, Op.i32_wrap_i64);
        bswap32();
        f.op(Op.i64_extend_i32_u, Op.i64_or).set(r);
        return;
    }
    // helpers, LD_ABS/LD_IND, atomics, converted ctx loads, anything else: the JavaScript code of the instruction
    return escape(i, j, len, depth, callee);
  };

  const mgc = f.local(I32);
  const hasMayGoto = d.op.includes(MAY_GOTO);
  /** Push the condition (i32) of the conditional jump at i, at call depth `depth` (may_goto's budget is the frame's). */
  const cond = (i: number, depth: number) => {
    const op = d.op[i], wide = (op & 7) === 5;
    if (op === MAY_GOTO) {
      // jump once the budget is 0, else count it down (store count - (count != 0)) and fall through
      const addr = L.MAYGOTO + 4 * depth;
      f.i32(0).mem(Op.i32_load, 2, addr).set(mgc);
      f.i32(0).get(mgc).get(mgc).op(Op.i32_eqz, Op.i32_eqz, Op.i32_sub).mem(Op.i32_store, 2, addr);
      f.get(mgc).op(Op.i32_eqz);
      return;
    }
    const push = () => {
      if (wide) f.get(reg[d.dst[i]]), src64(i);
      else dst32(i), src32(i);
    };
    const code = op & 0xf0;
    if (code === 0x40) {
      push();
      f.op(wide ? Op.i64_and : Op.i32_and, wide ? Op.i64_eqz : Op.i32_eqz, Op.i32_eqz);
      return;
    }
    const table: Record<number, [number, number]> = {
      0x10: [Op.i64_eq, Op.i32_eq],
      0x50: [Op.i64_ne, Op.i32_ne],
      0x20: [Op.i64_gt_u, Op.i32_gt_u],
      0x30: [Op.i64_ge_u, Op.i32_ge_u],
      0xa0: [Op.i64_lt_u, Op.i32_lt_u],
      0xb0: [Op.i64_le_u, Op.i32_le_u],
      0x60: [Op.i64_gt_s, Op.i32_gt_s],
      0x70: [Op.i64_ge_s, Op.i32_ge_s],
      0xc0: [Op.i64_lt_s, Op.i32_lt_s],
      0xd0: [Op.i64_le_s, Op.i32_le_s],
    };
    const ops = table[code];
    if (ops === undefined) throw new Error(`jit: no wasm condition for opcode 0x${op.toString(16)}`);
    push();
    f.op(wide ? ops[0] : ops[1]);
  };

  /** A call in progress: the locals of the caller's r6..r10, the callee's exit label, its return block. */
  interface Level {
    saved: number[];
    label: string;
    ret: number;
  }

  /**
   * The entry region's locals from the table: r1's region at entry (before
   * r1 changes, the registers are loaded at entry), when it is the ctx,
   * the packet or the memory buffer in wasm memory.
   */
  let entryReg = -1;
  const entryRegion = () => {
    if (entryReg < 0) return;
    f.get(entryReg).i64(0, 32).op(Op.i64_shr_u, Op.i32_wrap_i64).i32(REGION_HI_BASE).op(Op.i32_sub).tee(id);
    f.i32(MAX_FRAMES).op(Op.i32_sub).i32(3).op(Op.i32_lt_u);
    open(Op.if);
    f.get(entryReg).i64(-1, 0).op(Op.i64_and).set(eStart);
    f.get(id).i32(3).op(Op.i32_shl).mem(Op.i64_load32_u, 2, L.TABLE + 4).set(eLen);
    f.get(id).i32(3).op(Op.i32_shl).mem(Op.i32_load, 2, L.TABLE).set(eBase);
    // length 0: not in wasm memory
    f.get(eLen).op(Op.i64_eqz);
    open(Op.if);
    f.i64(-1, -1).set(eLen);
    end();
    f.op(Op.else).i64(-1, -1).set(eLen);
    end();
  };

  /**
   * The block guard of the first `count` instructions of `blk` (guards.ts):
   * pushes its test (i32) and returns the covered accesses' regions, or
   * null when the block has none.
   */
  const guard = (blk: Block, count: number, depth: number): GuardPlan | null => {
    const p = planGuard(d, known, blk, count);
    frameOf.clear();
    if (p === null) return null;
    p.bases.forEach(({ reg: b, region, lo, end }, k) => {
      if (region === PTR_STACK && depth === 0) {
        // r_b - (frame 0 + lo) <= 512 - end - lo, unsigned: one subtraction and one comparison
        f.get(reg[b]).i64(REGION_HI_BASE, lo).op(Op.i64_sub).i64(0, FRAME_SIZE - end - lo).op(Op.i64_le_u);
      } else if (region === PTR_STACK) {
        // in a subprogram r10 is its own frame, a pointer passed in its caller's: any frame 0..depth, its bytes at
        // L.STACK + frame * 512 (x = r_b - (frame 0 + lo): the frame in its high word, at most 512 - end - lo in its low)
        const fb = frameOf.set(b, frameLocal[b] ??= f.local(I32)).get(b)!;
        f.get(reg[b]).i64(REGION_HI_BASE, lo).op(Op.i64_sub).tee(t2);
        f.i64(0, 32).op(Op.i64_shr_u, Op.i32_wrap_i64).tee(fb).i32(depth).op(Op.i32_le_u);
        f.get(t2).i64(0, -1).op(Op.i64_and).i64(0, FRAME_SIZE - end - lo).op(Op.i64_le_u, Op.i32_and);
        f.get(fb).i32(9).op(Op.i32_shl).i32(L.STACK).op(Op.i32_add).set(fb);
      } else {
        f.get(reg[b]).get(eStart).op(Op.i64_sub).i64(lo >> 31, lo).op(Op.i64_sub);
        f.get(eLen).i64((end + lo) >> 31, end + lo).op(Op.i64_sub).tee(t2).op(Op.i64_le_u);
        f.get(t2).i64(0, 0).op(Op.i64_ge_s, Op.i32_and);
      }
      if (k > 0) f.op(Op.i32_and);
    });
    return p;
  };

  /** Whether insn i may end the run or touch memory (anything but the arithmetic the tier compiles itself). */
  const barrier = (i: number): boolean => {
    const op = d.op[i];
    if (op === 0x3c || op === 0x9c || op === 0x3f || op === 0x9f) return opts.legacy;
    const alu = op < 0x100 && accessOf(d, i) === null && ((op & 7) === 4 || (op & 7) === 7);
    return !(alu || op === 0x18 || (op >= SDIV32 && op <= BE64));
  };

  /**
   * Store forwarding and dead stores among the accesses the guard `p`
   * covers (as the JavaScript form's, by bytes): a covered load whose bytes
   * one covered store through the same base wrote earlier in the block,
   * with nothing in between that may write them, takes them from that
   * store's value (`fwd`: load → [store, byte shift]); a covered store whose
   * bytes covered stores through the same base overwrite later in the
   * block, with nothing in between that may read them or end the run, is
   * not made (`dead`: store → bit mask of its bytes not written).
   */
  const forwarding = (blk: Block, count: number, p: GuardPlan) => {
    const fwd = new Map<number, [number, number]>(), dead = new Map<number, number>(), temps = new Set<number>();
    const bytes: Array<Map<number, [number, number]>> = Array.from({ length: 11 }, () => new Map());
    const clear = (rg: number, except: number) => {
      for (let b = 0; b < 11; b++) if (b !== except && (rg < 0 || p.region[b] === rg)) bytes[b].clear();
    };
    for (let j = 0; j < count; j++) {
      const i = blk.insns[j], b = p.covered.get(i), m = accessOf(d, i);
      if (b === undefined) {
        if (barrier(i) && (m === null || m.write)) clear(-1, -1);
        continue;
      }
      const at = p.disp.get(i)!, map = bytes[b];
      if (m!.write) {
        clear(p.region[b], b);
        for (let q = 0; q < m!.size; q++) map.set(at + q, [i, q]);
        continue;
      }
      const first = map.get(at);
      if (first === undefined) continue;
      let ok = true;
      for (let q = 1; q < m!.size && ok; q++) {
        const x = map.get(at + q);
        ok = x !== undefined && x[0] === first[0] && x[1] === first[1] + q;
      }
      if (!ok) continue;
      fwd.set(i, [first[0], first[1] * 8]);
      temps.add(first[0]);
    }
    const over: Array<Set<number>> = Array.from({ length: 11 }, () => new Set());
    for (let j = count - 1; j >= 0; j--) {
      const i = blk.insns[j], b = p.covered.get(i);
      if (b === undefined) {
        if (barrier(i)) { for (const o of over) o.clear(); }
        continue;
      }
      const m = accessOf(d, i)!, at = p.disp.get(i)!;
      if (!m.write) {
        if (fwd.has(i)) continue;
        for (let q = 0; q < m.size; q++) over[b].delete(at + q);
        for (let c = 0; c < 11; c++) if (c !== b && p.region[c] === p.region[b]) over[c].clear();
        continue;
      }
      let mask = 0;
      for (let q = 0; q < m.size; q++) if (over[b].has(at + q)) mask |= 1 << q;
      if (mask !== 0) dead.set(i, mask);
      for (let q = 0; q < m.size; q++) over[b].add(at + q);
    }
    return { fwd, dead, temps };
  };

  /** A load or store the block guard covers: no check; forwarded, dead or partly dead per `fw`. */
  const guardedAccess = (
    i: number,
    b: number,
    region: number,
    fw: ReturnType<typeof forwarding>,
    temp: Map<number, number>,
  ) => {
    const m = accessOf(d, i)!, off = d.off[i], op = d.op[i], r = reg[d.dst[i]];
    const from = fw.fwd.get(i);
    if (from !== undefined) {
      // the stored value's bytes, shifted down, zero- or sign-extended
      f.get(temp.get(from[0])!);
      if (from[1] > 0) f.i64(0, from[1]).op(Op.i64_shr_u);
      if (m.size < 8) {
        const ext: Record<number, number> = {
          0x81: Op.i64_extend32_s,
          0x89: Op.i64_extend16_s,
          0x91: Op.i64_extend8_s,
        };
        if (ext[op] !== undefined) f.op(ext[op]);
        else f.i64(0, m.size === 4 ? -1 : m.size === 2 ? 0xffff : 0xff).op(Op.i64_and);
      }
      f.set(r);
      return;
    }
    const frame = region === PTR_STACK ? frameOf.get(b) : undefined;
    const base = region === PTR_STACK && frame === undefined ? L.STACK : 0;
    const addr = () => {
      f.get(reg[m.a]).op(Op.i32_wrap_i64);
      if (region !== PTR_STACK) f.get(eBase).op(Op.i32_add);
      else if (frame !== undefined) f.get(frame).op(Op.i32_add);
      if (base + off < 0) f.i32(base + off).op(Op.i32_add);
    };
    const offset = base + off < 0 ? 0 : base + off;
    if (!m.write) return memOp(i, addr, offset);
    const full = (1 << m.size) - 1, mask = fw.dead.get(i) ?? 0;
    const tmp = temp.get(i);
    if (tmp !== undefined) src64(i), f.set(tmp);
    const value = () => (tmp !== undefined ? f.get(tmp) : src64(i));
    if (mask === full) return;
    if (m.size === 8 && mask === 0xf0) {
      addr();
      value();
      f.mem(Op.i64_store32, 0, offset);
    } else if (m.size === 8 && mask === 0x0f) {
      addr();
      value();
      f.i64(0, 32).op(Op.i64_shr_u).mem(Op.i64_store32, 0, offset + 4);
    } else memOp(i, addr, offset);
  };

  const blockBody = (blk: Block, ahead: number, chain: readonly Level[]) => {
    const len = blk.insns.length;
    const endsWithTerm = isTerminator(d.op[blk.insns[len - 1]]);
    f.get(left).i32(len).op(Op.i32_sub).set(left);
    // hand over to precise at this block (status 2: the budget; 4: a block guard failed)
    const handOver = (status: number) => {
      f.get(left).i32(len).op(Op.i32_add).set(left);
      chain.forEach((c, j) => {
        c.saved.forEach((x, q) => f.i32(0).get(x).mem(Op.i64_store, 2, L.FRAMES + 4 * (j * 11 + q * 2)));
        i32store(L.FRAMES + 4 * (j * 11 + 10), () => f.i32(c.ret));
      });
      i32store(L.RESUME_AT, () => f.i32(blk.start));
      i32store(L.RESUME_DEPTH, () => f.i32(chain.length));
      i32store(L.STATUS, () => f.i32(status));
      br("run");
    };
    if (ahead >= 0) {
      f.get(left).i32(Math.max(0, ahead - len)).op(Op.i32_lt_s);
      open(Op.if);
      handOver(2);
      end();
    }
    const callee = chain.length === 0 ? null : chain[chain.length - 1].label;
    const count = endsWithTerm ? len - 1 : len;
    const g = guard(blk, count, chain.length);
    if (g === null) {
      for (let j = 0; j < count; j++) body(blk.insns[j], j, len, chain.length, callee);
      return;
    }
    // a block with a guard has no checked copy: when the guard fails, the JavaScript precise form runs on from this
    // block (a copy with escapes, cold but inline, made V8 keep the loop's registers in worse places: memory ran at
    // 0.17 ns/insn with it, 0.09 without)
    f.op(Op.i32_eqz);
    open(Op.if);
    handOver(4);
    end();
    const fw = forwarding(blk, count, g);
    const temp = new Map([...fw.temps].map((i) => [i, f.local(I64)]));
    for (let j = 0; j < count; j++) {
      const i = blk.insns[j], b = g.covered.get(i);
      if (b !== undefined) guardedAccess(i, b, g.region[b], fw, temp);
      else body(i, j, len, chain.length, callee);
    }
  };

  const emitFunction = (start: number, suffix: string, chain: readonly Level[]) => {
    const fn: StructuredFn = fns.get(start)!, fb = fn.blocks, pos = fn.pos, k = fb.length;
    maxDepth = Math.max(maxDepth, chain.length);
    const opening = new Map<number, typeof fn.regions>();
    for (const r of fn.regions) {
      const list = opening.get(r.start) ?? [];
      list.push(r);
      opening.set(r.start, list);
    }
    for (const list of opening.values()) list.sort((a, b) => b.end - a.end || (a.loop ? -1 : 1));
    const label = (r: { loop: boolean; start: number; end: number }) =>
      r.loop ? `L${fb[r.start].start}${suffix}` : `F${fb[r.end].start}${suffix}`;
    const regions: Array<{ end: number }> = [];
    const close = (p: number) => {
      while (regions.length > 0 && regions[regions.length - 1].end === p) {
        regions.pop();
        end();
      }
      if (regions.some((r) => r.end === p)) throw new Error("jit: structured regions do not nest");
    };
    const exitLabel = chain.length === 0 ? "run" : `C${suffix}`;
    for (let p = 0; p < k; p++) {
      close(p);
      for (const r of opening.get(p) ?? []) {
        regions.push(r);
        open(r.loop ? Op.loop : Op.block, label(r));
      }
      const blk = fb[p];
      const go = (toInsn: number, cond = false) => {
        const q = pos.get(toInsn)!;
        if (q === p + 1) {
          if (cond) f.op(Op.drop);
          return;
        }
        br(q <= p ? `L${toInsn}${suffix}` : `F${toInsn}${suffix}`, cond);
      };
      blockBody(blk, fn.ahead[p], chain);
      const last = blk.insns[blk.insns.length - 1], op = d.op[last];
      if (op === BAD || op === OOB) {
        f.i32(last).call(IMPORT_BAD);
        i32store(L.PC, () => f.i32(last));
        i32store(L.STATUS, () => f.i32(1));
        br("run");
      } else if (op === 0x95) br(exitLabel);
      else if (op === 0x05) go(d.tgt[last]);
      else if (op === CALL_LOCAL) {
        const depth = chain.length + 1, sfx = `_${++inlined}`;
        const saved = [6, 7, 8, 9, 10].map((r) => {
          const x = f.local(I64);
          f.get(reg[r]).set(x);
          return x;
        });
        // a fresh frame: r10 at its top, zeroed
        f.i64(REGION_HI_BASE + depth, FRAME_SIZE).set(reg[10]);
        f.i32(L.STACK + depth * FRAME_SIZE).i32(0).i32(FRAME_SIZE).fill();
        if (hasMayGoto) i32store(L.MAYGOTO + 4 * depth, () => f.i32(0).mem(Op.i32_load, 2, L.MAYGOTO_BUDGET));
        open(Op.block, `C${sfx}`);
        emitFunction(d.tgt[last], sfx, [...chain, { saved, label: `C${sfx}`, ret: blk.next }]);
        end();
        [6, 7, 8, 9, 10].forEach((r, q) => f.get(saved[q]).set(reg[r]));
        go(blk.next);
      } else if (isJump(op)) {
        cond(last, chain.length);
        go(d.tgt[last], true);
        go(blk.next);
      } else if (blk.next !== -1) go(blk.next);
    }
    close(k);
    if (regions.length !== 0) throw new Error("jit: structured regions left open");
  };

  loadRegs();
  entryReg = f.local(I64);
  f.get(reg[1]).set(entryReg);
  f.i64(-1, -1).set(eLen);
  entryRegion();
  f.get(BUDGET).set(left);
  open(Op.block, "run");
  emitFunction(0, "", []);
  i32store(L.STATUS, () => f.i32(3));
  end();
  storeRegs();
  f.get(BUDGET).get(left).op(Op.i32_sub);

  return { bytes: tierModule(f), escapes: [...escapes].sort((a, b) => a - b), maxDepth, mayGoto: hasMayGoto };
}

/** The tier's module around `fast(budget) → executed` (imports `env.mem`, `env.exec(insn, depth)`, `env.bad(insn)`). */
export function tierModule(fast: FuncBody): Uint8Array<ArrayBuffer> {
  return wasmModule({
    imports: [
      { name: "exec", type: { params: [I32, I32], results: [I32] } },
      { name: "bad", type: { params: [I32], results: [] } },
    ],
    memPages: 1,
    globals: [],
    funcs: [{ type: { params: [I32], results: [I32] }, body: fast, export: "fast" }],
  });
}
