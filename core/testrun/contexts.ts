/**
 * The ctx and packet `BPF_PROG_TEST_RUN` gives a program, built from
 * `data_in` and `ctx_in` as 6.18's net/bpf/test_run.c does, with its errnos,
 * and what it returns after the runs (`data_out`, `ctx_out`).
 *
 * ## skb programs (socket_filter, sched_cls, sched_act)
 * - `data_in` must hold 14 to 3712 bytes (`PAGE_SIZE` less the skb headroom
 *   and `skb_shared_info`), and a whole IPv4 (20 bytes) or IPv6 (40 bytes)
 *   header after the Ethernet header when the EtherType says so: else
 *   EINVAL.
 * - `ctx_in` (a `struct __sk_buff`, 192 bytes; shorter is zero-extended,
 *   longer must be zero past 192, else E2BIG) may set only `mark`,
 *   `priority`, `ingress_ifindex`, `ifindex`, `cb[]`, `tstamp`, `wire_len`,
 *   `gso_segs`, `gso_size` and `hwtstamp` (any other non-zero byte: EINVAL);
 *   `wire_len` must be 0 or from `skb->len` to 65536, `gso_segs` at most
 *   65535 (EINVAL). The simulated machine has one device, `lo` (ifindex 1):
 *   `ifindex` > 1 gives ENODEV (the kernel looks the device up).
 * - The packet goes through `eth_type_trans` on `lo`: `protocol` is the
 *   EtherType (for values below 0x600: ETH_P_802_3 when the next two bytes
 *   are 0xffff, else ETH_P_802_2), `pkt_type` is HOST for the destination
 *   00:00:00:00:00:00, MULTICAST for a group address (broadcast included:
 *   `lo`'s broadcast address is not ff:ff:ff:ff:ff:ff), OTHERHOST else.
 * - socket_filter: `skb->data` is the network header (the 14-byte Ethernet
 *   header is pulled): LD_ABS offset 0 and `skb_load_bytes` offset 0 are
 *   byte 14 of `data_in`, `len` is 14 less; `data_out` comes back with the
 *   Ethernet header zeroed. sched_cls/sched_act: `skb->data` is the
 *   Ethernet header, and `data`/`data_end`/`data_meta` give direct access.
 * - `ctx_out` (only with a `ctx_in`): `ctx_in` with `mark`, `priority`,
 *   `ingress_ifindex`, `ifindex` (1), `tstamp`, `cb[]`, `wire_len`,
 *   `gso_segs` and `hwtstamp` as the program left them.
 * - What a program reads: `len`, `pkt_type`, `mark`, `protocol`,
 *   `priority`, `ingress_ifindex`, `ifindex` (1), `cb[]`, `tstamp`,
 *   `wire_len` (`skb->len` when `ctx_in` is given and its `wire_len` is 0;
 *   0 without `ctx_in`), `gso_segs`, `gso_size`, `hwtstamp` as above; every
 *   other field 0 (`sk` is NULL: bpfscope has no sockets).
 *
 * ## xdp
 * - `data_in` needs at least 14 bytes past the metadata (EINVAL). Its linear part — all of
 *   it, or the first `ctx_in.data_end` bytes, at most 4096 - 320 - the
 *   headroom — sits in a 4096-byte frame after the headroom (256 bytes less
 *   the metadata size `ctx_in.data`); the rest goes into page fragments
 *   (multi-buffer XDP, at most 17 pages: else ENOMEM), which the program
 *   cannot reach directly (`data_end` ends the linear part) and which come
 *   back unchanged at the end of `data_out`.
 * - `ctx_in` (a `struct xdp_md`, 24 bytes): `data_meta` must be 0,
 *   `data_end` at most the size of `data_in`, `data` (the metadata size:
 *   the first bytes of `data_in`) at most `data_end`, a multiple of 4 and
 *   at most 216 (the headroom less `struct xdp_frame`); `egress_ifindex` 0;
 *   `rx_queue_index` only with an `ingress_ifindex`, which must be 1 (`lo`,
 *   one queue): else EINVAL (ENODEV for another ifindex).
 * - `data_out` is the frame from `data_meta` to `data_end` (metadata
 *   included), then the fragments; `ctx_out` is `ctx_in` with `data` and
 *   `data_end` made relative to `data_meta` again.
 * - A program reads `ingress_ifindex` 1 and `rx_queue_index` 0 (the queue
 *   of `ctx_in`).
 *
 * @module
 */
import { BpfError } from "../errors.ts";
import { PROG_SCHED_ACT, PROG_SCHED_CLS, PROG_XDP } from "../isa/mod.ts";
import {
  ETH_HLEN,
  ProgContext,
  SHINFO_SIZE,
  SKB,
  SKB_CTX_SIZE,
  XDP_CTX_SIZE,
  XDP_FRAME_HDR,
  XDP_FRAME_SIZE,
  XDP_HEADROOM,
  XDP_MD,
} from "../vm/context.ts";

/** `NET_SKB_PAD + NET_IP_ALIGN` on x86-64: the skb headroom `bpf_test_init` reserves. */
const SKB_HEADROOM = 64;
/** Largest skb `data_in`: `PAGE_SIZE - headroom - tailroom`. */
export const SKB_MAX_DATA = XDP_FRAME_SIZE - SKB_HEADROOM - SHINFO_SIZE;
/** `GSO_LEGACY_MAX_SIZE`. */
const GSO_LEGACY_MAX_SIZE = 65536;
/** `GSO_MAX_SEGS`. */
const GSO_MAX_SEGS = 65535;
/** The simulated loopback device. */
const LO_IFINDEX = 1;
/** EtherTypes whose header test runs check is whole. */
const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;
/** `MAX_SKB_FRAGS`: the page fragments of a multi-buffer xdp packet. */
const MAX_SKB_FRAGS = 17;
/** Largest xdp metadata in a test run: the headroom less `struct xdp_frame`. */
const XDP_TEST_META_MAX = XDP_HEADROOM - XDP_FRAME_HDR;

/** `__sk_buff` byte ranges `ctx_in` may set (`convert___skb_to_skb`): [start, end). */
const SKB_CTX_IN_FIELDS: Array<[number, number, string]> = [
  [SKB.mark, SKB.mark + 4, "mark"],
  [SKB.priority, SKB.ifindex + 4, "priority, ingress_ifindex, ifindex"],
  [SKB.cb, SKB.cb + 20, "cb"],
  [SKB.tstamp, SKB.gso_segs + 4, "tstamp, wire_len, gso_segs"],
  [SKB.gso_size, SKB.gso_size + 4, "gso_size"],
  [SKB.hwtstamp, SKB.hwtstamp + 8, "hwtstamp"],
];

/** `__sk_buff` fields `ctx_out` takes from the skb after the run (`convert_skb_to___skb`): [offset, size]. */
const SKB_CTX_OUT_FIELDS: Array<[number, number]> = [
  [SKB.mark, 4],
  [SKB.priority, 4],
  [SKB.ingress_ifindex, 4],
  [SKB.ifindex, 4],
  [SKB.tstamp, 8],
  [SKB.cb, 20],
  [SKB.wire_len, 4],
  [SKB.gso_segs, 4],
  [SKB.hwtstamp, 8],
];

const fieldName = (off: number): string => {
  let best = "";
  for (const [name, o] of Object.entries(SKB)) if (o <= off) best = name;
  return best;
};

/** `bpf_ctx_init`: `ctx_in` zero-extended (or cut) to `size` bytes; E2BIG when a longer one is not zero past `size`. */
function ctxInit(ctxIn: Uint8Array, size: number, what: string): Uint8Array {
  for (let i = size; i < ctxIn.length; i++) {
    if (ctxIn[i] !== 0) {
      throw new BpfError("E2BIG", `ctx_in of ${ctxIn.length} bytes: byte ${i} is not 0 (a ${what} is ${size} bytes)`);
    }
  }
  const out = new Uint8Array(size);
  out.set(ctxIn.subarray(0, size));
  return out;
}

/** A context built for a test run, and how to read `data_out`/`ctx_out` back from it. */
export interface TestRunContext {
  /** The context the runs share. */
  context: ProgContext;
  /** `data_out` after the runs. */
  dataOut(): Uint8Array;
  /** `ctx_out` after the runs (null without `ctx_in`). */
  ctxOut(): Uint8Array | null;
}

/**
 * Build the `__sk_buff` and packet of an skb program's test run
 * (`bpf_prog_test_run_skb`). @throws BpfError EINVAL, E2BIG, ENODEV (see the module doc)
 */
export function skbTestRunContext(progType: number, data: Uint8Array, ctxIn?: Uint8Array): TestRunContext {
  const size = data.length;
  if (size < ETH_HLEN || size > SKB_MAX_DATA) {
    throw new BpfError("EINVAL", `data_in of ${size} bytes: skb test runs need ${ETH_HLEN} to ${SKB_MAX_DATA} bytes`);
  }
  const given = ctxIn === undefined ? null : ctxInit(ctxIn, SKB_CTX_SIZE, "struct __sk_buff");
  const isL2 = progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT;
  const pkt = data.slice();
  const dataOff = isL2 ? 0 : ETH_HLEN;
  const skbLen = size - dataOff;
  const img = new Uint8Array(SKB_CTX_SIZE);
  const dv = new DataView(img.buffer);
  if (given !== null) {
    const g = new DataView(given.buffer);
    for (let i = 0; i < SKB_CTX_SIZE; i++) {
      if (given[i] === 0 || SKB_CTX_IN_FIELDS.some(([a, b]) => i >= a && i < b)) continue;
      throw new BpfError("EINVAL", `ctx_in: __sk_buff.${fieldName(i)} (byte ${i}) cannot be set in a test run`);
    }
    const ifindex = g.getUint32(SKB.ifindex, true);
    if (ifindex > LO_IFINDEX) {
      throw new BpfError("ENODEV", `ctx_in: ifindex ${ifindex}: the simulated machine has only lo (ifindex 1)`);
    }
    const wire = g.getUint32(SKB.wire_len, true);
    if (wire !== 0 && (wire < skbLen || wire > GSO_LEGACY_MAX_SIZE)) {
      throw new BpfError("EINVAL", `ctx_in: wire_len ${wire} is outside [skb->len ${skbLen}, ${GSO_LEGACY_MAX_SIZE}]`);
    }
    if (g.getUint32(SKB.gso_segs, true) > GSO_MAX_SEGS) {
      throw new BpfError("EINVAL", `ctx_in: gso_segs ${g.getUint32(SKB.gso_segs, true)} > ${GSO_MAX_SEGS}`);
    }
    img.set(given);
    dv.setUint32(SKB.wire_len, wire === 0 ? skbLen : wire, true);
  }
  // eth_type_trans on lo (dev_addr 00:00:00:00:00:00)
  const dest = pkt.subarray(0, 6);
  dv.setUint32(SKB.pkt_type, dest.every((b) => b === 0) ? 0 : dest[0] & 1 ? 2 : 3, true);
  const proto = (pkt[12] << 8) | pkt[13];
  const be = proto >= 0x600 ? proto : size >= 16 && pkt[14] === 0xff && pkt[15] === 0xff ? 0x0001 : 0x0004;
  const l3 = be === ETH_P_IP ? 20 : be === ETH_P_IPV6 ? 40 : 0;
  if (size - ETH_HLEN < l3) {
    throw new BpfError(
      "EINVAL",
      `data_in of ${size} bytes: an ${be === ETH_P_IP ? "IPv4" : "IPv6"} packet needs ${
        ETH_HLEN + l3
      } (a whole header)`,
    );
  }
  img[SKB.protocol] = be >> 8; // __be16: the program reads it in network byte order
  img[SKB.protocol + 1] = be & 0xff;
  dv.setUint32(SKB.len, skbLen, true);
  dv.setUint32(SKB.ifindex, LO_IFINDEX, true);
  const context = new ProgContext("skb", img, pkt, { meta: dataOff, data: dataOff, end: size }, progType);
  return {
    context,
    dataOut: () => {
      const out = pkt.slice(0, context.end);
      if (!isL2) out.fill(0, 0, ETH_HLEN);
      return out;
    },
    ctxOut: () => {
      if (given === null) return null;
      const out = given.slice();
      for (const [off, n] of SKB_CTX_OUT_FIELDS) out.set(img.subarray(off, off + n), off);
      new DataView(out.buffer).setUint32(SKB.ifindex, LO_IFINDEX, true);
      return out;
    },
  };
}

/**
 * Build the `xdp_md` and frame of an xdp program's test run
 * (`bpf_prog_test_run_xdp`). @throws BpfError EINVAL, E2BIG, ENODEV, ENOMEM (see the module doc)
 */
export function xdpTestRunContext(data: Uint8Array, ctxIn?: Uint8Array): TestRunContext {
  const size = data.length;
  const given = ctxIn === undefined ? null : ctxInit(ctxIn, XDP_CTX_SIZE, "struct xdp_md");
  let metalen = 0, linear = size;
  const g = given === null ? null : new DataView(given.buffer);
  if (g !== null) {
    metalen = g.getUint32(XDP_MD.data, true);
    const end = g.getUint32(XDP_MD.data_end, true), meta = g.getUint32(XDP_MD.data_meta, true);
    if (meta !== 0) throw new BpfError("EINVAL", `ctx_in: data_meta must be 0, not ${meta}`);
    if (end > size) throw new BpfError("EINVAL", `ctx_in: data_end ${end} is past the end of data_in (${size} bytes)`);
    if (metalen > end) throw new BpfError("EINVAL", `ctx_in: data ${metalen} is past data_end ${end}`);
    if (metalen % 4 !== 0 || metalen > XDP_TEST_META_MAX) {
      throw new BpfError(
        "EINVAL",
        `ctx_in: data ${metalen} (the metadata size) must be a multiple of 4 up to ${XDP_TEST_META_MAX}`,
      );
    }
    linear = end;
  }
  const headroom = XDP_HEADROOM - metalen;
  const maxData = XDP_FRAME_SIZE - headroom - SHINFO_SIZE;
  if (linear > maxData) linear = maxData;
  if (size - metalen < ETH_HLEN) {
    throw new BpfError(
      "EINVAL",
      `data_in of ${size} bytes${
        metalen ? ` (${metalen} of metadata)` : ""
      }: xdp test runs need a packet of ${ETH_HLEN} or more`,
    );
  }
  if (size - linear > MAX_SKB_FRAGS * XDP_FRAME_SIZE) {
    throw new BpfError(
      "ENOMEM",
      `data_in of ${size} bytes: the ${
        size - linear
      } past the linear part need more than ${MAX_SKB_FRAGS} page fragments`,
    );
  }
  if (g !== null) {
    const ingress = g.getUint32(XDP_MD.ingress_ifindex, true), queue = g.getUint32(XDP_MD.rx_queue_index, true);
    if (g.getUint32(XDP_MD.egress_ifindex, true) !== 0) {
      throw new BpfError("EINVAL", "ctx_in: egress_ifindex must be 0");
    }
    if (ingress === 0 && queue !== 0) throw new BpfError("EINVAL", "ctx_in: rx_queue_index needs an ingress_ifindex");
    if (ingress > LO_IFINDEX) {
      throw new BpfError("ENODEV", `ctx_in: ingress_ifindex ${ingress}: the simulated machine has only lo (ifindex 1)`);
    }
    if (ingress === LO_IFINDEX && queue >= 1) {
      throw new BpfError("EINVAL", `ctx_in: rx_queue_index ${queue}: lo has one receive queue`);
    }
  }
  const frame = new Uint8Array(XDP_FRAME_SIZE);
  frame.set(data.subarray(0, linear), headroom);
  const frags = data.slice(linear);
  // the rest in page fragments of up to 4096 bytes, as bpf_prog_test_run_xdp fills them
  const img = new Uint8Array(XDP_CTX_SIZE);
  const dv = new DataView(img.buffer);
  dv.setUint32(XDP_MD.ingress_ifindex, LO_IFINDEX, true);
  const context = new ProgContext(
    "xdp",
    img,
    frame,
    { meta: headroom, data: headroom + metalen, end: headroom + linear },
    PROG_XDP,
  );
  for (let o = 0; o < frags.length; o += XDP_FRAME_SIZE) context.frags.push(frags.slice(o, o + XDP_FRAME_SIZE));
  return {
    context,
    dataOut: () => {
      const lin = frame.subarray(context.meta, context.end);
      const out = new Uint8Array(lin.length + context.fragsLen);
      out.set(lin);
      let o = lin.length;
      for (const f of context.frags) out.set(f, o), o += f.length;
      return out;
    },
    ctxOut: () => {
      if (given === null) return null;
      const out = given.slice();
      const o = new DataView(out.buffer);
      o.setUint32(XDP_MD.data, context.data - context.meta, true);
      o.setUint32(XDP_MD.data_end, context.end - context.meta, true);
      return out;
    },
  };
}
