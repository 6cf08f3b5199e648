#!/usr/bin/env python3
"""Have the running kernel write a level-2 verifier log of about 1,000,000
processed instructions, for the kernlog benchmark (not committed: ~200 MB).

usage: make_big_log.py OUT.log [ITERATIONS] [BODY]

The program is a bounded loop: r1 counts from 0 to ITERATIONS (default
9800), the body is BODY (default 100) ALU instructions on r2..r5, so the
verifier walks every iteration: 6 + ITERATIONS * (BODY + 2) + 2 processed
instructions (999,608 by default), each printed with its state, plus the
precision backtracking of the loop counter. Needs root and bpf().
"""
import os
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402
from kbpf import alu64_imm, exit_insn, jmp_imm, mov64_imm, mov64_reg  # noqa: E402


def loop_program(n, body, regs=(2, 3, 4, 5)):
    insns = mov64_imm(1, 0) + mov64_imm(0, 0)
    for r in regs:
        insns += mov64_imm(r, 0)
    loop = []
    for k in range(body):
        r = regs[k % len(regs)]
        loop += alu64_imm(0x00, r, 3) if k % 3 else alu64_imm(0xa0, r, 5)  # add / xor
    loop += alu64_imm(0x00, 1, 1)  # r1 += 1
    loop += jmp_imm(0xa0, 1, n, -(len(loop) + 1))  # if r1 < n goto loop
    return insns + loop + mov64_reg(0, 2) + exit_insn()


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 9800
    body = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    r = kbpf.verify_spec({"insns": loop_program(n, body)}, log_level=2, log_size=256 << 20)
    with open(out, "w") as f:
        f.write(r["log"])
    print(f"accepted={r['accepted']} processed={r['processed_insns']} log={len(r['log'])} bytes -> {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
