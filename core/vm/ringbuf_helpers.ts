/**
 * The ring buffer helpers (kernel/bpf/ringbuf.c, 6.18) over
 * {@link RingBufMap}:
 *
 * | id | name | behaviour |
 * |---|---|---|
 * | 130 | ringbuf_output | copy `size` bytes into a new record and commit it: 0, -EINVAL for flags other than BPF_RB_NO_WAKEUP/BPF_RB_FORCE_WAKEUP, -EAGAIN when it does not fit |
 * | 131 | ringbuf_reserve | a pointer to a new record of `size` bytes (busy until committed), or NULL when it does not fit or flags are not 0 |
 * | 132 | ringbuf_submit | commit a reserved record |
 * | 133 | ringbuf_discard | commit a reserved record as discarded (the consumer skips it) |
 * | 134 | ringbuf_query | BPF_RB_AVAIL_DATA (0), BPF_RB_RING_SIZE (1), BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3), else 0 |
 *
 * A reserved record is a region of its own (its `size` bytes, so writing
 * past it faults); a record that wraps past the end of the ring is written
 * to a buffer of its own and copied into the ring when committed (the
 * kernel maps the ring twice in a row for that). Submitting or discarding
 * anything that is not a reserved record's start, or the same record
 * twice, faults (the kernel's verifier refuses such programs). Committing
 * ends the record's region: later accesses through the old pointer fault.
 *
 * @module
 */
import { RingBufMap } from "../maps/mod.ts";
import type { HelperEnv, HelperFn } from "./helpers.ts";

/** What the region of a reserved record carries. */
interface RecordTag {
  map: RingBufMap;
  sample: number;
  bounce: Uint8Array | null;
  done: boolean;
}

function ringOf(e: HelperEnv, name: string): RingBufMap {
  const m = e.map(1);
  if (!(m instanceof RingBufMap)) {
    return e.fault(`${name}: map ${JSON.stringify(m.name)} is a ${m.typeName}, not a ringbuf`);
  }
  return m;
}

/** `bpf_ringbuf_reserve(map, size, flags)`. */
export function ringbufReserve(e: HelperEnv): void {
  const m = ringOf(e, "ringbuf_reserve");
  const size = e.arg(2), flags = e.arg(3);
  if (flags !== 0n || size > 0x3fffffffn) return e.ret(0);
  const n = Number(size);
  const sample = m.reserve(n);
  if (sample < 0) return e.ret(0);
  const name = `ring buffer record of map ${JSON.stringify(m.name)}`;
  if (sample + n <= m.data.length) e.retRegion(name, m.data, sample, n, { map: m, sample, bounce: null, done: false });
  else {
    // the kernel's sample holds whatever the ring held there (it maps the ring twice, so the record is contiguous)
    const bounce = m.read(sample & m.mask, n);
    e.retRegion(name, bounce, 0, n, { map: m, sample, bounce, done: false });
  }
}

function commit(name: string, discard: boolean): HelperFn {
  return (e) => {
    const r = e.regionAt(1);
    const tag = r?.tag as RecordTag | undefined;
    if (r === null || tag?.map === undefined || e.memOff !== 0) {
      return e.fault(`${name}: r1 is not a record from bpf_ringbuf_reserve`);
    }
    if (tag.done) e.fault(`${name}: the record was already submitted or discarded`);
    tag.done = true;
    if (tag.bounce !== null) tag.map.write(tag.sample & tag.map.mask, tag.bounce);
    tag.map.commit(tag.sample, discard);
    r.len = 0; // the pointer is no longer the program's to use
    e.ret(0);
  };
}

/** `bpf_ringbuf_submit(data, flags)`. */
export const ringbufSubmit: HelperFn = commit("ringbuf_submit", false);
/** `bpf_ringbuf_discard(data, flags)`. */
export const ringbufDiscard: HelperFn = commit("ringbuf_discard", true);

/** `bpf_ringbuf_output(map, data, size, flags)`. */
export function ringbufOutput(e: HelperEnv): void {
  const m = ringOf(e, "ringbuf_output");
  const size = e.arg(3), flags = e.arg(4);
  if ((flags & ~3n) !== 0n) return e.ret(-22);
  if (size > 0x3fffffffn) return e.ret(-11);
  const n = Number(size);
  const src = e.mem(2, n), o = e.memOff;
  const sample = m.reserve(n);
  if (sample < 0) return e.ret(-11); // -EAGAIN
  m.write(sample & m.mask, src.slice(o, o + n));
  m.commit(sample, false);
  e.ret(0);
}

/** `bpf_ringbuf_query(map, flags)`. */
export function ringbufQuery(e: HelperEnv): void {
  e.ret(ringOf(e, "ringbuf_query").query(e.arg(2)));
}
