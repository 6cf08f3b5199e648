// `bpfscope test-run` end to end (spawns `deno run -A cli/main.ts test-run ...`).
import assert from "node:assert/strict";
import { malformedBtfExtObject, ROOT, runCli, tmpJson } from "./cli_util.ts";

const FW = new URL("./fixtures/xdp_firewall.o", import.meta.url).pathname;
const cli = (...args: string[]) => runCli("test-run", ...args);
const PKT = "000000000001000000000002" + "0800" + "4500002e000000004011" + "0000" + "0a000042" + "0a000001" +
  "00".repeat(26);

Deno.test("test-run: an ELF object's entry program, prog_array slots, maps, text and --json", async () => {
  const t = await cli("--data", PKT, "--set", "blocklist:0a000042=00000000", FW);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^.*xdp_firewall\.o xdp \(xdp\): retval 1 \(XDP_DROP\)\n/);
  assert.match(t.out, /data_out: 60 bytes, unchanged: /);
  assert.match(t.out, /1 tail calls/);
  assert.match(t.out, /map events \(ringbuf\): 1 records\n {4}0a00004211402e00\n/);
  assert.match(t.out, /map blocklist \(hash\): 1 entries\n {4}0a000042: 01000000\n/);
  const j = await cli("--json", "--repeat", "2", "--engine", "interp", "--data", PKT, FW);
  assert.equal(j.code, 0, j.err);
  const rec = JSON.parse(j.out);
  assert.equal(rec.retval, 2);
  assert.equal(rec.meaning, "XDP_PASS");
  assert.equal(rec.runs, 2);
  assert.equal(rec.tail_calls, 1);
  assert.equal(rec.data_out.slice(44, 48), "3e11", "TTL 64 - 2, protocol 17");
  assert.equal(rec.error, null);
  assert.deepEqual(rec.maps.find((m: { name: string }) => m.name === "stats").entries[0][1].slice(0, 2), "02");
});

Deno.test("test-run: the kernel's errnos and bad usage end in one line and exit 2; a fault exits 1", async () => {
  const short = await cli("--data", "00", FW);
  assert.equal(short.code, 2);
  assert.equal(short.err.trim().split("\n").length, 1, short.err);
  assert.match(short.err, /^bpfscope: .*xdp_firewall\.o: test run: EINVAL: data_in of 1 bytes/);
  const none = await cli(FW);
  assert.match(none.err, /EINVAL: packet programs need data_in \(give the packet with --data\)/);
  const j = await cli("--json", "--data", "00", FW);
  assert.equal(j.code, 2);
  assert.equal(JSON.parse(j.out).errno, "EINVAL");
  for (
    const [args, re] of [
      [["--data", "0g", FW], /--data: expected an even number of hex digits/],
      [["--data", PKT, "/nonexistent.o"], /no such file/],
      [["--program", "nope", "--data", PKT, FW], /no program 'nope' \(programs: xdp\/ipv4, xdp\)/],
      [["--set", "blocklist=1", "--data", PKT, FW], /--set: expected MAP:KEY=VALUE/],
      [["--engine", "x", FW], /unknown engine 'x'/],
      [["--cpu", "2", "--data", PKT, FW], /--cpu: expected an integer from 0 to 1/],
    ] as const
  ) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args}: ${r.err}`);
    assert.match(r.err, re);
    assert.ok(!/\n\s+at /.test(r.err), "no stack trace");
  }
  const garbage = await tmpJson({ insns: [[0x61, 0, 1, 4, 0], [0x71, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]] });
  const f = await cli("--prog-type", "xdp", "--data", PKT, garbage);
  assert.equal(f.code, 1, f.err);
  assert.match(f.out, /error: insn 1: invalid read of 1 bytes/);
  const k = await cli("--prog-type", "kprobe", "--data", PKT, garbage);
  assert.equal(k.code, 2);
  assert.match(k.err, /ENOTSUPP: program type kprobe \(2\) has no test run/);
});

Deno.test("test-run: --help lists the options and examples", async () => {
  const h = await cli("--help");
  assert.equal(h.code, 0);
  for (const s of ["--data", "--ctx", "--repeat", "--cpus", "--tail", "--json", "Examples:", "Exit status"]) {
    assert.ok(h.out.includes(s), s);
  }
});

Deno.test("test-run: every example of --help and of the README runs (from tests/fixtures) and exits 0", async () => {
  const help = (await cli("--help")).out;
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.slice(readme.indexOf("## Testing programs without a kernel"));
  const block = section.slice(section.indexOf("```sh\n") + 6, section.indexOf("```\n", section.indexOf("```sh\n")));
  for (const [where, text] of [["--help", help.slice(help.indexOf("Examples"))], ["README", block]]) {
    const pkt: string = /PKT=([0-9a-f]+)/.exec(text)?.[1] ?? "";
    assert.ok(pkt, `${where}: PKT=`);
    const lines = text.split("\n").filter((l) => l.includes("bpfscope test-run")).map((l) => l.replace(/\s+#.*$/, ""));
    assert.ok(lines.length >= 5, where);
    for (const line of lines) {
      // `echo $PKT | xxd -r -p | bpfscope ...`: the packet's bytes on stdin (or `cat FILE | ...`: the file's)
      const piped = line.includes("| bpfscope");
      const command: string = piped ? line.slice(line.indexOf("| bpfscope") + 2) : line;
      const args: string[] = command.trim().split(/\s+/).slice(1).map((a) => a.replace("$PKT", pkt));
      const p = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}cli/main.ts`, ...args],
        cwd: `${ROOT}tests/fixtures`,
        stdin: piped ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      if (piped) {
        const w = p.stdin.getWriter();
        // `cat FILE | bpfscope ... -`: the object on stdin
        const cat = /^\s*cat (\S+) \|/.exec(line)?.[1];
        await w.write(
          cat
            ? await Deno.readFile(`${ROOT}tests/fixtures/${cat}`)
            : Uint8Array.from(pkt.match(/../g)!, (x) => parseInt(x, 16)),
        );
        await w.close();
      }
      const r = await p.output();
      assert.equal(r.code, 0, `${where}: ${line}\n${new TextDecoder().decode(r.stderr)}`);
      assert.match(new TextDecoder().decode(r.stdout), /retval/, `${where}: ${line}`);
    }
  }
});

Deno.test("test-run --verify: programs the linux-6.18 verifier accepts run, one it refuses exits 2 with its error", async () => {
  const ok = await cli("--verify", "--data", PKT, "--set", "blocklist:0a000042=00000000", FW);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /retval 1 \(XDP_DROP\)/);
  // the bounds check covers the Ethernet header, the read is in the IP header
  const short = new URL("./fixtures/kernlog/bad_pkt_short.o", import.meta.url).pathname;
  const unverified = await cli("--data", PKT, short);
  assert.equal(unverified.code, 0, unverified.err);
  const bad = await cli("--verify", "--data", PKT, short);
  assert.equal(bad.code, 2);
  assert.equal(bad.out, "");
  assert.match(bad.err, /bad_pkt_short\.o: test run: EACCES: R1 offset is outside of the packet\n$/);
});

Deno.test("test-run --verify: a global function is verified on its own with BTF and as a static one with --no-btf", async () => {
  const obj = new URL("./fixtures/kernlog/global_func.o", import.meta.url).pathname;
  const data = "00".repeat(32);
  const btf = await cli("--verify", "--data", data, obj);
  assert.equal(btf.code, 0, btf.err);
  assert.match(btf.out, /retval 1 /);
  const plain = await cli("--verify", "--no-btf", "--data", data, obj);
  assert.equal(plain.code, 0, plain.err);
  // parity(len 32) + parity(mark 0): 32 = 0b100000 has one bit set
  assert.match(plain.out, /retval 1 /);
});

Deno.test("test-run --verify: a malformed .BTF.ext warns, as verify does, and the program is verified without it", async () => {
  // the object then loads without BTF, the global function as a static one
  const tmp = await malformedBtfExtObject();
  try {
    const r = await cli("--verify", "--data", "00".repeat(32), tmp);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /^warning: .*section '\.BTF\.ext' offset 0: bad magic 0x0 .*loading without BTF func\/line info\n$/,
    );
  } finally {
    await Deno.remove(tmp);
  }
});
