/**
 * Recognising the verifier's free-text messages (errors and notes such as
 * `R0 invalid mem access 'map_value_or_null'` or `infinite loop detected at
 * insn 7`): a line is a known message when it is one of the kernel's printf
 * formats ({@link KERNEL_FORMATS}, collected from the Linux 6.18 sources,
 * plus the formats of older kernels in {@link OLDER_FORMATS}), or a sequence
 * of format pieces that continue on one line ending in a whole format.
 *
 * @module
 */
import { KERNEL_CONTINUATIONS, KERNEL_FORMATS } from "./formats.ts";

/**
 * Messages the 6.18 table lacks: those of kernel/bpf/btf.c that reach the
 * verifier log (BTF-typed pointer accesses, global function arguments), those
 * of the stable 6.18.y the tests record that 6.18.0's source lacks, and
 * those of kernels before 6.18 that 6.18 no longer prints or prints
 * differently.
 */
export const OLDER_FORMATS: readonly string[] = [
  // the running 6.18.y (not in 6.18.0's source): a packet pointer passed to a global function without direct write access
  "function access to the packet is not allowed",
  "cannot access ptr member %s with moff %u in struct %s with off %u size %u",
  "access beyond struct %s at off %u size %u",
  "Global function %s() doesn't return scalar. Only those are supported.",
  "Arg#%d type %s in %s() is not supported yet.",
  "arg#%d type doesn't have a name",
  "arg#%d should be `struct %s *`",
  "BTF of func#%d doesn't point to KIND_FUNC",
  "Invalid type of function %s()",
  "Global function %s() with %d > %d args. Buggy compiler.",
  "arg#%d type tag is not supported in static functions",
  "arg#%d has unsupported set of tags",
  "arg#%d has invalid combination of tags",
  "arg#%d has pointer tag, but is not a pointer type",
  "arg#%d reference type('%s %s') size cannot be determined: %ld",
  "arg#%d expected pointer to ctx, but got %s",
  "arg#%d pointer type %s %s must point to %sscalar, or struct with scalar",
  "func '%s' arg%d has btf_id %d type %s '%s'",
  "func '%s' doesn't have %d-th argument",
  "reg type unsupported for arg#%d function %s#%d",
  "R%d is ptr_%s invalid negative access: off=%d",
  "R%d is ptr_%s access user memory: off=%d",
  "R%d invalid mem access '%s'",
  "R%d min value is outside of the array range",
  "R%d max value is outside of the array range",
  "R%d unbounded memory access, make sure to bounds check any such access",
  "R%d min value is outside of the allowed memory range",
  "R%d max value is outside of the allowed memory range",
  "R%d offset is outside of the packet",
  "R%d pointer arithmetic on %s prohibited",
  "R%d leaks addr into map",
  "R%d leaks addr into mem",
  "R%d leaks addr as return value",
  "math between %s pointer and register with unbounded min value is not allowed",
  "math between %s pointer and %lld is not allowed",
  "value %lld makes %s pointer be out of bounds",
  "invalid access to map value, value_size=%d off=%d size=%d",
  "invalid access to packet, off=%d size=%d, R%d(id=%d,off=%d,r=%d)",
  "invalid stack off=%d size=%d",
  "invalid read from stack off %d+%d size %d",
  "invalid indirect read from stack off %d+%d size %d",
  "invalid indirect read from stack R%d off %d+%d size %d",
  "R%d !read_ok",
  "R%d type=%s expected=%s",
  "back-edge from insn %d to %d",
  "BPF program is too large. Processed %d insn",
  "BPF program is too large. processed %d insn",
  "The sequence of %d jumps is too complex.",
  "unreachable insn %d",
  "jump out of range from insn %d to %d",
  "invalid bpf_context access off=%d size=%d",
  "misaligned stack access off %s+%d+%d size %d",
  "misaligned packet access off %d+%s+%d+%d size %d",
  "misaligned value access off %s+%d+%d size %d",
  "At program exit the register R0 is not a known value (%s)",
  "At program exit the register R0 has value %s should have been in %s",
  "At program exit the register R0 has %s should have been in %s",
  "combined stack size of %d calls is %d. Too large",
  "last_idx %d first_idx %d",
  "regs=%x stack=%llx before %d: %s",
  "parent %s regs=%x stack=%llx marks",
  "parent didn't have regs=%x stack=%llx marks",
  "parent already had regs=%x stack=%llx marks",
  "processed %d insns (limit %d), stack depth %s",
  "processed %d insns (limit %d) max_states_per_insn %d total_states %d peak_states %d mark_read %d",
  "processed %d insns, stack depth %s",
  "processed %d insns",
  "infinite loop detected at insn %d",
  "verifier internal error: %s",
];

/** Regular expression source for one printf format (the whole text, no anchors). */
export function formatToRegex(fmt: string): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== "%") {
      out += /[\\^$.*+?()[\]{}|/]/.test(c) ? "\\" + c : c;
      continue;
    }
    const m = /^%([-+ #0]*)(\*|\d+)?(?:\.(\d+|\*))?(hh|h|ll|l|z|j|t)?([diouxXcspn%])/.exec(fmt.slice(i));
    if (!m) {
      out += "%";
      continue;
    }
    i += m[0].length - 1;
    const [, flags, width, , , conv] = m;
    const pad = width ? " *" : "";
    switch (conv) {
      case "%":
        out += "%";
        break;
      case "d":
      case "i":
        out += pad + (flags.includes("+") ? "[+-]\\d+" : "-?\\d+");
        break;
      case "u":
        out += pad + "\\d+";
        break;
      case "o":
        out += pad + "[0-7]+";
        break;
      case "x":
      case "X":
        out += pad + (flags.includes("#") ? "0x[0-9a-fA-F]+" : "[0-9a-fA-F]+");
        break;
      case "c":
        out += pad + "[^]";
        break;
      case "p":
        out += "\\S+";
        break;
      default:
        out += pad + ".*?";
    }
  }
  return out;
}

interface Catalog {
  /** Whole formats that may start a line. */
  whole: RegExp;
  /** Pieces that may start a line. */
  starts: RegExp[];
  /** Any whole format (a line's last part). */
  wholeAny: RegExp;
  /** Any piece (continuing a line). */
  pieces: RegExp[];
}

let catalog: Catalog | null = null;

function build(): Catalog {
  const whole: string[] = [];
  const wholeCont: string[] = [];
  const starts: RegExp[] = [];
  const pieces: RegExp[] = [];
  const add = (f: string, start: boolean) => {
    if (f.endsWith("\0")) {
      const re = new RegExp("^" + formatToRegex(f.slice(0, -1)));
      if (start) starts.push(re);
      pieces.push(re);
    } else {
      (start ? whole : wholeCont).push(formatToRegex(f));
    }
  };
  for (const f of [...KERNEL_FORMATS, ...OLDER_FORMATS]) add(f, true);
  for (const f of KERNEL_CONTINUATIONS) add(f, false);
  return {
    whole: new RegExp("^(?:" + whole.join("|") + ")$"),
    starts,
    wholeAny: new RegExp("^(?:" + [...whole, ...wholeCont].join("|") + ")$"),
    pieces,
  };
}

function rest(c: Catalog, s: string, depth: number): boolean {
  if (s.length === 0 || c.wholeAny.test(s)) return true;
  if (depth >= 8) return false;
  for (const p of c.pieces) {
    const m = p.exec(s);
    if (m && m[0].length > 0 && rest(c, s.slice(m[0].length), depth + 1)) return true;
  }
  return false;
}

/**
 * Whether a line is one of the verifier's messages: a whole format, or a
 * piece that starts a line followed by pieces continuing it (several
 * `verbose()` calls writing one line).
 */
export function isKernelMessage(line: string): boolean {
  catalog ??= build();
  if (catalog.whole.test(line)) return true;
  for (const p of catalog.starts) {
    const m = p.exec(line);
    if (m && m[0].length > 0 && rest(catalog, line.slice(m[0].length), 1)) return true;
  }
  return false;
}
