// The two ways an invocation reaches the runner: from a recipe of
// Makefile.container (make's own MAKEFLAGS and the fragment's exports), or as
// a make-style argument list typed after `kbuild-container run|plan`.
import { buildInvocation, type Invocation } from './invocation.js';
import { parseMakeArgs } from './make-args.js';
import { isLetterCluster, parseMakeflags } from './makeflags.js';

/** The invocation a recipe of Makefile.container describes: MAKEFLAGS, the goals it exports, the directory make runs in. */
export function invocationFromMake(env: NodeJS.ProcessEnv, cwd: string): Invocation {
  const parsed = parseMakeflags(env.MAKEFLAGS ?? '');
  const goals = (env.KBUILD_CONTAINER_GOALS ?? '').split(/\s+/).filter(Boolean);
  const typed = env.KBUILD_CONTAINER_MAKEFLAGS;
  if (typed !== undefined) {
    // The fragment quietens its own make with -s --no-print-directory; what the
    // user typed is the snapshot it took before (jobs and variables come later).
    const before = parseMakeflags(typed);
    parsed.flags = [
      ...before.flags.filter((f) => isLetterCluster(f)),
      ...parsed.flags.filter((f) => !isLetterCluster(f) && (f !== '--no-print-directory' || before.flags.includes(f))),
    ];
    parsed.silent = before.silent;
  }
  const overrides = env.KBUILD_CONTAINER_OVERRIDES;
  if (overrides !== undefined) parsed.overrides = parseMakeflags(`-- ${overrides}`).overrides;
  // The outer make already prints "Entering directory" where -w or -C asks for it.
  parsed.flags = withoutLetter(parsed.flags, 'w').filter((f) => f !== '--print-directory');
  return buildInvocation({ ...parsed, goals, cwd, env });
}

/** Drop one single-letter option from make's flag words, also from clusters like `-kw`. */
export function withoutLetter(flags: string[], letter: string): string[] {
  return flags.map((f) => (isLetterCluster(f) ? f.replaceAll(letter, '') : f)).filter((f) => f !== '-');
}

/** The invocation a make-style argument list describes (`kbuild-container run|plan ARGS`). */
export function invocationFromArgs(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Invocation {
  const parsed = parseMakeArgs(argv, cwd);
  // A MAKEFLAGS in the environment applies as it would to make itself.
  const fromEnv = parseMakeflags(env.MAKEFLAGS ?? '');
  return buildInvocation({
    ...parsed,
    flags: [...fromEnv.flags, ...parsed.flags],
    jobs: parsed.jobs.kind === 'default' ? fromEnv.jobs : parsed.jobs,
    silent: parsed.silent || fromEnv.silent,
    overrides: [...fromEnv.overrides, ...parsed.overrides],
    env,
  });
}
