/**
 * The `helpers` stage of the kernel comparison: programs that call the
 * helpers the linux-6.18 profile models (and now and then one it does not,
 * or one the program type may not call) with arguments that are mostly
 * right and sometimes wrong in one way — a register of the wrong type, an
 * uninitialised or out-of-bounds stack buffer, an unknown or unbounded size,
 * a map of the wrong type, a packet pointer where the helper takes none, a
 * NULL where it takes one, a non-GPL licence — and use what they return:
 * map values and ring buffer reservations with and without a NULL check,
 * reservations submitted, discarded, leaked or released twice, packet
 * pointers kept across a helper that moves the packet. Program types
 * socket_filter, sched_cls, xdp and cgroup_skb; maps hash, array,
 * percpu_array, percpu_hash, lru_hash, prog_array, ringbuf,
 * perf_event_array and devmap.
 *
 * @module
 */
import { Rng } from "../fuzz/rng.ts";
import type { Slot, Spec } from "./alu_gen.ts";

const TYPES = ["socket_filter", "sched_cls", "xdp", "cgroup_skb"] as const;
type ProgType = typeof TYPES[number];

interface MapSpec {
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  name: string;
}

const MAPS: MapSpec[] = [
  { type: "hash", key_size: 8, value_size: 16, max_entries: 16, name: "h" },
  { type: "array", key_size: 4, value_size: 24, max_entries: 8, name: "a" },
  { type: "percpu_array", key_size: 4, value_size: 8, max_entries: 4, name: "pa" },
  { type: "percpu_hash", key_size: 4, value_size: 8, max_entries: 8, name: "ph" },
  { type: "lru_hash", key_size: 8, value_size: 8, max_entries: 8, name: "lru" },
  { type: "prog_array", key_size: 4, value_size: 4, max_entries: 4, name: "jmp" },
  { type: "ringbuf", key_size: 0, value_size: 0, max_entries: 4096, name: "rb" },
  { type: "perf_event_array", key_size: 4, value_size: 4, max_entries: 2, name: "ev" },
  { type: "devmap", key_size: 4, value_size: 4, max_entries: 4, name: "dev" },
];
const M = { hash: 0, array: 1, percpu_array: 2, percpu_hash: 3, lru: 4, prog_array: 5, ringbuf: 6, perf: 7, devmap: 8 };
/** The maps of the argument kinds that need one map type. */
const TYPED_MAPS: Record<string, number[]> = {
  progmap: [M.prog_array],
  rbmap: [M.ringbuf],
  perfmap: [M.perf],
  devmap: [M.devmap],
  pcpumap: [M.percpu_array, M.percpu_hash],
};

/** Helpers by id, with how to call them (argument kinds). */
const CALLS: Record<number, string[]> = {
  1: ["map", "key"],
  2: ["map", "key", "value", "flags"],
  3: ["map", "key"],
  5: [],
  6: ["rdmem", "size"],
  7: [],
  8: [],
  9: ["ctx", "anything", "rdmem", "size", "flags"],
  10: ["ctx", "anything", "anything", "anything", "flags"],
  11: ["ctx", "anything", "anything", "anything", "flags"],
  12: ["ctx", "progmap", "anything"],
  14: [],
  15: [],
  16: ["wrmem", "size"],
  23: ["anything", "flags"],
  26: ["ctx", "anything", "wrmem", "size"],
  28: ["rdmem?", "size0", "rdmem?", "size0", "anything"],
  34: ["ctx"],
  35: [],
  39: ["ctx", "anything"],
  42: [],
  44: ["ctx", "anything"],
  54: ["ctx", "anything"],
  65: ["ctx", "anything"],
  113: ["wrmem", "size0", "anything"],
  115: ["wrmem", "size0", "anything"],
  118: [],
  125: [],
  130: ["rbmap", "rdmem", "size0", "flags"],
  131: ["rbmap", "allocsize", "flags"],
  134: ["rbmap", "flags"],
  160: [],
  195: ["pcpumap", "key", "anything"],
  208: [],
  13: ["ctx", "anything", "flags"],
  17: ["ctx"],
  18: ["ctx", "anything", "anything"],
  19: ["ctx"],
  24: ["ctx"],
  25: ["ctx", "perfmap", "flags", "rdmem", "size0"],
  31: ["ctx", "anything", "flags"],
  32: ["ctx", "anything"],
  38: ["ctx", "anything", "flags"],
  40: ["ctx", "anything"],
  41: ["ctx"],
  43: ["ctx", "anything", "flags"],
  46: ["ctx"],
  47: ["ctx"],
  48: ["ctx", "anything"],
  50: ["ctx", "anything", "anything", "flags"],
  51: ["devmap", "anything", "flags"],
  68: ["ctx", "anything", "wrmem", "size", "flags"],
  97: ["ctx"],
  // not modelled (perf_event_read, sk_lookup_tcp, fib_lookup) or not for every program type (probe_read)
  4: ["wrmem", "size", "anything"],
  22: ["map", "flags"],
  69: ["ctx", "rdmem", "size", "flags"],
  84: ["ctx", "rdmem", "size", "anything", "flags"],
};
const IDS = Object.keys(CALLS).map(Number);
const COMMON = [
  1,
  2,
  3,
  5,
  7,
  8,
  1,
  2,
  3,
  6,
  12,
  14,
  16,
  113,
  115,
  130,
  131,
  131,
  131,
  134,
  195,
  35,
  42,
  118,
  125,
  160,
  208,
];
const BY_TYPE: Record<ProgType, number[]> = {
  socket_filter: [...COMMON, 26, 26, 46, 47, 17, 25, 68],
  sched_cls: [
    ...COMMON,
    ...[9, 10, 11, 23, 26, 28, 34, 39, 9, 26, 28, 39],
    ...[13, 17, 18, 19, 24, 25, 31, 32, 38, 40, 41, 43, 46, 47, 48, 50, 68, 97],
  ],
  xdp: [...COMMON, 23, 28, 44, 54, 65, 44, 65, 28, 17, 25, 51, 51],
  cgroup_skb: [...COMMON, 26, 46, 47, 17, 25, 68, 97],
};

const MOV = (d: number, imm: number): Slot => [0xb7, d, 0, 0, imm];
const MOVX = (d: number, s: number): Slot => [0xbf, d, s, 0, 0];
const ADD = (d: number, imm: number): Slot => [0x07, d, 0, 0, imm];
const AND = (d: number, imm: number): Slot => [0x57, d, 0, 0, imm];
const CALL = (id: number): Slot => [0x85, 0, 0, 0, id];
const EXIT: Slot = [0x95, 0, 0, 0, 0];
const STDW = (off: number, imm: number): Slot => [0x7a, 10, 0, off, imm];
const STXDW = (base: number, src: number, off: number): Slot => [0x7b, base, src, off, 0];
const LDXB = (d: number, s: number, off: number): Slot => [0x71, d, s, off, 0];
const LDXDW = (d: number, s: number, off: number): Slot => [0x79, d, s, off, 0];
const LDXW = (d: number, s: number, off: number): Slot => [0x61, d, s, off, 0];
const STB = (base: number, off: number, imm: number): Slot => [0x72, base, 0, off, imm];
const JEQ0 = (d: number, off: number): Slot => [0x15, d, 0, off, 0];
const JNE0 = (d: number, off: number): Slot => [0x55, d, 0, off, 0];
const JGT_X = (d: number, s: number, off: number): Slot => [0x2d, d, s, off, 0];

class Builder {
  readonly insns: Slot[] = [];
  readonly fixup: Array<[number, number]> = [];
  /** Exits to patch: insn index of a jump whose target is the epilogue. */
  readonly toExit: number[] = [];
  /** Packet pointers in r7 (data) and r8 (data_end) checked for `pktLen` bytes. */
  pktLen = 0;
  /** A map value pointer from an earlier lookup is in r9 (null-checked). */
  mapValue: MapSpec | null = null;
  /** r9 holds a checked ring buffer reservation of this size (-1: none). */
  ringbuf = -1;

  constructor(readonly r: Rng, readonly type: ProgType, readonly bad: boolean) {}

  emit(...s: Slot[]): void {
    this.insns.push(...s);
  }
  ldMap(reg: number, map: number): void {
    this.fixup.push([this.insns.length, map]);
    this.emit([0x18, reg, 0, 0, 0], [0, 0, 0, 0, 0]);
  }
  /** A jump to the epilogue (patched at the end). */
  jumpOut(slot: Slot): void {
    this.toExit.push(this.insns.length);
    this.emit(slot);
  }
  /** Write `n` bytes at fp-off (off >= n) with u64 stores where possible. */
  initStack(off: number, n: number): void {
    for (let k = 0; k < n; k += 8) {
      const at = -off + k;
      if (at + 8 <= 0 && k + 8 <= n) {
        this.emit(STDW(at, this.r.range(0, 7)));
      } else {
        for (let j = k; j < n; j++) {
          this.emit(STB(10, -off + j, this.r.range(0, 255)));
        }
        break;
      }
    }
  }
}

/** A pointer to `n` bytes of memory in `reg`: stack, packet, map value or ring buffer memory. */
function memArg(b: Builder, reg: number, n: number, write: boolean): void {
  const r = b.r;
  const kinds = ["stack", "stack", "stack"];
  if (b.pktLen > 0) kinds.push("pkt");
  if (b.mapValue) kinds.push("mapval");
  if (b.ringbuf >= 0) kinds.push("ringbuf");
  const kind = r.pick(kinds);
  if (kind === "pkt") {
    b.emit(MOVX(reg, 7));
    if (r.chance(0.5)) b.emit(ADD(reg, r.range(0, 4)));
  } else if (kind === "mapval" || kind === "ringbuf") {
    b.emit(MOVX(reg, 9));
    if (r.chance(0.3)) b.emit(ADD(reg, r.range(0, 8)));
  } else {
    const off = r.pick([8, 16, 24, 32, 40, 48, 64, Math.max(8, Math.ceil(n / 8) * 8)]);
    if (!write && !(b.bad && r.chance(0.3))) b.initStack(off, Math.min(n, off));
    b.emit(MOVX(reg, 10), ADD(reg, -off));
  }
}

/** A size in `reg`: a constant, a masked unknown, an unbounded value, zero. */
function sizeArg(b: Builder, reg: number, zeroOk: boolean): number {
  const r = b.r;
  const k = r.int(10);
  if (k < 6) {
    const v = r.pick([1, 4, 8, 8, 16, 16, 24, 32, 48, 64]);
    b.emit(MOV(reg, v));
    return v;
  }
  // unknown values come from fp-72 (a random number spilled at the start): no call clobbers r1-r5
  if (k < 8) {
    b.emit(LDXDW(reg, 10, -72), AND(reg, r.pick([7, 15, 31, 63])));
    if (!zeroOk || r.chance(0.5)) b.emit(ADD(reg, 1));
    return 64;
  }
  if (k === 8) {
    b.emit(MOV(reg, 0));
    return 0;
  }
  b.emit(LDXDW(reg, 10, -72));
  return 64;
}

function callHelper(b: Builder, id: number): void {
  const r = b.r;
  const kinds = CALLS[id];
  const maps = MAPS.map((_, i) => i);
  // arguments are set from the last to the first (helper calls in between clobber r0-r5)
  const prepared: Array<() => void> = [];
  let memSize = 16;
  for (let a = kinds.length - 1; a >= 0; a--) {
    const reg = a + 1, kind = kinds[a];
    const wrong = b.bad && r.chance(0.25);
    prepared.push(() => {
      if (wrong) {
        switch (r.int(4)) {
          case 0:
            b.emit(MOV(reg, r.range(0, 16)));
            return;
          case 1:
            b.emit(MOVX(reg, 10), ADD(reg, -r.pick([8, 16, 520])));
            return;
          case 2:
            b.emit(MOVX(reg, 6));
            return;
          default:
            return; // left as it is (often not initialised)
        }
      }
      switch (kind) {
        case "ctx":
          b.emit(MOVX(reg, 6));
          break;
        case "map":
          b.ldMap(reg, r.pick(b.bad ? maps : [M.hash, M.array, M.percpu_array, M.percpu_hash, M.lru]));
          break;
        case "progmap":
        case "rbmap":
        case "perfmap":
        case "devmap":
        case "pcpumap":
          // the map type the helper needs; now and then a wrong one (check_map_func_compatibility)
          b.ldMap(reg, b.bad && r.chance(0.3) ? r.pick(maps) : r.pick(TYPED_MAPS[kind]));
          break;
        case "key":
        case "value": {
          const off = r.pick([8, 16, 24, 32]);
          if (!(b.bad && r.chance(0.3))) b.initStack(off, off);
          if (b.pktLen >= 8 && r.chance(0.15)) b.emit(MOVX(reg, 7));
          else b.emit(MOVX(reg, 10), ADD(reg, -off));
          break;
        }
        case "rdmem":
        case "rdmem?":
          if (kind === "rdmem?" && r.chance(0.2)) b.emit(MOV(reg, 0));
          else memArg(b, reg, memSize, false);
          break;
        case "wrmem":
          memArg(b, reg, memSize, true);
          break;
        case "size":
        case "size0":
          memSize = sizeArg(b, reg, kind === "size0");
          break;
        case "allocsize":
          if (r.chance(0.8)) b.emit(MOV(reg, r.pick([8, 16, 24, 64])));
          else sizeArg(b, reg, true);
          break;
        case "flags":
          b.emit(MOV(reg, r.chance(0.8) ? 0 : r.range(0, 4)));
          break;
        default:
          b.emit(MOV(reg, r.imm()));
      }
    });
  }
  // sizes are chosen before their memory arguments (the pair is prepared size first)
  for (const p of prepared) p();
  b.emit(CALL(id));
  useResult(b, id);
}

function useResult(b: Builder, id: number): void {
  const r = b.r;
  if (id === 1 || id === 195) {
    const check = !(b.bad && r.chance(0.3));
    if (check) b.jumpOut(JEQ0(0, 0));
    const off = r.chance(0.8) ? r.pick([0, 4, 8]) : r.pick([16, 20, 24]);
    b.emit(r.chance(0.5) ? LDXW(1, 0, off) : STB(0, off, 1));
    if (check && r.chance(0.5)) {
      b.emit(MOVX(9, 0));
      b.mapValue = MAPS[0];
    }
  } else if (id === 131) {
    const check = !(b.bad && r.chance(0.3));
    if (check) b.jumpOut(JEQ0(0, 0));
    b.emit(STB(0, r.pick([0, 1, 7, 8, 15, 16]), 1));
    if (r.chance(0.5)) {
      b.emit(MOVX(9, 0));
      b.ringbuf = 8;
      return;
    }
    finishRingbuf(b, 0);
  } else if ([9, 10, 11, 13, 18, 19, 31, 38, 39, 43, 44, 50, 54, 65].includes(id)) {
    // the packet may have moved: reading through the old pointer is refused
    if (b.pktLen && r.chance(0.3)) b.emit(LDXB(1, 7, 0));
    b.pktLen = 0;
  } else if (r.chance(0.3)) {
    b.jumpOut(JNE0(0, 0));
  }
}

/** Submit or discard the reservation in `reg` (or leak it, or release it twice). */
function finishRingbuf(b: Builder, reg: number): void {
  const r = b.r;
  if (b.bad && r.chance(0.25)) return; // leaked
  b.emit(MOVX(1, reg), MOV(2, 0), CALL(r.chance(0.5) ? 132 : 133));
  if (b.bad && r.chance(0.2)) b.emit(MOVX(1, reg), MOV(2, 0), CALL(132)); // twice
  if (reg === 9) b.ringbuf = -1;
}

/** The program of `seed`. */
export function helperProgram(seed: number): Spec {
  const r = new Rng(seed * 7919 + 13);
  const type = r.pick(TYPES);
  const b = new Builder(r, type, r.chance(0.35));
  b.emit(MOVX(6, 1), CALL(7), STXDW(10, 0, -72));
  if ((type === "sched_cls" || type === "xdp") && r.chance(0.7)) {
    const [d, e] = type === "xdp" ? [0, 4] : [76, 80];
    const n = r.pick([8, 14, 20, 34]);
    b.emit(LDXW(7, 6, d), LDXW(8, 6, e), MOVX(1, 7), ADD(1, n));
    b.jumpOut(JGT_X(1, 8, 0));
    b.pktLen = n;
  }
  const n = r.range(1, 3);
  for (let k = 0; k < n; k++) {
    const id = r.chance(0.06) ? r.pick(IDS) : r.pick(BY_TYPE[type]);
    callHelper(b, id);
  }
  if (b.ringbuf >= 0) finishRingbuf(b, 9);
  if (b.pktLen && r.chance(0.3)) b.emit(LDXB(0, 7, r.range(0, b.pktLen)));
  // epilogue: every early exit jumps here
  const epilogue = b.insns.length;
  b.emit(MOV(0, type === "cgroup_skb" ? 1 : r.pick([0, 1, 2])), EXIT);
  for (const at of b.toExit) {
    b.insns[at] = [b.insns[at][0], b.insns[at][1], b.insns[at][2], epilogue - at - 1, b.insns[at][4]];
  }
  const spec: Spec & { license?: string } = { insns: b.insns, prog_type: type, maps: MAPS, fixup: b.fixup };
  if (b.bad && r.chance(0.1)) spec.license = "Proprietary";
  return spec;
}
