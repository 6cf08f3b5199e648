/**
 * The typed register and stack values of a verifier log, parsed from the
 * kernel's text and printed back by the kernel's own rules.
 *
 * A state as the kernel prints it (`print_verifier_state`) is a list of
 * entries: registers (`R0=map_value(id=1,ks=8,vs=8)`, `R1_w=invP(id=0,
 * umax_value=255,var_off=(0x0; 0xff))`), stack slots (`fp-8=mmmmmmmm`,
 * `fp-16=scalar(id=2)`, `fp-24_w=map_value`), and a few markers (`frame1:`
 * before the entries, ` refs=2,3`, ` cb`, ` async_cb`). Every register value
 * is parsed into a {@link RegValue}: its type, id, offsets, and the ranges
 * the kernel tracks (smin/smax/umin/umax, the 32-bit ones, the `var_off`
 * tnum) as numbers, not strings.
 *
 * Four dialects of the register text exist ({@link Dialect}):
 * - `v3`: Linux 3.18 to 4.13: `inv`, `imm5` (a constant), `fp` (the frame
 *   pointer), `inv56` (an unknown value whose 56 upper bits are zero, 4.7 to
 *   4.13), `pkt(id=0,off=14,r=14)`, `map_value(ks=8,vs=8)`, and the ranges as
 *   a suffix: `inv,min_value=0,max_value=255`;
 * - `v4`: Linux 4.14 to 5.x: `inv` for scalars, `(id=0,off=0,imm=0)` with
 *   every field, the long range names (`smin_value=`, `s32_min_value=`),
 *   a bare type name for a spilled register (`fp-8=inv`), and in 4.15 to
 *   4.19 the call site of a stack pointer (`fp0,call_-1`);
 * - `v6.2`: about 6.0 to 6.4: `scalar`, the short names (`smin=`, `s32_min=`),
 *   `id`/`ref_obj_id` only when set, spills printed in full;
 * - `v6.5`: 6.5 and later (`print_reg_state`/`print_scalar_ranges` in
 *   kernel/bpf/log.c): empty parentheses, equal ranges merged
 *   (`smin=smin32=0`), numbers beyond 16 bits in hex.
 * Each value keeps its dialect, so {@link printState} prints it back with
 * the rules of the kernel that wrote it. The liveness suffix of kernels up
 * to 6.17 (`_w`, `_r`, `_rw`, `_D`) is kept per entry.
 *
 * A verifier engine that wants the kernel's text for its own states builds
 * the values from what it tracks ({@link regValue}, {@link dynptrSlot},
 * {@link iterSlot}, a {@link StateValue} of them) and prints them with
 * {@link printState} / {@link printRegValue} and the dialect of the kernel
 * it follows (`v6.5` for 6.5 .. 6.18; 6.18 prints no liveness suffix). The
 * 6.5+ printer works from the value's fields alone (the corpus test rebuilds
 * every 6.5+ value of the 6.18 logs that way and prints it byte-identical).
 *
 * @module
 */

/** The register text dialect a value was written in (see the module doc). */
export type Dialect = "v3" | "v4" | "v6.2" | "v6.5";

/**
 * What kernels before 4.20 printed after a register's value, outside its
 * parentheses: the ranges and alignment of 4.9 to 4.13
 * (`,min_value=0,max_value=255,min_align=4,aux_off=14,aux_off_align=2`) and
 * the call site of a stack pointer of 4.15 to 4.19 (`,call_-1`). Each field
 * is null when it was not printed.
 */
export interface LegacySuffix {
  /** `min_value=` (signed). */
  minValue: bigint | null;
  /** `max_value=` (unsigned). */
  maxValue: bigint | null;
  /** `min_align=`. */
  minAlign: number | null;
  /** `aux_off=`. */
  auxOff: number | null;
  /** `aux_off_align=`. */
  auxOffAlign: number | null;
  /** `call_N`: the call site of the frame a stack pointer points into. */
  callsite: number | null;
}

/** A tnum: the bits of `mask` are unknown, the others are those of `value`. */
export interface Tnum {
  /** Known bits. */
  value: bigint;
  /** Unknown bits. */
  mask: bigint;
}

/** A register's value as the verifier tracks it. */
export interface RegValue {
  /**
   * The type as printed, with its prefixes and postfixes (`scalar`, `inv`,
   * `ctx`, `map_value_or_null`, `fp`, `pkt`, `rdonly_mem`,
   * `trusted_ptr_task_struct`, ...).
   */
  type: string;
  /** The kind of the type without prefixes and postfixes (see {@link baseKind}). */
  kind: RegKind;
  /** Marked precise (`P`). */
  precise: boolean;
  /** The frame a stack pointer points into, when not the current one (`fp[1]-8`). */
  frameno: number;
  /** `id=`. */
  id: number;
  /** The `+N` after the id of a scalar linked with an added constant (`id=1+23`); null when absent. */
  addConst: number | null;
  /** `ref_obj_id=`. */
  refObjId: number;
  /** `non_own_ref`. */
  nonOwnRef: boolean;
  /** `map=` (the map's name), or null. */
  mapName: string | null;
  /** `ks=` (map key size), -1 when absent. */
  ks: number;
  /** `vs=` (map value size), -1 when absent. */
  vs: number;
  /** `off=`: the fixed offset of a pointer. */
  off: number;
  /** `r=`: the checked range of a packet pointer (negative: beyond the packet end), {@link NO_RANGE} when absent. */
  range: number;
  /** `sz=`: the size of a PTR_TO_MEM, -1 when absent. */
  memSize: number;
  /** `type=` of a dynptr pointer, or null. */
  dynptrType: string | null;
  /** The variable offset (for a scalar: its value). */
  varOff: Tnum;
  /** Signed 64-bit minimum. */
  smin: bigint;
  /** Signed 64-bit maximum. */
  smax: bigint;
  /** Unsigned 64-bit minimum. */
  umin: bigint;
  /** Unsigned 64-bit maximum. */
  umax: bigint;
  /** Signed 32-bit minimum. */
  s32min: number;
  /** Signed 32-bit maximum. */
  s32max: number;
  /** Unsigned 32-bit minimum. */
  u32min: number;
  /** Unsigned 32-bit maximum. */
  u32max: number;
  /** The dialect it was written in. */
  dialect: Dialect;
  /**
   * How the value was written: `fields` (`type(...)`), `const` (a number,
   * possibly after `P`), `typed` (a type and a number: `inv5`, `fp-8`,
   * `invP1`), `bare` (only the type: a spilled register in kernels before
   * 6.0, `fp-8=inv`).
   */
  form: "fields" | "const" | "typed" | "bare";
  /** The fields printed (their first names, in order); used to tell the older dialects apart. */
  fields: string[];
  /** What a kernel before 4.20 printed after the value ({@link LegacySuffix}), or null. */
  legacy: LegacySuffix | null;
}

/** The base kinds of register types the log reader tells apart. */
export type RegKind =
  | "scalar"
  | "ctx"
  | "map_ptr"
  | "map_value"
  | "map_key"
  | "stack"
  | "pkt"
  | "pkt_meta"
  | "pkt_end"
  | "mem"
  | "btf_id"
  | "sock"
  | "func"
  | "dynptr"
  | "arena"
  | "other";

/** A stack slot entry: 8 bytes at `fp-off`. */
export interface SlotValue {
  /** The slot's offset from the frame pointer (negative, a multiple of 8). */
  off: number;
  /** Liveness suffix (`_w`, ...) or "". */
  live: string;
  /**
   * The slot type characters printed before a spilled register (`????` of
   * `fp-8=????scalar()`), or all 8 of a slot without a spill (`mmmmmmmm`).
   */
  types: string;
  /** The spilled register, if the slot holds one. */
  spill: RegValue | null;
  /** A dynptr or iterator slot, printed whole (`dynptr_ringbuf(ref_id=1)`), else null. */
  special: string | null;
}

/** One register entry of a state. */
export interface RegEntry {
  /** Register number. */
  reg: number;
  /** Liveness suffix (`_w`, `_r`, `_rw`, `_D`, ...) or "". */
  live: string;
  /** The value. */
  value: RegValue;
}

/** A verifier state as one log line prints it. */
export interface StateValue {
  /** The frame number of ` frameN:` (0 when absent). */
  frame: number;
  /** Whether ` frameN:` was printed (frame 0 prints none). */
  framePrinted: boolean;
  /** Registers, in the order printed. */
  regs: RegEntry[];
  /** Stack slots, in the order printed. */
  stack: SlotValue[];
  /** `refs=` ids, or null. */
  refs: number[] | null;
  /** Trailing markers (`cb`, `async_cb`), in order. */
  flags: string[];
}

/** Why a state text could not be parsed. */
export class ValueSyntaxError extends Error {
  /** Character position in the text. */
  readonly pos: number;
  /**
   * Create the error.
   * @param message what is wrong
   * @param pos where
   */
  constructor(message: string, pos: number) {
    super(message);
    this.name = "ValueSyntaxError";
    this.pos = pos;
  }
}

// ---- constants ----

/** S64_MIN. */
export const S64_MIN: bigint = -(1n << 63n);
/** S64_MAX. */
export const S64_MAX: bigint = (1n << 63n) - 1n;
/** U64_MAX. */
export const U64_MAX: bigint = (1n << 64n) - 1n;
const S32_MIN = -0x80000000;
const S32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;
const MASK64 = U64_MAX;
/** `range` of a value that printed no `r=`. */
export const NO_RANGE: number = -0x80000000;

/** The tnum of a value nothing is known about. */
export function tnumUnknown(): Tnum {
  return { value: 0n, mask: MASK64 };
}

/** A fresh register value of `type` with every range unbounded and `var_off` unknown. */
export function unknownValue(type: string, dialect: Dialect): RegValue {
  return {
    type,
    kind: baseKind(type),
    precise: false,
    frameno: -1,
    id: 0,
    addConst: null,
    refObjId: 0,
    nonOwnRef: false,
    mapName: null,
    ks: -1,
    vs: -1,
    off: 0,
    range: NO_RANGE,
    memSize: -1,
    dynptrType: null,
    varOff: tnumUnknown(),
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0,
    u32max: U32_MAX,
    dialect,
    form: "fields",
    fields: [],
    legacy: null,
  };
}

/** Make `v` the known constant `c` (64-bit, as the verifier's `__mark_reg_known`). */
export function setConst(v: RegValue, c: bigint): void {
  const u = BigInt.asUintN(64, c);
  const s = BigInt.asIntN(64, c);
  v.varOff = { value: u, mask: 0n };
  v.smin = v.smax = s;
  v.umin = v.umax = u;
  const lo = Number(u & 0xffffffffn);
  v.u32min = v.u32max = lo;
  v.s32min = v.s32max = lo | 0;
}

/** Whether the tnum is a known constant. */
export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}

/** Whether nothing is known of the tnum. */
export function tnumIsUnknown(t: Tnum): boolean {
  return t.mask === MASK64;
}

const PREFIXES = ["rdonly_", "ringbuf_", "user_", "percpu_", "rcu_", "untrusted_", "trusted_"];

/** {@link baseKind} of the type names seen so far: a log has a handful, and engines print them per insn. */
const KIND_CACHE = new Map<string, RegKind>();

/** The base kind of a printed type name (prefixes like `rdonly_` and the `_or_null` postfix removed). */
export function baseKind(type: string): RegKind {
  let k = KIND_CACHE.get(type);
  if (k === undefined) {
    k = kindOfBase(baseTypeName(type));
    if (KIND_CACHE.size < 4096) KIND_CACHE.set(type, k);
  }
  return k;
}

function kindOfBase(t: string): RegKind {
  if (t.startsWith("ptr_")) return "btf_id";
  switch (t) {
    case "scalar":
    case "inv":
    case "imm":
      return "scalar";
    case "ctx":
      return "ctx";
    case "map_ptr":
      return "map_ptr";
    case "map_value":
      return "map_value";
    case "map_key":
      return "map_key";
    case "fp":
      return "stack";
    case "pkt":
      return "pkt";
    case "pkt_meta":
      return "pkt_meta";
    case "pkt_end":
      return "pkt_end";
    case "mem":
    case "alloc_mem":
    case "buf":
    case "tp_buffer":
      return "mem";
    case "sock":
    case "sock_common":
    case "tcp_sock":
    case "xdp_sock":
    case "flow_keys":
      return "sock";
    case "func":
      return "func";
    case "dynptr_ptr":
      return "dynptr";
    case "arena":
      return "arena";
    default:
      return "other";
  }
}

/**
 * A printed type name without the flag prefixes (`rdonly_`, `ringbuf_`, ...)
 * and the `_or_null` postfix: `ringbuf_mem_or_null` -> `mem` (the kernel's
 * `base_type`, as `reg_type_str` names it). BTF pointers keep their
 * `ptr_` and struct name.
 */
export function baseTypeName(type: string): string {
  let t = type;
  for (let again = true; again;) {
    again = false;
    for (const p of PREFIXES) {
      if (t.startsWith(p)) {
        t = t.slice(p.length);
        again = true;
      }
    }
  }
  return !t.startsWith("ptr_") && t.endsWith("_or_null") ? t.slice(0, -8) : t;
}

/** The fields of a register value an engine knows, for {@link regValue}; what is left out is unbounded or absent. */
export type RegFields = Partial<
  Pick<
    RegValue,
    | "precise"
    | "frameno"
    | "id"
    | "addConst"
    | "refObjId"
    | "nonOwnRef"
    | "mapName"
    | "ks"
    | "vs"
    | "off"
    | "range"
    | "memSize"
    | "dynptrType"
    | "varOff"
    | "smin"
    | "smax"
    | "umin"
    | "umax"
    | "s32min"
    | "s32max"
    | "u32min"
    | "u32max"
  >
>;

/**
 * Build a register value from what a verifier knows about it, to print it by
 * a kernel's rules ({@link printRegValue}; the 6.5 .. 6.18 printer needs
 * nothing else). `type` is the name as the kernel prints it (`scalar`,
 * `map_value_or_null`, `fp`, `trusted_ptr_task_struct`, ...); a pointer's
 * variable offset defaults to the known 0, a `mem` pointer's size to 0 (the
 * kernel prints `sz=` for every one).
 *
 * ```ts
 * printRegValue(regValue("map_value", { mapName: "vals", ks: 4, vs: 8, off: 8 })); // map_value(map=vals,ks=4,vs=8,off=8)
 * printRegValue(regValue("fp", { off: -16 }));                                     // fp-16
 * ```
 */
export function regValue(type: string, fields: RegFields = {}, dialect: Dialect = "v6.5"): RegValue {
  const v = unknownValue(type, dialect);
  if (v.kind !== "scalar") v.varOff = { value: 0n, mask: 0n };
  if (v.kind === "mem" && baseTypeName(type) === "mem") v.memSize = 0;
  return Object.assign(v, fields);
}

/**
 * A dynptr's stack slot as 6.x prints it (`fp-16=dynptr_ringbuf(ref_id=1)`):
 * its type, then `id=`, `ref_id=` and `dynptr_id=` when set.
 */
export function dynptrSlot(
  off: number,
  type: string,
  ids: { id?: number; refId?: number; dynptrId?: number } = {},
): SlotValue {
  const f: string[] = [];
  if (ids.id) f.push(`id=${ids.id}`);
  if (ids.refId) f.push(`ref_id=${ids.refId}`);
  if (ids.dynptrId) f.push(`dynptr_id=${ids.dynptrId}`);
  return { off, live: "", types: "", spill: null, special: `dynptr_${type}(${f.join(",")})` };
}

/** An iterator's stack slot as 6.x prints it (`fp-24=iter_num(ref_id=1,state=active,depth=0)`). */
export function iterSlot(off: number, name: string, refId: number, state: string, depth: number): SlotValue {
  return {
    off,
    live: "",
    types: "",
    spill: null,
    special: `iter_${name}(ref_id=${refId},state=${state},depth=${depth})`,
  };
}

/** Whether a value of this type may be NULL (`_or_null`, `or_null_` of BTF pointers). */
export function mayBeNull(type: string): boolean {
  return type.endsWith("_or_null") || type.includes("or_null_");
}

// ---- number formatting (kernel/bpf/log.c) ----

/** `verbose_snum`: decimal within [-32768, 32767], else `%#llx` of the 64-bit pattern. */
export function snum(n: bigint): string {
  if (n >= -32768n && n <= 32767n) return n.toString();
  return "0x" + BigInt.asUintN(64, n).toString(16);
}

/** `verbose_unum`: decimal up to 65535, else `%#llx`. */
export function unum(n: bigint): string {
  return n <= 65535n ? n.toString() : "0x" + n.toString(16);
}

/** `%#llx` as the kernel's printf writes it (`0x0` for zero). */
function hex(n: bigint): string {
  return "0x" + BigInt.asUintN(64, n).toString(16);
}

/** `tnum_strn`. */
export function tnumStr(t: Tnum): string {
  if (t.mask === 0n) return unum(t.value);
  return `(${hex(t.value)}; ${hex(t.mask)})`;
}

/** Parse a number the kernel printed (decimal, possibly negative, or `0x` hex). */
export function parseNum(s: string): bigint | null {
  if (/^-?\d+$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  return null;
}

// ---- parsing ----

const SLOT_CHARS = /^[?rm0dif]+$/;

/** Whether a stack slot's text is its 8 slot type characters (`mmmm????`), not a spilled register. */
export function isSlotTypes(text: string): boolean {
  return text.length === 8 && SLOT_CHARS.test(text);
}

function isDigitOrMinus(c: string): boolean {
  return (c >= "0" && c <= "9") || c === "-";
}

/** Split `a,b(c,d),e` at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function parseTnum(s: string, pos: number): Tnum {
  const m = /^\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(s);
  if (m) return { value: BigInt(m[1]), mask: BigInt(m[2]) };
  const n = parseNum(s);
  if (n === null) throw new ValueSyntaxError(`bad var_off '${s}'`, pos);
  return { value: BigInt.asUintN(64, n), mask: 0n };
}

const LONG_RANGE: Record<string, string> = {
  smin_value: "smin",
  smax_value: "smax",
  umin_value: "umin",
  umax_value: "umax",
  s32_min_value: "smin32",
  s32_max_value: "smax32",
  u32_min_value: "umin32",
  u32_max_value: "umax32",
  s32_min: "smin32",
  s32_max: "smax32",
  u32_min: "umin32",
  u32_max: "umax32",
};

function setRange(v: RegValue, name: string, n: bigint, pos: number): void {
  switch (name) {
    case "smin":
      v.smin = BigInt.asIntN(64, n);
      return;
    case "smax":
      v.smax = BigInt.asIntN(64, n);
      return;
    case "umin":
      v.umin = BigInt.asUintN(64, n);
      return;
    case "umax":
      v.umax = BigInt.asUintN(64, n);
      return;
    case "smin32":
      v.s32min = Number(BigInt.asIntN(32, n));
      return;
    case "smax32":
      v.s32max = Number(BigInt.asIntN(32, n));
      return;
    case "umin32":
      v.u32min = Number(BigInt.asUintN(32, n));
      return;
    case "umax32":
      v.u32max = Number(BigInt.asUintN(32, n));
      return;
  }
  throw new ValueSyntaxError(`unknown range '${name}'`, pos);
}

const RANGE_NAMES = new Set(["smin", "smax", "umin", "umax", "smin32", "smax32", "umin32", "umax32"]);

/** Options of {@link parseRegValue}. */
export interface ParseValueOptions {
  /**
   * The value is part of a state of a kernel before 4.14 (see
   * {@link isLegacyState}): `inv56` then means 56 known zero upper bits,
   * not the constant 56.
   */
  v3?: boolean;
}

/** Where a value's suffix of kernels before 4.20 starts (its first comma outside parentheses), or -1. */
function legacyStart(text: string): number {
  for (let i = 0, depth = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 44 && depth === 0) return i;
  }
  return -1;
}

function parseLegacy(text: string, pos: number): LegacySuffix {
  const l: LegacySuffix = {
    minValue: null,
    maxValue: null,
    minAlign: null,
    auxOff: null,
    auxOffAlign: null,
    callsite: null,
  };
  for (const part of text.split(",")) {
    const call = /^call_(-?\d+)$/.exec(part);
    if (call) {
      l.callsite = Number(call[1]);
      continue;
    }
    const m = /^(min_value|max_value|min_align|aux_off|aux_off_align)=(-?\d+)$/.exec(part);
    if (!m) throw new ValueSyntaxError(`bad field '${part}'`, pos);
    const n = BigInt(m[2]);
    if (m[1] === "min_value") l.minValue = n;
    else if (m[1] === "max_value") l.maxValue = n;
    else if (m[1] === "min_align") l.minAlign = Number(n);
    else if (m[1] === "aux_off") l.auxOff = Number(n);
    else l.auxOffAlign = Number(n);
    pos += part.length + 1;
  }
  return l;
}

/**
 * Parse one register value (the text after `R1=` or after a spill's slot
 * characters).
 * @param text the value text, e.g. `scalar(smin=smin32=0,smax=umax=255)`, `fp-8`, `invP1`
 * @param pos position of the text in its line (for errors)
 * @param opts what the rest of the state says about the kernel
 * @throws ValueSyntaxError when the text is not a register value
 */
export function parseRegValue(text: string, pos = 0, opts: ParseValueOptions = {}): RegValue {
  if (text.length === 0) throw new ValueSyntaxError("empty value", pos);
  const cut = legacyStart(text);
  if (cut >= 0) {
    // kernels before 4.20: `inv,min_value=0,max_value=255`, `fp0,call_-1`
    const v = parseRegValue(text.slice(0, cut), pos, opts);
    const l = parseLegacy(text.slice(cut + 1), pos + cut + 1);
    v.legacy = l;
    if (l.minValue !== null || l.maxValue !== null || l.minAlign !== null || l.auxOff !== null) v.dialect = "v3";
    else if (v.dialect !== "v3") v.dialect = "v4";
    // 4.9..4.13: min_value is the signed minimum, max_value the unsigned maximum
    if (l.minValue !== null) {
      v.smin = l.minValue;
      if (l.minValue >= 0n && v.umin < l.minValue) v.umin = l.minValue;
    }
    if (l.maxValue !== null) {
      v.umax = l.maxValue;
      if (l.maxValue <= S64_MAX && v.smax > l.maxValue) v.smax = l.maxValue;
    }
    return v;
  }
  let i = 0;
  let precise = false;
  // P before the value: a precise scalar (6.x: `P5`, `Pscalar(...)`)
  if (text[0] === "P" && text.length > 1 && (isDigitOrMinus(text[1]) || text.startsWith("scalar", 1))) {
    precise = true;
    i = 1;
  }
  if (isDigitOrMinus(text[i])) {
    const numText = text.slice(i);
    const n = parseNum(numText);
    if (n === null) throw new ValueSyntaxError(`bad number '${numText}'`, pos + i);
    // 6.5+ prints numbers beyond 16 bits in hex; 6.0..6.4 in decimal
    const dec = !numText.startsWith("0x") && !numText.startsWith("-0x");
    const v = unknownValue("scalar", dec && (n > 32767n || n < -32768n) ? "v6.2" : "v6.5");
    v.precise = precise;
    v.form = "const";
    setConst(v, n);
    return v;
  }
  // the type name: up to '(' or '[' or a number (fp-8, inv0, invP1) or the end
  let j = i;
  while (j < text.length && text[j] !== "(" && text[j] !== "[" && !isDigitOrMinus(text[j])) j++;
  let type = text.slice(i, j);
  let dialect: Dialect = "v6.5";
  if (type === "invP" || type === "scalarP") {
    // Linux 4.x/5.x: P after the type name
    type = type.slice(0, -1);
    precise = true;
    dialect = "v4";
  }
  if (type === "inv") dialect = "v4";
  if (!/^[a-z_][a-z0-9_]*$/i.test(type)) throw new ValueSyntaxError(`bad type '${type}'`, pos + i);
  const v = unknownValue(type, dialect);
  v.precise = precise;
  if (text[j] === "[") {
    const close = text.indexOf("]", j);
    if (close < 0) throw new ValueSyntaxError("missing ']'", pos + j);
    v.frameno = Number(text.slice(j + 1, close));
    j = close + 1;
  }
  if (j === text.length) {
    // only the type: an arena pointer, or a spilled register of kernels before 6.0 (`fp-8=inv`)
    v.form = "bare";
    if (v.kind !== "arena") v.dialect = "v4";
    if (v.kind !== "scalar") v.varOff = { value: 0n, mask: 0n };
    return v;
  }
  if (text[j] !== "(") {
    // a type followed by a constant: inv5, invP1, fp-8, fp0
    const n = parseNum(text.slice(j));
    if (n === null) throw new ValueSyntaxError(`bad value '${text.slice(j)}'`, pos + j);
    v.form = "typed";
    if (type === "imm") v.dialect = "v3";
    if (type === "inv" && opts.v3 && n > 0n && n <= 64n) {
      // 4.7..4.13: an unknown value whose n upper bits are known to be zero
      v.dialect = "v3";
      const max = n === 64n ? 0n : (1n << (64n - n)) - 1n;
      v.varOff = { value: 0n, mask: max };
      v.smin = v.umin = 0n;
      v.smax = v.umax = max;
      if (max <= 0xffffffffn) {
        v.s32min = v.u32min = 0;
        v.s32max = v.u32max = Number(max);
      }
    } else if (v.kind === "scalar") setConst(v, n);
    else {
      v.varOff = { value: 0n, mask: 0n };
      v.off = Number(n);
    }
    if (v.kind !== "stack" && v.kind !== "scalar") v.dialect = "v3";
    return v;
  }
  if (text[text.length - 1] !== ")") throw new ValueSyntaxError("missing ')'", pos + text.length);
  parseFields(v, text.slice(j + 1, -1), pos + j + 1);
  // 3.18..4.13 print only `(id=,off=,r=)` of packet pointers and `(ks=,vs=[,id=])` of map pointers
  if (opts.v3) v.dialect = "v3";
  return v;
}

function parseFields(v: RegValue, body: string, pos: number): void {
  const fields: string[] = [];
  let sawRange = false, sawVarOff = false, sawImm = false, sawLong = false, sawBigDecimal = false;
  const parts = body.length ? splitTop(body) : [];
  let p = pos;
  for (const part of parts) {
    if (part === "non_own_ref") {
      v.nonOwnRef = true;
      fields.push(part);
      p += part.length + 1;
      continue;
    }
    const eq = part.indexOf("=");
    if (eq < 0) throw new ValueSyntaxError(`bad field '${part}'`, p);
    // merged names: smin=smin32=0
    const names: string[] = [];
    let rest = part;
    for (;;) {
      const e = rest.indexOf("=");
      if (e < 0) break;
      const name = rest.slice(0, e);
      if (!/^[a-z_0-9]+$/.test(name)) break;
      names.push(name);
      rest = rest.slice(e + 1);
      if (!RANGE_NAMES.has(name) || !/^[a-z_0-9]+=/.test(rest)) break;
    }
    const val = rest;
    const first = names[0];
    fields.push(first);
    switch (first) {
      case "id": {
        const m = /^(\d+)([+-]\d+)?$/.exec(val);
        if (!m) throw new ValueSyntaxError(`bad id '${val}'`, p);
        v.id = Number(m[1]);
        if (m[2] !== undefined) v.addConst = Number(m[2]);
        break;
      }
      case "ref_obj_id":
        v.refObjId = Number(val);
        break;
      case "map":
        v.mapName = val;
        break;
      case "ks":
        v.ks = Number(val);
        break;
      case "vs":
        v.vs = Number(val);
        break;
      case "off": {
        const n = parseNum(val);
        if (n === null) throw new ValueSyntaxError(`bad off '${val}'`, p);
        v.off = Number(BigInt.asIntN(32, n));
        break;
      }
      case "r": {
        const n = parseNum(val);
        if (n === null) throw new ValueSyntaxError(`bad r '${val}'`, p);
        v.range = Number(BigInt.asIntN(32, n));
        break;
      }
      case "sz": {
        const n = parseNum(val);
        if (n === null) throw new ValueSyntaxError(`bad sz '${val}'`, p);
        v.memSize = Number(n);
        break;
      }
      case "type":
        v.dynptrType = val;
        break;
      case "imm": {
        // before 6.5: %llx (hex without 0x); 6.5+: a signed number (decimal, or 0x hex)
        const old = v.dialect === "v4" || fields.includes("off") && fields.indexOf("off") < fields.length - 1 ||
          (v.id === 0 && fields.includes("id"));
        const n = old || (/^[0-9a-f]+$/.test(val) && /[a-f]/.test(val)) ? BigInt("0x" + val) : parseNum(val);
        if (n === null) throw new ValueSyntaxError(`bad imm '${val}'`, p);
        v.varOff = { value: BigInt.asUintN(64, n), mask: 0n };
        sawImm = true;
        if (old) v.dialect = v.dialect === "v4" ? "v4" : "v6.2";
        break;
      }
      case "var_off":
        v.varOff = parseTnum(val, p);
        sawVarOff = true;
        break;
      default: {
        const canon = LONG_RANGE[first] ?? first;
        if (!RANGE_NAMES.has(canon)) throw new ValueSyntaxError(`unknown field '${first}'`, p);
        if (first.endsWith("_value")) sawLong = true;
        const n = parseNum(val);
        if (n === null) throw new ValueSyntaxError(`bad number '${val}' for ${first}`, p);
        // 6.5+ print a range in hex beyond 16 bits (verbose_snum/verbose_unum); earlier kernels in decimal
        if (!val.startsWith("0x") && (canon[0] === "s" ? n < -32768n || n > 32767n : n > 65535n)) sawBigDecimal = true;
        for (const name of names) setRange(v, LONG_RANGE[name] ?? name, n, p);
        sawRange = true;
      }
    }
    p += part.length + 1;
  }
  // which era wrote it: 4.x/5.x always print id (id=0) and long range names; 6.0..6.4 print
  // off=/imm= of every pointer and short names; 6.5+ print neither id=0, off=0 nor imm=0
  const zeroId = fields.includes("id") && v.id === 0;
  const off0 = fields.includes("off") && v.off === 0;
  const offBeforeMap = fields.indexOf("off") >= 0 && fields.indexOf("ks") > fields.indexOf("off");
  if (sawLong || zeroId || v.dialect === "v4") v.dialect = "v4";
  else if (off0 || sawImm || offBeforeMap || sawBigDecimal || /\b[su]32_(?:min|max)=/.test(body)) v.dialect = "v6.2";
  v.fields = fields;
  if (v.kind !== "scalar" && !sawRange && !sawVarOff && !sawImm) v.varOff = { value: 0n, mask: 0n };
  if (v.dialect !== "v6.5") fillOmittedOld(v, fields);
}

/**
 * Kernels before 6.5 omit smin/smax when equal to umin/umax: take them from
 * the unsigned range when that range does not cross the sign bit.
 */
function fillOmittedOld(v: RegValue, fields: string[]): void {
  const has = (a: string, b: string) => fields.includes(a) || fields.includes(b);
  if (!has("smin_value", "smin") && v.umin <= S64_MAX && v.umax <= S64_MAX) v.smin = v.umin;
  if (!has("smax_value", "smax") && v.umax <= S64_MAX && v.umin <= S64_MAX) v.smax = v.umax;
}

/**
 * Parse a whole state as printed after `N:`, `; `, `from X to Y:` or on
 * its own line: ` frame1: R0=... R10=fp0 fp-8=mmmmmmmm refs=2 cb`.
 * @param text the state text (leading space optional)
 * @param pos position of the text in its line (for errors)
 * @throws ValueSyntaxError naming the entry it could not read
 */
export function parseState(text: string, pos = 0): StateValue {
  const st: StateValue = { frame: 0, framePrinted: false, regs: [], stack: [], refs: null, flags: [] };
  const opts = { v3: isLegacyState(text) };
  forEachEntry(text, (i, j) => {
    const ent = text.slice(i, j);
    const at = pos + i;
    if (ent.startsWith("frame") && ent.endsWith(":")) {
      st.frame = Number(ent.slice(5, -1));
      st.framePrinted = true;
    } else if (ent[0] === "R" && ent.length > 2) {
      const m = /^R(\d+)(_[rwD]+)?=/.exec(ent);
      if (!m) throw new ValueSyntaxError(`bad register entry '${ent}'`, at);
      st.regs.push({
        reg: Number(m[1]),
        live: m[2] ?? "",
        value: parseRegValue(ent.slice(m[0].length), at + m[0].length, opts),
      });
    } else if (ent.startsWith("fp")) {
      st.stack.push(parseSlot(ent, at, opts));
    } else if (ent.startsWith("refs=")) {
      st.refs = ent.slice(5).split(",").map(Number);
    } else if (ent === "cb" || ent === "async_cb") {
      st.flags.push(ent);
    } else {
      throw new ValueSyntaxError(`unknown state entry '${ent}'`, at);
    }
  });
  return st;
}

/**
 * Call `fn` with where each entry of a state text starts and ends: an entry
 * runs to the next space outside parentheses (a tnum `(0x0; 0xff)` has a
 * space inside).
 */
export function forEachEntry(text: string, fn: (start: number, end: number) => void): void {
  const n = text.length;
  for (let i = 0; i < n;) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    let j = i, depth = 0;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 40) depth++;
      else if (c === 41) depth--;
      else if (c === 32 && depth <= 0) break;
    }
    fn(i, j);
    i = j;
  }
}

const SPILL_PREFIX_LENGTHS = [0, 4, 6, 7, 1, 2, 3, 5];

/**
 * Whether a state text was written by a kernel before 4.14 (the `v3`
 * dialect): the frame pointer printed as a bare `fp`, a constant as `imm5`,
 * or ranges as a `,min_value=` suffix. Only then does `inv56` mean an
 * unknown value with 56 zero upper bits (in 4.14 and later it is the
 * constant 56).
 */
export function isLegacyState(text: string): boolean {
  return /(?:^| )R10=fp(?: |$)|=imm-?\d|,m(?:in|ax)_value=/.test(text);
}

function parseSlot(ent: string, at: number, opts: ParseValueOptions): SlotValue {
  const m = /^fp(-\d+)(_[rwD]+)?=/.exec(ent);
  if (!m) throw new ValueSyntaxError(`bad stack entry '${ent}'`, at);
  const off = Number(m[1]);
  const live = m[2] ?? "";
  const val = ent.slice(m[0].length);
  const vpos = at + m[0].length;
  if (isSlotTypes(val)) return { off, live, types: val, spill: null, special: null };
  if (/^(dynptr_|iter_)/.test(val) && val.endsWith(")")) return { off, live, types: "", spill: null, special: val };
  // the slot characters before the spill are 0, 4, 6 or 7 long for spills of 8, 4, 2, 1 bytes; a
  // known type wins over an unknown name (`mmmmmap_value()` is mmmm + map_value)
  let lastErr: ValueSyntaxError | null = null;
  let fallback: SlotValue | null = null;
  for (const k of SPILL_PREFIX_LENGTHS) {
    if (k >= val.length) continue;
    const pre = val.slice(0, k);
    if (k && !SLOT_CHARS.test(pre)) continue;
    try {
      const spill = parseRegValue(val.slice(k), vpos + k, opts);
      const sv = { off, live, types: pre, spill, special: null };
      if (spill.kind !== "other") return sv;
      fallback ??= sv;
    } catch (e) {
      if (e instanceof ValueSyntaxError) lastErr = e;
      else throw e;
    }
  }
  if (fallback && !SLOT_CHARS.test(val)) return fallback;
  if (SLOT_CHARS.test(val)) return { off, live, types: val, spill: null, special: null };
  throw lastErr ?? new ValueSyntaxError(`bad stack slot '${val}'`, vpos);
}

// ---- printing ----

/**
 * Print a register value by the rules of a kernel: of `dialect` (default:
 * the one it was written in, {@link RegValue.dialect}).
 *
 * The 6.5 to 6.18 printer (`v6.5`) works from the value alone, so a value
 * built from its fields ({@link regValue}) prints as that kernel would. The
 * older printers follow the fields and the form the value was read with
 * ({@link RegValue.fields}, {@link RegValue.form}): which optional fields a
 * 4.x/5.x kernel printed depends on its version, and the text says it.
 */
export function printRegValue(v: RegValue, dialect: Dialect = v.dialect): string {
  let s: string;
  switch (dialect) {
    case "v6.5":
      return printV65(v);
    case "v6.2":
      s = printOld(v, false);
      break;
    case "v4":
      s = printOld(v, true);
      break;
    case "v3":
      s = printV3(v);
      break;
  }
  return v.legacy ? s + printLegacy(v.legacy) : s;
}

/** The suffix of kernels before 4.20 (`,min_value=0,max_value=255`, `,call_-1`). */
function printLegacy(l: LegacySuffix): string {
  let s = "";
  if (l.minValue !== null) s += `,min_value=${l.minValue}`;
  if (l.maxValue !== null) s += `,max_value=${l.maxValue}`;
  if (l.minAlign !== null) s += `,min_align=${l.minAlign}`;
  if (l.auxOff !== null) s += `,aux_off=${l.auxOff}`;
  if (l.auxOffAlign !== null) s += `,aux_off_align=${l.auxOffAlign}`;
  if (l.callsite !== null) s += `,call_${l.callsite}`;
  return s;
}

/**
 * The printer of Linux 3.18 to 4.13: the type, then the constant of `imm`
 * and of a stack pointer (`fp-8`), the known zero upper bits of an unknown
 * value (`inv56`), the fields of packet and map pointers in their order.
 */
function printV3(v: RegValue): string {
  if (v.form === "bare") return v.type;
  if (v.form === "typed") {
    if (v.kind === "stack") return v.type + BigInt(v.off);
    if (v.type === "inv") {
      const zeros = 64 - (v.varOff.mask === 0n ? 0 : v.varOff.mask.toString(2).length);
      return v.type + zeros;
    }
    return v.type + BigInt.asIntN(64, v.varOff.value);
  }
  const f = v.fields.map((name) => {
    switch (name) {
      case "id":
        return `id=${v.id}`;
      case "off":
        return `off=${v.off}`;
      case "r":
        return `r=${v.range}`;
      case "ks":
        return `ks=${v.ks}`;
      case "vs":
        return `vs=${v.vs}`;
      default:
        return name;
    }
  });
  return `${v.type}(${f.join(",")})`;
}

function isMapKind(k: RegKind): boolean {
  return k === "map_ptr" || k === "map_value" || k === "map_key";
}

/** `print_reg_state` of Linux 6.5..6.18 (kernel/bpf/log.c). */
function printV65(v: RegValue): string {
  const scalar = v.kind === "scalar";
  let s = "";
  if (scalar && v.precise) s += "P";
  if (scalar && tnumIsConst(v.varOff)) return s + snum(BigInt.asIntN(64, v.varOff.value));
  s += v.type;
  if (v.kind === "arena") return s;
  if (v.kind === "stack") {
    if (v.frameno >= 0) s += `[${v.frameno}]`;
    if (tnumIsConst(v.varOff)) return s + snum(BigInt.asIntN(64, v.varOff.value) + BigInt(v.off));
  }
  s += "(";
  let sep = "";
  const a = (x: string) => {
    s += sep + x;
    sep = ",";
  };
  if (v.id) a(`id=${v.id}`);
  if (v.addConst !== null) s += v.addConst < 0 ? String(v.addConst) : `+${v.addConst}`;
  if (v.refObjId) a(`ref_obj_id=${v.refObjId}`);
  if (v.nonOwnRef) a("non_own_ref");
  if (isMapKind(v.kind) || v.ks >= 0) {
    if (v.mapName) a(`map=${v.mapName}`);
    a(`ks=${v.ks},vs=${v.vs}`);
  }
  if (!scalar && v.off) a(`off=${snum(BigInt(v.off))}`);
  if (v.kind === "pkt" || v.kind === "pkt_meta" || v.range !== NO_RANGE) {
    a(`r=${unum(BigInt.asUintN(64, BigInt(v.range === NO_RANGE ? 0 : v.range)))}`);
  }
  if (v.kind === "mem" && v.memSize >= 0 || v.memSize >= 0) a(`sz=${unum(BigInt(v.memSize))}`);
  if (v.dynptrType !== null) a(`type=${v.dynptrType}`);
  if (tnumIsConst(v.varOff)) {
    if (v.varOff.value) a(`imm=${snum(BigInt.asIntN(64, v.varOff.value))}`);
  } else {
    printScalarRanges(v, a);
    if (!tnumIsUnknown(v.varOff)) a(`var_off=${tnumStr(v.varOff)}`);
  }
  return s + ")";
}

/** `print_scalar_ranges`: the ranges that differ from unbounded, equal ones merged. */
function printScalarRanges(v: RegValue, a: (x: string) => void): void {
  const snumDec = (n: bigint) => n >= -32768n && n <= 32767n;
  const s32a = BigInt(v.s32min), s32b = BigInt(v.s32max);
  const mm: Array<{ name: string; val: bigint; omit: boolean }> = [
    { name: "smin", val: BigInt.asUintN(64, v.smin), omit: v.smin === S64_MIN },
    { name: "smax", val: BigInt.asUintN(64, v.smax), omit: v.smax === S64_MAX },
    { name: "umin", val: v.umin, omit: v.umin === 0n },
    { name: "umax", val: v.umax, omit: v.umax === U64_MAX },
    {
      name: "smin32",
      val: snumDec(s32a) ? BigInt.asUintN(64, s32a) : BigInt.asUintN(32, s32a),
      omit: v.s32min === S32_MIN,
    },
    {
      name: "smax32",
      val: snumDec(s32b) ? BigInt.asUintN(64, s32b) : BigInt.asUintN(32, s32b),
      omit: v.s32max === S32_MAX,
    },
    { name: "umin32", val: BigInt(v.u32min), omit: v.u32min === 0 },
    { name: "umax32", val: BigInt(v.u32max), omit: v.u32max === U32_MAX },
  ];
  for (let k = 0; k < mm.length; k++) {
    const m1 = mm[k];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === "s" && BigInt.asIntN(64, m1.val) < 0n;
    let text = `${m1.name}=`;
    for (let l = k + 2; l < mm.length; l += 2) {
      const m2 = mm[l];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === "s" && BigInt.asIntN(64, m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === "s" ? snum(BigInt.asIntN(64, m1.val)) : unum(m1.val);
    a(text);
  }
}

/**
 * The printer of Linux 4.14..5.x (`print_verifier_state` in verifier.c)
 * when `old`, of 6.0..6.4 otherwise: `(id=%d` (always, before 6.0; only when
 * set after), `ref_obj_id`, `off=%d` for every pointer, `r=` of packet
 * pointers or `ks=,vs=` of map pointers, then `imm=%llx` for a known offset
 * or the ranges that are not implied (`smin_value` when it differs from
 * `umin_value`, ...), `var_off`, and the 32-bit ranges.
 */
function printOld(v: RegValue, old: boolean): string {
  const scalar = v.kind === "scalar";
  const P = scalar && v.precise ? "P" : "";
  if (v.form === "bare") return v.type + P;
  if (v.form === "typed") {
    return v.type + P +
      (scalar ? BigInt.asIntN(64, v.varOff.value) : BigInt.asIntN(64, v.varOff.value) + BigInt(v.off));
  }
  if (v.form === "const") return P + BigInt.asIntN(64, v.varOff.value).toString();
  const f = v.fields;
  const out: string[] = [];
  if (old || v.id) out.push(`id=${v.id}` + (v.addConst === null ? "" : v.addConst < 0 ? v.addConst : `+${v.addConst}`));
  if (f.includes("ref_obj_id")) out.push(`ref_obj_id=${v.refObjId}`);
  if (v.nonOwnRef) out.push("non_own_ref");
  if (!scalar) out.push(`off=${v.off}`);
  if (v.kind === "pkt" || v.kind === "pkt_meta" || f.includes("r")) out.push(`r=${v.range === NO_RANGE ? 0 : v.range}`);
  else if (isMapKind(v.kind) || f.includes("ks")) out.push(`ks=${v.ks},vs=${v.vs}`);
  if (f.includes("sz")) out.push(`sz=${v.memSize}`);
  if (tnumIsConst(v.varOff)) {
    if (!scalar || f.includes("imm")) out.push(`imm=${v.varOff.value.toString(16)}`);
  } else {
    const n = old
      ? [
        "smin_value",
        "smax_value",
        "umin_value",
        "umax_value",
        "s32_min_value",
        "s32_max_value",
        "u32_min_value",
        "u32_max_value",
      ]
      : ["smin", "smax", "umin", "umax", "s32_min", "s32_max", "u32_min", "u32_max"];
    if (v.smin !== v.umin && v.smin !== S64_MIN) out.push(`${n[0]}=${v.smin}`);
    if (v.smax !== v.umax && v.smax !== S64_MAX) out.push(`${n[1]}=${v.smax}`);
    if (v.umin !== 0n) out.push(`${n[2]}=${v.umin}`);
    if (v.umax !== U64_MAX) out.push(`${n[3]}=${v.umax}`);
    if (!tnumIsUnknown(v.varOff)) out.push(`var_off=(${hex(v.varOff.value)}; ${hex(v.varOff.mask)})`);
    if (BigInt(v.s32min) !== v.smin && v.s32min !== S32_MIN) out.push(`${n[4]}=${v.s32min}`);
    if (BigInt(v.s32max) !== v.smax && v.s32max !== S32_MAX) out.push(`${n[5]}=${v.s32max}`);
    if (BigInt(v.u32min) !== v.umin && v.u32min !== 0) out.push(`${n[6]}=${v.u32min}`);
    if (BigInt(v.u32max) !== v.umax && v.u32max !== U32_MAX) out.push(`${n[7]}=${v.u32max}`);
  }
  return (old ? v.type + P : P + v.type) + `(${out.join(",")})`;
}

/**
 * Print a stack slot entry (without the leading space), its spilled register
 * by the rules of `dialect` (default: the one it was written in).
 */
export function printSlot(sl: SlotValue, dialect?: Dialect): string {
  const head = `fp${sl.off}${sl.live}=`;
  if (sl.special !== null) return head + sl.special;
  if (!sl.spill) return head + sl.types;
  return head + sl.types + printRegValue(sl.spill, dialect);
}

/**
 * Print a state as `print_verifier_state` does (with the leading space of
 * every entry, without a newline), every value by the rules of `dialect`
 * (default: each the one it was written in).
 */
export function printState(st: StateValue, dialect?: Dialect): string {
  let s = st.framePrinted ? ` frame${st.frame}:` : "";
  for (const r of st.regs) s += ` R${r.reg}${r.live}=${printRegValue(r.value, dialect)}`;
  for (const sl of st.stack) s += " " + printSlot(sl, dialect);
  if (st.refs) s += " refs=" + st.refs.join(",");
  for (const f of st.flags) s += " " + f;
  return s;
}
