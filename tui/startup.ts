/**
 * Startup timing: with `BPFSCOPE_STARTUP=1`, `bpfscope tui` prints on exit
 * when each phase finished, in ms since the process started
 * (`performance.now()`), ending with the first frame written.
 *
 * @module
 */

/** Phases reached so far: name and ms since process start. */
export const marks: Array<[string, number]> = [];

/** Record that phase `name` finished now. */
export function mark(name: string): void {
  marks.push([name, performance.now()]);
}

/** The marks as one line. */
export function marksText(): string {
  return marks.map(([n, t]) => `${n} ${t.toFixed(0)} ms`).join(", ");
}
