/**
 * eBPF maps: `hash` (with the kernel's jhash) and `array` with the Linux 3.19
 * semantics, and the 3.18 `unspec` stub type, behind the {@link BpfMap}
 * interface whose value memory the interpreter addresses directly.
 *
 * @module
 */
export * from "./maps.ts";
export * from "./jhash.ts";
