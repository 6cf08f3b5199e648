#!/usr/bin/env python3
"""Record the running kernel's verifier log of each tests/fixtures/btf/gf_*.o
at log levels 1, 2, 4 and 1|4, loaded with libbpf (libbpf.so.1 through
ctypes: its relocation, BTF and func/line info, as bpftool loads them) into
tests/data/btf/gf_levels.jsonl: one line per object and level with the
errno of the load (0: loaded) and the log. Needs root.

    sudo python3 tests/btf/record_levels.py
"""
import ctypes
import glob
import json
import os

LEVELS = [1, 2, 4, 5]

lib = ctypes.CDLL("libbpf.so.1")
lib.bpf_object__open_file.restype = ctypes.c_void_p
lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
lib.bpf_object__next_program.restype = ctypes.c_void_p
lib.bpf_object__next_program.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.bpf_program__set_log_level.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
lib.bpf_program__set_log_buf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
lib.bpf_object__load.argtypes = [ctypes.c_void_p]
lib.bpf_object__close.argtypes = [ctypes.c_void_p]
lib.libbpf_set_print.argtypes = [ctypes.c_void_p]


def load(path, level):
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj:
        raise SystemExit(f"{path}: libbpf cannot open it")
    prog = lib.bpf_object__next_program(obj, None)
    buf = ctypes.create_string_buffer(1 << 22)
    lib.bpf_program__set_log_level(prog, level)
    lib.bpf_program__set_log_buf(prog, buf, len(buf))
    err = lib.bpf_object__load(obj)
    lib.bpf_object__close(obj)
    return -err if err < 0 else err, buf.value.decode()


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    lib.libbpf_set_print(None)  # libbpf's own messages stay out of the way
    out = []
    for path in sorted(glob.glob(os.path.join(root, "fixtures/btf/gf_*.o"))):
        for level in LEVELS:
            errno, log = load(path, level)
            out.append({"object": os.path.basename(path), "level": level, "errno": errno, "log": log})
    with open(os.path.join(root, "data/btf/gf_levels.jsonl"), "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    print(f"{len(out)} logs")


main()
