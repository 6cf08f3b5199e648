/**
 * Differential test against the running kernel (needs root and bpf(); not
 * part of `deno task test`):
 *
 *   sudo deno run -A tests/kernel_diff/run.ts [COUNT] [SEED] [--verdicts N]
 *
 * Part 1, the machine: COUNT generated socket_filter programs (ALU64/ALU32,
 * JMP/JMP32 forward branches, stack stores/loads of every size, atomics on
 * the stack, hash-map updates/deletes/lookups with atomic adds into values)
 * end with an epilogue that copies r0..r9 and the 64-byte stack area into an
 * array map, as kbpf.py's alu-fuzz does. Each runs in the kernel (batched,
 * one python process per batch, via tests/kernel_diff/batch.py and kbpf.py)
 * and in bpfscope's interpreter and JIT; the map contents must be equal.
 *
 * Part 2, verdicts: N programs from the soundness generator
 * (tests/fuzz/gen.ts, linux-3.19, socket_filter). A program bpfscope's 3.19
 * profile accepts should load in the kernel; when both accept, r0 (u32) and
 * the maps after one run (same packet and initial entries) must agree.
 *
 * Prints a JSON summary (and the first mismatches) on stdout.
 *
 * @module
 */
import { type Insn, type MapDef, mapDef, Program } from "../../core/isa/mod.ts";
import { verify } from "../../core/verifier/mod.ts";
import { createMap } from "../../core/maps/mod.ts";
import { createVm } from "../../core/jit/mod.ts";
import { MAP_PTR_HI } from "../../core/vm/mod.ts";
import { generateProgram } from "../fuzz/gen.ts";
import { Rng } from "../fuzz/rng.ts";

const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A program to run in both places. */
export interface DiffCase {
  /** Which part: `machine` or `verdict`. */
  part: "machine" | "verdict";
  /** Seed of the case. */
  seed: number;
  /** The program (maps with initial entries, fixups). */
  prog: Program;
  /** The packet given to the kernel (bpfscope gets it without the 14-byte L2 header). */
  packet: Uint8Array;
  /** The program computes with pointers (results depend on addresses: runs are not compared). */
  pointerAlu?: boolean;
}

const EDGE = [
  0n,
  1n,
  -1n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  -0x8000000000000000n,
  0x7fffffffffffffffn,
];

function imm64(r: Rng): bigint {
  if (r.chance(0.3)) return r.pick(EDGE);
  if (r.chance(0.3)) return BigInt(r.range(-100, 100));
  return BigInt.asIntN(64, (BigInt(r.u32()) << 32n) | BigInt(r.u32()));
}

function ldImm64(d: number, v: bigint): Insn[] {
  const u = BigInt.asUintN(64, v);
  return [
    I(0x18, d, 0, 0, Number(BigInt.asIntN(32, u & 0xffffffffn))),
    I(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))),
  ];
}

const ALU = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
const JMP = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const ATOMIC = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
const SIZE: Array<[number, number]> = [[0x18, 8], [0x00, 4], [0x08, 2], [0x10, 1]];

/** One ALU instruction on scalars r0..r9 (valid for the kernel's verifier). */
function aluInsn(r: Rng, regs: number[]): Insn {
  const is64 = r.chance(0.5);
  const cls = is64 ? 0x07 : 0x04;
  const op = r.pick(ALU);
  const d = r.pick(regs);
  if (r.chance(0.06)) return I(0xd4 | (r.chance(0.5) ? 8 : 0), d, 0, 0, r.pick([16, 32, 64]));
  if (op === 0x80) return I(cls | op, d, 0, 0, 0);
  if (r.chance(0.5)) return I(cls | 0x08 | op, d, r.pick(regs), 0, 0);
  let imm = r.imm();
  if ((op === 0x30 || op === 0x90) && imm === 0) imm = 7;
  if (op === 0x60 || op === 0x70 || op === 0xc0) imm = r.int(is64 ? 64 : 32);
  return I(cls | op, d, 0, 0, imm);
}

/** The machine-part program of `seed`. */
export function machineCase(seed: number): DiffCase {
  const r = new Rng(seed);
  const maps: MapDef[] = [
    mapDef({ type: 2, keySize: 4, valueSize: 144, maxEntries: 1, name: "out" }, 0),
    mapDef({ type: 1, keySize: 8, valueSize: 8, maxEntries: 8, name: "h" }, 1),
  ];
  for (let k = 0; k < 8; k++) {
    if (r.chance(0.5)) {
      const key = new Uint8Array(8);
      key[0] = k;
      maps[1].init.push([key, r.bytes(8)]);
    }
  }
  const out: Insn[] = [];
  const fixups: Array<[number, number]> = [];
  const ldMap = (d: number, m: number) => {
    fixups.push([out.length, m]);
    out.push(I(0x18, d, 1, 0, 0), I(0, 0, 0, 0, 0));
  };
  const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (let s = 1; s <= 8; s++) out.push(I(0x7a, 10, 0, -8 * s, r.imm()));
  for (const d of all) out.push(...ldImm64(d, imm64(r)));
  const n = r.range(8, 60);
  for (let i = 0; i < n; i++) {
    const x = r.int(100);
    if (x < 45) out.push(aluInsn(r, all));
    else if (x < 58) {
      // forward branch over 1..4 ALU ops
      const k = r.range(1, 4);
      const cls = r.chance(0.5) ? 0x06 : 0x05;
      const op = r.pick(JMP);
      out.push(
        r.chance(0.5) ? I(cls | 0x08 | op, r.pick(all), r.pick(all), k, 0) : I(cls | op, r.pick(all), 0, k, r.imm()),
      );
      for (let j = 0; j < k; j++) out.push(aluInsn(r, all));
    } else if (x < 68) {
      const [sz, w] = r.pick(SIZE);
      const off = -64 + w * r.int(64 / w);
      out.push(r.chance(0.3) ? I(0x62 | sz, 10, 0, off, r.imm()) : I(0x63 | sz, 10, r.pick(all), off, 0));
    } else if (x < 78) {
      const [sz, w] = r.pick(SIZE);
      out.push(I(0x61 | sz, r.pick(all), 10, -64 + w * r.int(64 / w), 0));
    } else if (x < 88) {
      const w = r.chance(0.5) ? 8 : 4;
      const op = r.pick(ATOMIC);
      // cmpxchg compares with r0 and writes the old value to r0: keep src != r0 not required, any scalar
      out.push(I(w === 8 ? 0xdb : 0xc3, 10, r.pick(all), -64 + w * r.int(64 / w), op));
    } else if (x < 96) {
      // hash map update / delete with a key 0..7 and a register value
      const fn = r.chance(0.7) ? 2 : 3;
      out.push(I(0x7a, 10, 0, -160, r.int(8)), I(0x7b, 10, r.pick(all), -168, 0));
      ldMap(1, 1);
      out.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -160));
      if (fn === 2) out.push(I(0xbf, 3, 10, 0, 0), I(0x07, 3, 0, 0, -168), I(0xb7, 4, 0, 0, r.pick([0, 0, 1, 2])));
      out.push(I(0x85, 0, 0, 0, fn));
      for (let d = 1; d <= 5; d++) out.push(...ldImm64(d, imm64(r)));
    } else {
      // lookup, then an atomic add (or a store) of a callee-saved register into the value
      out.push(I(0x7a, 10, 0, -160, r.int(8)));
      ldMap(1, 1);
      out.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -160), I(0x85, 0, 0, 0, 1));
      out.push(I(0x15, 0, 0, 1, 0));
      out.push(
        r.chance(0.5) ? I(0xdb, 0, r.range(6, 9), 0, r.pick([0x00, 0x40, 0xa0])) : I(0x7b, 0, r.range(6, 9), 0, 0),
      );
      for (let d = 0; d <= 5; d++) out.push(...ldImm64(d, imm64(r)));
    }
  }
  // epilogue: r0..r9 and the stack area into out[0]
  for (const d of all) out.push(I(0x7b, 10, d, -72 - 8 * d, 0));
  out.push(I(0x62, 10, 0, -152, 0));
  ldMap(1, 0);
  out.push(I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -152), I(0x85, 0, 0, 0, 1));
  out.push(I(0x55, 0, 0, 2, 0), I(0xb7, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0));
  for (const d of all) out.push(I(0x79, 1, 10, -72 - 8 * d, 0), I(0x7b, 0, 1, 8 * d, 0));
  for (let s = 0; s < 8; s++) out.push(I(0x79, 1, 10, -64 + 8 * s, 0), I(0x7b, 0, 1, 80 + 8 * s, 0));
  out.push(I(0xb7, 0, 0, 0, 1), I(0x95, 0, 0, 0, 0));
  const prog = Program.fromInsns(out, { maps, fixups, progType: 1 });
  return { part: "machine", seed, prog, packet: r.bytes(64) };
}

/** The verdict-part program of `seed`: the soundness generator's socket_filter programs with map entries. */
export function verdictCase(seed: number): DiffCase {
  const r = new Rng(seed);
  const { prog, pointerAlu } = generateProgram(r, { profile: "linux-3.19", progType: 1 });
  for (const m of prog.maps) {
    const n = r.int(m.maxEntries + 1);
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const k0 = r.int(m.type === 2 ? m.maxEntries : 6);
      if (seen.has(k0)) continue;
      seen.add(k0);
      const key = new Uint8Array(m.keySize);
      key[0] = k0;
      m.init.push([key, r.bytes(m.valueSize)]);
    }
  }
  return { part: "verdict", seed, prog, packet: r.bytes(r.range(14, 100)), pointerAlu };
}

const MAP_TYPE_NAME: Record<number, string> = { 1: "hash", 2: "array" };

/** The kbpf.py spec of a case. */
export function kernelSpec(c: DiffCase): Record<string, unknown> {
  const p = c.prog;
  return {
    insns: p.insns().map((x) => [x.code, x.dst, x.src, x.off, x.imm]),
    prog_type: "socket_filter",
    maps: p.maps.map((m) => ({
      type: MAP_TYPE_NAME[m.type],
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
      init: m.init.map(([k, v]) => [hex(k), hex(v)]),
    })),
    fixup: p.fixups,
    data: hex(c.packet),
  };
}

/** Sorted `key=value` lines of map contents (array maps: every index). */
function mapLines(entries: Array<[string, string]>): string[] {
  return entries.map(([k, v]) => `${k}=${v}`).sort();
}

/** Run a case in bpfscope on `engine`: r0 (low 32 bits), fault and maps. */
export function runLocal(
  c: DiffCase,
  engine: "interp" | "jit",
): { r0: number; r0IsPointer: boolean; fault: string | null; maps: string[][] } {
  const maps = c.prog.maps.map((d) => {
    const m = createMap({ mapType: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries });
    for (const [k, v] of d.init) m.update(k, v, 0);
    return m;
  });
  const vm = createVm(c.prog.withMapFds(maps.map((_, i) => 100 + i)), { resolveMap: (fd) => maps[fd - 100] }, engine);
  const res = vm.run({ data: c.packet.slice(14) }, { maxInsns: 1_000_000, seed: 1, clock: () => 1n });
  return {
    r0: Number(res.r0 & 0xffffffffn),
    // bpfscope addresses have high words >= MAP_PTR_HI (core/vm/memory.ts); the kernel's differ
    r0IsPointer: res.r0 >> 32n >= BigInt(MAP_PTR_HI),
    fault: res.fault?.message ?? null,
    maps: maps.map((m) => mapLines(m.entries().map(([k, v]) => [hex(k), hex(v)]))),
  };
}

/** What batch.py reports for one program. */
export interface KernelResult {
  /** The kernel loaded it. */
  accepted: boolean;
  /** errno name of the load. */
  errno: string | null;
  /** First line of the level-0 log (the error message). */
  error: string | null;
  /** r0 of one test run (u32). */
  retval?: number;
  /** Map contents after the run: `[key_hex, value_hex]` per map. */
  maps?: Array<Array<[string, string]>>;
}

/** Run specs in the kernel through batch.py, one python process. */
async function runKernel(cases: DiffCase[]): Promise<KernelResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "kdiff" });
  const inp = `${dir}/in.jsonl`, outp = `${dir}/out.jsonl`;
  await Deno.writeTextFile(inp, cases.map((c) => JSON.stringify(kernelSpec(c))).join("\n") + "\n");
  const script = new URL("./batch.py", import.meta.url).pathname;
  const st = await new Deno.Command("python3", { args: [script, inp, outp], stderr: "inherit" }).output();
  if (!st.success) throw new Error(`batch.py failed (${st.code})`);
  const lines = (await Deno.readTextFile(outp)).trim().split("\n");
  await Deno.remove(dir, { recursive: true });
  return lines.map((l) => JSON.parse(l));
}

let pointerReturns = 0;

/** Compare one case's kernel and bpfscope results; returns a mismatch description or null. */
export function compare(c: DiffCase, k: KernelResult): string | null {
  for (const engine of ["interp", "jit"] as const) {
    const l = runLocal(c, engine);
    if (l.fault) return `${engine} fault: ${l.fault}`;
    if (l.r0IsPointer) pointerReturns++;
    else if (l.r0 !== (k.retval ?? 0) >>> 0) return `${engine} r0 ${l.r0} kernel ${k.retval}`;
    const km = (k.maps ?? []).map(mapLines);
    for (let i = 0; i < km.length; i++) {
      const a = l.maps[i].join(" "), b = km[i].join(" ");
      if (a !== b) return `${engine} map ${i}: bpfscope ${a} kernel ${b}`;
    }
  }
  return null;
}

async function main() {
  const args = Deno.args.filter((a) => !a.startsWith("--"));
  const vi = Deno.args.indexOf("--verdicts");
  const count = Number(args[0] ?? 2000), seed0 = Number(args[1] ?? 1);
  const verdicts = vi >= 0 ? Number(Deno.args[vi + 1]) : Math.round(count / 2);
  const BATCH = 1000;
  const summary = {
    machine: { programs: 0, kernel_rejected: 0, compared: 0, mismatches: 0 },
    verdict: {
      programs: 0,
      both_accept: 0,
      both_reject: 0,
      bpfscope_only_accepts: 0,
      kernel_only_accepts: 0,
      run_compared: 0,
      run_mismatches: 0,
      r0_pointer_not_compared: 0,
      pointer_alu_not_compared: 0,
    },
    ms: 0,
  };
  const examples: Array<Record<string, unknown>> = [];
  const reasons: Record<string, { count: number; first_seed: number }> = {};
  const t0 = performance.now();
  for (let b = 0; b < count; b += BATCH) {
    const cases = Array.from({ length: Math.min(BATCH, count - b) }, (_, i) => machineCase(seed0 + b + i));
    const ks = await runKernel(cases);
    cases.forEach((c, i) => {
      summary.machine.programs++;
      const k = ks[i];
      if (!k.accepted) {
        summary.machine.kernel_rejected++;
        if (examples.length < 20) examples.push({ part: "machine", seed: c.seed, kernel_rejected: k.error });
        return;
      }
      summary.machine.compared++;
      const m = compare(c, k);
      if (m) {
        summary.machine.mismatches++;
        if (examples.length < 20) examples.push({ part: "machine", seed: c.seed, mismatch: m });
      }
    });
  }
  for (let b = 0; b < verdicts; b += BATCH) {
    const cases = Array.from({ length: Math.min(BATCH, verdicts - b) }, (_, i) => verdictCase(seed0 + b + i));
    const ks = await runKernel(cases);
    cases.forEach((c, i) => {
      const v = summary.verdict;
      v.programs++;
      const ours = verify(c.prog, { profile: "linux-3.19" });
      const k = ks[i];
      if (ours.accepted && k.accepted) v.both_accept++;
      else if (!ours.accepted && !k.accepted) v.both_reject++;
      else if (ours.accepted) {
        v.bpfscope_only_accepts++;
        const why = (k.error ?? k.errno ?? "?").replace(/\d+/g, "N");
        reasons[why] ??= { count: 0, first_seed: c.seed };
        reasons[why].count++;
      } else v.kernel_only_accepts++;
      if (ours.accepted && k.accepted && c.pointerAlu) v.pointer_alu_not_compared++;
      else if (ours.accepted && k.accepted) {
        v.run_compared++;
        const m = compare(c, k);
        if (m) {
          v.run_mismatches++;
          if (examples.length < 60) examples.push({ part: "verdict", seed: c.seed, mismatch: m });
        }
      }
    });
  }
  summary.verdict.r0_pointer_not_compared = pointerReturns;
  summary.ms = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ summary, bpfscope_only_accept_reasons: reasons }, null, 1));
  for (const e of examples) console.log(JSON.stringify(e));
}

if (import.meta.main) await main();
