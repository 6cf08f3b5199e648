/**
 * The verifier log buffer (`verbose()` in 3.18): snprintf-style appends into
 * a buffer of `log_size` bytes. Every message is truncated to the space left
 * minus the NUL, and once the text reaches `log_size - 1` bytes nothing more
 * is added; a full buffer turns any verdict into ENOSPC (see `bpf_check`).
 *
 * All log text is ASCII, so string length equals byte length.
 *
 * @module
 */

/** Smallest accepted `log_size`. */
export const LOG_SIZE_MIN = 128;
/** Largest accepted `log_size` (`UINT_MAX >> 8`). */
export const LOG_SIZE_MAX = 0xffffffff >>> 8;

/**
 * Check the log parameters the way `bpf_check` does. With `level`, `size`
 * and buffer all absent/zero logging is off. Returns `"EINVAL"` for bad
 * parameters, else null.
 */
export function checkLogParams(level: number, size: number, hasBuf: boolean): "EINVAL" | null {
  if (level === 0 && size === 0 && !hasBuf) return null;
  if (size < LOG_SIZE_MIN || size > LOG_SIZE_MAX || level === 0 || !hasBuf) return "EINVAL";
  return null;
}

/** An append-only verifier log with the kernel's truncation rule. */
export class VerifierLog {
  /** The text so far (at most `size - 1` characters). */
  text = "";
  /** `log_size`. */
  readonly size: number;

  /** Create a log of `size` bytes (including the NUL). */
  constructor(size: number) {
    this.size = size;
  }

  /** `verbose(...)`: append with truncation. */
  append(s: string): void {
    const room = this.size - 1 - this.text.length;
    if (room <= 0) return;
    this.text += s.length <= room ? s : s.slice(0, room);
  }

  /** Whether the buffer is full (`log_len >= log_size - 1`): the load fails with ENOSPC. */
  get full(): boolean {
    return this.text.length >= this.size - 1;
  }
}
