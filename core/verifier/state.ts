/**
 * The verifier state (`struct verifier_state`) as one fixed-layout
 * `Int32Array`, so that copying a state is one `set()` and `states_equal` is
 * a tight loop over words.
 *
 * Layout (32-bit words):
 *
 * | words | what |
 * |---|---|
 * | `0 .. 54` | R0..R10, 5 words each: type, payload low, payload high, map index, origin insn |
 * | `55` | lowest stack byte index ever written (512: none), so comparisons skip the untouched stack |
 * | `56 .. 183` | 512 stack slot-type bytes (`stack[MAX_BPF_STACK + off]`), 4 per word |
 * | `184 .. 503` | 64 saved (spilled) registers, one per 8-byte stack slot, 5 words each |
 * | `504 .. 505` | bit k set: some byte of 8-byte stack slot k is not STACK_INVALID |
 *
 * The payload is the kernel's 8-byte union of `int imm` and `struct bpf_map *`:
 * writing an imm replaces only the low word, "mark unknown" clears both, so
 * the stale-upper-half behaviour of 3.18 pruning is reproduced. The map index
 * and origin words are bookkeeping (which map, for printing `(ks=..,vs=..)`;
 * which insn gave the register its type, for `explain`) and are never
 * compared.
 *
 * Stack model: the 3.18 kernel keeps a slot type and a saved register per
 * byte; only a FRAME_PTR-based 8-byte store can spill, and `off % 8 == 0`
 * is checked first, so spills always start on an 8-aligned byte and the
 * per-byte saved registers of the other bytes are fully determined by their
 * slot type (INVALID: zero; SPILL_PART and MISC: `inv`, zero payload). One
 * saved register per 8-byte slot therefore represents the 3.18 per-byte
 * model exactly, and is literally the 3.19 per-slot model.
 *
 * @module
 */

// ---- register types (enum bpf_reg_type, 3.18/3.19) ----
/** Register not written yet. */
export const NOT_INIT = 0;
/** A scalar the verifier knows nothing about (`inv`). */
export const UNKNOWN_VALUE = 1;
/** The context pointer (`ctx`). */
export const PTR_TO_CTX = 2;
/** A map pointer from LD_IMM64 (`map_ptr`). */
export const CONST_PTR_TO_MAP = 3;
/** A checked map lookup result (`map_value`). */
export const PTR_TO_MAP_VALUE = 4;
/** An unchecked map lookup result (`map_value_or_null`). */
export const PTR_TO_MAP_VALUE_OR_NULL = 5;
/** The frame pointer R10 or a plain copy of it (`fp`). */
export const FRAME_PTR = 6;
/** fp + constant (`fp-8`). */
export const PTR_TO_STACK = 7;
/** A known 32-bit constant (`imm5`). */
export const CONST_IMM = 8;

/** `reg_type_str[]`: the log name of each register type. */
export const REG_TYPE_STR: readonly string[] = [
  "?",
  "inv",
  "ctx",
  "map_ptr",
  "map_value",
  "map_value_or_null",
  "fp",
  "fp",
  "imm",
];

// ---- stack slot types ----
/** Stack byte never written. */
export const STACK_INVALID = 0;
/** First byte of a spilled register (3.18), every byte of it (3.19). */
export const STACK_SPILL = 1;
/** Bytes 1..7 of a spilled register (3.18 only). */
export const STACK_SPILL_PART = 2;
/** Written with data. */
export const STACK_MISC = 3;

/** Number of registers (`MAX_BPF_REG`). */
export const MAX_BPF_REG = 11;
/** Stack size in bytes (`MAX_BPF_STACK`). */
export const MAX_BPF_STACK = 512;
/** Words per register record. */
export const REG_W = 5;
/** Word index of a register's type. */
export const R_TYPE = 0;
/** Word index of a register's low payload word (the `imm`). */
export const R_LO = 1;
/** Word index of a register's high payload word. */
export const R_HI = 2;
/** Word index of a register's map index (-1: none). */
export const R_MAP = 3;
/** Word index of the insn that gave a register its type (-1: program entry). */
export const R_ORIGIN = 4;
/** Word index of the lowest written stack byte index (bookkeeping, not compared). */
export const STACK_LO = 55;
/** Word offset of the stack slot-type bytes. */
export const STYPE_OFF = 56;
/** Byte offset of the stack slot-type bytes. */
export const STYPE_BYTE = STYPE_OFF * 4;
/** Word offset of the saved registers. */
export const SLOT_OFF = STYPE_OFF + MAX_BPF_STACK / 4;
/** Number of 8-byte stack slots. */
export const NSLOTS = MAX_BPF_STACK / 8;
/**
 * Word offset of the 64-bit "slot written" mask (bit k: a byte of slot k,
 * stack bytes `8k .. 8k+7`, is not STACK_INVALID). Stack bytes never go
 * back to INVALID, so the mask only grows. It is bookkeeping for a quick
 * reject in {@link statesEqual} (old's written slots must be a subset of
 * cur's) and is never compared itself.
 */
export const MASK_OFF = SLOT_OFF + NSLOTS * REG_W;
/** Words per state. */
export const STATE_WORDS = MASK_OFF + 2;

/** Initial state: R1 = ctx, R10 = fp, everything else NOT_INIT, stack INVALID. */
export function initRegState(s: Int32Array): void {
  s.fill(0);
  for (let r = 0; r < MAX_BPF_REG; r++) {
    s[r * REG_W + R_MAP] = -1;
    s[r * REG_W + R_ORIGIN] = -1;
  }
  for (let k = 0; k < NSLOTS; k++) {
    s[SLOT_OFF + k * REG_W + R_MAP] = -1;
    s[SLOT_OFF + k * REG_W + R_ORIGIN] = -1;
  }
  s[STACK_LO] = MAX_BPF_STACK;
  s[1 * REG_W + R_TYPE] = PTR_TO_CTX;
  s[10 * REG_W + R_TYPE] = FRAME_PTR;
}

/**
 * `states_equal(old, cur)` of the 3.18 kernel (byte stack model) or of
 * 3.19 (slot model). Registers: identical (type and both payload words), or
 * old NOT_INIT, or old inv and cur initialised. Stack: every byte whose old
 * slot type is not INVALID must have the same slot type; saved registers are
 * compared where the kernel compares them (3.18: at SPILL bytes; 3.19: at
 * every 8-aligned non-INVALID byte).
 */
export function statesEqual(
  a: Int32Array,
  aOff: number,
  b: Int32Array,
  bOff: number,
  slotModel: boolean,
  aBytes: Uint8Array,
  bBytes: Uint8Array,
): boolean {
  // A byte old has written must be written (identically) in cur: old's
  // written slots must be a subset of cur's (a cheap reject, tested first).
  // Only those slots are visited below.
  const m0 = a[aOff + MASK_OFF], m1 = a[aOff + MASK_OFF + 1];
  if ((m0 & ~b[bOff + MASK_OFF]) !== 0 || (m1 & ~b[bOff + MASK_OFF + 1]) !== 0) return false;
  for (let r = 0; r < MAX_BPF_REG; r++) {
    const o = aOff + r * REG_W, c = bOff + r * REG_W;
    const ot = a[o];
    if (ot === b[c] && a[o + 1] === b[c + 1] && a[o + 2] === b[c + 2]) continue;
    if (ot === NOT_INIT) continue;
    if (ot === UNKNOWN_VALUE && b[c] !== NOT_INIT) continue;
    return false;
  }
  for (let half = 0; half < 2; half++) {
    let m = half === 0 ? m0 : m1;
    while (m !== 0) {
      const low = m & -m;
      m ^= low;
      const k = (half << 5) | (31 - Math.clz32(low)); // slot: stack bytes 8k .. 8k+7
      const aw = aOff + STYPE_OFF + (k << 1), bw = bOff + STYPE_OFF + (k << 1);
      if (a[aw] !== b[bw] || a[aw + 1] !== b[bw + 1]) {
        const ab = aw << 2, bb = bw << 2;
        for (let j = 0; j < 8; j++) {
          const ot = aBytes[ab + j];
          if (ot !== STACK_INVALID && ot !== bBytes[bb + j]) return false;
        }
      }
      // saved register: compared at the slot's first (8-aligned) byte
      const ot = aBytes[aw << 2];
      if (slotModel ? ot !== STACK_INVALID : ot === STACK_SPILL) {
        const so = aOff + SLOT_OFF + k * REG_W, co = bOff + SLOT_OFF + k * REG_W;
        if (a[so] !== b[co] || a[so + 1] !== b[co + 1] || a[so + 2] !== b[co + 2]) return false;
      }
    }
  }
  return true;
}

/** Key/value sizes of a map, for `(ks=%d,vs=%d)`. */
export interface MapSizes {
  /** key_size */
  keySize: number;
  /** value_size */
  valueSize: number;
}

/** The text after `R%d=` for a register record at word `o` (`imm0`, `fp-8`, `map_value(ks=8,vs=8)`). */
export function regText(s: Int32Array, o: number, maps: ReadonlyArray<MapSizes>): string {
  const t = s[o + R_TYPE];
  const name = REG_TYPE_STR[t];
  if (t === CONST_IMM || t === PTR_TO_STACK) return name + s[o + R_LO];
  if (t === CONST_PTR_TO_MAP || t === PTR_TO_MAP_VALUE || t === PTR_TO_MAP_VALUE_OR_NULL) {
    const m = maps[s[o + R_MAP]];
    return m ? `${name}(ks=${m.keySize},vs=${m.valueSize})` : name;
  }
  return name;
}

/** `print_verifier_state`: ` R0=.. R10=fp fp-8=ctx\n` (leading space, trailing newline). */
export function stateLine(s: Int32Array, o: number, bytes: Uint8Array, maps: ReadonlyArray<MapSizes>): string {
  let out = "";
  for (let r = 0; r < MAX_BPF_REG; r++) {
    const ro = o + r * REG_W;
    if (s[ro] === NOT_INIT) continue;
    out += ` R${r}=${regText(s, ro, maps)}`;
  }
  const bo = (o + STYPE_OFF) * 4;
  for (let i = 0; i < MAX_BPF_STACK; i += 8) {
    if (bytes[bo + i] === STACK_SPILL) {
      out += ` fp${i - MAX_BPF_STACK}=${REG_TYPE_STR[s[o + SLOT_OFF + (i >> 3) * REG_W]]}`;
    }
  }
  return out + "\n";
}

/**
 * The registers `states_equal` compares strictly when `s` is the *old*
 * state: bit r set when R`r` is neither NOT_INIT nor inv (those two are the
 * relaxed cases). Used with {@link regSignature} as a pre-filter.
 */
export function strictRegMask(s: Int32Array, o: number): number {
  let m = 0;
  for (let r = 0; r < MAX_BPF_REG; r++) {
    const t = s[o + r * REG_W];
    if (t !== NOT_INIT && t !== UNKNOWN_VALUE) m |= 1 << r;
  }
  return m;
}

/**
 * A 32-bit hash of (type, payload) of the registers in `mask`. For an old
 * state with strict mask `m`, `statesEqual(old, cur)` implies
 * `regSignature(old, m) === regSignature(cur, m)`, so a differing signature
 * rejects without the full comparison (is_state_visited computes cur's
 * signature once per distinct mask).
 */
export function regSignature(s: Int32Array, o: number, mask: number): number {
  let h = 0x811c9dc5 | 0;
  for (let r = 0; r < MAX_BPF_REG; r++) {
    if ((mask & (1 << r)) === 0) continue;
    const ro = o + r * REG_W;
    h = Math.imul(h ^ s[ro], 0x01000193);
    h = Math.imul(h ^ s[ro + 1], 0x01000193);
    h = Math.imul(h ^ s[ro + 2], 0x01000193);
  }
  return h;
}
