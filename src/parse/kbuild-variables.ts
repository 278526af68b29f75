// Data, not logic: which variables cross into the container and which are ours.

/** Variables Kbuild reads from the environment; they pass by name when set. */
export const KBUILD_ENV_NAMES: ReadonlySet<string> = new Set([
  'ARCH',
  'SUBARCH',
  'SRCARCH',
  'CROSS_COMPILE',
  'LLVM',
  'LLVM_IAS',
  'CC',
  'HOSTCC',
  'HOSTCXX',
  'CXX',
  'CPP',
  'LD',
  'HOSTLD',
  'AS',
  'AR',
  'HOSTAR',
  'NM',
  'STRIP',
  'OBJCOPY',
  'OBJDUMP',
  'READELF',
  'PAHOLE',
  'RESOLVE_BTFIDS',
  'RUSTC',
  'BINDGEN',
  'CLIPPY_DRIVER',
  'KCFLAGS',
  'KAFLAGS',
  'KCPPFLAGS',
  'KRUSTFLAGS',
  'KLDFLAGS',
  'HOSTCFLAGS',
  'HOSTCXXFLAGS',
  'HOSTLDFLAGS',
  'HOSTLDLIBS',
  'HOSTRUSTFLAGS',
  'USERCFLAGS',
  'USERLDFLAGS',
  'INSTALL_PATH',
  'INSTALL_MOD_PATH',
  'INSTALL_MOD_STRIP',
  'INSTALL_MOD_DIR',
  'INSTALL_HDR_PATH',
  'INSTALL_DTBS_PATH',
  'LOCALVERSION',
  'SOURCE_DATE_EPOCH',
  'KDOCFLAGS',
  'PYTHON3',
  'CHECK',
  'CHECKFLAGS',
  // Documentation/Makefile's settings (`SPHINXDIRS=dev-tools make htmldocs`).
  'SPHINXBUILD',
  'SPHINXDIRS',
  'SPHINXOPTS',
  'DOCS_THEME',
  'DOCS_CSS',
  'PAPER',
]);

/** Destinations of Kbuild's install goals: the build writes there, so each is created and mounted. */
export const INSTALL_DIR_VARIABLES: readonly string[] = ['INSTALL_PATH', 'INSTALL_MOD_PATH', 'INSTALL_HDR_PATH', 'INSTALL_DTBS_PATH'];

/** Prefixes of variable families Kbuild reads (KBUILD_BUILD_USER, KCONFIG_CONFIG, ...). */
export const KBUILD_ENV_PREFIXES: readonly string[] = ['KBUILD_', 'KCONFIG_'];

/** Our own settings (CONTAINER, CONTAINER_*, KBUILD_CONTAINER_*): never forwarded to the inner make or into the container. */
export function isContainerVariable(name: string): boolean {
  return name === 'CONTAINER' || name.startsWith('CONTAINER_') || name.startsWith('KBUILD_CONTAINER_');
}

/** Goals that talk to the user and get a terminal when there is one. */
export const INTERACTIVE_GOALS: ReadonlySet<string> = new Set(['config', 'oldconfig', 'menuconfig', 'nconfig', 'localmodconfig', 'localyesconfig']);
