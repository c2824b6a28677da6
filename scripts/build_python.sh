#!/usr/bin/env bash
# Build CPython 3.13.5 from Debian trixie's source package, once per machine.
#
# Home Assistant 2025.5+ needs Python >= 3.13.2; a machine whose pyenv has only 3.13.0
# builds it here. The result is cached outside the repository (default
# ~/.cache/local-voice/python-3.13.5) and reused by every clone. Prints the
# interpreter's path on its last line. Takes about 3 minutes on 2 cores.
set -euo pipefail

VERSION=3.13.5
DEB_VERSION="3.13.5-2+deb13u5"
CACHE="${LOCAL_VOICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/local-voice}"
PREFIX="$CACHE/python-$VERSION"
PYTHON="$PREFIX/bin/python3.13"

log() { printf '\033[1m[python]\033[0m %s\n' "$*" >&2; }

if [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib' 2>/dev/null; then
  echo "$PYTHON"
  exit 0
fi

need=()
for tool in apt-get gcc make tar; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
  echo "error: building Python $VERSION needs: ${need[*]}." >&2
  echo "       Install them, or set LOCAL_VOICE_PYTHON to a Python >= 3.13.2." >&2
  exit 1
fi

BUILD_DEPS=(build-essential libssl-dev zlib1g-dev libbz2-dev libreadline-dev libsqlite3-dev
  libffi-dev liblzma-dev libncurses-dev uuid-dev libgdbm-dev tk-dev xz-utils)
missing=()
for pkg in "${BUILD_DEPS[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: building Python $VERSION needs Debian packages: ${missing[*]}" >&2
    echo "       (sudo apt-get install ${missing[*]}), or set LOCAL_VOICE_PYTHON to a Python >= 3.13.2." >&2
    exit 1
  fi
  log "installing build dependencies: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/src"
# A private sources list: the system's own apt sources are not touched.
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$WORK/sources.list"
APT=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$WORK/lists")
log "fetching Debian trixie's python3.13 $DEB_VERSION source package"
if ! apt-get "${APT[@]}" update -qq >&2; then
  echo "error: could not reach deb.debian.org for Python $VERSION's source." >&2
  echo "       Set LOCAL_VOICE_PYTHON to a Python >= 3.13.2 instead." >&2
  exit 1
fi
(cd "$WORK/src" && apt-get "${APT[@]}" source --download-only "python3.13=$DEB_VERSION" >&2)
tarball="$(ls "$WORK"/src/python3.13_"$VERSION".orig.tar.xz)"
tar -xJf "$tarball" -C "$WORK/src"
cd "$WORK/src/Python-$VERSION"
log "configuring (prefix $PREFIX)"
./configure --prefix="$PREFIX" --with-ensurepip=install >"$WORK/configure.log" 2>&1 ||
  { tail -30 "$WORK/configure.log" >&2; exit 1; }
log "compiling on $(nproc) cores (about 2-3 minutes)"
make -j"$(nproc)" >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log" >&2; exit 1; }
log "installing"
rm -rf "$PREFIX"
make install >"$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log" >&2; exit 1; }
"$PYTHON" -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib' ||
  { echo "error: the built Python lacks a standard module" >&2; exit 1; }
log "built $("$PYTHON" --version)"
echo "$PYTHON"
