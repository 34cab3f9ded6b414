#!/usr/bin/env bash
# Installs the real Kubo used by the interop scripts: the PyPI wheel kubo-python 0.1.5, which
# ships Kubo 0.22.0 (boxo 0.11.0) compiled as a C shared library (libkubo_linux_x86_64.so).
#
# Creates a venv at <repo>/.interop/venv (git-ignored) and installs exactly that wheel there,
# pinned by version AND sha256, with pip only. Needs python3 (with venv or pip) and PyPI.
# Idempotent: a no-op (well under a second) when the pinned wheel is already installed.
#
# Always also installs the Helia peer used by the bitswap interop test (scripts/interop/helia):
# `npm ci` of scripts/interop/helia/package{,-lock}.json into <repo>/.interop/helia (git-ignored),
# plus a copy of peer.mjs there (ESM resolves imports next to the script, not via NODE_PATH), so
# the test runs `node .interop/helia/peer.mjs`. Needs node >= 20 and npm (registry reachable on
# the first run); reinstalled only when package.json/package-lock.json change (sha256 stamp).
#
#   scripts/interop/install.sh            # install (or check) the venv and the Helia peer
#   scripts/interop/install.sh --force    # recreate both from scratch
#   scripts/interop/install.sh --js       # also the optional second opinion (npm, into .interop/js):
#                                         # ipfs-unixfs-importer 17.1.1 + blockstore-core 7.0.1
#
# Prints the venv's python path on its last line, for callers: PY=$(install.sh | tail -n1)
# (everything npm says goes to stderr).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.interop/venv"
PY="$VENV/bin/python"
PKG="kubo-python"
VERSION="0.1.5"
# sha256 of kubo_python-0.1.5-py3-none-any.whl (the only file PyPI has for this version).
WHEEL_SHA256="dd9a258bcec3d439ccd74a46fe77c6448cc432aabd3b380e35a3ad4e5341b0bd"
# sha256 of the shared library inside it: kubo_embed.py patches it at fixed offsets, so the
# check below refuses any other build.
SO_SHA256="2539ebe6cd2f76b51361640d2a251247a7c65e3b511fbc0a690ca0882a92c102"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install.sh: the embedded Kubo is used on Linux x86_64 only (this is $(uname -s)-$(uname -m))" >&2; exit 2 ;;
esac

FORCE=0 JS=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --js) JS=1 ;;
    *) echo "install.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [[ $FORCE == 1 ]]; then
  rm -rf "$VENV" "$ROOT/.interop/helia"
fi

install_js() {
  local dir="$ROOT/.interop/js"
  if [[ -f "$dir/node_modules/ipfs-unixfs-importer/package.json" ]] &&
     grep -q '"version": "17.1.1"' "$dir/node_modules/ipfs-unixfs-importer/package.json"; then
    return 0
  fi
  command -v npm >/dev/null || { echo "install.sh --js: npm not found" >&2; return 1; }
  mkdir -p "$dir"
  [[ -f "$dir/package.json" ]] || echo '{"name": "flowcoin-interop-js", "private": true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --silent ipfs-unixfs-importer@17.1.1 blockstore-core@7.0.1 >&2
}
if [[ $JS == 1 ]]; then
  install_js
fi

# The Helia peer: exact versions from package-lock.json (npm ci). The stamp holds the sha256 of the
# package.json + package-lock.json it was installed from; it is written only after npm ci succeeded.
install_helia() {
  local src="$ROOT/scripts/interop/helia" dir="$ROOT/.interop/helia"
  local want have
  want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  have="$(cat "$dir/.installed.sha256" 2>/dev/null || true)"
  if [[ "$want" != "$have" || ! -d "$dir/node_modules" ]]; then
    command -v node >/dev/null && command -v npm >/dev/null || {
      echo "install.sh: node and npm are needed for the Helia interop peer (scripts/interop/helia), not found" >&2
      return 1
    }
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || {
      echo "install.sh: the Helia interop peer needs Node.js >= 20 (this is $(node --version))" >&2
      return 1
    }
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    echo "install.sh: installing the Helia peer into $dir (npm ci)" >&2
    if ! npm ci --prefix "$dir" --no-audit --no-fund --no-progress --loglevel=error >&2; then
      echo "install.sh: npm ci failed for the Helia peer (see above)" >&2
      return 1
    fi
    echo "$want" > "$dir/.installed.sha256"
  fi
  cmp -s "$src/peer.mjs" "$dir/peer.mjs" || cp "$src/peer.mjs" "$dir/peer.mjs"
}
install_helia

check() {
  "$PY" "$ROOT/scripts/interop/kubo_embed.py" --check-install "$VERSION" "$SO_SHA256" >/dev/null 2>&1
}

if [[ -x "$PY" ]] && check; then
  echo "kubo-python $VERSION already installed in $VENV"
  echo "$PY"
  exit 0
fi

mkdir -p "$ROOT/.interop"
if [[ ! -x "$PY" ]]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian without python3-venv: a venv without pip, filled by the system pip (pip >= 22.3).
    rm -rf "$VENV"
    python3 -m venv --without-pip "$VENV"
  fi
fi

REQ="$ROOT/.interop/kubo-python.requirements.txt"
printf '%s==%s --hash=sha256:%s\n' "$PKG" "$VERSION" "$WHEEL_SHA256" > "$REQ"
# --no-deps: the scripts load the shared library with ctypes and never import the package's
# Python wrapper, so its dependencies (cffi, ipfs_tk_generics) are not needed.
PIP_ARGS=(install --disable-pip-version-check --no-input --quiet --no-deps --require-hashes -r "$REQ")
if "$PY" -m pip --version >/dev/null 2>&1; then
  "$PY" -m pip "${PIP_ARGS[@]}"
else
  python3 -m pip --python "$PY" "${PIP_ARGS[@]}"
fi

if ! check; then
  "$PY" "$ROOT/scripts/interop/kubo_embed.py" --check-install "$VERSION" "$SO_SHA256" >&2 || true
  echo "install.sh: installed, but the check failed (see above)" >&2
  exit 1
fi
echo "kubo-python $VERSION installed in $VENV"
echo "$PY"
