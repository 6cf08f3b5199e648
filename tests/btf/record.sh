#!/bin/sh
# Record what `bpftool -d prog load` prints for each object of
# tests/fixtures/btf (libbpf's debug lines around the kernel's level 1|2|4 log,
# with the `; source @ file:line` lines of the object's BTF) into
# tests/data/btf/NAME.txt. Needs root, bpffs at /sys/fs/bpf and bpftool.
set -u
cd "$(dirname "$0")/../.."
for o in tests/fixtures/btf/*.o; do
  n=$(basename "$o" .o)
  pin=/sys/fs/bpf/btf_$n
  bpftool -d prog load "$o" "$pin" >"tests/data/btf/$n.txt" 2>&1
  rm -f "$pin"
done
