#!/usr/bin/env bash
# Restore the published site (every archived quarter) from the gh-pages branch into _site, before
# the quarterly run. Usage: restore-published.sh REMOTE [CLONE_DIR]
# Exit 0 with _site restored, or with nothing to restore when the branch does not exist yet (the
# first publication); exit 1 when the branch cannot be read: the run must not go on and publish a
# site without the earlier quarters. CLONE_DIR keeps the clone, for publish-site.sh.
set -euo pipefail
remote=${1:?usage: restore-published.sh REMOTE [CLONE_DIR]}
clone=${2:-${RUNNER_TEMP:-/tmp}/published}
# git ls-remote --exit-code: 0 the branch exists, 2 it does not, anything else a failure.
set +e
git ls-remote --exit-code --heads "${remote}" gh-pages >/dev/null
found=$?
set -e
if [ "${found}" -eq 2 ]; then
  echo "::notice::No gh-pages branch yet: this is the first publication."
  exit 0
elif [ "${found}" -ne 0 ]; then
  echo "::error::Could not read the gh-pages branch (git exit ${found}); not publishing without the archive."
  exit 1
fi
rm -rf "${clone}"
git clone --quiet --branch gh-pages --single-branch "${remote}" "${clone}"
mkdir -p _site
cp -a "${clone}/." _site/
rm -rf _site/.git
echo "Restored the published site from gh-pages ($(git -C "${clone}" rev-parse --short HEAD))."
