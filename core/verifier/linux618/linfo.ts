/**
 * BTF func/line info in the 6.18 verifier: the load-time checks of the
 * records (`check_btf_func_early`, `check_btf_func`, `check_btf_line`,
 * verifier.c) and the source lines of the log (`find_linfo`,
 * `verbose_linfo`, log.c): `; <source line, left-trimmed> @ <file
 * name after the last '/'>:<line>` before an instruction, printed once per
 * record and not again for the next record of the same file and line.
 *
 * @module
 */
import { findLineInfo, type FuncInfo, type LineInfo, lineInfoText } from "../../isa/program.ts";
import { checkAbnormalReturn } from "./cfg.ts";
import { EINVAL, type Env, verbose } from "./env.ts";

/** `find_linfo(env, insn_off)`: the last record starting at or before `insnOff` (-1: none). */
export function findLinfo(env: Env, insnOff: number): number {
  return insnOff >= env.len ? -1 : findLineInfo(env.linfo, insnOff);
}

/**
 * `verbose_linfo(env, insn_off, prefix)`: print the source line of the
 * record covering `insnOff`, after `prefix`, unless it is the record printed
 * last or names the same file and line.
 */
export function verboseLinfo(env: Env, insnOff: number, prefix: string): void {
  if (!env.log.needed) return;
  const prev = env.prevLinfo;
  const k = findLinfo(env, insnOff);
  if (k < 0 || k === prev) return;
  const li = env.linfo[k];
  if (prev >= 0) {
    const p = env.linfo[prev];
    if (li.fileNameOff === p.fileNameOff && li.lineNum === p.lineNum) return;
  }
  if (prefix) verbose(env, prefix);
  verbose(env, lineInfoText(li) + "\n");
  env.prevLinfo = k;
}

/** `check_btf_func_early`: the first record at 0, offsets increasing, each naming a FUNC. */
export function checkBtfFuncEarly(env: Env, fi: ReadonlyArray<FuncInfo>): number {
  let prev = 0;
  for (let i = 0; i < fi.length; i++) {
    const r = fi[i];
    if (i === 0) {
      if (r.insnOff) {
        verbose(env, `nonzero insn_off ${r.insnOff} for the first func info record`);
        return EINVAL;
      }
    } else if (r.insnOff <= prev) {
      verbose(env, `same or smaller insn offset (${r.insnOff}) than previous func info record (${prev})`);
      return EINVAL;
    }
    if (!r.isFunc) {
      verbose(env, `invalid type id ${r.typeId | 0} in func info`);
      return EINVAL;
    }
    prev = r.insnOff;
  }
  return 0;
}

/** `check_btf_func`: one record per subprogram, at its start; LD_ABS and tail calls only in functions returning int. */
export function checkBtfFunc(env: Env, fi: ReadonlyArray<FuncInfo>): number {
  if (fi.length === 0) return checkAbnormalReturn(env);
  if (fi.length !== env.subprogCnt) {
    verbose(env, "number of funcs in func_info doesn't match number of subprogs\n");
    return EINVAL;
  }
  for (let i = 0; i < fi.length; i++) {
    if (env.subprogs[i].start !== fi[i].insnOff) {
      verbose(env, "func_info BTF section doesn't match subprog layout in BPF program\n");
      return EINVAL;
    }
    if (i && !fi[i].scalarReturn && env.subprogs[i].hasLdAbs) {
      verbose(env, "LD_ABS is only allowed in functions that return 'int'.\n");
      return EINVAL;
    }
    if (i && !fi[i].scalarReturn && env.subprogs[i].hasTailCall) {
      verbose(env, "tail_call is only allowed in functions that return 'int'.\n");
      return EINVAL;
    }
  }
  return 0;
}

/**
 * `check_btf_line`: offsets strictly increasing and inside the program, not
 * on the second slot of an LD_IMM64, strings that exist, a record at the
 * start of every subprogram. On success the records become `env.linfo`.
 */
export function checkBtfLine(env: Env, li: ReadonlyArray<LineInfo>): number {
  if (li.length === 0) return 0;
  let prev = 0, s = 0;
  for (let i = 0; i < li.length; i++) {
    const r = li[i];
    if ((i && r.insnOff <= prev) || r.insnOff >= env.len) {
      verbose(env, `Invalid line_info[${i}].insn_off:${r.insnOff} (prev_offset:${prev} prog->len:${env.len})\n`);
      return EINVAL;
    }
    if (!env.code[r.insnOff]) {
      verbose(env, `Invalid insn code at line_info[${i}].insn_off\n`);
      return EINVAL;
    }
    if (r.line === undefined || r.file === undefined) {
      verbose(env, `Invalid line_info[${i}].line_off or .file_name_off\n`);
      return EINVAL;
    }
    if (s !== env.subprogCnt) {
      if (r.insnOff === env.subprogs[s].start) s++;
      else if (env.subprogs[s].start < r.insnOff) {
        verbose(env, `missing bpf_line_info for func#${s}\n`);
        return EINVAL;
      }
    }
    prev = r.insnOff;
  }
  if (s !== env.subprogCnt) {
    verbose(env, `missing bpf_line_info for ${env.subprogCnt - s} funcs starting from func#${s}\n`);
    return EINVAL;
  }
  env.linfo = li;
  return 0;
}
