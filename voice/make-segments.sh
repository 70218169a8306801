#!/bin/sh
# Makes loket's default voice segments for the hall display's spoken calls ("nomor antrian, A, nol
# nol tujuh, silakan ke, loket, dua") from espeak-ng's Indonesian voice, as small Ogg/Opus files in
# voice/segments/. The program embeds them (src/hall/voice.rs lists the names); a branch's own
# recordings in DATA/voice/<name>.ogg (or .opus, .mp3, .wav) take precedence.
#
# Needs Debian's espeak-ng, opus-tools and python3 (for the chime). Run from anywhere:
#   sh voice/make-segments.sh
# Add a word a counter's spoken name uses (see spoken_name in loket.toml) with:
#   sh voice/make-segments.sh "meja-informasi=meja informasi"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/segments"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in espeak-ng opusenc python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "galat: $tool tidak ada; apt-get install espeak-ng opus-tools python3" >&2; exit 1; }
done

# name=text spoken by espeak-ng -v id. Letter names as Indonesians spell them.
segments='
nomor-antrian=nomor antrian
silakan-ke=silakan ke
huruf-a=a
huruf-b=be
huruf-c=ce
huruf-d=de
huruf-e=e
huruf-f=ef
huruf-g=ge
huruf-h=ha
huruf-i=i
huruf-j=je
huruf-k=ka
huruf-l=el
huruf-m=em
huruf-n=en
huruf-o=o
huruf-p=pe
huruf-q=ki
huruf-r=er
huruf-s=es
huruf-t=te
huruf-u=u
huruf-v=ve
huruf-w=we
huruf-x=eks
huruf-y=ye
huruf-z=zet
0=nol
1=satu
2=dua
3=tiga
4=empat
5=lima
6=enam
7=tujuh
8=delapan
9=sembilan
sepuluh=sepuluh
sebelas=sebelas
belas=belas
puluh=puluh
seratus=seratus
ratus=ratus
seribu=seribu
ribu=ribu
loket=loket
meja=meja
kasir=kasir
e-meterai=e meterai
layanan=layanan
informasi=informasi
prioritas=prioritas
pengiriman=pengiriman
'

# Cuts the silence espeak-ng leaves before and after a word (keeping 40 ms), so the assembled call
# flows like one sentence.
cat >"$tmp/trim.py" <<'PY'
import sys, wave, array
with wave.open(sys.argv[1], "rb") as w:
    params = w.getparams()
    samples = array.array("h", w.readframes(w.getnframes()))
loud = [i for i, x in enumerate(samples) if abs(x) > 400]
margin = params.framerate * 40 // 1000
if loud:
    samples = samples[max(0, loud[0] - margin):min(len(samples), loud[-1] + margin)]
with wave.open(sys.argv[2], "wb") as w:
    w.setparams(params)
    w.writeframes(samples.tobytes())
PY

make() {
    name=$1
    text=$2
    espeak-ng -v id -s 135 -a 180 -w "$tmp/$name.raw.wav" "$text"
    python3 "$tmp/trim.py" "$tmp/$name.raw.wav" "$tmp/$name.wav"
    opusenc --quiet --bitrate 24 --comp 10 "$tmp/$name.wav" "$out/$name.ogg"
}

if [ "$#" -gt 0 ]; then
    for pair in "$@"; do make "${pair%%=*}" "${pair#*=}"; done
    exit 0
fi

echo "$segments" | while IFS='=' read -r name text; do
    [ -n "$name" ] || continue
    make "$name" "$text"
done

# The chime: two soft tones (ding-dong), 1.2 s, 48 kHz mono.
python3 - "$tmp/chime.wav" <<'PY'
import math, struct, sys, wave
rate = 48000
total = int(rate * 1.3)
samples = [0.0] * total
for freq, start, length in ((880.0, 0.0, 0.7), (659.25, 0.5, 0.8)):
    s0 = int(start * rate)
    for i in range(int(length * rate)):
        t = i / rate
        env = math.exp(-4.0 * t)
        samples[s0 + i] += 0.45 * env * math.sin(2 * math.pi * freq * t)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, x)) * 32767)) for x in samples))
PY
opusenc --quiet --bitrate 32 --comp 10 "$tmp/chime.wav" "$out/chime.ogg"
echo "segmen suara ditulis ke $out"
