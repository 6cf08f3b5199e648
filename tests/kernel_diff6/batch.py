#!/usr/bin/env python3
"""Verify a batch of program specs in the running kernel (one python process).

usage: batch.py IN.jsonl OUT.jsonl LOG_LEVEL
Each input line is a kbpf spec ({"insns", "prog_type", "maps", "fixup"});
each output line is {"accepted", "errno", "log", "processed", "total_states",
"peak_states", "max_states_per_insn", "time_usec"} in the same order
(the log is the kernel's, with BPF_LOG_STATS). Needs root and bpf().
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402


def one(spec, level):
    try:
        v = kbpf.verify_spec(spec, log_level=level)
    except Exception as e:  # a map create failure and the like
        return {"accepted": False, "errno": "EXC", "log": str(e)}
    return {"accepted": bool(v.get("accepted")), "errno": v.get("errno_name"), "log": v.get("log") or "",
            "processed": v.get("processed_insns"), "total_states": v.get("total_states"),
            "peak_states": v.get("peak_states"), "max_states_per_insn": v.get("max_states_per_insn"),
            "time_usec": v.get("verification_time_usec")}


def main():
    src, dst, level = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            if line.strip():
                o.write(json.dumps(one(json.loads(line), level)) + "\n")


if __name__ == "__main__":
    main()
