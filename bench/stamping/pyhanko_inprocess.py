"""pyHanko in-process, same placement and a comparable stamp (QR code plus an image background), for
bench/stamping/run.sh. Interpreter start-up and imports are not counted.

usage: pyhanko_inprocess.py PKI_DIR IN OUT N PAGE X1,Y1,X2,Y2  -> median_ms=… min_ms=…
"""
import os
import statistics
import sys
import tempfile
import time

from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import QRStampStyle

pki, inp, out, n, page, box = sys.argv[1:7]
n, page = int(n), int(page)
box = tuple(int(float(v)) for v in box.split(","))

end = "-----END CERTIFICATE-----"
with open(os.path.join(pki, "signer.pem")) as f:
    first = f.read().split(end)[0] + end + "\n"
tmp = tempfile.mkdtemp()
cert = os.path.join(tmp, "signer-only.pem")
with open(cert, "w") as f:
    f.write(first)
bg = os.path.join(tmp, "bg.png")
Image.new("RGB", (183, 183), (255, 236, 242)).save(bg)

signer = signers.SimpleSigner.load(os.path.join(pki, "signer.key"), cert, ca_chain_files=(os.path.join(pki, "ca.pem"),))
style = QRStampStyle(stamp_text="%(url)s", background=PdfImage(bg), background_opacity=1)
meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES, reason="Surat Pernyataan")
times = []
for _ in range(n):
    t0 = time.perf_counter()
    with open(inp, "rb") as f:
        w = IncrementalPdfFileWriter(f)
        fields.append_signature_field(w, fields.SigFieldSpec("Sig1", on_page=page - 1, box=box))
        pdf_signer = signers.PdfSigner(meta, signer, stamp_style=style)
        with open(out, "wb") as o:
            pdf_signer.sign_pdf(w, output=o, appearance_text_params={"url": "https://verification.peruri.co.id/?sn=TRN0000000000000000001"})
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(f"median_ms={statistics.median(times):.2f} min_ms={times[0]:.2f}")
