// The kernel's ALU golden vectors (kbpf.py alu-fuzz on Linux 6.18): every case's
// body gives the kernel's registers, and every full program gives the kernel's map value.
import assert from "node:assert/strict";
import { Bpf } from "../core/bpf.ts";
import { Interpreter } from "../core/vm/mod.ts";
import { mapDef } from "../core/isa/mod.ts";
import { progFromSlots, TESTS_DIR } from "./vm_util.ts";

interface Case {
  insns: number[][];
  body_range: [number, number];
  expect_regs: string[];
  expect_retval: number;
  maps: Array<{ type: string; key_size: number; value_size: number; max_entries: number }>;
  fixup: Array<[number, number]>;
}

function cases(dir: string): Array<[string, Case]> {
  const root = `${TESTS_DIR}data/vectors/alu/${dir}`;
  const names = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => /^case_\d+\.json$/.test(n)).sort();
  return names.map((n) => [n, JSON.parse(Deno.readTextFileSync(`${root}/${n}`))]);
}

for (const dir of ["v1_seed1", "v4_seed4"]) {
  const all = cases(dir);
  Deno.test(`alu vectors ${dir}: ${all.length} bodies give the kernel's r0..r9`, () => {
    assert.equal(all.length, 200);
    for (const [name, c] of all) {
      const body = c.insns.slice(c.body_range[0], c.body_range[1]).concat([[0x95, 0, 0, 0, 0]]);
      const r = new Interpreter(progFromSlots(body)).run({}, { regs: true });
      assert.equal(r.fault, null, `${dir}/${name}: ${r.fault?.message}`);
      assert.deepEqual(r.regs!.slice(0, 10).map(String), c.expect_regs, `${dir}/${name}`);
    }
  });

  Deno.test(`alu vectors ${dir}: full programs give the kernel's map value and retval`, () => {
    for (const [name, c] of all) {
      const bpf = new Bpf({ verify: null });
      const fds = c.maps.map((m) =>
        bpf.mapCreate({ mapType: 2, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries })
      );
      const prog = progFromSlots(c.insns);
      const p = prog.clone({
        maps: c.maps.map((m) =>
          mapDef({ type: 2, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries })
        ),
        fixups: c.fixup,
      });
      const { fd } = bpf.progLoad({ insns: p.withMapFds(fds), progType: 1 });
      const r = bpf.progTestRun(fd, { data: new Uint8Array(64) });
      assert.equal(r.fault, null, `${dir}/${name}: ${r.fault?.message}`);
      assert.equal(r.retval, c.expect_retval);
      const v = new DataView(bpf.mapLookupElem(fds[0], new Uint8Array(4)).buffer);
      const got = Array.from({ length: 10 }, (_, i) => v.getBigUint64(i * 8, true).toString());
      assert.deepEqual(got, c.expect_regs, `${dir}/${name}`);
    }
  });
}
