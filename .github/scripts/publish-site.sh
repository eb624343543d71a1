#!/usr/bin/env bash
# Publish _site as a new commit on the gh-pages branch. Usage: publish-site.sh REMOTE [CLONE_DIR]
# CLONE_DIR is the clone restore-published.sh made (a new branch is started when there is none):
# the commit goes on top of the published history, which keeps every earlier publication as a
# backup, and the push is never forced, so a branch that moved meanwhile stops the publish.
set -euo pipefail
remote=${1:?usage: publish-site.sh REMOTE [CLONE_DIR]}
clone=${2:-${RUNNER_TEMP:-/tmp}/published}
[ -f _site/index.html ] || { echo "::error::_site has no index.html: nothing to publish."; exit 1; }
if [ ! -d "${clone}/.git" ]; then
  git init --quiet --initial-branch gh-pages "${clone}"
fi
find "${clone}" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
cp -a _site/. "${clone}/"
cd "${clone}"
git config user.name "${GIT_AUTHOR_NAME:-github-actions[bot]}"
git config user.email "${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
git add --all
if git diff --cached --quiet; then
  echo "::notice::The published site is unchanged."
  exit 0
fi
git commit --quiet --message "Publish the quarterly report (run ${GITHUB_RUN_ID:-local})"
git push --quiet "${remote}" HEAD:gh-pages
