#!/usr/bin/env python3
"""Verify a batch of program specs in the running kernel (one python process).

usage: batch.py IN.jsonl OUT.jsonl LOG_LEVEL
Each input line is a kbpf spec ({"insns", "prog_type", "maps", "fixup"}, and
for the global stage "btf" (hex of a .BTF blob) and "func_info" ([insn_off,
type_id] records), loaded with the program as libbpf passes them);
each output line is {"accepted", "errno", "log", "processed", "total_states",
"peak_states", "max_states_per_insn", "time_usec"} in the same order
(the log is the kernel's, with BPF_LOG_STATS). Needs root and bpf().
"""
import ctypes
import errno
import json
import os
import struct
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402


BPF_BTF_LOAD = 18


def load_btf(raw):
    """BPF_BTF_LOAD of a .BTF blob; its fd."""
    buf, log = kbpf._cbuf(raw), ctypes.create_string_buffer(1 << 16)
    attr = bytearray(kbpf.ATTR_SIZE)
    struct.pack_into("<QQIII", attr, 0, kbpf._addr(buf), kbpf._addr(log), len(raw), len(log), 1)
    fd, err = kbpf._bpf(BPF_BTF_LOAD, attr)
    if fd < 0:
        raise OSError(err, "BPF_BTF_LOAD: " + log.value.decode())
    return fd


def verify_btf(spec, level):
    """kbpf.verify_spec for a spec with "btf" (hex) and "func_info" ([insn_off, type_id] records):
    BPF_PROG_LOAD with prog_btf_fd and func_info, as libbpf passes them."""
    maps = [kbpf.map_from_spec(m) for m in spec.get("maps", []) or []]
    btf_fd = load_btf(bytes.fromhex(spec["btf"]))
    try:
        raw = kbpf.encode(kbpf.apply_fixups(spec["insns"], spec.get("fixup"), maps))
        ib, lic = kbpf._cbuf(raw), ctypes.create_string_buffer(b"GPL")
        fi = kbpf._cbuf(b"".join(struct.pack("<II", off, tid) for off, tid in spec["func_info"]))
        pt = kbpf.prog_type_num(spec["prog_type"])
        eat = kbpf.DEFAULT_ATTACH.get(kbpf.PROG_TYPE_NAMES.get(pt, ""), 0)
        lvl, size = (level & 3) | kbpf.BPF_LOG_STATS, 1 << 20
        while True:
            lb = ctypes.create_string_buffer(size)
            attr = bytearray(kbpf.ATTR_SIZE)
            struct.pack_into("<IIQQIIQII", attr, 0, pt, len(raw) // 8, kbpf._addr(ib), kbpf._addr(lic), lvl, size,
                             kbpf._addr(lb), 0, 0)
            attr[48:52] = b"kbpf"
            struct.pack_into("<IIIQI", attr, 68, eat, btf_fd, 8, kbpf._addr(fi), len(spec["func_info"]))
            fd, err = kbpf._bpf(kbpf.BPF_PROG_LOAD, attr)
            true_size = struct.unpack_from("<I", attr, 140)[0]
            if fd < 0 and err == errno.ENOSPC and size < kbpf.LOG_SIZE_MAX:
                size = min(max(size * 2, true_size + 1), kbpf.LOG_SIZE_MAX)
                continue
            break
        if fd >= 0:
            os.close(fd)
        log = lb.value.decode("utf-8", "replace")
        v = {"accepted": fd >= 0, "errno_name": kbpf.errname(err), "log": log}
        v.update(kbpf.parse_stats(log))
        return v
    finally:
        os.close(btf_fd)
        for m in maps:
            m.close()


def one(spec, level):
    try:
        v = verify_btf(spec, level) if "btf" in spec else kbpf.verify_spec(spec, log_level=level)
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
