/**
 * Register and stack values in words: `scalar in [0, 255], multiple of 4`,
 * `pointer to a value of map 'vals' (8 bytes) at offset 4, or NULL`,
 * `pointer into the packet at offset 14, 14 bytes checked`.
 *
 * @module
 */
import {
  mayBeNull,
  type RegValue,
  S64_MAX,
  S64_MIN,
  type SlotValue,
  tnumIsConst,
  tnumIsUnknown,
  U64_MAX,
} from "./value.ts";

function num(n: bigint): string {
  if (n > 65535n || n < -65535n) {
    if (n === S64_MAX) return "S64_MAX";
    if (n === S64_MIN) return "S64_MIN";
    if (n === U64_MAX) return "U64_MAX";
    if (n === 0xffffffffn) return "U32_MAX";
    return n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
  }
  return n.toString();
}

/** The largest power of two every value of the tnum is a multiple of (1 when odd values are possible). */
export function tnumAlignment(value: bigint, mask: bigint): bigint {
  const bits = value | mask;
  if (bits === 0n) return 0n;
  let a = 1n;
  while ((bits & a) === 0n && a < (1n << 62n)) a <<= 1n;
  return a;
}

/** The range of a scalar (or of a pointer's variable offset) in words. */
function rangeWords(v: RegValue): string {
  const parts: string[] = [];
  const signedNeeded = v.smin < 0n;
  if (signedNeeded) {
    if (v.smin !== S64_MIN || v.smax !== S64_MAX) parts.push(`in [${num(v.smin)}, ${num(v.smax)}]`);
  } else if (v.umin !== 0n || v.umax !== U64_MAX) {
    parts.push(`in [${num(v.umin)}, ${num(v.umax)}]`);
  } else if (v.smin !== S64_MIN || v.smax !== S64_MAX) {
    parts.push(`in [${num(v.smin)}, ${num(v.smax)}]`);
  }
  if (!tnumIsUnknown(v.varOff) && !tnumIsConst(v.varOff)) {
    const a = tnumAlignment(v.varOff.value, v.varOff.mask);
    if (a > 1n && (v.varOff.value & (a - 1n)) === 0n) parts.push(`multiple of ${a}`);
  }
  const has32 = v.u32min !== 0 || v.u32max !== 0xffffffff || v.s32min !== -0x80000000 || v.s32max !== 0x7fffffff;
  if (has32) {
    const lo64 = BigInt(v.u32min), hi64 = BigInt(v.u32max);
    const same = v.umax <= 0xffffffffn && lo64 === v.umin && hi64 === v.umax;
    if (!same) {
      if (v.s32min < 0) parts.push(`low 32 bits in [${v.s32min}, ${v.s32max}] signed`);
      else if (v.u32min !== 0 || v.u32max !== 0xffffffff) parts.push(`low 32 bits in [${v.u32min}, ${num(hi64)}]`);
    }
  }
  return parts.join(", ");
}

function mapWords(v: RegValue): string {
  const name = v.mapName ? `map '${v.mapName}'` : "a map";
  return v.vs >= 0 ? `${name} (key ${v.ks} bytes, value ${v.vs} bytes)` : name;
}

/** A register value in words. */
export function describeValue(v: RegValue): string {
  const precise = v.precise ? " (precise)" : "";
  const nullable = mayBeNull(v.type) ? ", or NULL" : "";
  const prefix = v.type.startsWith("rdonly_") ? "read-only " : "";
  switch (v.kind) {
    case "scalar": {
      if (tnumIsConst(v.varOff)) {
        const n = BigInt.asIntN(64, v.varOff.value);
        const hex = n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
        return `the constant ${n}${n > 9n || n < -9n ? ` (${hex})` : ""}${precise}`;
      }
      const r = rangeWords(v);
      return (r ? `scalar ${r}` : "any scalar") + (v.id ? ` (id ${v.id})` : "") + precise;
    }
    case "ctx":
      return v.off ? `pointer to the context at offset ${v.off}` : "pointer to the context";
    case "stack": {
      const frame = v.frameno >= 0 ? ` of frame ${v.frameno}` : "";
      if (tnumIsConst(v.varOff)) {
        const off = BigInt.asIntN(64, v.varOff.value) + BigInt(v.off);
        return off === 0n ? `the frame pointer${frame}` : `pointer to the stack${frame} at fp${off}`;
      }
      const r = rangeWords(v);
      return `pointer into the stack${frame} at fp${v.off} + a variable offset${r ? " " + r : ""}`;
    }
    case "map_ptr":
      return `the ${mapWords(v)}`;
    case "map_value":
    case "map_key": {
      const what = v.kind === "map_key" ? "key" : "value";
      const at = tnumIsConst(v.varOff)
        ? `at offset ${v.off + Number(BigInt.asIntN(64, v.varOff.value))}`
        : `at offset ${v.off} + a variable offset ${rangeWords(v)}`;
      return `pointer to a ${prefix}${what} of ${mapWords(v)} ${at}${nullable}`;
    }
    case "pkt":
    case "pkt_meta": {
      const where = v.kind === "pkt" ? "the packet" : "the packet metadata";
      const at = tnumIsConst(v.varOff)
        ? `at offset ${v.off}`
        : `at offset ${v.off} + a variable offset ${rangeWords(v)}`;
      const r = v.range === -0x80000000 || v.range === 0
        ? "no bytes checked against the end yet"
        : v.range < 0
        ? "known to be beyond the end"
        : `${v.range} bytes checked against the end`;
      return `pointer into ${where} ${at}, ${r}`;
    }
    case "pkt_end":
      return "the end of the packet (data_end)";
    case "mem": {
      const kind = v.type.includes("ringbuf") ? "ringbuf record" : "memory";
      const sz = v.memSize >= 0 ? ` of ${v.memSize} bytes` : "";
      return `pointer to ${prefix}${kind}${sz}${v.off ? ` at offset ${v.off}` : ""}${nullable}${
        v.refObjId ? ` (reference ${v.refObjId}, must be released)` : ""
      }`;
    }
    case "btf_id": {
      const m = /ptr_(?:or_null_)?(.+)$/.exec(v.type);
      const trust = /trusted_/.test(v.type) && !/untrusted_/.test(v.type)
        ? "trusted "
        : /untrusted_/.test(v.type)
        ? "untrusted "
        : /rcu_/.test(v.type)
        ? "RCU-protected "
        : "";
      return `${trust}pointer to kernel struct ${m ? m[1] : v.type}${v.off ? ` at offset ${v.off}` : ""}${nullable}`;
    }
    case "sock":
      return `pointer to a ${v.type.replace(/_or_null$/, "")}${nullable}`;
    case "func":
      return "pointer to a BPF function";
    case "dynptr":
      return `pointer to a dynptr${v.dynptrType ? ` (${v.dynptrType})` : ""}`;
    case "arena":
      return "pointer into the BPF arena";
    default:
      return `${v.type}${nullable}`;
  }
}

/** A stack slot in words. */
export function describeSlot(s: SlotValue): string {
  if (s.special) return s.special.startsWith("iter_") ? `an iterator ${s.special}` : `a dynptr ${s.special}`;
  if (s.spill) {
    const sub = s.types.length ? ` (${8 - s.types.length} bytes)` : "";
    return `spilled register${sub}: ${describeValue(s.spill)}`;
  }
  const t = s.types;
  const count = (c: string) => [...t].filter((x) => x === c).length;
  const parts: string[] = [];
  if (count("m")) parts.push(`${count("m")} bytes of data`);
  if (count("0")) parts.push(`${count("0")} zero bytes`);
  if (count("?")) parts.push(`${count("?")} bytes never written`);
  if (count("d")) parts.push(`dynptr`);
  if (count("i")) parts.push(`iterator`);
  if (count("f")) parts.push(`irq flag`);
  return parts.join(", ") || t;
}
