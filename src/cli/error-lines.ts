// What the CLI prints for a thrown error: a user error is one line (with its
// hint); an infrastructure error adds its evidence, one indented line each, so
// the failing engine command can be pasted and run again as it was.
import { InfraError, UserError } from '../errors.js';
import { quoteCommand } from '../plan/shell-words.js';

const PREFIX = 'kbuild-container: ';

/** The lines (without newlines) that report `err` on stderr. */
export function errorLines(err: unknown): string[] {
  if (err instanceof UserError) return [PREFIX + withHint(err.message, err.hint)];
  if (err instanceof InfraError) {
    const lines = [PREFIX + err.message];
    if (err.command) lines.push(`  command: ${quoteCommand(err.command)}`);
    if (err.exitCode !== undefined) lines.push(`  exit status: ${err.exitCode}`);
    if (err.signal !== undefined) lines.push(`  signal: ${err.signal}`);
    if (err.hint) lines.push(`  hint: ${err.hint}`);
    return lines;
  }
  return [`${PREFIX}internal error: ${(err as Error)?.stack ?? String(err)}`];
}

function withHint(message: string, hint: string | undefined): string {
  return hint ? `${message}; ${hint}` : message;
}
