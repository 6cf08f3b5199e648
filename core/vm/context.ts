/**
 * Program contexts: the `__sk_buff` and `xdp_md` a packet program gets in
 * r1, the packet behind them, and the operations the packet helpers make on
 * them (`bpf_xdp_adjust_head`/`_tail`/`_meta`, the skb byte window).
 *
 * A {@link ProgContext} is bound to a run without copying
 * (`RunInput.context`): the engines map its ctx image as the ctx region and
 * its packet buffer as the packet region, so what a program leaves there is
 * what the next run of a `repeat` loop or the program a tail call starts
 * sees, as in the kernel, where one skb or xdp_buff serves every run of a
 * `BPF_PROG_TEST_RUN`.
 *
 * ## Converted fields
 * The kernel's verifier rewrites a program's 4-byte loads of
 * `__sk_buff.data`/`data_end`/`data_meta` and `xdp_md.data`/`data_end`/
 * `data_meta` into 8-byte loads of the real pointers
 * (`convert_ctx_access`), and those of 16-bit skb fields into 16-bit
 * loads. bpfscope runs programs without that rewrite, so the pre-decoder
 * marks every 4-byte load at one of those offsets ({@link ctxConvertedFields})
 * and the engines give such a load the 64-bit packet address (or the 16-bit
 * value) when it reads the ctx region at that offset (any other region: an
 * ordinary load). Every other field is a plain u32/u64 of the ctx image,
 * filled by the test run from the packet and `ctx_in` (see core/testrun).
 *
 * ## Packet addresses
 * The packet region maps {@link ProgContext.pkt} from offset 0: an address
 * is `0x0000_1009_0000_0000 + offset in pkt`, so pointers stay valid when
 * `bpf_xdp_adjust_head` moves `data` (the verifier invalidates them anyway).
 * The region ends at `end` (reading past `data_end` faults). For xdp, `pkt`
 * is the kernel's 4096-byte frame: 256 bytes of headroom (less the
 * metadata of `ctx_in`), the data, and the tailroom up to 4096 - 320 (the
 * `skb_shared_info` the kernel keeps at the end of the frame).
 *
 * @module
 */
import { PROG_SCHED_ACT, PROG_SCHED_CLS, PROG_XDP } from "../isa/mod.ts";

/** `struct __sk_buff` size (6.18). */
export const SKB_CTX_SIZE = 192;
/** `struct xdp_md` size (6.18). */
export const XDP_CTX_SIZE = 24;

/** Offsets of the `struct __sk_buff` fields (include/uapi/linux/bpf.h, 6.18). */
export const SKB = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48,
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  remote_port: 132,
  local_port: 136,
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  gso_segs: 164,
  sk: 168,
  gso_size: 176,
  tstamp_type: 180,
  hwtstamp: 184,
} as const;

/** Offsets of the `struct xdp_md` fields. */
export const XDP_MD = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
} as const;

/** What a converted ctx field's 4-byte load gives: a packet pointer (meta, data, end) or a 16-bit field. */
export const PTR_META = 1, PTR_DATA = 2, PTR_END = 3, FIELD_U16 = 4;

/** xdp: `XDP_PACKET_HEADROOM`. */
export const XDP_HEADROOM = 256;
/** xdp: the frame (`PAGE_SIZE`). */
export const XDP_FRAME_SIZE = 4096;
/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64: the tail of a frame the packet never reaches. */
export const SHINFO_SIZE = 320;
/** `sizeof(struct xdp_frame)`: the head of a frame `bpf_xdp_adjust_head`/`_meta` never reach. */
export const XDP_FRAME_HDR = 40;
/** Largest xdp metadata (`skb_shared_info.meta_len` is a u8); it must also be a multiple of 4. */
export const XDP_META_MAX = 255;
/** `ETH_HLEN`. */
export const ETH_HLEN = 14;

/**
 * The ctx offsets whose 4-byte loads the kernel's verifier converts into
 * something a plain load of the ctx image does not give, in programs of
 * type `progType` (offset → {@link PTR_DATA} etc.), or null when the type
 * has none: the packet pointers, and (tc) `queue_mapping`, `tc_index` and
 * `tc_classid`, which the skb keeps in 16 bits (a u32 store keeps the low
 * 16, a load gives them back zero-extended).
 */
export function ctxConvertedFields(progType: number | undefined): ReadonlyMap<number, number> | null {
  if (progType === PROG_XDP) {
    return new Map([[XDP_MD.data, PTR_DATA], [XDP_MD.data_end, PTR_END], [XDP_MD.data_meta, PTR_META]]);
  }
  if (progType === PROG_SCHED_CLS || progType === PROG_SCHED_ACT) {
    return new Map([
      [SKB.data, PTR_DATA],
      [SKB.data_end, PTR_END],
      [SKB.data_meta, PTR_META],
      [SKB.queue_mapping, FIELD_U16],
      [SKB.tc_index, FIELD_U16],
      [SKB.tc_classid, FIELD_U16],
    ]);
  }
  return null;
}

/** A recorded `bpf_redirect` (the test run does not send the packet anywhere). */
export interface Redirect {
  /** Target interface index. */
  ifindex: number;
  /** The flags argument (u64). */
  flags: bigint;
}

/** The ctx and packet of a packet program's runs (see the module doc). */
export class ProgContext {
  /** `skb` (`__sk_buff`) or `xdp` (`xdp_md`). */
  readonly kind: "skb" | "xdp";
  /** The ctx image the program reads and writes (r1 points at it). */
  readonly ctx: Uint8Array;
  /** The packet buffer (the packet region maps it from offset 0). */
  readonly pkt: Uint8Array;
  /** Offset of `data_meta` in {@link ProgContext.pkt}. */
  meta: number;
  /** Offset of `data` (skb: `skb->data`, where LD_ABS offset 0 is). */
  data: number;
  /** Offset of `data_end`. */
  end: number;
  /** The bytes LD_ABS/LD_IND and the skb byte helpers see: `pkt[data, end)`. */
  readonly window: Uint8Array;
  /** Converted fields of the ctx (offset → PTR_* or FIELD_U16), by program type. */
  readonly convertedFields: ReadonlyMap<number, number> | null;
  /** The last `bpf_redirect` of the current run (null: none). */
  redirect: Redirect | null = null;
  /**
   * The packet's page fragments (multi-buffer xdp: the bytes past the
   * linear part, up to 4096 per page), which the program cannot reach
   * directly; `bpf_xdp_adjust_tail` grows and shrinks them.
   */
  readonly frags: Uint8Array[] = [];
  /** Called when `data`/`end` change (the engines re-map the packet region). */
  onResize: (() => void) | null = null;
  readonly #dv: DataView;

  /**
   * Wrap a ctx image and a packet buffer.
   * @param kind `skb` or `xdp`
   * @param ctx the ctx image (kept, not copied)
   * @param pkt the packet buffer (kept, not copied)
   * @param offsets meta, data and end offsets in `pkt`
   * @param progType the program type (decides the converted fields)
   */
  constructor(
    kind: "skb" | "xdp",
    ctx: Uint8Array,
    pkt: Uint8Array,
    offsets: { meta: number; data: number; end: number },
    progType: number,
  ) {
    this.kind = kind;
    this.ctx = ctx;
    this.pkt = pkt;
    this.meta = offsets.meta;
    this.data = offsets.data;
    this.end = offsets.end;
    this.window = pkt.subarray(this.data, this.end);
    this.convertedFields = ctxConvertedFields(progType);
    this.#dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    this.syncPointers();
  }

  /** The offset in the packet region a pointer field points at (`which`: PTR_*). */
  pointer(which: number): number {
    return which === PTR_DATA ? this.data : which === PTR_END ? this.end : this.meta;
  }

  /** Bytes in {@link ProgContext.frags}. */
  get fragsLen(): number {
    return this.frags.reduce((n, f) => n + f.length, 0);
  }

  /** `skb->len` / the xdp packet length: `end - data`. */
  get len(): number {
    return this.end - this.data;
  }

  /**
   * What a 4-byte load of converted field `off` gives (see
   * {@link ctxConvertedFields}): [low, high] words, or null when `off` is
   * not a converted field. Packet pointers are addresses in the packet
   * region, whose high word the caller gives.
   */
  load(off: number, pktHi: number): [number, number] | null {
    const kind = this.convertedFields?.get(off);
    if (kind === undefined) return null;
    if (kind === FIELD_U16) return [this.#dv.getUint16(off, true), 0];
    return [this.pointer(kind), pktHi];
  }

  /** Write the low 32 bits of the pointer fields into the ctx image (what a narrow or unconverted read sees). */
  syncPointers(): void {
    if (this.convertedFields === null) return;
    for (const [off, which] of this.convertedFields) {
      if (which !== FIELD_U16) this.#dv.setUint32(off, this.pointer(which), true);
    }
  }

  /**
   * `bpf_xdp_adjust_head(ctx, delta)`: move `data` (and the metadata with
   * it) by `delta` bytes; 0 or -EINVAL (22) when `data` would go below the
   * frame header plus the metadata or leave fewer than `ETH_HLEN` bytes.
   */
  adjustHead(delta: number): number {
    const metalen = this.data - this.meta;
    const nd = this.data + delta;
    if (nd < XDP_FRAME_HDR + metalen || nd > this.end - ETH_HLEN) return -22;
    if (metalen > 0) this.pkt.copyWithin(this.meta + delta, this.meta, this.data);
    this.meta += delta;
    this.data = nd;
    this.#resized();
    return 0;
  }

  /**
   * `bpf_xdp_adjust_tail(ctx, delta)`: move `data_end`; growing zeroes the new
   * bytes. 0 or -EINVAL when it would pass the frame's end (4096 - 320) or
   * leave fewer than `ETH_HLEN` bytes. A multi-buffer packet grows its last
   * fragment within its page, and shrinks from its last fragment on (empty
   * fragments are freed; once none is left, `data_end` moves by the rest):
   * -EINVAL past the page, or when fewer than `ETH_HLEN` bytes would remain.
   */
  adjustTail(delta: number): number {
    if (this.frags.length > 0) return this.#adjustFrags(delta);
    const ne = this.end + delta;
    if (ne > XDP_FRAME_SIZE - SHINFO_SIZE || ne < this.data + ETH_HLEN) return -22;
    if (delta > 0) this.pkt.fill(0, this.end, ne);
    this.end = ne;
    this.#resized();
    return 0;
  }

  /** `bpf_xdp_frags_increase_tail` / `bpf_xdp_frags_shrink_tail`. */
  #adjustFrags(delta: number): number {
    const frags = this.frags;
    if (delta >= 0) {
      const last = frags[frags.length - 1];
      if (delta > XDP_FRAME_SIZE - last.length) return -22;
      const grown = new Uint8Array(last.length + delta);
      grown.set(last);
      frags[frags.length - 1] = grown;
      return 0;
    }
    let off = -delta;
    if (off > this.end - this.data + this.fragsLen - ETH_HLEN) return -22;
    while (frags.length > 0 && off > 0) {
      const last = frags[frags.length - 1];
      const shrink = Math.min(off, last.length);
      off -= shrink;
      if (shrink === last.length) frags.pop();
      else {
        frags[frags.length - 1] = last.slice(0, last.length - shrink);
        break;
      }
    }
    if (frags.length === 0 && off > 0) {
      this.end -= off;
      this.#resized();
    }
    return 0;
  }

  /**
   * `bpf_xdp_adjust_meta(ctx, delta)`: move `data_meta`; 0, -EINVAL when it
   * would go below the frame header or past `data`, -EACCES (13) when the
   * metadata would not be a multiple of 4 or exceed 255 bytes.
   */
  adjustMeta(delta: number): number {
    const nm = this.meta + delta;
    if (nm < XDP_FRAME_HDR || nm > this.data) return -22;
    const metalen = this.data - nm;
    if (metalen % 4 !== 0 || metalen > XDP_META_MAX) return -13;
    this.meta = nm;
    this.#resized();
    return 0;
  }

  #resized(): void {
    this.syncPointers();
    this.onResize?.();
  }
}
