// npm run build, second step: the runner as one CommonJS file,
// dist/kbuild-container.cjs, which is what `kbuild-container` starts.
//
// Every make CONTAINER=... pays node's start-up before the engine even
// starts, so the runner must load fast: one file needs no module resolution
// and skips node's ES module loader (about 20 ms less than dist/cli.js and
// its 20 files on this machine; `npm run bench` shows the breakdown).
// dist/*.js stays the library (package.json "main").
// test/unit/cli.test.ts bundles its own copy of the sources with this too.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Everything but `kbuild-container make` (the argument parser, commander, and
// the commands) goes into a second file beside it, required only when another
// command runs: make's start-up neither reads nor parses it.
const COMMANDS_MODULE = './cli/program.js';
const COMMANDS_FILE = 'kbuild-container-commands.cjs';

/** Bundle the compiled CLI entry (dist/cli.js) into one executable CommonJS file, and the commands beside it. */
export async function bundleRunner(entry, outfile) {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The sources find make/Makefile.container from import.meta.url; in a
    // CommonJS file that is the file's own URL (dist/ either way).
    define: { 'import.meta.url': '__kbc_module_url' },
    banner: { js: "const __kbc_module_url = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  };
  const commandsFile = path.join(path.dirname(outfile), COMMANDS_FILE);
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    plugins: [
      {
        name: 'commands-apart',
        setup(b) {
          b.onResolve({ filter: /^\.\/cli\/program\.js$/ }, () => ({ path: `./${COMMANDS_FILE}`, external: true }));
        },
      },
    ],
  });
  await build({ ...common, entryPoints: [path.join(path.dirname(entry), COMMANDS_MODULE)], outfile: commandsFile });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  await bundleRunner(path.join(repo, 'dist/cli.js'), path.join(repo, 'dist/kbuild-container.cjs'));
}
