/**
 * Testing eBPF programs without a kernel: `BPF_PROG_TEST_RUN`'s contract
 * (program-type contexts, `repeat`, `retval`, `data_out`, `ctx_out`,
 * duration, the kernel's errnos), tail-call chains, and {@link testRun} for
 * a single program.
 *
 * @module
 */
export * from "./contexts.ts";
export * from "./chain.ts";
export * from "./run.ts";
export * from "./test_run.ts";
