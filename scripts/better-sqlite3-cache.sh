#!/usr/bin/env bash
# Keeps the better-sqlite3 binary this machine compiled where the next install looks before compiling again.
#
# better-sqlite3 installs with prebuild-install, which downloads a prebuilt binary from GitHub and otherwise
# compiles SQLite from source (about two minutes on two cores). Before downloading, prebuild-install looks in
# npm's cache (~/.npm/_prebuilds, under a name made from the download URL). Where GitHub cannot be reached,
# this script puts the binary the install just built there, as a prebuilt tarball of the same version, Node ABI,
# platform and architecture, so the next `npm ci` (CI, the Dockerfile replay, which shares ~/.npm as a Docker
# builder's cache would) unpacks it instead of compiling. A binary that does not load is never kept.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/node_modules/better-sqlite3"
BINARY="build/Release/better_sqlite3.node"

[ -f "$PKG/$BINARY" ] || exit 0
cached="$(cd "$PKG" && node -e "
const pkg = require('./package.json');
const util = require('prebuild-install/util');
const opts = Object.assign(require('prebuild-install/rc')(pkg), { pkg });
process.stdout.write(util.cachedPrebuild(util.getDownloadUrl(opts)));
")"
[ -f "$cached" ] && exit 0
node -e "new (require('$PKG'))(':memory:').close()" || { echo "[better-sqlite3] the build does not load; not cached" >&2; exit 0; }
mkdir -p "$(dirname "$cached")"
tar -czf "$cached.tmp" -C "$PKG" "$BINARY"
mv "$cached.tmp" "$cached"
echo "[better-sqlite3] kept this machine's build for the next install: $cached" >&2
