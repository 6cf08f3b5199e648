#!/bin/sh
# Record what `bpftool -d prog load` prints for each object of
# tests/fixtures/btf (libbpf's debug lines around the kernel's level 1|2|4 log,
# with the `; source @ file:line` lines of the object's BTF) into
# tests/data/btf/NAME.txt. Needs root, bpffs at /sys/fs/bpf and bpftool.
# Arguments: the objects to record (default: all of tests/fixtures/btf).
set -u
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- tests/fixtures/btf/*.o
for o in "$@"; do
  n=$(basename "$o" .o)
  pin=/sys/fs/bpf/btf_$n
  bpftool -d prog load "$o" "$pin" >"tests/data/btf/$n.txt" 2>&1
  rm -f "$pin"
done
