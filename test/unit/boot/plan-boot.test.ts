import { describe, expect, it } from 'vitest';
import { podman } from '../../../src/plan/engines/podman.js';
import { archOfConfig, archOfKernelImage } from '../../../src/boot/arches.js';
import { missingBootOptions, parseKconfig } from '../../../src/boot/config-check.js';
import { chooseBootImage, guestInit, planBoot, qemuArgs, readBootSettings, splitBootGoals, BOOT_DEFAULTS } from '../../../src/boot/plan-boot.js';
import { decideAccel } from '../../../src/boot/accel.js';

const host = { uid: 1000, gid: 1000, username: 'u', hostname: 'h', stdinIsTTY: false, stdoutIsTTY: false };
const ov = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value, origin: 'command line' }) as never);

describe('readBootSettings', () => {
  it.each([
    [{}, {}, { command: 'uname -r', timeoutSeconds: 120, append: '', accel: 'auto', image: undefined }],
    [{ BOOT_CMD: 'exit 3', BOOT_TIMEOUT: '5' }, {}, { command: 'exit 3', timeoutSeconds: 5 }],
    [{}, { BOOT_TIMEOUT: '7.5', BOOT_CONTAINER: 'q' }, { timeoutSeconds: 7.5, image: 'q' }],
    [{ BOOT_TIMEOUT: '9' }, { BOOT_TIMEOUT: '7' }, { timeoutSeconds: 9 }],
    [{ BOOT_APPEND: 'rdinit=/nope', BOOT_ACCEL: 'tcg' }, {}, { append: 'rdinit=/nope', accel: 'tcg' }],
    [{}, {}, { kselftest: [] }],
    [{ BOOT_KSELFTEST: 'size timers' }, {}, { kselftest: ['size', 'timers'] }],
  ])('%j %j', (typed, env, want) => {
    expect(readBootSettings(ov(typed), env)).toMatchObject(want);
  });
  it.each(['abc', '-1', '0', '5s', '1e3'])('refuses BOOT_TIMEOUT=%s in one line', (value) => {
    expect(() => readBootSettings(ov({ BOOT_TIMEOUT: value }), {})).toThrow(/^BOOT_TIMEOUT='.*' is not a number of seconds/);
  });
  it('refuses an unknown BOOT_ACCEL', () => {
    expect(() => readBootSettings(ov({ BOOT_ACCEL: 'hvf' }), {})).toThrow("BOOT_ACCEL='hvf' is not one of auto, kvm, tcg");
  });
  it('defaults are the documented ones', () => expect(BOOT_DEFAULTS.command).toBe('uname -r'));
});

describe('goals and image', () => {
  it.each([
    [['boot'], [], 'korg-qemu:x86', undefined, 'x86_64', 'korg-qemu:x86'],
    [['bzImage', 'boot'], ['bzImage'], 'korg-gcc', undefined, 'x86_64', 'korg-qemu:x86'],
    [['Image', 'boot'], ['Image'], 'korg-gcc-arm64', undefined, 'arm64', 'korg-qemu:arm64'],
    [['bzImage', 'boot'], ['bzImage'], 'korg-gcc', 'my-qemu', 'x86_64', 'my-qemu'],
  ] as const)('%j in %s', (goals, build, container, bootContainer, arch, image) => {
    const { buildGoals, boot } = splitBootGoals([...goals]);
    expect({ buildGoals, boot }).toEqual({ buildGoals: build, boot: true });
    const settings = { ...readBootSettings([], {}), image: bootContainer };
    expect(chooseBootImage(settings, container, buildGoals, arch)).toBe(image);
  });
});

describe('config check', () => {
  const tiny = '# CONFIG_PRINTK is not set\nCONFIG_X86_64=y\nCONFIG_64BIT=y\nCONFIG_TTY=y\nCONFIG_BINFMT_ELF=y\nCONFIG_BINFMT_SCRIPT=y\nCONFIG_SERIAL_8250=m\n';
  it('names each missing option; =m does not count', () => {
    const config = parseKconfig(tiny);
    expect(archOfConfig(config)).toBe('x86_64');
    expect(missingBootOptions('x86_64', config)).toEqual(['CONFIG_PRINTK', 'CONFIG_BLK_DEV_INITRD', 'CONFIG_SERIAL_8250', 'CONFIG_SERIAL_8250_CONSOLE']);
  });
  it('arm64 wants the PL011 console', () => {
    const config = parseKconfig('CONFIG_ARM64=y\nCONFIG_PRINTK=y\nCONFIG_TTY=y\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_BINFMT_ELF=y\nCONFIG_BINFMT_SCRIPT=y\n');
    expect(archOfConfig(config)).toBe('arm64');
    expect(missingBootOptions('arm64', config)).toEqual(['CONFIG_SERIAL_AMBA_PL011', 'CONFIG_SERIAL_AMBA_PL011_CONSOLE']);
  });
  it('knows neither i386 nor riscv', () => {
    expect(archOfConfig(parseKconfig('CONFIG_X86_32=y\n'))).toBeUndefined();
    expect(archOfConfig(parseKconfig('CONFIG_RISCV=y\n'))).toBeUndefined();
  });
});

describe('archOfKernelImage', () => {
  const header = (fill: (b: Buffer) => void) => {
    const b = Buffer.alloc(0x240);
    fill(b);
    return b;
  };
  it.each([
    ['arm64 Image magic', header((b) => b.write('ARM\x64', 56, 'latin1')), 'arm64'],
    ['bzImage, 64-bit entry', header((b) => (b.write('HdrS', 0x202, 'latin1'), b.writeUInt16LE(1, 0x236))), 'x86_64'],
    ['bzImage, no 64-bit entry', header((b) => b.write('HdrS', 0x202, 'latin1')), 'x86-32'],
    ['anything else', header(() => {}), undefined],
    ['too short', Buffer.alloc(10), undefined],
  ])('%s', (_, head, want) => expect(archOfKernelImage(head)).toBe(want));
});

describe('qemuArgs', () => {
  it('x86_64: q35, -cpu max, serial on stdio, no monitor, no reboot, panic=-1', () => {
    expect(qemuArgs('x86_64', { kernel: '/o/arch/x86/boot/bzImage', initramfs: '/t/i.cpio', accel: 'tcg', append: '' })).toEqual([
      'qemu-system-x86_64',
      '-M',
      'q35',
      '-cpu',
      'max',
      '-accel',
      'tcg',
      '-m',
      '256M',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'stdio',
      '-no-reboot',
      '-kernel',
      '/o/arch/x86/boot/bzImage',
      '-initrd',
      '/t/i.cpio',
      '-append',
      'console=ttyS0 panic=-1 rdinit=/init',
    ]);
  });
  it('arm64: virt, cortex-a57, ttyAMA0, extra words appended', () => {
    const args = qemuArgs('arm64', { kernel: '/o/arch/arm64/boot/Image', initramfs: '/t/i.cpio', accel: 'tcg', append: 'rdinit=/nope' });
    expect(args.slice(0, 5)).toEqual(['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a57']);
    expect(args.at(-1)).toBe('console=ttyAMA0 panic=-1 rdinit=/init rdinit=/nope');
  });
});

describe('planBoot', () => {
  const nonce = '0123456789abcdef01234567';
  const plan = planBoot({
    arch: 'x86_64',
    engine: podman,
    enginePath: '/usr/bin/podman',
    host,
    image: 'korg-qemu:x86',
    buildDir: '/b/o',
    workDir: '/tmp/w',
    settings: readBootSettings([], {}),
    accel: 'tcg',
    nonce,
    runId: 'r1',
  });
  it('mounts the build read-only and the work directory read-write, no network, no stdin', () => {
    expect(plan.args).toContain('--volume=/b/o:/b/o:ro');
    expect(plan.args).toContain('--volume=/tmp/w:/tmp/w:rw');
    expect(plan.args).toContain('--network=none');
    expect(plan.args).not.toContain('--interactive');
    expect(plan.attachStdin).toBe(false);
    expect(plan.removeArgs).toEqual(['rm', '--force', '--time=0', 'kbuild-boot-r1']);
  });
  it('never puts the nonce on the kernel command line, nor whole in /init', () => {
    const append = plan.args[plan.args.indexOf('-append') + 1];
    expect(append).not.toContain(nonce.slice(0, 6));
    expect(guestInit(nonce)).not.toContain(nonce);
    expect(plan.args.join(' ')).not.toContain(nonce);
  });
  it('passes /dev/kvm only under KVM', () => {
    const kvm = planBoot({
      arch: 'x86_64',
      engine: podman,
      enginePath: 'podman',
      host,
      image: 'q',
      buildDir: '/b',
      workDir: '/w',
      settings: readBootSettings([], {}),
      accel: 'kvm',
      nonce,
      runId: 'r2',
    });
    expect(kvm.args).toContain('--device=/dev/kvm');
    expect(plan.args).not.toContain('--device=/dev/kvm');
  });
});

describe('decideAccel', () => {
  it.each([
    ['tcg', 'present', undefined, 'tcg'],
    ['kvm', 'absent', undefined, 'kvm'],
    ['auto', 'absent', undefined, 'tcg'],
    ['auto', 'no-access', undefined, 'tcg'],
    ['auto', 'present', 'kvm', 'kvm'],
    ['auto', 'present', 'probe TIMEOUT: no result before BOOT_TIMEOUT', 'tcg'],
    ['auto', 'present', undefined, 'probe'],
  ] as const)('%s, device %s, remembered %s → %s', (setting, device, remembered, want) => {
    const got = decideAccel(setting, device, remembered);
    expect(got === 'probe' ? 'probe' : got.accel).toBe(want);
  });
});
