/**
 * Kernel profiles: the data and the two callbacks (`is_valid_access`,
 * `get_func_proto`) that make the walk behave like a given kernel.
 *
 * | | `linux-3.18` | `linux-3.19` |
 * |---|---|---|
 * | kernel | 3.18.9 (no stable backports) | 3.19.8 (= 4.0.x for kernel/bpf) |
 * | program types | `unspec` (test stub) | `unspec` (test stub), `socket_filter` |
 * | helpers | id 0: test stub lookup (gpl_only) | 1 map_lookup_elem, 2 map_update_elem, 3 map_delete_elem |
 * | `__BPF_FUNC_MAX_ID` | 1 | 4 |
 * | ARG_ANYTHING | no check at all (not even init) | ARG_DONTCARE skips; ARG_ANYTHING needs an initialised register |
 * | stack model | per byte (SPILL + 7 SPILL_PART) | per 8-byte slot (8 SPILL bytes, misc clears the slot) |
 * | LD_ABS/LD_IND | `LD_ABS is not supported yet` | socket filters only (check_ld_abs) |
 *
 * Stable fixes: 3.18.30's backports (ARG_DONTCARE, `invalid shift`, the
 * trailing-JA bound in check_cfg, the 64-bit divide) are **not** in
 * `linux-3.18`. `linux-3.19` has the ARG_DONTCARE/ARG_ANYTHING fix (it is in
 * the 3.19 verifier); no `invalid shift` check is applied in either profile.
 * The trailing-JA out-of-bounds mark is a no-op in both.
 *
 * Context of the test stub (`unspec`): `struct { u64 arg1; u64 arg2; }`,
 * 8-byte reads at offsets 0 and 8 only. `socket_filter` (3.19): no ctx
 * access at all.
 *
 * @module
 */

// ---- argument types (internal numbering = the 3.19 enum) ----
/** Unused argument: no check. In 3.18, `ARG_ANYTHING` (value 0) behaves exactly like this. */
export const ARG_DONTCARE = 0;
/** A map pointer (CONST_PTR_TO_MAP). */
export const ARG_CONST_MAP_PTR = 1;
/** A stack pointer to key_size initialised bytes. */
export const ARG_PTR_TO_MAP_KEY = 2;
/** A stack pointer to value_size initialised bytes. */
export const ARG_PTR_TO_MAP_VALUE = 3;
/** A stack pointer whose size is the next argument. */
export const ARG_PTR_TO_STACK = 4;
/** A constant size of the previous stack pointer argument. */
export const ARG_CONST_STACK_SIZE = 5;
/** Any initialised value (3.19). */
export const ARG_ANYTHING = 6;

// ---- return types ----
/** Returns a scalar. */
export const RET_INTEGER = 0;
/** Returns nothing (R0 stays NOT_INIT). */
export const RET_VOID = 1;
/** Returns a map value pointer or NULL. */
export const RET_PTR_TO_MAP_VALUE_OR_NULL = 2;

/** Access types for `is_valid_access`. */
export const BPF_READ = 1;
/** Write access. */
export const BPF_WRITE = 2;

/** `struct bpf_func_proto`. */
export interface FuncProto {
  /** Helper name (for documentation and explain). */
  name: string;
  /** Only GPL-compatible programs may call it. */
  gplOnly: boolean;
  /** RET_* */
  ret: number;
  /** arg1..arg5 types (ARG_*). */
  args: readonly [number, number, number, number, number];
}

/** `struct bpf_verifier_ops` of one program type. */
export interface ProgTypeOps {
  /** Program type name. */
  name: string;
  /** `is_valid_access(off, size, type)` for ctx accesses. */
  isValidAccess(off: number, size: number, type: number): boolean;
  /** `get_func_proto(func_id)`: the prototype or null (`unknown func`). */
  getFuncProto(funcId: number): FuncProto | null;
  /** Whether LD_ABS/LD_IND are allowed (3.19: socket filters). */
  ldAbs: boolean;
}

/** A kernel profile. */
export interface VerifierProfile {
  /** `linux-3.18` or `linux-3.19`. */
  name: string;
  /** Per-slot stack model (3.19) instead of per-byte (3.18). */
  slotStack: boolean;
  /** `__BPF_FUNC_MAX_ID`. */
  funcMaxId: number;
  /** Whether the kernel has check_ld_abs (3.19); else LD_ABS/IND is `LD_ABS is not supported yet`. */
  hasLdAbs: boolean;
  /** Program types by number. */
  progTypes: Readonly<Record<number, ProgTypeOps>>;
}

/** The 3.18 test stub helper 0 (lookup-shaped, returns NULL at run time). */
const STUB_318: FuncProto = {
  name: "test_stub",
  gplOnly: true,
  ret: RET_PTR_TO_MAP_VALUE_OR_NULL,
  args: [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE],
};

const LOOKUP: FuncProto = {
  name: "map_lookup_elem",
  gplOnly: false,
  ret: RET_PTR_TO_MAP_VALUE_OR_NULL,
  args: [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE],
};
const UPDATE: FuncProto = {
  name: "map_update_elem",
  gplOnly: false,
  ret: RET_INTEGER,
  args: [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING, ARG_DONTCARE],
};
const DELETE: FuncProto = {
  name: "map_delete_elem",
  gplOnly: false,
  ret: RET_INTEGER,
  args: [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE],
};

function helpers319(id: number): FuncProto | null {
  return id === 1 ? LOOKUP : id === 2 ? UPDATE : id === 3 ? DELETE : null;
}

/** Test stub ctx: 8-byte reads at 0 and 8. */
function stubAccess(off: number, size: number, type: number): boolean {
  return type === BPF_READ && size === 8 && (off === 0 || off === 8);
}

/** The Linux 3.18 profile. */
export const LINUX_3_18: VerifierProfile = {
  name: "linux-3.18",
  slotStack: false,
  funcMaxId: 1,
  hasLdAbs: false,
  progTypes: {
    0: { name: "unspec", isValidAccess: stubAccess, getFuncProto: (id) => id === 0 ? STUB_318 : null, ldAbs: false },
  },
};

/** The Linux 3.19 profile (hash/array maps, socket filters). */
export const LINUX_3_19: VerifierProfile = {
  name: "linux-3.19",
  slotStack: true,
  funcMaxId: 4,
  hasLdAbs: true,
  progTypes: {
    0: { name: "unspec", isValidAccess: stubAccess, getFuncProto: helpers319, ldAbs: false },
    1: { name: "socket_filter", isValidAccess: () => false, getFuncProto: helpers319, ldAbs: true },
  },
};

/** Profiles by name. */
export const PROFILES: Readonly<Record<string, VerifierProfile>> = {
  "linux-3.18": LINUX_3_18,
  "linux-3.19": LINUX_3_19,
};

/** The default profile name. */
export const DEFAULT_PROFILE = "linux-3.19";
