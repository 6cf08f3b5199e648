/**
 * `BPF_MAP_TYPE_RINGBUF` (27) with the kernel's record format and capacity
 * rules (kernel/bpf/ringbuf.c), and a consumer for user space (what
 * libbpf's `ring_buffer__consume` does).
 *
 * The ring is `max_entries` bytes (a power of two and a multiple of 4096).
 * A record is an 8-byte header — `len` (u32: the sample size, bit 31 BUSY
 * while reserved, bit 30 DISCARD) and `pg_off` (u32) — followed by the
 * sample, padded to 8 bytes. `reserve` fails (NULL) when the sample exceeds
 * `RINGBUF_MAX_RECORD_SZ`, when header plus sample exceed the ring, or when
 * the producer would run more than `size - 1` bytes ahead of the consumer
 * or of the oldest record not yet committed. The consumer reads committed
 * records in order, skips discarded ones, and stops at the first one still
 * reserved.
 *
 * Element operations through `bpf()` fail with ENOTSUPP (524), as in the
 * kernel.
 *
 * @module
 */
import { BpfError, ERRNO } from "../errors.ts";
import { type MapCreateAttr, NoValueMap } from "./maps.ts";

/** Map type number: ringbuf. */
export const MAP_TYPE_RINGBUF = 27;
/** Record header size. */
export const RINGBUF_HDR_SZ = 8;
/** Header bit: the record is reserved, not yet committed. */
export const RINGBUF_BUSY_BIT = 0x80000000;
/** Header bit: the record was discarded. */
export const RINGBUF_DISCARD_BIT = 0x40000000;
/** Largest sample (`UINT_MAX / 4`). */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;
/** `bpf_ringbuf_query` flags. */
export const BPF_RB_AVAIL_DATA = 0, BPF_RB_RING_SIZE = 1, BPF_RB_CONS_POS = 2, BPF_RB_PROD_POS = 3;
/** The ring's data starts at page 3 of the kernel's `struct bpf_ringbuf` (the `pg_off` of a record counts from there). */
const DATA_PGOFF = 3;

const ENOTSUPP = -ERRNO.ENOTSUPP;

/** One consumed record. */
export interface RingBufRecord {
  /** The sample (a copy). */
  data: Uint8Array;
  /** Its position in the ring's stream (the consumer position of its header). */
  pos: number;
}

/** `BPF_MAP_TYPE_RINGBUF` (see the module doc). */
export class RingBufMap extends NoValueMap {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_RINGBUF;
  /** See {@link BpfMap}. */
  readonly typeName: string = "ringbuf";
  /** The ring (`max_entries` bytes). */
  readonly data: Uint8Array;
  /** `size - 1`. */
  readonly mask: number;
  /** Consumer position (bytes consumed so far). */
  consumerPos = 0;
  /** Producer position (bytes reserved so far). */
  producerPos = 0;
  /** The oldest record not yet committed (the kernel's `pending_pos`). */
  pendingPos = 0;
  readonly #dv: DataView;

  /** Create the map (use `createMap` for the kernel's checks). */
  constructor(a: MapCreateAttr) {
    super(a);
    this.data = new Uint8Array(a.maxEntries);
    this.mask = a.maxEntries - 1;
    this.#dv = new DataView(this.data.buffer);
  }

  /**
   * `__bpf_ringbuf_reserve`: reserve a record of `size` bytes; the offset of
   * its sample in {@link RingBufMap.data} (it may wrap past the end), or -1
   * when it does not fit (see the module doc).
   */
  reserve(size: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return -1;
    const len = (size + RINGBUF_HDR_SZ + 7) & ~7;
    if (len > this.mask + 1) return -1;
    const prod = this.producerPos, newProd = prod + len;
    let pend = this.pendingPos;
    while (pend < prod) {
      const h = this.#dv.getUint32(pend & this.mask, true);
      if (h & RINGBUF_BUSY_BIT) break;
      pend += (((h & ~RINGBUF_DISCARD_BIT) >>> 0) + RINGBUF_HDR_SZ + 7) & ~7;
    }
    this.pendingPos = pend;
    if (newProd - this.consumerPos > this.mask || newProd - pend > this.mask) return -1;
    const hdr = prod & this.mask;
    this.#dv.setUint32(hdr, (size | RINGBUF_BUSY_BIT) >>> 0, true);
    this.#dv.setUint32(hdr + 4, DATA_PGOFF + (hdr >>> 12), true);
    this.producerPos = newProd;
    return hdr + RINGBUF_HDR_SZ;
  }

  /** Commit the record whose sample is at `sample` (an offset {@link RingBufMap.reserve} returned): submit, or discard. */
  commit(sample: number, discard: boolean): void {
    const hdr = (sample - RINGBUF_HDR_SZ) & this.mask;
    let len = (this.#dv.getUint32(hdr, true) ^ RINGBUF_BUSY_BIT) >>> 0;
    if (discard) len = (len | RINGBUF_DISCARD_BIT) >>> 0;
    this.#dv.setUint32(hdr, len, true);
  }

  /** Copy `bytes` into the ring at offset `off`, wrapping at the end. */
  write(off: number, bytes: Uint8Array): void {
    const first = Math.min(bytes.length, this.data.length - off);
    this.data.set(bytes.subarray(0, first), off);
    if (first < bytes.length) this.data.set(bytes.subarray(first), 0);
  }

  /** `n` bytes of the ring from offset `off`, wrapping at the end (a copy). */
  read(off: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const first = Math.min(n, this.data.length - off);
    out.set(this.data.subarray(off, off + first));
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    return out;
  }

  /** `bpf_ringbuf_query(map, flags)`. */
  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(BPF_RB_AVAIL_DATA):
        return BigInt(this.producerPos - this.consumerPos);
      case BigInt(BPF_RB_RING_SIZE):
        return BigInt(this.mask + 1);
      case BigInt(BPF_RB_CONS_POS):
        return BigInt(this.consumerPos);
      case BigInt(BPF_RB_PROD_POS):
        return BigInt(this.producerPos);
      default:
        return 0n;
    }
  }

  /**
   * The user-space consumer: every committed record from the consumer
   * position on, in order (discarded ones skipped), up to the first record
   * still reserved or `max` records; advances the consumer position past
   * what it read, so the space can be reserved again.
   */
  consume(max = Infinity): RingBufRecord[] {
    const out: RingBufRecord[] = [];
    let cons = this.consumerPos;
    while (cons < this.producerPos && out.length < max) {
      const h = this.#dv.getUint32(cons & this.mask, true);
      if (h & RINGBUF_BUSY_BIT) break;
      const size = (h & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT)) >>> 0;
      if ((h & RINGBUF_DISCARD_BIT) === 0) {
        out.push({ data: this.read((cons + RINGBUF_HDR_SZ) & this.mask, size), pos: cons });
      }
      cons += (size + RINGBUF_HDR_SZ + 7) & ~7;
      this.consumerPos = cons;
    }
    return out;
  }

  /** See {@link BpfMap}: bytes waiting for the consumer. */
  count(): number {
    return this.producerPos - this.consumerPos;
  }
  /** See {@link BpfMap}: -ENOTSUPP. */
  override updateRaw(): number {
    return ENOTSUPP;
  }
  /** See {@link BpfMap}: -ENOTSUPP. */
  deleteRaw(): number {
    return ENOTSUPP;
  }
  /** See {@link BpfMap}: -ENOTSUPP. */
  nextKeyRaw(): number {
    return ENOTSUPP;
  }
  /** `BPF_MAP_LOOKUP_ELEM`: ENOTSUPP. */
  override lookup(): Uint8Array {
    throw new BpfError("ENOTSUPP", "ring buffers have no elements (read them with consume())");
  }
  /** `BPF_MAP_UPDATE_ELEM`: ENOTSUPP. */
  override update(): void {
    throw new BpfError("ENOTSUPP", "ring buffers have no elements");
  }
  /** `BPF_MAP_DELETE_ELEM`: ENOTSUPP. */
  override delete(): void {
    throw new BpfError("ENOTSUPP", "ring buffers have no elements");
  }
  /** `BPF_MAP_GET_NEXT_KEY`: ENOTSUPP. */
  override getNextKey(): Uint8Array {
    throw new BpfError("ENOTSUPP", "ring buffers have no elements");
  }
  /** No elements (the records are read with {@link RingBufMap.consume}). */
  override entries(): Array<[Uint8Array, Uint8Array]> {
    return [];
  }
}
