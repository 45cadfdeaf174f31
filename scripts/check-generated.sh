#!/usr/bin/env bash
# Fails when src/gen differs from what `npm run generate` produces from proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/generate.mjs >/dev/null
if ! git diff --quiet -- src/gen || [ -n "$(git ls-files --others --exclude-standard -- src/gen)" ]; then
  echo "src/gen is stale: run 'npm run generate' and commit the result." >&2
  git status --short -- src/gen >&2
  exit 1
fi
echo "src/gen is up to date."
