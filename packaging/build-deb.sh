#!/usr/bin/env bash
# Builds loket_<version>_amd64.deb with dpkg-deb: the binary, manual pages generated from the
# program (Indonesian) plus the English page, systemd units for the branch roles, udev rules and
# the maintainer scripts. Usage:
#   packaging/build-deb.sh [--binary PATH] [--version V] [--out DIR] [--compress xz|none]
# Defaults: target/release/loket (built if missing), the version in Cargo.toml, target/debian, xz.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=target/release/loket
version=$(awk -F'"' '/^version *=/ { print $2; exit }' Cargo.toml)
out=target/debian
compress=xz
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --compress) compress=$2; shift 2 ;;
        *) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ ! -x "$binary" ]; then
    cargo build --release --bin loket
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# The package's root entry becomes the installed system's /: it must be 0755, not mktemp's 0700.
chmod 0755 "$root"
install -D -m 0755 "$binary" "$root/usr/bin/loket"
strip --strip-debug "$root/usr/bin/loket" 2>/dev/null || true

man=$(mktemp -d)
"$binary" dev man --out "$man" >/dev/null
mkdir -p "$root/usr/share/man/man1"
for page in "$man"/*.1; do
    gzip -9n -c "$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
gzip -9n -c packaging/man/loket.en.1 >"$root/usr/share/man/man1/loket.en.1.gz"
rm -rf "$man"

for unit in packaging/systemd/*.service; do
    install -D -m 0644 "$unit" "$root/lib/systemd/system/$(basename "$unit")"
done
install -D -m 0644 drivers/udev/60-loket-printers.rules "$root/lib/udev/rules.d/60-loket-printers.rules"
install -D -m 0644 packaging/udev/61-loket-dispensers.rules "$root/lib/udev/rules.d/61-loket-dispensers.rules"
install -D -m 0644 README.md "$root/usr/share/doc/loket/README.md"

mkdir -p "$root/DEBIAN"
for script in config postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done
install -m 0644 packaging/debian/templates "$root/DEBIAN/templates"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" packaging/debian/control.in >"$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/loket_${version}_amd64.deb"
dpkg-deb --root-owner-group "-Z$compress" --build "$root" "$deb" >/dev/null
echo "$deb"
