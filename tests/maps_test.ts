// Maps: creation checks, every update/delete/lookup error path, iteration order.
// Expected hash orders are literals obtained from the running kernel (Linux 6.18,
// hash maps created with BPF_F_ZERO_SEED = 0x40 so jhash uses seed 0, via
// /work/shared/oracle/kbpf.py Map(...).keys()).
import assert from "node:assert/strict";
import { BpfError } from "../core/errors.ts";
import { type BpfMap, createMap, jhash } from "../core/maps/mod.ts";

function le(x: bigint, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return b;
}
function num(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function hash(ks: number, n: number, keys: bigint[]): BpfMap {
  const m = createMap({ mapType: 1, keySize: ks, valueSize: 8, maxEntries: n });
  for (const k of keys) m.update(le(k, ks), le(k, 8));
  return m;
}
const order = (m: BpfMap) => m.entries().map(([k]) => num(k));
const errno = (f: () => unknown, name: string) =>
  assert.throws(f, (e: unknown) => e instanceof BpfError && e.errno === name, `expected ${name}`);
const range = (n: number, f = (i: number) => BigInt(i)) => Array.from({ length: n }, (_, i) => f(i));

Deno.test("jhash: kernel lookup3 values", () => {
  assert.equal(jhash(new Uint8Array(0), 0, 0, 0), 0xdeadbeef);
  // bucket orders below pin the hash for 3, 4, 8, 12 and 13-byte keys
});

Deno.test("hash iteration order = the kernel's (bucket ascending, newest first)", () => {
  assert.deepEqual(order(hash(4, 8, range(8))), [0n, 4n, 7n, 2n, 1n, 6n, 5n, 3n]);
  assert.deepEqual(order(hash(4, 5, range(5))), [0n, 4n, 2n, 1n, 3n]);
  assert.deepEqual(
    order(hash(8, 16, range(16, (i) => BigInt(i) * 0x1000000001n))).map(String),
    [
      "893353197581",
      "481036337159",
      "206158430211",
      "137438953474",
      "618475290633",
      "274877906948",
      "68719476737",
      "824633720844",
      "755914244107",
      "1030792151055",
      "962072674318",
      "412316860422",
      "687194767370",
      "549755813896",
      "343597383685",
      "0",
    ],
  );
  assert.deepEqual(order(hash(3, 4, [1n, 2n, 3n, 0x10203n])), [3n, 1n, 0x10203n, 2n]);
  assert.deepEqual(order(hash(12, 8, range(8, (i) => BigInt(i * 7 + 1)))), [50n, 22n, 43n, 1n, 36n, 8n, 29n, 15n]);
  assert.deepEqual(order(hash(13, 8, range(8, (i) => BigInt(i * 7 + 1)))), [36n, 15n, 43n, 22n, 50n, 8n, 1n, 29n]);
  assert.deepEqual(order(hash(4, 3, [10n, 20n, 30n])), [20n, 10n, 30n]);
});

Deno.test("hash: replacement moves the element to the head of its bucket; delete/reinsert (kernel sequence)", () => {
  const m = createMap({ mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4 });
  const seen: bigint[][] = [];
  for (let k = 0; k < 4; k++) (m.update(le(BigInt(k), 4), new Uint8Array(8)), seen.push(order(m)));
  for (let k = 0; k < 4; k++) (m.update(le(BigInt(k), 4), new Uint8Array(8)), seen.push(order(m)));
  m.delete(le(2n, 4));
  seen.push(order(m));
  m.update(le(7n, 4), new Uint8Array(8));
  seen.push(order(m));
  // literal from kbpf.py on Linux 6.18
  assert.deepEqual(seen, [
    [0n],
    [0n, 1n],
    [0n, 2n, 1n],
    [0n, 2n, 3n, 1n],
    [0n, 2n, 3n, 1n],
    [0n, 2n, 1n, 3n],
    [0n, 2n, 1n, 3n],
    [0n, 2n, 3n, 1n],
    [0n, 3n, 1n],
    [0n, 7n, 3n, 1n],
  ]);
  // get_next_key of a missing key: the first key
  assert.equal(num(m.getNextKey(le(99n, 4))), 0n);
  assert.equal(num(m.getNextKey(null)), 0n);
  errno(() => m.getNextKey(le(1n, 4)), "ENOENT");
});

Deno.test("hash: update/delete/lookup errors (3.19 order: E2BIG before the flags)", () => {
  const m = hash(4, 2, [1n, 2n]);
  errno(() => m.update(le(3n, 4), new Uint8Array(8), 0), "E2BIG");
  errno(() => m.update(le(3n, 4), new Uint8Array(8), 1), "E2BIG");
  // 3.19 checks the size first; Linux 6.18 (kbpf.py) gives ENOENT here
  errno(() => m.update(le(3n, 4), new Uint8Array(8), 2), "E2BIG");
  errno(() => m.update(le(1n, 4), new Uint8Array(8), 1), "EEXIST");
  errno(() => m.update(le(1n, 4), new Uint8Array(8), 3), "EINVAL");
  m.update(le(1n, 4), le(5n, 8), 2);
  assert.equal(num(m.lookup(le(1n, 4))), 5n);
  const h = hash(4, 4, []);
  errno(() => h.update(le(3n, 4), new Uint8Array(8), 2), "ENOENT");
  errno(() => h.lookup(le(3n, 4)), "ENOENT");
  errno(() => h.delete(le(3n, 4)), "ENOENT");
  errno(() => h.getNextKey(null), "ENOENT");
  errno(() => h.lookup(new Uint8Array(3)), "EINVAL");
  errno(() => h.update(le(1n, 4), new Uint8Array(7)), "EINVAL");
  h.update(le(1n, 4), new Uint8Array(8));
  h.delete(le(1n, 4));
  assert.equal(h.count(), 0);
});

Deno.test("hash: replaced and deleted values are detached (onDetach), never shared", () => {
  const m = hash(4, 4, [1n]);
  const ref = m.lookupRef(le(1n, 4), 0);
  const before = m.refBuffer(ref);
  const detached: Uint8Array[] = [];
  m.onDetach = (b) => void detached.push(b);
  m.update(le(1n, 4), le(9n, 8));
  assert.equal(detached[0], before);
  assert.notEqual(m.refBuffer(m.lookupRef(le(1n, 4), 0)), before);
  m.delete(le(1n, 4));
  assert.equal(detached.length, 2);
});

Deno.test("array: errors, stride, iteration order", () => {
  const a = createMap({ mapType: 2, keySize: 4, valueSize: 12, maxEntries: 3 });
  assert.equal(a.refOffset(2), 32, "stride rounded to 8");
  errno(() => a.update(le(0n, 4), new Uint8Array(12), 1), "EEXIST");
  errno(() => a.update(le(5n, 4), new Uint8Array(12), 0), "E2BIG");
  errno(() => a.update(le(0n, 4), new Uint8Array(12), 3), "EINVAL");
  errno(() => a.delete(le(0n, 4)), "EINVAL");
  errno(() => a.lookup(le(5n, 4)), "ENOENT");
  a.update(le(1n, 4), new Uint8Array(12).fill(7), 2);
  assert.deepEqual(a.lookup(le(1n, 4)), new Uint8Array(12).fill(7));
  // kernel: next_key(none) = 0, 0 -> 1, 1 -> 2, 2 (last) -> ENOENT, out of range -> 0
  assert.equal(num(a.getNextKey(null)), 0n);
  assert.equal(num(a.getNextKey(le(1n, 4))), 2n);
  errno(() => a.getNextKey(le(2n, 4)), "ENOENT");
  assert.equal(num(a.getNextKey(le(5n, 4))), 0n);
  assert.deepEqual(a.entries().map(([k]) => num(k)), [0n, 1n, 2n]);
});

Deno.test("create: kernel checks per type; unspec only in linux-3.18", () => {
  const c = (mapType: number, keySize: number, valueSize: number, maxEntries: number, mapFlags = 0) => () =>
    createMap({ mapType, keySize, valueSize, maxEntries, mapFlags });
  // EINVAL for zero sizes (same on 6.18 via kbpf.py)
  errno(c(1, 0, 8, 4), "EINVAL");
  errno(c(1, 4, 0, 4), "EINVAL");
  errno(c(1, 4, 8, 0), "EINVAL");
  errno(c(1, 513, 8, 4), "E2BIG"); // 3.19; Linux 6.18 accepts it
  createMap({ mapType: 1, keySize: 512, valueSize: 8, maxEntries: 4, mapFlags: 0x40 });
  errno(c(1, 4, 8, 4, 0x2), "EINVAL");
  errno(c(2, 8, 8, 4), "EINVAL");
  errno(c(2, 4, 0, 4), "EINVAL");
  errno(c(2, 4, 8, 0), "EINVAL");
  errno(c(2, 4, 8, 4, 0x40), "EINVAL");
  errno(c(1, 4, 8, 1 << 30), "ENOMEM");
  errno(c(9, 4, 8, 4), "EINVAL");
  errno(c(0, 0, 0, 0), "EINVAL");
  const u = createMap({ mapType: 0, keySize: 0, valueSize: 0, maxEntries: 0 }, "linux-3.18");
  assert.equal(u.typeName, "unspec");
  errno(() => u.lookup(new Uint8Array(0)), "EINVAL");
  errno(() => u.update(new Uint8Array(0), new Uint8Array(0)), "EINVAL");
  errno(() => u.delete(new Uint8Array(0)), "EINVAL");
  errno(() => u.getNextKey(null), "EINVAL");
});

Deno.test("lookups of 4- and 8-byte keys do not allocate (smoke: 1e6 lookups)", () => {
  const m = hash(8, 1024, range(1000));
  const key = le(500n, 8);
  let hits = 0;
  for (let i = 0; i < 1e6; i++) if (m.lookupRef(key, 0) >= 0) hits++;
  assert.equal(hits, 1e6);
});
