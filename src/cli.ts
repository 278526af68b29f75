#!/usr/bin/env node
// The only place that prints errors and picks exit codes.
import { parseArgs } from 'node:util';
import { InfraError, UserError } from './errors.js';
import { disableTree, enableTree } from './enable.js';
import { formatCommand, invocationFromArgs, invocationFromMake, planInvocation, runInvocation } from './run.js';

const USAGE = `usage: kbuild-container COMMAND [ARGS]

  make                 run the invocation Makefile.container hands over (from a make recipe)
  run  MAKE-ARGS...    run 'make MAKE-ARGS' in a container (CONTAINER=image among them)
  plan MAKE-ARGS...    print the exact engine command 'run' would execute, shell-quoted
  enable  [KERNEL_DIR] let 'make CONTAINER=image ...' work in a kernel tree (writes GNUmakefile)
  disable [KERNEL_DIR] undo 'enable'
  images [build] [VAR=VALUE...]  build the toolchain image family (make -C images; see the README)

Variables: CONTAINER, CONTAINER_RUNTIME, CONTAINER_ARGS, CONTAINER_ENV,
CONTAINER_NETWORK, CONTAINER_DRYRUN (see the README).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'make':
      return (await runInvocation(invocationFromMake(process.env, process.cwd()))).exitCode;
    case 'run':
      return (await runInvocation(invocationFromArgs(rest, process.env, process.cwd()))).exitCode;
    case 'plan': {
      const { plan } = planInvocation(invocationFromArgs(rest, process.env, process.cwd()), { create: false });
      process.stdout.write(formatCommand(plan) + '\n');
      return 0;
    }
    case 'enable':
    case 'disable': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length > 1) throw new UserError(`${command} takes at most one directory`);
      const dir = positionals[0] ?? process.cwd();
      const file = command === 'enable' ? enableTree(dir) : disableTree(dir);
      process.stderr.write(`kbuild-container: ${command === 'enable' ? 'wrote' : 'removed'} ${file}\n`);
      return 0;
    }
    case 'images':
      return (await import('./images/images-command.js')).imagesCommand(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      throw new UserError(command === undefined ? 'no command given (try --help)' : `unknown command '${command}' (try --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError || err instanceof InfraError) {
      process.stderr.write(`kbuild-container: ${err.message}\n`);
    } else {
      process.stderr.write(`kbuild-container: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exitCode = 2;
  },
);
