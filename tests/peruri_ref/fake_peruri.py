#!/usr/bin/env python3
"""fake_peruri.py: the reference fake of Peruri for loket's test suite.

One HTTP/1.1 server on 127.0.0.1 answers for every Peruri host (login, jenisdoc, SN generation,
SN status and list, quota) and for the on-premise Sign Adapter (docSigningZ), as documented in
shared/reference/emeterai.md §4-§9. It was written from that document only, not from loket's
client, so that loket is tested against Peruri as documented rather than as loket expects it.

usage: fake_peruri.py --port 0 --share DIR --state DIR [--seed N] [--quota N]
                      [--user EMAIL] [--password PW] [--verbose]
Prints one line {"port": P, "root_pem": PATH} once listening, then serves until killed.
--state keeps the ledger (issued SNs, quota, JWT secret) and the fake PKI, so a restart with the
same --state continues where the killed process stopped, as Peruri does.

Reply-shape variants (drawn per request from a seeded RNG unless /_control forces "documented"):
  * statusCode "00": always on login, jenisdoc, SN generation and SN status (the reference shows
    it there); present or absent on the SN list and saldopos (the reference shows none there).
  * message: "success" | "Success" | absent.
  * undocumented extras at top level: "timestamp" (ISO time) and/or "path" (request path).
  * key order of the top level and of `result` shuffled.
  * numbers a client reads loosely as JSON numbers or digit strings: result.total, result.saldo,
    result.notstamp.
  * dates (tgl, tglupdate) as ISO-8601 UTC with milliseconds ("2024-09-04T05:18:00.123Z") or as
    WIB wall-clock ("2024-09-04 12:18:00"), one style per reply.
  * tglupdate of a NOTSTAMP SN: its issue time, or null.
  * Content-Type "application/json; charset=utf-8" or "application/json".
  * errors (statusCode != "00", reason in result.err): HTTP 200, or HTTP 400 (401 for a failed
    login). A missing/invalid Bearer is always HTTP 401 with statusCode "01".
The "documented" shape is the first choice of every item above with statusCode absent where the
reference shows none. The adapter's replies have no documented variants and never vary.
"""
import argparse
import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import os
import random
import re
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import warnings
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

warnings.filterwarnings("ignore", message="DSA is deprecated")  # pyHanko imports DSA; noise on stderr

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image  # pyHanko's image support; used only to embed the stamp image
from pyhanko.pdf_utils import images, layout
from pyhanko.pdf_utils.crypt.api import AuthStatus
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import read_certification_data
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

WIB = dt.timezone(dt.timedelta(hours=7))
SN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PROFILE_NAME = "emeteraicertificateSigner"
# §5: one entry per document type name; the reference's table groups the names by kode.
JENISDOC = [
    ("2", "Dokumen Transaksi"), ("2", "Surat Berharga"), ("2", "Akta Pejabat"),
    ("2", "Dokumen lain-lain"), ("2", "Akta Notaris"), ("2", "Dokumen Lelang"),
    ("3", "Surat Keterangan"), ("3", "Surat Lainnya"), ("3", "Surat Pernyataan"),
    ("3", "Surat Perjanjian"),
    ("4a", "Dokumen penerimaan uang (lebih dari 5 juta)"),
    ("4a", "Dokumen pernyataan jumlah uang lebih dari 5jt"),
    ("4b", "Dokumen pelunasan utang (lebih dari 5 juta)"),
]
ROUTES = ("login", "jenisdoc", "sn", "sn_status", "qrimage", "sn_list", "saldo", "sign", "adapter")
FAULT_KINDS = ("http500", "http503_retry_after", "hang", "drop_after", "garbage", "token_expired",
               "sn_used", "error92", "error97", "slow")
FAULT_DEFAULT_SECONDS = {"hang": 30.0, "slow": 5.0}
CERT_LEVELS = {
    "NOT_CERTIFIED": None,
    "NO_CHANGES_ALLOWED": fields.MDPPerm.NO_CHANGES,
    "CERTIFIED_FORM_FILLING": fields.MDPPerm.FILL_FORMS,
    "CERTIFIED_FORM_FILLING_AND_ANNOTATIONS": fields.MDPPerm.ANNOTATE,
}
SIGN_REQUIRED = ("profileName", "src", "dest", "spesimenPath", "jwToken", "refToken",
                 "visSignaturePage", "visLLX", "visLLY", "visURX", "visURY")


# ---------------------------------------------------------------- small helpers

def now_utc():
    return dt.datetime.now(dt.timezone.utc)


def iso_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def atomic_write(path, data):
    """Write temp + fsync + rename + fsync(dir), so a kill never leaves a torn file behind."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def stamp_png(sn, size=183):
    """A 183x183 pink square (the staging spesimen size, §11) with a pattern derived from the SN,
    so that every SN's image differs; the SN is also carried in a tEXt chunk."""
    bits = int.from_bytes(hashlib.sha256(sn.encode()).digest(), "big")
    pink, dark, white = b"\xf4\x8f\xb1", b"\xc2\x18\x5b", b"\xff\xff\xff"
    cell, grid = 11, 11
    origin = (size - cell * grid) // 2
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0 for every scanline
        for x in range(size):
            if x < 6 or y < 6 or x >= size - 6 or y >= size - 6:
                row += dark
            elif origin <= x < origin + cell * grid and origin <= y < origin + cell * grid:
                i = ((y - origin) // cell) * grid + (x - origin) // cell
                row += dark if (bits >> i) & 1 else white
            else:
                row += pink
        rows.append(bytes(row))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + sn.encode())
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------- PKI

class Pki:
    """Root CA -> intermediate -> {signer, TSA}; made once under <state>/pki and reused."""

    NAMES = ("root", "intermediate", "signer", "tsa")

    def __init__(self, state_dir):
        self.dir = os.path.join(state_dir, "pki")
        self.root_pem = os.path.join(state_dir, "root.pem")
        if not all(os.path.exists(os.path.join(self.dir, n + ".crt")) for n in self.NAMES):
            self._generate()
        self.certs, self.keys = {}, {}
        for n in self.NAMES:
            with open(os.path.join(self.dir, n + ".crt"), "rb") as f:
                c = x509.load_pem_x509_certificate(f.read())
            with open(os.path.join(self.dir, n + ".key"), "rb") as f:
                k = serialization.load_pem_private_key(f.read(), None)
            self.certs[n] = asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            self.keys[n] = asn1_keys.PrivateKeyInfo.load(k.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        if not os.path.exists(self.root_pem):
            with open(os.path.join(self.dir, "root.crt"), "rb") as f:
                atomic_write(self.root_pem, f.read())

    def _generate(self):
        os.makedirs(self.dir, exist_ok=True)
        start = now_utc() - dt.timedelta(days=1)

        def name(cn):
            return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                              x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fake Peruri"),
                              x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def make(cn, issuer_name, issuer_key, years, ca, pathlen, eku):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer_name or name(cn))
                 .public_key(key.public_key()).serial_number(x509.random_serial_number())
                 .not_valid_before(start).not_valid_after(start + dt.timedelta(days=365 * years))
                 .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
                 .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
                 .add_extension(x509.KeyUsage(
                     digital_signature=not ca, content_commitment=not ca and eku is None,
                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                     key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False),
                     critical=True))
            signing_key = issuer_key or key
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                signing_key.public_key()), critical=False)
            if eku:
                b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
            return key, b.sign(signing_key, hashes.SHA256())

        root_key, root = make("Fake Peruri Root CA", None, None, 20, True, 1, None)
        int_key, inter = make("Fake Peruri Intermediate CA", root.subject, root_key, 10, True, 0, None)
        signer_key, signer = make("e-Meterai Fake Signer", inter.subject, int_key, 5, False, None, None)
        tsa_key, tsa = make("Fake Peruri TSA", inter.subject, int_key, 5, False, None,
                            [ExtendedKeyUsageOID.TIME_STAMPING])
        for n, (k, c) in zip(self.NAMES, [(root_key, root), (int_key, inter),
                                          (signer_key, signer), (tsa_key, tsa)]):
            atomic_write(os.path.join(self.dir, n + ".key"), k.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            atomic_write(os.path.join(self.dir, n + ".crt"), c.public_bytes(serialization.Encoding.PEM))
        with open(os.path.join(self.dir, "root.crt"), "rb") as f:
            atomic_write(self.root_pem, f.read())


# Scaling the stamp image into the box can overshoot by 1e-14 pt; pyHanko logs that as a warning.
logging.getLogger("pyhanko.pdf_utils.layout").setLevel(logging.ERROR)


class MillisTimeStamper(DummyTimeStamper):
    """In-process RFC 3161 TSA whose genTime carries milliseconds, as production TSAs' do.
    DER drops trailing zeros of the fraction, so a whole second is nudged to .001 to keep one."""

    def request_tsa_response(self, req):
        t = now_utc()
        self.fixed_dt = t.replace(microsecond=max(1, t.microsecond // 1000) * 1000)
        return super().request_tsa_response(req)


# ---------------------------------------------------------------- ledger

class Ledger:
    """Peruri's memory: the account, issued SNs, quota, stampings. Persisted after each change."""

    def __init__(self, state_dir, quota):
        self.path = os.path.join(state_dir, "ledger.json")
        self.lock = threading.RLock()
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                self.data = json.load(f)
        else:
            self.data = {"version": 1, "user_id": str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
                         "jwt_secret": secrets.token_hex(32), "sn_salt": secrets.token_hex(16),
                         "quota_total": quota, "issued": [], "stamped": []}
            self.save()
        self.by_sn = {e["sn"]: e for e in self.data["issued"]}

    def save(self):
        atomic_write(self.path, json.dumps(self.data, indent=1).encode())

    @property
    def saldo(self):
        return max(0, self.data["quota_total"] - len(self.data["issued"]))

    def notstamp(self):
        return sum(1 for e in self.data["issued"] if e["status"] == "NOTSTAMP")

    def issue(self, fields_):
        """Use one unit of quota; returns the new entry or None when the quota is exhausted."""
        with self.lock:
            if self.saldo <= 0:
                return None
            n = len(self.data["issued"])
            attempt = 0
            while True:  # deterministic per (state, index); unique by construction of the loop
                v = int.from_bytes(hashlib.sha256(
                    f"{self.data['sn_salt']}:{n}:{attempt}".encode()).digest(), "big")
                sn = "".join(SN_ALPHABET[(v // 36 ** i) % 36] for i in range(22))
                if sn not in self.by_sn:
                    break
                attempt += 1
            t = iso_ms(now_utc())
            entry = {"sn": sn, "status": "NOTSTAMP", "tgl": t, "tglupdate": t,
                     "user_id": self.data["user_id"], "checksum": None, "attempts": 0,
                     "failed_attempts": 0, **fields_}
            self.data["issued"].append(entry)
            self.by_sn[sn] = entry
            self.save()
            return entry


# ---------------------------------------------------------------- reply shapes

@dataclass
class Style:
    status_code: bool
    message: str | None
    timestamp: bool
    path: bool
    shuffle_seed: int | None
    numbers_as_strings: bool
    wib_dates: bool
    null_tglupdate: bool
    charset: bool
    error_http_4xx: bool


class Shapes:
    OPTIONAL_STATUS = ("sn_list", "saldo")

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.mode = "random"
        self.list_shape = None  # None: the SN list follows `mode` like every other reply

    def style(self, route):
        with self.lock:
            if self.mode == "documented":
                s = Style(route not in self.OPTIONAL_STATUS, "success", False, False, None,
                          False, False, False, True, False)
            else:
                r = self.rng
                s = Style(route not in self.OPTIONAL_STATUS or r.random() < 0.5,
                          r.choice(["success", "Success", None]), r.random() < 0.3,
                          r.random() < 0.3, r.randrange(1 << 30) if r.random() < 0.5 else None,
                          r.random() < 0.5, r.random() < 0.5, r.random() < 0.5,
                          r.random() < 0.5, r.random() < 0.5)
            if route == "sn_list" and self.list_shape is not None:
                s.status_code = {"documented": False, "with_status": True}.get(
                    self.list_shape, self.rng.random() < 0.5)
            return s

    def garbage(self):
        with self.lock:
            return self.rng.choice([b'{"statusCode":"00","result":{"sn":"', b"<html><body><h1>"
                                    b"502 Bad Gateway</h1></body></html>", b"\x00\xffnot json"])


def shuffled(d, rng):
    keys = list(d)
    rng.shuffle(keys)
    return {k: d[k] for k in keys}


def envelope(style, path, result):
    out = {}
    if style.status_code:
        out["statusCode"] = "00"
    if style.message is not None:
        out["message"] = style.message
    out["result"] = result
    if style.timestamp:
        out["timestamp"] = iso_ms(now_utc())
    if style.path:
        out["path"] = path
    if style.shuffle_seed is not None:
        rng = random.Random(style.shuffle_seed)
        if isinstance(result, dict):
            out["result"] = shuffled(result, rng)
        out = shuffled(out, rng)
    return out


def num(style, n):
    return str(n) if style.numbers_as_strings else n


def date(style, iso):
    if iso is None:
        return None
    if not style.wib_dates:
        return iso
    t = dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return t.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- faults and settings

class Control:
    def __init__(self, shapes, ledger, seed):
        self.lock = threading.Lock()
        self.shapes, self.ledger, self.seed = shapes, ledger, seed
        self.outage = False
        self.faults = []  # FIFO of {"route","kind","times","seconds"}
        self.token_lifetime_s = 86400
        self.requests = {}

    def count(self, route):
        with self.lock:
            self.requests[route] = self.requests.get(route, 0) + 1

    def take_fault(self, route):
        with self.lock:
            for f in self.faults:
                if f["route"] == route:
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self.faults.remove(f)
                    return dict(f)
        return None

    def settings(self):
        with self.lock:
            return {"outage": self.outage, "faults": [dict(f) for f in self.faults],
                    "token_lifetime_s": self.token_lifetime_s, "shapes": self.shapes.mode,
                    "list_shape": self.shapes.list_shape, "seed": self.seed,
                    "quota": self.ledger.data["quota_total"]}

    def apply(self, body):
        """Validate everything first, then apply, so a bad request changes nothing."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        known = {"outage", "faults", "clear_faults", "token_lifetime_s", "list_shape", "shapes",
                 "reset_counts", "quota"}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        faults = []
        for f in body.get("faults", []):
            if not isinstance(f, dict) or f.get("route") not in ROUTES or f.get("kind") not in FAULT_KINDS:
                raise ValueError(f"bad fault {f!r}: route in {ROUTES}, kind in {FAULT_KINDS}")
            if f["kind"] == "sn_used" and f["route"] != "sign":
                raise ValueError("sn_used applies to the sign route only")
            times, seconds = f.get("times", 1), f.get("seconds", FAULT_DEFAULT_SECONDS.get(f["kind"], 0))
            if not isinstance(times, int) or times < 1 or not isinstance(seconds, (int, float)) or seconds < 0:
                raise ValueError(f"bad times/seconds in {f!r}")
            faults.append({"route": f["route"], "kind": f["kind"], "times": times, "seconds": seconds})
        for key, allowed in (("list_shape", ("documented", "with_status", "random", None)),
                             ("shapes", ("documented", "random"))):
            if key in body and body[key] not in allowed:
                raise ValueError(f"{key} must be one of {allowed}")
        for key in ("token_lifetime_s", "quota"):
            if key in body and (not isinstance(body[key], int) or isinstance(body[key], bool) or body[key] < 0):
                raise ValueError(f"{key} must be a non-negative integer")
        if "outage" in body and not isinstance(body["outage"], bool):
            raise ValueError("outage must be true or false")
        with self.lock:
            if body.get("clear_faults"):
                self.faults.clear()
            self.faults.extend(faults)
            self.outage = body.get("outage", self.outage)
            self.token_lifetime_s = body.get("token_lifetime_s", self.token_lifetime_s)
            self.shapes.mode = body.get("shapes", self.shapes.mode)
            self.shapes.list_shape = body.get("list_shape", self.shapes.list_shape)
            if body.get("reset_counts"):
                self.requests.clear()
        if "quota" in body:
            with self.ledger.lock:
                self.ledger.data["quota_total"] = body["quota"]
                self.ledger.save()
        return self.settings()


# ---------------------------------------------------------------- the Sign Adapter

class AdapterError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Adapter:
    """docSigningZ as §8 describes it: local pre-checks, then the 'remote' step where Peruri checks
    the JWT and the SN and binds the SN to the document checksum, then the signature itself."""

    def __init__(self, share, pki, ledger, verify_token):
        self.share = os.path.realpath(share)
        self.pki, self.ledger, self.verify_token = pki, ledger, verify_token
        self.slot = threading.Lock()  # one signing at a time, like a single-slot adapter
        self.signer = signers.SimpleSigner(
            signing_cert=pki.certs["signer"], signing_key=pki.keys["signer"],
            cert_registry=SimpleCertificateStore.from_certs([pki.certs["intermediate"], pki.certs["root"]]))

    def share_path(self, p):
        """The adapter sees the shared folder as /sharefolder/... or sharefolder/... (§2)."""
        if not isinstance(p, str):
            return None
        for prefix in ("/sharefolder/", "sharefolder/"):
            if p.startswith(prefix):
                rel = p[len(prefix):]
                break
        else:
            return None
        if not rel or rel.startswith("/") or "\x00" in rel:
            return None
        full = os.path.realpath(os.path.join(self.share, rel))
        return full if full.startswith(self.share + os.sep) else None

    def sign(self, body, fault_kind=None):
        with self.slot:
            try:
                return self._sign(body, fault_kind)
            except AdapterError as e:
                return {"status": "False", "errorCode": e.code, "errorMessage": str(e)}

    def _sign(self, body, fault_kind):
        if any(body.get(k) in (None, "") for k in SIGN_REQUIRED):
            raise AdapterError("90", "Mandatory field(s) should not be empty")
        if body["profileName"] != PROFILE_NAME:
            raise AdapterError("91", "Profile name not found")
        try:
            page = float(str(body["visSignaturePage"]))
            llx, lly, urx, ury = (float(str(body[k])) for k in ("visLLX", "visLLY", "visURX", "visURY"))
            if not page.is_integer():
                raise ValueError
            page = int(page)
        except (ValueError, OverflowError):
            raise AdapterError("90", "Invalid input: visSignaturePage and vis* must be numbers")
        box = (min(llx, urx), min(lly, ury), max(llx, urx), max(lly, ury))  # Peruri's sample has LLY > URY
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            raise AdapterError("90", "Invalid input: empty signature box")
        level = body.get("certificatelevel") or "NOT_CERTIFIED"
        if level not in CERT_LEVELS:
            raise AdapterError("90", f"Invalid input: certificatelevel {level}")
        if fault_kind == "token_expired":
            raise AdapterError("95", "Post hash-signing failed: HTTP 401 token expired")
        if fault_kind == "sn_used":
            raise AdapterError("96", f"External hash-signing error: serial number {body['refToken']} has been used")

        src, dest, spesimen = (self.share_path(body[k]) for k in ("src", "dest", "spesimenPath"))
        try:
            if src is None:
                raise OSError("outside the shared folder")
            with open(src, "rb") as f:
                original = f.read()
        except OSError as e:
            raise AdapterError("82", f"Cannot read source document {body['src']}: {e}")
        # The output stream is opened before anything is signed, so a bad dest fails early.
        if dest is None or not os.path.isdir(os.path.dirname(dest)):
            raise AdapterError("92", f"Internal server error: cannot write {body['dest']}")
        if spesimen is None or not os.path.isfile(spesimen):
            raise AdapterError("92", f"Internal server error: spesimen {body['spesimenPath']} not found")
        try:
            with Image.open(spesimen) as im:
                im.load()
                stamp_image = im.copy()
        except Exception as e:
            raise AdapterError("92", f"Internal server error: spesimen image unreadable: {e}")
        docpass = body.get("docpass") or ""
        data = self._prechecks(original, docpass)

        checksum = hashlib.sha256(original).hexdigest()
        sn = body["refToken"]
        retry = str(body.get("retryFlag", "")) == "1"
        with self.ledger.lock:  # the remote signer: JWT, SN state, SN-to-checksum binding
            claims = self.verify_token(body["jwToken"])
            if claims is None:
                raise AdapterError("95", "Post hash-signing failed: HTTP 401 token expired or invalid")
            entry = self.ledger.by_sn.get(sn)
            if entry is None or entry["user_id"] != claims.get("id"):
                raise AdapterError("96", f"External hash-signing error: serial number {sn} not found")
            if entry["status"] == "STAMP":
                raise AdapterError("96", f"External hash-signing error: serial number {sn} has been used")
            if entry["attempts"] and not retry:
                raise AdapterError("96", f"External hash-signing error: serial number {sn} has been used "
                                   "(previous signing failed; retry with retryFlag 1)")
            if entry["checksum"] and entry["checksum"] != checksum:
                raise AdapterError("96", f"External hash-signing error: serial number {sn} is bound "
                                   "to another document")
            entry["checksum"] = checksum
            entry["attempts"] += 1
            self.ledger.save()
        try:
            if fault_kind == "error92":
                raise AdapterError("92", "Internal server error")
            if fault_kind == "error97":
                raise AdapterError("97", "Abnormal error in hash signing, please retry with retryFlag 1")
            signed = self._pyhanko_sign(data, docpass, sn, body, page, box, level, stamp_image)
            tmp = f"{dest}.part-{secrets.token_hex(4)}"
            try:
                with open(tmp, "wb") as f:
                    f.write(signed)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except AdapterError:
            self._failed(entry)
            raise
        except Exception as e:
            traceback.print_exc()
            self._failed(entry)
            raise AdapterError("92", f"Internal server error: {e}")
        with self.ledger.lock:
            t = iso_ms(now_utc())
            entry.update(status="STAMP", tglupdate=t)
            self.ledger.data["stamped"].append({"sn": sn, "src": body["src"], "dest": body["dest"],
                                                "checksum": checksum, "tglupdate": t, "retry": retry})
            self.ledger.save()
        return {"status": "True", "errorCode": "00", "errorMessage": "-"}

    def _failed(self, entry):
        with self.ledger.lock:
            entry["failed_attempts"] += 1
            self.ledger.save()

    def _prechecks(self, data, docpass):
        """§8 pre-checks; returns the bytes to sign (upgraded to PDF 1.7 when needed)."""
        m = re.search(rb"%PDF-(\d)\.(\d)", data[:1024])
        if not m:
            raise AdapterError("82", "Cannot read document: not a PDF")
        header = (int(m.group(1)), int(m.group(2)))
        reader = self._open(data, docpass, header)
        version = header
        cat = reader.root.get("/Version")
        if cat is not None and re.fullmatch(r"/?\d\.\d", str(cat)):
            version = max(version, tuple(int(x) for x in str(cat).lstrip("/").split(".")))
        sigs = reader.embedded_signatures
        for emb in sigs:
            try:
                digest = emb.compute_digest()
                if emb.sig_object_type == "/DocTimeStamp":  # the digest is in the TSTInfo imprint
                    content = emb.signed_data["encap_content_info"]["content"]
                    intact = content.parsed["message_imprint"]["hashed_message"].native == digest
                    md = emb.signer_info["digest_algorithm"]["algorithm"].native
                    valid = all(validate_sig_integrity(emb.signer_info, emb.signer_cert, "tst_info",
                                                       hashlib.new(md, content.contents).digest()))
                else:
                    intact, valid = validate_sig_integrity(emb.signer_info, emb.signer_cert, "data", digest)
            except Exception as e:
                raise AdapterError("81", f"Source Document has invalid signature: {e}")
            if not intact:
                raise AdapterError("80", "Source Document has been change since it was signed")
            if not valid:
                raise AdapterError("81", "Source Document has invalid signature")
        cert = read_certification_data(reader)
        if cert is not None and cert.permission == fields.MDPPerm.NO_CHANGES:
            raise AdapterError("83", "Document already Certified, No changes are allowed")
        if sigs or version >= (1, 6):
            return data
        with tempfile.TemporaryDirectory(prefix="fake-peruri-") as tmp:
            src, out = os.path.join(tmp, "in.pdf"), os.path.join(tmp, "out.pdf")
            with open(src, "wb") as f:
                f.write(data)
            cmd = ["qpdf", "--force-version=1.7"]
            if reader.encrypted:
                cmd.append(f"--password={docpass}")
            proc = subprocess.run(cmd + [src, out], capture_output=True)
            if proc.returncode not in (0, 3):  # 3 = succeeded with warnings
                raise AdapterError("82", "Cannot upgrade document version: "
                                   + proc.stderr.decode(errors="replace").strip())
            with open(out, "rb") as f:
                upgraded = f.read()
        self._open(upgraded, docpass, (1, 7))
        return upgraded

    def _open(self, data, docpass, header):
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            if reader.encrypted:
                if header < (1, 5):
                    raise AdapterError("82", "Document password protected, cannot upgrade document "
                                       "version, please use PDF version 1.6 or above")
                if not docpass or reader.decrypt(docpass).status == AuthStatus.FAILED:
                    raise AdapterError("82", "Document password protected: wrong or missing docpass")
            int(reader.root["/Pages"]["/Count"])
            return reader
        except AdapterError:
            raise
        except Exception as e:
            raise AdapterError("82", f"Cannot read document: {e}")

    def _pyhanko_sign(self, data, docpass, sn, body, page, box, level, stamp_image):
        w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        if w.prev.encrypted:
            w.encrypt(docpass)
        pages = int(w.root["/Pages"]["/Count"])
        page = min(max(page, 1), pages)
        existing = {str(e.field_name) for e in w.prev.embedded_signatures}
        millis = int(time.time() * 1000)
        while f"sig{millis}" in existing:
            millis += 1
        field = f"sig{millis}"
        reason = f"[{sn}] {body.get('reason') or ''}".rstrip()
        meta = signers.PdfSignatureMetadata(
            field_name=field, md_algorithm="sha256", reason=reason,
            location=body.get("location") or None,
            subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
            certify=CERT_LEVELS[level] is not None,
            docmdp_permissions=CERT_LEVELS[level] or fields.MDPPerm.FILL_FORMS)
        style = StaticStampStyle(
            background=images.PdfImage(stamp_image), border_width=0, background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT))
        tsa = MillisTimeStamper(self.pki.certs["tsa"], self.pki.keys["tsa"],
                                certs_to_embed=[self.pki.certs["intermediate"]])
        pdf_signer = signers.PdfSigner(
            meta, signer=self.signer, timestamper=tsa, stamp_style=style,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field, on_page=page - 1,
                                               box=tuple(round(v) for v in box)))
        out = io.BytesIO()
        pdf_signer.sign_pdf(w, output=out)
        return out.getvalue()


# ---------------------------------------------------------------- Peruri's API

class Api:
    def __init__(self, args, ledger, control, shapes):
        self.args, self.ledger, self.control, self.shapes = args, ledger, control, shapes
        self.jenisdoc = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"jenisdoc:{k}:{n}")), "kode": k, "nama": n}
                         for k, n in JENISDOC]

    # -- JWT (HS256, iss "emeterai", exp - iat = lifetime; §4)
    def make_token(self):
        iat = int(time.time())
        claims = {"id": self.ledger.data["user_id"], "email": self.args.user, "iss": "emeterai",
                  "iat": iat, "exp": iat + self.control.token_lifetime_s}
        signing_input = b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + b64url(json.dumps(claims).encode())
        sig = hmac.new(bytes.fromhex(self.ledger.data["jwt_secret"]), signing_input.encode(), hashlib.sha256)
        return signing_input + "." + b64url(sig.digest())

    def verify_token(self, token):
        try:
            head, payload, sig = token.split(".")
            want = hmac.new(bytes.fromhex(self.ledger.data["jwt_secret"]),
                            f"{head}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(want, b64url_decode(sig)):
                return None
            claims = json.loads(b64url_decode(payload))
            if json.loads(b64url_decode(head)).get("alg") != "HS256" or claims.get("iss") != "emeterai":
                return None
            return claims if time.time() < claims["exp"] else None
        except Exception:
            return None

    def bearer(self, headers):
        auth = headers.get("Authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return None, "token required"
        claims = self.verify_token(auth[7:].strip())
        return (claims, None) if claims else (None, "token invalid or expired")

    # -- error bodies
    @staticmethod
    def fail(style, code, message, err, auth=False):
        status = (401 if auth else 400) if style.error_http_4xx else 200
        return status, {"statusCode": code, "message": message, "result": {"err": err}}

    def login(self, style, body, query, path, claims):
        user, password = body.get("user"), body.get("password")
        if not user or not password:
            return self.fail(style, "01", "user dan password wajib diisi", "user and password are required", True)
        if user != self.args.user or password != self.args.password:
            return self.fail(style, "01", "Login gagal", "user atau password salah", True)
        token = self.make_token()
        login = {"token": token, "user": {"id": self.ledger.data["user_id"], "email": user, "firstName": "Loket"}}
        out = envelope(style, path, {"data": {"login": login}})
        out["token"] = token
        return 200, out

    def jenisdoc_route(self, style, body, query, path, claims):
        return 200, envelope(style, path, [dict(d) for d in self.jenisdoc])

    def sn(self, style, body, query, path, claims):
        missing = [k for k in ("isUpload", "namadoc", "namafile", "snOnly", "nodoc", "tgldoc")
                   if body.get(k) is None or body.get(k) == ""]
        if missing:
            return self.fail(style, "01", "Gagal", f"field wajib: {', '.join(missing)}")
        for k in ("isUpload", "snOnly"):
            if not isinstance(body[k], bool):
                return self.fail(style, "01", "Gagal", f"{k} harus boolean")
        if body["namadoc"] not in {k for k, _ in JENISDOC}:
            return self.fail(style, "01", "Gagal", f"namadoc {body['namadoc']!r} tidak dikenal")
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(body["tgldoc"])):
                raise ValueError
            dt.date.fromisoformat(body["tgldoc"])
        except ValueError:
            return self.fail(style, "01", "Gagal", "tgldoc harus YYYY-MM-DD")
        if body["isUpload"]:  # cloud mode: needs an idfile from uploaddoc2, which this fake never issued
            return self.fail(style, "01", "Gagal", f"idfile {body.get('idfile')!r} tidak ditemukan")
        entry = self.ledger.issue({"namafile": str(body["namafile"]), "namadoc": body["namadoc"],
                                   "nodoc": str(body["nodoc"]), "tgldoc": body["tgldoc"]})
        if entry is None:  # 93 = quota exhausted: unverified in the reference (§1)
            return self.fail(style, "93", "Kuota tidak mencukupi", "saldo meterai habis")
        result = {"sn": entry["sn"]}
        if not body["snOnly"]:
            result["image"] = base64.b64encode(stamp_png(entry["sn"])).decode()
        return 200, envelope(style, path, result)

    def _row(self, style, e, keys):
        tglupdate = e["tglupdate"]
        if e["status"] == "NOTSTAMP" and style.null_tglupdate:
            tglupdate = None
        row = {"serialnumber": e["sn"], "status": e["status"], "file": e["namafile"],
               "tgl": date(style, e["tgl"]), "tglupdate": date(style, tglupdate), "email": self.args.user}
        return {k: row[k] for k in keys}

    def qrimage(self, style, body, query, path, claims):
        """§7: the stamp image of an SN already issued, `{"serialnumber": SN, "onprem": true}`.
        The reference names the call but not its reply; the fake answers in SN generation's shape
        (`result.image`, base64), which is what a client can expect of the same service."""
        sn = str((body or {}).get("serialnumber") or "")
        with self.ledger.lock:
            known = any(e["sn"] == sn and e["user_id"] == claims["id"] for e in self.ledger.data["issued"])
        if not known:
            return self.fail(style, "01", "Gagal", "serialnumber tidak ditemukan")
        return 200, envelope(style, path, {"image": base64.b64encode(stamp_png(sn)).decode()})

    def sn_status(self, style, body, query, path, claims):
        sn = (query.get("filter") or [""])[0]
        with self.ledger.lock:
            rows = [self._row(style, e, ("status", "file", "tglupdate", "serialnumber"))
                    for e in self.ledger.data["issued"]
                    if e["user_id"] == claims["id"] and (not sn or e["sn"] == sn)]
        return 200, envelope(style, path, {"total": num(style, len(rows)), "data": rows})

    def sn_list(self, style, body, query, path, claims, user_id):
        if user_id != claims["id"]:
            return 403, {"statusCode": "01", "message": "Forbidden", "result": {"err": "UserID bukan milik token"}}

        def integer(name, default):
            v = (query.get(name) or [str(default)])[0]
            if not re.fullmatch(r"\d+", v):
                raise ValueError(name)
            return int(v)
        try:
            start, length = integer("start", 0), integer("length", 10)
        except ValueError as e:
            return self.fail(style, "01", "Gagal", f"{e} harus bilangan bulat")
        status = (query.get("status") or [""])[0]
        if status not in ("", "NOTSTAMP", "STAMP"):
            return self.fail(style, "01", "Gagal", "status harus NOTSTAMP atau STAMP")
        with self.ledger.lock:
            # newest first, by issue order, so paging is stable while SNs are being issued
            matching = [e for e in reversed(self.ledger.data["issued"])
                        if e["user_id"] == user_id and (not status or e["status"] == status)]
            page = [self._row(style, e, ("serialnumber", "status", "file", "tgl", "tglupdate", "email"))
                    for e in matching[start:start + length]]
        result = {"total": num(style, len(matching)), "data": page}
        if (query.get("notEncrypt") or [""])[0] != "true":
            # without notEncrypt=true the list comes back encrypted: opaque to the client
            size = 16 * (1 + len(json.dumps(result)) // 16)
            result = base64.b64encode(secrets.token_bytes(size)).decode()
        return 200, envelope(style, path, result)

    def saldo(self, style, body, query, path, claims):
        with self.ledger.lock:
            result = {"status": "00", "saldo": num(style, self.ledger.saldo),
                      "notstamp": num(style, self.ledger.notstamp())}
        return 200, envelope(style, path, result)


# ---------------------------------------------------------------- HTTP

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, app):
        super().__init__(addr, handler)
        self.app = app
        self.aborted = set()
        self.aborted_lock = threading.Lock()

    def shutdown_request(self, request):
        with self.aborted_lock:
            abort = request in self.aborted
            self.aborted.discard(request)
        if abort:  # no FIN handshake: an RST, as when a proxy or the host drops the connection
            try:
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_request(request)
        else:
            super().shutdown_request(request)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.app.args.verbose:
            sys.stderr.write("fake_peruri: " + fmt % args + "\n")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    @staticmethod
    def parse_body(raw):
        """Real servers parse the body whatever the Content-Type says: JSON, else a form."""
        try:
            body = json.loads(raw) if raw.strip() else {}
            return body if isinstance(body, dict) else {}
        except ValueError:
            try:
                return {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            except UnicodeDecodeError:
                return {}

    def send(self, status, payload, content_type=None, headers=()):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def abort(self):
        self.close_connection = True
        with self.server.aborted_lock:
            self.server.aborted.add(self.connection)

    def route(self, method, path):
        api = self.server.app.api
        m = re.fullmatch(r"/chanel/sale/stamp/ext/([^/]+)", path)
        table = {("POST", "/api/users/login"): ("login", api.login, False),
                 ("GET", "/jenisdoc"): ("jenisdoc", api.jenisdoc_route, True),
                 ("POST", "/chanel/stampv2"): ("sn", api.sn, True),
                 ("GET", "/api/chanel/stamp/ext"): ("sn_status", api.sn_status, True),
                 ("POST", "/snqr/qrimage"): ("qrimage", api.qrimage, True),
                 ("GET", "/function/saldopos"): ("saldo", api.saldo, True),
                 ("POST", "/function/saldopos"): ("saldo", api.saldo, True),
                 ("GET", "/"): ("adapter", None, False),
                 ("POST", "/adapter/pdfsigning/rest/docSigningZ"): ("sign", None, False)}
        if method == "GET" and m:
            user_id = m.group(1)
            return "sn_list", (lambda s, b, q, p, c: api.sn_list(s, b, q, p, c, user_id)), True
        return table.get((method, path), ("unknown", None, False))

    def dispatch(self, method):
        app = self.server.app
        url = urlsplit(self.path)
        path = url.path if url.path == "/" else url.path.rstrip("/")
        query = parse_qs(url.query)
        raw = self.read_body()
        body = self.parse_body(raw)
        if path == "/_control":
            try:
                return self.send(200, app.control.apply(body) if method == "POST" else app.control.settings())
            except ValueError as e:
                return self.send(400, {"error": str(e)})
        if path == "/_ledger" and method == "GET":
            return self.send(200, app.ledger_view())
        name, fn, needs_auth = self.route(method, path)
        app.control.count(name)
        if app.control.outage:
            return self.abort()
        if name == "unknown":
            return self.send(404, {"statusCode": "404", "message": f"Cannot {method} {url.path}"})
        style = app.shapes.style(name)
        fault = app.control.take_fault(name)
        kind = fault["kind"] if fault else None
        if kind in ("hang", "slow"):
            time.sleep(fault["seconds"])
            if kind == "hang":
                return self.abort()
        if kind == "http500":
            if name in ("sign", "adapter"):  # the adapter is a Spring Boot app
                return self.send(500, {"timestamp": iso_ms(now_utc()), "status": 500,
                                       "error": "Internal Server Error", "path": url.path})
            return self.send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                             "text/html")
        if kind == "http503_retry_after":
            return self.send(503, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                             "text/html", [("Retry-After", "2")])
        if kind == "garbage":
            return self.send(200, app.shapes.garbage(), "application/json")
        if kind == "token_expired" and name != "sign":
            return self.send(401, {"statusCode": "01", "message": "Token expired", "result": {"err": "jwt expired"}})
        if kind in ("error92", "error97") and name != "sign":
            code = kind[-2:]
            return self.send(200, {"statusCode": code, "message": "Gagal",
                                   "result": {"err": f"internal error {code}"}})

        claims = None
        if needs_auth:
            claims, why = app.api.bearer(self.headers)
            if claims is None:
                return self.send(401, {"statusCode": "01", "message": "Unauthorized", "result": {"err": why}})
        try:
            if name == "adapter":
                status, payload = 200, {"message": "welcome to signadapter v2.0.9", "documentationUrl": "/docs"}
            elif name == "sign":
                status, payload = 200, app.adapter.sign(body, kind)
            else:
                status, payload = fn(style, body, query, url.path, claims)
        except Exception as e:  # a bug in the fake must show, not look like a network fault
            traceback.print_exc()
            return self.send(500, {"statusCode": "99", "message": f"fake_peruri bug: {e!r}"})
        if kind == "drop_after":  # the work is done and persisted; the client never hears of it
            return self.abort()
        ctype = "application/json; charset=utf-8" if style.charset or name in ("sign", "adapter") \
            else "application/json"
        self.send(status, payload, ctype)


class App:
    def __init__(self, args):
        self.args = args
        os.makedirs(args.state, exist_ok=True)
        self.pki = Pki(args.state)
        self.ledger = Ledger(args.state, args.quota)
        self.shapes = Shapes(args.seed)
        self.control = Control(self.shapes, self.ledger, args.seed)
        self.api = Api(args, self.ledger, self.control, self.shapes)
        self.adapter = Adapter(args.share, self.pki, self.ledger, self.api.verify_token)

    def ledger_view(self):
        with self.ledger.lock:
            issued = [{k: e[k] for k in ("sn", "namafile", "status", "tgl", "tglupdate", "namadoc", "nodoc",
                                         "tgldoc", "checksum", "attempts", "failed_attempts")}
                      for e in self.ledger.data["issued"]]
            view = {"issued": issued, "quota_used": len(issued), "quota_total": self.ledger.data["quota_total"],
                    "saldo": self.ledger.saldo, "stamped": [dict(s) for s in self.ledger.data["stamped"]],
                    "user_id": self.ledger.data["user_id"]}
        with self.control.lock:
            view["requests"] = dict(self.control.requests)
        return view


def main():
    p = argparse.ArgumentParser(description="The reference fake of Peruri (e-Meterai) for loket's tests.")
    p.add_argument("--port", type=int, required=True, help="0 = any free port")
    p.add_argument("--share", required=True, help="the adapter's shared folder (/sharefolder)")
    p.add_argument("--state", required=True, help="ledger and PKI; reuse it to continue after a kill")
    p.add_argument("--seed", type=int, default=0, help="seed of the reply-shape RNG")
    p.add_argument("--quota", type=int, default=1000, help="initial quota of a new --state")
    p.add_argument("--user", default="loket@kantorpos.test")
    p.add_argument("--password", default="rahasia")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args()
    if not os.path.isdir(args.share):
        p.error(f"--share {args.share} is not a directory")
    app = App(args)
    server = Server(("127.0.0.1", args.port), Handler, app)
    print(json.dumps({"port": server.server_address[1], "root_pem": os.path.abspath(app.pki.root_pem)}),
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
