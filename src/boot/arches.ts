// Data, not logic: what booting a kernel of each architecture takes.

/** The architectures `make ... boot` knows, by the name Kbuild's ARCH gives their tree. */
export type BootArch = 'x86_64' | 'arm64';

export interface BootArchSpec {
  /** The kernel image the tree's ARCH builds, relative to the output directory. */
  kernelImage: string;
  /** The make goal that builds it (said when it is missing). */
  buildGoal: string;
  /** The QEMU binary in the korg-qemu image. */
  qemu: string;
  /** Machine and CPU: TCG needs an explicit CPU, and these two are the ones measured here. */
  machine: string[];
  /** The serial console's device name on the kernel command line. */
  console: string;
  /** The image `boot` runs in when neither BOOT_CONTAINER nor a boot-only CONTAINER names one. */
  bootImage: string;
  /** Options a kernel needs to reach our init and print on the console; checked in O=/.config before booting. */
  requiredConfig: string[];
  /** The minimal bootable configuration shipped for it (boot/<file>), used as KCONFIG_ALLCONFIG. */
  fragment: string;
}

// Common to both: printk and a tty for the console, an initramfs, and ELF plus
// #! scripts so busybox and our /init run.
const COMMON = ['PRINTK', 'TTY', 'BLK_DEV_INITRD', 'BINFMT_ELF', 'BINFMT_SCRIPT'];

export const BOOT_ARCHES: Record<BootArch, BootArchSpec> = {
  x86_64: {
    kernelImage: 'arch/x86/boot/bzImage',
    buildGoal: 'bzImage',
    qemu: 'qemu-system-x86_64',
    // q35 and -cpu max: measured here, 2.5 s to init under TCG (qemu 7.2).
    machine: ['-M', 'q35', '-cpu', 'max'],
    console: 'ttyS0',
    bootImage: 'korg-qemu:x86',
    // 64BIT: the guest's busybox is an x86_64 binary.
    requiredConfig: ['64BIT', ...COMMON, 'SERIAL_8250', 'SERIAL_8250_CONSOLE'],
    fragment: 'x86_64.config',
  },
  arm64: {
    kernelImage: 'arch/arm64/boot/Image',
    buildGoal: 'Image',
    qemu: 'qemu-system-aarch64',
    // virt with cortex-a57: measured here, 0.75 s to init under TCG (qemu 7.2).
    machine: ['-M', 'virt', '-cpu', 'cortex-a57'],
    console: 'ttyAMA0',
    bootImage: 'korg-qemu:arm64',
    requiredConfig: [...COMMON, 'SERIAL_AMBA_PL011', 'SERIAL_AMBA_PL011_CONSOLE'],
    fragment: 'arm64.config',
  },
};

/** Which of our architectures a .config was made for (CONFIG_X86 / CONFIG_ARM64), if any. */
export function archOfConfig(config: ReadonlyMap<string, string>): BootArch | undefined {
  if (config.get('ARM64') === 'y') return 'arm64';
  // A 32-bit x86 configuration (tinyconfig without ARCH=x86_64) counts as x86_64 missing CONFIG_64BIT.
  if (config.get('X86') === 'y' || config.get('X86_64') === 'y') return 'x86_64';
  return undefined;
}

/** Which architecture a kernel image file is, from its header: the file decides, not its name. */
export function archOfKernelImage(head: Uint8Array): BootArch | 'x86-32' | undefined {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  // arm64 Image: "ARM\x64" at offset 56 (Documentation/arch/arm64/booting.rst).
  if (buf.length >= 60 && buf.readUInt32LE(56) === 0x644d5241) return 'arm64';
  // x86 boot protocol: "HdrS" at 0x202; loadflags... the 64-bit entry is
  // advertised by XLF_KERNEL_64 (bit 0 of xloadflags at 0x236, protocol 2.12+).
  if (buf.length >= 0x238 && buf.toString('latin1', 0x202, 0x206) === 'HdrS') {
    return (buf.readUInt16LE(0x236) & 1) === 1 ? 'x86_64' : 'x86-32';
  }
  return undefined;
}
