/**
 * A minimal WebAssembly binary writer for the JIT's wasm tier: LEB128
 * immediates, the opcodes the tier emits, function bodies and a module of
 * one memory import, function imports, mutable i32 globals and exported
 * functions (WebAssembly 1.0 plus the sign-extension and bulk-memory
 * operators, which every engine with WebAssembly has shipped).
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e;
/** The empty block type. */
export const VOID = 0x40;

/** Opcodes (the names of the WebAssembly text format, `.` as `_`). */
export const Op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_load: 0x28,
  i64_load: 0x29,
  i32_load8_s: 0x2c,
  i32_load8_u: 0x2d,
  i32_load16_s: 0x2e,
  i32_load16_u: 0x2f,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_store: 0x36,
  i64_store: 0x37,
  i32_store8: 0x3a,
  i32_store16: 0x3b,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_s: 0x57,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  i64_rotl: 0x89,
  i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0,
  i32_extend16_s: 0xc1,
  i64_extend8_s: 0xc2,
  i64_extend16_s: 0xc3,
  i64_extend32_s: 0xc4,
} as const;

/** Append the unsigned LEB128 encoding of `v` (0 ≤ v < 2^32). */
export function uleb(out: number[], v: number): void {
  v >>>= 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

/** Append the signed LEB128 encoding of the int32 `v`. */
export function sleb32(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Append the signed LEB128 encoding of the 64-bit value with words `hi`, `lo` (int32 or uint32 forms). */
export function sleb64(out: number[], hi: number, lo: number): void {
  if (hi === lo >> 31) return sleb32(out, lo);
  let h = hi | 0, l = lo >>> 0;
  for (;;) {
    const b = l & 0x7f;
    // shift the 64-bit value right by 7, arithmetically
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>= 7;
    const done = (h === 0 && l === 0 && (b & 0x40) === 0) || (h === -1 && l === 0xffffffff && (b & 0x40) !== 0);
    if (done) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** The code of one function: its extra locals and its body's bytes. */
export class FuncBody {
  /** The body's bytes (without the locals' declaration and the final `end`). */
  readonly code: number[] = [];
  /** Types of the locals after the parameters. */
  readonly locals: number[] = [];

  /**
   * @param params number of parameters (the first locals)
   */
  constructor(readonly params: number) {}

  /** A new local of type `t`: its index. */
  local(t: number): number {
    this.locals.push(t);
    return this.params + this.locals.length - 1;
  }

  /** Emit opcodes (with no immediates) or raw bytes. */
  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /** `i32.const v`. */
  i32(v: number): this {
    this.code.push(Op.i32_const);
    sleb32(this.code, v);
    return this;
  }

  /** `i64.const` of the 64-bit value with words `hi`, `lo`. */
  i64(hi: number, lo: number): this {
    this.code.push(Op.i64_const);
    sleb64(this.code, hi, lo);
    return this;
  }

  /** `local.get x`. */
  get(x: number): this {
    this.code.push(Op.local_get);
    uleb(this.code, x);
    return this;
  }

  /** `local.set x`. */
  set(x: number): this {
    this.code.push(Op.local_set);
    uleb(this.code, x);
    return this;
  }

  /** `local.tee x`. */
  tee(x: number): this {
    this.code.push(Op.local_tee);
    uleb(this.code, x);
    return this;
  }

  /** `global.get x`. */
  gget(x: number): this {
    this.code.push(Op.global_get);
    uleb(this.code, x);
    return this;
  }

  /** `global.set x`. */
  gset(x: number): this {
    this.code.push(Op.global_set);
    uleb(this.code, x);
    return this;
  }

  /** A load or store `op` with alignment exponent `align` and constant offset `offset` (≥ 0). */
  mem(op: number, align: number, offset: number): this {
    this.code.push(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  /** `call f`. */
  call(f: number): this {
    this.code.push(Op.call);
    uleb(this.code, f);
    return this;
  }

  /** `br depth` / `br_if depth`. */
  br(depth: number, cond = false): this {
    this.code.push(cond ? Op.br_if : Op.br);
    uleb(this.code, depth);
    return this;
  }

  /** Open a `block`, `loop` or `if` of the empty block type. */
  open(kind: number): this {
    this.code.push(kind, VOID);
    return this;
  }

  /** `memory.fill` (memory 0). */
  fill(): this {
    this.code.push(0xfc);
    uleb(this.code, 11);
    this.code.push(0);
    return this;
  }

  /** The function's code entry: size, locals (run-length encoded), body, `end`. */
  encode(): number[] {
    const body: number[] = [];
    const runs: Array<[number, number]> = [];
    for (const t of this.locals) {
      if (runs.length > 0 && runs[runs.length - 1][1] === t) runs[runs.length - 1][0]++;
      else runs.push([1, t]);
    }
    uleb(body, runs.length);
    for (const [n, t] of runs) uleb(body, n), body.push(t);
    for (const b of this.code) body.push(b);
    body.push(Op.end);
    const out: number[] = [];
    uleb(out, body.length);
    for (const b of body) out.push(b);
    return out;
  }
}

/** A function type: parameter and result types. */
export interface FuncType {
  /** Parameter types. */
  params: number[];
  /** Result types. */
  results: number[];
}

/** What {@link wasmModule} assembles. */
export interface ModuleSpec {
  /** Imported functions (module `env`), in index order (they take the first function indices). */
  imports: Array<{ name: string; type: FuncType }>;
  /** Whether the module imports its memory as `env.mem` (minimum `memPages` pages). */
  memPages: number;
  /** Mutable i32 globals defined by the module (initial values), exported as `g0`, `g1`, ... */
  globals: number[];
  /** Defined functions, after the imports in index order. */
  funcs: Array<{ type: FuncType; body: FuncBody; export?: string }>;
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  for (const b of content) out.push(b);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/** The binary of the module described by `spec`. */
export function wasmModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // types: one per distinct signature
  const types: string[] = [];
  const typeIndex = (t: FuncType): number => {
    const key = `${t.params.join(",")}:${t.results.join(",")}`;
    let k = types.indexOf(key);
    if (k < 0) k = types.push(key) - 1;
    return k;
  };
  const importTypes = spec.imports.map((f) => typeIndex(f.type));
  const funcTypes = spec.funcs.map((f) => typeIndex(f.type));
  const ts: number[] = [];
  uleb(ts, types.length);
  for (const key of types) {
    const [p, r] = key.split(":").map((s) => (s === "" ? [] : s.split(",").map(Number)));
    ts.push(0x60);
    uleb(ts, p.length);
    ts.push(...p);
    uleb(ts, r.length);
    ts.push(...r);
  }
  section(out, 1, ts);
  const im: number[] = [];
  uleb(im, spec.imports.length + 1);
  name(im, "env");
  name(im, "mem");
  im.push(0x02, 0x00);
  uleb(im, spec.memPages);
  spec.imports.forEach((f, k) => {
    name(im, "env");
    name(im, f.name);
    im.push(0x00);
    uleb(im, importTypes[k]);
  });
  section(out, 2, im);
  const fs: number[] = [];
  uleb(fs, spec.funcs.length);
  for (const t of funcTypes) uleb(fs, t);
  section(out, 3, fs);
  if (spec.globals.length > 0) {
    const gs: number[] = [];
    uleb(gs, spec.globals.length);
    for (const v of spec.globals) {
      gs.push(I32, 0x01, Op.i32_const);
      sleb32(gs, v);
      gs.push(Op.end);
    }
    section(out, 6, gs);
  }
  const ex: number[] = [];
  const exported = spec.funcs.map((f, k) => [f.export, k] as const).filter(([e]) => e !== undefined);
  uleb(ex, exported.length + spec.globals.length);
  for (const [e, k] of exported) {
    name(ex, e!);
    ex.push(0x00);
    uleb(ex, spec.imports.length + k);
  }
  spec.globals.forEach((_, k) => {
    name(ex, `g${k}`);
    ex.push(0x03);
    uleb(ex, k);
  });
  section(out, 7, ex);
  const cs: number[] = [];
  uleb(cs, spec.funcs.length);
  for (const f of spec.funcs) for (const b of f.body.encode()) cs.push(b);
  section(out, 10, cs);
  return new Uint8Array(out);
}
