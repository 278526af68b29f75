// Library entry: the three layers, usable without the CLI.
export { parseMakeflags, splitMakeflagsWords, type ParsedMakeflags, type Jobs, type Jobserver, type Override } from './parse/makeflags.js';
export { parseMakeArgs } from './parse/make-args.js';
export { buildInvocation, splitContainerArgs, type Invocation } from './parse/invocation.js';
export { planRun, innerMake, planMounts, type RunPlan, type TreeFacts } from './plan/plan-run.js';
export { ENGINES } from './plan/engines/index.js';
export { checkImageReference } from './plan/image-ref.js';
export { superviseRun } from './supervise/supervise-run.js';
export { invocationFromMake, invocationFromArgs } from './parse/invocation-from.js';
export { planInvocation, runInvocation, formatCommand } from './run.js';
export { enableTree, disableTree } from './enable.js';
export { UserError, InfraError } from './errors.js';
