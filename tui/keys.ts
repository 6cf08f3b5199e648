/**
 * The key bindings of the TUI, in one table: the help overlay, the footer
 * hints and `tui/README.md` are generated from it.
 *
 * @module
 */

/** One key binding. */
export interface KeyHelp {
  /** The key(s) as shown to the user. */
  keys: string;
  /** What it does. */
  what: string;
}

/** Every key, grouped as the help overlay shows them. */
export const KEYS: ReadonlyArray<{ group: string; items: KeyHelp[] }> = [
  {
    group: "walk",
    items: [
      { keys: "s  →", what: "step one instruction" },
      { keys: "n  c", what: "continue to next event" },
      { keys: "space  r", what: "run / pause animation" },
      { keys: "+  -", what: "faster / slower" },
      { keys: "e  End", what: "run to the end" },
      { keys: "b  ←", what: "step back" },
      { keys: "B", what: "back to previous event" },
      { keys: "0  Home", what: "back to the start" },
      { keys: "R", what: "restart the walk" },
    ],
  },
  {
    group: "instructions",
    items: [
      { keys: "j k  ↓ ↑", what: "move the cursor" },
      { keys: "PgDn PgUp", what: "cursor a page down / up" },
      { keys: "g", what: "go to instruction N" },
      { keys: "f", what: "follow the walk again" },
      { keys: "x", what: "toggle breakpoint" },
      { keys: "t", what: "run to the cursor" },
    ],
  },
  {
    group: "options",
    items: [
      { keys: "p", what: "toggle pruning, restart" },
      { keys: "P", what: "switch profile, restart" },
      { keys: "l", what: "examples gallery" },
      { keys: "m", what: "run mode (interpreter)" },
      { keys: "?  h", what: "this help" },
      { keys: "Ctrl-L", what: "redraw the screen" },
      { keys: "q  Ctrl-C", what: "quit" },
    ],
  },
];

/** The key list as Markdown table rows (for the README). */
export function keysMarkdown(): string {
  const out = ["| key | action |", "| --- | --- |"];
  for (const g of KEYS) for (const k of g.items) out.push(`| \`${k.keys}\` | ${k.what} |`);
  return out.join("\n");
}

/** Animation speeds (steps per second) that `+` and `-` move between. */
export const SPEEDS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 250, 1000, 5000, 20000];

/** A key press parsed from terminal input. */
export interface ParsedKey {
  /** A printable character, or a name (`up`, `down`, `left`, `right`, `pageup`, `pagedown`, `home`, `end`, `enter`, `escape`, `backspace`, `tab`). */
  name: string;
  /** Ctrl was held. */
  ctrl?: boolean;
}

const SEQS: Array<[string, string]> = [
  ["\x1b[A", "up"],
  ["\x1b[B", "down"],
  ["\x1b[C", "right"],
  ["\x1b[D", "left"],
  ["\x1bOA", "up"],
  ["\x1bOB", "down"],
  ["\x1bOC", "right"],
  ["\x1bOD", "left"],
  ["\x1b[5~", "pageup"],
  ["\x1b[6~", "pagedown"],
  ["\x1b[H", "home"],
  ["\x1b[F", "end"],
  ["\x1bOH", "home"],
  ["\x1bOF", "end"],
  ["\x1b[1~", "home"],
  ["\x1b[4~", "end"],
  ["\x1b[7~", "home"],
  ["\x1b[8~", "end"],
  ["\x1b[3~", "backspace"],
];

/** Split raw terminal input into keys (several keys can arrive in one read). */
export function parseKeys(s: string): ParsedKey[] {
  const out: ParsedKey[] = [];
  let i = 0;
  outer: while (i < s.length) {
    const ch = s[i];
    if (ch === "\x1b") {
      for (const [seq, name] of SEQS) {
        if (s.startsWith(seq, i)) {
          out.push({ name });
          i += seq.length;
          continue outer;
        }
      }
      // an unknown CSI/SS3 sequence: skip it whole
      if (s[i + 1] === "[" || s[i + 1] === "O") {
        let j = i + 2;
        while (j < s.length && !/[A-Za-z~]/.test(s[j])) j++;
        i = j + 1;
        continue;
      }
      out.push({ name: "escape" });
      i++;
      continue;
    }
    if (ch === "\r" || ch === "\n") out.push({ name: "enter" });
    else if (ch === "\x7f" || ch === "\b") out.push({ name: "backspace" });
    else if (ch === "\t") out.push({ name: "tab" });
    else if (ch.charCodeAt(0) < 32) out.push({ name: String.fromCharCode(ch.charCodeAt(0) + 96), ctrl: true });
    else out.push({ name: ch });
    i++;
  }
  return out;
}
