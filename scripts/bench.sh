#!/usr/bin/env bash
# npm run bench: measure kbuild-container on this machine against the bare
# engine, a native host build and the kernel's own scripts/container, and
# print a table plus a JSON file (see scripts/bench/bench.ts; --help).
#
# Needs root (the kernel tree is used through a throw-away overlay mount),
# the images and trees of scripts/setup-engines.sh, build-images.sh and
# fetch-kernels.sh, and by default waits for a machine where nobody else
# compiles: figures taken on a busy machine say little.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

# The harness (TypeScript, type-checked by npm run build too), compiled with
# the runner's modules it imports into the git-ignored .bench/harness.
rm -rf .bench/harness
node_modules/.bin/tsc -p scripts/tsconfig.json
harness=.bench/harness/scripts/bench/bench.js

case " $* " in *" --help "*|*" -h "*) exec node "$harness" --help ;; esac
[ "$(id -u)" = 0 ] || { echo "bench.sh: must run as root (overlay mount of the kernel tree)" >&2; exit 2; }

# The runner as of the working tree, built aside so that dist/ (which others
# may be running) is left alone, the way npm run build makes it: compiled,
# then bundled into the one file that make starts.
rm -rf .bench/dist
node_modules/.bin/tsc -p tsconfig.json --outDir .bench/dist
node --input-type=module -e "import { bundleRunner } from './scripts/bundle.mjs'; await bundleRunner('.bench/dist/cli.js', '.bench/dist/kbuild-container.cjs');"
chmod +x .bench/dist/cli.js .bench/dist/kbuild-container.cjs

exec node "$harness" "$@"
