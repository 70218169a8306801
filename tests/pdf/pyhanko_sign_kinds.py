"""Signs a PDF with pyHanko in signature kinds loket's own signer never makes, for `loket verify`.

usage: pyhanko_sign_kinds.py KEY CERT CA IN OUT KIND
KIND: sha384 | sha512 (KEY/CERT/CA as given, SHA-2 digests over the document)
      rsa-pss | rsa-sha512 | p384 | ed25519 (a throw-away key and self-signed certificate made
      here, written to OUT.cert.pem for the validators; KEY/CERT/CA are not used)
      rsa-no-attrs (as rsa-sha512, with SHA-256, and a CMS with no signed attributes: the
      signature is over the document digest itself, built here with asn1crypto)
"""
import datetime
import os
import sys
import tempfile

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

key, cert, ca, inp, out, kind = sys.argv[1:7]
tmp = tempfile.mkdtemp()
if kind in ("rsa-pss", "rsa-sha512", "p384", "ed25519", "rsa-no-attrs"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    if kind == "p384":
        k = ec.generate_private_key(ec.SECP384R1())
        cert_hash = hashes.SHA384()
    elif kind == "ed25519":
        k = ed25519.Ed25519PrivateKey.generate()
        cert_hash = None
    else:
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert_hash = hashes.SHA256()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Penanda Tangan " + kind)])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    c = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(k.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365 * 30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(k, cert_hash)
    )
    key = os.path.join(tmp, "key.pem")
    cert = out + ".cert.pem"
    with open(key, "wb") as f:
        f.write(k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
    with open(cert, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(key, cert, prefer_pss=kind == "rsa-pss")
    md = {"rsa-sha512": "sha512", "p384": "sha384", "ed25519": "sha512"}.get(kind, "sha256")
else:
    # pyHanko wants the signer certificate alone; loket's chain file holds signer + CA.
    end = "-----END CERTIFICATE-----"
    with open(cert) as f:
        first = f.read().split(end)[0] + end + "\n"
    cert = os.path.join(tmp, "cert.pem")
    with open(cert, "w") as f:
        f.write(first)
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(ca,))
    md = kind
if kind == "rsa-no-attrs":
    from io import BytesIO

    from asn1crypto import algos
    from asn1crypto import cms as acms
    from asn1crypto import x509 as ax
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
    from pyhanko.sign.signers.pdf_byterange import SignatureObject

    with open(inp, "rb") as f:
        w = IncrementalPdfFileWriter(BytesIO(f.read()))
    fields.append_signature_field(
        w, fields.SigFieldSpec(sig_field_name="TTD", on_page=0, box=(360, 210, 520, 290))
    )
    embedder = PdfCMSEmbedder().write_cms(field_name="TTD", writer=w)
    next(embedder)
    sig_obj = SignatureObject(
        bytes_reserved=8192, subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
    )
    embedder.send(SigObjSetup(sig_placeholder=sig_obj))
    buffer = BytesIO()
    prepared, _ = embedder.send(SigIOSetup(md_algorithm="sha256", in_place=False, output=buffer))
    value = k.sign(prepared.document_digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    signer_cert = ax.Certificate.load(c.public_bytes(serialization.Encoding.DER))
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    info = acms.SignerInfo({
        "version": "v1",
        "sid": acms.SignerIdentifier({"issuer_and_serial_number": acms.IssuerAndSerialNumber({
            "issuer": signer_cert.issuer, "serial_number": signer_cert.serial_number,
        })}),
        "digest_algorithm": sha256,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        "signature": value,
    })
    signed = acms.SignedData({
        "version": "v1",
        "digest_algorithms": [sha256],
        "encap_content_info": {"content_type": "data"},
        "certificates": [signer_cert],
        "signer_infos": [info],
    })
    embedder.send(acms.ContentInfo({"content_type": "signed_data", "content": signed}))
    with open(out, "wb") as o:
        o.write(buffer.getvalue())
    sys.exit(0)

with open(inp, "rb") as f:
    w = IncrementalPdfFileWriter(f)
    fields.append_signature_field(
        w, fields.SigFieldSpec(sig_field_name="TTD", on_page=0, box=(360, 210, 520, 290))
    )
    meta = signers.PdfSignatureMetadata(
        field_name="TTD", md_algorithm=md, reason="Disetujui", subfilter=fields.SigSeedSubFilter.PADES
    )
    with open(out, "wb") as o:
        signers.sign_pdf(w, meta, signer=signer, output=o)
