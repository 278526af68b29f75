// The build commands: make (what Makefile.container runs), run and plan.
import type { Command } from 'commander';
import type { Invocation } from '../../parse/invocation.js';
import { invocationFromArgs, invocationFromMake } from '../../parse/invocation-from.js';
import { formatCommand, planInvocation, runInvocation } from '../../run.js';
import type { SetStatus } from '../program.js';

/** `kbuild-container make`: the invocation Makefile.container hands over through the environment. */
export async function runFromMake(): Promise<number> {
  return (await runGoals(invocationFromMake(process.env, process.cwd()))).exitCode;
}

// The goal `boot` is rare: its code is only evaluated when asked for, never on a plain build.
async function runGoals(inv: Invocation) {
  if (inv.goals.includes('boot')) return (await import('../../boot/index.js')).runWithBoot(inv);
  return runInvocation(inv);
}

/** Register make, run and plan. */
export function registerBuildCommands(program: Command, setStatus: SetStatus): void {
  program
    .command('make')
    .summary('run the invocation Makefile.container hands over (from a make recipe)')
    .description(
      'Run the make invocation that make/Makefile.container hands over through MAKEFLAGS and the environment. Called from a make recipe, not by hand.',
    )
    .action(async () => setStatus(await runFromMake()));

  // Make's own words (-j8, -C dir, O=..., goals) pass through untouched.
  const makeWords = (cmd: Command) =>
    cmd.argument('[make-args...]', "make's arguments, CONTAINER=image among them").allowUnknownOption().helpOption('--help', 'show this help');
  makeWords(program.command('run'))
    .summary("run 'make MAKE-ARGS' in a container (CONTAINER=image among them)")
    .description("Run 'make MAKE-ARGS' in a container, as 'make CONTAINER=image MAKE-ARGS' would in an enabled tree.")
    .action(async (args: string[]) => setStatus((await runGoals(invocationFromArgs(args, process.env, process.cwd()))).exitCode));
  makeWords(program.command('plan'))
    .summary("print the exact engine command 'run' would execute, shell-quoted")
    .description("Print the engine command 'run' would execute, shell-quoted and pasteable; creates nothing.")
    .action((args: string[]) => {
      const { plan } = planInvocation(invocationFromArgs(args, process.env, process.cwd()), { create: false });
      process.stdout.write(formatCommand(plan) + '\n');
      setStatus(0);
    });
}
