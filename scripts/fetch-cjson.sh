#!/usr/bin/env bash
# fetch-cjson.sh: puts cJSON 1.7.15's sources into build/cjson (cJSON.c, cJSON.h, LICENSE).
#
# Owns: the private apt setup under build/apt that reads Debian's deb-src index for
# bookworm main, the download of cjson_1.7.15.orig.tar.gz, its sha256 check and unpacking.
#
# Must stay true:
#   - the system's apt configuration (sources.list, lists, caches) is never touched;
#   - nothing is unpacked unless the tarball matches CJSON_SHA256 exactly;
#   - cJSON's files live only under build/ and are never committed;
#   - a second run with everything in place does no network work and exits at once.
set -euo pipefail

CJSON_VERSION=1.7.15
CJSON_TARBALL="cjson_${CJSON_VERSION}.orig.tar.gz"
CJSON_SHA256=5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
DEBIAN_MIRROR="${HINDSIGHT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$REPO_ROOT/build"
OUT_DIR="$BUILD_DIR/cjson"
APT_DIR="$BUILD_DIR/apt"            # private apt state: sources, lists, cache
DOWNLOAD_DIR="$BUILD_DIR/cjson-download"
STAMP="$OUT_DIR/.verified-sha256"

fail() { echo "fetch-cjson: ERROR: $*" >&2; exit 1; }

# Fast path: already unpacked from the verified tarball.
if [[ -f "$OUT_DIR/cJSON.c" && -f "$OUT_DIR/cJSON.h" && -f "$STAMP" && "$(cat "$STAMP")" == "$CJSON_SHA256" ]]; then
    exit 0
fi

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

tarball="$DOWNLOAD_DIR/$CJSON_TARBALL"
if [[ ! -f "$tarball" || "$(sha_of "$tarball")" != "$CJSON_SHA256" ]]; then
    command -v apt-get >/dev/null || fail "apt-get not found; this build expects Debian 12 (bookworm)."
    echo "fetch-cjson: downloading cJSON $CJSON_VERSION sources from Debian (bookworm main, deb-src)"
    rm -rf "$APT_DIR" "$DOWNLOAD_DIR"
    mkdir -p "$APT_DIR/sources.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$DOWNLOAD_DIR"
    cat > "$APT_DIR/sources.d/bookworm-src.sources" <<SOURCES
Types: deb-src
URIs: $DEBIAN_MIRROR
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    # Only these options point apt elsewhere; the system's own apt.conf (proxies etc.) still applies.
    apt_private=(
        -o "Dir::Etc::SourceList=/dev/null"
        -o "Dir::Etc::SourceParts=$APT_DIR/sources.d"
        -o "Dir::State::Lists=$APT_DIR/lists"
        -o "Dir::Cache=$APT_DIR/cache"
        -o "APT::Sandbox::User=root"
    )
    apt-get "${apt_private[@]}" -q update >"$APT_DIR/update.log" 2>&1 \
        || { cat "$APT_DIR/update.log" >&2; fail "could not read Debian's deb-src index from $DEBIAN_MIRROR (see above)."; }
    (cd "$DOWNLOAD_DIR" && apt-get "${apt_private[@]}" -q source --download-only cjson) >"$APT_DIR/source.log" 2>&1 \
        || { cat "$APT_DIR/source.log" >&2; fail "apt-get source --download-only cjson failed (see above)."; }
    downloaded=("$DOWNLOAD_DIR"/*)
    [[ -f "$tarball" ]] || fail "Debian no longer serves $CJSON_TARBALL (got: ${downloaded[*]##*/})."
fi

actual="$(sha_of "$tarball")"
[[ "$actual" == "$CJSON_SHA256" ]] \
    || fail "checksum mismatch for $CJSON_TARBALL: expected $CJSON_SHA256, got $actual. Refusing to use it."

unpack_dir="$(mktemp -d "$BUILD_DIR/cjson-unpack.XXXXXX")"
trap 'rm -rf "$unpack_dir"' EXIT
tar -xzf "$tarball" -C "$unpack_dir"
src="$unpack_dir/cJSON-$CJSON_VERSION"
[[ -f "$src/cJSON.c" && -f "$src/cJSON.h" ]] || fail "$CJSON_TARBALL does not contain cJSON-$CJSON_VERSION/cJSON.[ch]."
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
cp "$src/cJSON.c" "$src/cJSON.h" "$src/LICENSE" "$OUT_DIR/"
echo "$CJSON_SHA256" > "$STAMP"
echo "fetch-cjson: cJSON $CJSON_VERSION verified (sha256 $CJSON_SHA256) and unpacked into build/cjson"
