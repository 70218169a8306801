#!/usr/bin/env python3
"""check_fake.py: self-check of the reference fake of Peruri (fake_peruri.py) in loket's test suite.

Starts the fake on a temporary share/state, drives every route, signs real PDFs and validates the
output with pdfsig and pyHanko against the fake's root.pem, exercises every fault kind and the
outage, then SIGKILLs the fake, restarts it on the same state and checks that the ledger survived.
Prints one line per check; exits 0 when all pass.
usage: /opt/loket-venv/bin/python tests/peruri_ref/check_fake.py [--keep]
"""
import base64
import http.client
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", message="DSA is deprecated")

from asn1crypto import pem, x509 as asn1_x509
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_peruri.py")
USER, PASSWORD = "loket@kantorpos.test", "rahasia"
SN_RE = re.compile(r"^[A-Z0-9]{22}$")
failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok or not detail else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)
    return ok


class Fake:
    def __init__(self, share, state, seed=7):
        self.share, self.state, self.seed = share, state, seed
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--share", self.share,
                                      "--state", self.state, "--seed", str(self.seed)],
                                     stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        info = json.loads(line)
        self.port, self.root_pem = info["port"], info["root_pem"]
        return info, line

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def call(self, method, path, body=None, token=None, headers=None, timeout=20, raw_body=None):
        """(status, headers, bytes), or None when the connection closed without a reply."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead):
            return None
        finally:
            conn.close()

    def json(self, method, path, body=None, token=None, **kw):
        r = self.call(method, path, body, token, **kw)
        if r is None:
            return None, None
        try:
            return r[0], json.loads(r[2])
        except ValueError:
            return r[0], r[2]

    def control(self, **settings):
        status, body = self.json("POST", "/_control", settings)
        assert status == 200, body
        return body

    def ledger(self):
        return self.json("GET", "/_ledger")[1]


def make_pdf(version="1.4", pages=2, text="Hello loket"):
    """A minimal valid PDF with a correct xref, written by hand."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{3 + 2 * i} 0 R" for i in range(pages)), pages)]
    for i in range(pages):
        content = f"BT /F1 24 Tf 72 720 Td ({text} page {i + 1}) Tj ET".encode()
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
                    f"/Resources << /Font << /F1 {3 + 2 * pages} 0 R >> >> >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream")
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
    offsets = []
    for n, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{o}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def gen_time_raw(emb):
    for attr in emb.signer_info["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            tst = attr["values"][0]["content"]["encap_content_info"]["content"].parsed
            return tst["gen_time"].contents.decode()
    return None


def validate(path, root_pem, password=None):
    with open(root_pem, "rb") as f:
        root = asn1_x509.Certificate.load(pem.unarmor(f.read())[2])
    with open(path, "rb") as f:
        reader = PdfFileReader(io.BytesIO(f.read()), strict=False)
    if password:
        reader.decrypt(password)
    results = []
    for emb in reader.embedded_signatures:
        vc = ValidationContext(trust_roots=[root], allow_fetching=False)
        results.append((emb, validate_pdf_signature(emb, vc)))
    return results


def pdfsig(path):
    return subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout


def main():
    keep = "--keep" in sys.argv
    tmp = tempfile.mkdtemp(prefix="check-fake-peruri-")
    share, state = os.path.join(tmp, "share"), os.path.join(tmp, "state")
    for d in ("UNSIGNED", "STAMP", "SIGNED"):
        os.makedirs(os.path.join(share, d))
    fake = Fake(share, state)
    try:
        run(fake, share, state)
    finally:
        if fake.proc and fake.proc.poll() is None:
            fake.kill()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    print(f"{'FAILED: ' + ', '.join(failures) if failures else 'all checks passed'}")
    sys.exit(1 if failures else 0)


def run(fake, share, state):
    info, line = fake.start()
    check("startup line is one JSON object {port, root_pem}", set(info) == {"port", "root_pem"}
          and line.endswith("\n") and os.path.exists(info["root_pem"]))
    c = fake

    # -- adapter root and login
    st, body = c.json("GET", "/")
    check("adapter GET / welcome", st == 200 and body == {"message": "welcome to signadapter v2.0.9",
                                                          "documentationUrl": "/docs"}, body)
    st, body = c.json("POST", "/api/users/login", {"user": USER, "password": "salah"})
    check("login with a wrong password fails", isinstance(body, dict) and body.get("statusCode") not in (None, "00")
          and "token" not in body, (st, body))
    st, body = c.json("POST", "/api/users/login", {"user": USER, "password": PASSWORD})
    token = body.get("token") if isinstance(body, dict) else None
    ok = st == 200 and body["statusCode"] == "00" and token == body["result"]["data"]["login"]["token"]
    user = body["result"]["data"]["login"]["user"] if ok else {}
    check("login returns root token == result.data.login.token, user.{id,email,firstName}",
          ok and user.get("email") == USER and user.get("id") and user.get("firstName"), body)
    head, payload, sig = token.split(".")
    dec = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    claims = dec(payload)
    check("JWT is HS256, iss emeterai, exp-iat 86400", dec(head)["alg"] == "HS256"
          and claims["iss"] == "emeterai" and claims["exp"] - claims["iat"] == 86400 and len(sig) == 43, claims)
    st, body = c.json("POST", "/api/users/login", raw_body=f"user={USER}&password={PASSWORD}".encode(),
                      headers={"Content-Type": "text/plain"})
    check("login tolerates a wrong Content-Type", st == 200 and body.get("statusCode") == "00", body)
    user_id = user["id"]

    # -- auth and jenisdoc
    st, body = c.json("GET", "/jenisdoc")
    check("missing Bearer -> 401 with a JSON body", st == 401 and isinstance(body, dict) and body.get("statusCode") != "00")
    st, body = c.json("GET", "/jenisdoc", token=token[:-2] + "xx")
    check("forged Bearer -> 401", st == 401 and isinstance(body, dict))
    st, body = c.json("GET", "/jenisdoc", token=token)
    kodes = {d["kode"] for d in body["result"]} if st == 200 else set()
    check("jenisdoc: statusCode 00, result [{id uuid, kode, nama}] with 2/3/4a/4b",
          st == 200 and body["statusCode"] == "00" and kodes == {"2", "3", "4a", "4b"}
          and all(re.fullmatch(r"[0-9a-f-]{36}", d["id"]) and d["nama"] for d in body["result"]), body)

    # -- SN generation
    base = {"isUpload": False, "namadoc": "3", "namafile": "dok1.pdf", "nilaidoc": "10000",
            "snOnly": False, "nodoc": "1", "tgldoc": "2024-09-04"}
    bad = []
    for k in ("isUpload", "namadoc", "namafile", "snOnly", "nodoc", "tgldoc"):
        st, body = c.json("POST", "/chanel/stampv2", {x: v for x, v in base.items() if x != k}, token)
        if not (isinstance(body, dict) and body.get("statusCode") != "00" and k in body["result"]["err"]):
            bad.append((k, body))
    check("SN refused when a required field is missing (statusCode != 00, result.err)", not bad, bad)
    st, body = c.json("POST", "/chanel/stampv2", {**base, "tgldoc": "04-09-2024"}, token)
    check("SN refused for tgldoc not YYYY-MM-DD", body.get("statusCode") != "00" and body["result"]["err"], body)
    check("no quota used by refused SN requests", c.ledger()["quota_used"] == 0)

    def new_sn(namafile="dok.pdf", **extra):
        st, body = c.json("POST", "/chanel/stampv2", {**base, "namafile": namafile, **extra}, token)
        assert st == 200 and body["statusCode"] == "00", body
        return body["result"]

    res = new_sn("dok1.pdf")
    sn1 = res["sn"]
    png = base64.b64decode(res["image"])
    w, h = struct.unpack(">II", png[16:24])
    check("SN is 22 uppercase alphanumerics", bool(SN_RE.match(sn1)), sn1)
    check("SN image is a real 183x183 PNG", png.startswith(b"\x89PNG\r\n\x1a\n") and (w, h) == (183, 183)
          and Image.open(io.BytesIO(png)).size == (183, 183))
    res_only = new_sn("dok2.pdf", snOnly=True)
    check("snOnly:true gives the SN without image", "image" not in res_only and SN_RE.match(res_only["sn"]))
    st, body = c.json("POST", "/chanel/stampv2", {**base, "isUpload": True}, token)
    check("isUpload:true without a known idfile is refused", body.get("statusCode") != "00", body)

    # -- SN status
    st, body = c.json("GET", f"/api/chanel/stamp/ext?filter={sn1}", token=token)
    d = body["result"]["data"]
    check("SN status: statusCode, total 1, data[0] NOTSTAMP dok1.pdf",
          body.get("statusCode") == "00" and int(body["result"]["total"]) == 1 and d[0]["status"] == "NOTSTAMP"
          and d[0]["file"] == "dok1.pdf" and d[0]["serialnumber"] == sn1 and "tglupdate" in d[0], body)
    st, body = c.json("GET", "/api/chanel/stamp/ext?filter=AAAAAAAAAAAAAAAAAAAAAA", token=token)
    check("SN status of an unknown SN: total 0, data []", int(body["result"]["total"]) == 0
          and body["result"]["data"] == [], body)

    # -- SN list paging
    for i in range(3, 8):
        new_sn(f"dok{i}.pdf")
    issued = [e["sn"] for e in c.ledger()["issued"]]
    seen, start, totals = [], 0, set()
    while True:
        st, body = c.json("GET", f"/chanel/sale/stamp/ext/{user_id}?start={start}&length=2&status=NOTSTAMP"
                          f"&notEncrypt=true", token=token)
        totals.add(int(body["result"]["total"]))
        seen += [r["serialnumber"] for r in body["result"]["data"]]
        if not body["result"]["data"]:
            break
        start += 2
    check("SN list paged by start/length covers every NOTSTAMP SN once", sorted(seen) == sorted(issued)
          and totals == {len(issued)}, (seen, issued))
    row = body["result"]["data"][0] if body["result"]["data"] else None
    st, body = c.json("GET", f"/chanel/sale/stamp/ext/{user_id}?start=0&length=50&notEncrypt=true", token=token)
    check("SN list rows carry serialnumber,status,file,tgl,tglupdate,email",
          all(set(r) == {"serialnumber", "status", "file", "tgl", "tglupdate", "email"} for r in body["result"]["data"]))
    st, body = c.json("GET", f"/chanel/sale/stamp/ext/{user_id}?start=0&length=5&status=STAMP&notEncrypt=true",
                      token=token)
    check("SN list empty page is total 0, data []", int(body["result"]["total"]) == 0 and body["result"]["data"] == [])
    st, body = c.json("GET", f"/chanel/sale/stamp/ext/someone-else?start=0&length=5&notEncrypt=true", token=token)
    check("SN list of another UserID is refused", st == 403, (st, body))

    # -- saldo
    for method in ("GET", "POST"):
        st, body = c.json(method, "/function/saldopos", {} if method == "POST" else None, token)
        r = body["result"]
        check(f"saldopos {method}: result.status 00, saldo 993, notstamp 7",
              r["status"] == "00" and int(r["saldo"]) == 993 and int(r["notstamp"]) == 7, body)

    # -- signing a PDF 1.4 (upgrade path), with a visible stamp
    with open(os.path.join(share, "UNSIGNED", "a.pdf"), "wb") as f:
        f.write(make_pdf("1.4", pages=2))
    with open(os.path.join(share, "STAMP", f"{sn1}.png"), "wb") as f:
        f.write(png)
    req = {"profileName": "emeteraicertificateSigner", "src": "/sharefolder/UNSIGNED/a.pdf",
           "dest": "/sharefolder/SIGNED/a.pdf", "spesimenPath": f"/sharefolder/STAMP/{sn1}.png",
           "reason": "Surat Pernyataan", "location": "JAKARTA", "certificatelevel": "NOT_CERTIFIED",
           "docpass": "", "jwToken": token, "refToken": sn1, "visSignaturePage": 2,
           "visLLX": 237, "visLLY": 559, "visURX": 337, "visURY": 459, "retryFlag": ""}
    st, body = c.json("POST", "/adapter/pdfsigning/rest/docSigningZ", req, token)
    check("sign 1.4 PDF: status True, errorCode 00, errorMessage -",
          body == {"status": "True", "errorCode": "00", "errorMessage": "-"}, body)
    out = os.path.join(share, "SIGNED", "a.pdf")
    data = open(out, "rb").read() if os.path.exists(out) else b""
    check("signed output written to dest, upgraded to PDF 1.7", data.startswith(b"%PDF-1.7"), data[:9])
    check("no temp files left in dest folder", os.listdir(os.path.dirname(out)) == ["a.pdf"])
    check_signed(out, fake.root_pem, sn1, "Surat Pernyataan", expect=1, page=2, box=(237, 459, 337, 559))
    led = {e["sn"]: e for e in c.ledger()["issued"]}
    check("SN marked STAMP with tglupdate in the ledger", led[sn1]["status"] == "STAMP" and led[sn1]["tglupdate"])
    st, body = c.json("GET", f"/api/chanel/stamp/ext?filter={sn1}", token=token)
    check("SN status now STAMP", body["result"]["data"][0]["status"] == "STAMP", body)
    st, body = c.json("POST", "/adapter/pdfsigning/rest/docSigningZ", req, token)
    check("signing again with a used SN -> 96", body.get("errorCode") == "96" and body["status"] == "False", body)

    # second stamp on the signed file, path style without the leading slash, page clamped
    res2 = new_sn("a.pdf")
    sn2 = res2["sn"]
    with open(os.path.join(share, "STAMP", f"{sn2}.png"), "wb") as f:
        f.write(base64.b64decode(res2["image"]))
    req2 = {**req, "src": "sharefolder/SIGNED/a.pdf", "dest": "sharefolder/SIGNED/a2.pdf",
            "spesimenPath": f"sharefolder/STAMP/{sn2}.png", "refToken": sn2, "visSignaturePage": "99",
            "visLLX": "400", "visLLY": "50", "visURX": "480", "visURY": "130", "reason": "Akta Pejabat"}
    st, body = c.json("POST", "/adapter/pdfsigning/rest/docSigningZ", req2, token)
    check("sign an already-signed PDF via 'sharefolder/...' paths", body.get("errorCode") == "00", body)
    out2 = os.path.join(share, "SIGNED", "a2.pdf")
    check("second stamp is an incremental update of the first", open(out2, "rb").read().startswith(data))
    check_signed(out2, fake.root_pem, sn2, "Akta Pejabat", expect=2, page=2, box=(400, 50, 480, 130))

    # -- adapter refusals
    def sign(fields=None, **over):
        return c.json("POST", "/adapter/pdfsigning/rest/docSigningZ", {**req, **(fields or {}), **over}, token)[1]
    sn3 = new_sn("b.pdf")["sn"]
    with open(os.path.join(share, "UNSIGNED", "b.pdf"), "wb") as f:
        f.write(make_pdf("1.7", pages=1, text="Bee"))
    b_req = {"src": "/sharefolder/UNSIGNED/b.pdf", "dest": "/sharefolder/SIGNED/b.pdf", "refToken": sn3}
    check("missing mandatory field -> 90", sign(b_req, refToken="")["errorCode"] == "90")
    check("unknown profileName -> 91", sign(b_req, profileName="other")["errorCode"] == "91")
    check("src escaping the shared folder -> 82", sign(b_req, src="/sharefolder/../state/ledger.json")["errorCode"] == "82")
    check("src without the sharefolder prefix -> 82", sign(b_req, src="/app/UNSIGNED/b.pdf")["errorCode"] == "82")
    check("dest folder missing -> 92", sign(b_req, dest="/sharefolder/NOPE/b.pdf")["errorCode"] == "92")
    with open(os.path.join(share, "UNSIGNED", "junk.pdf"), "wb") as f:
        f.write(b"%PDF-1.7\nthis is not a pdf\n")
    check("unreadable PDF -> 82", sign(b_req, src="/sharefolder/UNSIGNED/junk.pdf")["errorCode"] == "82")
    check("unknown SN -> 96", sign(b_req, refToken="ZZZZZZZZZZZZZZZZZZZZZZ")["errorCode"] == "96")
    check("unknown jwToken in the body -> 95 even with a fresh Bearer", sign(b_req, jwToken="a.b.c")["errorCode"] == "95")
    c.control(token_lifetime_s=1)
    short = c.json("POST", "/api/users/login", {"user": USER, "password": PASSWORD})[1]["token"]
    sc = dec(short.split(".")[1])
    check("token_lifetime_s makes exp-iat = 1", sc["exp"] - sc["iat"] == 1, sc)
    c.control(token_lifetime_s=86400)
    time.sleep(2.1)
    check("expired token as Bearer -> 401", c.json("GET", "/jenisdoc", token=short)[0] == 401)
    check("expired jwToken in the body -> 95 even with a fresh Bearer", sign(b_req, jwToken=short)["errorCode"] == "95")
    check("refused requests did not touch the SN", c.ledger()["issued"][-1]["attempts"] == 0)

    # encrypted inputs
    plain = os.path.join(share, "UNSIGNED", "b.pdf")
    def encrypt(name, *opts):
        dst = os.path.join(share, "UNSIGNED", name)
        subprocess.run(["qpdf", "--allow-weak-crypto", "--encrypt", "user", "owner", *opts, "--", plain, dst], check=True)
        return "/sharefolder/UNSIGNED/" + name
    enc256 = encrypt("e256.pdf", "256")
    check("encrypted PDF without docpass -> 82", sign(b_req, src=enc256)["errorCode"] == "82")
    check("encrypted PDF with a wrong docpass -> 82", sign(b_req, src=enc256, docpass="nope")["errorCode"] == "82")
    subprocess.run(["qpdf", "--force-version=1.4", plain, os.path.join(share, "UNSIGNED", "b14.pdf")], check=True)
    plain = os.path.join(share, "UNSIGNED", "b14.pdf")
    enc14 = encrypt("e14.pdf", "128", "--use-aes=n")
    body = sign(b_req, src=enc14, docpass="user")
    check("encrypted PDF below 1.5 -> 82 (cannot upgrade)", body["errorCode"] == "82" and "1.6" in body["errorMessage"], body)
    body = sign(b_req, src=enc256, docpass="user", dest="/sharefolder/SIGNED/e256.pdf")
    check("encrypted PDF 1.7 with the right docpass -> 00", body["errorCode"] == "00", body)
    check_signed(os.path.join(share, "SIGNED", "e256.pdf"), fake.root_pem, sn3, "Surat Pernyataan",
                 expect=1, password="user", run_pdfsig=False)
    sn4 = new_sn("e15.pdf")["sn"]
    enc15 = os.path.join(share, "UNSIGNED", "e15.pdf")
    subprocess.run(["qpdf", "--allow-weak-crypto", "--force-version=1.5", "--encrypt", "user", "owner", "128", "--use-aes=n", "--",
                    os.path.join(share, "UNSIGNED", "b.pdf"), enc15], check=True)
    body = sign(src="/sharefolder/UNSIGNED/e15.pdf", dest="/sharefolder/SIGNED/e15.pdf", refToken=sn4, docpass="user")
    out15 = os.path.join(share, "SIGNED", "e15.pdf")
    check("encrypted PDF 1.5 with docpass is upgraded to 1.7 and signed", body["errorCode"] == "00"
          and open(out15, "rb").read().startswith(b"%PDF-1.7"), body)
    check_signed(out15, fake.root_pem, sn4, "Surat Pernyataan", expect=1, password="user", run_pdfsig=False)

    # certified and tampered inputs
    sn5, sn6 = new_sn("cert.pdf")["sn"], new_sn("cert2.pdf")["sn"]
    body = sign(src="/sharefolder/UNSIGNED/b.pdf", dest="/sharefolder/SIGNED/cert.pdf", refToken=sn5,
                certificatelevel="NO_CHANGES_ALLOWED")
    check("certificatelevel NO_CHANGES_ALLOWED certifies", body["errorCode"] == "00", body)
    check("stamping a NO_CHANGES certified PDF -> 83",
          sign(src="/sharefolder/SIGNED/cert.pdf", dest="/sharefolder/SIGNED/cert2.pdf", refToken=sn6)["errorCode"] == "83")
    sn7 = new_sn("b.pdf")["sn"]
    body = sign(src="/sharefolder/UNSIGNED/b.pdf", dest="/sharefolder/SIGNED/b.pdf", refToken=sn7)
    signed_b = open(os.path.join(share, "SIGNED", "b.pdf"), "rb").read()
    check("a PDF 1.7 is signed as an incremental update of the original bytes", body["errorCode"] == "00"
          and signed_b.startswith(open(os.path.join(share, "UNSIGNED", "b.pdf"), "rb").read()), body)
    tampered = signed_b.replace(b"Bee page 1", b"Bxx page 1", 1)
    with open(os.path.join(share, "UNSIGNED", "tampered.pdf"), "wb") as f:
        f.write(tampered)
    check("stamping a PDF changed after signing -> 80", tampered != signed_b and
          sign(src="/sharefolder/UNSIGNED/tampered.pdf", dest="/sharefolder/SIGNED/t.pdf", refToken=sn6)["errorCode"] == "80")

    # -- quota
    used = c.ledger()["quota_used"]
    c.control(quota=used)
    st, body = c.json("POST", "/chanel/stampv2", base, token)
    check("quota exhausted -> statusCode 93 with result.err", body.get("statusCode") == "93" and body["result"]["err"], body)
    saldo = c.json("GET", "/function/saldopos", token=token)[1]["result"]
    check("saldo 0 when exhausted", int(saldo["saldo"]) == 0)
    c.control(quota=1000)
    check("quota_used unchanged by the refused SN", c.ledger()["quota_used"] == used)

    # -- faults
    check_faults(c, token, req, base, share, new_sn, sign)

    # -- shapes
    check_shapes(c, token, user_id)

    # -- crash and restart
    before = c.ledger()
    root_before = open(fake.root_pem, "rb").read()
    c.kill()
    fake.start()
    after = c.ledger()
    check("after SIGKILL + restart: issued SNs, statuses and quota survive",
          after["issued"] == before["issued"] and after["quota_total"] == before["quota_total"]
          and after["stamped"] == before["stamped"])
    check("after restart: same root.pem", open(fake.root_pem, "rb").read() == root_before)
    check("after restart: a token issued before still works", c.json("GET", "/jenisdoc", token=token)[0] == 200)
    sn_new = new_sn("after.pdf")["sn"]
    check("after restart: a new SN is new and uses quota", sn_new not in {e["sn"] for e in before["issued"]}
          and c.ledger()["quota_used"] == before["quota_used"] + 1)
    st, body = c.json("POST", "/adapter/pdfsigning/rest/docSigningZ", req, token)
    check("after restart: a SN stamped before is still used (96)", body.get("errorCode") == "96", body)


def check_signed(path, root_pem, sn, reason, expect, page=None, box=None, password=None, run_pdfsig=True):
    name = os.path.basename(path)
    results = validate(path, root_pem, password)
    check(f"{name}: {expect} signature(s)", len(results) == expect, len(results))
    emb, status = results[-1]
    ts = status.timestamp_validity
    check(f"{name}: pyHanko validation against root.pem OK (intact, valid, trusted)", status.bottom_line,
          status.pretty_print_details())
    check(f"{name}: timestamp present, valid and trusted", ts is not None and ts.intact and ts.valid and ts.trusted)
    raw = gen_time_raw(emb)
    check(f"{name}: timestamp genTime has a fractional part ({raw})", raw is not None and re.fullmatch(r"\d{14}\.\d{1,3}Z", raw))
    so = emb.sig_object
    check(f"{name}: SubFilter adbe.pkcs7.detached, SHA-256", so["/SubFilter"] == "/adbe.pkcs7.detached"
          and emb.md_algorithm == "sha256", (so["/SubFilter"], emb.md_algorithm))
    check(f"{name}: reason is '[{sn}] {reason}'", str(so["/Reason"]) == f"[{sn}] {reason}", so.get("/Reason"))
    check(f"{name}: location JAKARTA", str(so["/Location"]) == "JAKARTA")
    check(f"{name}: field name sig<epoch-millis>", re.fullmatch(r"sig\d{13}", str(emb.field_name)) is not None,
          emb.field_name)
    check(f"{name}: signer is 'e-Meterai Fake Signer'", emb.signer_cert.subject.native["common_name"] == "e-Meterai Fake Signer")
    if page is not None:
        with open(path, "rb") as f:
            r = PdfFileReader(io.BytesIO(f.read()), strict=False)
        widget = emb.sig_field
        rect = [round(float(v)) for v in widget["/Rect"]]
        page_ref = widget.get("/P")
        pages = [r.find_page_for_modification(i)[0] for i in range(int(r.root["/Pages"]["/Count"]))]
        on = [i + 1 for i, p in enumerate(pages) if page_ref is not None and p.idnum == page_ref.reference.idnum]
        check(f"{name}: visible widget on page {page} at {box} with an appearance",
              rect == list(box) and on == [page] and "/AP" in widget, (rect, on))
    if run_pdfsig:
        out = pdfsig(path)
        block = out.split("Signature #")[-1]
        check(f"{name}: pdfsig says the last signature is valid", "Signature Validation: Signature is Valid." in block
              and "adbe.pkcs7.detached" in block, out)


def no_reply(r):
    return r is None


def check_faults(c, token, req, base, share, new_sn, sign):
    check("control refuses an unknown fault kind", c.call("POST", "/_control",
          {"faults": [{"route": "sn", "kind": "boom"}]})[0] == 400)
    c.control(faults=[{"route": "login", "kind": "http500", "times": 2}])
    login = {"user": USER, "password": PASSWORD}
    codes = [c.call("POST", "/api/users/login", login)[0] for _ in range(3)]
    check("http500 x2 on login, then normal", codes == [500, 500, 200], codes)
    c.control(faults=[{"route": "jenisdoc", "kind": "http503_retry_after"}])
    r = c.call("GET", "/jenisdoc", token=token)
    check("http503_retry_after: 503 with Retry-After: 2", r[0] == 503 and r[1].get("retry-after") == "2")
    c.control(faults=[{"route": "saldo", "kind": "hang", "seconds": 1}])
    t = time.time()
    r = c.call("GET", "/function/saldopos", token=token)
    check("hang: connection closed without a reply after `seconds`", no_reply(r) and time.time() - t >= 1, r)
    c.control(faults=[{"route": "saldo", "kind": "slow", "seconds": 1}])
    t = time.time()
    r = c.call("GET", "/function/saldopos", token=token)
    check("slow: normal answer after `seconds`", r[0] == 200 and time.time() - t >= 1 and json.loads(r[2])["result"])
    c.control(faults=[{"route": "sn_status", "kind": "garbage"}])
    r = c.call("GET", "/api/chanel/stamp/ext?filter=X", token=token)
    try:
        json.loads(r[2])
        parsed = True
    except ValueError:
        parsed = False
    check("garbage: 200 with a non-JSON body", r[0] == 200 and not parsed, r)
    c.control(faults=[{"route": "sn_list", "kind": "token_expired"}])
    st, body = c.json("GET", "/chanel/sale/stamp/ext/x?start=0&length=1&notEncrypt=true", token=token)
    check("token_expired (non-sign): 401 statusCode 01", st == 401 and body["statusCode"] == "01", (st, body))
    c.control(faults=[{"route": "sn", "kind": "error92"}])
    st, body = c.json("POST", "/chanel/stampv2", base, token)
    check("error92 (non-sign): statusCode 92", body.get("statusCode") == "92", body)
    c.control(faults=[{"route": "sn", "kind": "drop_after"}])
    before = c.ledger()["quota_used"]
    r = c.call("POST", "/chanel/stampv2", base, token)
    led = c.ledger()
    check("drop_after on sn: no reply, but the SN was issued and quota used",
          no_reply(r) and led["quota_used"] == before + 1 and led["issued"][-1]["status"] == "NOTSTAMP", r)

    src = {"src": "/sharefolder/UNSIGNED/b.pdf"}
    sn = new_sn("f.pdf")["sn"]
    c.control(faults=[{"route": "sign", "kind": "token_expired"}])
    check("token_expired on sign: 95 with a valid token", sign(**src, refToken=sn, dest="/sharefolder/SIGNED/f.pdf")["errorCode"] == "95")
    c.control(faults=[{"route": "sign", "kind": "sn_used"}])
    check("sn_used on sign: 96", sign(**src, refToken=sn, dest="/sharefolder/SIGNED/f.pdf")["errorCode"] == "96")
    for kind in ("error92", "error97"):
        sn = new_sn(f"{kind}.pdf")["sn"]
        dest = f"/sharefolder/SIGNED/{kind}.pdf"
        c.control(faults=[{"route": "sign", "kind": kind}])
        body = sign(**src, refToken=sn, dest=dest)
        check(f"{kind} on sign: errorCode {kind[-2:]}, no output", body["errorCode"] == kind[-2:]
              and not os.path.exists(os.path.join(share, "SIGNED", f"{kind}.pdf")), body)
        check(f"after {kind}: retry without retryFlag -> 96", sign(**src, refToken=sn, dest=dest)["errorCode"] == "96")
        check(f"after {kind}: retryFlag 1 with another document -> 96 (SN bound to checksum)",
              sign(src="/sharefolder/UNSIGNED/a.pdf", refToken=sn, dest=dest, retryFlag="1")["errorCode"] == "96")
        body = sign(**src, refToken=sn, dest=dest, retryFlag="1")
        check(f"after {kind}: retryFlag 1 on the same document -> 00", body["errorCode"] == "00", body)
    led = {e["sn"]: e for e in c.ledger()["issued"]}
    check("ledger counts the failed attempt", led[sn]["failed_attempts"] == 1 and led[sn]["status"] == "STAMP")
    sn = new_sn("drop.pdf")["sn"]
    c.control(faults=[{"route": "sign", "kind": "drop_after"}])
    r = c.call("POST", "/adapter/pdfsigning/rest/docSigningZ",
               {**req, **src, "refToken": sn, "dest": "/sharefolder/SIGNED/drop.pdf"}, token)
    led = {e["sn"]: e for e in c.ledger()["issued"]}
    dropped = os.path.join(share, "SIGNED", "drop.pdf")
    check("drop_after on sign: no reply, but dest written and SN STAMP", no_reply(r) and os.path.exists(dropped)
          and led[sn]["status"] == "STAMP", r)
    check("drop_after output validates", len(validate(dropped, c.root_pem)) == 1
          and validate(dropped, c.root_pem)[0][1].bottom_line)
    check("drop_after on sign: a retry with the same SN -> 96",
          sign(**src, refToken=sn, dest="/sharefolder/SIGNED/drop.pdf")["errorCode"] == "96")
    c.control(faults=[{"route": "adapter", "kind": "http500"}])
    r = c.call("GET", "/")
    check("http500 on the adapter: Spring-style JSON 500", r[0] == 500 and json.loads(r[2])["status"] == 500)

    # outage
    c.control(outage=True)
    rs = [c.call("POST", "/api/users/login", login), c.call("GET", "/"),
          c.call("POST", "/adapter/pdfsigning/rest/docSigningZ", req, token),
          c.call("GET", "/function/saldopos", token=token)]
    check("outage: every Peruri and adapter route closes without a reply", all(r is None for r in rs), rs)
    check("outage: /_ledger still answers", c.json("GET", "/_ledger")[0] == 200)
    c.control(outage=False)
    check("outage off: login answers again", c.call("POST", "/api/users/login", login)[0] == 200)
    reqs = c.ledger()["requests"]
    check("ledger counts requests per route (faulted and outage ones included)",
          reqs.get("login", 0) >= 6 and reqs.get("sign", 0) >= 10 and reqs.get("sn", 0) >= 1, reqs)
    c.control(reset_counts=True)
    check("reset_counts clears the request counters only",
          c.ledger()["requests"] == {} and c.ledger()["quota_used"] > 0)


def check_shapes(c, token, user_id):
    path = f"/chanel/sale/stamp/ext/{user_id}?start=0&length=0&status=STAMP&notEncrypt=true"
    c.control(shapes="documented", list_shape="documented")
    st, body = c.json("GET", path, token=token)
    check("documented list shape is exactly {message: success, result: {total, data}}",
          body == {"message": "success", "result": {"total": body["result"]["total"], "data": []}}
          and isinstance(body["result"]["total"], int), body)
    c.control(list_shape="with_status")
    check("list_shape with_status adds statusCode 00", c.json("GET", path, token=token)[1].get("statusCode") == "00")
    c.control(shapes="random", list_shape=None)
    seen = {"status": set(), "message": set(), "total": set(), "saldo": set(), "extra": set(), "tglupdate": set(),
            "iso_dates": set()}
    for _ in range(40):
        body = c.json("GET", path.replace("length=0", "length=3").replace("STAMP", "NOTSTAMP"), token=token)[1]
        seen["status"].add("statusCode" in body)
        seen["message"].add(body.get("message"))
        seen["total"].add(type(body["result"]["total"]).__name__)
        seen["extra"].add("timestamp" in body or "path" in body)
        seen["tglupdate"].update(r["tglupdate"] is None for r in body["result"]["data"])
        seen["iso_dates"].update(r["tgl"].endswith("Z") for r in body["result"]["data"])
        s = c.json("GET", "/function/saldopos", token=token)[1]
        seen["saldo"].add(type(s["result"]["saldo"]).__name__)
    check("random shapes vary statusCode presence, message, number types, extras, null tglupdate, dates",
          seen["status"] == {True, False} and seen["message"] == {"success", "Success", None}
          and seen["total"] == {"int", "str"} and seen["saldo"] == {"int", "str"} and seen["extra"] == {True, False}
          and seen["tglupdate"] == {True, False} and seen["iso_dates"] == {True, False}, seen)
    bodies = [c.json("POST", "/chanel/stampv2", {"isUpload": False}, token) for _ in range(12)]
    check("errors vary between HTTP 200 and 400, always statusCode != 00 with result.err",
          {st for st, _ in bodies} == {200, 400} and all(b["statusCode"] != "00" and b["result"]["err"] for _, b in bodies))
    c.control(shapes="documented")


if __name__ == "__main__":
    main()
