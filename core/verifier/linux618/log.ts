/**
 * The 6.18 verifier log (`kernel/bpf/log.c`): a rotating buffer of
 * `log_size` bytes that keeps the most recent text (unless
 * `BPF_LOG_FIXED`), `bpf_vlog_reset` to cut the text back to an earlier
 * position (how level 1 drops the paths that ended safely), and
 * `bpf_vlog_finalize`'s ENOSPC when the text ever grew past the buffer
 * (`len_max`, also reported as `log_true_size`).
 *
 * The whole text is kept as a list of messages (positions are absolute, as
 * the kernel's `start_pos`/`end_pos`; a reset near the end only drops or
 * trims the last messages, so a long log is never copied per insn);
 * {@link VerifierLog618.text} returns the window the user buffer holds. Besides, every message is tracked line by line so the
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
  #parts: string[] = [];
  /** Absolute start position of each part. */
  #partPos: number[] = [];
  #len = 0;
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
    const end = this.#len;
    if (end + n > this.#lenMax) this.#lenMax = Math.min(end + n, 0xffffffff);
    if (!(this.level & BPF_LOG_FIXED)) {
      const newEnd = end + n;
      if (newEnd - this.#start >= this.size) this.#start = newEnd - this.size;
    }
    if (s === "") return;
    this.#parts.push(s);
    this.#partPos.push(end);
    this.#len = end + s.length;
  }

  /** The whole text as one string (compacting the parts). */
  #joined(): string {
    if (this.#parts.length > 1) {
      const all = this.#parts.join("");
      this.#parts = [all];
      this.#partPos = [0];
    }
    return this.#parts[0] ?? "";
  }

  /** `log->end_pos`. */
  get endPos(): number {
    return this.#len;
  }

  /** `bpf_vlog_reset(log, pos)`. */
  reset(pos: number): void {
    if (pos > this.#len || this.level === 0) return;
    const parts = this.#parts, at = this.#partPos;
    while (parts.length && at[at.length - 1] >= pos) {
      parts.pop();
      at.pop();
    }
    if (parts.length) {
      const k = parts.length - 1;
      if (at[k] + parts[k].length > pos) parts[k] = parts[k].slice(0, pos - at[k]);
    }
    this.#len = pos;
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
    const buf = this.#joined();
    if (this.level & BPF_LOG_FIXED) return buf.slice(0, Math.max(0, this.size - 1));
    const start = Math.max(this.#start, buf.length - (this.size - 1));
    return buf.slice(Math.max(0, start));
  }

  /** The whole text written so far (ignoring the buffer size). */
  get fullText(): string {
    return this.#joined();
  }

  /** Replace the whole text (snapshot restore). */
  restoreText(text: string, lenMax: number, start: number): void {
    this.#parts = text === "" ? [] : [text];
    this.#partPos = text === "" ? [] : [0];
    this.#len = text.length;
    this.#lenMax = lenMax;
    this.#start = start;
    this.#line = "";
  }

  /** Internal positions for snapshots. */
  get positions(): [number, number] {
    return [this.#lenMax, this.#start];
  }
}
