// `kbuild-container images [build] [VAR=VALUE|TARGET...]`: the family's make,
// from wherever the package is installed.
import { imagesDir } from './on-demand.js';
import { runTool } from './run-tool.js';

/** Run make -C images with the given words; its status is ours. */
export async function imagesCommand(args: string[]): Promise<number> {
  const words = args[0] === 'build' ? args.slice(1) : args;
  const status = await runTool('make', ['-C', imagesDir(), '--no-print-directory', ...words], { quiet: false, stderr: process.stderr });
  return status.code ?? 128;
}
