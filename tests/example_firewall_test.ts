// The README's worked example: unit tests of tests/fixtures/xdp_firewall.c without a kernel.
import assert from "node:assert/strict";
import { load, u32, u64 } from "../mod.ts";

const XDP_DROP = 1, XDP_PASS = 2;
const FIREWALL = new URL("./fixtures/xdp_firewall.o", import.meta.url);

/** An Ethernet + IPv4 packet from `src` with a valid header checksum. */
function ipv4(src: number[], ttl = 64): Uint8Array {
  const p = new Uint8Array(60);
  p.set([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00]); // destination, source, EtherType IPv4
  p.set([0x45, 0, 0, 46, 0, 0, 0, 0, ttl, 17, 0, 0, ...src, 10, 0, 0, 1], 14);
  const c = ~checksum(p.subarray(14, 34)) & 0xffff;
  p.set([c >> 8, c & 0xff], 24);
  return p;
}

/** The one's complement sum of an IPv4 header (0xffff when its checksum is right). */
function checksum(h: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += (h[i] << 8) | h[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return s;
}

Deno.test("a packet from a blocked address is dropped, counted and reported", async () => {
  const fw = await load(FIREWALL);
  fw.map("blocklist").set([10, 0, 0, 66], 0);

  const r = fw.run(ipv4([10, 0, 0, 66]));

  assert.equal(r.retval, XDP_DROP);
  assert.equal(r.tailCalls, 1, "firewall tail-called its ipv4 handler");
  assert.equal(u32(fw.map("blocklist").get([10, 0, 0, 66])!), 1, "one hit");
  const [event, ...more] = fw.map("events").records();
  assert.deepEqual([...event], [10, 0, 0, 66, 17, 64, 46, 0]); // saddr, protocol, ttl, tot_len
  assert.equal(more.length, 0);
  const [cpu0, cpu1] = fw.map("stats").getPerCpu(1)!; // drops, per simulated CPU
  assert.deepEqual([u64(cpu0), u64(cpu1)], [1n, 0n]);
});

Deno.test("other packets pass with the TTL decremented and a valid checksum", async () => {
  const fw = await load(FIREWALL);

  const r = fw.run(ipv4([192, 168, 1, 7], 64), { repeat: 3 }); // three runs on the same packet

  assert.equal(r.retval, XDP_PASS);
  const ip = r.dataOut.subarray(14, 34);
  assert.equal(ip[8], 61, "TTL 64 - 3");
  assert.equal(checksum(ip), 0xffff, "the header checksum was patched");
  assert.equal(u64(fw.map("stats").getPerCpu(0)![0]), 3n);
  assert.deepEqual(fw.map("events").records(), []);
});

Deno.test("a packet that would leave with TTL 0 is dropped; non-IPv4 passes untouched", async () => {
  const fw = await load(FIREWALL);
  assert.equal(fw.run(ipv4([192, 168, 1, 7], 1)).retval, XDP_DROP);

  const arp = new Uint8Array(42).fill(0xab);
  arp.set([0x08, 0x06], 12);
  const r = fw.run(arp);
  assert.equal(r.retval, XDP_PASS);
  assert.equal(r.tailCalls, 0);
  assert.deepEqual(r.dataOut, arp);
});

Deno.test("the README's worked example is this file", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const me = await Deno.readTextFile(new URL(import.meta.url));
  const example = me.slice(0, me.indexOf('\nDeno.test("the README'));
  assert.ok(readme.includes("```ts\n" + example + "```"), "README.md does not hold tests/example_firewall_test.ts");
});
