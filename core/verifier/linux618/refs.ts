/**
 * Acquired references of Linux 6.18 (`acquire_reference`,
 * `release_reference`, `check_reference_leak`, `check_resource_leak`) and
 * the invalidation of packet pointers after a helper that moves packet data
 * (`clear_all_pkt_pointers`). The profile acquires references for ring
 * buffer reservations only.
 *
 * @module
 */
import { EINVAL, type Env, verbose } from "./env.ts";
import { forEachReg } from "./jmp.ts";
import {
  baseType,
  markRegUnknown,
  PTR_TO_PACKET,
  PTR_TO_PACKET_END,
  PTR_TO_PACKET_META,
  type RegState,
} from "./reg.ts";
import type { VerifierState } from "./state.ts";

/** `REF_TYPE_PTR`: a referenced pointer. */
export const REF_TYPE_PTR = 1;

/** `acquire_reference(env, insn_idx)`: a new pointer reference; its id. */
export function acquireReference(env: Env, insnIdx: number): number {
  const id = ++env.idGen;
  env.cur.refs.push({ type: REF_TYPE_PTR, id, insnIdx, ptr: 0 });
  return id;
}

/** `release_reference_nomark(state, ref_obj_id)`: false when there is no such reference. */
export function releaseReferenceNomark(vs: VerifierState, refObjId: number): boolean {
  const k = vs.refs.findIndex((r) => r.type === REF_TYPE_PTR && r.id === refObjId);
  if (k < 0) return false;
  vs.refs.splice(k, 1); // release_reference_state keeps the order (memmove)
  return true;
}

/** `mark_reg_invalid(env, reg)` with `allow_ptr_leaks` (root): an unknown scalar. */
export function markRegInvalid(reg: RegState): void {
  markRegUnknown(reg);
}

/** `release_reference(env, ref_obj_id)`: every copy of the pointer becomes invalid. */
export function releaseReference(env: Env, refObjId: number): number {
  if (!releaseReferenceNomark(env.cur, refObjId)) return EINVAL;
  forEachReg(env.cur, (reg) => {
    if (reg.refObjId === refObjId) markRegInvalid(reg);
  });
  return 0;
}

/** `check_reference_leak(env, false)`: lists every unreleased reference (frame 0 only). */
function checkReferenceLeak(env: Env): number {
  const st = env.cur;
  if (st.frame[st.curframe]!.frameno) return 0;
  let leak = false;
  for (const r of st.refs) {
    if (r.type !== REF_TYPE_PTR) continue;
    verbose(env, `Unreleased reference id=${r.id} alloc_insn=${r.insnIdx}\n`);
    leak = true;
  }
  return leak ? EINVAL : 0;
}

/** `check_resource_leak(env, false, check_lock, prefix)` (no locks are modelled). */
export function checkResourceLeak(env: Env, prefix: string): number {
  const err = checkReferenceLeak(env);
  if (err) verbose(env, `${prefix} would lead to reference leak\n`);
  return err;
}

/** `clear_all_pkt_pointers(env)`: packet pointers become unknown scalars. */
export function clearAllPktPointers(env: Env): void {
  forEachReg(env.cur, (reg) => {
    const b = baseType(reg.type);
    if (b === PTR_TO_PACKET || b === PTR_TO_PACKET_META || b === PTR_TO_PACKET_END) markRegInvalid(reg);
  });
}
