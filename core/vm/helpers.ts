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
 * | 6 | trace_printk | formats `%d %i %u %x %X %c %s %p %%` with `l`/`ll` and width/`0`/`-` flags; one output line per call |
 * | 7 | get_prandom_u32 | xorshift32, seeded by `RunOptions.seed` (default 1): deterministic |
 * | 8 | get_smp_processor_id | 0 |
 *
 * @module
 */
import type { BpfMap } from "../maps/mod.ts";

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

/** Read a NUL-terminated string (at most `max` bytes) at the pointer in a 64-bit value. */
function cString(e: HelperEnv, reg: number, max: number): string {
  let s = "";
  for (let n = 1; n <= max; n++) {
    let u8: Uint8Array;
    try {
      u8 = e.mem(reg, n);
    } catch {
      return s + "(invalid)";
    }
    const c = u8[e.memOff + n - 1];
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Format `fmt` as the kernel's bpf_trace_printk does, taking up to three
 * arguments from `args`; `%s` arguments are read through `str`.
 */
export function formatPrintk(fmt: string, args: bigint[], str: (i: number) => string): string {
  let out = "";
  let ai = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (ch !== "%") {
      out += ch;
      continue;
    }
    const m = /^%([-0]*)(\d*)(ll|l|h|hh|z)?([diuxXcsp%])/.exec(fmt.slice(i));
    if (!m) {
      out += ch;
      continue;
    }
    i += m[0].length - 1;
    const [, flags, width, len, conv] = m;
    if (conv === "%") {
      out += "%";
      continue;
    }
    const a = ai < args.length ? args[ai] : 0n;
    const argIndex = ai++;
    const bits = len === "ll" || len === "l" || len === "z" ? 64 : 32;
    let s: string;
    switch (conv) {
      case "d":
      case "i":
        s = (bits === 64 ? BigInt.asIntN(64, a) : BigInt.asIntN(32, a)).toString();
        break;
      case "u":
        s = BigInt.asUintN(bits, a).toString();
        break;
      case "x":
        s = BigInt.asUintN(bits, a).toString(16);
        break;
      case "X":
        s = BigInt.asUintN(bits, a).toString(16).toUpperCase();
        break;
      case "c":
        s = String.fromCharCode(Number(a & 0xffn));
        break;
      case "p":
        s = "0x" + BigInt.asUintN(64, a).toString(16);
        break;
      default:
        s = str(argIndex);
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      if (flags.includes("-")) s = s.padEnd(w);
      else if (flags.includes("0") && conv !== "s" && conv !== "c") {
        const neg = s.startsWith("-");
        s = (neg ? "-" : "") + (neg ? s.slice(1) : s).padStart(neg ? w - 1 : w, "0");
      } else s = s.padStart(w);
    }
    out += s;
  }
  return out;
}

const tracePrintk: HelperFn = (e) => {
  const size = Number(e.arg(2) & 0xffffffffn);
  const u8 = e.mem(1, size);
  const o = e.memOff;
  let fmt = "";
  for (let i = 0; i < size && u8[o + i] !== 0; i++) fmt += String.fromCharCode(u8[o + i]);
  const args = [e.arg(3), e.arg(4), e.arg(5)];
  const line = formatPrintk(fmt, args, (i) => cString(e, 3 + i, 256));
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  e.print(text);
  e.ret(line.length);
};

/**
 * The default helper table of a profile. `modern` has ids 1, 2, 3, 5, 6, 7,
 * 8; `linux-3.18` adds the test stub helper 0 (returns 0).
 */
export function defaultHelpers(profile: "modern" | "linux-3.18" = "modern"): HelperTable {
  const t = new HelperTable()
    .set(1, "map_lookup_elem", lookupElem)
    .set(2, "map_update_elem", updateElem)
    .set(3, "map_delete_elem", deleteElem)
    .set(5, "ktime_get_ns", (e) => e.ret(e.nowNs()))
    .set(6, "trace_printk", tracePrintk)
    .set(7, "get_prandom_u32", (e) => e.ret(e.rand()))
    .set(8, "get_smp_processor_id", (e) => e.ret(0));
  if (profile === "linux-3.18") t.set(0, "unspec", (e) => e.ret(0));
  return t;
}
