/**
 * Error types shared by every stage. Rejections by the verifier and faults of
 * the machine are results, not exceptions; these errors are for malformed
 * input (formats), misuse of the API, and the `bpf()` facade's errno results.
 *
 * @module
 */

/** Malformed input: a file or text that does not decode into a program. */
export class FormatError extends Error {
  /** Where the problem is, e.g. `prog.json: insns[3][4]` or `prog.s:12:5`. */
  readonly location: string;
  /**
   * Create a format error.
   * @param location where the problem is
   * @param message what it is (one line)
   */
  constructor(location: string, message: string) {
    super(location ? `${location}: ${message}` : message);
    this.name = "FormatError";
    this.location = location;
  }
}

/** Linux errno numbers used by bpfscope (x86-64 values). */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
};

/** An errno name (`EINVAL`, ...). */
export type ErrnoName = keyof typeof ERRNO & string;

/** The error a `bpf()`-style command fails with, carrying the kernel's errno. */
export class BpfError extends Error {
  /** The errno name, e.g. `ENOENT`. */
  readonly errno: string;
  /** The errno number, e.g. 2. */
  readonly code: number;
  /**
   * Create an errno-carrying error.
   * @param errno errno name, e.g. `ENOENT`
   * @param message optional detail
   */
  constructor(errno: string, message?: string) {
    super(message ? `${errno}: ${message}` : errno);
    this.name = "BpfError";
    this.errno = errno;
    this.code = ERRNO[errno] ?? 0;
  }
}
