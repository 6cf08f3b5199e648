/**
 * Shared by the in-process A/B benchmarks (engine_ab.ts, verifier618_ab.ts):
 * this process's CPU time and the median of a list of timings.
 *
 * @module
 */
import process from "node:process";

/** This process's CPU time (user + system) in ms. */
export function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Removes `name VALUE` from `args` and returns VALUE (`dflt` when absent). */
export function takeOption(args: string[], name: string, dflt: string): string {
  const k = args.indexOf(name);
  if (k < 0) return dflt;
  const v = args[k + 1];
  args.splice(k, 2);
  return v;
}
