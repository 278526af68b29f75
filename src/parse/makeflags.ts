// Recover what the user typed on make's command line from the MAKEFLAGS that make
// hands to a recursive recipe (GNU make 4.3 and 4.4 formats).

/** How the inner make should size its job pool. */
export type Jobs =
  | { kind: 'default' } // no -j at all: one job, as make does
  | { kind: 'unlimited' } // bare -j
  | { kind: 'count'; count: number };

/** A parent jobserver the inner make could join. */
export type Jobserver = { style: 'fifo'; path: string } | { style: 'pipe'; readFd: number; writeFd: number };

export interface Override {
  name: string;
  /** The value exactly as typed (make's `$$` escaping is undone only where make itself added it). */
  value: string;
  /** The assignment operator as typed (make folds `+=`, `?=` and `!=` into `=` in MAKEFLAGS). */
  op: string;
}

export interface ParsedMakeflags {
  /** Options to give the inner make, one argv word each, in make's order. */
  flags: string[];
  jobs: Jobs;
  jobserver?: Jobserver;
  /** Command-line variable assignments in the order they were typed. */
  overrides: Override[];
  silent: boolean;
}

// Single-letter options that make forwards in MAKEFLAGS's first word and that
// mean the same to the inner make.
const LETTER_FLAGS = new Set([...'BeiknqrRsStwL']);

/** Split on unescaped blanks, undoing make's backslash and `$$` escapes. */
export function splitMakeflagsWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (ch === '$' && text[i + 1] === '$') {
      // Make doubles every `$` it writes into MAKEFLAGS.
      word += '$';
      i++;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Parse one `NAME=value` word into an override, or undefined when it is not one. */
export function assignmentWord(o: Override): string {
  return o.name + o.op + o.value;
}

/** Parse one `NAME=value` word into an override, or undefined when it is not one. */
export function parseAssignment(word: string): Override | undefined {
  const m = /^([^\s=:!?+]+?)\s*(::=|:=|\+=|\?=|!=|=)(.*)$/s.exec(word);
  if (!m) return undefined;
  return { name: m[1], value: m[3], op: m[2] };
}

/** Parse the jobs part of an option word like `-j`, `-j8`, `--jobs=8`. */
function parseJobs(word: string): Jobs | undefined {
  const m = /^(?:-j|--jobs=?)(\d*)$/.exec(word);
  if (!m) return undefined;
  return m[1] === '' ? { kind: 'unlimited' } : { kind: 'count', count: Number(m[1]) };
}

function parseJobserverAuth(value: string): Jobserver | undefined {
  if (value.startsWith('fifo:')) return { style: 'fifo', path: value.slice(5) };
  const m = /^(-?\d+),(-?\d+)$/.exec(value);
  if (m) return { style: 'pipe', readFd: Number(m[1]), writeFd: Number(m[2]) };
  return undefined;
}

/** A word of single-letter options such as `-ks` (not `-Otarget` or `-Isrc`, which carry a value). */
export function isLetterCluster(word: string): boolean {
  return /^-[a-zA-Z]+$/.test(word) && [...word.slice(1)].every((l) => LETTER_FLAGS.has(l));
}

/** Turn the MAKEFLAGS make gives a recursive recipe back into typed options and variables. */
export function parseMakeflags(makeflags: string): ParsedMakeflags {
  const words = splitMakeflagsWords(makeflags);
  const result: ParsedMakeflags = { flags: [], jobs: { kind: 'default' }, overrides: [], silent: false };
  let i = 0;
  // Make writes its single-letter options as one leading word without a dash.
  if (words.length > 0 && !words[0].startsWith('-')) {
    const letters = [...words[0]].filter((l) => LETTER_FLAGS.has(l));
    if (letters.length > 0) result.flags.push('-' + letters.join(''));
    result.silent = words[0].includes('s');
    i = 1;
  }
  for (; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
      // Make lists the variables last first; give them back as typed.
      result.overrides = words
        .slice(i + 1)
        .map(parseAssignment)
        .filter((o): o is Override => o !== undefined)
        .reverse();
      break;
    }
    const jobs = parseJobs(word);
    if (jobs) {
      result.jobs = jobs;
      continue;
    }
    const auth = /^--jobserver-(?:auth|fds)=(.*)$/.exec(word);
    if (auth) {
      result.jobserver = parseJobserverAuth(auth[1]);
      continue;
    }
    if (word.startsWith('--jobserver-style=')) {
      continue; // how the outer make built its pool; the inner one joins it (and 4.3 rejects the option)
    }
    if (isLetterCluster(word)) {
      // A dash word of letters, as make 4.4 may write it.
      if (word.includes('s')) result.silent = true;
      result.flags.push(word);
      continue;
    }
    if (word === '--silent' || word === '--quiet') result.silent = true;
    result.flags.push(word);
  }
  return result;
}
