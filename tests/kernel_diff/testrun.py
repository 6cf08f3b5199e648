#!/usr/bin/env python3
"""Run test-run cases in the running kernel (needs root and bpf()).

usage: testrun.py IN.jsonl OUT.jsonl

A case (one JSON object per line) is what tests/kernel_diff/testrun_case.ts runs in
bpfscope:

  {"id": ..., "maps": [{"name", "type", "key_size", "value_size", "max_entries",
                         "flags", "init": [[key_hex, value_hex], ...]}],
   "progs": [{"name", "prog_type", "insns": [[op, dst, src, off, imm], ...],
              "fixup": [[slot, map_index], ...]}],
   "prog_array": [[map_index, slot, prog_index], ...],
   "steps": [{"op": "run", "prog": i, "data": hex, "ctx": hex|null, "repeat": n},
             {"op": "update", "map": i, "key": hex, "value": hex, "flags": n},
             {"op": "delete", "map": i, "key": hex},
             {"op": "lookup", "map": i, "key": hex},
             {"op": "consume", "map": i}],
   "trace": bool}

The result line: {"id", "load": [errno name per program ("OK" when loaded)],
"load_error": first log line of a rejected program, "steps": [{"errno", "retval",
"data_out", "ctx_out"} | {"errno", "value"}], "maps": [entries, or for a ring buffer
{"records": [hex, ...]}], "trace": [lines]}.

The process pins itself to CPU 0, so test runs, per-CPU values and LRU lists are
CPU 0's, as bpfscope's default. Ring buffers are read through mmap as libbpf's
consumer does; trace_printk lines come from /sys/kernel/tracing/trace (cleared per
case; tracefs is mounted when missing). A program with bpf-to-bpf calls is loaded
with BTF func_info (one `int fK(void *ctx)` per function), which the kernel needs to
allow tail calls in subprograms.
"""
import ctypes
import json
import mmap
import os
import struct
import sys

sys.path.insert(0, os.environ.get("KBPF_DIR", "/work/shared/oracle"))
import kbpf  # noqa: E402

PAGE = 4096
TRACE = "/sys/kernel/tracing/trace"
BUSY, DISCARD = 1 << 31, 1 << 30


def ringbuf_records(m):
    """Consume every committed record of ring buffer map m (libbpf's ringbuf_process_ring)."""
    size = m.max_entries
    cons = mmap.mmap(m.fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    prod = mmap.mmap(m.fd, PAGE + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=PAGE)
    try:
        cpos = struct.unpack_from("<Q", cons, 0)[0]
        ppos = struct.unpack_from("<Q", prod, 0)[0]
        out = []
        while cpos < ppos:
            off = PAGE + (cpos & (size - 1))
            ln = struct.unpack_from("<I", prod, off)[0]
            if ln & BUSY:
                break
            n = ln & ~(BUSY | DISCARD)
            if not ln & DISCARD:
                out.append(bytes(prod[off + 8:off + 8 + n]).hex())
            cpos += (n + 8 + 7) & ~7
            struct.pack_into("<Q", cons, 0, cpos)
        return {"records": out, "consumer_pos": cpos, "producer_pos": ppos}
    finally:
        cons.close()
        prod.close()


def trace_lines():
    """The text of each bpf_trace_printk event in the trace buffer (one trailing newline dropped)."""
    entries = []
    with open(TRACE, encoding="latin-1", newline="\n") as f:
        for line in f:
            if line.startswith("#"):
                continue
            line = line.rstrip("\n")
            i = line.find("bpf_trace_printk: ")
            if i >= 0:
                entries.append(line[i + len("bpf_trace_printk: "):])
            elif entries:
                entries[-1] += "\n" + line
    return [e[:-1] if e.endswith("\n") else e for e in entries]


BPF_BTF_LOAD = 18


def btf_of_funcs(n):
    """A BTF blob for n static functions `int fK(void *ctx)` (types 4..n+3): what the kernel needs
    (func_info) to load a program with bpf-to-bpf calls that makes tail calls."""
    strs = b"\0int\0ctx\0" + b"".join(b"f%d\0" % k for k in range(n))
    types = struct.pack("<IIII", 1, (1 << 24), 4, (1 << 24) | 32)   # [1] int: 4 bytes, signed, 32 bits
    types += struct.pack("<III", 0, (2 << 24), 0)                     # [2] void *
    types += struct.pack("<IIIII", 0, (13 << 24) | 1, 1, 5, 2)        # [3] int (void *ctx)
    off = 9
    for k in range(n):                                                # [4 + k] static fK of type [3]
        types += struct.pack("<III", off, (12 << 24), 3)
        off += len(b"f%d\0" % k)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
    return hdr + types + strs


def prog_load(insns, prog_type):
    """kbpf.prog_load, with BTF func_info when the program has bpf-to-bpf calls (the kernel
    refuses tail calls in subprograms without it)."""
    starts = sorted({0} | {i + 1 + kbpf._s32(x[4]) for i, x in enumerate(insns) if x[0] == 0x85 and x[2] == 1})
    if len(starts) == 1:
        return kbpf.prog_load(insns, prog_type, log_level=1)
    raw_btf = btf_of_funcs(len(starts))
    attr = bytearray(kbpf.ATTR_SIZE)
    blob = kbpf._cbuf(raw_btf)
    struct.pack_into("<QQIII", attr, 0, kbpf._addr(blob), 0, len(raw_btf), 0, 0)
    btf_fd, err = kbpf._bpf(BPF_BTF_LOAD, attr)
    if btf_fd < 0:
        raise OSError(err, "BPF_BTF_LOAD: " + os.strerror(err))
    try:
        fi = kbpf._cbuf(b"".join(struct.pack("<II", at, 4 + k) for k, at in enumerate(starts)))
        raw = kbpf.encode(insns)
        ib, lic = kbpf._cbuf(raw), ctypes.create_string_buffer(b"GPL")
        lb = ctypes.create_string_buffer(1 << 20)
        attr = bytearray(kbpf.ATTR_SIZE)
        struct.pack_into("<IIQQIIQII", attr, 0, kbpf.prog_type_num(prog_type), len(raw) // 8, kbpf._addr(ib),
                         kbpf._addr(lic), 1, len(lb), kbpf._addr(lb), 0, 0)
        struct.pack_into("<IIQI", attr, 72, btf_fd, 8, kbpf._addr(fi), len(starts))
        fd, err = kbpf._bpf(kbpf.BPF_PROG_LOAD, attr)
        return fd, err, lb.value.decode("utf-8", "replace"), 0
    finally:
        os.close(btf_fd)


def one(case):
    maps, fds = [], []
    res = {"id": case.get("id"), "load": [], "steps": [], "maps": []}
    try:
        try:
            for ms in case.get("maps", []):
                maps.append(kbpf.map_from_spec(ms))
        except kbpf.BPFError as e:
            res["error"] = "map: " + kbpf.errname(e.errno)
            return res
        for p in case["progs"]:
            insns = kbpf.apply_fixups(p["insns"], p.get("fixup"), maps)
            fd, err, log, _ = prog_load(insns, p.get("prog_type", "socket_filter"))
            fds.append(fd)
            res["load"].append("OK" if fd >= 0 else kbpf.errname(err))
            if fd < 0 and "load_error" not in res:
                lines = [ln for ln in log.strip().splitlines() if not ln.startswith(("processed", "verification"))]
                res["load_error"] = lines[-1] if lines else kbpf.errname(err)
        if any(fd < 0 for fd in fds):
            return res
        for mi, slot, pi in case.get("prog_array", []):
            maps[mi].update(slot, struct.pack("<I", fds[pi]))
        if case.get("trace"):
            open(TRACE, "w").write("")
        for st in case["steps"]:
            op = st["op"]
            if op == "run":
                data = bytes.fromhex(st["data"]) if st.get("data") is not None else None
                ctx = bytes.fromhex(st["ctx"]) if st.get("ctx") else None
                r = kbpf.test_run(fds[st["prog"]], data=data, ctx=ctx, repeat=st.get("repeat", 1))
                out = {"errno": r["errno_name"]}
                if r["ok"]:
                    out["retval"] = r["retval"]
                    out["data_out"] = r.get("data_out")
                    if ctx is not None:
                        out["ctx_out"] = r.get("ctx_out")
                res["steps"].append(out)
                continue
            m = maps[st["map"]]
            if op == "consume":
                res["steps"].append({"errno": "OK", "records": ringbuf_records(m)["records"]})
                continue
            key = bytes.fromhex(st["key"])
            try:
                if op == "update":
                    m.update(key, bytes.fromhex(st["value"]), st.get("flags", 0))
                    res["steps"].append({"errno": "OK"})
                elif op == "delete":
                    ok = m.delete(key)
                    res["steps"].append({"errno": "OK" if ok else "ENOENT"})
                elif op == "lookup":
                    v = m.lookup(key)
                    res["steps"].append({"errno": "OK", "value": v.hex()} if v is not None else {"errno": "ENOENT"})
            except kbpf.BPFError as e:
                res["steps"].append({"errno": kbpf.errname(e.errno)})
        for m in maps:
            if m.map_type == kbpf.MAP_TYPES["ringbuf"]:
                res["maps"].append(ringbuf_records(m))
            elif m.map_type == kbpf.MAP_TYPES["prog_array"]:
                res["maps"].append([[k.hex(), None] for k, _ in _prog_array_items(m)])
            else:
                res["maps"].append([[k.hex(), v.hex()] for k, v in m.items()])
        if case.get("trace"):
            res["trace"] = trace_lines()
        return res
    finally:
        for fd in fds:
            if fd >= 0:
                os.close(fd)
        for m in maps:
            m.close()


def _prog_array_items(m):
    out = []
    for i in range(m.max_entries):
        try:
            v = m.lookup(i)
        except kbpf.BPFError:
            v = None
        if v is not None:
            out.append((struct.pack("<I", i), v))
    return out


def main():
    os.sched_setaffinity(0, {0})
    if not os.path.exists(TRACE):
        os.system("mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null")
    # a case can print thousands of lines (tail-call loops): the default trace buffer would drop the oldest
    size_file = os.path.join(os.path.dirname(TRACE), "buffer_size_kb")
    old_size = open(size_file).read().split()[0]
    if int(old_size) < 16384:
        open(size_file, "w").write("16384")
    try:
        run_file(sys.argv[1], sys.argv[2])
    finally:
        if int(old_size) < 16384:
            open(size_file, "w").write(old_size)


def run_file(src, dst):
    with open(src) as f, open(dst, "w") as o:
        for line in f:
            if line.strip():
                case = json.loads(line)
                try:
                    r = one(case)
                except Exception as e:  # a map the kernel refuses and the like
                    r = {"id": case.get("id"), "error": "%s: %s" % (type(e).__name__, e)}
                o.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
