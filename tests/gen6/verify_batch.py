#!/usr/bin/env python3
"""Verify a batch of program specs in the running kernel at several log levels.

usage: verify_batch.py IN.jsonl OUT.jsonl [LEVELS]
Each input line is a kbpf spec (the JSON program format: insns, prog_type,
maps, fixup). Each output line is, in the same order,
{"1": RESULT, "2": RESULT} (one entry per level of LEVELS, default "1,2"),
where RESULT is kbpf's verify result: accepted, errno_name, log,
processed_insns, verification_time_usec, stack_depth, ... (or
{"exception": TEXT} when the load could not be attempted). BPF_LOG_STATS is
always on. Needs root and bpf().
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402

KEEP = ("accepted", "errno_name", "log", "processed_insns", "insn_limit", "max_states_per_insn",
        "total_states", "peak_states", "mark_read", "verification_time_usec", "stack_depth",
        "log_true_size")


def one(spec, level):
    try:
        r = kbpf.verify_spec(spec, log_level=level)
    except Exception as e:  # a map create failure and the like
        return {"exception": str(e)}
    return {k: r[k] for k in KEEP if k in r}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    levels = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "1,2").split(",")]
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            if line.strip():
                spec = json.loads(line)
                o.write(json.dumps({str(lv): one(spec, lv) for lv in levels}) + "\n")


if __name__ == "__main__":
    main()
