// `kbuild-container hook ...`: loaded only for this subcommand, never on the make path.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { hookStatus, installHook, postReceive, runWorker, uninstallHook, type Runner } from './run.js';

export const HOOK_USAGE = `usage: kbuild-container hook COMMAND BARE_REPO [OPTIONS]

  install BARE_REPO    write hooks/post-receive: a push to the branch rebuilds the images
      --branch B         the branch to watch (default: main)
      --registry R       push the images to R (host[:port]/namespace) after all of them built
      --plain-http       talk http to a registry on this machine (127.0.0.1, localhost)
      --mail-to ADDR     mail PASS/FAIL through sendmail when a build ends
      --prefix P         PREFIX= of the image names (default: korg-)
      --images-dir D     where the images Makefile is in the pushed tree (default: images)
      --image NAME       build only this image (a family name or tag; repeatable; default: the default set)
  uninstall BARE_REPO  remove exactly the hook and the state install wrote
  status BARE_REPO     the table of pushed commits: state, start, duration, tags, log
`;

/** The runner an installed hook calls: this node and this very CLI file. */
function thisRunner(): Runner {
  return { node: process.execPath, cli: fs.realpathSync(process.argv[1]) };
}

/** Run one `hook` subcommand; returns the exit status. */
export async function hookCommand(args: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    out.write(HOOK_USAGE);
    return verb === undefined ? 2 : 0;
  }
  const { values, positionals } = parseHookArgs(verb, rest);
  if (positionals.length !== 1) throw new UserError(`hook ${verb} takes one bare repository (try kbuild-container hook --help)`);
  const repo = positionals[0];
  switch (verb) {
    case 'install': {
      const file = await installHook(
        repo,
        {
          branch: (values.branch as string | undefined) ?? 'main',
          registry: values.registry as string | undefined,
          plainHttp: values['plain-http'] === true,
          mailTo: values['mail-to'] as string | undefined,
          prefix: (values.prefix as string | undefined) ?? 'korg-',
          imagesDir: (values['images-dir'] as string | undefined) ?? 'images',
          images: (values.image as string[] | undefined) ?? [],
          sendmail: process.env.SENDMAIL,
        },
        thisRunner(),
      );
      err.write(`kbuild-container: wrote ${file}\n`);
      return 0;
    }
    case 'uninstall':
      err.write(`kbuild-container: removed ${uninstallHook(repo)}\n`);
      return 0;
    case 'status':
      out.write(hookStatus(repo));
      return 0;
    case 'post-receive':
      postReceive(repo, fs.readFileSync(0, 'utf8'), err, thisRunner());
      return 0;
    case 'worker':
      await runWorker(repo);
      return 0;
    default:
      throw new UserError(`unknown hook command '${verb}' (try kbuild-container hook --help)`);
  }
}

const INSTALL_OPTIONS = {
  branch: { type: 'string' },
  registry: { type: 'string' },
  'plain-http': { type: 'boolean' },
  'mail-to': { type: 'string' },
  prefix: { type: 'string' },
  'images-dir': { type: 'string' },
  image: { type: 'string', multiple: true },
} as const;

function parseHookArgs(verb: string, args: string[]): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args, allowPositionals: true, options: verb === 'install' ? INSTALL_OPTIONS : {} });
  } catch (e) {
    throw new UserError(`hook ${verb}: ${(e as Error).message}`);
  }
}
