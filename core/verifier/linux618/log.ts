/**
 * The 6.18 verifier log (`kernel/bpf/log.c`): a rotating buffer of
 * `log_size` bytes that keeps the most recent text (unless
 * `BPF_LOG_FIXED`), `bpf_vlog_reset` to cut the text back to an earlier
 * position (how level 1 drops the paths that ended safely), and
 * `bpf_vlog_finalize`'s ENOSPC when the text ever grew past the buffer
 * (`len_max`, also reported as `log_true_size`).
 *
 * The whole text is kept (positions are absolute, as the kernel's
 * `start_pos`/`end_pos`); {@link VerifierLog618.text} returns the window the
 * user buffer holds. Besides, every message is tracked line by line so the
 * error message is known even with logging off (level 0).
 *
 * @module
 */

/** `BPF_LOG_LEVEL1`: the failing path. */
export const BPF_LOG_LEVEL1 = 1;
/** `BPF_LOG_LEVEL2`: every instruction with its state. */
export const BPF_LOG_LEVEL2 = 2;
/** `BPF_LOG_STATS`: verification time and stack depth. */
export const BPF_LOG_STATS = 4;
/** `BPF_LOG_FIXED`: do not rotate; stop at the end of the buffer. */
export const BPF_LOG_FIXED = 8;
/** `BPF_LOG_LEVEL`. */
export const BPF_LOG_LEVEL = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2;
/** `BPF_LOG_MASK`. */
export const BPF_LOG_MASK = BPF_LOG_LEVEL | BPF_LOG_STATS | BPF_LOG_FIXED;

/** The log. */
export class VerifierLog618 {
  /** `log->level`. */
  readonly level: number;
  /** `log->len_total` (0: no buffer). */
  readonly size: number;
  #buf = "";
  #start = 0;
  #lenMax = 0;
  #line = "";
  #lastLine = "";

  /** A log of `level` with a buffer of `size` bytes. */
  constructor(level: number, size: number) {
    this.level = level;
    this.size = size;
  }

  /** `bpf_verifier_log_needed(log)`. */
  get needed(): boolean {
    return this.level !== 0;
  }

  /** `verbose(env, ...)`: append a message. */
  verbose(s: string): void {
    // line tracking for the error message (also with logging off)
    const nl = s.lastIndexOf("\n");
    if (nl < 0) this.#line += s;
    else {
      const before = this.#line + s.slice(0, nl);
      const prev = before.lastIndexOf("\n");
      this.#lastLine = prev < 0 ? before : before.slice(prev + 1);
      this.#line = s.slice(nl + 1);
    }
    if (this.level === 0) return;
    const n = s.length + 1; // with the terminating NUL
    const end = this.#buf.length;
    if (end + n > this.#lenMax) this.#lenMax = Math.min(end + n, 0xffffffff);
    if (this.level & BPF_LOG_FIXED) {
      this.#buf += s;
      return;
    }
    const newEnd = end + n;
    if (newEnd - this.#start >= this.size) this.#start = newEnd - this.size;
    this.#buf += s;
  }

  /** `log->end_pos`. */
  get endPos(): number {
    return this.#buf.length;
  }

  /** `bpf_vlog_reset(log, pos)`. */
  reset(pos: number): void {
    if (pos > this.#buf.length || this.level === 0) return;
    this.#buf = this.#buf.slice(0, pos);
    if (pos < this.#start) this.#start = pos;
    this.#line = "";
  }

  /** The last complete line written (the error message of a rejection). */
  get lastLine(): string {
    return this.#line !== "" ? this.#line : this.#lastLine;
  }

  /** `log_true_size`: the buffer size that would have held every byte (`len_max`). */
  get trueSize(): number {
    return this.#lenMax;
  }

  /** Whether `bpf_vlog_finalize` fails with ENOSPC. */
  get overflowed(): boolean {
    return this.level !== 0 && this.#lenMax > this.size;
  }

  /** The text the user buffer holds at the end. */
  get text(): string {
    if (this.level === 0) return "";
    if (this.level & BPF_LOG_FIXED) return this.#buf.slice(0, Math.max(0, this.size - 1));
    const start = Math.max(this.#start, this.#buf.length - (this.size - 1));
    return this.#buf.slice(Math.max(0, start));
  }

  /** The whole text written so far (ignoring the buffer size). */
  get fullText(): string {
    return this.#buf;
  }

  /** Replace the whole text (snapshot restore). */
  restoreText(text: string, lenMax: number, start: number): void {
    this.#buf = text;
    this.#lenMax = lenMax;
    this.#start = start;
    this.#line = "";
  }

  /** Internal positions for snapshots. */
  get positions(): [number, number] {
    return [this.#lenMax, this.#start];
  }
}
