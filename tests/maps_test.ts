// Maps: creation checks, every update/delete/lookup error path, iteration order.
// Expected hash orders are literals obtained from the running kernel (Linux 6.18,
// hash maps created with BPF_F_ZERO_SEED = 0x40 so jhash uses seed 0, via
// /work/shared/oracle/kbpf.py Map(...).keys()).
import assert from "node:assert/strict";
import { BpfError } from "../core/errors.ts";
import { type BpfMap, createMap, type HashMap, jhash, QUARANTINE_MAX_SLOTS } from "../core/maps/mod.ts";

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

const hashMap = (keySize: number, valueSize: number, maxEntries: number) =>
  createMap({ mapType: 1, keySize, valueSize, maxEntries }) as HashMap;
/** The bytes of the value slot `ref` (a copy). */
const slot = (m: BpfMap, ref: number) => m.refBuffer(ref).slice(m.refOffset(ref), m.refOffset(ref) + m.valueSize);

Deno.test("hash: values in slots of a slab; outside a run a freed slot is reused at once", () => {
  const m = hashMap(4, 8, 4);
  assert.equal(m.stride, 8);
  assert.equal(m.chunkSlots, 16);
  m.update(le(1n, 4), le(10n, 8));
  m.update(le(2n, 4), le(20n, 8));
  const r1 = m.lookupRef(le(1n, 4), 0), r2 = m.lookupRef(le(2n, 4), 0);
  assert.deepEqual([r1, r2], [0, 1]);
  assert.equal(m.refBuffer(r1), m.refBuffer(r2), "one chunk");
  assert.deepEqual([m.refOffset(r1), m.refOffset(r2)], [0, 8]);
  // a replacement takes a new slot, then frees the old one: the next replacement reuses it
  m.update(le(1n, 4), le(11n, 8));
  assert.equal(m.lookupRef(le(1n, 4), 0), 2);
  m.update(le(1n, 4), le(12n, 8));
  assert.equal(m.lookupRef(le(1n, 4), 0), r1);
  m.delete(le(2n, 4));
  m.update(le(3n, 4), le(30n, 8));
  assert.equal(m.lookupRef(le(3n, 4), 0), r2, "the deleted element's slot");
  assert.deepEqual([num(m.lookup(le(1n, 4))), num(m.lookup(le(3n, 4)))], [12n, 30n]);
  assert.equal(m.quarantined, 0);
  assert.equal(m.chunkCount, 1);
});

Deno.test("hash: under rcu_read_lock freed slots are quarantined (old values untouched) until depth 0", () => {
  const m = hashMap(4, 8, 4);
  m.update(le(1n, 4), le(10n, 8));
  m.rcuReadLock();
  m.rcuReadLock(); // nested: e.g. two programs sharing the map
  const old = m.lookupRef(le(1n, 4), 0);
  m.update(le(1n, 4), le(11n, 8));
  const cur = m.lookupRef(le(1n, 4), 0);
  assert.notEqual(cur, old);
  assert.equal(num(slot(m, old)), 10n, "a stale reference still reads the old value");
  m.delete(le(1n, 4));
  assert.equal(num(slot(m, cur)), 11n);
  m.update(le(2n, 4), le(20n, 8));
  m.update(le(3n, 4), le(30n, 8));
  const fresh = [m.lookupRef(le(2n, 4), 0), m.lookupRef(le(3n, 4), 0)];
  assert.ok(!fresh.includes(old) && !fresh.includes(cur), "no slot is reused while locked");
  assert.deepEqual([num(slot(m, old)), num(slot(m, cur))], [10n, 11n]);
  assert.equal(m.quarantined, 2);
  m.rcuReadUnlock();
  assert.deepEqual([m.rcuDepth, m.quarantined], [1, 2], "still inside the outer critical section");
  m.rcuReadUnlock();
  assert.deepEqual([m.rcuDepth, m.quarantined], [0, 0], "grace period over");
  m.rcuReadUnlock(); // unbalanced: ignored
  assert.equal(m.rcuDepth, 0);
  m.update(le(4n, 4), le(40n, 8));
  m.update(le(5n, 4), le(50n, 8));
  assert.deepEqual(
    new Set([m.lookupRef(le(4n, 4), 0), m.lookupRef(le(5n, 4), 0)]),
    new Set([old, cur]),
    "the quarantined slots are reused after the grace period",
  );
  assert.deepEqual(order(m).sort(), [2n, 3n, 4n, 5n]);
});

Deno.test("hash: the quarantine cap gives ENOMEM (3.19 order: after EINVAL, before E2BIG/EEXIST/ENOENT)", () => {
  assert.equal(hashMap(4, 8, 1).quarantineCap, QUARANTINE_MAX_SLOTS);
  assert.equal(hashMap(4, 1000, 1).quarantineCap, 268435, "256 MiB / 1000-byte slots");
  assert.equal(hashMap(4, 1 << 28, 1).quarantineCap, 1, "one 256 MiB value");
  const m = hashMap(4, 8, 2);
  m.update(le(1n, 4), le(0n, 8));
  m.rcuReadLock();
  const key = le(1n, 4), value = new Uint8Array(8);
  const dv = new DataView(value.buffer);
  for (let i = 1; i <= QUARANTINE_MAX_SLOTS; i++) {
    dv.setUint32(0, i, true);
    if (m.updateRaw(key, 0, value, 0, 0) !== 0) assert.fail(`update ${i} failed`);
  }
  assert.equal(m.quarantined, QUARANTINE_MAX_SLOTS);
  assert.equal(m.updateRaw(key, 0, value, 0, 0), -12, "ENOMEM: replacing");
  errno(() => m.update(le(2n, 4), value), "ENOMEM"); // inserting
  errno(() => m.update(le(1n, 4), value, 3), "EINVAL");
  errno(() => m.update(le(1n, 4), value, 1), "ENOMEM"); // not EEXIST: allocation comes first
  errno(() => m.update(le(7n, 4), value, 2), "ENOMEM"); // not ENOENT
  assert.equal(num(m.lookup(key)), BigInt(QUARANTINE_MAX_SLOTS), "the failed updates changed nothing");
  m.delete(key); // a delete never fails: the quarantine goes past the cap by at most max_entries
  assert.equal(m.quarantined, QUARANTINE_MAX_SLOTS + 1);
  m.rcuReadUnlock();
  assert.equal(m.quarantined, 0);
  m.update(le(2n, 4), le(2n, 8));
  assert.equal(num(m.lookup(le(2n, 4))), 2n);
  assert.equal(m.chunkCount, Math.ceil((QUARANTINE_MAX_SLOTS + 1) / m.chunkSlots), "no chunk after the grace period");
});

Deno.test("hash: chunk size = min(1024, max_entries rounded up to a power of two), at least 16, at most 1 MiB", () => {
  const slots = (vs: number, n: number) => hashMap(4, vs, n).chunkSlots;
  assert.deepEqual([slots(8, 1), slots(8, 17), slots(8, 100), slots(8, 1024), slots(8, 100000)], [
    16,
    32,
    128,
    1024,
    1024,
  ]);
  assert.deepEqual([slots(12, 1000), slots(4096, 1000), slots(65536, 1000), slots(1 << 20, 4), slots(3 << 20, 4)], [
    1024,
    256,
    16,
    1,
    1,
  ]);
  assert.equal(hashMap(4, 12, 1).stride, 16);
});

Deno.test("hash: a map larger than one chunk (random ops against a model: values, refs never alias, order)", () => {
  const n = 5000, vs = 12;
  const m = hashMap(4, vs, n);
  assert.equal(m.chunkSlots, 1024);
  const model = new Map<number, number>(); // key -> value tag
  const buckets: number[][] = Array.from({ length: m.nBuckets }, () => []); // kernel order: newest first
  const bucket = (k: number) => jhash(le(BigInt(k), 4), 0, 4, 0) & (m.nBuckets - 1);
  const val = (k: number, tag: number) => {
    const v = new Uint8Array(vs);
    new DataView(v.buffer).setUint32(0, k, true);
    new DataView(v.buffer).setUint32(4, tag, true);
    new DataView(v.buffer).setUint32(8, ~tag, true);
    return v;
  };
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8);
  const check = () => {
    const seen = new Map<Uint8Array, Set<number>>(); // chunk -> offsets of live values
    for (const [k, tag] of model) {
      const ref = m.lookupRef(le(BigInt(k), 4), 0);
      assert.deepEqual(slot(m, ref), val(k, tag), `key ${k}`);
      const offs = seen.get(m.refBuffer(ref)) ?? new Set();
      assert.ok(!offs.has(m.refOffset(ref)), `two elements share slot ${ref}`);
      seen.set(m.refBuffer(ref), offs.add(m.refOffset(ref)));
      assert.equal(m.refBuffer(ref), m.refBuffer(ref - (ref % m.chunkSlots)), "slot -> its chunk");
      assert.equal(m.refOffset(ref), (ref % m.chunkSlots) * 16);
    }
    assert.equal(m.count(), model.size);
    assert.deepEqual(order(m), buckets.flat().map(BigInt), "iteration order");
  };
  for (let round = 0; round < 6; round++) {
    const locked = round % 2 === 1;
    if (locked) m.rcuReadLock();
    for (let i = 0; i < 6000; i++) {
      const k = rnd() % (n + 500), op = rnd() % 4;
      const b = buckets[bucket(k)];
      if (op === 0 && model.has(k)) {
        m.delete(le(BigInt(k), 4));
        model.delete(k);
        b.splice(b.indexOf(k), 1);
      } else if (model.has(k) || model.size < n) {
        m.update(le(BigInt(k), 4), val(k, i + round * 10000));
        if (model.has(k)) b.splice(b.indexOf(k), 1);
        b.unshift(k);
        model.set(k, i + round * 10000);
      } else errno(() => m.update(le(BigInt(k), 4), val(k, 0)), "E2BIG");
    }
    check();
    if (locked) m.rcuReadUnlock();
    assert.equal(m.quarantined, 0);
  }
  assert.ok(m.chunkCount >= 5, `${m.chunkCount} chunks`);
});

Deno.test("hash: an update whose value is in the map's own chunk (memmove, overlapping the new slot)", () => {
  const m = hashMap(4, 16, 4);
  m.update(le(1n, 4), Uint8Array.from({ length: 16 }, (_, i) => i + 1)); // slot 0
  const buf = m.refBuffer(0);
  // the value source starts 8 bytes into slot 0 and runs into slot 1, the slot the update takes
  assert.equal(m.updateRaw(le(2n, 4), 0, buf, 8, 0), 0);
  assert.equal(m.lookupRef(le(2n, 4), 0), 1);
  assert.deepEqual(Array.from(m.lookup(le(2n, 4))), [9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("array: an update whose value is in the map's own values (memmove, overlapping the destination)", () => {
  const a = createMap({ mapType: 2, keySize: 4, valueSize: 16, maxEntries: 2 });
  a.update(le(0n, 4), Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  a.update(le(1n, 4), Uint8Array.from({ length: 16 }, (_, i) => i + 17));
  const values = a.refBuffer(0);
  // the source is bytes 8..23 (the end of element 0 and the start of element 1), the destination element 1 (16..31)
  assert.equal(a.updateRaw(le(1n, 4), 0, values, 8, 0), 0);
  assert.deepEqual(Array.from(a.lookup(le(1n, 4))), Array.from({ length: 16 }, (_, i) => i + 9));
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
  errno(c(11, 8, 8, 4), "EINVAL"); // lpm_trie: not modelled
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

Deno.test("lookup and get_next_key copies: independent of the map and of each other, each its own buffer", () => {
  for (const vs of [3, 8, 40, 1500]) {
    const n = vs === 1500 ? 20 : 3000;
    const m = createMap({ mapType: 1, keySize: 8, valueSize: vs, maxEntries: n });
    const val = (k: number, gen: number) => Uint8Array.from({ length: vs }, (_, j) => (k * 7 + j * 13 + gen) & 0xff);
    for (let k = 0; k < n; k++) m.update(le(BigInt(k), 8), val(k, 0));
    const copies = range(n).map((k) => m.lookup(le(k, 8)));
    const keys = m.entries().map(([k]) => k);
    // replace every value, then scribble over every copy but the last: no other copy, key or value changes
    for (let k = 0; k < n; k++) m.update(le(BigInt(k), 8), val(k, 1));
    for (let k = 0; k < n; k++) assert.deepEqual(copies[k], val(k, 0), `copy of ${k}, value size ${vs}`);
    for (let k = 0; k < n - 1; k++) copies[k].fill(0xee);
    assert.deepEqual(copies[n - 1], val(n - 1, 0));
    assert.deepEqual(new Uint8Array(copies[n - 1].buffer), val(n - 1, 0), "a copy is the whole of its buffer");
    for (let k = 0; k < n; k++) assert.deepEqual(m.lookup(le(BigInt(k), 8)), val(k, 1));
    assert.deepEqual(keys.map(num).sort((a, b) => Number(a - b)), range(n));
    for (const k of keys) k.fill(0xee);
    assert.deepEqual(order(m).sort((a, b) => Number(a - b)), range(n));
  }
  // array keys from get_next_key
  const a = createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 3000 });
  const akeys = a.entries().map(([k]) => k);
  assert.deepEqual(akeys.map(num), range(3000));
  for (const k of akeys.slice(0, -1)) k.fill(0xff);
  assert.equal(num(akeys[2999]), 2999n);
});

Deno.test("lookup into a caller's buffer (BPF_MAP_LOOKUP_ELEM's attr.value): no copy made, EINVAL when short", () => {
  const m = hash(8, 4, [5n, 6n]);
  const out = new Uint8Array(12).fill(0xaa);
  assert.equal(m.lookup(le(6n, 8), out), out);
  assert.deepEqual(out, Uint8Array.from([6, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]));
  errno(() => m.lookup(le(5n, 8), new Uint8Array(7)), "EINVAL");
  errno(() => m.lookup(le(7n, 8), out), "ENOENT");
  const a = createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 2 });
  a.update(le(1n, 4), le(0x1122n, 8));
  assert.deepEqual(a.lookup(le(1n, 4), new Uint8Array(8)), le(0x1122n, 8));
  errno(() => a.lookup(le(1n, 4), new Uint8Array(4)), "EINVAL");
});

Deno.test("get_next_key into a caller's buffer (attr.next_key), also the key's own buffer as the kernel allows", () => {
  const keys = range(40, (i) => BigInt(i * 977));
  const m = hash(8, 64, keys);
  const walk: bigint[] = [];
  const k = new Uint8Array(8);
  assert.equal(m.getNextKey(null, k), k);
  for (let i = 0; i < 100; i++) {
    walk.push(num(k));
    try {
      assert.equal(m.getNextKey(k, k), k); // in place: the key is read before the next one is written
    } catch (e) {
      assert.ok(e instanceof BpfError && e.errno === "ENOENT");
      break;
    }
  }
  assert.equal(walk.length, 40);
  assert.deepEqual(walk, order(m));
  errno(() => m.getNextKey(null, new Uint8Array(7)), "EINVAL");
  const a = createMap({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 3 });
  const ak = new Uint8Array(6).fill(0xaa);
  assert.deepEqual(a.getNextKey(le(1n, 4), ak), Uint8Array.from([2, 0, 0, 0, 0xaa, 0xaa]));
  errno(() => a.getNextKey(ak.subarray(0, 4), ak), "ENOENT");
  errno(() => a.getNextKey(null, new Uint8Array(3)), "EINVAL");
});
