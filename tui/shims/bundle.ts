/**
 * `deno task bundle`: bundle the CLI into one JavaScript file.
 *
 * Ink imports `react-devtools-core` only when the environment variable
 * `DEV=true` asks it to connect to React DevTools, but the bundler hoists that
 * import to the top of the bundle, where it would fail at start-up. The
 * package is left external and its one import replaced by a no-op object.
 *
 * Usage: `deno run -A tui/shims/bundle.ts OUT.js`
 *
 * @module
 */
const out = Deno.args[0] ?? "dist/bpfscope.js";
const root = new URL("../../", import.meta.url);
const entry = new URL("cli/main.ts", root).pathname;
const cmd = new Deno.Command(Deno.execPath(), {
  args: ["bundle", "--quiet", "--platform", "deno", "--external", "react-devtools-core", "-o", out, entry],
  stdout: "inherit",
  stderr: "piped",
});
const res = cmd.outputSync();
if (!res.success) {
  const err = new TextDecoder().decode(res.stderr);
  console.error(err.split("\n").filter((l) => !/ignored-bare-import|^\s+at |^\s*$/.test(l)).join("\n"));
  Deno.exit(res.code || 1);
}
const text = Deno.readTextFileSync(out);
const importLine = /^import (\w+) from "react-devtools-core";$/m;
const m = importLine.exec(text);
if (!m) {
  console.error(`bundle: expected one import of react-devtools-core in ${out}; the bundler's output changed`);
  Deno.exit(1);
}
Deno.writeTextFileSync(out, text.replace(importLine, `const ${m[1]} = { initialize() {}, connectToDevTools() {} };`));
console.log(`bundle: wrote ${out} (${Deno.statSync(out).size} bytes)`);
