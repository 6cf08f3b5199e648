/**
 * The linux-6.18 profile with BTF line info against the kernel: every
 * bpftool run recorded in tests/data/kernlog/clang.jsonl.gz (`bpftool -d
 * prog load`: log level 1|2|4; `bpftool prog load`: libbpf's level-1 retry
 * after a failure) holds the kernel's log of each program it loaded between
 * libbpf's `-- BEGIN PROG LOAD LOG --` and `-- END PROG LOAD LOG --`; the
 * kernel's part is cut out with core/kernlog's line classes and compared
 * with the profile's log of the same program, loaded from the same object
 * with its BTF func/line info as libbpf passes it.
 *
 * Normalised on both sides: the `verification time N usec` figure and the
 * kernel addresses an LD_IMM64 of a map prints (`r1 = 0xffff888...`), which
 * the profile prints as fixed fake addresses; libbpf's object-name prefix of
 * global-data maps (`globals.bss`), which bpfscope's loader names `.bss`.
 *
 * @module
 */
import { parseElf } from "../core/elf/loader.ts";
import { FormatError } from "../core/errors.ts";
import { LineKind, parseLog } from "../core/kernlog/mod.ts";
import { verify, type VerifyResult } from "../core/verifier/mod.ts";

const DATA = new URL("./data/kernlog/", import.meta.url);
const OBJS = new URL("./fixtures/kernlog/", import.meta.url);

/** One kernel log of a bpftool run, with the profile's log of the same program. */
export interface LinfoCase {
  /** `object command program`. */
  name: string;
  /** The object file. */
  object: string;
  /** Log level bpftool asked for (7 with -d, 1 for libbpf's retry). */
  level: number;
  /** The kernel's log (normalised). */
  kernel: string;
  /** The profile's log (normalised), or null when bpfscope cannot load the object. */
  ours: string | null;
  /** Why bpfscope cannot load the object (its loader's error), or the profile's note. */
  note: string | null;
  /** The profile's result. */
  result: VerifyResult | null;
  /** Where the loaded program's func_info records put its functions. */
  funcStarts: number[];
}

/** The normalisation described in the module doc. */
export function normaliseLog(s: string): string {
  return s.replace(/^verification time \d+ usec$/m, "verification time N usec")
    .replace(/= 0xffff(?:888|c90)[0-9a-f]{9}( |$)/gm, "= MAPADDR$1")
    .replace(/map=\w+\.(bss|data|rodata)\b/g, "map=.$1");
}

/** The kernel's part of one log of a tool's output: the lines between libbpf's BEGIN and END that core/kernlog does not class as the tool's. */
function kernelPart(log: ReturnType<typeof parseLog>[number]): string {
  const out: string[] = [];
  const skip = new Set<number>([LineKind.Libbpf, LineKind.Tool]);
  let inside = false;
  for (let i = 0; i < log.lines.length; i++) {
    const k = log.kinds.get(i);
    if (k === LineKind.Begin) inside = true;
    else if (k === LineKind.End) inside = false;
    else if (inside && !skip.has(k)) out.push(log.lines.get(i));
  }
  return out.length ? out.join("\n") + "\n" : "";
}

const cache = new Map<boolean, Promise<LinfoCase[]>>();

/** Every kernel log of clang.jsonl.gz with the profile's log (`btf`: pass the object's BTF, the default); computed once. */
export function linfoCases(btf = true): Promise<LinfoCase[]> {
  let p = cache.get(btf);
  if (!p) cache.set(btf, p = computeCases(btf));
  return p;
}

async function computeCases(btf: boolean): Promise<LinfoCase[]> {
  const gz = await Deno.readFile(new URL("clang.jsonl.gz", DATA));
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const out: LinfoCase[] = [];
  for (const line of text.trim().split("\n")) {
    const rec = JSON.parse(line) as { object: string; command: string; output: string };
    const bytes = Deno.readFileSync(new URL(rec.object, OBJS));
    out.push(...bpftoolCases(bytes, rec.object, rec.command, rec.output, btf));
  }
  return out;
}

/**
 * The kernel logs of one bpftool run on `object` (`command`: `bpftool -d
 * prog load` for level 1|2|4, else level 1), each with the profile's log of
 * the same program (`btf`: loaded with the object's BTF func/line info).
 */
export function bpftoolCases(
  bytes: Uint8Array,
  object: string,
  command: string,
  output: string,
  btf = true,
): LinfoCase[] {
  const out: LinfoCase[] = [];
  const level = command.includes("-d") ? 7 : 1;
  let obj: ReturnType<typeof parseElf> | null = null, err: string | null = null;
  try {
    obj = parseElf(bytes, object, { btf });
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    err = e.message;
  }
  for (const log of parseLog(output)) {
    if (!log.name) continue;
    const kernel = normaliseLog(kernelPart(log));
    const name = `${object} ${command} ${log.name}`;
    const p = obj?.programs.find((x) => x.program.btf?.funcInfo[0]?.name === log.name) ??
      (obj?.programs.length === 1 ? obj.programs[0] : undefined);
    if (!p) {
      out.push({
        name,
        object,
        level,
        kernel,
        ours: null,
        note: err ?? "no such program",
        result: null,
        funcStarts: [],
      });
      continue;
    }
    const r = verify(p.program, { profile: "linux-6.18", logLevel: level, logSize: 16 << 20, btf });
    out.push({
      name,
      object,
      level,
      kernel,
      ours: normaliseLog(r.log),
      note: r.note ?? null,
      result: r,
      funcStarts: p.program.btf?.funcInfo.map((f) => f.insnOff) ?? [],
    });
  }
  return out;
}
