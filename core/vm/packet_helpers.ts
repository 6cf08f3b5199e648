/**
 * The packet helpers of skb and xdp programs, with the kernel's (6.18)
 * semantics and errnos (net/core/filter.c). They work on the run's
 * {@link ProgContext} (`RunInput.context`); a program that calls one
 * without a context faults, naming the helper.
 *
 * | id | name | behaviour |
 * |---|---|---|
 * | 9 | skb_store_bytes | copy `len` bytes to `skb->data + offset`; -EINVAL for flags other than BPF_F_RECOMPUTE_CSUM (1) / BPF_F_INVALIDATE_HASH (2), -EFAULT past `skb->len` |
 * | 23 | redirect (tc) | records (ifindex, flags); TC_ACT_REDIRECT (7), or TC_ACT_SHOT (2) for flags other than BPF_F_INGRESS |
 * | 23 | redirect (xdp) | records (ifindex, flags); XDP_REDIRECT (4), or XDP_ABORTED (0) for any flags |
 * | 26 | skb_load_bytes | copy from `skb->data + offset`; -EFAULT (and the buffer zeroed) past `skb->len` |
 * | 28 | csum_diff | the x86-64 kernel's result: `csum_from32to16` of the one's complement sums (see {@link csumDiff}); any sizes |
 * | 44 | xdp_adjust_head | see {@link ProgContext.adjustHead} |
 * | 54 | xdp_adjust_meta | see {@link ProgContext.adjustMeta} |
 * | 65 | xdp_adjust_tail | see {@link ProgContext.adjustTail} |
 *
 * The skb checksum (`skb->csum`, what `BPF_F_RECOMPUTE_CSUM` updates) is
 * not modelled: test runs without `BPF_F_TEST_SKB_CHECKSUM_COMPLETE` never
 * show it.
 *
 * @module
 */
import type { HelperEnv } from "./helpers.ts";
import type { ProgContext } from "./context.ts";

const EINVAL = -22, EFAULT = -14;
const INT_MAX = 0x7fffffff;

function contextOf(e: HelperEnv, name: string, kind: "skb" | "xdp"): ProgContext {
  const c = e.context;
  if (c === null || c.kind !== kind) {
    return e.fault(
      `${name} needs the ${kind === "skb" ? "__sk_buff" : "xdp_md"} of a test run (bpfscope test-run, testRun())`,
    );
  }
  return c;
}

/** The u32 in argument register `i`. */
const u32 = (e: HelperEnv, i: number) => e.lo[i] >>> 0;
/** The s32 in argument register `i` (an `int` parameter). */
const s32 = (e: HelperEnv, i: number) => e.lo[i] | 0;

/** `bpf_skb_load_bytes(skb, offset, to, len)`. */
export function skbLoadBytes(e: HelperEnv): void {
  const c = contextOf(e, "skb_load_bytes", "skb");
  const off = u32(e, 2), len = u32(e, 4);
  const to = e.mem(3, len), o = e.memOff;
  if (off > INT_MAX || off + len > c.len) {
    to.fill(0, o, o + len);
    return e.ret(EFAULT);
  }
  to.set(c.pkt.subarray(c.data + off, c.data + off + len), o);
  e.ret(0);
}

/** `bpf_skb_store_bytes(skb, offset, from, len, flags)`. */
export function skbStoreBytes(e: HelperEnv): void {
  const c = contextOf(e, "skb_store_bytes", "skb");
  const off = u32(e, 2), len = u32(e, 4), flags = e.arg(5);
  const from = e.mem(3, len), o = e.memOff;
  if ((flags & ~3n) !== 0n) return e.ret(EINVAL);
  if (off > INT_MAX || off + len > c.len) return e.ret(EFAULT);
  if (from === c.pkt) c.pkt.copyWithin(c.data + off, o, o + len);
  else c.pkt.set(from.subarray(o, o + len), c.data + off);
  e.ret(0);
}

/**
 * x86-64 `csum_partial` of `len` bytes at `buf[off]` from 32-bit `seed`:
 * the end-around-carry sum of the little-endian 32-bit words (the tail
 * zero-padded), 0 only when everything is 0.
 */
export function csumPartial(buf: Uint8Array, off: number, len: number, seed: number): number {
  let s = seed >>> 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    s += (buf[off + i] | (buf[off + i + 1] << 8) | (buf[off + i + 2] << 16) | (buf[off + i + 3] << 24)) >>> 0;
  }
  for (let k = 0; i < len; i++, k += 8) s += buf[off + i] * 2 ** k;
  return s === 0 ? 0 : ((s - 1) % 0xffffffff) + 1;
}

/** `csum_add`: 32-bit one's complement addition. */
function csumAdd(a: number, b: number): number {
  const r = (a >>> 0) + (b >>> 0);
  return r > 0xffffffff ? (r - 0xffffffff) >>> 0 : r;
}

/** `csum_from32to16`: fold a 32-bit sum to 16 bits (end-around carry). */
function from32to16(x: number): number {
  const r = (x & 0xffff) + (x >>> 16);
  return (r & 0xffff) + (r >>> 16);
}

/**
 * `bpf_csum_diff(from, from_size, to, to_size, seed)` (6.18, any sizes):
 * `csum_from32to16(seed)` when both sizes are 0, else `csum_from32to16` of
 * `csum_sub(csum_partial(to, seed), csum_partial(from, 0))` (only `to`:
 * `csum_partial(to, seed)`; only `from`: `~csum_partial(from, ~seed)`).
 */
export function csumDiff(
  from: Uint8Array,
  fromOff: number,
  fromSize: number,
  to: Uint8Array,
  toOff: number,
  toSize: number,
  seed: number,
): number {
  if (fromSize && toSize) {
    return from32to16(csumAdd(csumPartial(to, toOff, toSize, seed), ~csumPartial(from, fromOff, fromSize, 0)));
  }
  if (toSize) return from32to16(csumPartial(to, toOff, toSize, seed));
  if (fromSize) return from32to16(~csumPartial(from, fromOff, fromSize, ~seed >>> 0) >>> 0);
  return from32to16(seed >>> 0);
}

/** `bpf_csum_diff`. */
export function csumDiffHelper(e: HelperEnv): void {
  const fs = u32(e, 2), ts = u32(e, 4);
  let from: Uint8Array = new Uint8Array(0), fo = 0, to: Uint8Array = from, too = 0;
  if (fs > 0) from = e.mem(1, fs), fo = e.memOff;
  if (ts > 0) to = e.mem(3, ts), too = e.memOff;
  e.ret(csumDiff(from, fo, fs, to, too, ts, u32(e, 5)));
}

/** `bpf_redirect(ifindex, flags)` of skb programs (tc). */
export function redirectSkb(e: HelperEnv): void {
  const c = contextOf(e, "redirect", "skb");
  const flags = e.arg(2);
  if ((flags & ~1n) !== 0n) return e.ret(2); // TC_ACT_SHOT
  c.redirect = { ifindex: u32(e, 1), flags };
  e.ret(7); // TC_ACT_REDIRECT
}

/** `bpf_redirect(ifindex, flags)` of xdp programs. */
export function redirectXdp(e: HelperEnv): void {
  const c = contextOf(e, "redirect", "xdp");
  const flags = e.arg(2);
  if (flags !== 0n) return e.ret(0); // XDP_ABORTED
  c.redirect = { ifindex: u32(e, 1), flags };
  e.ret(4); // XDP_REDIRECT
}

/** `bpf_xdp_adjust_head(xdp, offset)`. */
export function xdpAdjustHead(e: HelperEnv): void {
  e.ret(contextOf(e, "xdp_adjust_head", "xdp").adjustHead(s32(e, 2)));
}
/** `bpf_xdp_adjust_tail(xdp, offset)`. */
export function xdpAdjustTail(e: HelperEnv): void {
  e.ret(contextOf(e, "xdp_adjust_tail", "xdp").adjustTail(s32(e, 2)));
}
/** `bpf_xdp_adjust_meta(xdp, offset)`. */
export function xdpAdjustMeta(e: HelperEnv): void {
  e.ret(contextOf(e, "xdp_adjust_meta", "xdp").adjustMeta(s32(e, 2)));
}
