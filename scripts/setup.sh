#!/usr/bin/env bash
# Installs what the build and tests need, if missing: Debian bookworm
# packages, and buf (the @bufbuild/buf npm package) under .cache/npm.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates tzdata
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libgrpc++-dev libgrpc-dev librocksdb-dev libabsl-dev libssl-dev
  prometheus-cpp-dev prometheus curl libcurl4-openssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 libpq-dev
)
# Node.js and npm only fetch buf; any installed npm will do (some machines
# carry a newer Node.js than Debian's, which Debian's npm would conflict with).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
BUF_VERSION=1.75.0

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x .cache/npm/node_modules/.bin/buf ] || \
   [ "$(.cache/npm/node_modules/.bin/buf --version 2>/dev/null)" != "$BUF_VERSION" ]; then
  echo "setup: installing buf $BUF_VERSION (npm)"
  mkdir -p .cache/npm
  npm install --silent --no-audit --no-fund --prefix .cache/npm \
    "@bufbuild/buf@$BUF_VERSION" >/dev/null
fi
echo "setup: dependencies present"
