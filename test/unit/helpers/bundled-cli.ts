// The runner as users start it: a private transpiled copy of src/, bundled
// exactly as `npm run build` does, so tests never run a stale dist/ nor race
// another build of it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll } from 'vitest';
import { bundleRunner } from '../../../scripts/bundle.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Build the private copy; returns its root, the bundled CLI's path and how to remove it. */
export async function buildPrivateCli(): Promise<{ root: string; cli: string; cleanup: () => void }> {
  // Under node_modules so the compiled files find the package's dependencies.
  const build = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache-kbc-unit-'));
  // Transpile only (type checking is `tsc -p .`'s job): a tenth of the time of a full build.
  const transpile = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      if (entry.isDirectory()) transpile(source, path.join(to, entry.name));
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
          fileName: source,
        });
        fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
      }
    }
  };
  transpile(path.join(ROOT, 'src'), path.join(build, 'dist'));
  // The version --version prints comes from the package.json beside dist/.
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  fs.writeFileSync(path.join(build, 'package.json'), `${JSON.stringify({ type: 'module', version })}\n`);
  const cli = path.join(build, 'dist', 'kbuild-container.cjs');
  await bundleRunner(path.join(build, 'dist', 'cli.js'), cli);
  fs.chmodSync(cli, 0o755);
  return { root: build, cli, cleanup: () => fs.rmSync(build, { recursive: true, force: true }) };
}

/** For a test file: build the private copy before its tests, remove it after; the function gives the bundled CLI's path. */
export function usePrivateCli(): () => string {
  let built: Awaited<ReturnType<typeof buildPrivateCli>> | undefined;
  // Transpiling and bundling took over 10 s on this 2-core machine while other builds ran.
  beforeAll(async () => {
    built = await buildPrivateCli();
  }, 60_000);
  afterAll(() => built?.cleanup());
  return () => built!.cli;
}
