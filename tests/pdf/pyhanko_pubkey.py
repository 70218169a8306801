"""Locks a PDF to a recipient's certificate (public-key security handler, /Filter /Adobe.PubSec) with
pyHanko, for loket's intake tests. The recipient is a throw-away RSA certificate made here.

usage: pyhanko_pubkey.py IN OUT
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

inp, out = sys.argv[1:3]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Penerima Berkas")])
start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(1)
    .not_valid_before(start)
    .not_valid_after(start + datetime.timedelta(days=365 * 30))
    .add_extension(
        x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )
    .sign(key, hashes.SHA256())
)
recipient = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
with open(inp, "rb") as f:
    w = copy_into_new_writer(PdfFileReader(f))
    w.encrypt_pubkey([recipient])
    with open(out, "wb") as o:
        w.write(o)
