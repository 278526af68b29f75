// Every command but the bare `make` goes through commander, loaded only here:
// cli.ts imports this module lazily, so make's hot path never evaluates it.
// A new family of commands (images, hook, boot, exec) is one module with a
// register function, added to COMMAND_FAMILIES.
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { packageVersion } from '../version.js';
import { registerBootCommands } from './commands/boot.js';
import { registerBuildCommands } from './commands/build.js';
import { registerExecCommands } from './commands/exec.js';
import { registerHookCommands } from './commands/hook.js';
import { registerImagesCommands } from './commands/images.js';
import { registerTreeCommands } from './commands/tree.js';
import { errorLines } from './error-lines.js';

/** How a command's action hands back the status the CLI exits with. */
export type SetStatus = (status: number) => void;

/** Adds one family of subcommands to the program. */
export type RegisterCommands = (program: Command, setStatus: SetStatus) => void;

/** The families of subcommands, in the order --help lists them. */
export const COMMAND_FAMILIES: readonly RegisterCommands[] = [
  registerBuildCommands,
  registerExecCommands,
  registerTreeCommands,
  registerImagesCommands,
  registerBootCommands,
  registerHookCommands,
];

const VARIABLES = `
Variables: CONTAINER, CONTAINER_RUNTIME, CONTAINER_ARGS, CONTAINER_ENV,
CONTAINER_NETWORK, CONTAINER_DRYRUN, BOOT_CONTAINER, BOOT_CMD, BOOT_TIMEOUT (see the README).`;

/**
 * Parse argv (without node and script), run the command, return the exit status.
 * Errors are printed here: this module is bundled apart from cli.ts (scripts/bundle.mjs),
 * so its UserError is not the entry's, and only this copy of errorLines knows it.
 */
export async function runCommandLine(argv: string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  try {
    return await parseAndRun(argv);
  } catch (err) {
    stderr.write(errorLines(err).join('\n') + '\n');
    return 2;
  }
}

async function parseAndRun(argv: string[]): Promise<number> {
  if (argv.length === 0) throw new UserError('no command given (try --help)');
  let status = 0;
  const program = new Command('kbuild-container')
    .usage('COMMAND [ARGS]')
    .description('Run any Kbuild invocation inside a Podman or Docker container, as if make ran on the host.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpCommand('help [command]', 'show the help of a command')
    .addHelpText('after', VARIABLES)
    .exitOverride()
    // Commander's own errors (unknown command or option) become our one line.
    .configureOutput({ outputError: () => {} });
  for (const register of COMMAND_FAMILIES) register(program, (s) => (status = s));
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => {} });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return 0; // --help, --version
    throw new UserError(`${err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (try --help)`);
  }
  return status;
}
