// Where a key is written in a TOML text, for messages that name file:line:
// smol-toml gives values, not positions. Line-based, good enough for the flat
// files Kbuild trees carry; a key it cannot find falls back to its table's line.

const BARE_OR_QUOTED = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const DOTTED = new RegExp(String.raw`^\s*(${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*)`);
const HEADER = new RegExp(String.raw`^\s*\[\[?\s*(${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*)\s*\]\]?`);

/**
 * The 1-based line that defines `key` in the table at `table` (a header path):
 * a `key = ...` or `key.sub = ...` line under that header, a `[table.key]`
 * header, or else the line that opens the table. Undefined if none is found.
 */
export function locateKey(text: string, table: readonly string[], key: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let current: string[] = [];
  let tableLine: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = HEADER.exec(lines[i]);
    if (header) {
      current = splitDotted(header[1]);
      if (startsWith(current, [...table, key])) return i + 1;
      if (tableLine === undefined && sameList(current, table)) tableLine = i + 1;
      continue;
    }
    const assignment = DOTTED.exec(lines[i]);
    if (!assignment || !/^\s*=/.test(lines[i].slice(assignment[0].length))) continue;
    const keyPath = [...current, ...splitDotted(assignment[1])];
    if (startsWith(keyPath, [...table, key])) return i + 1;
    // `DEFAULT = { image = 1 }` and the like: the table is opened on this line.
    if (tableLine === undefined && table.length > 0 && startsWith(keyPath, table)) tableLine = i + 1;
  }
  return tableLine;
}

function splitDotted(text: string): string[] {
  const parts = text.match(new RegExp(BARE_OR_QUOTED, 'g')) ?? [];
  return parts.map((p) => (p.startsWith('"') ? unquoteBasic(p) : p.startsWith("'") ? p.slice(1, -1) : p));
}

function unquoteBasic(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1); // a TOML-only escape: good enough for finding a line
  }
}

function startsWith(list: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= list.length && prefix.every((p, i) => list[i] === p);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}
