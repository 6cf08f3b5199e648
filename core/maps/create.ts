/**
 * `BPF_MAP_CREATE`: the kernel's attribute checks and the map of each type.
 *
 * `hash`, `array` and the 3.18 `unspec` follow Linux 3.19 (see maps.ts);
 * `percpu_array`, `percpu_hash`, `lru_hash`, `prog_array` and `ringbuf`
 * follow 6.18 (`array_map_alloc_check`, `htab_map_alloc_check`,
 * `fd_array_map_alloc_check`, `ringbuf_map_alloc`). Per-CPU maps get
 * `cpus` simulated CPUs ({@link DEFAULT_CPUS} unless given).
 *
 * | type | condition | errno |
 * |---|---|---|
 * | percpu_array, prog_array | key_size != 4, value_size 0, max_entries 0 | EINVAL |
 * | prog_array | value_size != 4 | EINVAL |
 * | percpu_hash, lru_hash | key_size, value_size or max_entries 0 | EINVAL |
 * | percpu_* | round_up(value_size, 8) > 32768 | E2BIG |
 * | lru_hash | BPF_F_NO_PREALLOC | ENOTSUPP |
 * | percpu_hash | BPF_F_NO_COMMON_LRU (an LRU flag) | EINVAL |
 * | ringbuf | key_size or value_size not 0, max_entries not a power of two multiple of 4096 | EINVAL |
 * | any of these | flags other than BPF_F_NO_PREALLOC (1, hash types), BPF_F_NO_COMMON_LRU (2, lru_hash), BPF_F_NUMA_NODE (4, not per-CPU), BPF_F_ZERO_SEED (0x40, hash types) | EINVAL |
 * | any | more than 256 MiB of keys and values (simulated allocation limit) | ENOMEM |
 *
 * The kernel also accepts the access flags (`BPF_F_RDONLY`, `_WRONLY`,
 * `_RDONLY_PROG`, `_WRONLY_PROG`); bpfscope does not model them and refuses
 * them with EINVAL.
 *
 * @module
 */
import { BpfError } from "../errors.ts";
import { MAX_BUCKETS, MAX_BYTES } from "./bytes.ts";
import { BPF_F_NO_COMMON_LRU, LruHashMap, MAP_TYPE_LRU_HASH } from "./lru.ts";
import {
  ArrayMap,
  BPF_F_NO_PREALLOC,
  BPF_F_ZERO_SEED,
  type BpfMap,
  HashMap,
  MAP_TYPE_ARRAY,
  MAP_TYPE_HASH,
  MAP_TYPE_UNSPEC,
  type MapCreateAttr,
  type MapProfile,
  UnspecMap,
} from "./maps.ts";
import {
  DEFAULT_CPUS,
  MAP_TYPE_PERCPU_ARRAY,
  MAP_TYPE_PERCPU_HASH,
  PCPU_MAX_VALUE,
  PercpuArrayMap,
  PercpuHashMap,
} from "./percpu.ts";
import { MAP_TYPE_PROG_ARRAY, ProgArrayMap } from "./prog_array.ts";
import { MAP_TYPE_RINGBUF, RingBufMap } from "./ringbuf.ts";

/** Map flag: allocate on the given NUMA node (no effect here). */
export const BPF_F_NUMA_NODE = 0x04;

/** The machine maps are created for. */
export interface MapMachine {
  /** Number of possible CPUs of per-CPU and LRU maps (default {@link DEFAULT_CPUS}). */
  cpus?: number;
}

function einval(msg: string): never {
  throw new BpfError("EINVAL", msg);
}

function checkFlags(what: string, flags: number, allowed: number): void {
  if ((flags & ~allowed) !== 0) {
    einval(`${what}: map_flags 0x${flags.toString(16)} not supported (allowed: 0x${allowed.toString(16)})`);
  }
}

function checkBytes(what: string, bytes: number): void {
  if (bytes > MAX_BYTES) throw new BpfError("ENOMEM", `${what}: too large (${bytes} bytes of keys and values)`);
}

/**
 * `BPF_MAP_CREATE`: validate the attributes as the kernel does and build the
 * map. `unspec` is accepted only with the `linux-3.18` profile.
 * @throws BpfError EINVAL, E2BIG, ENOMEM, ENOTSUPP (see this module's and core/maps' docs)
 */
export function createMap(a: MapCreateAttr, profile: MapProfile = "modern", machine: MapMachine = {}): BpfMap {
  const ks = a.keySize, vs = a.valueSize, n = a.maxEntries, flags = a.mapFlags ?? 0;
  for (const [k, v] of [["keySize", ks], ["valueSize", vs], ["maxEntries", n], ["mapFlags", flags]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BpfError("EINVAL", `${k} must be a u32`);
  }
  const cpus = machine.cpus ?? DEFAULT_CPUS;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) einval(`cpus must be an integer from 1 to 4096, got ${cpus}`);
  const stride = (vs + 7) & ~7;
  switch (a.mapType) {
    case MAP_TYPE_UNSPEC:
      if (profile !== "linux-3.18") {
        throw new BpfError("EINVAL", "map type unspec exists only in the linux-3.18 profile");
      }
      return new UnspecMap(a);
    case MAP_TYPE_HASH: {
      if (n === 0 || ks === 0 || vs === 0) {
        throw new BpfError("EINVAL", "hash: key_size, value_size and max_entries must be non-zero");
      }
      if ((flags & ~(BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED)) !== 0) {
        throw new BpfError("EINVAL", `hash: unsupported map_flags 0x${flags.toString(16)}`);
      }
      if (ks > 512) throw new BpfError("E2BIG", "hash: key_size > 512");
      if (n > MAX_BUCKETS || vs > MAX_BYTES) throw new BpfError("ENOMEM", "hash: too large");
      return new HashMap(a);
    }
    case MAP_TYPE_ARRAY: {
      if (ks !== 4 || vs === 0 || n === 0) {
        throw new BpfError("EINVAL", "array: key_size must be 4, value_size and max_entries non-zero");
      }
      if (flags !== 0) throw new BpfError("EINVAL", `array: unsupported map_flags 0x${flags.toString(16)}`);
      if (vs > MAX_BYTES || Math.ceil(vs / 8) * 8 * n > MAX_BYTES) throw new BpfError("ENOMEM", "array: too large");
      return new ArrayMap(a);
    }
    case MAP_TYPE_PROG_ARRAY: {
      if (vs !== 4) einval("prog_array: value_size must be 4 (a program fd)");
      if (ks !== 4 || n === 0) einval("prog_array: key_size must be 4, max_entries non-zero");
      checkFlags("prog_array", flags, BPF_F_NUMA_NODE);
      checkBytes("prog_array", 8 * n);
      return new ProgArrayMap(a);
    }
    case MAP_TYPE_PERCPU_ARRAY: {
      if (ks !== 4 || vs === 0 || n === 0) {
        einval("percpu_array: key_size must be 4, value_size and max_entries non-zero");
      }
      checkFlags("percpu_array", flags, 0);
      if (stride > PCPU_MAX_VALUE) {
        throw new BpfError("E2BIG", `percpu_array: round_up(value_size, 8) > ${PCPU_MAX_VALUE}`);
      }
      checkBytes("percpu_array", stride * cpus * n);
      return new PercpuArrayMap(a, cpus);
    }
    case MAP_TYPE_PERCPU_HASH:
    case MAP_TYPE_LRU_HASH: {
      const lru = a.mapType === MAP_TYPE_LRU_HASH, what = lru ? "lru_hash" : "percpu_hash";
      checkFlags(
        what,
        flags,
        BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED | (lru ? BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE : 0),
      );
      const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
      if (lru && (flags & BPF_F_NO_PREALLOC)) throw new BpfError("ENOTSUPP", "lru_hash: BPF_F_NO_PREALLOC");
      if (lru && percpuLru && (flags & BPF_F_NUMA_NODE)) einval("lru_hash: BPF_F_NUMA_NODE with BPF_F_NO_COMMON_LRU");
      if (n === 0 || ks === 0 || vs === 0) einval(`${what}: key_size, value_size and max_entries must be non-zero`);
      if (!lru && stride > PCPU_MAX_VALUE) throw new BpfError("E2BIG", `${what}: round_up(value_size, 8) > 32768`);
      let entries = n;
      if (percpuLru) {
        // each CPU's list gets the same number of nodes (htab_map_alloc)
        entries = Math.ceil(n / cpus) * cpus;
        if (entries > 0xffffffff) entries = Math.floor(n / cpus) * cpus;
        if (entries === 0) einval(`${what}: max_entries ${n} is fewer than the ${cpus} CPUs`);
      }
      if (entries > MAX_BUCKETS) throw new BpfError("ENOMEM", `${what}: too large`);
      checkBytes(what, entries * (ks + (lru ? stride : stride * cpus)));
      const attr = { ...a, maxEntries: entries };
      return lru ? new LruHashMap(attr, cpus) : new PercpuHashMap(attr, cpus);
    }
    case MAP_TYPE_RINGBUF: {
      checkFlags("ringbuf", flags, BPF_F_NUMA_NODE);
      if (ks !== 0 || vs !== 0) einval("ringbuf: key_size and value_size must be 0");
      if (n === 0 || (n & (n - 1)) !== 0 || n % 4096 !== 0) {
        einval(`ringbuf: max_entries ${n} is not a power of 2 multiple of 4096`);
      }
      checkBytes("ringbuf", n);
      return new RingBufMap(a);
    }
    default:
      throw new BpfError("EINVAL", `unsupported map type ${a.mapType}`);
  }
}
