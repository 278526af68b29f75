#!/usr/bin/env node
// The only place that prints errors and picks exit codes. `kbuild-container
// make` (what every make CONTAINER=... runs) is dispatched before anything
// else; the argument parser and the other commands load only when asked for.
import { errorLines } from './cli/error-lines.js';
import { runFromMake } from './cli/commands/build.js';

async function main(argv: string[]): Promise<number> {
  // Exactly what Makefile.container runs; anything else (`make --help`) goes through the parser.
  if (argv.length === 1 && argv[0] === 'make') return runFromMake();
  const { runCommandLine } = await import('./cli/program.js');
  return runCommandLine(argv);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(errorLines(err).join('\n') + '\n');
    process.exitCode = 2;
  },
);
