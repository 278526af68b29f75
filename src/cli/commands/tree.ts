// The tree commands: enable and disable `make CONTAINER=...` in a kernel tree.
import type { Command } from 'commander';
import { disableTree, enableTree } from '../../enable.js';
import type { SetStatus } from '../program.js';

// Each: what --help says, what it does to the tree, and the verb of its one line.
const TREE_COMMANDS = [
  {
    name: 'enable',
    summary: "let 'make CONTAINER=image ...' work in a kernel tree (writes GNUmakefile)",
    description: "Write a GNUmakefile into the kernel tree so that 'make CONTAINER=image ...' runs in a container; plain make is unchanged.",
    act: enableTree,
    said: 'wrote',
  },
  {
    name: 'disable',
    summary: "undo 'enable'",
    description: "Remove the GNUmakefile 'enable' wrote; a file it did not write is left alone.",
    act: disableTree,
    said: 'removed',
  },
] as const;

/** Register enable and disable. */
export function registerTreeCommands(program: Command, setStatus: SetStatus): void {
  for (const { name, summary, description, act, said } of TREE_COMMANDS) {
    program
      .command(name)
      .argument('[kernel-dir]', 'the kernel source tree (default: the current directory)')
      .summary(summary)
      .description(description)
      .action((dir?: string) => {
        process.stderr.write(`kbuild-container: ${said} ${act(dir ?? process.cwd())}\n`);
        setStatus(0);
      });
  }
}
