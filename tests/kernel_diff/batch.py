#!/usr/bin/env python3
"""Run a batch of program specs in the running kernel (one python process).

usage: batch.py IN.jsonl OUT.jsonl
Each input line is a kbpf spec ({"insns", "prog_type", "maps" (with "init"),
"fixup", "data"}); each output line is {"accepted", "errno", "error" (last log
line), "retval", "maps"} in the same order. Needs root and bpf().
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402


def one(spec):
    try:
        out = kbpf.run_spec(spec, data=bytes.fromhex(spec.get("data", "")) or None,
                            dump_maps=True, log_level=0)
    except Exception as e:  # a map create failure and the like
        return {"accepted": False, "errno": "EXC", "error": str(e)}
    v = out.get("verify", {})
    log = (v.get("log") or "").strip().splitlines()
    res = {"accepted": bool(out.get("accepted")), "errno": v.get("errno_name"),
           "error": log[0] if log else None}
    if res["accepted"]:
        res["retval"] = out.get("retval")
        res["ok"] = out.get("ok")
        res["maps"] = [m.get("entries") or [] for m in out.get("maps") or []]
    return res


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            if line.strip():
                o.write(json.dumps(one(json.loads(line))) + "\n")


if __name__ == "__main__":
    main()
