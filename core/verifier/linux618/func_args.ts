/**
 * The BTF prototypes of subprograms in the 6.18 verifier:
 * `btf_prepare_func_args` (btf.c) turns the FUNC_PROTO of a function's
 * func_info record into argument types (`int`/enum: `ARG_ANYTHING`; a
 * pointer to the program type's context struct: `ARG_PTR_TO_CTX`; in a
 * global function any other pointer to a sized type: `ARG_PTR_TO_MEM |
 * PTR_MAYBE_NULL` of that size), with the `arg:ctx` and `arg:nonnull` decl
 * tags (and the kernel's errors for the others); `btf_check_func_arg_match` /
 * `btf_check_subprog_call` (verifier.c) check a call's registers against
 * them. A global function is then walked on its own from these types
 * (engine.ts, `do_check_subprogs`) and only its arguments are checked at a
 * call (calls.ts).
 *
 * Not modelled (ENOTMODELLED with a note): the tags that need the kernel's
 * BTF (`arg:trusted`, `arg:untrusted`, `arg:arena`), `struct bpf_dynptr *`
 * arguments, and a global function whose func_info comes without the
 * object's BTF types (`ProgramBtf.types`; a static one's prototype then
 * counts as unknown, which the kernel ignores).
 *
 * @module
 */
import type { BtfTypeInfo } from "../../isa/program.ts";
import { checkFuncArgRegOff, checkHelperMemAccess } from "./helper_args.ts";
import { ARG_ANYTHING, ARG_DONTCARE, ARG_PTR_TO_CTX, ARG_PTR_TO_MEM } from "./helpers.ts";
import { BTF_FUNC_GLOBAL, EACCES, EFAULT, EINVAL, ENOTMODELLED, type Env, EOPNOTSUPP, verbose } from "./env.ts";
import { PTR_MAYBE_NULL, PTR_TO_CTX, type RegState, SCALAR_VALUE, typeIsPktPointer, typeMayBeNull } from "./reg.ts";
import { registerIsNull } from "./stack.ts";
import { markChainPrecision } from "./precision.ts";

/** `MAX_BPF_FUNC_REG_ARGS`. */
const MAX_BPF_FUNC_REG_ARGS = 5;

// BTF kinds
const INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, VOLATILE = 9;
const CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, FLOAT = 16, DECL_TAG = 17, TYPE_TAG = 18;
const ENUM64 = 19;

/** `btf_kind_str[]`. */
const KIND_STR = [
  "UNKNOWN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
];

/** `BTF_KIND_UNKN` with size 0: what `btf_type_by_id(btf, 0)` gives (void). */
const VOID: BtfTypeInfo = { kind: 0, name: "", sizeOrType: 0, vlen: 0 };

/** `btf_type_by_id` (void for 0 and for ids the object does not have). */
function typeById(env: Env, id: number): BtfTypeInfo {
  return env.btfTypes[id] ?? VOID;
}

/** `btf_type_is_modifier`. */
function isModifier(t: BtfTypeInfo): boolean {
  const k = t.kind;
  return k === TYPEDEF || k === VOLATILE || k === CONST || k === RESTRICT || k === TYPE_TAG;
}

/** Follow modifiers from `t` (bounded, as BTF validation rejects loops). */
function skipModifiers(env: Env, t: BtfTypeInfo): BtfTypeInfo {
  for (let d = 0; d < 32 && isModifier(t); d++) t = typeById(env, t.sizeOrType);
  return t;
}

/** `btf_type_is_int(t) || btf_is_any_enum(t)`. */
function isScalarType(t: BtfTypeInfo): boolean {
  return t.kind === INT || t.kind === ENUM || t.kind === ENUM64;
}

/** `btf_type_str(t)`. */
function typeStr(t: BtfTypeInfo): string {
  return KIND_STR[t.kind] ?? "UNKNOWN";
}

/** `btf_resolve_size(btf, t, &size)`: the size, or null where the kernel gives `-EINVAL`. */
function resolveSize(env: Env, t: BtfTypeInfo): number | null {
  let nelems = 1;
  for (let i = 0; i < 32; i++) {
    switch (t.kind) {
      case INT:
      case STRUCT:
      case UNION:
      case ENUM:
      case FLOAT:
      case ENUM64: {
        const size = t.sizeOrType;
        if (nelems && size > Math.floor(0xffffffff / nelems)) return null;
        return nelems * size;
      }
      case PTR:
        if (nelems && 8 > Math.floor(0xffffffff / nelems)) return null;
        return nelems * 8;
      case TYPEDEF:
      case VOLATILE:
      case CONST:
      case RESTRICT:
      case TYPE_TAG:
        t = typeById(env, t.sizeOrType);
        break;
      case ARRAY: {
        const a = t.array!;
        if (nelems && a.nelems > Math.floor(0xffffffff / nelems)) return null;
        nelems *= a.nelems;
        t = typeById(env, a.type);
        break;
      }
      default:
        return null;
    }
  }
  return null;
}

/** `btf_is_prog_ctx_type`: a pointer to the program type's context struct (or its kernel projection). */
function isProgCtxType(env: Env, ptr: BtfTypeInfo): boolean {
  const t = skipModifiers(env, typeById(env, ptr.sizeOrType));
  if (t.kind !== STRUCT && t.kind !== UNION) return false;
  const ctx = env.progType.ctxStruct;
  if (!ctx) return false;
  return t.name === ctx || (ctx === "__sk_buff" && t.name === "sk_buff") || (ctx === "xdp_md" && t.name === "xdp_buff");
}

/** `btf_validate_prog_ctx_type` for an `arg:ctx` argument of the modelled program types. */
function validateProgCtxType(env: Env, ptr: BtfTypeInfo, arg: number): number {
  const t = skipModifiers(env, typeById(env, ptr.sizeOrType));
  if (t.kind === 0) return 0; // `void *ctx __arg_ctx`
  if (t.name === "") {
    verbose(env, `arg#${arg} type doesn't have a name\n`);
    return EINVAL;
  }
  const ctx = env.progType.ctxStruct;
  if (t.kind !== STRUCT || t.name !== ctx) {
    verbose(env, `arg#${arg} should be \`struct ${ctx} *\`\n`);
    return EINVAL;
  }
  return 0;
}

/** `btf_is_dynptr_ptr`: a pointer to `struct bpf_dynptr` (or its forward declaration). */
function isDynptrPtr(env: Env, ptr: BtfTypeInfo): boolean {
  const t = skipModifiers(env, typeById(env, ptr.sizeOrType));
  return (t.kind === STRUCT || t.kind === FWD) && t.name === "bpf_dynptr";
}

const TAG_CTX = 1, TAG_NONNULL = 2, TAG_TRUSTED = 4, TAG_UNTRUSTED = 8, TAG_NULLABLE = 16, TAG_ARENA = 32;
const TAG_BITS: Readonly<Record<string, number>> = {
  ctx: TAG_CTX,
  trusted: TAG_TRUSTED,
  untrusted: TAG_UNTRUSTED,
  nonnull: TAG_NONNULL,
  nullable: TAG_NULLABLE,
  arena: TAG_ARENA,
};

/**
 * `btf_prepare_func_args(env, subprog)`: the argument types of subprogram
 * `subprog` from its BTF prototype into `env.subprogs[subprog].args`
 * (cached). 0, or the kernel's error after its message (a static function's
 * prototype that does not fit fails silently: the caller ignores it).
 */
export function btfPrepareFuncArgs(env: Env, subprog: number): number {
  const sub = env.subprogs[subprog];
  if (sub.argsCached) return 0;
  const isGlobal = sub.linkage === BTF_FUNC_GLOBAL;
  if (env.btfTypes.length === 0) {
    // func_info without the object's types (a hand-made ProgramBtf): the prototype is unknown
    if (!isGlobal) return EINVAL;
    return notModelled(env, `the BTF types of global function ${env.funcInfo[subprog]?.name}() are not given`);
  }
  const info = env.funcInfo[subprog];
  if (!info) {
    verbose(env, "verifier bug: func_info undefined\n");
    return EFAULT;
  }
  const fnT = typeById(env, info.typeId);
  if (fnT.kind !== FUNC) {
    verbose(env, `BTF of func#${subprog} doesn't point to KIND_FUNC\n`);
    return EFAULT;
  }
  const tname = fnT.name;
  if (sub.unreliable) {
    verbose(env, `verifier bug: unreliable BTF for function ${tname}()\n`);
    return EFAULT;
  }
  const proto = typeById(env, fnT.sizeOrType);
  if (proto.kind !== FUNC_PROTO) {
    verbose(env, `Invalid type of function ${tname}()\n`);
    return EFAULT;
  }
  const params = proto.params ?? [];
  const nargs = proto.vlen;
  if (nargs > MAX_BPF_FUNC_REG_ARGS) {
    if (!isGlobal) return EINVAL;
    verbose(env, `Global function ${tname}() with ${nargs} > ${MAX_BPF_FUNC_REG_ARGS} args. Buggy compiler.\n`);
    return EINVAL;
  }
  if (!isScalarType(skipModifiers(env, typeById(env, proto.sizeOrType)))) {
    if (!isGlobal) return EINVAL;
    verbose(env, `Global function ${tname}() doesn't return scalar. Only those are supported.\n`);
    return EINVAL;
  }
  const args: { argType: number; memSize: number }[] = [];
  for (let i = 0; i < nargs; i++) {
    let tags = 0;
    // btf_find_next_decl_tag(btf, fn_t, i, "arg:", id): tags on this parameter, in id order
    for (let id = 1; id < env.btfTypes.length; id++) {
      const tag = env.btfTypes[id];
      if (!tag || tag.kind !== DECL_TAG || typeById(env, tag.sizeOrType) !== fnT) continue;
      if (tag.componentIdx !== i || !tag.name.startsWith("arg:")) continue;
      if (!isGlobal) {
        verbose(env, `arg#${i} type tag is not supported in static functions\n`);
        return EOPNOTSUPP;
      }
      const bit = TAG_BITS[tag.name.slice(4)];
      if (bit === undefined) {
        verbose(env, `arg#${i} has unsupported set of tags\n`);
        return EOPNOTSUPP;
      }
      tags |= bit;
    }
    const t = skipModifiers(env, typeById(env, params[i]?.type ?? 0));
    if (t.kind === PTR) {
      if ((tags & TAG_CTX) || isProgCtxType(env, t)) {
        if (tags & ~TAG_CTX) {
          verbose(env, `arg#${i} has invalid combination of tags\n`);
          return EINVAL;
        }
        if ((tags & TAG_CTX) && validateProgCtxType(env, t, i)) return EINVAL;
        args.push({ argType: ARG_PTR_TO_CTX, memSize: 0 });
        continue;
      }
      if (isDynptrPtr(env, t)) {
        if (tags) {
          verbose(env, `arg#${i} has invalid combination of tags\n`);
          return EINVAL;
        }
        return notModelled(env, `arg#${i} of ${tname}() is a struct bpf_dynptr pointer`);
      }
      if (tags & (TAG_TRUSTED | TAG_UNTRUSTED | TAG_ARENA)) {
        return notModelled(env, `arg#${i} of ${tname}() has an arg:trusted, arg:untrusted or arg:arena tag`);
      }
      if (isGlobal) {
        if (tags & TAG_NULLABLE) {
          verbose(env, `arg#${i} has invalid combination of tags\n`);
          return EINVAL;
        }
        const ref = skipModifiers(env, typeById(env, t.sizeOrType));
        const size = resolveSize(env, ref);
        if (size === null) {
          verbose(env, `arg#${i} reference type('${typeStr(ref)} ${ref.name}') size cannot be determined: -22\n`);
          return EINVAL;
        }
        args.push({ argType: (tags & TAG_NONNULL) ? ARG_PTR_TO_MEM : ARG_PTR_TO_MEM | PTR_MAYBE_NULL, memSize: size });
        continue;
      }
    }
    // skip_pointer
    if (tags) {
      verbose(env, `arg#${i} has pointer tag, but is not a pointer type\n`);
      return EINVAL;
    }
    if (isScalarType(t)) {
      args.push({ argType: ARG_ANYTHING, memSize: 0 });
      continue;
    }
    if (!isGlobal) return EINVAL;
    verbose(env, `Arg#${i} type ${typeStr(t)} in ${tname}() is not supported yet.\n`);
    return EINVAL;
  }
  sub.args = args;
  sub.argCnt = nargs;
  sub.argsCached = true;
  return 0;
}

function notModelled(env: Env, what: string): number {
  verbose(env, `bpfscope: ${what}, which the linux-6.18 profile does not model\n`);
  return ENOTMODELLED;
}

/** `mark_ptr_not_null_reg` for the pointer types a global function's argument can hold here. */
function markPtrNotNullReg(reg: RegState): void {
  reg.type &= ~PTR_MAYBE_NULL;
}

/**
 * `check_mem_reg(env, reg, regno, mem_size)`: a NULL register passes (made precise); else
 * `mem_size` bytes must be readable and writable through it (a maybe-NULL
 * pointer is checked as if it were not NULL).
 */
function checkMemReg(env: Env, reg: RegState, regno: number, memSize: number): number {
  // 6.18.y (the running kernel; as check_func_arg): the check is skipped because the register is NULL, so that must be precise
  if (registerIsNull(reg)) return markChainPrecision(env, regno);
  // 6.18.y (the running kernel, not in 6.18.0's source): check_mem_reg checks the memory as read AND written, so a
  // packet pointer needs direct packet write access: cgroup_skb (read only) is refused before any bounds check
  if (typeIsPktPointer(reg.type) && !env.progType.directPacket.write) {
    verbose(env, "function access to the packet is not allowed\n");
    return EACCES;
  }
  const mayBeNull = typeMayBeNull(reg.type);
  const savedType = reg.type;
  if (mayBeNull) markPtrNotNullReg(reg);
  let err = checkHelperMemAccess(env, regno, memSize, false, true, null);
  if (!err) err = checkHelperMemAccess(env, regno, memSize, true, true, null);
  if (mayBeNull) reg.type = savedType;
  return err;
}

/** `btf_check_func_arg_match(env, subprog, btf, regs)`. */
function btfCheckFuncArgMatch(env: Env, subprog: number, regs: RegState[]): number {
  let ret = btfPrepareFuncArgs(env, subprog);
  if (ret) return ret;
  const sub = env.subprogs[subprog];
  for (let i = 0; i < sub.argCnt; i++) {
    const regno = i + 1, reg = regs[regno], arg = sub.args[i];
    if (arg.argType === ARG_ANYTHING) {
      if (reg.type !== SCALAR_VALUE) {
        verbose(env, `R${regno} is not a scalar\n`);
        return EINVAL;
      }
    } else if (arg.argType === ARG_PTR_TO_CTX) {
      ret = checkFuncArgRegOff(env, reg, regno, ARG_DONTCARE);
      if (ret < 0) return ret;
      if (reg.type !== PTR_TO_CTX) {
        verbose(env, `arg#${i} expects pointer to ctx\n`);
        return EINVAL;
      }
    } else {
      ret = checkFuncArgRegOff(env, reg, regno, ARG_DONTCARE);
      if (ret < 0) return ret;
      if (checkMemReg(env, reg, regno, arg.memSize)) return EINVAL;
      // 6.18.y (the running kernel): NULL itself (a known zero, made precise by check_mem_reg) is refused for a
      // non-NULL argument (arg:nonnull) too; 6.18.0 let it through to a walk that assumed the pointer valid
      if (!(arg.argType & PTR_MAYBE_NULL) && (typeMayBeNull(reg.type) || registerIsNull(reg))) {
        verbose(env, `arg#${i} is expected to be non-NULL\n`);
        return EINVAL;
      }
    }
  }
  return 0;
}

/**
 * `btf_check_subprog_call(env, subprog, regs)`: 0 when the registers match
 * the callee's BTF prototype; EINVAL without func info, for an unreliable
 * prototype or a mismatch (which makes the prototype unreliable); EFAULT
 * for a verifier bug; ENOTMODELLED for an argument type the profile does
 * not model.
 */
export function btfCheckSubprogCall(env: Env, subprog: number, regs: RegState[]): number {
  if (env.funcInfo.length === 0) return EINVAL;
  if (!env.funcInfo[subprog]?.typeId) return EFAULT;
  if (env.subprogs[subprog].unreliable) return EINVAL;
  const err = btfCheckFuncArgMatch(env, subprog, regs);
  if (err) env.subprogs[subprog].unreliable = true;
  return err;
}

/** Whether the argument type is a `PTR_TO_MEM` one (for the walk's initial registers). */
export function argIsPtrToMem(argType: number): boolean {
  return (argType & 0xff) === ARG_PTR_TO_MEM;
}
