// The images commands: the toolchain image family's make, from wherever the package is installed (src/images/).
import type { Command } from 'commander';
import { imagesCommand } from '../../images/images-command.js';
import type { SetStatus } from '../program.js';

/** Register images. */
export function registerImagesCommands(program: Command, setStatus: SetStatus): void {
  program
    .command('images')
    .argument('[make-words...]', "'build' (optional), then make's VAR=VALUE words and goals for images/Makefile")
    .allowUnknownOption()
    .helpOption('--help', 'show this help')
    .summary('build the toolchain image family (make -C images; see the README)')
    .description('Run make -C images with these words: PREFIX=, IMAGES=, SOURCE=, KORG_MIRROR=, V=1, list-tags, debian-base, help...')
    .action(async (words: string[]) => setStatus(await imagesCommand(words)));
}
