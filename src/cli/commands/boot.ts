// The boot commands: where the minimal bootable configuration fragments are (`make ... boot` itself is a make goal).
import type { Command } from 'commander';
import { bootConfigPath } from '../../boot/boot-config.js';
import type { SetStatus } from '../program.js';

/** Register boot-config. */
export function registerBootCommands(program: Command, setStatus: SetStatus): void {
  program
    .command('boot-config')
    .argument('[arch]', "x86_64 or arm64 (default: this machine's)")
    .summary('print the path of the minimal bootable config fragment (x86_64, arm64)')
    .description(
      'Print the path of the shipped config fragment that, as KCONFIG_ALLCONFIG of allnoconfig, gives a minimal kernel that boots with `make ... boot`.',
    )
    .action((arch?: string) => {
      process.stdout.write(bootConfigPath(arch) + '\n');
      setStatus(0);
    });
}
