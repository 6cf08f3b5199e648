/**
 * Reading the verifier logs of Linux kernels 5.x to 6.18 (and 4.14+), at
 * log levels 1 and 2: the line classifier, typed register values printed
 * back by the kernel's rules, the streaming parser, path reconstruction,
 * the state at any point, the backward slice of an error, values in words,
 * and a summary.
 *
 * ```ts
 * import { parseLog, summarize } from "./mod.ts";
 * const [log] = parseLog(text);
 * const s = summarize(log);
 * console.log(s.verdict, s.error, s.slice?.origin);
 * ```
 *
 * @module
 */
export * from "./value.ts";
export * from "./lines.ts";
export { formatToRegex, isKernelMessage, OLDER_FORMATS } from "./messages.ts";
export * from "./insn.ts";
export * from "./parser.ts";
export * from "./paths.ts";
export * from "./state.ts";
export { LINKED_REGS_MAX, type LinkedFrame, syncLinkedScalars } from "./linked.ts";
export { findGoodPktPointers } from "./pkt.ts";
export * from "./slice.ts";
export * from "./describe.ts";
export * from "./summary.ts";
export { ByteVec, IntVec } from "./vec.ts";
