// The hook commands: rebuild and push the image family on `git push` (src/hook/).
import fs from 'node:fs';
import type { Command } from 'commander';
import { hookStatus, installHook, postReceive, runWorker, uninstallHook, type Runner } from '../../hook/run.js';
import type { SetStatus } from '../program.js';

/** The runner an installed hook calls back: this node and this very CLI file. */
function thisRunner(): Runner {
  return { node: process.execPath, cli: fs.realpathSync(process.argv[1]) };
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register hook install|uninstall|status, and the post-receive and worker entries the hook itself uses. */
export function registerHookCommands(program: Command, setStatus: SetStatus): void {
  const hook = program
    .command('hook')
    .summary('rebuild and push the images on git push (hook install|uninstall|status BARE_REPO)')
    .description(
      'A git post-receive hook for the repository holding the image recipes: every push to the branch rebuilds the images in the background and pushes them to a registry.',
    );
  hook
    .command('install')
    .argument('<bare-repo>', 'the bare repository pushes arrive in')
    .description('Write hooks/post-receive: a push to the branch queues a build of the images; nothing is written when an option is wrong.')
    .option('--branch <name>', 'the branch to watch', 'main')
    .option('--registry <host[:port]/namespace>', 'push every tag there after all images built')
    .option('--plain-http', 'talk http to a registry on this machine (127.0.0.1, localhost)', false)
    .option('--mail-to <address>', 'mail PASS/FAIL through sendmail when a build ends')
    .option('--prefix <prefix>', 'PREFIX= of the image names', 'korg-')
    .option('--images-dir <dir>', 'where the images Makefile is in the pushed tree', 'images')
    .option('--image <name>', 'build only this image, a family name or tag (repeatable; default: the default set)', collect, [])
    .action(
      async (
        repo: string,
        o: { branch: string; registry?: string; plainHttp: boolean; mailTo?: string; prefix: string; imagesDir: string; image: string[] },
      ) => {
        const file = await installHook(
          repo,
          {
            branch: o.branch,
            registry: o.registry,
            plainHttp: o.plainHttp,
            mailTo: o.mailTo,
            prefix: o.prefix,
            imagesDir: o.imagesDir,
            images: o.image,
            sendmail: process.env.SENDMAIL,
          },
          thisRunner(),
        );
        process.stderr.write(`kbuild-container: wrote ${file}\n`);
        setStatus(0);
      },
    );
  hook
    .command('uninstall')
    .argument('<bare-repo>')
    .description('Remove exactly the hook and the state install wrote; a hook it did not write is left alone.')
    .action((repo: string) => {
      process.stderr.write(`kbuild-container: removed ${uninstallHook(repo)}\n`);
      setStatus(0);
    });
  hook
    .command('status')
    .argument('<bare-repo>')
    .description('The pushed commits as a table: state (queued, building, pushed, built, failed, superseded), start, duration, tags, log.')
    .action((repo: string) => {
      process.stdout.write(hookStatus(repo));
      setStatus(0);
    });
  // What the installed hook and its detached worker run; not for typing.
  hook
    .command('post-receive', { hidden: true })
    .argument('<bare-repo>')
    .action((repo: string) => {
      postReceive(repo, fs.readFileSync(0, 'utf8'), process.stderr, thisRunner());
      setStatus(0);
    });
  hook
    .command('worker', { hidden: true })
    .argument('<bare-repo>')
    .action(async (repo: string) => {
      await runWorker(repo);
      setStatus(0);
    });
}
