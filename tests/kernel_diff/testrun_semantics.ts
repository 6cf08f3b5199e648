/**
 * Hand-written test-run cases, one or a few per rule: the program-type
 * contexts (every readable `__sk_buff`/`xdp_md` field, writable fields and
 * `ctx_out`, `ctx_in` and packet-size errnos, `repeat`), each helper (with
 * its edge cases and errnos), each map type (program and user-space
 * operations, flags, per-CPU values, LRU eviction sequences, ring buffer
 * capacity), tail calls. Run against the kernel by testrun_diff.ts and
 * replayed from tests/data/testrun/ by tests/testrun_kernel_test.ts.
 *
 * @module
 */
import { type AsmCase, asmCase } from "./testrun_asm.ts";
import { type CaseMap, type CaseStep, hex, type TestRunCase } from "./testrun_case.ts";

/** An Ethernet + IPv4 + payload packet of `n` bytes (destination MAC `dest`, EtherType `proto`). */
export function packet(n: number, dest = "000000000000", proto = "0800", seed = 1): string {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const head = dest + "020304050607" + proto;
  for (let i = 0; i < Math.min(14, n); i++) b[i] = parseInt(head.slice(2 * i, 2 * i + 2), 16);
  return hex(b);
}

const u32le = (v: number) => hex(new Uint8Array(new Uint32Array([v >>> 0]).buffer));
const u64le = (v: bigint) => hex(new Uint8Array(new BigUint64Array([BigInt.asUintN(64, v)]).buffer));
const zeros = (n: number) => "00".repeat(n);

/** An array map `out` (index 0) with `size` bytes of value. */
const outMap = (size: number): CaseMap => ({
  name: "out",
  type: "array",
  key_size: 4,
  value_size: size,
  max_entries: 1,
});

/** Asm: r0 = pointer to out[0] (r6 = the ctx); jumps to `fail` when NULL. */
const OUT_PTR = `
r6 = r1
*(u32 *)(r10 -4) = 0
r2 = r10
r2 += -4
r1 = map[out] ll
call 1
if r0 == 0 goto fail
r7 = r0
`;
const EXIT0 = `
r0 = 0
exit
fail:
r0 = 99
exit
`;

/** Asm: copy the u32 ctx fields at `offs` into out[0] (4 bytes each, in order). */
function fieldsAsm(offs: number[]): string {
  return OUT_PTR + offs.map((o, i) => `r2 = *(u32 *)(r6 +${o})\n*(u32 *)(r7 +${4 * i}) = r2`).join("\n") + EXIT0;
}

const run = (prog: number, data: string | null, ctx?: string | null, repeat = 1): CaseStep => ({
  op: "run",
  prog,
  data,
  ctx: ctx ?? null,
  repeat,
});

const SKB_SOCKET_READABLE = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 84, 164, 176];
const SKB_TC_READABLE = [...SKB_SOCKET_READABLE, 72, 160];

function skbCtx(fields: Record<number, number>, size = 192): string {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (const [o, v] of Object.entries(fields)) dv.setUint32(Number(o), v >>> 0, true);
  return hex(b);
}

function contexts(): AsmCase[] {
  const out: AsmCase[] = [];
  const pkts = [
    packet(60),
    packet(54, "ffffffffffff"),
    packet(40, "020000000000", "86dd"),
    packet(14, "010000000000", "05ff"),
    packet(20, "000000000000", "0001"),
    packet(16, "000000000000", "0004").slice(0, 28) + "ffff",
    packet(3712),
  ];
  const ctx = skbCtx({ 8: 0x11223344, 32: 7, 36: 5, 40: 1, 48: 0xaaaa0001, 60: 3, 64: 0xaaaa0004, 164: 4, 176: 1400 });
  for (const [type, offs] of [["socket_filter", SKB_SOCKET_READABLE], ["sched_cls", SKB_TC_READABLE]] as const) {
    out.push({
      id: `ctx/skb-fields/${type}`,
      maps: [outMap(4 * offs.length)],
      progs: [{ type, asm: fieldsAsm(offs) }],
      steps: [
        ...pkts.map((p) => run(0, p)),
        run(0, packet(60), ctx),
        run(0, packet(60), skbCtx({ 160: 100 })),
        run(0, packet(60), skbCtx({ 152: 5, 156: 6, 184: 7, 188: 8 })),
      ],
    });
  }
  // direct packet access (tc): lengths from data/data_end/data_meta, and a write
  out.push({
    id: "ctx/skb-pointers/sched_cls",
    maps: [outMap(8)],
    progs: [{
      type: "sched_cls",
      asm: OUT_PTR + `
r2 = *(u32 *)(r6 +76)
r3 = *(u32 *)(r6 +80)
r4 = *(u32 *)(r6 +140)
r5 = r3
r5 -= r2
*(u32 *)(r7 +0) = r5
r5 = r2
r5 -= r4
*(u32 *)(r7 +4) = r5
r5 = r2
r5 += 20
if r5 > r3 goto done
*(u8 *)(r2 +19) = 0x5a
r8 = *(u32 *)(r2 +6)
*(u32 *)(r2 +0) = r8
done:` + EXIT0,
    }],
    steps: [run(0, packet(60)), run(0, packet(19)), run(0, packet(20)), run(0, packet(3712))],
  });
  // writable fields and ctx_out
  out.push({
    id: "ctx/skb-writes/sched_cls",
    progs: [{
      type: "sched_cls",
      asm: `
r2 = *(u32 *)(r1 +8)
r2 += 1
*(u32 *)(r1 +8) = r2
*(u32 *)(r1 +32) = 9
*(u32 *)(r1 +48) = 0x1234
*(u32 *)(r1 +64) = -1
*(u32 *)(r1 +44) = 3
*(u32 *)(r1 +72) = 77
r3 = 0x123456789 ll
*(u64 *)(r1 +152) = r3
r0 = *(u32 *)(r1 +8)
exit`,
    }],
    steps: [
      run(0, packet(60), skbCtx({ 8: 41 })),
      run(0, packet(60), skbCtx({ 8: 41, 36: 3, 176: 9 }), 3),
      run(0, packet(60)),
    ],
  });
  out.push({
    id: "ctx/skb-writes/socket_filter",
    progs: [{
      type: "socket_filter",
      asm: `
r2 = *(u32 *)(r1 +52)
r2 += 7
*(u32 *)(r1 +52) = r2
r0 = *(u32 *)(r1 +0)
exit`,
    }],
    steps: [run(0, packet(60), skbCtx({ 52: 1 })), run(0, packet(30), skbCtx({ 52: 1 }), 4)],
  });
  // ctx_in and size errnos
  const ret1 = "r0 = 1\nexit";
  out.push({
    id: "ctx/skb-errnos",
    progs: [{ type: "socket_filter", asm: ret1 }, { type: "sched_cls", asm: ret1 }],
    steps: [0, 1].flatMap((p) => [
      run(p, packet(13)),
      run(p, packet(14)),
      run(p, packet(3713)),
      run(p, null),
      run(p, packet(60), skbCtx({ 0: 1 })),
      run(p, packet(60), skbCtx({ 4: 1 })),
      run(p, packet(60), skbCtx({ 44: 1 })),
      run(p, packet(60), skbCtx({ 68: 1 })),
      run(p, packet(60), skbCtx({ 76: 1 })),
      run(p, packet(60), skbCtx({ 168: 1 })),
      run(p, packet(60), skbCtx({ 180: 1 })),
      run(p, packet(60), skbCtx({ 160: 10 })),
      run(p, packet(60), skbCtx({ 160: 65536 })),
      run(p, packet(60), skbCtx({ 160: 65537 })),
      run(p, packet(60), skbCtx({ 164: 65535 })),
      run(p, packet(60), skbCtx({ 164: 65536 })),
      run(p, packet(60), skbCtx({ 40: 1 })),
      run(p, packet(60), skbCtx({}, 100)),
      run(p, packet(60), skbCtx({}, 200)),
      run(p, packet(60), skbCtx({ 196: 1 }, 200)),
    ]),
  });
  // xdp
  out.push({
    id: "ctx/xdp-fields",
    maps: [outMap(20)],
    progs: [{
      type: "xdp",
      asm: OUT_PTR + `
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = *(u32 *)(r6 +8)
r5 = r3
r5 -= r2
*(u32 *)(r7 +0) = r5
r5 = r2
r5 -= r4
*(u32 *)(r7 +4) = r5
r5 = *(u32 *)(r6 +12)
*(u32 *)(r7 +8) = r5
r5 = *(u32 *)(r6 +16)
*(u32 *)(r7 +12) = r5
r5 = r4
r5 += 4
if r5 > r2 goto done
r5 = *(u32 *)(r4 +0)
*(u32 *)(r7 +16) = r5
*(u32 *)(r4 +0) = 0x77
done:` + EXIT0,
    }],
    steps: [
      run(0, packet(60)),
      run(0, packet(14)),
      run(0, packet(3520)),
      run(0, packet(60), hex(new Uint8Array(new Uint32Array([8, 60, 0, 0, 0, 0]).buffer))),
      run(0, packet(60), hex(new Uint8Array(new Uint32Array([0, 60, 0, 1, 0, 0]).buffer))),
      run(0, packet(60), hex(new Uint8Array(new Uint32Array([252, 300, 0, 0, 0, 0]).buffer)).padEnd(48, "0")),
    ],
  });
  const xctx = (v: number[]) => hex(new Uint8Array(new Uint32Array([...v, 0, 0, 0, 0, 0, 0].slice(0, 6)).buffer));
  out.push({
    id: "ctx/xdp-errnos",
    progs: [{ type: "xdp", asm: ret1 }],
    steps: [
      run(0, packet(13)),
      run(0, packet(14)),
      run(0, null),
      run(0, packet(60), xctx([0, 60, 4])),
      run(0, packet(60), xctx([0, 59])),
      run(0, packet(60), xctx([61, 60])),
      run(0, packet(60), xctx([3, 60])),
      run(0, packet(60), xctx([256, 300])),
      run(0, packet(300), xctx([256, 300])),
      run(0, packet(60), xctx([0, 60, 0, 0, 1])),
      run(0, packet(60), xctx([0, 60, 0, 1, 1])),
      run(0, packet(60), xctx([0, 60, 0, 1, 0, 1])),
      run(0, packet(60), xctx([0, 60]) + "00000000"),
      run(0, packet(60), xctx([0, 60]) + "00000001"),
      run(0, packet(60), xctx([0, 60]).slice(0, 16)),
      run(0, packet(3268), xctx([252, 3268])),
    ],
  });
  // repeat: state carries over from one run to the next
  out.push({
    id: "ctx/repeat",
    maps: [outMap(8)],
    progs: [{
      type: "xdp",
      asm: OUT_PTR + `
r2 = *(u64 *)(r7 +0)
r2 += 1
*(u64 *)(r7 +0) = r2
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r2
r4 += 1
if r4 > r3 goto done
r5 = *(u8 *)(r2 +0)
r5 += 3
*(u8 *)(r2 +0) = r5
done:` + EXIT0,
    }],
    steps: [run(0, packet(60), null, 0), run(0, packet(60), null, 1), run(0, packet(60), null, 7)],
  });
  // socket filters: LD_ABS/LD_IND are relative to the network header
  out.push({
    id: "ctx/ld_abs/socket_filter",
    progs: [{
      type: "socket_filter",
      asm: `
r6 = r1
r0 = *(u8 *)skb[0]
r7 = r0
r0 = *(u16 *)skb[2]
r7 <<= 16
r7 |= r0
r2 = 1
r0 = *(u32 *)skb[r2 + 5]
r7 ^= r0
r0 = r7
exit`,
    }],
    steps: [run(0, packet(60)), run(0, packet(22, "000000000000", "0000")), run(0, packet(20, "000000000000", "0000"))],
  });
  return out;
}

/** Asm: store `bytes` on the stack from r10 - `at` (8-byte words), using r9. */
function stackBytes(bytes: Uint8Array, at: number): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  const dv = new DataView(padded.buffer);
  const out: string[] = [];
  for (let i = 0; i < padded.length; i += 8) {
    out.push(`r9 = 0x${dv.getBigUint64(i, true).toString(16)} ll`, `*(u64 *)(r10 -${at - i}) = r9`);
  }
  return out.join("\n");
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Asm: trace_printk(fmt, fmtSize, args...) with the fmt on the stack at r10-256; r0 = its result. */
function printkAsm(fmt: string, args: Array<bigint | "str" | "ip4" | "ip6" | "null">, size?: number): string {
  const f = enc(fmt);
  const lines = [stackBytes(new Uint8Array([...f, 0]), 256)];
  lines.push(stackBytes(enc("hello, world\0"), 64), stackBytes(Uint8Array.from([10, 1, 2, 3]), 32));
  lines.push(stackBytes(Uint8Array.from([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42]), 24));
  args.forEach((a, i) => {
    const r = 3 + i;
    if (a === "str") lines.push(`r${r} = r10`, `r${r} += -64`);
    else if (a === "ip4") lines.push(`r${r} = r10`, `r${r} += -32`);
    else if (a === "ip6") lines.push(`r${r} = r10`, `r${r} += -24`);
    else if (a === "null") lines.push(`r${r} = 0`);
    else lines.push(`r${r} = 0x${BigInt.asUintN(64, a).toString(16)} ll`);
  });
  lines.push("r1 = r10", "r1 += -256", `r2 = ${size ?? f.length + 1}`, "call 6", "exit");
  return lines.join("\n");
}

function helpers(): AsmCase[] {
  const out: AsmCase[] = [];
  const fmts: Array<[string, Array<bigint | "str" | "ip4" | "ip6" | "null">, number?]> = [
    ["hello %d %u\n", [-5n, 7n]],
    ["x=%x X=%X lx=%lx llX=%llX", [0xabcn, 0xabcn, 0x123456789n]],
    ["%5d|%-5d|%05d", [42n, 42n, 42n]],
    ["%-05d|%+5d|% d", [-42n, 42n, 42n]],
    ["%llu %lld %ld", [-1n, -1n, -1n]],
    ["%u %d %x", [-1n, 0x1ffffffffn, 0x123456789n]],
    ["%c%c%c", [65n, 0x142n, 32n]],
    ["%3c|%-3c|", [66n, 67n]],
    ["a%%b%%", []],
    ["no newline", []],
    ["two\nlines\n", []],
    ["tab\there", []],
    ["%s|%10s|%-14s|", ["str", "str", "str"]],
    ["%s.", ["null"]],
    ["%pks %pus", ["str", "str"]],
    ["%pI4 %pi4", ["ip4", "ip4"]],
    ["%pI6", ["ip6"]],
    ["%pi6", ["ip6"]],
    ["%px %16px", [0x1234n, 0xabcdefn]],
    ["%pS %ps", [0x1234n, 0n]],
    ["%o", [8n]],
    ["%hd", [1n]],
    ["%.3d", [1n]],
    ["%#x", [1n]],
    ["%5%", [1n]],
    ["abc%", [1n]],
    ["%q", [1n]],
    ["%d %d %d %d", [1n, 2n, 3n, 4n]],
    ["%sx", ["str"]],
    ["%pq", [1n]],
    ["bad\x01char", []],
    ["\x7f", []],
    ["%d", [5n], 2],
    ["abcdefgh", [], 4],
    ["", []],
  ];
  out.push({
    id: "helper/trace_printk",
    progs: fmts.map(([f, a, n]) => ({ type: "socket_filter", asm: printkAsm(f, a, n) })),
    steps: fmts.map((_, i) => run(i, packet(60))),
    trace: true,
  });
  // skb_load_bytes: (offset, len) pairs; the buffer is pre-filled with 0xff
  const loads: Array<[number, number]> = [
    [0, 4],
    [0, 1],
    [10, 8],
    [36, 8],
    [40, 4],
    [41, 4],
    [43, 1],
    [44, 1],
    [
      0x7fffffff,
      1,
    ],
    [0x80000000, 1],
    [0xffffffff, 4],
  ];
  for (const type of ["socket_filter", "sched_cls"]) {
    out.push({
      id: `helper/skb_load_bytes/${type}`,
      maps: [outMap(loads.length * 16)],
      progs: [{
        type,
        asm: OUT_PTR + loads.map(([off, len], i) => `
r1 = -1
*(u64 *)(r10 -16) = r1
r1 = r6
r2 = 0x${off.toString(16)}
r3 = r10
r3 += -16
r4 = ${len}
call 26
*(u64 *)(r7 +${16 * i}) = r0
r1 = *(u64 *)(r10 -16)
*(u64 *)(r7 +${16 * i + 8}) = r1`).join("") + EXIT0,
      }],
      steps: [run(0, packet(58)), run(0, packet(60, "000000000000", "0000"))],
    });
  }
  // skb_store_bytes: (offset, len, flags) triples; the result codes go in r0's bytes of the map
  const stores: Array<[number, number, bigint]> = [
    [0, 4, 0n],
    [14, 8, 1n],
    [20, 2, 2n],
    [30, 4, 3n],
    [40, 4, 4n],
    [
      50,
      4,
      8n,
    ],
    [56, 4, 0n],
    [57, 4, 0n],
    [0x80000000, 1, 0n],
    [59, 1, 1n << 32n],
  ];
  out.push({
    id: "helper/skb_store_bytes",
    maps: [outMap(stores.length * 8)],
    progs: [{
      type: "sched_cls",
      asm: OUT_PTR + `
r1 = 0x1122334455667788 ll
*(u64 *)(r10 -16) = r1` + stores.map(([off, len, flags], i) => `
r1 = r6
r2 = 0x${off.toString(16)}
r3 = r10
r3 += -16
r4 = ${len}
r5 = 0x${flags.toString(16)} ll
call 9
*(u64 *)(r7 +${8 * i}) = r0`).join("") + EXIT0,
    }],
    steps: [run(0, packet(60))],
  });
  // csum_diff over random stack buffers: (from_size, to_size, seed)
  const sums: Array<[number, number, number]> = [
    [0, 0, 0x1234],
    [0, 4, 0],
    [4, 0, 0],
    [4, 4, 0],
    [8, 8, 0xffffffff],
    [0, 20, 0x12345],
    [20, 0, 0xfedcba98],
    [12, 40, 7],
    [64, 64, 0],
    [80, 120, 1],
    [1, 2, 3],
    [5, 7, 0xabcdef],
    [0, 13, 0],
    [11, 0, 0],
    [3, 4, 0],
    [4, 6, 0],
    [120, 0, 0],
    [0, 120, 0xffff],
    [100, 100, 0x8000],
  ];
  const rnd = new Uint8Array(240);
  for (let i = 0, x = 7; i < 240; i++) rnd[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const zero = new Uint8Array(240);
  const ones = new Uint8Array(240).fill(0xff);
  for (const [name, buf] of [["random", rnd], ["zero", zero], ["ones", ones]] as const) {
    out.push({
      id: `helper/csum_diff/${name}`,
      maps: [outMap(sums.length * 8)],
      progs: [{
        type: "sched_cls",
        asm: OUT_PTR + stackBytes(buf, 248) + sums.map(([fs, ts, seed], i) => `
r1 = r10
r1 += -248
r2 = ${fs}
r3 = r10
r3 += -128
r4 = ${ts}
r5 = 0x${seed.toString(16)} ll
call 28
*(u64 *)(r7 +${8 * i}) = r0`).join("") + EXIT0,
      }],
      steps: [run(0, packet(60))],
    });
  }
  // redirect: the return code and nothing else observable (the test run does not send the packet)
  for (const [type, flags] of [["sched_cls", [0n, 1n, 2n, 1n << 63n]], ["xdp", [0n, 1n, 4n]]] as const) {
    out.push({
      id: `helper/redirect/${type}`,
      progs: flags.map((f) => ({ type, asm: `r1 = 3\nr2 = 0x${f.toString(16)} ll\ncall 23\nexit` })),
      steps: flags.map((_, i) => run(i, packet(60))),
    });
  }
  // xdp_adjust_head/tail/meta: the result, then the new length, and a byte written at the new start
  const adjust = (id: number, delta: number) => `
r6 = r1
r1 = r6
r2 = ${delta}
call ${id}
r8 = r0
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = *(u32 *)(r6 +8)
r5 = r2
r5 += 1
if r5 > r3 goto skip
*(u8 *)(r2 +0) = 0xee
skip:
r5 = r3
r5 -= r2
r0 = r8
r0 <<= 16
r0 |= r5
r3 = r2
r3 -= r4
r3 <<= 28
r0 |= r3
exit`;
  const heads = [0, -14, -100, -216, -217, 1, 46, 47, -0x10000];
  const tails = [0, -46, -47, 100, 3460, 3461, -10000];
  const metas = [0, -4, -8, -3, -216, -217, 4, -256];
  const xctx8 = hex(new Uint8Array(new Uint32Array([8, 60, 0, 0, 0, 0]).buffer));
  out.push({
    id: "helper/xdp_adjust",
    progs: [
      ...heads.map((d) => ({ type: "xdp", asm: adjust(44, d) })),
      ...tails.map((d) => ({ type: "xdp", asm: adjust(65, d) })),
      ...metas.map((d) => ({ type: "xdp", asm: adjust(54, d) })),
    ],
    steps: [
      ...heads.map((_, i) => run(i, packet(60))),
      ...heads.map((_, i) => run(i, packet(60), xctx8)),
      ...tails.map((_, i) => run(heads.length + i, packet(60))),
      ...tails.map((_, i) => run(heads.length + i, packet(60), xctx8)),
      ...metas.map((_, i) => run(heads.length + tails.length + i, packet(60))),
      ...metas.map((_, i) => run(heads.length + tails.length + i, packet(60), xctx8)),
      run(1, packet(60), null, 3),
      run(heads.length + 3, packet(60), null, 20),
    ],
  });
  // tail calls: a chain, an empty slot, an index out of range, the limit of 33
  const count = (slot: number, before = "") =>
    OUT_PTR + `
r2 = *(u64 *)(r7 +0)
r2 += 1
*(u64 *)(r7 +0) = r2
${before}
r1 = r6
r2 = map[jmp] ll
r3 = ${slot}
call 12
r0 = 7
exit
fail:
r0 = 99
exit`;
  const jmp: CaseMap = { name: "jmp", type: "prog_array", key_size: 4, value_size: 4, max_entries: 4 };
  for (const type of ["xdp", "sched_cls", "socket_filter"]) {
    out.push({
      id: `tail_call/${type}`,
      maps: [outMap(8), jmp],
      progs: [
        { type, asm: count(1) },
        { type, asm: `r0 = 42\nexit` },
        { type, asm: count(0) },
        {
          type,
          asm: count(3, "r1 = r6\nr2 = map[jmp] ll\nr3 = 2\ncall 12\nr1 = r6\nr2 = map[jmp] ll\nr3 = 9\ncall 12"),
        },
        { type, asm: count(2) },
      ],
      prog_array: [[1, 1, 1], [1, 0, 2], [1, 3, 4]],
      steps: [run(0, packet(60)), run(2, packet(60)), run(3, packet(60)), run(4, packet(60))],
    });
  }
  out.push({
    id: "tail_call/xdp-context-carries-over",
    maps: [jmp],
    progs: [
      { type: "xdp", asm: `r6 = r1\nr2 = -20\ncall 44\nr1 = r6\nr2 = map[jmp] ll\nr3 = 0\ncall 12\nr0 = 1\nexit` },
      {
        type: "xdp",
        asm: `r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr0 = r3\nr0 -= r2\nr4 = r2\nr4 += 1\n` +
          `if r4 > r3 goto out\n*(u8 *)(r2 +0) = 0xab\nout:\nexit`,
      },
    ],
    prog_array: [[0, 0, 1]],
    steps: [run(0, packet(60)), run(0, packet(60), null, 4)],
  });
  // tail calls from bpf-to-bpf subprograms: the target runs in the subprogram's place and returns into its caller
  // (r6-r9 and the caller's stack kept), the count is shared by the whole run, an empty slot falls through
  const sub = (slot: number) => `sub:\nr2 = map[jmp] ll\nr3 = ${slot}\ncall 12\nr0 = 1\nexit`;
  for (const type of ["xdp", "sched_cls", "socket_filter"]) {
    out.push({
      id: `tail_call/from-subprogram/${type}`,
      maps: [outMap(16), jmp],
      progs: [
        {
          type,
          asm: `r6 = r1\nr7 = 5\n*(u64 *)(r10 -8) = 1000\ncall sub\nr0 += r7\nr1 = *(u64 *)(r10 -8)\nr0 += r1\n` +
            `exit\n${sub(0)}`,
        },
        // the target: counts its runs in out[0]
        {
          type,
          asm: OUT_PTR + "r1 = *(u64 *)(r7 +0)\nr1 += 1\n*(u64 *)(r7 +0) = r1\nr0 = 7\nexit\nfail:\nr0 = 99\nexit",
        },
        // three frames deep, into a program that tail-calls from its own subprogram
        {
          type,
          asm: `call s1\nr0 += 1000\nexit\ns1:\nr6 = 20\ncall s2\nr0 += r6\nexit\ns2:\nr2 = map[jmp] ll\nr3 = 1\n` +
            `call 12\nr0 = 1\nexit`,
        },
        { type, asm: `call sub\nr0 += 100\nexit\n${sub(0)}` },
        // 40 calls of a subprogram that tail-calls: 33 reach the target, the rest fall through
        {
          type,
          asm:
            `r6 = r1\nr8 = 40\nr9 = 0\nloop:\nr1 = r6\ncall sub\nr9 += r0\nr8 -= 1\nif r8 != 0 goto loop\nr0 = r9\nexit\n${
              sub(0)
            }`,
        },
        // an empty slot: the subprogram goes on
        { type, asm: `call sub\nr0 += 100\nexit\n${sub(3)}` },
      ],
      prog_array: [[1, 0, 1], [1, 1, 3]],
      steps: [run(0, packet(60)), run(2, packet(60)), run(4, packet(60)), run(5, packet(60), null, 2)],
    });
  }
  out.push({
    id: "helper/get_smp_processor_id",
    progs: [{ type: "xdp", asm: "call 8\nexit" }],
    steps: [run(0, packet(60))],
  });
  return out;
}

/** Asm: call helper 2 (update) on map `m` with the key (u32) and a value of `vs` bytes filled with `fill`; result stored at out+`at`. */
function updateAsm(m: string, key: number, fill: number, vs: number, flags: number | bigint, at: number): string {
  const words = Math.ceil(vs / 8);
  const val = Array.from(
    { length: words },
    (_, i) =>
      `r1 = 0x${(BigInt(fill) * 0x0101010101010101n + BigInt(i)).toString(16)} ll\n*(u64 *)(r10 -${48 - 8 * i}) = r1`,
  )
    .join("\n");
  return `
*(u32 *)(r10 -8) = ${key}
${val}
r1 = map[${m}] ll
r2 = r10
r2 += -8
r3 = r10
r3 += -48
r4 = 0x${BigInt(flags).toString(16)} ll
call 2
*(u64 *)(r7 +${at}) = r0`;
}

const lookupWrite = (m: string, key: number, v: number, at: number) => `
*(u32 *)(r10 -8) = ${key}
r1 = map[${m}] ll
r2 = r10
r2 += -8
call 1
r1 = 0
if r0 == 0 goto l${at}
r1 = *(u32 *)(r0 +0)
*(u32 *)(r0 +0) = ${v}
l${at}:
*(u64 *)(r7 +${at}) = r1`;

const deleteAsm = (m: string, key: number, at: number) => `
*(u32 *)(r10 -8) = ${key}
r1 = map[${m}] ll
r2 = r10
r2 += -8
call 3
*(u64 *)(r7 +${at}) = r0`;

const k32 = (k: number) => u32le(k);
const cpuValues = (vs: number, fills: number[]) =>
  fills.map((f) => hex(new Uint8Array(Math.ceil(vs / 8) * 8).fill(f))).join("");

function maps(): AsmCase[] {
  const out: AsmCase[] = [];
  for (const vs of [8, 12]) {
    const pa: CaseMap = { name: "pa", type: "percpu_array", key_size: 4, value_size: vs, max_entries: 4 };
    out.push({
      id: `map/percpu_array/value${vs}`,
      maps: [outMap(8 * 12), pa],
      progs: [{
        type: "xdp",
        asm: OUT_PTR + lookupWrite("pa", 0, 5, 0) + updateAsm("pa", 1, 0x11, vs, 0, 8) +
          updateAsm("pa", 2, 0x22, vs, 1, 16) + updateAsm("pa", 2, 0x23, vs, 2, 24) +
          updateAsm("pa", 2, 0x24, vs, 3, 32) + updateAsm("pa", 2, 0x25, vs, 4, 40) +
          updateAsm("pa", 2, 0x26, vs, 5, 48) + updateAsm("pa", 4, 0x27, vs, 0, 56) +
          updateAsm("pa", 4, 0x28, vs, 4, 64) + deleteAsm("pa", 0, 72) + lookupWrite("pa", 7, 1, 80) + EXIT0,
      }],
      steps: [
        run(0, packet(60)),
        { op: "update", map: 1, key: k32(3), value: cpuValues(vs, [0xa1, 0xb2]) },
        { op: "update", map: 1, key: k32(3), value: cpuValues(vs, [0xa1, 0xb2]), flags: 1 },
        { op: "update", map: 1, key: k32(3), value: cpuValues(vs, [0xa3, 0xb4]), flags: 2 },
        { op: "update", map: 1, key: k32(3), value: cpuValues(vs, [0xa1, 0xb2]), flags: 3 },
        { op: "update", map: 1, key: k32(4), value: cpuValues(vs, [0xa1, 0xb2]) },
        { op: "delete", map: 1, key: k32(1) },
        { op: "lookup", map: 1, key: k32(1) },
        { op: "lookup", map: 1, key: k32(4) },
        run(0, packet(60), null, 3),
      ],
    });
    const ph: CaseMap = { name: "ph", type: "percpu_hash", key_size: 4, value_size: vs, max_entries: 4, flags: 0x40 };
    out.push({
      id: `map/percpu_hash/value${vs}`,
      maps: [outMap(8 * 14), ph],
      progs: [{
        type: "xdp",
        asm: OUT_PTR + updateAsm("ph", 10, 0x31, vs, 0, 0) + updateAsm("ph", 10, 0x32, vs, 1, 8) +
          updateAsm("ph", 11, 0x33, vs, 2, 16) + updateAsm("ph", 11, 0x34, vs, 0, 24) +
          updateAsm("ph", 12, 0x35, vs, 0, 32) + updateAsm("ph", 13, 0x36, vs, 0, 40) +
          updateAsm("ph", 14, 0x37, vs, 0, 48) + updateAsm("ph", 10, 0x38, vs, 2, 56) +
          lookupWrite("ph", 11, 0x99, 64) + deleteAsm("ph", 12, 72) + deleteAsm("ph", 12, 80) +
          updateAsm("ph", 15, 0x39, vs, 4, 88) + updateAsm("ph", 15, 0x3a, vs, 3, 96) +
          lookupWrite("ph", 12, 1, 104) + EXIT0,
      }],
      steps: [
        run(0, packet(60)),
        { op: "update", map: 1, key: k32(20), value: cpuValues(vs, [0xc1, 0xd2]) },
        { op: "update", map: 1, key: k32(21), value: cpuValues(vs, [0xc3, 0xd4]) },
        { op: "update", map: 1, key: k32(10), value: cpuValues(vs, [0xc5, 0xd6]), flags: 1 },
        { op: "update", map: 1, key: k32(10), value: cpuValues(vs, [0xc7, 0xd8]), flags: 2 },
        { op: "update", map: 1, key: k32(22), value: cpuValues(vs, [0xc9, 0xda]), flags: 2 },
        { op: "update", map: 1, key: k32(22), value: cpuValues(vs, [0xc9, 0xda]), flags: 3 },
        { op: "lookup", map: 1, key: k32(11) },
        { op: "delete", map: 1, key: k32(13) },
        { op: "delete", map: 1, key: k32(13) },
        { op: "update", map: 1, key: k32(21), value: cpuValues(vs, [0xcb, 0xdc]) },
        run(0, packet(60)),
      ],
    });
  }
  // lru_hash: inserts over capacity, lookups setting reference bits, user-space updates and deletes
  const insert = (lo: number, hi: number) => `
r6 = ${lo}
r7 = 0
loop:
*(u32 *)(r10 -4) = r6
*(u64 *)(r10 -16) = r6
r1 = map[lru] ll
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = 0
call 2
if r0 == 0 goto ok
r7 += 1
ok:
r6 += 1
if r6 < ${hi} goto loop
r0 = r7
exit`;
  const lookups = (keys: number[]) =>
    keys.map((k, i) => `
*(u32 *)(r10 -4) = ${k}
r1 = map[lru] ll
r2 = r10
r2 += -4
call 1
if r0 == 0 goto m${i}
r1 = *(u64 *)(r0 +0)
r1 += 1000
*(u64 *)(r0 +0) = r1
m${i}:`).join("") + "\nr0 = 0\nexit";
  for (const [max, flags] of [[4, 0], [8, 0], [16, 0], [64, 0], [300, 0], [8, 2], [16, 2], [9, 2]] as const) {
    const lru: CaseMap = {
      name: "lru",
      type: "lru_hash",
      key_size: 4,
      value_size: 8,
      max_entries: max,
      flags: flags | 0x40,
    };
    const n = Math.min(max, 64);
    out.push({
      id: `map/lru_hash/max${max}/flags${flags}`,
      maps: [lru],
      progs: [
        { type: "xdp", asm: insert(0, n) },
        { type: "xdp", asm: lookups([1, 3, 5, 100, 7, n - 1]) },
        { type: "xdp", asm: insert(100, 100 + Math.ceil(n / 2)) },
        { type: "xdp", asm: insert(0, 3) },
        { type: "xdp", asm: insert(500, 500 + 2 * n) },
      ],
      steps: [
        run(0, packet(60)),
        run(1, packet(60)),
        run(2, packet(60)),
        { op: "lookup", map: 0, key: k32(2) },
        { op: "update", map: 0, key: k32(7), value: u64le(77n) },
        { op: "update", map: 0, key: k32(7), value: u64le(78n), flags: 1 },
        { op: "update", map: 0, key: k32(9999), value: u64le(78n), flags: 2 },
        { op: "update", map: 0, key: k32(200), value: u64le(200n) },
        { op: "delete", map: 0, key: k32(3) },
        { op: "delete", map: 0, key: k32(3) },
        run(1, packet(60)),
        run(3, packet(60)),
        run(4, packet(60)),
        run(1, packet(60)),
        run(0, packet(60)),
      ],
    });
  }
  // ring buffers
  const rb: CaseMap = { name: "rb", type: "ringbuf", key_size: 0, value_size: 0, max_entries: 4096 };
  const output = (size: number, flags: number, at: number) => `
r1 = map[rb] ll
r2 = r10
r2 += -64
r3 = ${size}
r4 = ${flags}
call 130
*(u64 *)(r7 +${at}) = r0`;
  const query = (flags: number, at: number) => `
r1 = map[rb] ll
r2 = ${flags}
call 134
*(u64 *)(r7 +${at}) = r0`;
  const reserve = (size: number, flags: number, at: number, then: "submit" | "discard") => `
r1 = map[rb] ll
r2 = ${size}
r3 = ${flags}
call 131
r1 = 0
if r0 == 0 goto rs${at}
*(u8 *)(r0 +0) = 0x5a
*(u8 *)(r0 +${size - 1}) = 0xa5
r1 = r0
r2 = 0
call ${then === "submit" ? 132 : 133}
r1 = 1
rs${at}:
*(u64 *)(r7 +${at}) = r1`;
  const fill = (size: number, times: number) => `
r8 = 0
r9 = 0
loop:
r1 = map[rb] ll
r2 = r10
r2 += -64
r3 = ${size}
r4 = 0
call 130
if r0 != 0 goto bad
r9 += 1
bad:
r8 += 1
if r8 < ${times} goto loop
*(u64 *)(r7 +0) = r9`;
  out.push({
    id: "map/ringbuf",
    maps: [outMap(8 * 12), rb],
    progs: [
      {
        type: "xdp",
        asm: OUT_PTR + stackBytes(Uint8Array.from({ length: 64 }, (_, i) => i * 3), 64) + output(1, 0, 0) +
          output(8, 1, 8) + output(13, 2, 16) + output(0, 3, 24) + output(5, 4, 32) + query(0, 40) +
          query(1, 48) + query(2, 56) + query(3, 64) + query(4, 72) + EXIT0,
      },
      {
        type: "xdp",
        asm: OUT_PTR + reserve(16, 0, 0, "submit") + reserve(24, 0, 8, "discard") + reserve(7, 0, 16, "submit") +
          reserve(4088, 0, 24, "submit") + reserve(16, 1, 32, "submit") + EXIT0,
      },
      {
        type: "xdp",
        asm: OUT_PTR + stackBytes(Uint8Array.from({ length: 64 }, (_, i) => 255 - i), 64) + fill(60, 80) + EXIT0,
      },
      { type: "xdp", asm: OUT_PTR + reserve(4080, 0, 0, "submit") + reserve(4081, 0, 8, "submit") + EXIT0 },
    ],
    steps: [
      run(0, packet(60)),
      { op: "consume", map: 1 },
      run(1, packet(60)),
      run(2, packet(60)),
      { op: "consume", map: 1 },
      run(2, packet(60)),
      run(0, packet(60)),
      { op: "consume", map: 1 },
      run(3, packet(60)),
      { op: "consume", map: 1 },
      run(2, packet(60)),
      { op: "lookup", map: 1, key: "" },
      { op: "update", map: 1, key: "", value: "" },
    ],
  });
  return out;
}

/** Every case. */
export function semanticCases(): TestRunCase[] {
  return [...contexts(), ...helpers(), ...maps()].map(asmCase);
}

if (import.meta.main) {
  for (const c of semanticCases()) console.log(c.id, c.progs.map((p) => p.insns.length), c.steps.length);
  void u32le, u64le, zeros;
}
