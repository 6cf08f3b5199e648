/**
 * `BPF_MAP_TYPE_LRU_HASH` (9) with the kernel's eviction order
 * (kernel/bpf/bpf_lru_list.c, hashtab.c), over `nCpus` simulated CPUs.
 *
 * The map preallocates `max_entries` elements ("nodes"). With the common LRU
 * (the default) every node is on one list: the global `active`, `inactive`
 * or `free` list, a CPU's local free list, or a CPU's `pending` list (nodes
 * that CPU handed out since it last refilled). An update takes a node first
 * (`prealloc_lru_pop`), also when the key exists (the old node is freed
 * after): from the CPU's local free list; when that is empty, the CPU
 * flushes its pending nodes into the global lists (referenced ones to
 * `active`), rotates the lists (the tail of `active` to `inactive` when
 * `inactive` is the shorter one, referenced inactive nodes back to
 * `active`), and moves up to `target_free` = clamp(max_entries / nCpus / 2,
 * 1, 128) nodes to its local free list: free ones first, then nodes
 * evicted from the tail of `inactive` that are not referenced (else,
 * forcibly, the tail of `inactive`, or of `active`). When that yields none,
 * the CPU steals from the CPUs' local free lists, then pending lists (their
 * oldest unreferenced node first), round robin from its `next_steal`. A
 * program's lookup sets the node's reference bit; a `bpf()` lookup does
 * not; an update of an existing key sets the new node's bit. No node is
 * available at all: -ENOMEM.
 *
 * With `BPF_F_NO_COMMON_LRU` (2) each CPU has its own lists and
 * max_entries / nCpus nodes (max_entries is rounded to a multiple of nCpus,
 * as the kernel does), refilling 4 at a time.
 *
 * Everything here is deterministic for a given sequence of operations and
 * CPUs; the kernel runs it under per-CPU locks, so concurrent programs on
 * several CPUs may interleave differently. Evicted or deleted nodes are
 * reused at once (no RCU grace period, as the kernel's preallocated
 * elements): a program's pointer to an evicted value then sees the new key's
 * value.
 *
 * @module
 */
import { ERRNO } from "../errors.ts";
import { checkBuffer, checkLen, copyBytes, copyOut, fail } from "./bytes.ts";
import { Htab } from "./htab.ts";
import type { MapCreateAttr } from "./maps.ts";

/** Map type number: lru_hash. */
export const MAP_TYPE_LRU_HASH = 9;
/** Map flag: one LRU per CPU instead of the common LRU. */
export const BPF_F_NO_COMMON_LRU = 0x02;

// node types (enum bpf_lru_list_type)
const ACTIVE = 0, INACTIVE = 1, FREE = 2, LOCAL_FREE = 3, LOCAL_PENDING = 4;
const LOCAL_FREE_TARGET = 128, LOCAL_NR_SCANS = 128, PERCPU_FREE_TARGET = 4, PERCPU_NR_SCANS = 4;

/** One LRU list set: heads of active, inactive and free (sentinel node ids), counts, the rotation cursor. */
interface LruList {
  heads: [number, number, number];
  counts: [number, number];
  nextInactiveRotation: number;
}

/** A CPU's local lists (common LRU): the pending list head and the free stack. */
interface LocalList {
  pending: number;
  free: number[];
  nextSteal: number;
}

/** `BPF_MAP_TYPE_LRU_HASH` (see the module doc). */
export class LruHashMap extends Htab {
  /** See {@link BpfMap}. */
  readonly type: number = MAP_TYPE_LRU_HASH;
  /** See {@link BpfMap}. */
  readonly typeName: string = "lru_hash";
  /** Number of simulated CPUs. */
  readonly nCpus: number;
  /** True with `BPF_F_NO_COMMON_LRU`. */
  readonly percpuLru: boolean;
  /** Nodes moved to a CPU's local free list at a time (common LRU). */
  readonly targetFree: number;
  /** Element e's value at `e * stride`. */
  readonly values: Uint8Array;
  /** See {@link BpfMap.cpu}. */
  cpu = 0;
  // doubly linked lists over nodes 0..N-1 and sentinel heads N.. (Linux list_head semantics)
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #ntype: Uint8Array;
  readonly #ref: Uint8Array;
  readonly #ncpu: Int32Array;
  readonly #lists: LruList[] = [];
  readonly #local: LocalList[] = [];
  readonly #scans: number;
  /** The head of the temporary free list of a refill. */
  readonly #tmpHead: number;

  /** Create the map (use `createMap` for the kernel's checks; `a.maxEntries` is already rounded for the per-CPU LRU). */
  constructor(a: MapCreateAttr, nCpus: number) {
    super(a);
    this.nCpus = nCpus;
    this.percpuLru = ((a.mapFlags ?? 0) & BPF_F_NO_COMMON_LRU) !== 0;
    const n = a.maxEntries;
    this.values = new Uint8Array(n * this.stride);
    const nLists = this.percpuLru ? nCpus : 1;
    const heads = nLists * 3 + (this.percpuLru ? 0 : nCpus) + 1;
    this.#prev = new Int32Array(n + heads);
    this.#next = new Int32Array(n + heads);
    this.#ntype = new Uint8Array(n);
    this.#ref = new Uint8Array(n);
    this.#ncpu = new Int32Array(n);
    let h = n;
    const head = () => {
      this.#prev[h] = this.#next[h] = h;
      return h++;
    };
    this.#tmpHead = head();
    for (let l = 0; l < nLists; l++) {
      const inactive = (head(), head());
      this.#lists.push({ heads: [inactive - 1, inactive, head()], counts: [0, 0], nextInactiveRotation: inactive });
    }
    if (this.percpuLru) {
      this.#scans = PERCPU_NR_SCANS;
      this.targetFree = PERCPU_FREE_TARGET;
      // bpf_percpu_lru_populate: n / nCpus nodes per CPU, in order
      const per = Math.floor(n / nCpus);
      let e = 0;
      for (let c = 0; c < nCpus && e < n; c++) {
        do {
          this.#ncpu[e] = c;
          this.#ntype[e] = FREE;
          this.#add(e, this.#lists[c].heads[FREE]);
          e++;
        } while (e < n && e % per !== 0);
      }
    } else {
      this.#scans = LOCAL_NR_SCANS;
      this.targetFree = Math.min(LOCAL_FREE_TARGET, Math.max(1, Math.floor(Math.floor(n / nCpus) / 2)));
      for (let c = 0; c < nCpus; c++) this.#local.push({ pending: head(), free: [], nextSteal: c });
      for (let e = 0; e < n; e++) {
        this.#ntype[e] = FREE;
        this.#add(e, this.#lists[0].heads[FREE]);
      }
    }
  }

  // ------------------------------------------------------------------ list_head primitives
  /** list_add: insert `e` after `head` (at the front). */
  #add(e: number, head: number): void {
    const nx = this.#next[head];
    this.#next[e] = nx;
    this.#prev[e] = head;
    this.#prev[nx] = e;
    this.#next[head] = e;
  }
  #del(e: number): void {
    const p = this.#prev[e], nx = this.#next[e];
    this.#next[p] = nx;
    this.#prev[nx] = p;
  }
  #moveTo(e: number, head: number): void {
    this.#del(e);
    this.#add(e, head);
  }

  // ------------------------------------------------------------------ bpf_lru_list.c
  #countInc(l: LruList, t: number): void {
    if (t < 2) l.counts[t]++;
  }
  #countDec(l: LruList, t: number): void {
    if (t < 2) l.counts[t]--;
  }
  /** __bpf_lru_node_move_to_free */
  #moveToFree(l: LruList, e: number, freeHead: number, tgt: number): void {
    if (e === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[l.nextInactiveRotation];
    this.#countDec(l, this.#ntype[e]);
    this.#ntype[e] = tgt;
    this.#moveTo(e, freeHead);
  }
  /** __bpf_lru_node_move_in: from a local list into `tgt` of the global lists */
  #moveIn(l: LruList, e: number, tgt: number): void {
    this.#countInc(l, tgt);
    this.#ntype[e] = tgt;
    this.#ref[e] = 0;
    this.#moveTo(e, l.heads[tgt]);
  }
  /** __bpf_lru_node_move: within or between active and inactive (or to free) */
  #move(l: LruList, e: number, tgt: number): void {
    if (this.#ntype[e] !== tgt) {
      this.#countDec(l, this.#ntype[e]);
      this.#countInc(l, tgt);
      this.#ntype[e] = tgt;
    }
    this.#ref[e] = 0;
    if (e === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[l.nextInactiveRotation];
    this.#moveTo(e, l.heads[tgt]);
  }
  #rotateActive(l: LruList): void {
    const head = l.heads[ACTIVE];
    const first = this.#next[head];
    let i = 0;
    for (let e = this.#prev[head], p = this.#prev[e]; e !== head; e = p, p = this.#prev[e]) {
      this.#move(l, e, this.#ref[e] ? ACTIVE : INACTIVE);
      if (++i === this.#scans || e === first) break;
    }
  }
  #rotateInactive(l: LruList): void {
    const head = l.heads[INACTIVE];
    if (this.#next[head] === head) return;
    let last = this.#next[l.nextInactiveRotation];
    if (last === head) last = this.#next[last];
    let cur = l.nextInactiveRotation, nx = head, i = 0;
    while (i < this.#scans) {
      if (cur === head) {
        cur = this.#prev[cur];
        continue;
      }
      nx = this.#prev[cur];
      if (this.#ref[cur]) this.#move(l, cur, ACTIVE);
      if (cur === last) break;
      cur = nx;
      i++;
    }
    l.nextInactiveRotation = nx;
  }
  #shrinkInactive(l: LruList, want: number, freeHead: number, tgt: number): number {
    const head = l.heads[INACTIVE];
    let n = 0, i = 0;
    for (let e = this.#prev[head], p = this.#prev[e]; e !== head; e = p, p = this.#prev[e]) {
      if (this.#ref[e]) this.#move(l, e, ACTIVE);
      else if (this.#delFromHtab(e)) {
        this.#moveToFree(l, e, freeHead, tgt);
        if (++n === want) break;
      }
      if (++i === this.#scans) break;
    }
    return n;
  }
  #shrink(l: LruList, want: number, freeHead: number, tgt: number): number {
    const n = this.#shrinkInactive(l, want, freeHead, tgt);
    if (n) return n;
    const inactive = l.heads[INACTIVE];
    const force = this.#next[inactive] !== inactive ? inactive : l.heads[ACTIVE];
    for (let e = this.#prev[force], p = this.#prev[e]; e !== force; e = p, p = this.#prev[e]) {
      if (this.#delFromHtab(e)) {
        this.#moveToFree(l, e, freeHead, tgt);
        return 1;
      }
    }
    return 0;
  }
  #rotate(l: LruList): void {
    if (l.counts[INACTIVE] < l.counts[ACTIVE]) this.#rotateActive(l);
    this.#rotateInactive(l);
  }
  /** bpf_lru_list_pop_free_to_local */
  #popFreeToLocal(loc: LocalList): void {
    const l = this.#lists[0];
    // __local_list_flush
    const ph = loc.pending;
    for (let e = this.#prev[ph], p = this.#prev[e]; e !== ph; e = p, p = this.#prev[e]) {
      this.#moveIn(l, e, this.#ref[e] ? ACTIVE : INACTIVE);
    }
    this.#rotate(l);
    const got: number[] = [];
    const fh = l.heads[FREE];
    for (let e = this.#next[fh], nx = this.#next[e]; e !== fh; e = nx, nx = this.#next[e]) {
      this.#countDec(l, this.#ntype[e]);
      if (e === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[e];
      this.#ntype[e] = LOCAL_FREE;
      this.#del(e);
      got.push(e);
      if (got.length === this.targetFree) break;
    }
    if (got.length < this.targetFree) {
      // evicted nodes go to a temporary list (tmp_free), then from its head onto the CPU's free stack
      const tmp = this.#tmpHead;
      this.#shrink(l, this.targetFree - got.length, tmp, LOCAL_FREE);
      for (let e = this.#prev[tmp], p = this.#prev[e]; e !== tmp; e = p, p = this.#prev[e]) {
        this.#del(e);
        got.push(e);
      }
    }
    // the kernel hands them out in the order they were taken (free ones first, then evicted ones)
    for (let i = got.length - 1; i >= 0; i--) loc.free.push(got[i]);
  }
  /** __local_list_add_pending */
  #addPending(loc: LocalList, e: number): void {
    this.#ncpu[e] = this.cpu;
    this.#ntype[e] = LOCAL_PENDING;
    this.#ref[e] = 0;
    this.#add(e, loc.pending);
  }
  /** __local_list_pop_pending: the oldest unreferenced pending node (any, if none), taken out of the table */
  #popPending(loc: LocalList): number {
    const ph = loc.pending;
    for (const force of [false, true]) {
      for (let e = this.#prev[ph]; e !== ph; e = this.#prev[e]) {
        if ((!this.#ref[e] || force) && this.#delFromHtab(e)) {
          this.#del(e);
          return e;
        }
      }
    }
    return -1;
  }
  /** bpf_lru_pop_free: a node for a new element, or -1 */
  #popFree(): number {
    if (this.percpuLru) {
      const l = this.#lists[this.cpu];
      this.#rotate(l);
      const fh = l.heads[FREE];
      if (this.#next[fh] === fh) this.#shrink(l, PERCPU_FREE_TARGET, fh, FREE);
      if (this.#next[fh] === fh) return -1;
      const e = this.#next[fh];
      this.#ref[e] = 0;
      this.#move(l, e, INACTIVE);
      return e;
    }
    const loc = this.#local[this.cpu];
    let e = loc.free.pop() ?? -1;
    if (e < 0) {
      this.#popFreeToLocal(loc);
      e = loc.free.pop() ?? -1;
    }
    if (e >= 0) {
      this.#addPending(loc, e);
      return e;
    }
    const first = loc.nextSteal;
    let steal = first;
    do {
      const sl = this.#local[steal];
      e = sl.free.pop() ?? -1;
      if (e < 0) e = this.#popPending(sl);
      steal = (steal + 1) % this.nCpus;
    } while (e < 0 && steal !== first);
    loc.nextSteal = steal;
    if (e < 0) return -1;
    this.#addPending(loc, e);
    return e;
  }
  /** bpf_lru_push_free */
  #pushFree(e: number): void {
    if (this.percpuLru) {
      this.#move(this.#lists[this.#ncpu[e]], e, FREE);
      return;
    }
    if (this.#ntype[e] === LOCAL_PENDING) {
      const loc = this.#local[this.#ncpu[e]];
      this.#ntype[e] = LOCAL_FREE;
      this.#ref[e] = 0;
      this.#del(e);
      loc.free.push(e);
      return;
    }
    this.#move(this.#lists[0], e, FREE);
  }
  /** htab_lru_map_delete_node: take the node's element out of the table (false: it was not in it). */
  #delFromHtab(e: number): boolean {
    return this.unlink(e);
  }

  // ------------------------------------------------------------------ the map operations (hashtab.c)
  /** See {@link BpfMap}: a program's lookup, which marks the element referenced. */
  lookupRef(key: Uint8Array, keyOff: number): number {
    const e = this.find(key, keyOff, this.hashOf(key, keyOff));
    if (e >= 0) this.#ref[e] = 1;
    return e;
  }
  /** See {@link BpfMap}. */
  refBuffer(_ref: number): Uint8Array {
    return this.values;
  }
  /** See {@link BpfMap}. */
  refOffset(ref: number): number {
    return ref * this.stride;
  }
  /** See {@link BpfMap}: `htab_lru_map_update_elem` (programs and `bpf()` alike, on CPU {@link LruHashMap.cpu}). */
  updateRaw(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number): number {
    if (flags >>> 0 > 2 || flags < 0) return -ERRNO.EINVAL;
    const h = this.hashOf(key, keyOff);
    const e = this.#popFree();
    if (e < 0) return -ERRNO.ENOMEM;
    const dst = e * this.stride;
    if (value === this.values) this.values.copyWithin(dst, valueOff, valueOff + this.valueSize);
    else copyBytes(this.values, dst, value, valueOff, this.valueSize);
    const old = this.find(key, keyOff, h);
    const err = this.checkFlags(old, flags);
    if (err < 0) {
      this.#pushFree(e);
      return err;
    }
    this.setKey(e, key, keyOff, h);
    this.link(e);
    if (old >= 0) {
      this.#ref[e] = 1;
      this.unlink(old);
      this.#pushFree(old);
    }
    return 0;
  }
  /** See {@link BpfMap}. */
  deleteRaw(key: Uint8Array, keyOff: number): number {
    const e = this.find(key, keyOff, this.hashOf(key, keyOff));
    if (e < 0) return -ERRNO.ENOENT;
    this.unlink(e);
    this.#pushFree(e);
    return 0;
  }
  /** `BPF_MAP_LOOKUP_ELEM` (`htab_lru_map_lookup_elem_sys`: does not mark the element referenced). */
  override lookup(key: Uint8Array, value?: Uint8Array): Uint8Array {
    checkLen("key", key.length, this.keySize);
    if (value !== undefined) checkBuffer("value", value, this.valueSize);
    const e = this.find(key, 0, this.hashOf(key, 0));
    if (e < 0) fail(-ERRNO.ENOENT);
    return copyOut(this.values, e * this.stride, this.valueSize, value);
  }
  /** Whether `key`'s element has its reference bit set (for tests and inspection; null: absent). */
  referenced(key: Uint8Array): boolean | null {
    const e = this.find(key, 0, this.hashOf(key, 0));
    return e < 0 ? null : this.#ref[e] === 1;
  }
}
