/**
 * The line classifier: what one line of a verifier log is, and where its
 * parts are, for every form the kernel (Linux 4.14 to 6.18, log levels 1
 * and 2) writes and for the tools that wrap the log (libbpf, bpftool,
 * veristat). One call per line, no allocation: the result goes into a
 * reusable {@link LineInfo}.
 *
 * The forms (`N` an instruction index):
 * - `N: (hh) insn-text` and, when the kernel appended the scratched state,
 *   `N: (hh) insn-text<padding>; state`; at log level 1 a path that was
 *   resumed can glue its first state to the branch line:
 *   `N: (hh) if ... goto pc+1 M: state` ({@link LineInfo.b} = M);
 * - `N: state` (the state before instruction N), ` state` (a state on its
 *   own line: after `caller:`, `callee:`, `returning from callee:`,
 *   `to caller at N:`, and after a branch in kernels before 6.0);
 * - `from X to Y: state` (a pending branch resumed), `from X to Y: safe`
 *   and `N: safe` (pruned: the state matched a stored one);
 * - `; source text @ file.c:LINE` (BTF line info; kernels before 5.x omit
 *   ` @ file:line`);
 * - `func#N @M`, `Live regs before insn:` and its rows
 *   `[scc] N: 0123...... (hh) insn-text`;
 * - `caller:`, `callee:`, `returning from callee:`, `to caller at N:`;
 * - `mark_precise: frameN: ...` (every form), `frame N: propagating r6,fp-8`,
 *   and the 5.x forms
 *   `last_idx N first_idx M`, `regs=%x stack=%llx before N: ...`,
 *   `parent didn't have regs=...`, `parent already had regs=...`;
 * - `SCC enter (...)`, `SCC exit (...)`, the 6.18 stack liveness lines
 *   `(callchain) frame F insn N +live -8 ` and `... live stack update done`;
 * - `Validating f() func#N...`, `Func#N ('f') is safe for any args ...`;
 * - the statistics `processed N insns (limit L) max_states_per_insn ...`,
 *   `verification time N usec`, `stack depth N[+M...]`;
 * - `cur state: ...` / `old state: ...` after `infinite loop detected`;
 * - any of the verifier's messages ({@link isKernelMessage});
 * - tool lines: `libbpf: ...`, bpftool's `-- BEGIN PROG LOAD LOG --` /
 *   `-- END PROG LOAD LOG --` (older libbpf: `-- BEGIN DUMP LOG ---` /
 *   `-- END LOG --`), bcc's `bpf: Permission denied` and `HINT: ...`,
 *   veristat's `PROCESSING f.o/prog, DURATION US:
 *   ..., VERDICT: ..., VERIFIER LOG:` and table rows.
 *
 * @module
 */
import { isKernelMessage } from "./messages.ts";

/** Line kinds (see the module doc). */
export const LineKind = {
  /** Not recognised. */
  Unknown: 0,
  /** Empty line. */
  Blank: 1,
  /** `N: (hh) insn[; state]` (or glued `... M: state`). */
  Insn: 2,
  /** `N: state`. */
  State: 3,
  /** ` state` on its own line. */
  StateCont: 4,
  /** `from X to Y: state`. */
  From: 5,
  /** `from X to Y: safe`. */
  FromSafe: 6,
  /** `N: safe`. */
  Safe: 7,
  /** `; source @ file:line`. */
  Source: 8,
  /** `func#N @M`. */
  Func: 9,
  /** `Live regs before insn:`. */
  LiveHeader: 10,
  /** A row of the live registers table. */
  LiveRow: 11,
  /** `caller:`. */
  Caller: 12,
  /** `callee:`. */
  Callee: 13,
  /** `returning from callee:`. */
  Returning: 14,
  /** `to caller at N:`. */
  ToCaller: 15,
  /** A precision backtracking line (every form). */
  MarkPrecise: 16,
  /** `SCC enter/exit (...)`. */
  Scc: 17,
  /** Stack liveness lines of 6.18. */
  Liveness: 18,
  /** Global function validation lines. */
  GlobalFunc: 19,
  /** `processed N insns ...`. */
  Processed: 20,
  /** `verification time N usec`. */
  VerifTime: 21,
  /** `stack depth ...`. */
  StackDepth: 22,
  /** `cur state:` / `old state:` after an infinite loop. */
  LoopState: 23,
  /** One of the verifier's messages. */
  Message: 24,
  /** `libbpf: ...`. */
  Libbpf: 25,
  /** `-- BEGIN PROG LOAD LOG --` (possibly after `libbpf: prog 'x': `). */
  Begin: 26,
  /** `-- END PROG LOAD LOG --`. */
  End: 27,
  /** veristat's `PROCESSING ... VERIFIER LOG:` header. */
  Veristat: 28,
  /** Other lines of wrapping tools (veristat tables, bpftool errors). */
  Tool: 29,
} as const;

/** One of {@link LineKind}. */
export type LineKindCode = typeof LineKind[keyof typeof LineKind];

/** Names of the line kinds, by code. */
export const LINE_KIND_NAMES: readonly string[] = Object.keys(LineKind);

/** What {@link classifyLine} found; reused between calls. */
export interface LineInfo {
  /** The kind. */
  kind: LineKindCode;
  /** Insn: index; State/Safe: index; From/FromSafe: from; Func: number; ToCaller: return insn; LiveRow: index; Source: line number; Processed: insns. */
  a: number;
  /** Insn: index of a glued state (-1); From/FromSafe: to; Func: start insn; Insn/LiveRow: opcode byte; Processed: limit. */
  b: number;
  /** Insn/LiveRow: where the opcode `(hh)` starts. */
  textStart: number;
  /** Insn/LiveRow: where the instruction text ends. */
  textEnd: number;
  /** Where the state text starts (its leading space), -1 if none. */
  stateStart: number;
  /** Insn: the glued state's index (level-1 quirk), else -1. */
  glued: number;
  /** From/FromSafe: `(speculative execution)` was printed. */
  speculative: boolean;
  /** LiveRow: the registers live before the instruction (bit N: rN). */
  live: number;
}

/** A fresh {@link LineInfo}. */
export function newLineInfo(): LineInfo {
  return {
    kind: 0,
    a: -1,
    b: -1,
    textStart: -1,
    textEnd: -1,
    stateStart: -1,
    glued: -1,
    speculative: false,
    live: 0,
  };
}

const RE_INSN = /^(\d+): \(([0-9a-f]{2})\) /;
const RE_STATE = /^(\d+):(?= (?:frame\d+: )?(?:R\d|fp-?\d)| frame\d+:$| refs=| cb$|$)/;
const RE_SAFE = /^(\d+): safe$/;
const RE_FROM = /^from (\d+) to (\d+)( \(speculative execution\))?:( safe)?/;
const RE_FUNC = /^func#(\d+) @(\d+)$/;
const RE_LIVE_ROW = /^(?: {3}| *\d+) +(\d+): ([0-9.]{10,11}) \(([0-9a-f]{2})\) /;
const RE_TO_CALLER = /^to caller at (\d+): *$/;
const RE_SOURCE = /^;(?: (.*?)(?: @ ([^ ]+):(\d+))?)?$/;
const RE_PROCESSED = /^processed (\d+) insns(?: \(limit (\d+)\))?/;
const RE_GLUE = / (\d+): (?=(?:frame\d+: )?R\d|fp-)/g;
const RE_MARK_OLD =
  /^(?:last_idx \d+ first_idx \d+|regs=[0-9a-f]+ stack=[0-9a-f]+ before \d+: |parent (?:didn't have|already had) regs=|parent (?:\S+) regs=)/;
const RE_PARENT_STATE = /^mark_precise: frame\d+: parent state regs=\S* stack=\S*: /;
const RE_LIVENESS = /^\([\d,]+\) (?:frame \d+ insn \d+ |live stack update done in \d+ iterations$)/;
const RE_VERISTAT = /^PROCESSING .*, DURATION US: \d+, VERDICT: \w+, VERIFIER LOG:$/;
const RE_BPFTOOL =
  /^(?:Error|Warning): |^bpf: Failed to load program: |^If it used to work for this object file but now doesn't, see --legacy option for more details\.$/;
/** bcc: the errno line before the log (`bpf: Permission denied`) and its hint after it. */
const RE_BCC = /^bpf: [A-Z][a-z]+(?: [a-z]+)*$|^HINT: /;
const RE_VERISTAT_TABLE =
  /^(?:Processing '.*'\.\.\.$|-+(?: +-+)+$| *File +Program +|\S+\.o +\S+ +(?:success|failure) )/;

/**
 * Find where the instruction text of an Insn line ends and the state begins:
 * at the first `;` outside parentheses (the kernel pads to a column, then
 * `; state`), or at a glued ` M: state` of a level-1 log, whichever comes
 * first.
 */
function splitInsn(line: string, start: number, info: LineInfo): void {
  let semi = -1;
  for (let i = start, depth = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 59 && depth <= 0) {
      semi = i;
      break;
    }
  }
  // instruction text never holds ": ", so one before the state is a glued ` M: state`
  const colon = line.indexOf(": ", start);
  if (colon >= 0 && (semi < 0 || colon < semi)) {
    RE_GLUE.lastIndex = start;
    const g = RE_GLUE.exec(line);
    if (g && (semi < 0 || g.index < semi)) {
      info.textEnd = g.index;
      info.glued = Number(g[1]);
      info.stateStart = g.index + 1 + g[1].length + 1;
      return;
    }
  }
  // the text ends before the padding of a state (or, in some 6.x kernels, a trailing space: `(95) exit `)
  let e = semi >= 0 ? semi : line.length;
  while (e > start && line.charCodeAt(e - 1) === 32) e--;
  info.textEnd = e;
  if (semi >= 0) info.stateStart = semi + 1;
}

/**
 * The highest instruction index a verifier log can name: the kernel loads at
 * most `BPF_COMPLEXITY_LIMIT_INSNS` (1,000,000) instructions.
 */
export const MAX_INSN_INDEX = 999_999;

/** Line kinds whose {@link LineInfo.a} is an instruction index. */
const INDEX_A = new Set<number>([
  LineKind.Insn,
  LineKind.State,
  LineKind.From,
  LineKind.FromSafe,
  LineKind.Safe,
  LineKind.LiveRow,
  LineKind.ToCaller,
]);

/**
 * Classify one line (without its newline) into `info`; returns the kind. A
 * line that names an instruction index beyond {@link MAX_INSN_INDEX} is no
 * line of a verifier log (a corrupted or foreign text): it is Unknown.
 * @param line the line
 * @param info reused result object
 */
export function classifyLine(line: string, info: LineInfo): LineKindCode {
  const kind = classify(line, info);
  if (
    (INDEX_A.has(kind) && info.a > MAX_INSN_INDEX) ||
    ((kind === LineKind.From || kind === LineKind.FromSafe || kind === LineKind.Func) && info.b > MAX_INSN_INDEX) ||
    (kind === LineKind.Insn && info.glued > MAX_INSN_INDEX)
  ) {
    return (info.kind = LineKind.Unknown);
  }
  return kind;
}

function classify(line: string, info: LineInfo): LineKindCode {
  info.a =
    info.b =
    info.textStart =
    info.textEnd =
    info.stateStart =
    info.glued =
      -1;
  info.speculative = false;
  const n = line.length;
  if (n === 0) return (info.kind = LineKind.Blank);
  const c = line.charCodeAt(0);
  let m: RegExpExecArray | null;
  if (c >= 48 && c <= 57) {
    // N: ...
    if ((m = RE_INSN.exec(line))) {
      info.a = Number(m[1]);
      info.b = parseInt(m[2], 16);
      info.textStart = m[1].length + 2;
      splitInsn(line, m[0].length, info);
      return (info.kind = LineKind.Insn);
    }
    if ((m = RE_STATE.exec(line))) {
      info.a = Number(m[1]);
      info.stateStart = m[0].length;
      return (info.kind = LineKind.State);
    }
    if ((m = RE_SAFE.exec(line))) {
      info.a = Number(m[1]);
      return (info.kind = LineKind.Safe);
    }
  }
  switch (line[0]) {
    case " ":
      if ((m = RE_LIVE_ROW.exec(line))) {
        info.a = Number(m[1]);
        info.b = parseInt(m[3], 16);
        let live = 0;
        for (let r = 0; r < 10; r++) if (m[2].charCodeAt(r) !== 46) live |= 1 << r;
        info.live = live;
        info.textStart = m[0].length - 5;
        info.textEnd = n;
        return (info.kind = LineKind.LiveRow);
      }
      if (/^ (?:frame\d+: ?)?(?:R\d|fp-?\d)/.test(line) || /^ frame\d+:$/.test(line)) {
        info.stateStart = 0;
        return (info.kind = LineKind.StateCont);
      }
      break;
    case "f":
      if ((m = RE_FROM.exec(line))) {
        info.a = Number(m[1]);
        info.b = Number(m[2]);
        info.speculative = m[3] !== undefined;
        if (m[4] !== undefined) return (info.kind = LineKind.FromSafe);
        info.stateStart = m[0].length;
        return (info.kind = LineKind.From);
      }
      if ((m = RE_FUNC.exec(line))) {
        info.a = Number(m[1]);
        info.b = Number(m[2]);
        return (info.kind = LineKind.Func);
      }
      // propagate_precision (6.x, level 2): `frame 0: propagating r6,fp-8`
      if (/^frame \d+: propagating (?:r\d+|fp-\d+)(?:,(?:r\d+|fp-\d+))*$/.test(line)) {
        return (info.kind = LineKind.MarkPrecise);
      }
      break;
    case ";":
      if ((m = RE_SOURCE.exec(line))) {
        info.a = m[3] !== undefined ? Number(m[3]) : -1;
        return (info.kind = LineKind.Source);
      }
      break;
    case "m":
      if (line.startsWith("mark_precise: frame")) {
        // "mark_precise: frameN: parent state ..." holds a state; the other forms do not
        if (line.charCodeAt(line.indexOf(":", 19) + 2) === 112) {
          const ps = RE_PARENT_STATE.exec(line);
          if (ps) info.stateStart = ps[0].length;
        }
        return (info.kind = LineKind.MarkPrecise);
      }
      break;
    case "L":
      if (line === "Live regs before insn:") return (info.kind = LineKind.LiveHeader);
      break;
    case "c":
      // some 6.x kernels pad these lines with spaces to the state column
      if (line.trimEnd() === "caller:") return (info.kind = LineKind.Caller);
      if (line.trimEnd() === "callee:") return (info.kind = LineKind.Callee);
      if (line.startsWith("cur state:")) {
        info.stateStart = 10;
        return (info.kind = LineKind.LoopState);
      }
      break;
    case "o":
      if (line.startsWith("old state:")) {
        info.stateStart = 10;
        return (info.kind = LineKind.LoopState);
      }
      break;
    case "r":
      if (line.trimEnd() === "returning from callee:") return (info.kind = LineKind.Returning);
      if (RE_MARK_OLD.test(line)) return (info.kind = LineKind.MarkPrecise);
      break;
    case "t":
      if ((m = RE_TO_CALLER.exec(line))) {
        info.a = Number(m[1]);
        return (info.kind = LineKind.ToCaller);
      }
      break;
    case "S":
      if (/^SCC (?:enter|exit) \([\d,]+\)$/.test(line)) return (info.kind = LineKind.Scc);
      break;
    case "(":
      if (RE_LIVENESS.test(line)) return (info.kind = LineKind.Liveness);
      break;
    case "p":
      if ((m = RE_PROCESSED.exec(line))) {
        info.a = Number(m[1]);
        info.b = m[2] !== undefined ? Number(m[2]) : -1;
        return (info.kind = LineKind.Processed);
      }
      if (RE_MARK_OLD.test(line)) return (info.kind = LineKind.MarkPrecise);
      break;
    case "v":
      if (/^verification time \d+ usec$/.test(line)) return (info.kind = LineKind.VerifTime);
      break;
    case "s":
      if (/^stack depth \d+(?:\+\d+)*$/.test(line)) return (info.kind = LineKind.StackDepth);
      break;
    case "l":
      if (line.startsWith("libbpf: ") || line === "libbpf:") {
        // libbpf before 0.1 printed `-- BEGIN DUMP LOG ---` and `-- END LOG --`
        if (line.endsWith("-- BEGIN PROG LOAD LOG --") || line.endsWith("-- BEGIN DUMP LOG ---")) {
          return (info.kind = LineKind.Begin);
        }
        if (line.endsWith("-- END PROG LOAD LOG --") || line.endsWith("-- END LOG --")) {
          return (info.kind = LineKind.End);
        }
        return (info.kind = LineKind.Libbpf);
      }
      if (RE_MARK_OLD.test(line)) return (info.kind = LineKind.MarkPrecise);
      break;
    case "-":
      if (line === "-- BEGIN PROG LOAD LOG --") return (info.kind = LineKind.Begin);
      if (line === "-- END PROG LOAD LOG --") return (info.kind = LineKind.End);
      break;
    case "V":
      if (/^Validating .*\(\) func#\d+\.\.\.$/.test(line)) return (info.kind = LineKind.GlobalFunc);
      break;
    case "F":
      if (
        /^Func#\d+ \('.*'\) is (?:safe for any args that match its prototype|global and assumed valid\.)$/.test(line)
      ) {
        return (info.kind = LineKind.GlobalFunc);
      }
      break;
    case "P":
      if (RE_VERISTAT.test(line)) return (info.kind = LineKind.Veristat);
      if (RE_VERISTAT_TABLE.test(line)) return (info.kind = LineKind.Tool);
      break;
  }
  if (RE_VERISTAT_TABLE.test(line) || RE_BPFTOOL.test(line) || RE_BCC.test(line)) return (info.kind = LineKind.Tool);
  if (isKernelMessage(line)) return (info.kind = LineKind.Message);
  return (info.kind = LineKind.Unknown);
}

/** A `; source @ file:line` line, read into its parts (see {@link LineKind.Source}). */
export interface SourceParts {
  /** The source text (trimmed by the kernel). */
  text: string;
  /** File name, or null for kernels that print none. */
  file: string | null;
  /** Line number, or -1. */
  line: number;
}

/** Read a source line (`; if (!v) return 2; @ t1.c:15`, `;`), or null when it is not one. */
export function parseSourceLine(line: string): SourceParts | null {
  const m = RE_SOURCE.exec(line);
  if (!m) return null;
  return { text: m[1] ?? "", file: m[2] ?? null, line: m[3] !== undefined ? Number(m[3]) : -1 };
}

/** A precision-backtracking line, read into its parts. */
export interface PrecisionLine {
  /**
   * `range`: `last_idx L first_idx F [subseq_idx S]` (a backtracking pass over
   * L..F); `insn`: the registers and stack slots still to mark before
   * instruction `insn`; `parent`: the marks reaching the parent state (6.x
   * prints the state); `parent_had` / `parent_lacked`: 5.x's `parent
   * already had` / `parent didn't have`; `fallback`: all scalars forced
   * precise; `propagate`: 6.x's `frame N: propagating r6,fp-8`.
   */
  kind: "range" | "insn" | "parent" | "parent_had" | "parent_lacked" | "fallback" | "propagate";
  /** The frame (6.x), -1 when not printed (5.x). */
  frame: number;
  /** Registers named (6.x: `r1,r6`; 5.x: the bits of `regs=%x`). */
  regs: number[];
  /** Stack slots named, as offsets (6.x: `-8,-16`; 5.x: the bits of `stack=%llx`, slot i at -8(i+1)). */
  stack: number[];
  /** `insn`: the instruction index; `range`: last_idx. */
  insn: number;
  /** `range`: first_idx. */
  first: number;
  /** `range`: subseq_idx (6.x), else -1. */
  subseq: number;
}

function bitsToRegs(hex: string): number[] {
  const v = parseInt(hex, 16);
  const out: number[] = [];
  for (let i = 0; i < 11; i++) if (v & (1 << i)) out.push(i);
  return out;
}

function bitsToSlots(hex: string): number[] {
  const v = BigInt("0x" + (hex || "0"));
  const out: number[] = [];
  for (let i = 0n; i < 64n; i++) if ((v >> i) & 1n) out.push(-8 * (Number(i) + 1));
  return out;
}

function listRegs(s: string): number[] {
  return s ? s.split(",").filter((x) => x).map((x) => Number(x.replace(/^r/, ""))) : [];
}

function listSlots(s: string): number[] {
  return s ? s.split(",").filter((x) => x).map((x) => Number(x.replace(/^fp/, ""))) : [];
}

/** Read a precision-backtracking line (any kernel's form), or null when it is not one. */
export function parsePrecision(line: string): PrecisionLine | null {
  const base = { frame: -1, regs: [] as number[], stack: [] as number[], insn: -1, first: -1, subseq: -1 };
  let m: RegExpExecArray | null;
  if ((m = /^mark_precise: frame(\d+): (.*)$/.exec(line))) {
    const frame = Number(m[1]);
    const rest = m[2];
    let r: RegExpExecArray | null;
    if ((r = /^last_idx (-?\d+) first_idx (-?\d+) subseq_idx (-?\d+) ?$/.exec(rest))) {
      return { ...base, kind: "range", frame, insn: Number(r[1]), first: Number(r[2]), subseq: Number(r[3]) };
    }
    if ((r = /^regs=(\S*) stack=(\S*) before (\d+): /.exec(rest))) {
      return { ...base, kind: "insn", frame, regs: listRegs(r[1]), stack: listSlots(r[2]), insn: Number(r[3]) };
    }
    if ((r = /^parent state regs=(\S*) stack=(\S*):/.exec(rest))) {
      return { ...base, kind: "parent", frame, regs: listRegs(r[1]), stack: listSlots(r[2]) };
    }
    if (rest.startsWith("falling back to forcing all scalars precise")) return { ...base, kind: "fallback", frame };
    return null;
  }
  if ((m = /^last_idx (-?\d+) first_idx (-?\d+)$/.exec(line))) {
    return { ...base, kind: "range", insn: Number(m[1]), first: Number(m[2]) };
  }
  if ((m = /^regs=([0-9a-f]+) stack=([0-9a-f]+) before (\d+): /.exec(line))) {
    return { ...base, kind: "insn", regs: bitsToRegs(m[1]), stack: bitsToSlots(m[2]), insn: Number(m[3]) };
  }
  if ((m = /^parent (already had|didn't have) regs=([0-9a-f]+) stack=([0-9a-f]+) marks$/.exec(line))) {
    return {
      ...base,
      kind: m[1] === "already had" ? "parent_had" : "parent_lacked",
      regs: bitsToRegs(m[2]),
      stack: bitsToSlots(m[3]),
    };
  }
  if ((m = /^frame (\d+): propagating (.*)$/.exec(line))) {
    const items = m[2].split(",");
    return {
      ...base,
      kind: "propagate",
      frame: Number(m[1]),
      regs: listRegs(items.filter((x) => x.startsWith("r")).join(",")),
      stack: listSlots(items.filter((x) => x.startsWith("fp")).join(",")),
    };
  }
  return null;
}
