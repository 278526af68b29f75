// Quote argv for a pasteable reproducer. Not shell-quote's quote(): it puts
// `!` as `\!` inside double quotes, which sh and bash then keep verbatim.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word as POSIX sh reads it back unchanged. */
export function quoteWord(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line as POSIX sh reads it back into the same argv. */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}
