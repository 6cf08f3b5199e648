#!/usr/bin/env python3
"""Record the running kernel's logs for the clang-built kernlog corpus.

usage: record_clang.py [OUT.jsonl.gz]   (default tests/data/kernlog/clang.jsonl.gz)

For every object in tests/fixtures/kernlog (build them with build.sh
first) this runs, as `bpfscope log -` would read it from a pipe:
  bpftool -d prog load OBJ /sys/fs/bpf/kernlog_NAME   (libbpf's debug lines
      and the level-1|2|4 log between -- BEGIN/END PROG LOAD LOG --)
  bpftool prog load OBJ /sys/fs/bpf/kernlog_NAME      (only when the load
      fails: the level-1 log libbpf prints after a failure)
removing the pin after each, and writes one JSON line per run:
{"object", "command", "rc", "output"} (stdout and stderr merged in order).
Needs root, bpffs at /sys/fs/bpf and bpftool.
"""
import glob
import gzip
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures", "kernlog")


def run(args, pin):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if os.path.exists(pin):
        os.remove(pin)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "kernlog", "clang.jsonl.gz")
    recs = []
    for obj in sorted(glob.glob(os.path.join(FIX, "*.o"))):
        name = os.path.basename(obj)
        pin = "/sys/fs/bpf/kernlog_" + name.replace(".", "_")
        skip_l2 = name.startswith("bad_loop_long")  # its level-2 log is ~40 MB
        rc = None
        if not skip_l2:
            rc, text = run(["bpftool", "-d", "prog", "load", obj, pin], pin)
            recs.append({"object": name, "command": "bpftool -d prog load", "rc": rc, "output": text})
        if rc is None or rc != 0:
            rc1, text1 = run(["bpftool", "prog", "load", obj, pin], pin)
            recs.append({"object": name, "command": "bpftool prog load", "rc": rc1, "output": text1})
        print(name, rc, file=sys.stderr)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with gzip.open(out, "wt") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    print(f"{len(recs)} runs -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
