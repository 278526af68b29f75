// Parse a make command line (`kbuild-container plan|run ARGS...`) into the same
// shape the MAKEFLAGS parser gives, so both entry points share one planner.
import path from 'node:path';
import { UserError } from '../errors.js';
import { parseAssignment, type ParsedMakeflags } from './makeflags.js';

export interface ParsedMakeArgs extends ParsedMakeflags {
  goals: string[];
  /** The directory make would run in after every -C. */
  cwd: string;
}

// Letters that take an argument (joined or as the next word).
const LETTERS_WITH_ARG = new Set(['C', 'f', 'I', 'l', 'o', 'W', 'j', 'O', 'E']);
const LONG_WITH_ARG = new Set([
  '--directory',
  '--file',
  '--makefile',
  '--include-dir',
  '--old-file',
  '--what-if',
  '--assume-old',
  '--assume-new',
  '--new-file',
  '--eval',
]);
// Options whose number is optional: `-j`, `-j 8`, `-l`, `-l 3`.
const OPTIONAL_NUMBER = new Set(['j', 'l']);

/** Parse make-style argv: options, VAR=value words and goals, in make's grammar. */
export function parseMakeArgs(argv: string[], startCwd: string): ParsedMakeArgs {
  const out: ParsedMakeArgs = { flags: [], jobs: { kind: 'default' }, overrides: [], silent: false, goals: [], cwd: startCwd };
  let letters = '';
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      for (const rest of argv.slice(i + 1)) addOperand(out, rest);
      break;
    }
    if (word.startsWith('--')) {
      const [name, inline] = splitLong(word);
      if (name === '--jobs') {
        const count = inline ?? (/^\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
        out.jobs = count === undefined ? { kind: 'unlimited' } : { kind: 'count', count: Number(count) };
      } else if (name === '--directory') {
        out.cwd = path.resolve(out.cwd, inline ?? requireArg(argv, ++i, name));
      } else if (name === '--file' || name === '--makefile') {
        throw new UserError(`${name} cannot be forwarded: the container runs the tree's own Makefile`);
      } else if (name === '--load-average' || name === '--max-load') {
        const load = inline ?? (/^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
        out.flags.push(load === undefined ? '-l' : `-l${load}`);
      } else if (name === '--silent' || name === '--quiet') {
        out.silent = true;
        out.flags.push(word);
      } else if (LONG_WITH_ARG.has(name) && inline === undefined) {
        out.flags.push(`${name}=${requireArg(argv, ++i, name)}`);
      } else {
        out.flags.push(word);
      }
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const letter = word[k];
        if (!LETTERS_WITH_ARG.has(letter)) {
          letters += letter;
          if (letter === 's') out.silent = true;
          continue;
        }
        const joined = word.slice(k + 1);
        if (OPTIONAL_NUMBER.has(letter)) {
          const value = joined !== '' ? joined : /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') ? argv[++i] : '';
          if (letter === 'l') {
            out.flags.push('-l' + value);
          } else {
            if (!/^\d*$/.test(value)) throw new UserError(`invalid -j argument '${value}'`);
            out.jobs = value === '' ? { kind: 'unlimited' } : { kind: 'count', count: Number(value) };
          }
        } else if (letter === 'O') {
          out.flags.push('-O' + joined);
        } else {
          const value = joined !== '' ? joined : requireArg(argv, ++i, '-' + letter);
          if (letter === 'C') out.cwd = path.resolve(out.cwd, value);
          else if (letter === 'f') throw new UserError(`-f cannot be forwarded: the container runs the tree's own Makefile`);
          else out.flags.push('-' + letter + value);
        }
        break;
      }
      continue;
    }
    addOperand(out, word);
  }
  if (letters) out.flags.unshift('-' + [...new Set(letters)].join(''));
  return out;
}

function addOperand(out: ParsedMakeArgs, word: string): void {
  const assignment = parseAssignment(word);
  if (assignment) out.overrides.push(assignment);
  else out.goals.push(word);
}

function splitLong(word: string): [string, string | undefined] {
  const eq = word.indexOf('=');
  return eq < 0 ? [word, undefined] : [word.slice(0, eq), word.slice(eq + 1)];
}

function requireArg(argv: string[], i: number, option: string): string {
  const value = argv[i];
  if (value === undefined) throw new UserError(`option '${option}' requires an argument`);
  return value;
}
