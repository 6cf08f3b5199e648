/**
 * Helper functions callable with `call N`: a table keyed by helper id that
 * embedders extend from TypeScript ({@link HelperTable.set}), and the
 * default helpers.
 *
 * | id | name | behaviour |
 * |---|---|---|
 * | 0 | unspec (3.18 test stub) | returns 0; only in the `linux-3.18` profile |
 * | 1 | map_lookup_elem | r0 = address of the value, or 0 |
 * | 2 | map_update_elem | r0 = 0 or a negative errno |
 * | 3 | map_delete_elem | r0 = 0 or a negative errno |
 * | 5 | ktime_get_ns | the run's clock (fixed in tests via `RunOptions.clock`) |
 * | 6 | trace_printk | the kernel's format rules (printk.ts): one output line per call, r0 = its length or -EINVAL |
 * | 7 | get_prandom_u32 | xorshift32, seeded by `RunOptions.seed` (default 1): deterministic |
 * | 8 | get_smp_processor_id | the run's simulated CPU (`RunOptions.cpu`, default 0) |
 * | 12 | tail_call | ends the run with `RunResult.tailCall` (the caller continues the chain; made in a subprogram, the target runs in its place: `RunOptions.subprogTailCall`); falls through on an empty slot, an index out of range or after 33 tail calls |
 * | 9, 23, 26, 28, 44, 54, 65 | packet helpers | see packet_helpers.ts (by program type) |
 * | 125, 160 | ktime_get_boot_ns, ktime_get_coarse_ns | the run's clock |
 * | 130-134 | ring buffer helpers | see ringbuf_helpers.ts |
 *
 * @module
 */
import type { BpfMap, TailCallTarget } from "../maps/mod.ts";
import { HELPER_NAMES } from "../isa/helpers.ts";
import { PROG_SCHED_ACT, PROG_SCHED_CLS, PROG_SOCKET_FILTER, PROG_XDP } from "../isa/mod.ts";
import type { ProgContext } from "./context.ts";
import type { Region } from "./memory.ts";
import { formatPrintk, PRINTK_MAX_OUTPUT, type PrintkMemory } from "./printk.ts";
import { MAX_TAIL_CALL_CNT, ProgArrayMap } from "../maps/mod.ts";
import {
  csumDiffHelper,
  redirectSkb,
  redirectXdp,
  skbLoadBytes,
  skbStoreBytes,
  xdpAdjustHead,
  xdpAdjustMeta,
  xdpAdjustTail,
} from "./packet_helpers.ts";
import { ringbufDiscard, ringbufOutput, ringbufQuery, ringbufReserve, ringbufSubmit } from "./ringbuf_helpers.ts";

/** What a helper sees: the registers, memory, maps and output of the running program. */
export interface HelperEnv {
  /** Low 32 bits of r0..r10 (signed form). */
  readonly lo: Int32Array;
  /** High 32 bits of r0..r10 (signed form). */
  readonly hi: Int32Array;
  /** Argument register `i` (1..5) as an unsigned 64-bit value. */
  arg(i: number): bigint;
  /** Set r0 (taken modulo 2^64; negative numbers are two's complement). */
  ret(v: number | bigint): void;
  /**
   * Translate the pointer in argument register `i` for an access of `size`
   * bytes: returns the region's bytes and sets {@link HelperEnv.memOff} to the
   * offset. Faults the program when the range is not mapped. No allocation.
   */
  mem(i: number, size: number): Uint8Array;
  /** The offset set by the last {@link HelperEnv.mem} call. */
  memOff: number;
  /** The map whose pointer is in argument register `i`; faults the program otherwise. */
  map(i: number): BpfMap;
  /** Set r0 to the address of the value of element `ref` of `map`. */
  retMapValue(map: BpfMap, ref: number): void;
  /** Append a line of helper output. */
  print(line: string): void;
  /** The next pseudo-random u32 (seeded, deterministic). */
  rand(): number;
  /** The run's clock in nanoseconds. */
  nowNs(): bigint;
  /** Stop the program with a fault message. */
  fault(message: string): never;
  /** The packet context bound to the run (`RunInput.context`), or null. */
  readonly context: ProgContext | null;
  /** The simulated CPU the run is on (`RunOptions.cpu`, default 0). */
  readonly cpu: number;
  /** Tail calls the run's chain has made before this run (`RunOptions.tailCalls`). */
  readonly tailCalls: number;
  /** End the run here with a tail call into `target` (the caller runs it next on the same context). */
  tailCall(target: TailCallTarget): never;
  /**
   * Map `len` bytes of `u8` from `base` as a new region for the rest of the
   * run (named `name`, carrying `tag`) and set r0 to its address.
   */
  retRegion(name: string, u8: Uint8Array, base: number, len: number, tag: unknown): Region;
  /** The region the address in argument register `i` points into (its offset in {@link HelperEnv.memOff}), or null. */
  regionAt(i: number): Region | null;
}

/** A helper implementation. It reads r1..r5 and sets r0 through the env. */
export type HelperFn = (env: HelperEnv) => void;

/** A named helper. */
export interface Helper {
  /** Name (without the `bpf_` prefix). */
  name: string;
  /** Implementation. */
  fn: HelperFn;
}

/** Helpers keyed by id. */
export class HelperTable {
  /** The helpers. */
  readonly byId: Map<number, Helper> = new Map();
  /** Add or replace helper `id`. Returns this table. */
  set(id: number, name: string, fn: HelperFn): this {
    this.byId.set(id, { name, fn });
    return this;
  }
  /** The helper with id `id`, if any. */
  get(id: number): Helper | undefined {
    return this.byId.get(id);
  }
  /** A copy that can be extended without touching this table. */
  clone(): HelperTable {
    const t = new HelperTable();
    for (const [id, h] of this.byId) t.byId.set(id, h);
    return t;
  }
}

const lookupElem: HelperFn = (e) => {
  const m = e.map(1);
  const key = e.mem(2, m.keySize);
  const ref = m.lookupRef(key, e.memOff);
  if (ref < 0) e.ret(0);
  else e.retMapValue(m, ref);
};

const updateElem: HelperFn = (e) => {
  const m = e.map(1);
  const key = e.mem(2, m.keySize);
  const ko = e.memOff;
  const val = e.mem(3, m.valueSize);
  const flags = e.arg(4); // u64, as the kernel checks it: any high bit set is > BPF_EXIST
  e.ret(flags > 0xffffffffn ? -22 : m.updateRaw(key, ko, val, e.memOff, Number(flags)));
};

const deleteElem: HelperFn = (e) => {
  const m = e.map(1);
  const key = e.mem(2, m.keySize);
  e.ret(m.deleteRaw(key, e.memOff));
};

/** The program memory `%s`, `%pI4` and friends read: argument i of trace_printk is r(3 + i). */
function printkMemory(e: HelperEnv): PrintkMemory {
  return {
    str(i, max) {
      let s = "";
      for (let n = 1; n < max; n++) {
        let u8: Uint8Array;
        try {
          u8 = e.mem(3 + i, n);
        } catch {
          return n === 1 ? null : s;
        }
        const c = u8[e.memOff + n - 1];
        if (c === 0) return s;
        s += String.fromCharCode(c);
      }
      return s;
    },
    bytes(i, n) {
      try {
        const u8 = e.mem(3 + i, n);
        return u8.slice(e.memOff, e.memOff + n);
      } catch {
        return null;
      }
    },
  };
}

/** `bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)`: one output line (see printk.ts), r0 = its length or -EINVAL. */
const tracePrintk: HelperFn = (e) => {
  const size = Number(e.arg(2) & 0xffffffffn);
  const u8 = e.mem(1, size);
  const o = e.memOff;
  let end = 0;
  while (end < size && u8[o + end] !== 0) end++;
  if (end === size) return e.ret(-22); // no NUL within fmt_size
  let fmt = "";
  for (let i = 0; i < end; i++) fmt += String.fromCharCode(u8[o + i]);
  const line = formatPrintk(fmt, [e.arg(3), e.arg(4), e.arg(5)], printkMemory(e));
  if (typeof line === "number") return e.ret(line);
  // the trace keeps at most 1023 characters, and a NUL (a %c of 0) ends the text
  const nul = line.indexOf("\0");
  const shown = line.slice(0, Math.min(nul < 0 ? line.length : nul, PRINTK_MAX_OUTPUT));
  e.print(shown.endsWith("\n") ? shown.slice(0, -1) : shown);
  e.ret(line.length);
};

/**
 * `bpf_tail_call(ctx, prog_array, index)`: end the run and continue the
 * chain with the program in slot `index`; falls through (r0 unchanged) when
 * the index is out of range, the slot is empty, or the chain has made
 * {@link MAX_TAIL_CALL_CNT} tail calls (counted only when the slot holds a
 * program, as the x86-64 JIT does).
 */
const tailCall: HelperFn = (e) => {
  const m = e.map(2);
  if (!(m instanceof ProgArrayMap)) {
    return e.fault(`tail_call: map ${JSON.stringify(m.name)} is a ${m.typeName}, not a prog_array`);
  }
  const idx = e.lo[3] >>> 0;
  if (idx >= m.maxEntries || e.tailCalls >= MAX_TAIL_CALL_CNT) return;
  const p = m.progAt(idx);
  if (p !== null) e.tailCall(p);
};

/**
 * The default helper table of a profile and program type.
 *
 * `linux-3.18`: ids 1, 2, 3, 5, 6, 7, 8 and the test stub helper 0 (returns
 * 0). `modern`: ids 1, 2, 3, 5, 6, 7, 8, 12 (tail_call), 125
 * (ktime_get_boot_ns) and 160 (ktime_get_coarse_ns, both the run's clock)
 * and 130-134 (ring buffers), plus, by program type as the kernel offers
 * them, 26 (skb_load_bytes) for socket_filter, sched_cls and sched_act, 9
 * (skb_store_bytes), 23 (redirect) and 28 (csum_diff) for sched_cls and
 * sched_act, and 23 (redirect), 28, 44, 54 and 65
 * (xdp_adjust_head/meta/tail) for xdp. The packet helpers need a test
 * run's context (core/testrun).
 */
export function defaultHelpers(profile: "modern" | "linux-3.18" = "modern", progType?: number): HelperTable {
  const t = new HelperTable();
  // names from the kernel's table (core/isa/helpers.ts); the module doc lists what each does
  const def = (id: number, fn: HelperFn) => t.set(id, HELPER_NAMES[id], fn);
  def(1, lookupElem);
  def(2, updateElem);
  def(3, deleteElem);
  def(5, (e) => e.ret(e.nowNs()));
  def(6, tracePrintk);
  def(7, (e) => e.ret(e.rand()));
  def(8, (e) => e.ret(e.cpu));
  if (profile === "linux-3.18") return def(0, (e) => e.ret(0));
  def(12, tailCall);
  def(125, (e) => e.ret(e.nowNs()));
  def(130, ringbufOutput);
  def(131, ringbufReserve);
  def(132, ringbufSubmit);
  def(133, ringbufDiscard);
  def(134, ringbufQuery);
  def(160, (e) => e.ret(e.nowNs()));
  if (progType === PROG_SOCKET_FILTER || progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT) {
    def(26, skbLoadBytes);
  }
  if (progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT) {
    def(9, skbStoreBytes);
    def(23, redirectSkb);
    def(28, csumDiffHelper);
  }
  if (progType === PROG_XDP) {
    def(23, redirectXdp);
    def(28, csumDiffHelper);
    def(44, xdpAdjustHead);
    def(54, xdpAdjustMeta);
    def(65, xdpAdjustTail);
  }
  return t;
}
