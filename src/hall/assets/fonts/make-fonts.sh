#!/bin/sh
# Makes the hall pages' embedded fonts: DejaVu Sans and DejaVu Sans Bold (Debian's fonts-dejavu-core,
# free licence: Bitstream Vera with public-domain changes; see LICENSE-DejaVu) cut down to the Latin
# letters, digits and punctuation Indonesian text needs, so the TV shows the same letters with no
# internet and no fonts installed. Needs fonts-dejavu-core and fonttools (pyftsubset). Run:
#   sh src/hall/assets/fonts/make-fonts.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=/usr/share/fonts/truetype/dejavu
command -v pyftsubset >/dev/null 2>&1 || { echo "galat: pyftsubset tidak ada; apt-get install fonttools" >&2; exit 1; }
# Basic Latin, Latin-1, dashes, quotes, ellipsis, bullet, arrows, the multiplication and ± signs.
unicodes='U+0020-007E,U+00A0-00FF,U+2010-2015,U+2018-201E,U+2022,U+2026,U+2190-2193,U+00D7,U+00B1'
for face in DejaVuSans DejaVuSans-Bold; do
    pyftsubset "$src/$face.ttf" --unicodes="$unicodes" --layout-features='kern,liga' \
        --no-hinting --desubroutinize --output-file="$here/$face.ttf"
done
cp /usr/share/doc/fonts-dejavu-core/copyright "$here/LICENSE-DejaVu"
echo "fon ditulis ke $here"
