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
// The boot goal's code (QEMU planning, verdicts) likewise, in a file of its own.
const APART = [
  { module: 'cli/program.js', file: 'kbuild-container-commands.cjs', filter: /(^|\/)cli\/program\.js$/ },
  { module: 'boot/index.js', file: 'kbuild-container-boot.cjs', filter: /(^|\/)boot\/index\.js$/ },
  // And the image family's on-demand builds, needed only when an image is missing.
  { module: 'images/on-demand.js', file: 'kbuild-container-images.cjs', filter: /(^|\/)images\/on-demand\.js$/ },
];

// Imports of a module kept apart resolve to its file beside the bundle, loaded
// only when that import runs.
const apart = (except) => ({
  name: 'apart',
  setup(b) {
    for (const { file, filter } of APART.filter((a) => a.file !== except)) {
      b.onResolve({ filter }, () => ({ path: `./${file}`, external: true }));
    }
  },
});

/** Bundle the compiled CLI entry (dist/cli.js) into one executable CommonJS file, and the modules kept apart beside it. */
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
  await build({ ...common, entryPoints: [entry], outfile, plugins: [apart()] });
  for (const { module, file } of APART) {
    await build({ ...common, entryPoints: [path.join(path.dirname(entry), module)], outfile: path.join(path.dirname(outfile), file), plugins: [apart(file)] });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  await bundleRunner(path.join(repo, 'dist/cli.js'), path.join(repo, 'dist/kbuild-container.cjs'));
}
