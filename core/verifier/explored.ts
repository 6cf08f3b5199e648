/**
 * An index of the explored states, so that `is_state_visited` runs
 * `states_equal` only on candidates instead of on every state stored at the
 * instruction.
 *
 * 3.18/3.19's `is_state_visited` walks the instruction's explored-state list
 * from its head (the state stored last) and prunes at the first state that
 * `states_equal` accepts. Two necessary conditions of `states_equal(old,
 * cur)` make the index:
 *
 * - **stack**: every 8-byte slot old has written (a byte not
 *   `STACK_INVALID`) is written in cur, so old's written-slot mask is a
 *   subset of cur's. The states of an instruction sit in a binary trie over
 *   their written-slot masks, slot 63 (`fp-8`) first; a state hangs at the
 *   node where its lowest written slot has been consumed (the root when it
 *   wrote none). A query for cur's mask `C` descends into the "slot written"
 *   child only where `C` has that slot, so it visits only nodes whose masks
 *   are subsets of `C`.
 * - **registers**: every register old holds with a type that must match
 *   exactly (neither `NOT_INIT` nor `UNKNOWN_VALUE`: its strict mask `m`)
 *   has the same type and payload in cur, so old and cur hash alike under
 *   `m` ({@link regSignature}). At a trie node, states are grouped by
 *   `(m, signature)` in a hash table; a query looks up, for each distinct `m`
 *   at the node, the group of cur's signature under `m`.
 *
 * The states of a group are the candidates: they are compared newest first,
 * and the search keeps the newest match over all groups (a group or subtree
 * whose newest state is not newer than the best match so far is skipped), so
 * the state found is exactly the one the kernel's list walk finds first.
 *
 * States are numbered in the order they are stored (the explored-states
 * arena's index). The index only grows; {@link ExploredIndex.reset} empties
 * it (a walk restored to an earlier snapshot rebuilds it from the arena).
 *
 * @module
 */
import { MASK_OFF, regSignature, strictRegMask } from "./state.ts";

/** The index given back last, for the next walk (see {@link ExploredIndex.acquire}). */
let spare: ExploredIndex | null = null;

/** `states_equal(old state k, cur)`. */
export type StateMatcher = (k: number) => boolean;

type Words = Int32Array<ArrayBuffer>;

/** `a`, or a copy at least twice as long (the new words `fill`) when it has fewer than `n` words. */
const grow = (a: Words, n: number, fill = -1): Words => {
  if (n <= a.length) return a;
  const b = new Int32Array(Math.max(n, a.length * 2, 256)).fill(fill);
  b.set(a);
  return b;
};

/** Whether written-slot mask (`w0`: slots 0..31, `w1`: slots 32..63) has slot `s`. */
const hasSlot = (w0: number, w1: number, s: number): boolean => ((s >= 32 ? w1 >>> (s - 32) : w0 >>> s) & 1) === 1;

/** The explored states of one walk, indexed per instruction (see the module doc). */
export class ExploredIndex {
  /** Per instruction: its trie's root node (-1: no state stored there yet). */
  #root: Words;
  /** Per instruction: the generation its root belongs to (an older one: no root). */
  #rootGen: Words;
  /** The current generation: {@link ExploredIndex.reset} starts a new one instead of clearing the arrays. */
  #gen = 1;
  // trie nodes: children ("slot not written", "slot written"), newest state below, first mask entry
  #c0 = new Int32Array(0) as Words;
  #c1 = new Int32Array(0) as Words;
  #newest = new Int32Array(0) as Words;
  #masks = new Int32Array(0) as Words;
  #nodes = 0;
  // mask entries: the distinct strict masks of a node's states, as a list per node
  #meMask = new Int32Array(0) as Words;
  #meNext = new Int32Array(0) as Words;
  #entries = 0;
  // groups (node, strict mask, signature): the hash table's keys and the newest state of each
  #table = new Int32Array(64) as Words;
  /** Per hash table slot: the generation it was filled in (an older one: empty). */
  #tableGen = new Int32Array(64) as Words;
  #gNode = new Int32Array(0) as Words;
  #gMask = new Int32Array(0) as Words;
  #gSig = new Int32Array(0) as Words;
  #gHead = new Int32Array(0) as Words;
  #groups = 0;
  /** Per state: the next older state of its group (-1: none). */
  #next = new Int32Array(0) as Words;
  // a query's depth-first walk, and cur's signatures by strict mask
  #walk = new Int32Array(4 * 66); // at most two pending nodes per trie level, two words each
  #sigMask = new Int32Array(16);
  #sigVal = new Int32Array(16);
  #sigs = 0;

  /** An empty index for a program of `len` instructions. */
  private constructor(len: number) {
    this.#root = new Int32Array(len) as Words;
    this.#rootGen = new Int32Array(len) as Words;
  }

  /**
   * An empty index for a program of `len` instructions: the one given back
   * last by {@link ExploredIndex.release} when there is one (a new typed
   * array costs about a microsecond, the walk of a short program a few
   * dozen), else a new one.
   */
  static acquire(len: number): ExploredIndex {
    const x = spare;
    if (x === null) return new ExploredIndex(len);
    spare = null;
    if (x.#root.length < len) {
      x.#root = new Int32Array(len) as Words;
      x.#rootGen = new Int32Array(len) as Words;
    }
    return x;
  }

  /** Give the index back for reuse by the next {@link ExploredIndex.acquire}; it must not be used afterwards. */
  release(): void {
    this.reset();
    spare = this;
  }

  /** Forget every state (a new generation: nothing is cleared). */
  reset(): void {
    if (++this.#gen === 0x7fffffff) {
      this.#gen = 1;
      this.#rootGen.fill(0);
      this.#tableGen.fill(0);
    }
    this.#nodes = this.#entries = this.#groups = 0;
  }

  #node(): number {
    const n = this.#nodes++;
    this.#c0 = grow(this.#c0, n + 1);
    this.#c1 = grow(this.#c1, n + 1);
    this.#newest = grow(this.#newest, n + 1);
    this.#masks = grow(this.#masks, n + 1);
    this.#c0[n] = this.#c1[n] = this.#masks[n] = -1;
    return n;
  }

  /** The group (node, m, sig), or -1; with `create`, made when missing. */
  #group(node: number, m: number, sig: number, create: boolean): number {
    const t = this.#table, tg = this.#tableGen, gen = this.#gen, cap = t.length - 1;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(sig, 0x85ebca6b) ^ m) & cap;
    for (;;) {
      if (tg[h] !== gen) break;
      const g = t[h];
      if (this.#gNode[g] === node && this.#gSig[g] === sig && this.#gMask[g] === m) return g;
      h = (h + 1) & cap;
    }
    if (!create) return -1;
    const g = this.#groups++;
    this.#gNode = grow(this.#gNode, g + 1);
    this.#gMask = grow(this.#gMask, g + 1);
    this.#gSig = grow(this.#gSig, g + 1);
    this.#gHead = grow(this.#gHead, g + 1);
    this.#gNode[g] = node;
    this.#gMask[g] = m;
    this.#gSig[g] = sig;
    this.#gHead[g] = -1;
    t[h] = g;
    tg[h] = gen;
    if (this.#groups * 2 > t.length) this.#rehash();
    return g;
  }

  #rehash(): void {
    const t = new Int32Array(this.#table.length * 2) as Words, tg = new Int32Array(t.length) as Words;
    const gen = this.#gen, cap = t.length - 1;
    for (let g = 0; g < this.#groups; g++) {
      let h = (Math.imul(this.#gNode[g], 0x9e3779b1) ^ Math.imul(this.#gSig[g], 0x85ebca6b) ^ this.#gMask[g]) & cap;
      while (tg[h] === gen) h = (h + 1) & cap;
      t[h] = g;
      tg[h] = gen;
    }
    this.#table = t;
    this.#tableGen = tg;
  }

  /** Whether the states of insn `idx` are in the index (added since the last reset). */
  has(idx: number): boolean {
    return this.#rootGen[idx] === this.#gen;
  }

  /**
   * Add state `k` of insn `idx`, whose words start at `o` in `s`. The states
   * of an instruction must be added in the order they were stored (`k`
   * increasing).
   */
  add(idx: number, k: number, s: Int32Array, o: number): void {
    const w0 = s[o + MASK_OFF], w1 = s[o + MASK_OFF + 1];
    let node: number;
    if (this.#rootGen[idx] === this.#gen) node = this.#root[idx];
    else {
      node = this.#root[idx] = this.#node();
      this.#rootGen[idx] = this.#gen;
    }
    this.#newest[node] = k;
    // down to the lowest written slot
    const low = w0 !== 0 ? 31 - Math.clz32(w0 & -w0) : w1 !== 0 ? 63 - Math.clz32(w1 & -w1) : 64;
    for (let slot = 63; slot >= low; slot--) {
      const child = hasSlot(w0, w1, slot) ? this.#c1 : this.#c0;
      let c = child[node];
      if (c < 0) {
        c = this.#node();
        (hasSlot(w0, w1, slot) ? this.#c1 : this.#c0)[node] = c;
      }
      node = c;
      this.#newest[node] = k;
    }
    const m = strictRegMask(s, o), sig = regSignature(s, o, m);
    let e = this.#masks[node];
    while (e >= 0 && this.#meMask[e] !== m) e = this.#meNext[e];
    if (e < 0) {
      e = this.#entries++;
      this.#meMask = grow(this.#meMask, e + 1);
      this.#meNext = grow(this.#meNext, e + 1);
      this.#meMask[e] = m;
      this.#meNext[e] = this.#masks[node];
      this.#masks[node] = e;
    }
    const g = this.#group(node, m, sig, true);
    this.#next = grow(this.#next, k + 1);
    this.#next[k] = this.#gHead[g];
    this.#gHead[g] = k;
  }

  /** cur's register signature under strict mask `m` (computed once per query and mask). */
  #sig(cur: Int32Array, m: number): number {
    for (let i = 0; i < this.#sigs; i++) if (this.#sigMask[i] === m) return this.#sigVal[i];
    const v = regSignature(cur, 0, m);
    if (this.#sigs < this.#sigMask.length) {
      this.#sigMask[this.#sigs] = m;
      this.#sigVal[this.#sigs++] = v;
    }
    return v;
  }

  /**
   * The newest state stored at insn `idx` that `equal` accepts for the
   * current state `cur` (words from 0), calling `equal` only on candidates;
   * -1 when none.
   */
  find(idx: number, cur: Int32Array, equal: StateMatcher): number {
    if (!this.has(idx)) return -1;
    const root = this.#root[idx];
    const w0 = cur[MASK_OFF], w1 = cur[MASK_OFF + 1];
    const walk = this.#walk;
    this.#sigs = 0;
    let best = -1, sp = 0;
    walk[sp++] = root;
    walk[sp++] = 63;
    while (sp > 0) {
      const slot = walk[--sp], node = walk[--sp];
      if (this.#newest[node] <= best) continue;
      for (let e = this.#masks[node]; e >= 0; e = this.#meNext[e]) {
        const m = this.#meMask[e];
        const g = this.#group(node, m, this.#sig(cur, m), false);
        if (g < 0) continue;
        for (let k = this.#gHead[g]; k > best; k = this.#next[k]) {
          if (equal(k)) {
            best = k;
            break;
          }
        }
      }
      if (slot < 0) continue;
      const c0 = this.#c0[node];
      if (c0 >= 0) {
        walk[sp++] = c0;
        walk[sp++] = slot - 1;
      }
      const c1 = this.#c1[node];
      if (c1 >= 0 && hasSlot(w0, w1, slot)) {
        walk[sp++] = c1;
        walk[sp++] = slot - 1;
      }
    }
    return best;
  }
}
