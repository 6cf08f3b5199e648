/**
 * `bpf_trace_printk`'s format rules (6.18: `bpf_bprintf_prepare` in
 * kernel/bpf/helpers.c, then `bstr_printf`), checked against the running
 * kernel's trace output:
 *
 * - the format must end with a NUL within its size, hold only printable
 *   ASCII or whitespace, and use at most 3 conversions (`%%` is none);
 * - a conversion is `%`, flags from `0 +-` and a space, an optional width
 *   (no precision), then `d i u x X` with an optional `l` or `ll` (without:
 *   32 bits), `c`, `s`, or `p` followed by nothing alphanumeric (`%p`),
 *   `x`, `K`, `s`, `S`, `B`, `ks`, `us`, `i4`, `I4`, `i6` or `I6`; anything
 *   else (`%o`, `%hd`, `%.3d`, `%#x`, a 4th argument) makes the helper
 *   return -EINVAL (-22) and print nothing;
 * - `%s` must be followed by the end, whitespace or punctuation; strings
 *   are read from the program's memory (an unreadable one prints as
 *   nothing) and all arguments together take at most 512 bytes;
 * - the helper returns the length of the whole output (which the kernel
 *   truncates to 1023 characters in the trace).
 *
 * Known differences: `%p` and `%pK` print a hashed pointer in the kernel
 * (a per-boot key) and the raw value (as `%px`) here; `%pS`/`%ps`/`%pB`
 * resolve kernel symbols there and print `0x...` here.
 *
 * @module
 */

/** What a format needs from the program's memory. */
export interface PrintkMemory {
  /** The NUL-terminated string at argument `i`'s pointer (at most `max - 1` characters), or null when unreadable. */
  str(i: number, max: number): string | null;
  /** `n` bytes at argument `i`'s pointer, or null when unreadable. */
  bytes(i: number, n: number): Uint8Array | null;
}

/** `MAX_BPRINTF_BIN_ARGS`: bytes the arguments of one call may take. */
const BIN_ARGS = 512;
/** Characters of output the trace keeps (`MAX_BPRINTF_BUF` - 1). */
export const PRINTK_MAX_OUTPUT = 1023;

const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const isSpace = (c: string) => c === " " || (c >= "\t" && c <= "\r");
const isPunct = (c: string) => c.length === 1 && c > " " && c <= "~" && !isAlnum(c);
const endish = (c: string | undefined) => c === undefined || isSpace(c) || isPunct(c);

function pad(s: string, width: number, left: boolean, fill = " "): string {
  if (s.length >= width) return s;
  return left ? s.padEnd(width, " ") : s.padStart(width, fill);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/**
 * Format `fmt` with `args` as `bpf_trace_printk` does: the output text, or
 * -22 (-EINVAL) when the kernel refuses the format (see the module doc).
 * `mem` reads the strings and addresses `%s`, `%pks`, `%pus` and `%pI4`
 * etc. point at; without it they print as unreadable.
 */
export function formatPrintk(fmt: string, args: readonly bigint[], mem?: PrintkMemory): string | number {
  let out = "";
  let spec = 0, argBytes = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (!(ch >= " " && ch <= "~") && !isSpace(ch)) return -22;
    if (ch !== "%") {
      out += ch;
      continue;
    }
    if (fmt[i + 1] === "%") {
      out += "%";
      i++;
      continue;
    }
    if (spec >= 3) return -22;
    i++;
    let left = false, plus = false, space = false, zero = false;
    for (; "0+- ".includes(fmt[i] ?? "x"); i++) {
      if (fmt[i] === "-") left = true;
      else if (fmt[i] === "+") plus = true;
      else if (fmt[i] === " ") space = true;
      else zero = true;
    }
    let width = 0;
    if (fmt[i] >= "1" && fmt[i] <= "9") {
      while (isDigit(fmt[i] ?? "")) width = width * 10 + Number(fmt[i++]);
    }
    const a = args[spec] ?? 0n;
    const argi = spec++;
    const c = fmt[i];
    if (c === "p") {
      const n = fmt[i + 1];
      const ptr = BigInt.asUintN(64, a);
      let s: string;
      argBytes = ((argBytes + 3) & ~3) + 8;
      if (endish(n) || n === "x" || n === "K" || n === "S" || n === "s" || n === "B") {
        // %p %px %pK: the pointer in hex (the kernel hashes %p and %pK); %pS %ps %pB: 0x... (no kernel symbols here)
        if (n === "S" || n === "s" || n === "B") s = "0x" + ptr.toString(16);
        else {
          s = ptr.toString(16);
          s = width === 0 ? s.padStart(16, "0") : pad(s, width, left, zero && !left ? "0" : " ");
          width = 0;
        }
      } else if ((n === "k" || n === "u") && fmt[i + 2] === "s") {
        if (!endish(fmt[i + 3])) return -22;
        argBytes -= 8;
        // %pus reads user memory: a program's memory is kernel memory, so it fails (prints nothing)
        const str = n === "u" ? "" : mem?.str(argi, BIN_ARGS - argBytes) ?? "";
        argBytes += str.length + 1;
        s = str;
      } else if ((n === "i" || n === "I") && (fmt[i + 2] === "4" || fmt[i + 2] === "6")) {
        const v6 = fmt[i + 2] === "6";
        const b = mem?.bytes(argi, v6 ? 16 : 4) ?? new Uint8Array(v6 ? 16 : 4);
        if (!v6) s = Array.from(b, (x) => (n === "I" ? String(x) : String(x).padStart(3, "0"))).join(".");
        else if (n === "i") s = Array.from(b, hex2).join("");
        else s = Array.from({ length: 8 }, (_, k) => hex2(b[2 * k]) + hex2(b[2 * k + 1])).join(":");
        argBytes += s.length + 1 - 8;
      } else return -22;
      // bstr_printf ends a pointer conversion at the first character that is not alphanumeric
      i++;
      while (i + 1 < fmt.length && isAlnum(fmt[i + 1])) i++;
      out += pad(s, width, left);
      if (argBytes > BIN_ARGS) return -28;
      continue;
    }
    if (c === "s") {
      if (!endish(fmt[i + 1])) return -22;
      if (argBytes >= BIN_ARGS) return -28;
      const str = mem?.str(argi, BIN_ARGS - argBytes) ?? "";
      argBytes += str.length + 1;
      out += pad(str, width, left);
      continue;
    }
    if (c === "c") {
      if (argBytes >= BIN_ARGS) return -28;
      argBytes += 1;
      out += pad(String.fromCharCode(Number(a & 0xffn)), width, left);
      continue;
    }
    let bits = 32;
    if (fmt[i] === "l") bits = 64, i++;
    if (fmt[i] === "l") i++;
    const conv = fmt[i];
    if (conv !== "i" && conv !== "d" && conv !== "u" && conv !== "x" && conv !== "X") return -22;
    argBytes = ((argBytes + 3) & ~3) + bits / 8;
    if (argBytes > BIN_ARGS) return -28;
    let digits: string, sign = "";
    if (conv === "d" || conv === "i") {
      const v = BigInt.asIntN(bits, a);
      digits = (v < 0n ? -v : v).toString();
      sign = v < 0n ? "-" : plus ? "+" : space ? " " : "";
    } else {
      const v = BigInt.asUintN(bits, a);
      digits = conv === "u" ? v.toString() : v.toString(16);
      if (conv === "X") digits = digits.toUpperCase();
    }
    if (zero && !left) out += sign + digits.padStart(Math.max(0, width - sign.length), "0");
    else out += pad(sign + digits, width, left);
  }
  return out;
}
