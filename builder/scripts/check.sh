#!/usr/bin/env bash
# `make builder-check` (run by .ci/run): installs the builder's locked dependencies with
# `npm ci`, lints (including the feature boundaries) and type-checks, then regenerates the
# typed API client from builder/openapi.json and rebuilds the bundle, and fails when either
# differs from what is committed: the bundle served at /ui must be a build of this source.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

npm ci --no-audit --no-fund --loglevel=error
# The typed client first: the type check reads it.
npm run --silent gen:api >/dev/null

# Lint, type check and bundle read the same sources and write nothing the others read (the
# bundle goes to app/ui, outside the builder), so they run side by side: one after the other
# they were the longest path of CI before the tests (about 9, 14 and 10 CPU-s; each of them
# mostly a single thread). `npm run build` is the type check, then the bundle.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
npm run --silent lint >"$logs/lint" 2>&1 &
lint=$!
npx --no-install tsc -b >"$logs/types" 2>&1 &
types=$!
npx --no-install vite build >"$logs/bundle" 2>&1 &
bundle=$!
failed=()
wait "$lint" || failed+=(lint)
wait "$types" || failed+=(types)
wait "$bundle" || failed+=(bundle)
cat "$logs/lint"
for step in "${failed[@]}"; do
  [ "$step" = lint ] && continue
  cat "$logs/$step"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "builder-check: failed: ${failed[*]}" >&2
  exit 1
fi

cd ..
shipped=(app/ui builder/src/lib/api/schema.d.ts)
if [ -n "$(git status --porcelain -- "${shipped[@]}")" ]; then
  echo "builder-check: the committed bundle or API types differ from a build of the source:" >&2
  git status --porcelain -- "${shipped[@]}" >&2
  echo "run 'make builder' ('make builder-api' after an API change) and commit the result" >&2
  exit 1
fi
echo "builder-check: lint, types and a rebuild from source match what is committed ($((SECONDS - started)) s)"
