/**
 * eBPF maps: `hash` (with the kernel's jhash) and `array` with the Linux 3.19
 * semantics, the 3.18 `unspec` stub type, and the 6.18 `percpu_array`,
 * `percpu_hash`, `lru_hash`, `prog_array` and `ringbuf`, behind the
 * {@link BpfMap} interface whose value memory the interpreter addresses
 * directly; {@link createMap} makes any of them with the kernel's checks.
 *
 * @module
 */
export * from "./maps.ts";
export * from "./jhash.ts";
export * from "./create.ts";
export * from "./htab.ts";
export * from "./percpu.ts";
export * from "./lru.ts";
export * from "./prog_array.ts";
export * from "./ringbuf.ts";
