import assert from "node:assert/strict";
import { FormatError } from "../core/errors.ts";
import { mapDef, Program } from "../core/isa/mod.ts";
import {
  decodeJson,
  decodeProgram,
  encodeAsm,
  encodeByExtension,
  encodeJson,
  encodeRaw,
  formatOfPath,
  MAX_SLOTS,
} from "../core/formats/mod.ts";

const enc = new TextEncoder();

function decodeText(text: string, name = "prog.json"): Program {
  return decodeProgram(enc.encode(text), name);
}

function formatError(f: () => unknown, message: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${(e as Error)?.stack ?? e}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

function sameProgram(a: Program, b: Program): void {
  assert.deepEqual([...a.bytes], [...b.bytes]);
  assert.deepEqual(a.fixups, b.fixups);
  assert.equal(a.progType, b.progType);
  assert.equal(a.license, b.license);
  assert.equal(a.maps.length, b.maps.length);
  for (let i = 0; i < a.maps.length; i++) {
    const x = a.maps[i], y = b.maps[i];
    assert.deepEqual(
      [x.type, x.keySize, x.valueSize, x.maxEntries, x.flags, x.init.map(([k, v]) => [[...k], [...v]])],
      [y.type, y.keySize, y.valueSize, y.maxEntries, y.flags, y.init.map(([k, v]) => [[...k], [...v]])],
    );
  }
}

const EXAMPLE = `{
  "prog_type": "unspec",
  "license": "GPL",
  "maps": [
    { "name": "counts", "type": "hash", "key_size": 8, "value_size": 8, "max_entries": 1024,
      "init": [["0000000000000000", "0500000000000000"]] }
  ],
  "insns": [
    [122, 10, 0, -8, 0],
    [191, 2, 10, 0, 0],
    [7, 2, 0, 0, -8],
    [24, 1, 1, 0, 0], [0, 0, 0, 0, 0],
    [133, 0, 0, 0, 1],
    [183, 0, 0, 0, 0],
    [149, 0, 0, 0, 0]
  ],
  "fixup": [[3, 0]],
  "comment": "unknown keys are ignored"
}`;

Deno.test("formats: the reference JSON example decodes", () => {
  const p = decodeText(EXAMPLE);
  assert.equal(p.len, 8);
  assert.deepEqual(p.insn(0), { code: 122, dst: 10, src: 0, off: -8, imm: 0 });
  assert.deepEqual(p.insn(2), { code: 7, dst: 2, src: 0, off: 0, imm: -8 });
  assert.equal(p.maps[0].name, "counts");
  assert.equal(p.maps[0].type, 1);
  assert.equal(p.maps[0].maxEntries, 1024);
  assert.deepEqual([...p.maps[0].init[0][1]], [5, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(p.fixups, [[3, 0]]);
  assert.equal(p.progType, 0);
  assert.equal(p.license, "GPL");
  assert.equal(p.origin.file, "prog.json");
});

Deno.test("formats: slot forms, numeric types, unsigned imm, bare arrays", () => {
  const p = decodeText(
    `{"prog_type": 1, "maps": [{"type": 2, "key_size": 4, "value_size": 8, "max_entries": 1}],
      "insns": ["b700000001000000", {"code": 183, "imm": 4294967295}, [149, 0, 0, 0, 0]]}`,
  );
  assert.equal(p.progType, 1);
  assert.equal(p.maps[0].name, "map0");
  assert.equal(p.maps[0].type, 2);
  assert.deepEqual(p.insn(0), { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 });
  assert.deepEqual(p.insn(1), { code: 0xb7, dst: 0, src: 0, off: 0, imm: -1 });
  const q = decodeText(`[[183, 0, 0, 0, 7], [149, 0, 0, 0, 0]]`, "x.json");
  assert.equal(q.len, 2);
  assert.equal(q.imm(0), 7);
  const h = decodeText(`["18a1f0ff78563412", "0000000000000000"]`, "x.json");
  assert.deepEqual(h.insn(0), { code: 0x18, dst: 1, src: 10, off: -16, imm: 0x12345678 });
});

Deno.test("formats: JSON errors name the slot or field", () => {
  const cases: Array<[string, string | RegExp]> = [
    [
      `{"insns": [[183,0,0,0,0],[183,0,0,0,0],[183,0,0,0,0],[7,1,0,40000,0]]}`,
      "prog.json: insns[3]: off 40000 is out of range (-32768..32767)",
    ],
    [`{"insns": [[256,0,0,0,0]]}`, "prog.json: insns[0]: code 256 is out of range (0..255)"],
    [`{"insns": [[7,16,0,0,0]]}`, "prog.json: insns[0]: dst 16 is out of range (0..15)"],
    [`{"insns": [[7,0,-1,0,0]]}`, "prog.json: insns[0]: src -1 is out of range (0..15)"],
    [
      `{"insns": [[7,0,0,0,4294967296]]}`,
      "prog.json: insns[0]: imm 4294967296 is out of range (-2147483648..4294967295)",
    ],
    [`{"insns": [[7,0,0,0,1.5]]}`, "prog.json: insns[0]: imm must be an integer, found number 1.5"],
    [`{"insns": [[7,0,0,"0",0]]}`, `prog.json: insns[0]: off must be an integer, found the string "0"`],
    [`{"insns": [[7,0,0,0]]}`, "prog.json: insns[0]: expected 5 integers [code, dst, src, off, imm], found 4 elements"],
    [`{"insns": [null]}`, /^prog\.json: insns\[0\]: expected a slot .*found null$/],
    [`{"insns": ["b7000000"]}`, /^prog\.json: insns\[0\]: a string slot must be 16 hex digits/],
    [`{"insns": [{"dst": 1}]}`, "prog.json: insns[0]: slot object has no 'code'"],
    [`{"insns": {}}`, "prog.json: insns: expected an array of slots, found an object"],
    [`{"insns": []}`, "prog.json: insns: the program has no instructions"],
    [`{"maps": []}`, "prog.json: missing 'insns'"],
    [`42`, "prog.json: expected an object with 'insns' or an array of slots, found number 42"],
    [`{"insns": [[149,0,0,0,0]]`, /^prog\.json: invalid JSON: /],
    [``, "prog.json: empty file"],
    [`{"insns": [[149,0,0,0,0]], "prog_type": "bogus"}`, `prog.json: prog_type: unknown program type "bogus"`],
    [
      `{"insns": [[149,0,0,0,0]], "prog_type": true}`,
      /^prog\.json: prog_type: program type must be a name or a number/,
    ],
    [`{"insns": [[149,0,0,0,0]], "license": 3}`, "prog.json: license: expected a string, found number 3"],
    [`{"insns": [[149,0,0,0,0]], "maps": {}}`, "prog.json: maps: expected an array, found an object"],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": "hash", "key_size": 8, "value_size": 8}]}`,
      "prog.json: maps[0]: missing 'max_entries'",
    ],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": "hashy", "key_size": 8, "value_size": 8, "max_entries": 1}]}`,
      `prog.json: maps[0].type: unknown map type "hashy"`,
    ],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": 1, "key_size": -8, "value_size": 8, "max_entries": 1}]}`,
      "prog.json: maps[0].key_size: key_size -8 is out of range (0..4294967295)",
    ],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": 1, "key_size": 4, "value_size": 8, "max_entries": 1,
       "init": [["00", "0000000000000000"]]}]}`,
      "prog.json: maps[0].init[0][0]: key is 1 bytes, key_size is 4",
    ],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": 1, "key_size": 1, "value_size": 1, "max_entries": 1,
       "init": [["zz", "00"]]}]}`,
      /^prog\.json: maps\[0\]\.init\[0\]\[0\]: expected a string of hex byte pairs/,
    ],
    [
      `{"insns": [[149,0,0,0,0]], "maps": [{"type": 1, "key_size": 1, "value_size": 1, "max_entries": 1}],
       "fixup": [[5, 0]]}`,
      "prog.json: fixup[0]: slot 5 is out of range (0..0)",
    ],
    [
      `{"insns": [[149,0,0,0,0]], "fixup": [[0, 0]]}`,
      "prog.json: fixup[0]: refers to a map, but the program declares no maps",
    ],
    [`{"insns": [[149,0,0,0,0]], "fixup": [0]}`, "prog.json: fixup[0]: expected [slot, map_index], found number 0"],
  ];
  for (const [text, want] of cases) formatError(() => decodeText(text), want);
});

Deno.test("formats: raw programs and their errors", () => {
  const b = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const p = decodeProgram(b, "p.bin");
  assert.equal(p.len, 2);
  assert.equal(p.imm(0), 2);
  assert.deepEqual([...encodeRaw(p)], [...b]);
  formatError(
    () => decodeProgram(b.subarray(0, 13), "p.bin"),
    "p.bin: 13 bytes is not a whole number of 8-byte slots (5 trailing bytes)",
  );
  formatError(() => decodeProgram(new Uint8Array(0), "p.raw"), /^p\.raw: empty file/);
  formatError(
    () => decodeProgram(new Uint8Array((MAX_SLOTS + 1) * 8), "big.bin"),
    `big.bin: ${MAX_SLOTS + 1} slots is more than the limit of ${MAX_SLOTS}`,
  );
  // a misaligned view is copied, not rejected
  const buf = new Uint8Array(17);
  buf.set(b, 1);
  assert.equal(decodeProgram(buf.subarray(1), "p.bin").imm(0), 2);
});

Deno.test("formats: the slot cap applies to JSON and assembly too", () => {
  const many = "[" + Array(MAX_SLOTS + 1).fill('"9500000000000000"').join(",") + "]";
  formatError(
    () => decodeText(many, "big.json"),
    `big.json: insns: ${MAX_SLOTS + 1} slots is more than the limit of ${MAX_SLOTS}`,
  );
  formatError(() => decodeText("exit\n".repeat(MAX_SLOTS + 1), "big.s"), /^big\.s:1000001:\d+: too many instructions/);
});

Deno.test("formats: ELF, content sniffing and extensions", () => {
  formatError(
    () => decodeProgram(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), "x.o"),
    "x.o: truncated: ELF header needs 64 bytes, file has 8",
  );
  formatError(
    () => decodeProgram(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), "x.bin"),
    "x.bin: truncated: ELF header needs 64 bytes, file has 8",
  );
  assert.equal(decodeText("  [[149,0,0,0,0]]", "prog").len, 1);
  assert.equal(decodeText("r0 = 1\nexit\n", "prog.txt").len, 2);
  assert.equal(decodeProgram(new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]), "prog").len, 1);
  assert.equal(decodeText("r0 = 1\nexit\n", "prog.asm").len, 2);
  formatError(() => decodeProgram(new Uint8Array([0x72, 0xff, 0x0a]), "bad.s"), "bad.s: not valid UTF-8 text");
  formatError(() => decodeText("r0 = 1\nbogus\n", "bad.s"), "bad.s:2:1: unknown instruction 'bogus'");
  assert.equal(formatOfPath("a/b.JSON"), "json");
  assert.equal(formatOfPath("a.raw"), "raw");
  assert.equal(formatOfPath("a.s"), "asm");
  assert.equal(formatOfPath("a.elf"), null);
});

Deno.test("formats: encoders round-trip (JSON, raw, asm), keeping maps, fixups and metadata", () => {
  const p = decodeText(EXAMPLE);
  sameProgram(decodeText(encodeJson(p), "a.json"), p);
  sameProgram(decodeText(encodeAsm(p), "a.s"), p);
  assert.match(encodeAsm(p), /r1 = map\[counts\] ll/);
  assert.deepEqual([...decodeProgram(encodeRaw(p), "a.bin").bytes], [...p.bytes]);
  assert.equal(typeof encodeByExtension(p, "x.json"), "string");
  assert.ok(encodeByExtension(p, "x.bin") instanceof Uint8Array);
  assert.match(encodeByExtension(p, "x.s") as string, /^\.prog_type unspec\n\.license "GPL"\n\.map counts hash/);
  // unnamed and oddly named maps, fixups the text cannot show, unknown types
  const q = Program.fromInsns(
    [
      { code: 0x18, dst: 1, src: 0, off: 0, imm: 0 },
      { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x18, dst: 2, src: 1, off: 0, imm: 0 },
      { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ],
    {
      maps: [
        mapDef({ name: "my map", type: 99, keySize: 4, valueSize: 4, maxEntries: 2, flags: 1 }, 0),
        mapDef(
          { type: 2, keySize: 4, valueSize: 1, maxEntries: 1, init: [[new Uint8Array(4), new Uint8Array([7])]] },
          1,
        ),
      ],
      fixups: [[0, 1], [2, 0]],
      progType: 1234,
      license: 'weird "license"',
    },
  );
  sameProgram(decodeText(encodeAsm(q), "q.s"), q);
  sameProgram(decodeText(encodeJson(q), "q.json"), q);
  // every data file converts JSON -> asm -> program
  for (const d of Deno.readDirSync("tests/data/vectors/alu/v1_seed1")) {
    if (!d.name.startsWith("case_000")) continue;
    const f = `tests/data/vectors/alu/v1_seed1/${d.name}`;
    const v = decodeProgram(Deno.readFileSync(f), f);
    sameProgram(decodeText(encodeAsm(v), "v.s"), v);
    sameProgram(decodeText(encodeJson(v), "v.json"), v);
  }
});

Deno.test("formats: only FormatError escapes for garbage input (seeded fuzz)", () => {
  let s = 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const base = enc.encode(EXAMPLE);
  const asm = enc.encode(encodeAsm(decodeText(EXAMPLE)));
  for (let k = 0; k < 3000; k++) {
    const src = k % 3 === 0 ? base : k % 3 === 1 ? asm : new Uint8Array(Math.floor(r() * 40));
    const b = src.slice();
    const n = 1 + Math.floor(r() * 4);
    for (let j = 0; j < n && b.length; j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    const name = ["f.json", "f.s", "f.bin", "f"][k % 4];
    try {
      decodeProgram(b, name);
    } catch (e) {
      assert.ok(e instanceof FormatError, `${name}: ${(e as Error)?.stack}`);
    }
  }
  for (
    const text of ["{", "[1]", '{"insns": [[1,2,3,4,5]], "maps": [null]}', '{"insns": [[1,2,3,4,5]], "fixup": null}']
  ) {
    formatError(() => decodeJson(text, "j.json"), /^j\.json/);
  }
});
