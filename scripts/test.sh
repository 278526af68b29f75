#!/usr/bin/env bash
# README command two: set up everything the tests need on this machine (engines,
# the rootless user, toolchain images, kernel trees, a make 4.4), then run every
# test: unit tables, fake-engine fixtures, and real builds on real engines.
# Idempotent; on a fresh machine the set-up takes about 11 minutes (656 s on
# 2026-12-02: disk-bound image builds and copies).
#
# Usage: scripts/test.sh [vitest args...]     e.g. scripts/test.sh test/e2e/core.test.ts
#        scripts/test.sh --unit [vitest args...]
#   --unit: the unit tier only (tables and fake engines): no root, no engine,
#   no host set-up, no build; seconds on a machine with only Node
#   (the same as `npm run test:unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> %s\n' "$*" >&2; }

unit=
if [ "${1:-}" = --unit ]; then
    unit=1
    shift
fi

# node_deps [build]: node_modules, and with `build` dist/ too (`npm ci` runs
# the package's prepare script, the build, itself).
node_deps() {
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    elif [ "${1:-}" = build ]; then
        npm run --silent build
    fi
}

if [ -z "$unit" ]; then
    step "host set-up"
    bash scripts/setup-engines.sh
    bash scripts/setup-make44.sh
    # One after the other: the kernel trees unpacking beside the image builds
    # slowed the debootstraps by as much as they saved (94 s alone, 153 s beside).
    bash scripts/build-images.sh all
    bash scripts/fetch-kernels.sh 6.1 6.12 7.2
    step "node dependencies and build"
    node_deps build
else
    step "node dependencies"
    node_deps
fi

step "format and lint (biome)"
npm run --silent lint

step "tests"
report=$(mktemp --suffix=.json)
trap 'rm -f "$report"' EXIT
set +e
npx vitest run ${unit:+--project unit} --reporter=default --reporter=json --outputFile="$report" "$@"
rc=$?
set -e
# Each file's wall time, longest first (where the minutes go), then one plain
# closing line any CI reads: "N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const files = r.testResults
    .map((f) => ({ name: require("path").relative(process.cwd(), f.name), s: (f.endTime - f.startTime) / 1000, status: f.status }))
    .sort((a, b) => b.s - a.s);
  const total = files.reduce((t, f) => t + f.s, 0);
  console.log(`per-file wall times (s), ${total.toFixed(0)} s in all:`);
  for (const f of files) console.log(`${f.s.toFixed(1).padStart(8)}  ${f.name}${f.status === "passed" ? "" : `  (${f.status})`}`);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
' "$report" || echo "tests: 0 passed, 1 failed"
exit "$rc"
