#!/usr/bin/env bash
# `make builder-check` (run by .ci/run): installs the builder's locked dependencies with
# `npm ci`, lints (including the feature boundaries) and type-checks, then regenerates the
# typed API client from builder/openapi.json and rebuilds the bundle, and fails when either
# differs from what is committed: the bundle served at /ui must be a build of this source.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

npm ci --no-audit --no-fund --loglevel=error
npm run --silent lint
npm run --silent gen:api >/dev/null
npm run --silent build >/dev/null

cd ..
shipped=(app/ui builder/src/lib/api/schema.d.ts)
if [ -n "$(git status --porcelain -- "${shipped[@]}")" ]; then
  echo "builder-check: the committed bundle or API types differ from a build of the source:" >&2
  git status --porcelain -- "${shipped[@]}" >&2
  echo "run 'make builder' ('make builder-api' after an API change) and commit the result" >&2
  exit 1
fi
echo "builder-check: lint, types and a rebuild from source match what is committed ($((SECONDS - started)) s)"
