// `make ... boot`, loaded only when the goals include `boot` (the build path never loads it).
export { runWithBoot } from './run-boot.js';
export { bootConfigPath } from './boot-config.js';
