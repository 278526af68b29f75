// The thin part of `kbuild-container exec`: read the settings a build would,
// find the tree, then one container run through the same supervision as a
// build (signals, lifeline, the missing image built or pulled on demand).
import fs from 'node:fs';
import { findEngine, hostFacts, visibleMakefile } from '../host.js';
import { ensureDirectory, findTreeAndCreateOutputDirs } from '../output-dirs.js';
import { describeContainerConfig, loadContainerConfig } from '../parse/container-toml.js';
import { buildInvocation } from '../parse/invocation.js';
import { checkImageReference } from '../plan/image-ref.js';
import { formatCommand, newRunId } from '../run.js';
import { superviseRun, type RunResult } from '../supervise/supervise-run.js';
import { chooseExecImage, execOutputDirs, findExecTree, planExec, splitExecWords, type PathKind } from './plan-exec.js';

/** Run the command the words after `exec` name; its exit status is the result. */
export async function runExec(
  words: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<RunResult> {
  // 1. The words, then the image and settings exactly as a build in cwd reads them.
  const { image: typed, command } = splitExecWords(words);
  const config = loadContainerConfig(cwd);
  const image = chooseExecImage(typed, env, config !== undefined);
  const inv = buildInvocation({
    cwd,
    goals: [],
    flags: [],
    jobs: { kind: 'default' },
    overrides: [{ name: 'CONTAINER', value: image, op: '=' }],
    silent: false,
    env,
    containerConfig: config,
  });
  checkImageReference(inv.container.image);
  const { engine, path: enginePath } = findEngine(inv.container.runtime);

  // 2. The tree: a build's checks and output directories, then the top that holds cwd.
  const outputs = findTreeAndCreateOutputDirs(inv, { create: true });
  const tree = { ...outputs, srctree: outputs.objtree ? outputs.srctree : findExecTree(cwd, fs.existsSync) };
  // The command's own output directories (kunit.py --build_dir): checked, then the missing ones made as the caller.
  const written = execOutputDirs(command, cwd, pathKind);
  for (const dir of written.missing) ensureDirectory(dir);

  // 3. The plan; printed instead with CONTAINER_DRYRUN, shown first with V=1.
  const plan = planExec({
    invocation: inv,
    command,
    engine,
    enginePath,
    host: hostFacts(),
    tree,
    runId: newRunId(),
    term: env.TERM,
    makefile: visibleMakefile(tree),
    outputDirs: written.dirs,
  });
  if (inv.container.dryRun) {
    process.stdout.write(formatCommand(plan) + '\n');
    return { exitCode: 0 };
  }
  if (inv.verbose) {
    const fromFile = describeContainerConfig(inv.container);
    stderr.write([plan.banner, ...(fromFile ? [fromFile] : []), formatCommand(plan)].join('\n') + '\n');
  }

  // 4. One supervised run; a missing image of the family is built (or pulled) as for a build, then run.
  const attempt = () => superviseRun(plan, engine, inv.container.image, { stderr });
  const onDemand = { image: inv.container.image, engineName: engine.name, enginePath, env, verbose: inv.verbose, stderr };
  if (plan.interactive) await (await import('../images/on-demand.js')).ensureImageFirst(onDemand, (text, img) => engine.explainFailure(text, img));
  return attempt().catch(async (err: unknown) => (await import('../images/on-demand.js')).retryWithImage(err, onDemand, attempt));
}

/** The one file-system question execOutputDirs asks. */
function pathKind(file: string): PathKind {
  try {
    return fs.statSync(file).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}
