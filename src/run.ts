// The library's front door: parse → plan → supervise for one invocation.
import { findEngine, hostFacts, prepareTree } from './host.js';
import { buildInvocation, type Invocation } from './parse/invocation.js';
import { parseMakeArgs } from './parse/make-args.js';
import { isLetterCluster, parseMakeflags } from './parse/makeflags.js';
import { checkImageReference } from './plan/image-ref.js';
import { planRun, type RunPlan } from './plan/plan-run.js';
import { quoteCommand } from './plan/shell-words.js';
import { superviseRun, type RunResult } from './supervise/supervise-run.js';

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

function withoutLetter(flags: string[], letter: string): string[] {
  return flags
    .map((f) => (isLetterCluster(f) ? f.replaceAll(letter, '') : f))
    .filter((f) => f !== '-');
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

/** Plan the run of an invocation; creates the output directories unless only printing. */
export function planInvocation(inv: Invocation, options: { create: boolean }): { plan: RunPlan; engine: ReturnType<typeof findEngine>['engine'] } {
  checkImageReference(inv.container.image);
  const { engine, path: enginePath } = findEngine(inv.container.runtime);
  const tree = prepareTree(inv, options);
  // Unique, not secret: Math.random spares loading node:crypto on every make (a few ms).
  const runId = `${process.pid.toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0')}`;
  return { plan: planRun({ invocation: inv, engine, enginePath, host: hostFacts(), tree, runId }), engine };
}

/** The pasteable command line of a plan. */
export function formatCommand(plan: RunPlan): string {
  return quoteCommand([plan.file, ...plan.args]);
}

/** Run an invocation to the end (or print it, with CONTAINER_DRYRUN). */
export async function runInvocation(inv: Invocation, stderr: NodeJS.WritableStream = process.stderr): Promise<RunResult> {
  // A dry run creates O= too: Podman refuses a missing bind-mount source (statfs: no such
  // file), and Docker would create it root-owned, so the printed command must find it there.
  const { plan, engine } = planInvocation(inv, { create: true });
  if (inv.container.dryRun) {
    process.stdout.write(formatCommand(plan) + '\n');
    return { exitCode: 0 };
  }
  if (!inv.silent) stderr.write(plan.banner + '\n');
  if (inv.verbose) stderr.write(formatCommand(plan) + '\n');
  if (inv.verbose && plan.jobserverNote) stderr.write(plan.jobserverNote + '\n');
  const attempt = () => superviseRun(plan, engine, inv.container.image, { stderr });
  // A missing image of the family is built (or a registry one pulled), then run: src/images/.
  const onDemand = { image: inv.container.image, engineName: engine.name, enginePath: plan.file, env: process.env, verbose: inv.verbose, stderr };
  if (plan.interactive) await (await import('./images/on-demand.js')).ensureImageFirst(onDemand, engine.explainFailure);
  return attempt().catch(async (err: unknown) => (await import('./images/on-demand.js')).retryWithImage(err, onDemand, attempt));
}
