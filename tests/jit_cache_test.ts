// The JIT's bounded cache (core/jit/cache.ts): both bounds, oldest first, null not cached.
import assert from "node:assert/strict";
import { BoundedCache } from "../core/jit/cache.ts";

Deno.test("jit cache: bounded by entries and by key characters, the oldest dropped first; null results not cached", () => {
  const c = new BoundedCache<number>(3, 10);
  let made = 0;
  const get = (k: string) => c.getOrMake(k, () => (made++, k.length));
  get("a"), get("bb"), get("ccc");
  assert.equal(c.size, 3);
  assert.equal(c.chars, 6);
  get("a");
  assert.equal(made, 3, "a hit makes nothing");
  get("dddd"); // over 3 entries: "a" goes
  assert.equal(c.size, 3);
  assert.equal(c.chars, 9);
  get("a");
  assert.equal(made, 5, "'a' was dropped and made again");
  // held: ccc, dddd, a (8 characters); 9 more pass the 10-character bound until only "a" is left
  get("eeeeeeeee");
  assert.equal(c.size, 2, "the key length bound drops the oldest entries until the new one fits");
  assert.equal(c.chars, 10);
  get("a");
  assert.equal(made, 6, "'a' stayed");
  const big = "x".repeat(20);
  get(big);
  assert.equal(c.size, 1, "a key longer than the bound is still cached alone");
  assert.equal(c.getOrMake("none", () => null), null);
  assert.equal(c.size, 1);
  assert.equal(c.getOrMake(big, () => -1), 20, "the cached value, not a new one");
});
