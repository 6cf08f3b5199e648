/**
 * The `directed` stage of the kernel comparison: hand-written programs for
 * what the generators (alu_gen.ts, gen6, helper_gen.ts) do not produce or
 * produce rarely, written after a review of issue 13 (32-bit bounds after
 * JMP32 and ALU32, tnum mul/and/or/xor/shifts of negative ranges, arsh,
 * sign-extending loads and movsx, partial spills and fills of scalars and
 * pointers, precision through spills and across bpf-to-bpf calls, loops,
 * packet ranges after adds, helper memory arguments with size ranges and
 * uninitialised stack, atomics, error paths). Each program is assembly text
 * for `core/asm`'s assembler; seed i is program i modulo their number.
 *
 * @module
 */
import { assemble } from "../../core/asm/mod.ts";
import { encodeJson } from "../../core/formats/mod.ts";
import type { Spec } from "./alu_gen.ts";

/** r0 = an unknown u32 (bpf_get_prandom_u32). */
const RAND = "call 7\n";

/** The programs: name, assembly (socket_filter unless `.prog_type` says otherwise). */
export const DIRECTED_PROGRAMS: ReadonlyArray<{ name: string; asm: string }> = [
  // ---- 32-bit bounds after JMP32 and ALU32 ----
  {
    name: "jmp32 bound of an unknown u64, then 64-bit branches",
    asm: `${RAND}r0 <<= 32\nr6 = r0\ncall 7\nr0 |= r6\nif w0 > 10 goto +3\nif r0 > 20 goto +2\nr1 = r0\nr0 = 0\nexit`,
  },
  {
    name: "alu32 add wraps the 32-bit range",
    asm: `${RAND}w0 += 0x7fffffff\nif w0 s< 0 goto +2\nr1 = r0\nr0 = 0\nexit`,
  },
  {
    name: "sign-extended 32 to 64 by shifts, then jmp32 and jmp64 signed",
    asm: `${RAND}r0 <<= 32\nr0 s>>= 32\nif w0 s> 5 goto +3\nif r0 s< -3 goto +2\nr1 = r0\nr0 = 0\nexit`,
  },
  {
    name: "alu32 sub below zero, unsigned jmp32",
    asm: `${RAND}r0 &= 15\nw1 = w0\nw1 -= 5\nif w1 < 3 goto +2\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "jmp32 with a known upper half",
    asm: `${RAND}r2 = 0x100000000 ll\nr0 |= r2\nif w0 == 7 goto +2\nif w0 s> -1 goto +1\nr0 = 0\nr1 = r0\nr0 = 0\nexit`,
  },
  {
    name: "jmp32 register against register, both unknown",
    asm: `${RAND}r6 = r0\n${RAND}r6 &= 255\nif w0 < w6 goto +2\nif w6 >= w0 goto +1\nr1 = r0\nr0 = 0\nexit`,
  },
  {
    name: "jmp32 signed range into a 64-bit reg from a u32",
    asm: `${RAND}if w0 s< -5 goto +3\nif w0 s> 100 goto +2\nr1 = r0\nr1 += 1\nr0 = 0\nexit`,
  },
  {
    name: "jset32 and jset64",
    asm: `${RAND}if w0 & 0x80 goto +2\nif r0 & 3 goto +1\nr1 = r0\nr0 = 0\nexit`,
  },
  // ---- tnum ops with negative ranges ----
  {
    name: "mul/and/or/xor/shifts of a range -8..7",
    asm: `${RAND}r0 &= 15\nr0 -= 8\nr1 = r0\nr1 *= -3\nr2 = r0\nr2 &= -4\nr3 = r0\nr3 |= 3\n` +
      `r4 = r0\nr4 ^= -1\nr5 = r0\nr5 <<= 3\nr6 = r0\nr6 >>= 2\nr7 = r0\nr7 s>>= 1\nr0 = 0\nexit`,
  },
  {
    name: "alu32 mul/and/or/xor/shifts of a range -8..7",
    asm: `${RAND}w0 &= 15\nw0 -= 8\nw1 = w0\nw1 *= -3\nw2 = w0\nw2 &= -4\nw3 = w0\nw3 |= 3\n` +
      `w4 = w0\nw4 ^= -1\nw5 = w0\nw5 <<= 3\nw6 = w0\nw6 >>= 2\nw7 = w0\nw7 s>>= 1\nr0 = 0\nexit`,
  },
  {
    name: "register shifts by a bounded amount",
    asm: `${RAND}r6 = r0\nr6 &= 7\n${RAND}r0 s>>= 40\nr1 = r0\nr1 s>>= r6\nr2 = r0\nr2 >>= r6\nr3 = r0\n` +
      `r3 <<= r6\nw4 = w0\nw4 s>>= w6\nr0 = 0\nexit`,
  },
  {
    name: "mul of two ranges, 64 and 32",
    asm:
      `${RAND}r6 = r0\nr6 &= 0xffff\n${RAND}r0 &= 0xfff\nr1 = r0\nr1 *= r6\nw2 = w0\nw2 *= w6\nr3 = r0\nr3 -= 100\nr3 *= r6\nr0 = 0\nexit`,
  },
  {
    name: "xor/or/and of two registers with negative ranges",
    asm: `${RAND}r6 = r0\nr6 s>>= 60\n${RAND}r0 &= 3\nr0 -= 2\nr1 = r0\nr1 ^= r6\nr2 = r0\nr2 |= r6\nr3 = r0\n` +
      `r3 &= r6\nr4 = r0\nr4 -= r6\nr5 = r0\nr5 += r6\nr0 = 0\nexit`,
  },
  {
    name: "arsh of a known negative constant and of a mixed range",
    asm: `r1 = -100\nr1 s>>= 3\nw2 = -100\nw2 s>>= 3\n${RAND}r0 -= 0x80000000\nr3 = r0\nr3 s>>= 4\nw4 = w0\n` +
      `w4 s>>= 4\nr0 = 0\nexit`,
  },
  {
    name: "neg, div, mod, sdiv, smod of ranges",
    asm: `${RAND}r0 &= 255\nr1 = r0\nr1 = -r1\nr2 = r0\nr2 /= 3\nr3 = r0\nr3 %= 7\nr4 = r0\nr4 -= 128\n` +
      `r4 s/= 3\nr5 = r0\nr5 -= 128\nr5 s%= 5\nw6 = w0\nw6 -= 200\nw6 s/= -2\nr0 = 0\nexit`,
  },
  {
    name: "div and mod by an unknown register",
    asm:
      `${RAND}r6 = r0\n${RAND}r1 = r0\nr1 /= r6\nr2 = r0\nr2 %= r6\nw3 = w0\nw3 /= w6\nw4 = w0\nw4 %= w6\nr0 = 0\nexit`,
  },
  // ---- sign extension ----
  {
    name: "movsx 8/16/32 of a range 0..300",
    asm:
      `${RAND}if r0 > 300 goto +6\nr1 = (s8)r0\nr2 = (s16)r0\nw3 = (s8)w0\nw4 = (s16)w0\nr5 = (s32)r0\nr0 = 0\nr0 = 0\nexit`,
  },
  {
    name: "movsx of a negative range",
    asm: `${RAND}r0 &= 0xff\nr0 -= 0x80\nr1 = (s8)r0\nr2 = (s32)r0\nw3 = (s16)w0\nr0 = 0\nexit`,
  },
  {
    name: "ldsx from the stack of a spilled bounded scalar",
    asm: `${RAND}r0 &= 0x1ff\n*(u64 *)(r10 -8) = r0\nr1 = *(s8 *)(r10 -8)\nr2 = *(s16 *)(r10 -8)\n` +
      `r3 = *(s32 *)(r10 -8)\nr4 = *(u8 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "ldsx from the stack of a constant store",
    asm: `*(u32 *)(r10 -4) = -3\nr1 = *(s8 *)(r10 -4)\nr2 = *(s16 *)(r10 -4)\nr3 = *(s32 *)(r10 -4)\nr0 = 0\nexit`,
  },
  {
    name: "ldsx from a map value",
    asm:
      `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto +4\n` +
      `r1 = *(s8 *)(r0 +0)\nr2 = *(s16 *)(r0 +2)\nr3 = *(s32 *)(r0 +4)\nr4 = r3\nr0 = 0\nexit`,
  },
  {
    name: "ldsx from the packet (xdp)",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +3\n` +
      `r5 = *(s8 *)(r2 +0)\nr6 = *(s16 *)(r2 +2)\nr7 = *(s32 *)(r2 +4)\nr0 = 2\nexit`,
  },
  {
    name: "ldsx from the context",
    asm: `r2 = *(s32 *)(r1 +0)\nr0 = 0\nexit`,
  },
  // ---- partial spills and fills ----
  {
    name: "spill a bounded u64, fill both u32 halves",
    asm:
      `${RAND}r0 &= 0xff\n*(u64 *)(r10 -8) = r0\nr1 = *(u32 *)(r10 -8)\nr2 = *(u32 *)(r10 -4)\nr3 = *(u16 *)(r10 -8)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "spill a u32 register, fill u32 and u64",
    asm: `${RAND}r0 &= 0xff\n*(u32 *)(r10 -8) = r0\nr1 = *(u32 *)(r10 -8)\nr2 = *(u64 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "spill a u32 register at -4, fill u64 after writing -8",
    asm:
      `${RAND}r0 &= 0xff\n*(u32 *)(r10 -8) = 1\n*(u32 *)(r10 -4) = r0\nr1 = *(u64 *)(r10 -8)\nr2 = *(u32 *)(r10 -4)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "spill ctx, fill u32",
    asm: `*(u64 *)(r10 -8) = r1\nr2 = *(u32 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "spill ctx, overwrite one byte, fill u64",
    asm: `*(u64 *)(r10 -8) = r1\n*(u8 *)(r10 -8) = 0\nr2 = *(u64 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "spill ctx, overwrite one byte from a register, fill u8",
    asm:
      `r3 = 7\n*(u64 *)(r10 -8) = r1\n*(u8 *)(r10 -5) = r3\nr2 = *(u8 *)(r10 -8)\nr4 = *(u8 *)(r10 -5)\nr0 = 0\nexit`,
  },
  {
    name: "spill a pointer with a 32-bit store",
    asm: `*(u32 *)(r10 -8) = r1\nr0 = 0\nexit`,
  },
  {
    name: "st zero then narrow fills",
    asm: `*(u64 *)(r10 -8) = 0\nr1 = *(u8 *)(r10 -3)\nr2 = *(u16 *)(r10 -6)\nr3 = *(u32 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "spill a constant, fill u16 at -6",
    asm: `r1 = 0x1234567890 ll\n*(u64 *)(r10 -8) = r1\nr2 = *(u16 *)(r10 -6)\nr3 = *(u32 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "read of partly uninitialised stack",
    asm: `*(u32 *)(r10 -8) = 0\nr1 = *(u64 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "spill ctx then 64-bit fill and use",
    asm: `*(u64 *)(r10 -16) = r1\nr6 = *(u64 *)(r10 -16)\nr0 = *(u32 *)(r6 +0)\nr0 = 0\nexit`,
  },
  {
    name: "variable-offset stack write then read",
    asm:
      `${RAND}r0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 5\n*(u64 *)(r1 +0) = r2\nr3 = *(u64 *)(r10 -16)\nr0 = 0\nexit`,
  },
  {
    name: "variable-offset stack read",
    asm: `*(u64 *)(r10 -8) = 0\n*(u64 *)(r10 -16) = 0\n${RAND}r0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\n` +
      `r2 = *(u64 *)(r1 +0)\nr0 = 0\nexit`,
  },
  // ---- precision ----
  {
    name: "precision through a spill: a spilled bound used as a map value offset",
    asm: `.map m array key=4 value=64 max=1\n${RAND}r0 &= 31\n*(u64 *)(r10 -16) = r0\n*(u32 *)(r10 -4) = 0\n` +
      `r2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto +4\nr6 = *(u64 *)(r10 -16)\nr0 += r6\n` +
      `r1 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
  },
  {
    name: "precision through a 32-bit spill",
    asm: `.map m array key=4 value=64 max=1\n${RAND}r0 &= 31\n*(u32 *)(r10 -16) = r0\n*(u32 *)(r10 -4) = 0\n` +
      `r2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto +4\nr6 = *(u32 *)(r10 -16)\nr0 += r6\n` +
      `r1 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
  },
  {
    name: "precision across a call: callee's return used as a stack offset",
    asm: `call sub\nr0 &= 7\nr1 = r10\nr1 += -8\nr1 += r0\nr1 += -7\nr2 = 0\n*(u8 *)(r1 +0) = r2\nr0 = 0\nexit\n` +
      `sub:\n${RAND}r0 &= 3\nexit`,
  },
  {
    name: "precision across a call: an argument bounds the callee's access",
    asm: `.map m array key=4 value=64 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +5\nr6 = r0\n${RAND}r2 = r0\nr2 &= 15\nr1 = r6\ncall sub\nr0 = 0\nexit\n` +
      `sub:\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nr0 = 0\nexit`,
  },
  {
    name: "precision of a constant kept on the caller's stack",
    asm: `.map m array key=4 value=64 max=1\nr1 = 8\n*(u64 *)(r10 -16) = r1\nr1 = r10\nr1 += -16\ncall sub\n` +
      `r0 = 0\nexit\nsub:\nr6 = r1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +3\nr7 = *(u64 *)(r6 +0)\nr0 += r7\nr0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
  },
  // ---- loops ----
  {
    name: "bounded loop with a branch inside",
    asm: `r6 = 0\nr7 = 0\nloop:\n${RAND}if r0 & 1 goto +1\nr7 += 1\nr6 += 1\nif r6 < 16 goto loop\nr0 = r7\nexit`,
  },
  {
    name: "loop writing the stack with the counter as offset",
    asm: `r1 = 0\nloop:\nr2 = r10\nr2 += -64\nr2 += r1\nr3 = 0\n*(u8 *)(r2 +0) = r3\nr1 += 1\n` +
      `if r1 < 64 goto loop\nr0 = *(u64 *)(r10 -64)\nr0 = 0\nexit`,
  },
  {
    name: "loop counting down with a 32-bit counter",
    asm: `w1 = 10\nloop:\nw1 -= 1\nif w1 != 0 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "may_goto loop",
    asm: `r1 = 0\nloop:\n.insn 0xe5, 0, 0, 2, 0\nr1 += 1\ngoto loop\nr0 = 0\nexit`,
  },
  {
    name: "loop of a bpf-to-bpf call",
    asm: `r6 = 0\nloop:\nr1 = r6\ncall sub\nr6 += 1\nif r6 < 4 goto loop\nr0 = 0\nexit\nsub:\nr0 = r1\nr0 += 1\nexit`,
  },
  // ---- packets ----
  {
    name: "xdp: packet range after adds and a variable offset",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +12\n` +
      `r5 = *(u8 *)(r2 +13)\nr5 &= 7\nr6 = r2\nr6 += r5\nr7 = r6\nr7 += 8\nif r7 > r3 goto +5\nr0 = *(u64 *)(r6 +0)\n` +
      `r6 += 4\nr0 = *(u32 *)(r6 +0)\nr0 = *(u32 *)(r6 +2)\nr0 = 2\nexit`,
  },
  {
    name: "xdp: reversed comparisons and pkt_end >= pkt",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 20\nif r3 < r4 goto +6\n` +
      `r0 = *(u32 *)(r2 +16)\nr4 += 10\nif r3 >= r4 goto +1\ngoto +2\nr0 = *(u16 *)(r2 +28)\nr0 = 2\nr0 = 2\nexit`,
  },
  {
    name: "xdp: packet access beyond the checked range",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +1\n` +
      `r0 = *(u32 *)(r2 +12)\nr0 = 2\nexit`,
  },
  {
    name: "xdp: negative packet offset",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +2\n` +
      `r2 += 4\nr0 = *(u8 *)(r2 -5)\nr0 = 2\nexit`,
  },
  {
    name: "sched_cls: data_meta and data",
    asm: `.prog_type sched_cls\nr2 = *(u32 *)(r1 +140)\nr3 = *(u32 *)(r1 +76)\nr4 = r2\nr4 += 4\n` +
      `if r4 > r3 goto +1\nr0 = *(u32 *)(r2 +0)\nr0 = 0\nexit`,
  },
  {
    name: "xdp: a large variable offset into the packet",
    asm:
      `.prog_type xdp\nr6 = r1\n${RAND}r2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\nr0 &= 0xffff\nr2 += r0\nr4 = r2\n` +
      `r4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 +0)\nr0 = 2\nexit`,
  },
  {
    name: "xdp: store into the packet and an alu32 on a packet pointer",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +2\n` +
      `*(u32 *)(r2 +0) = 1\nw2 += 1\nr0 = 2\nexit`,
  },
  // ---- helper memory arguments ----
  {
    name: "skb_load_bytes with a size in 1..16 into the stack",
    asm: `r6 = r1\n${RAND}r4 = r0\nr4 &= 15\nr4 += 1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -16\ncall 26\n` +
      `r0 = *(u64 *)(r10 -16)\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes with a size in 0..15 (zero-sized)",
    asm: `r6 = r1\n${RAND}r4 = r0\nr4 &= 15\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes with a size up to 32 into 16 bytes",
    asm: `r6 = r1\n${RAND}r4 = r0\nr4 &= 31\nr4 += 1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes with an unbounded size",
    asm: `r6 = r1\n${RAND}r4 = r0\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes with a possibly negative size",
    asm: `r6 = r1\n${RAND}r4 = r0\nr4 <<= 56\nr4 s>>= 56\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "trace_printk of partly uninitialised stack",
    asm: `*(u32 *)(r10 -8) = 0x6968\nr1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 0\nexit`,
  },
  {
    name: "trace_printk with a variable size",
    asm: `*(u64 *)(r10 -8) = 0x6968\n${RAND}r2 = r0\nr2 &= 7\nr2 += 1\nr1 = r10\nr1 += -8\ncall 6\nr0 = 0\nexit`,
  },
  {
    name: "map lookup with a partly uninitialised key",
    asm:
      `.map m hash key=8 value=8 max=4\n*(u32 *)(r10 -8) = 0\nr2 = r10\nr2 += -8\nr1 = map[m] ll\ncall 1\nr0 = 0\nexit`,
  },
  {
    name: "map update with an uninitialised value",
    asm: `.map m hash key=4 value=8 max=4\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\n` +
      `r1 = map[m] ll\nr4 = 0\ncall 2\nr0 = 0\nexit`,
  },
  {
    name: "map lookup with a key at a variable stack offset",
    asm: `.map m hash key=4 value=8 max=4\n*(u64 *)(r10 -16) = 0\n${RAND}r0 &= 4\nr2 = r10\nr2 += -16\n` +
      `r2 += r0\nr1 = map[m] ll\ncall 1\nr0 = 0\nexit`,
  },
  {
    name: "map lookup with the key in a map value",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +4\nr2 = r0\nr2 += 12\nr1 = map[m] ll\ncall 1\nr0 = 0\nexit`,
  },
  {
    name: "csum_diff with NULL and a zero size (sched_cls)",
    asm: `.prog_type sched_cls\nr1 = 0\nr2 = 0\n*(u32 *)(r10 -4) = 1\nr3 = r10\nr3 += -4\nr4 = 4\nr5 = 0\ncall 28\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "csum_diff with NULL and a non-zero size (sched_cls)",
    asm: `.prog_type sched_cls\nr1 = 0\nr2 = 4\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit`,
  },
  {
    name: "probe_read_kernel into a variable stack offset",
    asm: `.prog_type xdp\n${RAND}r0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 8\nr3 = 0\ncall 113\nr0 = 2\nexit`,
  },
  {
    name: "helper memory argument in a map value with a size range",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +5\nr6 = r0\n${RAND}r2 = r0\nr2 &= 15\nr2 += 1\nr1 = r6\ncall 6\nr0 = 0\nexit`,
  },
  // ---- atomics ----
  {
    name: "atomics on the stack and on a map value",
    asm: `.map m array key=4 value=16 max=1\n*(u64 *)(r10 -8) = 0\nr1 = 1\nlock *(u64 *)(r10 -8) += r1\n` +
      `r1 = atomic_fetch_add((u64 *)(r10 -8), r1)\n*(u32 *)(r10 -12) = 0\nr2 = r10\nr2 += -12\nr1 = map[m] ll\n` +
      `call 1\nif r0 == 0 goto +4\nr1 = 2\nr1 = atomic_fetch_or((u64 *)(r0 +8), r1)\nr1 = xchg_64(r0 + 0, r1)\n` +
      `r0 = cmpxchg_64(r0 + 8, r0, r1)\nr0 = 0\nexit`,
  },
  {
    name: "atomic add into the context",
    asm: `r2 = 1\nlock *(u32 *)(r1 +0) += w2\nr0 = 0\nexit`,
  },
  {
    name: "atomic add on uninitialised stack",
    asm: `r2 = 1\nlock *(u64 *)(r10 -8) += r2\nr0 = 0\nexit`,
  },
  {
    name: "atomic fetch on a spilled pointer",
    asm: `*(u64 *)(r10 -8) = r1\nr2 = 1\nr2 = atomic_fetch_add((u64 *)(r10 -8), r2)\nr0 = 0\nexit`,
  },
  // ---- error paths ----
  {
    name: "stack write out of bounds",
    asm: `*(u64 *)(r10 -520) = 0\nr0 = 0\nexit`,
  },
  {
    name: "misaligned stack access",
    asm: `*(u64 *)(r10 -3) = 0\nr0 = 0\nexit`,
  },
  {
    name: "return a ctx pointer",
    asm: `r0 = r1\nexit`,
  },
  {
    name: "subtract a pointer from a scalar",
    asm: `r2 = 5\nr2 -= r10\nr0 = 0\nexit`,
  },
  {
    name: "variable ctx access",
    asm: `${RAND}r0 &= 4\nr1 += r0\nr0 = *(u32 *)(r1 +0)\nr0 = 0\nexit`,
  },
  {
    name: "32-bit arithmetic on a pointer",
    asm: `w1 += 4\nr0 = 0\nexit`,
  },
  {
    name: "map value variable offset out of bounds",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +4\nr6 = r0\n${RAND}r0 &= 15\nr6 += r0\nr0 = *(u64 *)(r6 +0)\nr0 = 0\nexit`,
  },
  {
    name: "map value negative offset",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +2\nr0 += -8\nr0 = *(u64 *)(r0 +4)\nr0 = 0\nexit`,
  },
  {
    name: "map value maybe null dereference",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `r0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
  },
  {
    name: "null check through a copy and a register holding zero",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `r6 = r0\nr7 = 0\nif r6 == r7 goto +2\nr0 = *(u64 *)(r0 +0)\nr0 = *(u64 *)(r6 +8)\nr0 = 0\nexit`,
  },
  {
    name: "bswap and be16 of a bounded scalar and of a pointer",
    asm: `${RAND}r0 &= 0xff00\nr1 = r0\nr1 = be16 r1\nr2 = r0\nr2 = le32 r2\nr3 = r0\nr3 = bswap64 r3\nr0 = 0\n` +
      `r1 = r10\nr1 = be16 r1\nexit`,
  },
  {
    name: "write to r10",
    asm: `r10 = 0\nr0 = 0\nexit`,
  },
  {
    name: "write into a readonly ctx field",
    asm: `r2 = 1\n*(u32 *)(r1 +0) = r2\nr0 = 0\nexit`,
  },
  {
    name: "pointer compared with a scalar and pointers compared",
    asm: `r2 = r10\nif r2 > r1 goto +1\nr0 = 0\nr0 = 0\nexit`,
  },
  {
    name: "stack pointer passed to a callee that writes it",
    asm: `r1 = r10\nr1 += -8\ncall sub\nr0 = *(u64 *)(r10 -8)\nexit\nsub:\nr2 = 3\n*(u64 *)(r1 +0) = r2\nr0 = 0\nexit`,
  },
  {
    name: "callee reads caller's uninitialised stack",
    asm: `r1 = r10\nr1 += -8\ncall sub\nr0 = 0\nexit\nsub:\nr0 = *(u64 *)(r1 +0)\nexit`,
  },
  // ---- second batch: linked scalars, pruning, references, return codes, legacy loads ----
  {
    name: "linked scalars: a copy plus a constant refined by the original's branch",
    asm: `${RAND}r1 = r0\nr1 += 1\nif r0 > 10 goto +3\nr2 = r10\nr2 += -16\nr2 += r1\nr0 = 0\nexit`,
  },
  {
    name: "linked scalars through a spill",
    asm: `${RAND}*(u64 *)(r10 -8) = r0\nif r0 > 7 goto +4\nr1 = *(u64 *)(r10 -8)\nr2 = r10\nr2 += -16\nr2 += r1\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "linked scalars and a 32-bit branch",
    asm: `${RAND}r1 = r0\nif w0 > 10 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "linked scalars: alu32 copy plus a constant",
    asm: `${RAND}w1 = w0\nw1 += 3\nif w0 < 10 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "both operands refined by a register comparison",
    asm: `${RAND}r6 = r0\nr6 &= 63\n${RAND}r0 &= 127\nif r0 >= r6 goto +4\nr1 = r10\nr1 += -64\nr1 += r0\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "pruning: two stack contents merging",
    asm:
      `${RAND}if r0 & 1 goto +2\n*(u64 *)(r10 -8) = 0\ngoto +2\nr1 = 5\n*(u64 *)(r10 -8) = r1\nr2 = *(u64 *)(r10 -8)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "pruning: ranges [0,10] then [0,5]",
    asm: `${RAND}r6 = r0\n${RAND}if r0 & 1 goto +2\nr6 &= 10\ngoto +1\nr6 &= 5\nr1 = r10\nr1 += -16\nr1 += r6\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "pruning: a precise and an imprecise scalar",
    asm:
      `${RAND}r6 = r0\nr7 = r0\n${RAND}if r0 & 1 goto +2\nr6 &= 3\ngoto +1\nr6 &= 7\nr7 &= 1\nr1 = r10\nr1 += -16\n` +
      `r1 += r6\n*(u8 *)(r1 +0) = 0\nr0 = r7\nexit`,
  },
  {
    name: "loop bounded by a map value",
    asm: `.map m array key=4 value=8 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `r6 = *(u64 *)(r0 +0)\nr6 &= 15\nr7 = 0\nloop:\nr7 += 1\nif r7 < r6 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "loop with a spilled counter",
    asm: `r1 = 0\n*(u64 *)(r10 -8) = r1\nloop:\nr1 = *(u64 *)(r10 -8)\nr1 += 1\n*(u64 *)(r10 -8) = r1\n` +
      `if r1 < 8 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "nested loops",
    asm: `r6 = 0\nouter:\nr7 = 0\ninner:\nr7 += 1\nif r7 < 3 goto inner\nr6 += 1\nif r6 < 3 goto outer\nr0 = 0\nexit`,
  },
  {
    name: "ring buffer reserve without submit",
    asm: `.map rb ringbuf key=0 value=0 max=4096\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nr0 = 0\nexit`,
  },
  {
    name: "ring buffer reserve, write, submit",
    asm: `.map rb ringbuf key=0 value=0 max=4096\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +4\n` +
      `*(u64 *)(r0 +0) = 1\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit`,
  },
  {
    name: "ring buffer access past the reservation",
    asm: `.map rb ringbuf key=0 value=0 max=4096\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +4\n` +
      `*(u64 *)(r0 +4) = 1\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit`,
  },
  {
    name: "cgroup_skb: a return value outside [0, 3]",
    asm: `.prog_type cgroup_skb\nr0 = 5\nexit`,
  },
  {
    name: "cgroup_skb: an unknown return value",
    asm: `.prog_type cgroup_skb\n${RAND}exit`,
  },
  {
    name: "cgroup_skb: a return value in [0, 3] from a mask",
    asm: `.prog_type cgroup_skb\n${RAND}r0 &= 3\nexit`,
  },
  {
    name: "exit without setting r0",
    asm: `r1 = 0\nexit`,
  },
  {
    name: "ST into the context",
    asm: `.prog_type sched_cls\n*(u32 *)(r1 +8) = 1\nr0 = 0\nexit`,
  },
  {
    name: "LD_ABS and LD_IND",
    asm: `r6 = r1\n.insn 0x30, 0, 0, 0, 12\nr7 = 2\n.insn 0x48, 0, 7, 0, 12\n.insn 0x20, 0, 0, 0, 0\nr0 = 0\nexit`,
  },
  {
    name: "LD_ABS without the context in r6",
    asm: `.insn 0x30, 0, 0, 0, 12\nr0 = 0\nexit`,
  },
  {
    name: "stack printing of mixed slots",
    asm: `*(u8 *)(r10 -1) = 1\n*(u16 *)(r10 -12) = 0\nr1 = 3\n*(u32 *)(r10 -20) = r1\n*(u64 *)(r10 -32) = r10\n` +
      `r2 = *(u8 *)(r10 -1)\nr0 = 0\nexit`,
  },
  {
    name: "jump into the middle of LD_IMM64",
    asm: `goto +1\nr1 = 0x100000000 ll\nr0 = 0\nexit`,
  },
  {
    name: "unreachable instruction",
    asm: `r0 = 0\nexit\nr0 = 1\nexit`,
  },
  {
    name: "a call to a missing helper",
    asm: `call 500\nr0 = 0\nexit`,
  },
  {
    name: "a helper the program type may not call",
    asm: `call 44\nr0 = 0\nexit`,
  },
  {
    name: "xdp: data_meta against data",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +8)\nr3 = *(u32 *)(r1 +0)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\n` +
      `r0 = *(u32 *)(r2 +0)\nr0 = 2\nexit`,
  },
  {
    name: "packet pointers compared with each other after a variable add",
    asm: `.prog_type xdp\nr6 = r1\n${RAND}r0 &= 15\nr2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\nr4 = r2\n` +
      `r4 += r0\nr5 = r4\nr5 += 4\nif r5 > r3 goto +2\nif r4 s> r2 goto +1\nr0 = *(u32 *)(r4 +0)\nr0 = 2\nexit`,
  },
  {
    name: "packet pointer after a helper that changes packet data",
    asm: `.prog_type xdp\nr6 = r1\nr2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\nr7 = r2\nr4 = r2\nr4 += 4\n` +
      `if r4 > r3 goto +5\nr1 = r6\nr2 = 0\ncall 44\nr0 = *(u32 *)(r7 +0)\nr0 = 2\nexit`,
  },
  {
    name: "tail call",
    asm: `.map pa prog_array key=4 value=4 max=4\nr2 = map[pa] ll\nr3 = 0\ncall 12\nr0 = 0\nexit`,
  },
  {
    name: "bpf_loop with a callback",
    asm: `r1 = 4\n.insn 0x18, 2, 4, 0, 6\n.insn 0, 0, 0, 0, 0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\nr0 = 0\nexit`,
  },
  {
    name: "a 64-bit constant compared with jmp32",
    asm: `r1 = 0xffffffff00000005 ll\nif w1 == 5 goto +1\nr2 = *(u64 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "a branch decided by the tnum only",
    asm: `${RAND}r0 |= 1\nif r0 == 0 goto +1\nr0 = 0\nexit\nr1 = *(u64 *)(r10 -8)\nexit`,
  },
  {
    name: "an s32 range crossing zero compared unsigned",
    asm: `${RAND}r0 &= 0xff\nw0 -= 0x80\nif w0 > 0x10 goto +2\nr1 = r0\nr1 += 1\nr0 = 0\nexit`,
  },
  {
    name: "a 64-bit range from 32-bit bounds after a zero-extending move",
    asm: `${RAND}r0 -= 100\nif w0 s< 0 goto +3\nw1 = w0\nif r1 > 200 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "a variable offset spill of a pointer",
    asm: `${RAND}r0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\n*(u64 *)(r1 +0) = r10\nr0 = 0\nexit`,
  },
  {
    name: "a variable offset read over a spilled pointer",
    asm: `*(u64 *)(r10 -16) = r10\n*(u64 *)(r10 -8) = 0\n${RAND}r0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\n` +
      `r2 = *(u64 *)(r1 +0)\nr0 = 0\nexit`,
  },
  {
    name: "callee spills a scalar used as an offset in the caller",
    asm: `r1 = r10\nr1 += -8\ncall sub\nr1 = *(u64 *)(r10 -8)\nr2 = r10\nr2 += -16\nr2 += r1\n` +
      `*(u8 *)(r2 +0) = 0\nr0 = 0\nexit\nsub:\nr6 = r1\n${RAND}r0 &= 7\n*(u64 *)(r6 +0) = r0\nr0 = 0\nexit`,
  },
  {
    name: "a callee's unknown return value used as a map value offset",
    asm: `.map m array key=4 value=16 max=1\ncall sub\nr6 = r0\nr6 &= 8\n*(u32 *)(r10 -4) = 0\nr2 = r10\n` +
      `r2 += -4\nr1 = map[m] ll\ncall 1\nr0 += r6\nr0 = *(u64 *)(r0 +0)\nr0 = 0\nexit\nsub:\n${RAND}exit`,
  },
  // ---- third batch: loops with unknown exits, precision inside loops ----
  {
    name: "loop with an unknown exit and an imprecise counter",
    asm: `r6 = 0\nloop:\n${RAND}if r0 == 0 goto +2\nr6 += 1\ngoto loop\nr0 = 0\nexit`,
  },
  {
    name: "loop with an unknown exit and a counter used as an offset",
    asm: `r6 = 0\nloop:\n${RAND}if r0 == 0 goto +2\nr6 += 1\ngoto loop\nr6 &= 7\nr1 = r10\nr1 += -8\nr1 += r6\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "loop whose body calls a subprogram with the counter as a stack offset",
    asm: `r6 = 0\nloop:\nr1 = r6\ncall sub\nr6 += 1\nif r6 < 8 goto loop\nr0 = 0\nexit\n` +
      `sub:\nr2 = r10\nr2 += -8\nr2 += r1\n*(u8 *)(r2 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "loop keeping a precise value on the stack",
    asm: `r1 = 0\n*(u64 *)(r10 -16) = r1\nloop:\nr1 = *(u64 *)(r10 -16)\nr2 = r10\nr2 += -8\nr2 += r1\n` +
      `*(u8 *)(r2 +0) = 0\nr1 += 1\n*(u64 *)(r10 -16) = r1\nif r1 < 8 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "an infinite loop through an unknown branch",
    asm: `r6 = 0\nloop:\n${RAND}if r0 == 0 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "a loop with a 32-bit counter wrapping",
    asm: `w6 = -5\nloop:\nw6 += 1\nif w6 s< 3 goto loop\nr0 = 0\nexit`,
  },
  // ---- fourth batch: packet pointers in spills and frames, references across calls, stack contents ----
  {
    name: "xdp: a spilled packet pointer gets the range of a later check",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\n*(u64 *)(r10 -8) = r2\nr4 = r2\nr4 += 8\n` +
      `if r4 > r3 goto +2\nr5 = *(u64 *)(r10 -8)\nr0 = *(u64 *)(r5 +0)\nr0 = 2\nexit`,
  },
  {
    name: "xdp: a packet pointer passed to a subprogram",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +3\n` +
      `r1 = r2\ncall sub\nr0 = 2\nr0 = 2\nexit\nsub:\nr0 = *(u32 *)(r1 +4)\nexit`,
  },
  {
    name: "xdp: arithmetic on pkt_end",
    asm: `.prog_type xdp\nr3 = *(u32 *)(r1 +4)\nr3 += 1\nr0 = 2\nexit`,
  },
  {
    name: "xdp: pkt_end minus pkt",
    asm:
      `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr3 -= r2\nif r3 < 14 goto +1\nr0 = 2\nr0 = 2\nexit`,
  },
  {
    name: "xdp: a variable packet pointer checked itself",
    asm: `.prog_type xdp\nr6 = r1\n${RAND}r0 &= 0xff\nr2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\nr2 += r0\n` +
      `r4 = r2\nr4 += 4\nif r4 > r3 goto +2\nr0 = *(u32 *)(r2 +0)\nr0 = *(u32 *)(r2 +1)\nr0 = 2\nexit`,
  },
  {
    name: "ring buffer record released in a subprogram",
    asm: `.map rb ringbuf key=0 value=0 max=4096\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +2\n` +
      `r1 = r0\ncall sub\nr0 = 0\nexit\nsub:\nr2 = 0\ncall 133\nr0 = 0\nexit`,
  },
  {
    name: "ring buffer record reserved in a subprogram and leaked",
    asm: `.map rb ringbuf key=0 value=0 max=4096\ncall sub\nr0 = 0\nexit\nsub:\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\n` +
      `call 131\nr0 = 0\nexit`,
  },
  {
    name: "ring buffer record submitted twice",
    asm: `.map rb ringbuf key=0 value=0 max=4096\nr1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +6\n` +
      `r6 = r0\nr1 = r6\nr2 = 0\ncall 132\nr1 = r6\nr2 = 0\ncall 132\nr0 = 0\nexit`,
  },
  {
    name: "a subprogram returning a map value pointer",
    asm: `.map m array key=4 value=16 max=1\ncall sub\nr0 = 0\nexit\nsub:\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\n` +
      `r1 = map[m] ll\ncall 1\nexit`,
  },
  {
    name: "a subprogram returning its own stack pointer",
    asm: `call sub\nr0 = *(u64 *)(r0 +0)\nr0 = 0\nexit\nsub:\n*(u64 *)(r10 -8) = 0\nr0 = r10\nr0 += -8\nexit`,
  },
  {
    name: "cgroup_skb: a subprogram's return value at program exit",
    asm: `.prog_type cgroup_skb\ncall sub\nexit\nsub:\n${RAND}r0 &= 1\nexit`,
  },
  {
    name: "tail call from a subprogram",
    asm: `.map pa prog_array key=4 value=4 max=4\ncall sub\nr0 = 0\nexit\nsub:\nr2 = map[pa] ll\nr3 = 0\ncall 12\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "linked scalars through a spill refined after the fill",
    asm: `${RAND}r6 = r0\n*(u64 *)(r10 -8) = r6\nr7 = *(u64 *)(r10 -8)\nif r7 > 15 goto +4\nr1 = r10\n` +
      `r1 += -16\nr1 += r6\n*(u8 *)(r1 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "BPF_ST over half of a spilled scalar",
    asm:
      `${RAND}r0 &= 0xff\n*(u64 *)(r10 -8) = r0\n*(u32 *)(r10 -4) = 7\nr1 = *(u64 *)(r10 -8)\nr2 = *(u32 *)(r10 -8)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "zero spilled through a register, then narrow stores",
    asm:
      `r1 = 0\n*(u64 *)(r10 -8) = r1\n*(u8 *)(r10 -7) = 5\nr2 = *(u64 *)(r10 -8)\nr3 = *(u16 *)(r10 -2)\nr0 = 0\nexit`,
  },
  {
    name: "precision of a scalar spilled in a callee and refilled by the caller",
    asm: `.map m array key=4 value=64 max=1\n${RAND}r0 &= 31\n*(u64 *)(r10 -16) = r0\nr1 = r10\nr1 += -16\ncall sub\n` +
      `r0 = 0\nexit\nsub:\nr6 = *(u64 *)(r1 +0)\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +2\nr0 += r6\nr0 = *(u8 *)(r0 +0)\nr0 = 0\nexit`,
  },
  {
    name: "atomic cmpxchg with a pointer in r0",
    asm: `*(u64 *)(r10 -8) = 0\nr0 = r10\nr1 = 1\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr0 = 0\nexit`,
  },
  {
    name: "atomic xchg of a pointer into the stack",
    asm: `*(u64 *)(r10 -8) = 0\nr1 = r10\nr1 = xchg_64(r10 - 8, r1)\nr0 = 0\nexit`,
  },
  {
    name: "32-bit atomic fetch on a map value",
    asm: `.map m array key=4 value=16 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +2\nw1 = 1\nw1 = atomic_fetch_xor((u32 *)(r0 +4), w1)\nr0 = 0\nexit`,
  },
  {
    name: "sched_cls: narrow loads of skb fields",
    asm:
      `.prog_type sched_cls\nr2 = *(u8 *)(r1 +0)\nr3 = *(u16 *)(r1 +8)\nr4 = *(u8 *)(r1 +3)\nr5 = *(u16 *)(r1 +76)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "LD_ABS in a subprogram",
    asm: `r6 = r1\ncall sub\nr0 = 0\nexit\nsub:\n.insn 0x30, 0, 0, 0, 12\nr0 = 0\nexit`,
  },
  {
    name: "LD_ABS in the main program of a program with a subprogram",
    asm: `r6 = r1\n.insn 0x30, 0, 0, 0, 12\ncall sub\nr0 = 0\nexit\nsub:\nr0 = 0\nexit`,
  },
  // ---- sixth batch: load-time checks and malformed instructions ----
  { name: "a call to an invalid destination", asm: `.insn 0x85, 0, 1, 0, 10\nr0 = 0\nexit` },
  { name: "recursion", asm: `call sub\nr0 = 0\nexit\nsub:\ncall sub\nr0 = 0\nexit` },
  { name: "a jump out of the subprogram", asm: `call sub\nr0 = 0\nexit\nsub:\ngoto -3\nr0 = 0\nexit` },
  { name: "a subprogram falling through to the next one", asm: `call sub\nr0 = 0\nexit\nsub:\nr0 = 0` },
  { name: "ALU with a non-zero off", asm: `.insn 0x07, 1, 0, 3, 1\nr0 = 0\nexit` },
  { name: "ALU K with a non-zero src", asm: `.insn 0x07, 1, 2, 0, 1\nr0 = 0\nexit` },
  { name: "a source register 11", asm: `.insn 0xbf, 1, 11, 0, 0\nr0 = 0\nexit` },
  { name: "an unknown opcode", asm: `.insn 0xff, 0, 0, 0, 0\nr0 = 0\nexit` },
  { name: "endian with imm 8", asm: `r1 = 1\n.insn 0xd4, 1, 0, 0, 8\nr0 = 0\nexit` },
  { name: "division by an immediate zero", asm: `r1 = 5\nr1 /= 0\nr0 = 0\nexit` },
  { name: "modulo by an immediate zero, 32-bit", asm: `w1 = 5\nw1 %= 0\nr0 = 0\nexit` },
  { name: "a shift by 64", asm: `r1 = 5\nr1 <<= 64\nr0 = 0\nexit` },
  { name: "a 32-bit shift by 32", asm: `w1 = 5\nw1 >>= 32\nr0 = 0\nexit` },
  { name: "LD_IMM64 with a bad second slot", asm: `.insn 0x18, 1, 0, 0, 5\n.insn 0, 1, 0, 0, 0\nr0 = 0\nexit` },
  { name: "LD_IMM64 as the last insn", asm: `r0 = 0\nexit\n.insn 0x18, 1, 0, 0, 5 unpaired` },
  { name: "ST with a source register", asm: `.insn 0x62, 10, 1, -8, 0\nr0 = 0\nexit` },
  { name: "gotol forward", asm: `.insn 0x06, 0, 0, 0, 1\nr0 = 1\nr0 = 0\nexit` },
  { name: "gotol out of range", asm: `.insn 0x06, 0, 0, 0, 100\nr0 = 0\nexit` },
  {
    name: "stack depth of a subprogram over 512 with the caller",
    asm: `*(u64 *)(r10 -256) = 0\ncall sub\nr0 = 0\nexit\nsub:\n*(u64 *)(r10 -264) = 0\nr0 = 0\nexit`,
  },
  { name: "subprogram exit with r0 uninitialised", asm: `call sub\nr0 = 0\nexit\nsub:\nexit` },
  {
    name: "stack pointer stored into the stack and read back",
    asm:
      `r1 = r10\nr1 += -16\n*(u64 *)(r10 -8) = r1\nr2 = *(u64 *)(r10 -8)\n*(u64 *)(r2 +0) = 1\nr0 = *(u64 *)(r10 -16)\nexit`,
  },
  {
    name: "helper stack argument out of bounds",
    asm: `r6 = r1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -4\nr4 = 8\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "helper stack argument above the frame",
    asm: `r6 = r1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += 8\nr4 = 8\ncall 26\nr0 = 0\nexit`,
  },
  { name: "map lookup with a NULL map", asm: `r1 = 0\nr2 = r10\nr2 += -8\n*(u64 *)(r10 -8) = 0\ncall 1\nr0 = 0\nexit` },
  {
    name: "map update with a flags register left unset",
    asm:
      `.map m hash key=4 value=8 max=4\n*(u32 *)(r10 -4) = 0\n*(u64 *)(r10 -16) = 0\nr2 = r10\nr2 += -4\nr3 = r10\n` +
      `r3 += -16\nr1 = map[m] ll\ncall 2\nr0 = 0\nexit`,
  },
  { name: "ldsx 32 from the context of xdp", asm: `.prog_type xdp\nr2 = *(s32 *)(r1 +0)\nr0 = 2\nexit` },
  { name: "a 64-bit load of xdp data", asm: `.prog_type xdp\nr2 = *(u64 *)(r1 +0)\nr0 = 2\nexit` },
  { name: "ldsx 32 of sched_cls data", asm: `.prog_type sched_cls\nr2 = *(s32 *)(r1 +76)\nr0 = 0\nexit` },
  { name: "ldsx 32 of sched_cls data_end", asm: `.prog_type sched_cls\nr2 = *(s32 *)(r1 +80)\nr0 = 0\nexit` },
  { name: "ldsx 32 of cgroup_skb data", asm: `.prog_type cgroup_skb\nr2 = *(s32 *)(r1 +76)\nr0 = 1\nexit` },
  {
    name: "ldsx 8 and 16 of sched_cls mark",
    asm: `.prog_type sched_cls\nr2 = *(s8 *)(r1 +8)\nr3 = *(s16 *)(r1 +10)\nr0 = 0\nexit`,
  },
  {
    name: "ldsx 32 of xdp data_end and data_meta",
    asm: `.prog_type xdp\nr2 = *(s32 *)(r1 +4)\nr3 = *(s32 *)(r1 +8)\nr0 = 2\nexit`,
  },
  { name: "ldsx 32 of xdp ingress_ifindex", asm: `.prog_type xdp\nr2 = *(s32 *)(r1 +12)\nr0 = 2\nexit` },
  // ---- seventh batch: context writes, map value loads by LD_IMM64, helper memory in map values, stack edges ----
  {
    name: "sched_cls: ST into mark and a narrow store into cb",
    asm: `.prog_type sched_cls\n*(u32 *)(r1 +8) = 1\n*(u8 *)(r1 +49) = 2\nr2 = 3\n*(u16 *)(r1 +50) = r2\nr0 = 0\nexit`,
  },
  {
    name: "sched_cls: an 8-byte write of tstamp and a 4-byte one",
    asm: `.prog_type sched_cls\nr2 = 0\n*(u64 *)(r1 +152) = r2\n*(u32 *)(r1 +152) = r2\nr0 = 0\nexit`,
  },
  {
    name: "socket_filter: a write into cb and into mark",
    asm: `r2 = 0\n*(u32 *)(r1 +48) = r2\n*(u32 *)(r1 +8) = r2\nr0 = 0\nexit`,
  },
  { name: "a pointer written into cb", asm: `*(u64 *)(r1 +48) = r10\nr0 = 0\nexit` },
  { name: "atomic add into cb", asm: `.prog_type sched_cls\nr2 = 1\nlock *(u32 *)(r1 +48) += w2\nr0 = 0\nexit` },
  {
    name: "sched_cls: the socket pointer of the context",
    asm: `.prog_type sched_cls\nr2 = *(u64 *)(r1 +168)\nif r2 == 0 goto +1\nr0 = *(u32 *)(r2 +4)\nr0 = 0\nexit`,
  },
  {
    name: "a map value loaded by LD_IMM64 with an offset",
    asm:
      `.map m array key=4 value=16 max=1\n.insn 0x18, 1, 2, 0, 0\n.insn 0, 0, 0, 0, 8\n.fixup 0 m\nr0 = *(u64 *)(r1 +0)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "a map value loaded by LD_IMM64 past its end",
    asm: `.map m array key=4 value=16 max=1\n.insn 0x18, 1, 2, 0, 0\n.insn 0, 0, 0, 0, 16\n.fixup 0 m\nr0 = 0\nexit`,
  },
  {
    name: "an LD_IMM64 map value read past its end",
    asm:
      `.map m array key=4 value=16 max=1\n.insn 0x18, 1, 2, 0, 0\n.insn 0, 0, 0, 0, 12\n.fixup 0 m\nr0 = *(u64 *)(r1 +0)\n` +
      `r0 = 0\nexit`,
  },
  {
    name: "a function pointer outside a callback helper",
    asm: `.insn 0x18, 1, 4, 0, 4\n.insn 0, 0, 0, 0, 0\nr0 = 0\nexit\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes into a map value",
    asm:
      `.map m array key=4 value=16 max=1\nr6 = r1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +5\nr3 = r0\nr1 = r6\nr2 = 0\nr4 = 16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "skb_load_bytes into a map value past its end",
    asm:
      `.map m array key=4 value=16 max=1\nr6 = r1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +6\nr3 = r0\nr3 += 4\nr1 = r6\nr2 = 0\nr4 = 16\ncall 26\nr0 = 0\nexit`,
  },
  {
    name: "csum_diff over a checked packet range (sched_cls)",
    asm: `.prog_type sched_cls\nr2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +6\n` +
      `r1 = r2\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit`,
  },
  {
    name: "ringbuf_output of partly uninitialised stack",
    asm: `.map rb ringbuf key=0 value=0 max=4096\n*(u32 *)(r10 -8) = 1\nr1 = map[rb] ll\nr2 = r10\nr2 += -8\nr3 = 8\n` +
      `r4 = 0\ncall 130\nr0 = 0\nexit`,
  },
  {
    name: "get_current_comm into 16 bytes of stack",
    asm: `r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 -8)\nr0 = 0\nexit`,
  },
  {
    name: "map_lookup_percpu_elem on an array",
    asm:
      `.map m array key=4 value=8 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\nr3 = 0\ncall 195\n` +
      `r0 = 0\nexit`,
  },
  { name: "stack at -512 and at +0", asm: `*(u64 *)(r10 -512) = 0\nr0 = *(u64 *)(r10 +0)\nexit` },
  {
    name: "xdp: a jmp32 compare of pkt and pkt_end",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 4\nif w4 > w3 goto +1\n` +
      `r0 = *(u32 *)(r2 +0)\nr0 = 2\nexit`,
  },
  {
    name: "xdp: pkt compared with pkt_end through a copy made before the add",
    asm: `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr5 = r2\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\n` +
      `r0 = *(u32 *)(r5 +0)\nr0 = 2\nexit`,
  },
  // ---- eighth batch: pruning and precision across calls and loops ----
  {
    name: "a callee called twice with different constants used as offsets",
    asm:
      `r1 = 0\ncall sub\nr1 = 4\ncall sub\nr0 = 0\nexit\nsub:\nr2 = r10\nr2 += -8\nr2 += r1\n*(u8 *)(r2 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "a callee called from two branches with different stack contents",
    asm:
      `${RAND}if r0 & 1 goto +2\n*(u64 *)(r10 -8) = 0\ngoto +2\nr1 = 7\n*(u64 *)(r10 -8) = r1\nr1 = r10\nr1 += -8\n` +
      `call sub\nr0 = 0\nexit\nsub:\nr0 = *(u64 *)(r1 +0)\nr0 &= 7\nr2 = r10\nr2 += -8\nr2 += r0\n*(u8 *)(r2 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "a loop calling a callee that returns a bounded value",
    asm:
      `r6 = 0\nr7 = 0\nloop:\ncall sub\nr7 += r0\nr6 += 1\nif r6 < 4 goto loop\nr7 &= 7\nr1 = r10\nr1 += -8\nr1 += r7\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit\nsub:\n${RAND}r0 &= 1\nexit`,
  },
  {
    name: "a precise value through two call levels",
    asm:
      `.map m array key=4 value=16 max=1\n${RAND}r1 = r0\nr1 &= 8\ncall a\nr0 = 0\nexit\na:\ncall b\nr0 = 0\nexit\n` +
      `b:\nr6 = r1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\nif r0 == 0 goto +2\nr0 += r6\n` +
      `r0 = *(u64 *)(r0 +0)\nr0 = 0\nexit`,
  },
  {
    name: "pruning with a scalar kept in a callee-saved register across a call",
    asm: `${RAND}r6 = r0\nr6 &= 3\n${RAND}if r0 & 1 goto +1\nr6 = 1\ncall sub\nr1 = r10\nr1 += -8\nr1 += r6\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit\nsub:\nr0 = 0\nexit`,
  },
  {
    name: "a loop with two counters, one bounding an offset",
    asm: `r6 = 0\nr7 = 10\nloop:\nr6 += 1\nr7 -= 1\nif r7 != 0 goto loop\nr6 &= 15\nr1 = r10\nr1 += -16\nr1 += r6\n` +
      `*(u8 *)(r1 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "a loop over a map value array with a bounded index",
    asm: `.map m array key=4 value=64 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +6\nr6 = 0\nloop:\nr1 = r0\nr1 += r6\nr2 = *(u8 *)(r1 +0)\nr6 += 1\nif r6 < 64 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "a loop over a map value array one past the end",
    asm: `.map m array key=4 value=64 max=1\n*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[m] ll\ncall 1\n` +
      `if r0 == 0 goto +6\nr6 = 0\nloop:\nr1 = r0\nr1 += r6\nr2 = *(u8 *)(r1 +0)\nr6 += 1\nif r6 <= 64 goto loop\nr0 = 0\nexit`,
  },
  {
    name: "xdp: a loop walking the packet with checks",
    asm:
      `.prog_type xdp\nr2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr6 = 0\nloop:\nr4 = r2\nr4 += r6\nr5 = r4\nr5 += 1\n` +
      `if r5 > r3 goto +4\nr0 = *(u8 *)(r4 +0)\nr6 += 1\nif r6 < 16 goto loop\nr0 = 2\nr0 = 2\nexit`,
  },
  // ---- ninth batch: linked scalars with constants, widths and spills ----
  {
    name: "linked: a copy minus a constant checked, the original used",
    asm: `${RAND}r1 = r0\nr1 -= 3\nif r1 > 10 goto +4\nr2 = r10\nr2 += -16\nr2 += r0\n*(u8 *)(r2 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "linked: a 32-bit copy plus a constant, a 64-bit check of the original",
    asm: `${RAND}w1 = w0\nw1 += 5\nif r0 > 10 goto +2\nr2 = r1\nr2 += 1\nr0 = 0\nexit`,
  },
  {
    name: "linked: the link broken by an ALU op on the copy",
    asm: `${RAND}r1 = r0\nr1 *= 2\nif r0 > 10 goto +2\nr2 = r1\nr2 += 1\nr0 = 0\nexit`,
  },
  {
    name: "linked: a chain of copies with constants",
    asm:
      `${RAND}r1 = r0\nr1 += 2\nr2 = r1\nr2 += 3\nif r2 < 20 goto +2\nr0 = 0\nexit\nr3 = r10\nr3 += -24\nr3 += r0\n` +
      `*(u8 *)(r3 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "linked: a spilled copy plus a constant refined by a check of the original",
    asm:
      `${RAND}r1 = r0\nr1 += 4\n*(u64 *)(r10 -8) = r1\nif r0 > 4 goto +5\nr2 = *(u64 *)(r10 -8)\nr3 = r10\nr3 += -16\n` +
      `r3 += r2\n*(u8 *)(r3 +0) = 0\nr0 = 0\nexit`,
  },
  {
    name: "linked: two registers compared with each other",
    asm: `${RAND}r1 = r0\nr1 += 1\nif r1 > r0 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "linked: a negative delta wrapping below zero",
    asm: `${RAND}r0 &= 7\nr1 = r0\nr1 += -5\nif r0 < 5 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
  {
    name: "linked: a 32-bit link checked with jmp32",
    asm: `${RAND}w1 = w0\nw1 += -1\nif w0 == 0 goto +1\nr2 = r1\nr0 = 0\nexit`,
  },
];

/** The program of a seed (modulo the number of programs) as a spec. */
export function directedProgram(seed: number): Spec {
  const d = DIRECTED_PROGRAMS[seed % DIRECTED_PROGRAMS.length];
  const asm = d.asm.startsWith(".prog_type") ? d.asm : `.prog_type socket_filter\n${d.asm}`;
  return JSON.parse(encodeJson(assemble(asm, { file: d.name })));
}
