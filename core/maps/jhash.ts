/**
 * Bob Jenkins' lookup3 hash exactly as the Linux kernel's `jhash()`
 * (`include/linux/jhash.h`), which the hash map uses to pick a bucket.
 *
 * @module
 */

/** The kernel's `JHASH_INITVAL`. */
export const JHASH_INITVAL = 0xdeadbeef;

/**
 * `jhash(key, length, initval)` over `length` bytes of `buf` starting at
 * `off`, as an unsigned 32-bit number. Words are read little-endian (the
 * kernel reads CPU-order words on x86). Allocation-free.
 */
export function jhash(buf: Uint8Array, off: number, length: number, initval = 0): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let k = off;
  let len = length;
  while (len > 12) {
    a = (a + (buf[k] | (buf[k + 1] << 8) | (buf[k + 2] << 16) | (buf[k + 3] << 24))) | 0;
    b = (b + (buf[k + 4] | (buf[k + 5] << 8) | (buf[k + 6] << 16) | (buf[k + 7] << 24))) | 0;
    c = (c + (buf[k + 8] | (buf[k + 9] << 8) | (buf[k + 10] << 16) | (buf[k + 11] << 24))) | 0;
    // __jhash_mix
    a = (a - c) | 0;
    a ^= (c << 4) | (c >>> 28);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 6) | (a >>> 26);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 8) | (b >>> 24);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= (c << 16) | (c >>> 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 19) | (a >>> 13);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 4) | (b >>> 28);
    b = (b + a) | 0;
    len -= 12;
    k += 12;
  }
  if (len === 0) return c >>> 0;
  // tail: the kernel's switch falls through from case len down to case 1
  switch (len) {
    case 12:
      c = (c + (buf[k + 11] << 24)) | 0;
    // falls through
    case 11:
      c = (c + (buf[k + 10] << 16)) | 0;
    // falls through
    case 10:
      c = (c + (buf[k + 9] << 8)) | 0;
    // falls through
    case 9:
      c = (c + buf[k + 8]) | 0;
    // falls through
    case 8:
      b = (b + (buf[k + 7] << 24)) | 0;
    // falls through
    case 7:
      b = (b + (buf[k + 6] << 16)) | 0;
    // falls through
    case 6:
      b = (b + (buf[k + 5] << 8)) | 0;
    // falls through
    case 5:
      b = (b + buf[k + 4]) | 0;
    // falls through
    case 4:
      a = (a + (buf[k + 3] << 24)) | 0;
    // falls through
    case 3:
      a = (a + (buf[k + 2] << 16)) | 0;
    // falls through
    case 2:
      a = (a + (buf[k + 1] << 8)) | 0;
    // falls through
    case 1:
      a = (a + buf[k]) | 0;
  }
  // __jhash_final
  c ^= b;
  c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c;
  a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a;
  b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b;
  c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c;
  a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a;
  b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b;
  c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c >>> 0;
}
