/**
 * A generator of test-run cases the kernel's verifier accepts, over the
 * features of core/testrun: socket_filter, sched_cls and xdp programs of
 * random blocks — ALU on scalars, ctx field reads and writes, bounds-checked
 * direct packet reads and writes, LD_ABS, map lookups/updates/deletes on
 * percpu_array, percpu_hash and lru_hash (BPF_F_ZERO_SEED, so the kernel's
 * bucket order is bpfscope's), skb_load_bytes, skb_store_bytes, csum_diff,
 * xdp_adjust_head/tail/meta, redirect, get_smp_processor_id,
 * trace_printk, ring buffer output/reserve/submit/discard/query and tail
 * calls into the case's other programs — then several runs with random
 * packets, `ctx_in` and `repeat`, and user-space map operations between
 * them. The epilogue stores the scalar registers into an array map, so
 * every value the program computed is compared.
 *
 * Registers: r6 the ctx, r7..r9 scalars; the stack from r10-8 to r10-64
 * holds scratch scalars, r10-128..r10-384 buffers (zeroed at entry).
 *
 * @module
 */
import { Rng } from "../fuzz/rng.ts";
import { type AsmCase, asmCase } from "./testrun_asm.ts";
import { type CaseMap, type CaseStep, hex, type TestRunCase } from "./testrun_case.ts";

const TYPES = ["socket_filter", "sched_cls", "xdp"] as const;
type ProgType = typeof TYPES[number];

const ALU = ["+=", "-=", "*=", "|=", "&=", "^=", "<<=", ">>="];
const SKB_READ: Record<string, number[]> = {
  socket_filter: [0, 4, 8, 16, 32, 36, 40, 48, 52, 56, 60, 64, 68],
  sched_cls: [0, 4, 8, 12, 16, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72],
};
const SKB_WRITE: Record<string, number[]> = { socket_filter: [48, 52, 56, 60, 64], sched_cls: [8, 32, 44, 48, 60, 72] };

/** One program's text under construction. */
class Gen {
  lines: string[] = [];
  #label = 0;
  /** Whether a block called the subprogram `subtail` (appended after the program's exit). */
  usesSubtail = false;
  constructor(
    readonly r: Rng,
    readonly type: ProgType,
    readonly maps: string[],
    readonly hasProgArray: boolean,
    readonly subtail = false,
  ) {}
  label(): string {
    return `L${this.#label++}`;
  }
  emit(...l: string[]): void {
    this.lines.push(...l);
  }
  scalar(): string {
    return this.r.pick(["r7", "r8", "r9"]);
  }
  /** Load data/data_end into r2/r3 (xdp, tc). */
  pointers(): void {
    if (this.type === "xdp") this.emit("r2 = *(u32 *)(r6 +0)", "r3 = *(u32 *)(r6 +4)");
    else this.emit("r2 = *(u32 *)(r6 +76)", "r3 = *(u32 *)(r6 +80)");
  }
  block(): void {
    const r = this.r;
    const kinds = ["alu", "alu", "ctxread", "ctxwrite", "map", "map", "printk", "smp", "ringbuf"];
    if (this.type !== "socket_filter") kinds.push("pktread", "pktread", "pktwrite", "redirect", "csum");
    if (this.type === "socket_filter") kinds.push("ldabs", "skbload");
    if (this.type === "sched_cls") kinds.push("skbload", "skbstore");
    if (this.type === "xdp") kinds.push("adjust", "adjust");
    if (this.hasProgArray) kinds.push("tail");
    if (this.hasProgArray && this.subtail) kinds.push("subtail");
    const k = r.pick(kinds);
    const s = this.scalar();
    switch (k) {
      case "alu": {
        const op = r.pick(ALU);
        const imm = op === "<<=" || op === ">>=" ? r.int(64) : r.range(-1000, 100000);
        if (r.chance(0.3)) this.emit(`${s} ${op === "<<=" || op === ">>=" ? "+=" : op} ${this.scalar()}`);
        else this.emit(`${s} ${op} ${imm}`);
        break;
      }
      case "ctxread": {
        if (this.type === "xdp") this.emit(`${s} = *(u32 *)(r6 +${r.pick([12, 16])})`);
        else this.emit(`${s} = *(u32 *)(r6 +${r.pick(SKB_READ[this.type])})`);
        break;
      }
      case "ctxwrite": {
        if (this.type === "xdp") return this.block();
        this.emit(`*(u32 *)(r6 +${r.pick(SKB_WRITE[this.type])}) = ${s}`);
        break;
      }
      case "pktread":
      case "pktwrite": {
        const size = r.pick([1, 2, 4, 8]), off = r.range(0, 80), l = this.label();
        const sz = size === 1 ? "u8" : size === 2 ? "u16" : size === 4 ? "u32" : "u64";
        this.pointers();
        this.emit("r4 = r2", `r4 += ${off + size}`, `if r4 > r3 goto ${l}`);
        this.emit(k === "pktread" ? `${s} = *(${sz} *)(r2 +${off})` : `*(${sz} *)(r2 +${off}) = ${s}`, `${l}:`);
        break;
      }
      case "ldabs": {
        const size = r.pick(["u8", "u16", "u32"]);
        this.emit(`r0 = *(${size} *)skb[${r.range(0, 60)}]`, `${s} ^= r0`);
        break;
      }
      case "skbload": {
        const len = r.pick([1, 4, 8, 16]);
        this.emit("r1 = r6", `r2 = ${r.chance(0.1) ? r.range(-4, 2000) : r.range(0, 70)}`, "r3 = r10", "r3 += -128");
        this.emit(`r4 = ${len}`, "call 26", `${s} ^= r0`, `r1 = *(u64 *)(r10 -128)`, `${this.scalar()} += r1`);
        break;
      }
      case "skbstore": {
        const len = r.pick([1, 2, 4, 8]);
        this.emit(`*(u64 *)(r10 -136) = ${s}`, "r1 = r6", `r2 = ${r.range(0, 70)}`, "r3 = r10", "r3 += -136");
        this.emit(`r4 = ${len}`, `r5 = ${r.pick([0, 0, 1, 2, 3, 4])}`, "call 9", `${this.scalar()} ^= r0`);
        break;
      }
      case "csum": {
        const fs = r.pick([0, 4, 8, 12, 20, 40, 3, 7]), ts = r.pick([0, 4, 8, 16, 24, 40, 5]);
        this.emit(`*(u64 *)(r10 -200) = ${s}`, `*(u64 *)(r10 -256) = ${this.scalar()}`);
        this.emit("r1 = r10", "r1 += -208", `r2 = ${fs}`, "r3 = r10", "r3 += -264", `r4 = ${ts}`);
        this.emit(`r5 = ${this.scalar()}`, "call 28", `${s} += r0`);
        break;
      }
      case "printk": {
        const fmt = r.pick(["v=%d\n", "%u %x", "[%5d]", "%llx|%d", "a=%-4u b=%08x", "%c%c", "%d %d %d", "plain"]);
        const bytes = new TextEncoder().encode(fmt + "\0");
        const words = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
        words.set(bytes);
        const dv = new DataView(words.buffer);
        for (let i = 0; i < words.length; i += 8) {
          this.emit(`r1 = 0x${dv.getBigUint64(i, true).toString(16)} ll`, `*(u64 *)(r10 -${320 - i}) = r1`);
        }
        this.emit("r1 = r10", "r1 += -320", `r2 = ${bytes.length}`, `r3 = ${s}`, `r4 = ${this.scalar()}`);
        this.emit(`r5 = ${this.scalar()}`, "call 6", `${s} += r0`);
        break;
      }
      case "smp":
        this.emit("call 8", `${s} += r0`);
        break;
      case "redirect": {
        const flags = this.type === "xdp" ? r.pick([0, 0, 1]) : r.pick([0, 1, 2]);
        this.emit(`r1 = ${r.range(0, 10)}`, `r2 = ${flags}`, "call 23", `${s} += r0`);
        break;
      }
      case "adjust": {
        const id = r.pick([44, 65, 54]);
        const delta = id === 44
          ? r.pick([-14, -20, 8, 14, r.range(-220, 60)])
          : id === 65
          ? r.pick([-4, 10, r.range(-80, 200)])
          : r.pick([-4, -8, -3, r.range(-40, 8)]);
        this.emit("r1 = r6", `r2 = ${delta}`, `call ${id}`, `${s} += r0`);
        break;
      }
      case "map": {
        const m = r.pick(this.maps);
        const op = r.pick(["lookup", "lookup", "update", "update", "delete"]);
        const keyExpr = `${this.scalar()}`;
        this.emit(`r1 = ${keyExpr}`, `r1 &= ${m === "pa" ? 7 : 15}`, "*(u32 *)(r10 -4) = r1");
        if (op === "update") {
          this.emit(`*(u64 *)(r10 -24) = ${s}`, `*(u64 *)(r10 -16) = ${this.scalar()}`);
          this.emit(`r1 = map[${m}] ll`, "r2 = r10", "r2 += -4", "r3 = r10", "r3 += -24");
          this.emit(`r4 = ${r.pick([0, 0, 0, 1, 2, 4])}`, "call 2", `${this.scalar()} += r0`);
        } else if (op === "delete") {
          this.emit(`r1 = map[${m}] ll`, "r2 = r10", "r2 += -4", "call 3", `${this.scalar()} += r0`);
        } else {
          const l = this.label();
          this.emit(`r1 = map[${m}] ll`, "r2 = r10", "r2 += -4", "call 1", `if r0 == 0 goto ${l}`);
          this.emit("r1 = *(u64 *)(r0 +0)", `${s} += r1`, `*(u64 *)(r0 +8) = ${this.scalar()}`, `${l}:`);
        }
        break;
      }
      case "ringbuf": {
        const op = r.pick(["output", "reserve", "query"]);
        if (op === "output") {
          this.emit(`*(u64 *)(r10 -160) = ${s}`, "r1 = map[rb] ll", "r2 = r10", "r2 += -168");
          this.emit(`r3 = ${r.pick([1, 8, 16, 100, 160])}`, `r4 = ${r.pick([0, 1, 2])}`, "call 130", `${s} += r0`);
        } else if (op === "reserve") {
          const l = this.label(), size = r.pick([4, 8, 24, 1000, 3000]);
          this.emit("r1 = map[rb] ll", `r2 = ${size}`, "r3 = 0", "call 131", `if r0 == 0 goto ${l}`);
          this.emit(`*(u32 *)(r0 +0) = ${s}`, "r1 = r0", "r2 = 0", `call ${r.pick([132, 133])}`, `${l}:`);
        } else this.emit("r1 = map[rb] ll", `r2 = ${r.range(0, 4)}`, "call 134", `${s} += r0`);
        break;
      }
      case "tail": {
        this.emit("r1 = r6", "r2 = map[jmp] ll", `r3 = ${r.range(0, 4)}`, "call 12");
        break;
      }
      case "subtail": {
        // a bpf-to-bpf subprogram that tail-calls slot r2: the target runs in its place and returns here
        this.usesSubtail = true;
        this.emit("r1 = r6", `r2 = ${r.range(0, 4)}`, "call subtail", `${s} += r0`);
        break;
      }
    }
  }
}

/** The program text: prologue, `blocks` random blocks, the epilogue storing r7..r9 into `out`. */
function program(
  r: Rng,
  type: ProgType,
  maps: string[],
  hasProgArray: boolean,
  blocks: number,
  subtail: boolean,
): string {
  const g = new Gen(r, type, maps, hasProgArray, subtail);
  g.emit("r6 = r1", `r7 = ${r.range(-100, 1000)}`, `r8 = ${r.range(0, 100000)}`, `r9 = ${r.range(-5, 5)}`, "r1 = 0");
  for (let o = 8; o <= 384; o += 8) g.emit(`*(u64 *)(r10 -${o}) = r1`);
  for (let i = 0; i < blocks; i++) g.block();
  const l = g.label();
  g.emit("*(u32 *)(r10 -4) = 0", "r1 = map[out] ll", "r2 = r10", "r2 += -4", "call 1", `if r0 == 0 goto ${l}`);
  g.emit("*(u64 *)(r0 +0) = r7", "*(u64 *)(r0 +8) = r8", "*(u64 *)(r0 +16) = r9", `${l}:`);
  if (type === "xdp") g.emit("r0 = r7", "r0 &= 3");
  else if (type === "sched_cls") g.emit("r0 = r8", "r0 &= 7");
  else g.emit("r0 = r9");
  g.emit("exit");
  if (g.usesSubtail) g.emit("subtail:", "r3 = r2", "r2 = map[jmp] ll", "call 12", "r0 = 3", "exit");
  return g.lines.join("\n");
}

/** A random packet: Ethernet with an IPv4, IPv6 or other EtherType, big enough for its header. */
function randomPacket(r: Rng): string {
  const kind = r.pick(["ip", "ip", "ip6", "arp", "tiny"]);
  const min = kind === "ip" ? 34 : kind === "ip6" ? 54 : 14;
  const n = kind === "tiny" ? r.range(14, 20) : r.chance(0.05) ? r.range(1000, 3500) : r.range(min, 160);
  const b = r.bytes(n);
  b.set([0, 0, 0, 0, 0, r.pick([0, 1]), 2, 3, 4, 5, 6, 7], 0);
  if (r.chance(0.3)) b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
  const proto = kind === "ip" ? 0x0800 : kind === "ip6" ? 0x86dd : kind === "arp" ? 0x0806 : r.pick([0x0800, 0x0042]);
  b[12] = proto >> 8;
  b[13] = proto & 0xff;
  if (kind === "tiny" && proto === 0x0800 && n < 34) b[13] = 0x42;
  return hex(b);
}

function randomCtx(r: Rng, type: ProgType, dataLen: number): string | null {
  if (!r.chance(0.3)) return null;
  if (type === "xdp") {
    const meta = r.pick([0, 0, 4, 8, 16]);
    const end = r.chance(0.8) ? dataLen : r.range(meta, dataLen);
    return hex(new Uint8Array(new Uint32Array([meta, end, 0, r.pick([0, 1]), 0, 0]).buffer));
  }
  const b = new Uint8Array(192);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, r.u32(), true);
  dv.setUint32(32, r.range(0, 7), true);
  for (let i = 0; i < 5; i++) if (r.chance(0.5)) dv.setUint32(48 + 4 * i, r.u32(), true);
  if (r.chance(0.3)) dv.setUint32(36, r.range(0, 5), true);
  return hex(b);
}

/**
 * `count` cases from `seed`. `subtail` adds blocks that call a subprogram
 * making a tail call; the kernel refuses those programs (their main frame
 * uses 384 bytes of stack, over the 256 it allows beside tail calls from
 * subprograms), so they serve the comparison of the engines only.
 */
export function generateCases(count: number, seed: number, subtail = false): TestRunCase[] {
  const out: TestRunCase[] = [];
  for (let i = 0; i < count; i++) {
    const s = seed * 1000003 + i;
    const r = new Rng(s);
    const type = r.pick(TYPES);
    const maps: CaseMap[] = [
      { name: "out", type: "array", key_size: 4, value_size: 24, max_entries: 1 },
      { name: "pa", type: "percpu_array", key_size: 4, value_size: 16, max_entries: 8 },
      { name: "ph", type: "percpu_hash", key_size: 4, value_size: 16, max_entries: r.pick([4, 8, 16]), flags: 0x40 },
      {
        name: "lru",
        type: "lru_hash",
        key_size: 4,
        value_size: 16,
        max_entries: r.pick([4, 8, 16]),
        flags: 0x40 | r.pick([0, 0, 2]),
      },
      { name: "rb", type: "ringbuf", key_size: 0, value_size: 0, max_entries: 4096 },
      { name: "jmp", type: "prog_array", key_size: 4, value_size: 4, max_entries: 4 },
    ];
    const nProgs = r.pick([1, 1, 2, 3]);
    const progs = Array.from({ length: nProgs }, (_, p) => ({
      name: `p${p}`,
      type,
      asm: program(r, type, ["pa", "ph", "lru"], nProgs > 1, r.range(3, p === 0 ? 25 : 10), subtail),
    }));
    const slots: Array<[number, number, number]> = [];
    for (let p = 1; p < nProgs; p++) slots.push([5, r.int(4), p]);
    if (nProgs > 1 && r.chance(0.3)) slots.push([5, r.int(4), 0]);
    const steps: CaseStep[] = [];
    const nRuns = r.range(1, 4);
    for (let k = 0; k < nRuns; k++) {
      const data = randomPacket(r);
      steps.push({
        op: "run",
        prog: 0,
        data,
        ctx: randomCtx(r, type, data.length / 2),
        repeat: r.pick([1, 1, 1, 2, 3]),
      });
      if (r.chance(0.4)) {
        const m = r.pick([1, 2, 3]), key = hex(new Uint8Array(new Uint32Array([r.int(16)]).buffer));
        const vs = m === 3 ? 16 : 32;
        const op = r.pick(["update", "delete", "lookup"]);
        if (op === "update") steps.push({ op, map: m, key, value: hex(r.bytes(vs)), flags: r.pick([0, 0, 1, 2]) });
        else steps.push({ op, map: m, key } as CaseStep);
      }
      if (r.chance(0.3)) steps.push({ op: "consume", map: 4 });
    }
    const c: AsmCase = { id: `gen/${seed}/${i}`, maps, progs, prog_array: slots, steps, trace: true };
    out.push(asmCase(c));
  }
  return out;
}
