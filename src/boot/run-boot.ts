// The thin part of `make ... boot`: read the build directory, run the build
// goals, then one container run of QEMU through the same supervision as a
// build, and judge the console it left behind.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { findEngine, findTree, hostFacts } from '../host.js';
import type { Invocation } from '../parse/invocation.js';
import { checkImageReference } from '../plan/image-ref.js';
import { formatCommand, runInvocation } from '../run.js';
import { superviseRun, type RunResult } from '../supervise/supervise-run.js';
import { BOOT_ARCHES, archOfConfig, archOfKernelImage, type BootArch } from './arches.js';
import { missingBootOptions, parseKconfig } from './config-check.js';
import { BOOT_VARIABLES, SCRIPT_EXIT, chooseBootImage, planBoot, readBootSettings, splitBootGoals, type BootSettings } from './plan-boot.js';
import { decideVerdict, type BootVerdict } from './verdict.js';
import { chooseAccel } from './accel.js';
import { KSELFTEST_INSTALL, chooseKselftest, kselftestCommand, kselftestExitCode, kselftestSummaryLine, summariseTap } from './kselftest.js';

/** Run the build goals of an invocation that asks for `boot`, then boot what they built. */
export async function runWithBoot(inv: Invocation, stderr: NodeJS.WritableStream = process.stderr): Promise<RunResult> {
  // 1. Settings first: a bad BOOT_TIMEOUT stops everything before any build.
  const settings = readBootSettings(inv.overrides, inv.env);
  const { buildGoals } = splitBootGoals(inv.goals);

  // 2. The build goals, in CONTAINER, exactly as without boot (our variables stay outside).
  if (buildGoals.length > 0) {
    const ours = new Set<string>(BOOT_VARIABLES);
    const built = await runInvocation({ ...inv, goals: buildGoals, overrides: inv.overrides.filter((o) => !ours.has(o.name)) }, stderr);
    if (built.exitCode !== 0 || inv.container.dryRun) return built;
  }

  // 3. What there is to boot, checked before any container starts.
  const buildDir = inv.outputDir ?? findTree(inv.cwd).objtree ?? inv.cwd;
  const arch = checkBootable(buildDir);
  const kselftest = checkKselftest(buildDir, settings.kselftest);
  const bootSettings = kselftest ? { ...settings, command: kselftestCommand(settings.kselftest) } : settings;
  const image = chooseBootImage(settings, inv.container.image, buildGoals, arch);
  checkImageReference(image);
  const { engine, path: enginePath } = findEngine(inv.container.runtime);

  // A dry run prints the boot's engine command too (TCG: a probe would run something).
  if (inv.container.dryRun) {
    const workDir = path.join(os.tmpdir(), 'kbuild-container-boot-DRYRUN');
    const plan = planBoot({
      arch,
      engine,
      enginePath,
      host: hostFacts(),
      image,
      buildDir,
      workDir,
      settings: bootSettings,
      kselftest,
      accel: 'tcg',
      nonce: 'NONCE',
      runId: 'dryrun',
      extraArgs: inv.container.args,
    });
    process.stdout.write(formatCommand(plan) + '\n');
    return { exitCode: 0 };
  }

  // 4. KVM when it works, else TCG, said on the banner line.
  const accel = await chooseAccel(settings.accel, (probeAccel) =>
    bootOnce({
      inv,
      settings: { ...settings, command: 'true', timeoutSeconds: 15 },
      arch,
      image,
      buildDir,
      engine,
      enginePath,
      accel: probeAccel,
      quiet: true,
      stderr,
    }),
  );

  // 5. The boot itself, and its verdict in one line.
  const started = Date.now();
  const outcome = await bootOnce({
    inv,
    settings: bootSettings,
    kselftest,
    arch,
    image,
    buildDir,
    engine,
    enginePath,
    accel: accel.accel,
    accelLine: accel.line,
    quiet: false,
    stderr,
  });
  if ('interrupted' in outcome) return outcome.interrupted;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const v = outcome.verdict;
  stderr.write(`kbuild-container: boot ${v.verdict}: ${v.reason} (${arch}, ${accel.accel.toUpperCase()}, ${seconds} s)\n`);
  for (const line of v.evidence) stderr.write(`    | ${line}\n`);
  if (!kselftest) return { exitCode: v.exitCode };
  // BOOT_KSELFTEST: the TAP results decide too; none at all is a failure, not a pass.
  const tap = summariseTap(outcome.console, outcome.nonce);
  stderr.write(`${kselftestSummaryLine(tap)}\n`);
  for (const line of tap.failures) stderr.write(`    | ${line}\n`);
  return { exitCode: kselftestExitCode(v.exitCode, tap) };
}

/** BOOT_KSELFTEST's collections, checked against O=/kselftest/kselftest_install before anything boots. */
function checkKselftest(buildDir: string, wanted: string[]): { dir: string; copy: string[] } | undefined {
  if (wanted.length === 0) return undefined;
  const dir = path.join(buildDir, KSELFTEST_INSTALL);
  let list: string;
  try {
    list = fs.readFileSync(path.join(dir, 'kselftest-list.txt'), 'utf8');
  } catch {
    throw new UserError(
      `BOOT_KSELFTEST: no installed selftests in ${dir}; install them with make CONTAINER=korg-kselftest O=${buildDir} TARGETS="${wanted.join(' ')}" kselftest-install`,
    );
  }
  return { dir, copy: chooseKselftest(wanted, list, dir).copy };
}

/** The build directory's architecture, once it has a .config that can boot and the matching kernel image. */
function checkBootable(buildDir: string): BootArch {
  const configFile = path.join(buildDir, '.config');
  let configText: string;
  try {
    configText = fs.readFileSync(configFile, 'utf8');
  } catch {
    throw new UserError(
      `${configFile}: no kernel configuration to boot; make one first, e.g. make CONTAINER=korg-gcc O=${buildDir} KCONFIG_ALLCONFIG=$(kbuild-container boot-config) allnoconfig`,
    );
  }
  const config = parseKconfig(configText);
  const arch = archOfConfig(config);
  if (!arch) throw new UserError(`${configFile}: not an x86 or arm64 configuration (CONFIG_X86 / CONFIG_ARM64 unset); boot knows only those`);
  const missing = missingBootOptions(arch, config);
  if (missing.length > 0) {
    throw new UserError(`${configFile} cannot boot: ${missing.join(' ')} not set (=y); the fragment \`kbuild-container boot-config ${arch}\` has them`);
  }
  const spec = BOOT_ARCHES[arch];
  const kernel = path.join(buildDir, spec.kernelImage);
  let head: Buffer;
  try {
    const fd = fs.openSync(kernel, 'r');
    head = Buffer.alloc(0x240);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
  } catch {
    const cross = arch === 'arm64' ? ' ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-' : '';
    throw new UserError(
      `${kernel}: no kernel image; build it with make CONTAINER=${arch === 'arm64' ? 'korg-gcc:arm64' : 'korg-gcc'}${cross} O=${buildDir} ${spec.buildGoal}`,
    );
  }
  const found = archOfKernelImage(head);
  if (found !== arch) throw new UserError(`${kernel}: is ${found ?? 'not a kernel image we know'}, but ${configFile} is ${arch}`);
  return arch;
}

interface BootOnceInput {
  inv: Invocation;
  settings: BootSettings;
  kselftest?: { dir: string; copy: string[] };
  arch: BootArch;
  image: string;
  buildDir: string;
  engine: ReturnType<typeof findEngine>['engine'];
  enginePath: string;
  accel: 'kvm' | 'tcg';
  /** Why this accelerator: said on the banner line. */
  accelLine?: string;
  quiet: boolean;
  stderr: NodeJS.WritableStream;
}

/** One QEMU run in a container, judged; or how it was interrupted. */
async function bootOnce(p: BootOnceInput): Promise<{ verdict: BootVerdict; console: string; nonce: string } | { interrupted: RunResult }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbuild-container-boot-'));
  try {
    const nonce = randomBytes(12).toString('hex');
    const runId = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
    const plan = planBoot({ ...p, host: hostFacts(), workDir, nonce, runId, extraArgs: p.inv.container.args });
    if (!p.quiet && !p.inv.silent) p.stderr.write(`${plan.banner}${p.accelLine ? `: ${p.accelLine}` : ''}\n`);
    const result = await superviseRun(plan, p.engine, p.image, { stderr: p.stderr });
    if (result.signal) return { interrupted: result };
    if (result.exitCode === SCRIPT_EXIT.noQemu || result.exitCode === SCRIPT_EXIT.noBusybox) {
      throw new UserError(
        `image '${p.image}' has no ${BOOT_ARCHES[p.arch].qemu} or guest busybox: boot in a korg-qemu image (BOOT_CONTAINER=${BOOT_ARCHES[p.arch].bootImage})`,
      );
    }
    const console = readIfThere(path.join(workDir, 'console.log'));
    const timedOut = result.exitCode === SCRIPT_EXIT.timeout;
    return { verdict: decideVerdict({ console, nonce, timedOut }), console, nonce };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function readIfThere(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
