/**
 * Test-run cases of the clang-built objects in tests/fixtures
 * (xdp_firewall.o, tc_portmap.o, sock_flows.o) over many random inputs:
 * every program and map of an object, prog_array slots from its `.maps`
 * initializers, user-space map updates (blocked addresses, port table),
 * then runs with random packets (IPv4 TCP/UDP/ICMP from a few addresses,
 * other EtherTypes, short and long ones), `ctx_in` and `repeat`, and ring
 * buffer reads between them. Hash maps get BPF_F_ZERO_SEED so that the
 * kernel's bucket order is bpfscope's.
 *
 * @module
 */
import { parseElf } from "../../core/elf/mod.ts";
import { mapTypeName, progTypeName } from "../../core/isa/mod.ts";
import { Rng } from "../fuzz/rng.ts";
import { type CaseMap, type CaseStep, hex, type TestRunCase } from "./testrun_case.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const HASH_TYPES = new Set([1, 5, 9]);

/** The case skeleton of an object: maps, programs (fixups to the object's maps), prog_array slots. */
export function objectCase(
  file: string,
): { maps: CaseMap[]; progs: TestRunCase["progs"]; slots: TestRunCase["prog_array"] } {
  const obj = parseElf(Deno.readFileSync(new URL(file, FIXTURES)), file);
  const names = obj.maps.map((m) => m.name);
  const maps: CaseMap[] = obj.maps.map((m) => ({
    name: m.name,
    type: mapTypeName(m.def.type),
    key_size: m.def.keySize,
    value_size: m.def.valueSize,
    max_entries: m.def.maxEntries,
    flags: m.def.flags | (HASH_TYPES.has(m.def.type) ? 0x40 : 0),
    init: m.def.init.map(([k, v]) => [hex(k), hex(v)]),
  }));
  const progs = obj.programs.map((p) => ({
    name: p.section,
    prog_type: progTypeName(p.program.progType),
    insns: p.program.insns().map((x) => [x.code, x.dst, x.src, x.off, x.imm]),
    fixup: p.program.fixups.map(([slot, k]) => [slot, names.indexOf(p.program.maps[k].name)] as [number, number]),
  }));
  const slots: Array<[number, number, number]> = [];
  obj.maps.forEach((m, mi) => {
    for (const s of m.slots ?? []) slots.push([mi, s.index, obj.programs.findIndex((p) => p.section === s.section)]);
  });
  return { maps, progs, slots };
}

const ADDRS = [[10, 0, 0, 1], [10, 0, 0, 66], [192, 168, 1, 7], [172, 16, 0, 9], [10, 0, 0, 2], [8, 8, 8, 8], [
  1,
  2,
  3,
  4,
]];

/** An Ethernet frame: IPv4 (with a valid header checksum) carrying `proto`, or another EtherType. */
function frame(r: Rng): Uint8Array {
  const kind = r.pick(["udp", "udp", "tcp", "icmp", "arp", "short", "ip6"]);
  if (kind === "arp" || kind === "short") {
    const b = r.bytes(kind === "short" ? r.range(14, 33) : r.range(42, 80));
    b.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, kind === "arp" ? 0x06 : 0x42], 0);
    return b;
  }
  if (kind === "ip6") {
    const b = r.bytes(r.range(54, 120));
    b.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x86, 0xdd, 0x60], 0);
    return b;
  }
  const ihl = r.chance(0.1) ? 6 : 5;
  const n = r.chance(0.05) ? r.range(1200, 3000) : r.range(14 + 4 * ihl + 8, 120);
  const b = r.bytes(n);
  b.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  const proto = kind === "udp" ? 17 : kind === "tcp" ? 6 : 1;
  const tot = n - 14;
  b.set([0x40 | ihl, 0, tot >> 8, tot & 0xff, 0, 0, 0, 0, r.pick([0, 1, 2, 64, 255]), proto, 0, 0], 14);
  b.set(r.pick(ADDRS), 26);
  b.set(r.pick(ADDRS), 30);
  const o = 14 + 4 * ihl;
  if (proto === 17) b.set([0x30, 0x39, 0, r.pick([53, 80, 9, 7, 123])], o); // source 12345, destination port
  let s = 0;
  for (let i = 14; i < o; i += 2) s += (b[i] << 8) | b[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  const c = ~s & 0xffff;
  b.set([c >> 8, c & 0xff], 24);
  return b;
}

function ctxFor(r: Rng, type: string, n: number): string | null {
  if (!r.chance(0.25)) return null;
  if (type === "xdp") return hex(new Uint8Array(new Uint32Array([0, n, 0, r.pick([0, 1]), 0, 0]).buffer));
  const b = new Uint8Array(192);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, r.u32(), true);
  dv.setUint32(48, r.range(0, 5), true);
  return hex(b);
}

/** Cases of the three objects, `perObject` each from `seed`. */
export function elfCases(perObject = 100, seed = 1): TestRunCase[] {
  const out: TestRunCase[] = [];
  const u16be = (v: number) => hex(Uint8Array.from([v >> 8, v & 0xff]));
  for (const file of ["xdp_firewall.o", "tc_portmap.o", "sock_flows.o"]) {
    const base = objectCase(file);
    const entry = base.progs.findIndex((p) => !base.slots!.some(([, , pi]) => base.progs[pi] === p));
    const mapIndex = (name: string) => base.maps.findIndex((m) => m.name === name);
    for (let i = 0; i < perObject; i++) {
      const r = new Rng(seed * 7919 + i * 31 + file.length);
      const steps: CaseStep[] = [];
      if (file === "xdp_firewall.o") {
        for (const a of ADDRS) {
          if (r.chance(0.3)) {
            steps.push({ op: "update", map: mapIndex("blocklist"), key: hex(Uint8Array.from(a)), value: "00000000" });
          }
        }
      }
      if (file === "tc_portmap.o") {
        for (const [from, to] of [[53, 5353], [80, 8080], [7, 9], [123, 9]]) {
          if (r.chance(0.6)) steps.push({ op: "update", map: mapIndex("ports"), key: u16be(from), value: u16be(to) });
        }
      }
      const runs = r.range(1, 6);
      for (let k = 0; k < runs; k++) {
        const data = frame(r);
        const type = base.progs[entry].prog_type;
        steps.push({
          op: "run",
          prog: entry,
          data: hex(data),
          ctx: ctxFor(r, type, data.length),
          repeat: r.pick([1, 1, 2]),
        });
        const rb = base.maps.findIndex((m) => m.type === "ringbuf");
        if (rb >= 0 && r.chance(0.3)) steps.push({ op: "consume", map: rb });
      }
      out.push({
        id: `elf/${file}/${seed}/${i}`,
        maps: base.maps,
        progs: base.progs,
        prog_array: base.slots,
        steps,
        trace: true,
      });
    }
  }
  return out;
}
