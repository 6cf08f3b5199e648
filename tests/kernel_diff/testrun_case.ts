/**
 * A test-run case (the format tests/kernel_diff/testrun.py runs in the
 * kernel) run in bpfscope: maps, programs, prog_array slots, then steps
 * (test runs and user-space map operations) through the `Bpf` facade, and
 * the maps, ring buffer records and trace_printk lines afterwards, in the
 * same result format.
 *
 * @module
 */
import { Bpf } from "../../core/bpf.ts";
import { BpfError } from "../../core/errors.ts";
import { MAP_TYPES, PROG_TYPES, Program } from "../../core/isa/mod.ts";
import { ProgArrayMap, RingBufMap } from "../../core/maps/mod.ts";
import type { VmEngineName } from "../../core/jit/mod.ts";

/** A map of a case. */
export interface CaseMap {
  name?: string;
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  flags?: number;
  init?: Array<[string, string]>;
}

/** A step of a case. */
export type CaseStep =
  | { op: "run"; prog: number; data: string | null; ctx?: string | null; repeat?: number }
  | { op: "update"; map: number; key: string; value: string; flags?: number }
  | { op: "delete"; map: number; key: string }
  | { op: "lookup"; map: number; key: string }
  | { op: "consume"; map: number };

/** A test-run case. */
export interface TestRunCase {
  id: string;
  maps: CaseMap[];
  progs: Array<{ name?: string; prog_type: string; insns: number[][]; fixup?: Array<[number, number]> }>;
  prog_array?: Array<[number, number, number]>;
  steps: CaseStep[];
  trace?: boolean;
}

/** A step's result. */
export interface StepResult {
  errno: string;
  retval?: number;
  data_out?: string;
  ctx_out?: string;
  value?: string;
  records?: string[];
  /** bpfscope only: why the program faulted (the kernel's verifier would have refused such a program). */
  fault?: string;
  /** bpfscope only, with `detail`: r0 (64 bits), executed instructions, tail calls, redirect and trace lines of the step. */
  detail?: { r0: string; insns: number; tailCalls: number; redirect: string | null; output: string[] };
}

/** What a case gives (kernel or bpfscope). */
export interface CaseResult {
  id: string;
  load: string[];
  load_error?: string;
  steps: StepResult[];
  maps: unknown[];
  trace?: string[];
  error?: string;
}

/** Hex of bytes. */
export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
/** Bytes of hex. */
export const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));

function errnoOf(e: unknown): string {
  if (e instanceof BpfError) return e.errno;
  throw e;
}

/**
 * Run `c` in bpfscope on `engine` with `cpus` simulated CPUs (the kernel's:
 * 2); `detail` adds what only bpfscope reports to each run step; `maxInsns`
 * limits each program run (mutated programs may loop).
 */
export function runCase(
  c: TestRunCase,
  engine: VmEngineName = "interp",
  cpus = 2,
  detail = false,
  maxInsns?: number,
): CaseResult {
  const bpf = new Bpf({ verify: null, engine, cpus });
  const res: CaseResult = { id: c.id, load: [], steps: [], maps: [] };
  const mapFds: number[] = [];
  try {
    for (const m of c.maps) {
      const fd = bpf.mapCreate({
        mapType: MAP_TYPES[m.type] ?? Number(m.type),
        keySize: m.key_size,
        valueSize: m.value_size,
        maxEntries: m.max_entries,
        mapFlags: m.flags ?? 0,
        name: m.name,
      });
      for (const [k, v] of m.init ?? []) bpf.mapUpdateElem(fd, unhex(k), unhex(v));
      mapFds.push(fd);
    }
  } catch (e) {
    return { ...res, error: `map: ${errnoOf(e)}` };
  }
  const progFds: number[] = [];
  for (const p of c.progs) {
    const prog = Program.fromInsns(p.insns.map(([code, dst, src, off, imm]) => ({ code, dst, src, off, imm })), {
      progType: PROG_TYPES[p.prog_type],
      fixups: p.fixup ?? [],
      maps: [],
    });
    try {
      progFds.push(bpf.progLoad({ insns: prog.withMapFds(mapFds) }).fd);
      res.load.push("OK");
    } catch (e) {
      res.load.push(errnoOf(e));
      return res;
    }
  }
  for (const [mi, slot, pi] of c.prog_array ?? []) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, progFds[pi], true);
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, slot, true);
    bpf.mapUpdateElem(mapFds[mi], k, v);
  }
  const trace: string[] = [];
  for (const st of c.steps) {
    try {
      if (st.op === "run") {
        const r = bpf.testRun(progFds[st.prog], {
          data: st.data === null ? undefined : unhex(st.data),
          ctx: st.ctx ? unhex(st.ctx) : undefined,
          repeat: st.repeat ?? 1,
          maxInsns,
        });
        trace.push(...r.output);
        const out: StepResult = { errno: "OK", retval: r.retval, data_out: hex(r.dataOut) };
        if (st.ctx) out.ctx_out = hex(r.ctxOut!);
        if (r.fault) out.fault = r.fault.message;
        if (detail) {
          const rd = r.redirect;
          out.detail = {
            r0: r.r0.toString(),
            insns: r.insnsExecuted,
            tailCalls: r.tailCalls,
            redirect: rd === null ? null : `${rd.ifindex}/${rd.flags}`,
            output: r.output,
          };
        }
        res.steps.push(out);
      } else if (st.op === "update") {
        bpf.mapUpdateElem(mapFds[st.map], unhex(st.key), unhex(st.value), st.flags ?? 0);
        res.steps.push({ errno: "OK" });
      } else if (st.op === "consume") {
        const m = bpf.map(mapFds[st.map]);
        if (!(m instanceof RingBufMap)) throw new Error(`consume: map ${st.map} is not a ring buffer`);
        res.steps.push({ errno: "OK", records: m.consume().map((r) => hex(r.data)) });
      } else if (st.op === "delete") {
        bpf.mapDeleteElem(mapFds[st.map], unhex(st.key));
        res.steps.push({ errno: "OK" });
      } else {
        res.steps.push({ errno: "OK", value: hex(bpf.mapLookupElem(mapFds[st.map], unhex(st.key))) });
      }
    } catch (e) {
      if (e instanceof BpfError) res.steps.push({ errno: e.errno });
      else throw e;
    }
  }
  for (const fd of mapFds) {
    const m = bpf.map(fd);
    if (m instanceof RingBufMap) {
      const records = m.consume().map((r) => hex(r.data));
      res.maps.push({ records, consumer_pos: m.consumerPos, producer_pos: m.producerPos });
    } else if (m instanceof ProgArrayMap) res.maps.push(m.entries().map(([k]) => [hex(k), null]));
    else res.maps.push(m.entries().map(([k, v]) => [hex(k), hex(v)]));
  }
  if (c.trace) res.trace = trace;
  return res;
}
