#!/usr/bin/env bash
# Gives node_modules/mediasoup a worker binary that runs on this machine, then exits 0.
#
# Order: a worker that is already there and runs → mediasoup's prebuilt download (when GitHub is reachable)
# → a worker this script built earlier, cached by mediasoup version and patch hash → a build from Debian's
# packages. mediasoup's own postinstall is switched off in package.json (allowScripts) because, where GitHub
# is unreachable, it pip-installs a pinned meson and downloads every C++ dependency, and fails the install.
#
# Environment:
#   WANGXIANG_CACHE_DIR      cache root (default ~/.cache/wangxiang)
#   MEDIASOUP_WORKER_BIN     a worker to use as is (checked, not built)
#   MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL   a mirror of mediasoup's release downloads
#   WANGXIANG_MEDIASOUP_NO_DOWNLOAD=1             skip the prebuilt download attempt
#   WANGXIANG_MEDIASOUP_JOBS                      ninja's parallel jobs (default: number of cores)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MS_DIR="$ROOT/node_modules/mediasoup"
PATCH_DIR="$ROOT/scripts/mediasoup-patches"
RELEASE_BIN="$MS_DIR/worker/out/Release/mediasoup-worker"
DEBIAN_PACKAGES="meson ninja-build pkg-config libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler"

log() { echo "[mediasoup-worker] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f "$MS_DIR/package.json" ] || die "node_modules/mediasoup is missing; run npm install first"
VERSION="$(node -p "require('$MS_DIR/package.json').version")"

# mediasoup-worker run without MEDIASOUP_VERSION exits with 41: the binary loads and its libraries resolve.
worker_runs() {
  [ -x "$1" ] || return 1
  local status=0
  env -i "$1" >/dev/null 2>&1 || status=$?
  [ "$status" -eq 41 ]
}

install_worker() {
  if [ "$1" != "$RELEASE_BIN" ]; then
    mkdir -p "$(dirname "$RELEASE_BIN")"
    cp "$1" "$RELEASE_BIN.tmp" && mv "$RELEASE_BIN.tmp" "$RELEASE_BIN"
  fi
  log "mediasoup $VERSION uses $RELEASE_BIN${2:+ ($2)}"
  exit 0
}

try_present() {
  if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
    worker_runs "$MEDIASOUP_WORKER_BIN" || die "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN does not run here"
    log "using MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN"
    exit 0
  fi
  if worker_runs "$RELEASE_BIN"; then install_worker "$RELEASE_BIN" "already present"; fi
}

try_prebuilt() {
  [ "${WANGXIANG_MEDIASOUP_NO_DOWNLOAD:-0}" = 1 ] && return 0
  command -v curl >/dev/null || return 0
  local base="${MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL:-https://github.com/versatica/mediasoup/releases/download}"
  local name
  name="$(node -e "const os=require('os');process.stdout.write('mediasoup-worker-$VERSION-'+os.platform()+'-'+os.arch()+(os.platform()==='linux'?'-kernel'+os.release().split('.')[0]:'')+'.tgz')")"
  local tmp
  tmp="$(mktemp -d)"
  if curl -fsSL --connect-timeout 10 --max-time 300 "$base/$VERSION/$name" -o "$tmp/worker.tgz" 2>/dev/null \
    && tar -xzf "$tmp/worker.tgz" -C "$tmp" && worker_runs "$tmp/mediasoup-worker"; then
    install_worker "$tmp/mediasoup-worker" "prebuilt $name"
  fi
  rm -rf "$tmp"
  log "no prebuilt worker from $base (unreachable, or it does not run here); using a local build"
}

# The cache key covers what shapes the binary: mediasoup's version (in the path), our patches and the build
# recipe below. Bump RECIPE when write_subprojects or the meson/ninja flags change.
RECIPE="debian-bookworm-meson-1"
recipe_hash() {
  { echo "$RECIPE"; cat "$PATCH_DIR"/*.patch; } | sha256sum | cut -c1-16
}

check_debian_packages() {
  local missing=()
  for module in libuv openssl libsrtp2 usrsctp flatbuffers absl_flat_hash_map absl_btree; do
    pkg-config --exists "$module" 2>/dev/null || missing+=("$module")
  done
  for tool in ninja flatc pkg-config python3 patch; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}; install the build packages: apt-get install -y $DEBIAN_PACKAGES"
}

# meson >= 1.1 is needed. Use one on PATH; else a venv from a local wheel index (/opt/pypi, or
# WANGXIANG_PIP_INDEX); else Debian's meson 1.0.1 with mediasoup's version floor lowered, which builds it too.
find_meson() {
  local venv="$CACHE_ROOT/meson-venv"
  if meson_ok meson; then MESON=meson; return; fi
  if meson_ok "$venv/bin/meson"; then MESON="$venv/bin/meson"; return; fi
  local index="${WANGXIANG_PIP_INDEX:-/opt/pypi/simple}"
  if [ -d "$index" ] || [[ "$index" == http* ]]; then
    [[ "$index" == /* ]] && index="file://$index"
    if python3 -m venv "$venv" >/dev/null 2>&1 \
      && "$venv/bin/pip" install -q --index-url "$index" meson >/dev/null 2>&1 && meson_ok "$venv/bin/meson"; then
      MESON="$venv/bin/meson"; return
    fi
  fi
  command -v meson >/dev/null || die "meson not found: apt-get install -y meson"
  MESON=meson
  LOWER_MESON_FLOOR=1
}

meson_ok() {
  command -v "$1" >/dev/null || return 1
  local version
  version="$("$1" --version 2>/dev/null)" || return 1
  [ "$(printf '%s\n1.1.0\n' "$version" | sort -V | head -1)" = 1.1.0 ]
}

# Each subproject becomes a thin meson project over the Debian library, exporting the names mediasoup's
# meson.build reads; the *_lib/libuv/… variables go to link_whole, so they are empty static libraries.
write_subprojects() {
  local sub="$1/subprojects"
  rm -f "$sub"/*.wrap
  write_subproject "$sub/openssl" openssl "
openssl_dep = dependency('openssl')
libcrypto_lib = static_library('crypto_empty', files('empty.c'))
libssl_lib = static_library('ssl_empty', files('empty.c'))"
  write_options "$sub/libuv" build_tests build_benchmarks
  write_subproject "$sub/libuv" libuv "
libuv_dep = dependency('libuv')
libuv = static_library('uv_empty', files('empty.c'))"
  write_options "$sub/libsrtp3" crypto-library crypto-library-kdf tests
  write_subproject "$sub/libsrtp3" libsrtp3 "
srtp2 = dependency('libsrtp2')
libsrtp3_dep = declare_dependency(dependencies: srtp2,
  include_directories: include_directories(srtp2.get_variable(pkgconfig: 'includedir') / 'srtp2'))
libsrtp3 = static_library('srtp_empty', files('empty.c'))"
  write_options "$sub/usrsctp" sctp_build_programs
  write_subproject "$sub/usrsctp" usrsctp "
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_empty', files('empty.c'))"
  write_subproject "$sub/abseil-cpp" abseil-cpp "
absl_container_dep = declare_dependency(dependencies: [dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'), dependency('absl_btree'), dependency('absl_inlined_vector')])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = declare_dependency(dependencies: [dependency('absl_optional'), dependency('absl_variant')])
absl_container_lib = static_library('absl_empty', files('empty.c'))"
  write_subproject "$sub/flatbuffers" flatbuffers "
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('flatbuffers_empty', files('empty.c'))"
  write_subproject "$sub/catch2" catch2 "
catch2_dep = declare_dependency()"
}

write_subproject() {
  mkdir -p "$1"
  printf "project('%s', 'c')\n%s\n" "$2" "$3" > "$1/meson.build"
  echo "static int wangxiang_empty_library;" > "$1/empty.c"
}

# mediasoup passes these options to its subprojects; meson refuses options a project does not declare.
write_options() {
  local dir="$1" option
  shift
  mkdir -p "$dir"
  : > "$dir/meson_options.txt"
  for option in "$@"; do echo "option('$option', type: 'string', value: '')" >> "$dir/meson_options.txt"; done
}

apply_patches() {
  local patch_file
  for patch_file in "$PATCH_DIR"/*.patch; do
    patch -p1 --dry-run --forward -s -d "$1" < "$patch_file" >/dev/null \
      || die "$(basename "$patch_file") does not apply to mediasoup $VERSION: update scripts/mediasoup-patches"
    patch -p1 --forward -s -d "$1" < "$patch_file"
  done
}

build_worker() {
  local out="$1" src
  BUILD_TMP="$(mktemp -d)"
  trap 'rm -rf "$BUILD_TMP"' EXIT
  src="$BUILD_TMP/worker"
  cp -a "$MS_DIR/worker" "$src"
  rm -rf "$src/out" "$src/subprojects/packagecache"
  apply_patches "$src"
  write_subprojects "$src"
  find_meson
  [ -n "${LOWER_MESON_FLOOR:-}" ] && sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" "$src/meson.build"
  log "building mediasoup $VERSION's worker from Debian's packages with $($MESON --version 2>/dev/null | sed 's/^/meson /') (10-25 minutes on 2 cores)"
  local started=$SECONDS jobs="${WANGXIANG_MEDIASOUP_JOBS:-$(nproc)}"
  (
    cd "$src"
    "$MESON" setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true -Dms_disable_liburing=true build >build-setup.log 2>&1 \
      || { tail -40 build-setup.log >&2; exit 1; }
    # Generate the flatbuffers headers first; without it, ninja compiles sources before FBS/*.h exist.
    ninja -C build -j "$jobs" fbs/FBS >/dev/null
    ninja -C build -j "$jobs" mediasoup-worker >build.log 2>&1 || { grep -B2 -A20 -m3 'error' build.log >&2; exit 1; }
    strip build/mediasoup-worker
  ) || die "the worker build failed (log above)"
  worker_runs "$src/build/mediasoup-worker" || die "the built worker does not run"
  mkdir -p "$(dirname "$out")"
  cp "$src/build/mediasoup-worker" "$out.tmp" && mv "$out.tmp" "$out"
  log "built in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s → $out"
}

try_present
try_prebuilt
CACHE_ROOT="${WANGXIANG_CACHE_DIR:-$HOME/.cache/wangxiang}"
CACHED_BIN="$CACHE_ROOT/mediasoup-worker/$VERSION-$(recipe_hash)/mediasoup-worker"
if worker_runs "$CACHED_BIN"; then install_worker "$CACHED_BIN" "cached build"; fi
check_debian_packages
build_worker "$CACHED_BIN"
install_worker "$CACHED_BIN" "fresh build"
