/**
 * Record the running kernel's level-1 and level-2 logs of the hand-written
 * rejections (tests/kernlog/hand.ts) into tests/data/kernlog/hand.jsonl.gz
 * (needs root and bpf(); not part of `deno task test`):
 *
 *   sudo deno run -A tests/kernlog/record_hand.ts [OUT.jsonl.gz]
 *
 * One JSON line per case: `{name, note, bug: {message, origin}, program,
 * kernel: {"1", "2"}}`.
 *
 * @module
 */
import { encodeJson } from "../../core/formats/mod.ts";
import { verifyInKernel } from "../gen6/record.ts";
import { HAND_CASES } from "./hand.ts";

if (import.meta.main) {
  const out = Deno.args[0] ?? new URL("../data/kernlog/hand.jsonl.gz", import.meta.url).pathname;
  const specs = HAND_CASES.map((c) => encodeJson(c.prog));
  const res = await verifyInKernel(specs.map((s) => JSON.stringify(JSON.parse(s))), "1,2");
  const lines = HAND_CASES.map((c, i) =>
    JSON.stringify({
      name: c.name,
      note: c.note,
      bug: { message: c.message, origin: c.origin },
      program: JSON.parse(specs[i]),
      kernel: res[i],
    })
  );
  for (const [i, c] of HAND_CASES.entries()) {
    const r = res[i]["1"];
    console.error(
      `${c.name}: ${r.accepted ? "ACCEPTED" : r.log?.includes(c.message) ? "rejected as expected" : "other"}`,
    );
  }
  const gz = new Blob([lines.join("\n") + "\n"]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(out, gz);
}
