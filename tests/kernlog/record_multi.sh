#!/bin/sh
# Record the running kernel's answers for each program of tests/fixtures/multi.o
# (needs root): tests/data/verify_multi/kernel.json, one record per section with
# the verdict, errno, statistics and the level 1 + stats log (as kbpf.py loads
# it: without BTF). tests/verify_multi_test.ts compares `bpfscope verify
# --profile linux-6.18 --no-btf --log-level 5 --json multi.o` with it.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in socket/count socket/bad classifier; do
  n=$(echo "$s" | tr / _)
  deno run -A cli/main.ts asm --section "$s" tests/fixtures/multi.o -o "$tmp/$n.json"
  python3 /work/shared/oracle/kbpf.py verify --log-level 1 "$tmp/$n.json" > "$tmp/$n.out"
done
python3 - "$tmp" > tests/data/verify_multi/kernel.json <<'PY'
import json, re, sys
out = []
for s in ["socket/count", "socket/bad", "classifier"]:
    k = json.load(open(f"{sys.argv[1]}/{s.replace('/', '_')}.out"))
    out.append({
        "section": s,
        "accepted": k["accepted"],
        "errno": None if k["accepted"] else k["errno_name"],
        "processed_insns": k["processed_insns"],
        "total_states": k["total_states"],
        "peak_states": k["peak_states"],
        "log": re.sub(r"^verification time \d+ usec$", "verification time N usec", k["log"], flags=re.M),
        "kernel": open("/proc/sys/kernel/osrelease").read().strip(),
    })
json.dump(out, sys.stdout, indent=1)
print()
PY
