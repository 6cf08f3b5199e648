// A second, deliberately naive re-implementation of the 3.18 / 3.19
// verifier (a literal transliteration of the spec) and a generator of random
// structured programs, shared by the differential and snapshot tests.
import { kernelInsnText } from "../core/asm/mod.ts";
import { type Insn, Program } from "../core/isa/mod.ts";

// ---------------------------------------------------------------- the model

const NOT_INIT = 0, INV = 1, CTX = 2, MAP_PTR = 3, MAP_VALUE = 4, MAP_OR_NULL = 5, FP = 6, STACK = 7, IMM = 8;
const NAMES = ["?", "inv", "ctx", "map_ptr", "map_value", "map_value_or_null", "fp", "fp", "imm"];
const INVALID = 0, SPILL = 1, SPILL_PART = 2, MISC = 3;
const ADDR_HI = 0xffff8800 | 0;
const addrLo = (k: number) => (0xd1b5c000 + k * 0x400) | 0;

interface Reg {
  type: number;
  imm: number; // low half of the 8-byte union
  hi: number; // high half
  map: number; // bookkeeping: which map (for ks/vs)
}
interface St {
  regs: Reg[];
  stype: number[]; // 512
  sreg: Reg[]; // 3.18: per byte (512); 3.19: per 8-byte slot (64)
}
const zreg = (): Reg => ({ type: NOT_INIT, imm: 0, hi: 0, map: -1 });
const cpReg = (r: Reg): Reg => ({ ...r });
const cpSt = (s: St): St => ({ regs: s.regs.map(cpReg), stype: [...s.stype], sreg: s.sreg.map(cpReg) });
const regEq = (a: Reg, b: Reg) => a.type === b.type && a.imm === b.imm && a.hi === b.hi;

export interface MapInfo {
  keySize: number;
  valueSize: number;
}

class Fail extends Error {
  constructor(readonly errno: string) {
    super(errno);
  }
}

export interface ModelResult {
  errno: string | null;
  log: string;
  processed: number;
  states: number;
  prunes: number;
}

export function model(p: Program, profile: "linux-3.18" | "linux-3.19", maps: Record<number, MapInfo>, prune: boolean) {
  const v319 = profile === "linux-3.19";
  const n = p.len;
  let log = "";
  const verbose = (s: string) => (log += s);
  const code = (i: number) => p.code(i), dst = (i: number) => p.dst(i), src = (i: number) => p.src(i);
  const off = (i: number) => p.off(i), imm = (i: number) => p.imm(i);
  const res = (errno: string | null, processed = 0, states = 0, prunes = 0): ModelResult => ({
    errno,
    log,
    processed,
    states,
    prunes,
  });

  // replace_map_fd_with_map_ptr
  const used: number[] = [];
  const mapOf: number[] = new Array(n).fill(-1);
  const patched = p.clone();
  for (let i = 0; i < n; i++) {
    if (code(i) !== 0x18) continue;
    if (i === n - 1 || code(i + 1) !== 0 || dst(i + 1) !== 0 || src(i + 1) !== 0 || off(i + 1) !== 0) {
      verbose("invalid bpf_ld_imm64 insn\n");
      return res("EINVAL");
    }
    if (src(i) !== 0) {
      if (src(i) !== 1) {
        verbose("unrecognized bpf_ld_imm64 insn\n");
        return res("EINVAL");
      }
      const fd = imm(i);
      if (!maps[fd]) {
        verbose(`fd ${fd} is not pointing to valid bpf_map\n`);
        return res(fd <= 2 && fd >= 0 ? "EINVAL" : "EBADF");
      }
      let k = used.indexOf(fd);
      if (k < 0) k = used.push(fd) - 1;
      mapOf[i] = k;
      patched.setImm(i, addrLo(k));
      patched.setImm(i + 1, ADDR_HI);
    }
    i++;
  }
  const mapInfo = (k: number) => maps[used[k]];

  // check_cfg
  const st = new Array(n).fill(0), mark = new Array(n).fill(false), stack: number[] = [0];
  st[0] = 0x10;
  const push = (t: number, w: number, e: number): number => {
    if (e === 1 && st[t] >= 0x11) return 0;
    if (e === 2 && st[t] >= 0x12) return 0;
    if (w < 0 || w >= n) {
      verbose(`jump out of range from insn ${t} to ${w}\n`);
      return -1;
    }
    if (e === 2) mark[w] = true;
    if (st[w] === 0) {
      st[t] = 0x10 | e;
      st[w] = 0x10;
      stack.push(w);
      return 1;
    }
    if ((st[w] & 0xf0) === 0x10) {
      verbose(`back-edge from insn ${t} to ${w}\n`);
      return -1;
    }
    st[t] = 0x10 | e;
    return 0;
  };
  cfg: while (stack.length) {
    const t = stack[stack.length - 1];
    const c = code(t);
    let r: number;
    if ((c & 7) === 5 && (c & 0xf0) === 0x90) {
      // exit
    } else if ((c & 7) === 5 && (c & 0xf0) === 0x80) {
      if ((r = push(t, t + 1, 1)) === 1) continue cfg;
      if (r < 0) return res("EINVAL");
    } else if ((c & 7) === 5 && (c & 0xf0) === 0) {
      if (c & 8) return res("EINVAL");
      if ((r = push(t, t + off(t) + 1, 1)) === 1) continue cfg;
      if (r < 0) return res("EINVAL");
      if (t + 1 < n) mark[t + 1] = true;
    } else if ((c & 7) === 5) {
      if ((r = push(t, t + 1, 1)) === 1) continue cfg;
      if (r < 0) return res("EINVAL");
      if ((r = push(t, t + off(t) + 1, 2)) === 1) continue cfg;
      if (r < 0) return res("EINVAL");
    } else {
      if ((r = push(t, t + 1, 1)) === 1) continue cfg;
      if (r < 0) return res("EINVAL");
    }
    st[t] = 0x20;
    stack.pop();
  }
  for (let i = 0; i < n; i++) {
    if (st[i] !== 0x20) {
      verbose(`unreachable insn ${i}\n`);
      return res("EINVAL");
    }
  }

  // do_check
  let cur: St = {
    regs: Array.from({ length: 11 }, zreg),
    stype: new Array(512).fill(INVALID),
    sreg: Array.from({ length: v319 ? 64 : 512 }, zreg),
  };
  cur.regs[1].type = CTX;
  cur.regs[10].type = FP;
  const explored: St[][] = Array.from({ length: n }, () => []);
  const pending: Array<{ st: St; idx: number; prev: number }> = [];
  let processed = 0, states = 0, prunes = 0;
  const fail = (errno: string, msg: string): never => {
    if (msg) verbose(msg + "\n");
    throw new Fail(errno);
  };
  const regText = (r: Reg) => {
    let t = NAMES[r.type];
    if (r.type === IMM || r.type === STACK) t += r.imm;
    if (r.type === MAP_PTR || r.type === MAP_VALUE || r.type === MAP_OR_NULL) {
      const m = mapInfo(r.map);
      t += `(ks=${m.keySize},vs=${m.valueSize})`;
    }
    return t;
  };
  const printState = () => {
    let s = "";
    cur.regs.forEach((r, i) => {
      if (r.type !== NOT_INIT) s += ` R${i}=${regText(r)}`;
    });
    for (let i = 0; i < 512; i += v319 ? 8 : 1) {
      if (cur.stype[i] === SPILL) s += ` fp${i - 512}=${NAMES[(v319 ? cur.sreg[i / 8] : cur.sreg[i]).type]}`;
    }
    verbose(s + "\n");
  };
  const markUnknown = (r: number) => (cur.regs[r] = { type: INV, imm: 0, hi: 0, map: -1 });
  const checkReg = (r: number, t: "src" | "dst" | "dst_nomark") => {
    if (r >= 11) fail("EINVAL", `R${r} is invalid`);
    if (t === "src") {
      if (cur.regs[r].type === NOT_INIT) fail("EACCES", `R${r} !read_ok`);
    } else {
      if (r === 10) fail("EACCES", "frame pointer is read only");
      if (t === "dst") markUnknown(r);
    }
  };
  const statesEqual = (old: St, c: St) => {
    for (let i = 0; i < 11; i++) {
      if (regEq(old.regs[i], c.regs[i])) continue;
      if (old.regs[i].type === NOT_INIT) continue;
      if (old.regs[i].type === INV && c.regs[i].type !== NOT_INIT) continue;
      return false;
    }
    for (let i = 0; i < 512; i++) {
      if (v319) {
        if (old.stype[i] === INVALID) continue;
        if (old.stype[i] !== c.stype[i]) return false;
        if (i % 8) continue;
        if (!regEq(old.sreg[i / 8], c.sreg[i / 8])) return false;
      } else {
        if (old.stype[i] === c.stype[i] && regEq(old.sreg[i], c.sreg[i])) continue;
        if (old.stype[i] === INVALID) continue;
        return false;
      }
    }
    return true;
  };
  const stackWrite = (o: number, size: number, vr: number) => {
    const t = vr >= 0 ? cur.regs[vr].type : NOT_INIT;
    if (t === MAP_VALUE || t === STACK || t === CTX) {
      if (size !== 8) fail("EACCES", "invalid size of register spill");
      if (v319) {
        cur.sreg[(512 + o) / 8] = cpReg(cur.regs[vr]);
        for (let i = 0; i < 8; i++) cur.stype[512 + o + i] = SPILL;
      } else {
        cur.stype[512 + o] = SPILL;
        cur.sreg[512 + o] = cpReg(cur.regs[vr]);
        for (let i = 1; i < 8; i++) {
          cur.stype[512 + o + i] = SPILL_PART;
          cur.sreg[512 + o + i] = { type: INV, imm: 0, hi: 0, map: -1 };
        }
      }
    } else {
      if (v319) cur.sreg[Math.floor((512 + o) / 8)] = zreg();
      for (let i = 0; i < size; i++) {
        cur.stype[512 + o + i] = MISC;
        if (!v319) cur.sreg[512 + o + i] = { type: INV, imm: 0, hi: 0, map: -1 };
      }
    }
  };
  const stackRead = (o: number, size: number, vr: number) => {
    if (cur.stype[512 + o] === SPILL) {
      if (size !== 8) fail("EACCES", "invalid size of register spill");
      for (let i = 1; i < 8; i++) {
        if (cur.stype[512 + o + i] !== (v319 ? SPILL : SPILL_PART)) fail("EACCES", "corrupted spill memory");
      }
      if (vr >= 0) cur.regs[vr] = cpReg(v319 ? cur.sreg[(512 + o) / 8] : cur.sreg[512 + o]);
    } else {
      for (let i = 0; i < size; i++) {
        if (cur.stype[512 + o + i] !== MISC) fail("EACCES", `invalid read from stack off ${o}+${i} size ${size}`);
      }
      if (vr >= 0) markUnknown(vr);
    }
  };
  const memAccess = (r: number, o: number, sz: number, write: boolean, vr: number) => {
    const size = [4, 2, 1, 8][sz >> 3];
    if (o % size !== 0) fail("EACCES", `misaligned access off ${o} size ${size}`);
    const reg = cur.regs[r];
    if (reg.type === MAP_VALUE) {
      const vs = mapInfo(reg.map).valueSize;
      if (o < 0 || o + size > vs) {
        fail("EACCES", `invalid access to map value, value_size=${vs} off=${o} size=${size}`);
      }
      if (!write && vr >= 0) markUnknown(vr);
    } else if (reg.type === CTX) {
      const ok = p.progType === 0 && !write && size === 8 && (o === 0 || o === 8);
      if (!ok) fail("EACCES", `invalid bpf_context access off=${o} size=${size}`);
      if (!write && vr >= 0) markUnknown(vr);
    } else if (reg.type === FP) {
      if (o >= 0 || o < -512) fail("EACCES", `invalid stack off=${o} size=${size}`);
      if (write) stackWrite(o, size, vr);
      else stackRead(o, size, vr);
    } else {
      fail("EACCES", `R${r} invalid mem access '${NAMES[reg.type]}'`);
    }
  };
  const stackBoundary = (r: number, size: number) => {
    const reg = cur.regs[r];
    if (reg.type !== STACK) fail("EACCES", "");
    const o = reg.imm;
    if (o >= 0 || o < -512 || o + size > 0 || size <= 0) {
      fail("EACCES", `invalid stack type R${r} off=${o} access_size=${size}`);
    }
    for (let i = 0; i < size; i++) {
      if (cur.stype[512 + o + i] !== MISC) {
        fail("EACCES", `invalid indirect read from stack off ${o}+${i} size ${size}`);
      }
    }
  };
  // helper prototypes: [gplOnly, ret (0 int, 2 map_or_null), args] with args 0 dontcare, 1 map, 2 key, 3 value, 6 anything
  const proto = (id: number): [boolean, number, number[]] | null => {
    if (!v319) return id === 0 ? [true, 2, [1, 2, 0, 0, 0]] : null;
    return id === 1
      ? [false, 2, [1, 2, 0, 0, 0]]
      : id === 2
      ? [false, 0, [1, 2, 3, 6, 0]]
      : id === 3
      ? [false, 0, [1, 2, 0, 0, 0]]
      : null;
  };
  const call = (id: number) => {
    if (id < 0 || id >= (v319 ? 4 : 1)) fail("EINVAL", `invalid func ${id}`);
    const fn = proto(id);
    if (!fn) fail("EINVAL", `unknown func ${id}`);
    const [gpl, ret, args] = fn!;
    if (gpl && p.license !== "GPL") fail("EINVAL", "cannot call GPL only function from proprietary program");
    let map = -1;
    for (let a = 0; a < 5; a++) {
      const r = a + 1, at = args[a], reg = cur.regs[r];
      if (at === 0) continue;
      if (reg.type === NOT_INIT) fail("EACCES", `R${r} !read_ok`);
      if (at === 6) continue;
      const exp = at === 1 ? MAP_PTR : STACK;
      if (reg.type !== exp) fail("EACCES", `R${r} type=${NAMES[reg.type]} expected=${NAMES[exp]}`);
      if (at === 1) map = reg.map;
      else stackBoundary(r, at === 2 ? mapInfo(map).keySize : mapInfo(map).valueSize);
    }
    for (let r = 0; r <= 5; r++) {
      cur.regs[r].type = NOT_INIT;
      cur.regs[r].imm = 0;
    }
    if (ret === 0) cur.regs[0].type = INV;
    else cur.regs[0] = { type: MAP_OR_NULL, imm: addrLo(map), hi: ADDR_HI, map };
  };

  let idx = 0, prev = 0, printFrom = false;
  try {
    for (;;) {
      if (idx >= n) fail("EFAULT", `invalid insn idx ${idx} insn_cnt ${n}`);
      if (++processed > 32768) fail("E2BIG", `BPF program is too large. Proccessed ${processed} insn`);
      let pruned = false;
      if (prune && mark[idx]) {
        if (explored[idx].some((old) => statesEqual(old, cur))) pruned = true;
        else {
          explored[idx].unshift(cpSt(cur));
          states++;
        }
      }
      let exit = false;
      if (pruned) {
        prunes++;
        verbose(printFrom ? `\nfrom ${prev} to ${idx}: safe\n` : `${idx}: safe\n`);
        exit = true;
      } else {
        if (printFrom) {
          verbose(`\nfrom ${prev} to ${idx}:`);
          printState();
          printFrom = false;
        }
        verbose(`${idx}: ${kernelInsnText(patched, idx)}\n`);
        const c = code(idx), cls = c & 7, d = dst(idx), s = src(idx), o = off(idx), k = imm(idx);
        let next = idx + 1;
        if (cls === 4 || cls === 7) {
          const op = c & 0xf0, x = c & 8;
          if (op === 0x80 || op === 0xd0) {
            if (op === 0x80 && (x || s || o || k)) fail("EINVAL", "BPF_NEG uses reserved fields");
            if (op === 0xd0 && (s || o || (k !== 16 && k !== 32 && k !== 64))) {
              fail("EINVAL", "BPF_END uses reserved fields");
            }
            checkReg(d, "src");
            checkReg(d, "dst");
          } else if (op === 0xb0) {
            if (x ? k || o : s || o) fail("EINVAL", "BPF_MOV uses reserved fields");
            if (x) checkReg(s, "src");
            checkReg(d, "dst");
            if (x && cls === 7) cur.regs[d] = cpReg(cur.regs[s]);
            else if (!x) {
              cur.regs[d].type = IMM;
              cur.regs[d].imm = k;
            }
          } else if (op > 0xd0) {
            fail("EINVAL", `invalid BPF_ALU opcode ${op.toString(16)}`);
          } else {
            if (x ? k || o : s || o) fail("EINVAL", "BPF_ALU uses reserved fields");
            if (x) checkReg(s, "src");
            checkReg(d, "src");
            if ((op === 0x30 || op === 0x90) && !x && k === 0) fail("EINVAL", "div by zero");
            const rel = op === 0 && cls === 7 && !x && cur.regs[d].type === FP;
            checkReg(d, "dst");
            if (rel) {
              cur.regs[d].type = STACK;
              cur.regs[d].imm = k;
            }
          }
        } else if (cls === 1) {
          if ((c & 0xe0) !== 0x60 || k) fail("EINVAL", "BPF_LDX uses reserved fields");
          checkReg(s, "src");
          checkReg(d, "dst_nomark");
          memAccess(s, o, c & 0x18, false, d);
        } else if (cls === 3) {
          if ((c & 0xe0) === 0xc0) {
            if (((c & 0x18) !== 0 && (c & 0x18) !== 0x18) || k) fail("EINVAL", "BPF_XADD uses reserved fields");
            checkReg(s, "src");
            checkReg(d, "src");
            memAccess(d, o, c & 0x18, false, -1);
            memAccess(d, o, c & 0x18, true, -1);
          } else {
            if ((c & 0xe0) !== 0x60 || k) fail("EINVAL", "BPF_STX uses reserved fields");
            checkReg(s, "src");
            checkReg(d, "src");
            memAccess(d, o, c & 0x18, true, s);
          }
        } else if (cls === 2) {
          if ((c & 0xe0) !== 0x60 || s) fail("EINVAL", "BPF_ST uses reserved fields");
          checkReg(d, "src");
          memAccess(d, o, c & 0x18, true, -1);
        } else if (cls === 5) {
          const op = c & 0xf0, x = c & 8;
          if (op === 0x80) {
            if (x || o || s || d) fail("EINVAL", "BPF_CALL uses reserved fields");
            call(k);
          } else if (op === 0) {
            if (x || k || s || d) fail("EINVAL", "BPF_JA uses reserved fields");
            next = idx + o + 1;
          } else if (op === 0x90) {
            if (x || k || s || d) fail("EINVAL", "BPF_EXIT uses reserved fields");
            checkReg(0, "src");
            exit = true;
          } else {
            if (op > 0x90) fail("EINVAL", `invalid BPF_JMP opcode ${op.toString(16)}`);
            if (x) {
              if (k) fail("EINVAL", "BPF_JMP uses reserved fields");
              checkReg(s, "src");
            } else if (s) fail("EINVAL", "BPF_JMP uses reserved fields");
            checkReg(d, "src");
            const eqne = !x && (op === 0x10 || op === 0x50);
            const r = cur.regs[d];
            if (eqne && r.type === IMM && r.imm === k) {
              if (op === 0x10) next = idx + o + 1;
            } else {
              const other = cpSt(cur);
              pending.push({ st: other, idx: idx + o + 1, prev: idx });
              if (pending.length > 1024) fail("EFAULT", "BPF program is too complex");
              const od = other.regs[d];
              if (eqne && k === 0 && r.type === MAP_OR_NULL) {
                if (op === 0x10) {
                  r.type = MAP_VALUE;
                  od.type = IMM;
                  od.imm = 0;
                } else {
                  od.type = MAP_VALUE;
                  r.type = IMM;
                  r.imm = 0;
                }
              } else if (eqne) {
                const t = op === 0x10 ? od : r;
                t.type = IMM;
                t.imm = k;
              }
              printState();
            }
          }
        } else if (cls === 0) {
          const mode = c & 0xe0;
          if (mode === 0x20 || mode === 0x40) {
            if (!v319) fail("EINVAL", "LD_ABS is not supported yet");
            if (p.progType !== 1) fail("EINVAL", "BPF_LD_ABS|IND instructions are only allowed in socket filters");
            if (d || o || (mode === 0x20 && s)) fail("EINVAL", "BPF_LD_ABS uses reserved fields");
            checkReg(6, "src");
            if (cur.regs[6].type !== CTX) fail("EINVAL", "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
            if (mode === 0x40) checkReg(s, "src");
            for (let r = 0; r <= 5; r++) {
              cur.regs[r].type = NOT_INIT;
              cur.regs[r].imm = 0;
            }
            cur.regs[0].type = INV;
          } else if (mode === 0) {
            if ((c & 0x18) !== 0x18) fail("EINVAL", "invalid BPF_LD_IMM insn");
            if (o) fail("EINVAL", "BPF_LD_IMM64 uses reserved fields");
            checkReg(d, "dst");
            if (s === 1) cur.regs[d] = { type: MAP_PTR, imm: addrLo(mapOf[idx]), hi: ADDR_HI, map: mapOf[idx] };
            next = idx + 2;
          } else fail("EINVAL", "invalid BPF_LD mode");
        } else fail("EINVAL", `unknown insn class ${cls}`);
        idx = next;
      }
      if (exit) {
        const e = pending.pop();
        if (!e) break;
        cur = e.st;
        idx = e.idx;
        prev = e.prev;
        printFrom = true;
      }
    }
  } catch (e) {
    if (e instanceof Fail) return res(e.errno, processed, states, prunes);
    throw e;
  }
  return res(null, processed, states, prunes);
}

// ---------------------------------------------------------------- random programs

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

export function randomProgram(seed: number, profile: string): Program {
  const r = rng(seed);
  const out: Insn[] = [];
  const I = (code: number, dst = 0, src = 0, off = 0, imm = 0) => out.push({ code, dst, src, off, imm });
  const imms = [0, 1, -1, 5, 8];
  // mostly initialised registers; now and then one that may not be
  const reg = () => r(25) === 0 ? [1, 2, 4, 5, 9, 10][r(6)] : [0, 3, 6, 7, 8][r(5)];
  const slot = () => -8 * (1 + r(4)) + (r(16) === 0 ? 4 : 0);
  /** one straight-line op (1 or 2 slots) */
  const simple = () => {
    switch (r(18)) {
      case 0:
        return I(0xb7, reg(), 0, 0, imms[r(5)]);
      case 1:
        return I(0xbf, reg(), [0, 3, 6, 7, 8, 10, 1][r(7)]);
      case 2:
        I(0xbf, [2, 3, 7][r(3)], 10);
        return I(0x07, out[out.length - 1].dst, 0, 0, slot());
      case 3:
        return I(0x7a, 10, 0, slot(), imms[r(5)]);
      case 4:
        return I(0x7b, 10, reg(), slot());
      case 5:
        return I(0x79, reg(), 10, slot());
      case 6:
        return I([0x63, 0x73, 0x6b][r(3)], 10, reg(), slot() + (r(2) ? 4 : 0));
      case 7:
        return I(0x79, reg(), 6, r(3) * 8); // r6 = ctx in the prologue
      case 8:
        return I(0x07, reg(), 0, 0, imms[r(5)]);
      case 9:
        return I(0xdb, 10, reg(), slot());
      case 10:
        return I(0xbf, 6, 1);
      case 11:
        I(0x18, r(4) ? 1 : 4, 1, 0, 3);
        return I(0x00);
      case 12:
        return I(0x7b, 10, [1, 2, 3, 10][r(4)], -8 * (1 + r(4)));
      case 13:
        if (profile === "linux-3.19" && r(2)) return I([0x30, 0x50][r(2)], 0, r(2) ? 0 : 3, 0, r(16));
        return I(0xb7, reg(), 0, 0, 0);
      case 14:
        if (r(4)) return I(0xb7, reg(), 0, 0, 1);
        return I([0x7a, 0x79, 0x62][r(3)], 0, 0, [0, 4, 8][r(3)]);
      case 16: {
        // spill a pointer, then overwrite half of its slot with data (3.19 prints fp-N=?)
        const o = -8 * (1 + r(4));
        I(0x7b, 10, [6, 6, 2][r(3)], o);
        return I(0x62, 10, 0, o + 4 * r(2), 0);
      }
      default:
        return I(0x0f, reg(), reg());
    }
  };
  const cond = (off: number) => {
    const k = r(6);
    if (k === 5) return I(0x1d, reg(), reg(), off);
    if (k === 4) return I(0x25, reg(), 0, off, r(3));
    return I([0x15, 0x55][r(2)], reg(), 0, off, imms[r(5)]);
  };
  /** a block: `simple` ops, a skip, a diamond, an early exit or a map lookup */
  const block = (depth: number) => {
    const k = r(8);
    if (k <= 2 || depth > 2) return simple();
    if (k === 3) {
      // if cond goto +n; <n ops>
      const at = out.length;
      cond(0);
      const n0 = out.length;
      block(depth + 1);
      out[at].off = out.length - n0;
      return;
    }
    if (k === 4) {
      // if cond goto L1; A; goto L2; L1: B; L2:
      const at = out.length;
      cond(0);
      const a0 = out.length;
      block(depth + 1);
      const ja = out.length;
      I(0x05);
      out[at].off = out.length - a0;
      const b0 = out.length;
      block(depth + 1);
      out[ja].off = out.length - b0;
      return;
    }
    if (k === 5) {
      // if cond goto +2; r0 = 0; exit
      cond(2);
      I(0xb7, 0, 0, 0, 0);
      return I(0x95);
    }
    // lookup (3.18: helper 0, 3.19: 1..3) with a null check
    I(0x7a, 10, 0, -8, 0);
    I(0xbf, 2, 10);
    I(0x07, 2, 0, 0, r(30) ? -8 : -4);
    I(0x18, 1, 1, 0, 3);
    I(0x00);
    if (profile === "linux-3.19" && r(3) === 0) {
      I(0xbf, 3, 10);
      I(0x07, 3, 0, 0, -8);
      I(0xb7, 4, 0, 0, 0);
    }
    I(0x85, 0, 0, 0, profile === "linux-3.18" ? (r(10) ? 0 : 1) : [1, 1, 2, 3][r(4)]);
    const at = out.length;
    I(r(10) ? 0x15 : 0x55, 0, 0, 0, 0);
    const n0 = out.length;
    const [c, d, sr] = [[0x7a, 0, 0], [0x79, 7, 0], [0x7b, 0, 6], [0x62, 0, 0]][r(4)];
    I(c, d, sr, [0, 0, 0, 0, 4, 8][r(6)]);
    if (r(2)) block(depth + 1);
    out[at].off = out.length - n0;
  };
  // prologue: r6 = ctx, r0/r3/r7/r8 constants, maybe a key
  I(0xbf, 6, 1);
  for (const d of [0, 3, 7, 8]) I(0xb7, d, 0, 0, imms[r(5)]);
  for (let o = -32; o < 0; o += 8) if (r(3)) I(0x7a, 10, 0, o, 0);
  const len = 2 + r(7);
  for (let i = 0; i < len; i++) block(0);
  I(0xb7, 0, 0, 0, 0);
  I(0x95);
  return Program.fromInsns(out, { progType: profile === "linux-3.19" && r(3) === 0 ? 1 : 0 });
}

export const MAP_318 = { type: 0, keySize: 8, valueSize: 8, maxEntries: 4 };
export const MAP_319 = { type: 1, keySize: 8, valueSize: 8, maxEntries: 4 };
