// The exec command: any command in a build's image, with a build's mounts, user, environment and supervision (src/exec/).
import type { Command } from 'commander';
import { runExec } from '../../exec/run-exec.js';
import type { SetStatus } from '../program.js';

/** Register exec. */
export function registerExecCommands(program: Command, setStatus: SetStatus): void {
  program
    .command('exec')
    .usage('[IMAGE] -- COMMAND [ARGS...]')
    .argument('[words...]', "the image (optional: CONTAINER, else .container.toml's [DEFAULT]), '--', then the command and its arguments")
    .allowUnknownOption()
    .helpOption('--help', 'show this help')
    .summary('run any command in the image, as a build runs make (exec [IMAGE] -- COMMAND [ARGS...])')
    .description(
      "Run COMMAND in the image at the same paths as a build: the tree holding the current directory mounted, files written as the caller, the environment a build passes, stdin when it is not a terminal, a terminal when stdin and stdout are one. Exits with the command's status (127: not in the image).",
    )
    .action(async function (this: Command) {
      // Commander drops the `--` that separates image and command: split the words as typed
      // (the program keeps them as rawArgs, untyped in commander's declarations).
      const typed = (this.parent as unknown as { rawArgs: string[] }).rawArgs;
      setStatus((await runExec(typed.slice(typed.indexOf('exec') + 1), process.env, process.cwd())).exitCode);
    });
}
