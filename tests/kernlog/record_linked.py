#!/usr/bin/env python3
"""Have the running kernel write level-2 logs of programs full of linked
scalars and of packet pointer copies, for the check of kernlog's rebuilt
state (tests/data/kernlog/linked.jsonl.gz).

usage: record_linked.py OUT.jsonl.gz [COUNT] [SEED]

Each program gets an unknown scalar from bpf_get_prandom_u32, copies it into
up to 9 registers and stack slots (some with an added constant: `id=N+K`),
narrows one of them with a conditional jump (64- or 32-bit, against a
constant or another linked register; sometimes inside a bpf-to-bpf call, so
the caller's copies are linked across frames), then, on both paths, copies
every one of them into r0 or fills it from its slot. The kernel prints r0
after each copy, so the log itself says what every linked scalar became,
which the jump's own line does not. Every fourth program is an xdp one that
copies the packet pointer (registers, spills), moves one copy and checks it
against the end of the packet (or a meta pointer against the packet's start),
for the ranges the other copies get. Needs root and bpf().
"""
import gzip
import json
import os
import random
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402
from kbpf import (  # noqa: E402
    alu64_imm, alu64_reg, call, exit_insn, jmp_imm, jmp_reg, jmp32_imm, ldx_mem, mov64_imm, mov64_reg, slot, stx_mem,
)

BPF_DW = 0x18
JOPS = [0x10, 0x20, 0x30, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0, 0x40]  # jeq jgt jge jne jsgt jsge jlt jle jslt jsle jset
CONSTS = [0, 1, 5, 7, 100, 255, 256, 1000, 0x7fff, 0x10000, 0x7ffffff0, -1, -5, -100, -0x8000]
ADDS = [1, 2, 3, 8, 16, -1, -4, -16, 100, -100, 0x7ffffff0, -0x7ffffff0]


def program(rng):
    insns = call(7)  # r0 = bpf_get_prandom_u32()
    if rng.random() < 0.5:
        insns += alu64_imm(0x50, 0, rng.choice([0xff, 0xffff, 0x7fffffff, 0x3ff]))  # r0 &= mask
    if rng.random() < 0.3:
        insns += alu64_imm(0x00, 0, rng.choice(ADDS))  # r0 += k: the base is not the value returned
    insns += mov64_reg(6, 0)
    regs = [r for r in (1, 2, 3, 4, 5, 7, 8, 9)]
    rng.shuffle(regs)
    n = rng.randint(1, len(regs))
    linked = [6] + regs[:n]
    slots = []
    for r in regs[:n]:
        insns += mov64_reg(r, 6)
        if rng.random() < 0.45:
            insns += alu64_imm(0x00, r, rng.choice(ADDS))  # r += k: linked with an added constant
        if rng.random() < 0.35:
            off = -8 * (len(slots) + 1)
            insns += stx_mem(BPF_DW, 10, r, off)
            slots.append(off)
    # the compared register(s)
    dst = rng.choice(linked)
    op = rng.choice(JOPS)
    form = rng.random()
    sub = rng.random() < 0.2 and dst != 1
    cmp = []
    if form < 0.55:
        cmp = jmp_imm(op, dst, rng.choice(CONSTS), 0)
    elif form < 0.8:
        cmp = jmp32_imm(op, dst, rng.choice(CONSTS), 0)
    else:
        cmp = jmp_reg(op, dst, rng.choice([r for r in linked if r != dst] or [6]), 0)

    def expose(after_call=False):
        out = []
        for r in linked:
            if r > 5 or not after_call:  # a call leaves r1..r5 uninitialised
                out += mov64_reg(0, r)
        for off in slots:
            out += ldx_mem(BPF_DW, 0, 10, off)
        return out + mov64_imm(0, 0) + exit_insn()

    if sub:
        # the jump inside a bpf-to-bpf call on r1, a copy passed in: the caller's copies are linked across frames
        a = expose(True)
        body = mov64_reg(1, dst)
        # caller: call sub; expose; exit.  sub: if r1 op k goto +1; r0 = r1; r0 = 0; exit
        callee_cmp = list(cmp)
        callee_cmp[0] = slot(callee_cmp[0][0], 1, callee_cmp[0][2] if form >= 0.8 else 0, 1, callee_cmp[0][4])
        if form >= 0.8:  # compare with another register passed in r2
            body += mov64_reg(2, callee_cmp[0][2])
            callee_cmp[0] = slot(callee_cmp[0][0], 1, 2, 1, 0)
        caller_tail = a
        callee = callee_cmp + mov64_reg(0, 1) + mov64_imm(0, 0) + exit_insn()
        insns += body + [slot(0x85, 0, 1, 0, len(caller_tail))] + caller_tail + callee
        return insns
    a = expose()
    c = list(cmp)
    c[0] = slot(c[0][0], c[0][1], c[0][2], len(a), c[0][4])
    return insns + c + a + expose()


BPF_W = 0x00


def pkt_program(rng):
    """An xdp program: copies of the packet pointer (registers, spills, a callee's arguments), one of them moved and
    checked against data_end (or a meta pointer against data), then every copy read back: the log prints the range
    each got from the check."""
    meta = rng.random() < 0.2
    insns = ldx_mem(BPF_W, 2, 1, 8 if meta else 0)  # r2 = data_meta or data
    insns += ldx_mem(BPF_W, 3, 1, 0 if meta else 4)  # r3 = data or data_end
    if rng.random() < 0.3:
        # a variable offset: the moved pointer gets an id of its own, its copies share it
        insns += mov64_reg(6, 1) + call(7) + mov64_reg(1, 6)
        insns += ldx_mem(BPF_W, 2, 1, 8 if meta else 0) + ldx_mem(BPF_W, 3, 1, 0 if meta else 4)
        insns += alu64_imm(0x50, 0, rng.choice([0x7, 0xff])) + alu64_reg(0x00, 2, 0)
    copies = []
    for r in rng.sample([4, 6, 7, 8, 9], rng.randint(1, 4)):
        insns += mov64_reg(r, 2)
        copies.append(r)
    slots = []
    for k in range(rng.randint(0, 2)):
        off = -8 * (k + 1)
        insns += stx_mem(BPF_DW, 10, 2, off)
        slots.append(off)
    k = rng.choice([0, 1, 8, 14, 34, 60, 100])
    insns += mov64_reg(5, 2) + alu64_imm(0x00, 5, k)  # r5 = r2 + k
    op = rng.choice([0x20, 0x30, 0xa0, 0xb0])  # jgt jge jlt jle
    swap = rng.random() < 0.5  # the end (or the packet start) as the destination

    def expose():
        out = []
        for r in copies + [2, 5]:
            out += mov64_reg(0, r)
        for off in slots:
            out += ldx_mem(BPF_DW, 0, 10, off)
        return out + mov64_imm(0, 2) + exit_insn()

    a = expose()
    j = jmp_reg(op, 3, 5, len(a)) if swap else jmp_reg(op, 5, 3, len(a))
    return insns + j + a + expose()


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    recs = []
    for i in range(count):
        # one in four: packet pointers (find_good_pkt_pointers), the others linked scalars
        pkt = i % 4 == 3
        spec = {"insns": pkt_program(rng) if pkt else program(rng), "prog_type": "xdp" if pkt else "socket_filter",
                "license": "GPL"}
        r = kbpf.verify_spec(spec, log_level=2)
        recs.append({
            "name": f"{'pkt' if pkt else 'linked'} {seed}/{i}",
            "program": spec,
            "kernel": {"2": {"accepted": r["accepted"], "processed_insns": r.get("processed_insns"), "log": r["log"]}},
        })
    with gzip.open(out, "wt") as f:
        for rec in recs:
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    acc = sum(1 for r in recs if r["kernel"]["2"]["accepted"])
    print(f"{len(recs)} programs, {acc} accepted -> {out}")


if __name__ == "__main__":
    main()
