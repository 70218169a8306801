"""Signs or certifies a PDF with pyHanko (an independent signer) for loket's stamping tests.

usage: pyhanko_sign.py KEY CERT CA IN OUT FIELD MODE [BOX]
MODE: sign | certify-nochanges | certify-formfill ; BOX "page/x1,y1,x2,y2" makes a visible field.
"""
import sys
import tempfile

from pyhanko.sign import fields, signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

key, cert, ca, inp, out, field, mode = sys.argv[1:8]
box = sys.argv[8] if len(sys.argv) > 8 else None
# pyHanko wants the signer certificate alone; loket's chain file holds signer + CA.
end = "-----END CERTIFICATE-----"
with open(cert) as f:
    first = f.read().split(end)[0] + end + "\n"
with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as t:
    t.write(first)
signer = signers.SimpleSigner.load(key, t.name, ca_chain_files=(ca,))
with open(inp, "rb") as f:
    # Lenient parsing: pyHanko refuses to sign hybrid-reference files otherwise (the corpus has
    # one); well-formed inputs read the same either way.
    w = IncrementalPdfFileWriter(f, strict=False)
    if box:
        page, coords = box.split("/")
        x1, y1, x2, y2 = (int(v) for v in coords.split(","))
        fields.append_signature_field(
            w, fields.SigFieldSpec(sig_field_name=field, on_page=int(page) - 1, box=(x1, y1, x2, y2))
        )
    perms = {
        "sign": None,
        "certify-nochanges": fields.MDPPerm.NO_CHANGES,
        "certify-formfill": fields.MDPPerm.FILL_FORMS,
    }[mode]
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        certify=perms is not None,
        docmdp_permissions=perms or fields.MDPPerm.FILL_FORMS,
        reason="Disetujui",
    )
    with open(out, "wb") as o:
        signers.sign_pdf(w, meta, signer=signer, output=o)
