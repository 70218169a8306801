#!/usr/bin/env python3
"""check_fake.py: self-check of the reference fake of the WhatsApp Cloud API (fake_whatsapp.py).

Starts the fake on a free port with a temporary --state, runs a small webhook receiver that verifies
X-Hub-Signature-256, and drives every route, every validation rule, every fault kind (including
that "hang" does not hold up a concurrent request and that "drop_after_accept" still records the
message), the 24-hour window rule, the reply variations, and a SIGKILL + restart on the same --state.
Prints one line per check and "N checks passed"; exits 1 on any failure. Standard library only.
usage: python3 tests/whatsapp_ref/check_fake.py [--keep]
"""
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_whatsapp.py")
TOKEN = "EAAloket-test-token"
PNID = "106540352242922"
WABA = "102290129340398"
SECRET = "loket-app-secret"
V = "/v23.0"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CUSTOMER = "+6281234567890"
failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok or not detail else f": {detail}"), flush=True)
    if ok:
        passed += 1
    else:
        failures.append(name)
    return ok


# ---------------------------------------------------------------- webhook receiver

class Receiver:
    def __init__(self):
        self.posts, self.lock, self.fail_next = [], threading.Lock(), 0
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sig = self.headers.get("X-Hub-Signature-256", "")
                want = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                with outer.lock:
                    fail = outer.fail_next > 0
                    if fail:
                        outer.fail_next -= 1
                    outer.posts.append({"raw": raw, "body": json.loads(raw), "sig_ok": hmac.compare_digest(sig, want),
                                        "headers": dict(self.headers), "answered": 500 if fail else 200,
                                        "time": time.time()})
                data = b"fail" if fail else b"ok"
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def statuses(self, wamid):
        """[(status, post)] in arrival order for one wamid (a post may carry several statuses)."""
        out = []
        with self.lock:
            for p in self.posts:
                for e in p["body"]["entry"]:
                    for c in e["changes"]:
                        for st in c["value"].get("statuses", []):
                            if st["id"] == wamid:
                                out.append((st, p))
        return out

    def wait(self, pred, timeout=6.0):
        end = time.time() + timeout
        while time.time() < end:
            r = pred()
            if r:
                return r
            time.sleep(0.03)
        return pred()


# ---------------------------------------------------------------- the fake

class Fake:
    def __init__(self, state, seed=11):
        self.state, self.seed, self.proc = state, seed, None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--state", self.state, "--token", TOKEN,
                                      "--phone-number-id", PNID, "--waba-id", WABA, "--app-secret", SECRET,
                                      "--seed", str(self.seed)],
                                     stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        self.port = json.loads(line)["port"]
        return line

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def call(self, method, path, body=None, headers=None, token=TOKEN, timeout=10, raw=None, ctype="application/json"):
        """(status, headers, parsed-or-bytes); None when the connection closed without a reply;
        "timeout" when no reply came within timeout."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and ctype:
            h["Content-Type"] = ctype
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            try:
                payload = json.loads(payload)
            except ValueError:
                pass
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        except (socket.timeout, TimeoutError):
            return "timeout"
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.IncompleteRead):
            return None
        finally:
            conn.close()

    def control(self, **kw):
        r = self.call("POST", "/_control", kw, token=None)
        assert r[0] == 200, r
        return r[2]

    def ledger(self):
        return self.call("GET", "/_ledger", token=None)[2]

    def upload(self, data=PDF, filename="dokumen.pdf", ctype="application/pdf", fields=None, token=TOKEN,
               path=None, file_part=True):
        fields = {"messaging_product": "whatsapp", "type": ctype} if fields is None else fields
        boundary = "----loketBoundary7MA4YWxkTrZu0gW"
        out = []
        for k, v in fields.items():
            out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        if file_part:
            disp = f'form-data; name="file"' + (f'; filename="{filename}"' if filename is not None else "")
            out.append(f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
                       + (f"Content-Type: {ctype}\r\n" if ctype else "").encode() + b"\r\n" + data + b"\r\n")
        out.append(f"--{boundary}--\r\n".encode())
        return self.call("POST", path or f"{V}/{PNID}/media", raw=b"".join(out), token=token,
                         ctype=f"multipart/form-data; boundary={boundary}")

    def send(self, msg, token=TOKEN, path=None, timeout=10):
        body = {"messaging_product": "whatsapp", **msg}
        return self.call("POST", path or f"{V}/{PNID}/messages", body, token=token, timeout=timeout)


def template_msg(media_id, to=CUSTOMER, params=("Budi Santoso", "KP-2024-0001"), name="loket_dokumen_bermeterai",
                 lang="id", header=True, bocd=None, filename="dokumen.pdf"):
    comps = []
    if header:
        doc = {"id": media_id}
        if filename:
            doc["filename"] = filename
        comps.append({"type": "header", "parameters": [{"type": "document", "document": doc}]})
    comps.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in params]})
    m = {"recipient_type": "individual", "to": to, "type": "template",
         "template": {"name": name, "language": {"code": lang}, "components": comps}}
    if bocd is not None:
        m["biz_opaque_callback_data"] = bocd
    return m


def document_msg(media_id, to=CUSTOMER, caption="Dokumen bermeterai Anda", filename="dokumen.pdf"):
    doc = {"id": media_id, "caption": caption}
    if filename:
        doc["filename"] = filename
    return {"recipient_type": "individual", "to": to, "type": "document", "document": doc}


def err(r):
    if not isinstance(r, tuple) or not isinstance(r[2], dict) or "error" not in r[2]:
        return {}
    return r[2]["error"]


def main():
    keep = "--keep" in sys.argv
    tmp = tempfile.mkdtemp(prefix="fake_whatsapp_check.")
    state = os.path.join(tmp, "state")
    rx = Receiver()
    fake = Fake(state)
    t0 = time.time()
    try:
        run(fake, rx)
    finally:
        if fake.proc and fake.proc.poll() is None:
            fake.kill()
        rx.server.shutdown()
        if keep:
            print(f"state kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"({time.time() - t0:.1f} s)")
    if failures:
        print(f"{len(failures)} of {passed + len(failures)} checks FAILED: {failures}")
        sys.exit(1)
    print(f"{passed} checks passed")


def run(fake, rx):
    line = fake.start()
    check("startup prints exactly one JSON line {\"port\": P}",
          json.loads(line) == {"port": fake.port} and line.endswith("\n"), line)
    fake.control(shape="documented", webhook_url=rx.url, statuses="read", webhook_delay_ms=20)

    # ------------------------------------------------------------ phone number node (health check)
    r = fake.call("GET", f"{V}/{PNID}")
    check("GET /{phone-number-id}: 200 with the default fields",
          r[0] == 200 and r[2].get("id") == PNID and {"display_phone_number", "verified_name", "quality_rating"}
          <= set(r[2]), r)
    r = fake.call("GET", f"{V}/{PNID}?fields=display_phone_number,quality_rating")
    check("GET /{phone-number-id}?fields=...: exactly those fields and id",
          r[0] == 200 and set(r[2]) == {"display_phone_number", "quality_rating", "id"}, r)
    r = fake.call("GET", f"{V}/{PNID}?fields=nonsense")
    check("GET with an unknown field: 400 code 100", r[0] == 400 and err(r).get("code") == 100, r)
    r = fake.call("GET", f"/v18.0/{PNID}")
    r2 = fake.call("GET", f"/v99.9/{PNID}")
    check("any Graph version prefix is accepted (v18.0, v99.9) and echoed in facebook-api-version",
          r[0] == 200 and r2[0] == 200 and r2[1].get("facebook-api-version") == "v99.9", (r[0], r2[0]))
    check("a health check records no message", fake.ledger()["messages"] == [])

    # ------------------------------------------------------------ auth
    r = fake.call("GET", f"{V}/{PNID}", token="wrong")
    check("wrong token: 401 code 190 OAuthException",
          r[0] == 401 and err(r).get("code") == 190 and err(r).get("type") == "OAuthException", r)
    r = fake.call("GET", f"{V}/{PNID}", token=None)
    check("no token: 400 code 104", r[0] == 400 and err(r).get("code") == 104, r)
    fake.control(token_expired=True)
    r = fake.upload()
    check("token_expired (persistent): 401 code 190 subcode 463",
          r[0] == 401 and err(r).get("code") == 190 and err(r).get("error_subcode") == 463, r)
    fake.control(token_expired=False)

    # ------------------------------------------------------------ media upload
    r = fake.upload()
    media_id = r[2].get("id") if r[0] == 200 else None
    check("upload PDF: 200 {\"id\": digits}", r[0] == 200 and set(r[2]) == {"id"} and media_id.isdigit(), r)
    up = [u for u in fake.ledger()["uploads"] if u["id"] == media_id]
    check("ledger upload: filename, size, sha256, time",
          up and up[0]["filename"] == "dokumen.pdf" and up[0]["size"] == len(PDF)
          and up[0]["sha256"] == hashlib.sha256(PDF).hexdigest() and up[0]["time"] > 0, up)
    r = fake.upload(fields={"type": "application/pdf"})
    check("upload without messaging_product: 400 code 100 '...messaging_product is required.'",
          r[0] == 400 and err(r).get("code") == 100 and "messaging_product is required" in err(r).get("message", ""), r)
    r = fake.upload(fields={"messaging_product": "wa", "type": "application/pdf"})
    check("upload with messaging_product 'wa': 400 code 100", r[0] == 400 and err(r).get("code") == 100, r)
    r = fake.upload(ctype="application/octet-stream")
    check("upload with wrong MIME type: 400 code 100 'Param file must be a file with one of ...'",
          r[0] == 400 and "Param file must be a file" in err(r).get("message", ""), r)
    r = fake.upload(filename=None)
    check("upload whose file part has no filename: 400 code 100", r[0] == 400 and err(r).get("code") == 100, r)
    r = fake.upload(file_part=False)
    check("upload without file: 400 code 100 'The parameter file is required.'",
          r[0] == 400 and "file is required" in err(r).get("message", ""), r)
    r = fake.upload(fields={"messaging_product": "whatsapp"})
    check("upload without type: 400 code 100", r[0] == 400 and "type is required" in err(r).get("message", ""), r)
    r = fake.upload(path=f"{V}/999999/media")
    check("upload to another phone-number-id: 400 code 100 subcode 33 GraphMethodException",
          r[0] == 400 and err(r).get("code") == 100 and err(r).get("error_subcode") == 33
          and err(r).get("type") == "GraphMethodException", r)
    r = fake.call("POST", f"{V}/{PNID}/media", raw=b'--x\r\nContent-Disposition: form-data; name="messaging_product"'
                  b'\r\n\r\nwhatsapp\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
                  b'Content-Type: application/pdf\r\n\r\n%PDF-1.4 truncated', ctype="multipart/form-data; boundary=x")
    check("truncated multipart (no closing boundary): 400, nothing stored",
          r[0] == 400 and len(fake.ledger()["uploads"]) == 1, r)
    r = fake.call("GET", f"{V}/{media_id}")
    check("GET /{media-id}: url, mime_type, sha256, file_size",
          r[0] == 200 and r[2].get("mime_type") == "application/pdf" and r[2].get("file_size") == len(PDF)
          and r[2].get("sha256") == hashlib.sha256(PDF).hexdigest(), r)

    big = b"%PDF-" + b"0" * (100 * 1024 * 1024 - 5)
    r = fake.upload(data=big, filename="besar.pdf")
    check("upload of exactly 100 MB (the document limit): 200", r[0] == 200, r[:2])
    r = fake.upload(data=big + b"0", filename="besar.pdf")
    check("upload of 100 MB + 1 byte: 400 code 100", r[0] == 400 and err(r).get("code") == 100, r)
    del big
    r = fake.upload(data=b"RIFF" + b"0" * (600 * 1024), filename="a.webp", ctype="image/webp")
    check("upload of a 600 KB webp (limit 500 KB): 400", r[0] == 400, r)

    # ------------------------------------------------------------ template send + webhooks
    r = fake.send(template_msg(media_id, bocd="delivery-42"))
    ok = r[0] == 200 and r[2].get("messaging_product") == "whatsapp"
    wamid = r[2]["messages"][0]["id"] if ok else None
    check("template send: 200 with contacts [{input, wa_id}] and messages [{id: wamid..., message_status}]",
          ok and r[2]["contacts"] == [{"input": CUSTOMER, "wa_id": CUSTOMER[1:]}] and wamid.startswith("wamid.")
          and r[2]["messages"][0].get("message_status") == "accepted", r)
    check("content-type is application/json (documented shape)", r[1].get("content-type") == "application/json", r[1])
    got = rx.wait(lambda: [s["status"] for s, _ in rx.statuses(wamid)] == ["sent", "delivered", "read"] and True)
    sts = rx.statuses(wamid)
    check("status webhooks sent, delivered, read arrive in order",
          [s["status"] for s, _ in sts] == ["sent", "delivered", "read"], [s["status"] for s, _ in sts])
    check("every webhook carries a valid X-Hub-Signature-256 over the raw body",
          sts and all(p["sig_ok"] for _, p in sts), [p["headers"].get("X-Hub-Signature-256") for _, p in sts])
    s0, p0 = sts[0] if sts else ({}, {"body": {}})
    v0 = p0["body"].get("entry", [{}])[0].get("changes", [{}])[0].get("value", {}) if sts else {}
    check("status webhook shape: object, entry.id = WABA, field messages, metadata.phone_number_id",
          p0["body"].get("object") == "whatsapp_business_account" and p0["body"]["entry"][0]["id"] == WABA
          and p0["body"]["entry"][0]["changes"][0]["field"] == "messages"
          and v0.get("metadata", {}).get("phone_number_id") == PNID, p0["body"])
    check("status webhook: recipient_id, timestamp string, biz_opaque_callback_data echoed, pricing",
          s0.get("recipient_id") == CUSTOMER[1:] and isinstance(s0.get("timestamp"), str)
          and s0.get("biz_opaque_callback_data") == "delivery-42" and s0.get("pricing", {}).get("category") == "utility", s0)
    msgs = fake.ledger()["messages"]
    check("ledger message: wamid, to, type, template name/lang/params, media id, filename, callback data",
          len(msgs) == 1 and msgs[0]["wamid"] == wamid and msgs[0]["to"] == CUSTOMER and msgs[0]["type"] == "template"
          and msgs[0]["template"]["name"] == "loket_dokumen_bermeterai" and msgs[0]["template"]["language"] == "id"
          and msgs[0]["template"]["params"] == ["Budi Santoso", "KP-2024-0001"] and msgs[0]["media_id"] == media_id
          and msgs[0]["filename"] == "dokumen.pdf" and msgs[0]["biz_opaque_callback_data"] == "delivery-42", msgs)
    wh = [w for w in fake.ledger()["webhooks"] if w["wamid"] == wamid]
    check("ledger webhooks: what was posted and the receiver's HTTP status",
          len(wh) == 3 and all(w["http_status"] == 200 and w["delivered"] for w in wh), wh)

    # ------------------------------------------------------------ template validation
    def refused(name, r, status, code, text=None):
        e = err(r)
        check(name, r[0] == status and e.get("code") == code and (text is None or text in json.dumps(e)), r)

    n_msgs = len(fake.ledger()["messages"])
    refused("unknown template: 404 code 132001", fake.send(template_msg(media_id, name="tidak_ada")), 404, 132001)
    refused("template in another language: 404 code 132001 (details name the language)",
            fake.send(template_msg(media_id, lang="en_US")), 404, 132001, "does not exist in en_US")
    fake.control(templates=[{"name": "loket_pending", "language": "id", "category": "UTILITY", "status": "PENDING",
                             "header": "DOCUMENT", "body_params": 2}])
    refused("template not APPROVED (PENDING): 404 code 132001", fake.send(template_msg(media_id, name="loket_pending")),
            404, 132001)
    refused("wrong number of body parameters: 400 code 132000 'body: number of localizable_params (1) ...(2)'",
            fake.send(template_msg(media_id, params=("Budi",))), 400, 132000,
            "body: number of localizable_params (1) does not match the expected number of params (2)")
    refused("missing DOCUMENT header parameter: 400 code 132000 'header: ...'",
            fake.send(template_msg(media_id, header=False)), 400, 132000, "header: number of localizable_params (0)")
    m = template_msg(media_id)
    m["template"]["components"][0]["parameters"][0] = {"type": "image", "image": {"id": media_id}}
    refused("header parameter of the wrong format (image): 400 code 132012", fake.send(m), 400, 132012)
    refused("body parameter with a newline: 400 code 132018",
            fake.send(template_msg(media_id, params=("Budi\nSantoso", "x"))), 400, 132018)
    refused("empty body parameter: 400 code 131008", fake.send(template_msg(media_id, params=("", "x"))), 400, 131008)
    refused("unknown media id in the header: 400 code 100 '...is not a valid whatsapp business account media "
            "attachment ID'", fake.send(template_msg("1234567890123456")), 400, 100,
            "is not a valid whatsapp business account media attachment ID")
    m = template_msg(media_id)
    m["template"]["components"][0]["parameters"][0]["document"]["foo"] = 1
    refused("unknown key in a document object: 400 code 100 'Unexpected key \"foo\"'", fake.send(m), 400, 100,
            'Unexpected key \\"foo\\"')
    check("refused sends record no message", len(fake.ledger()["messages"]) == n_msgs)
    rej = fake.ledger()["rejected"]
    check("ledger 'rejected' names each refusal's reason",
          any(x["code"] == 132001 and "no template of that name" in x["reason"] for x in rej)
          and any(x["code"] == 100 and "unknown media id" in x["reason"] for x in rej), rej[-3:])

    # ------------------------------------------------------------ media expiry
    r = fake.upload()
    mid2 = r[2]["id"]
    fake.control(expire_media=[mid2])
    refused("media expired with expire_media: 400 code 100 (not a valid ... media attachment ID)",
            fake.send(template_msg(mid2)), 400, 100, "not a valid whatsapp business account media attachment ID")
    fake.control(clock_offset_s=30 * 86400 + 60)
    refused("media older than the 30-day TTL (clock moved): 400 code 100", fake.send(template_msg(media_id)), 400, 100)
    fake.control(clock_offset_s=0)
    check("media valid again once the clock is back", fake.send(template_msg(media_id))[0] == 200)

    # ------------------------------------------------------------ message-level validation
    refused("message without messaging_product: 400 code 100 '...messaging_product is required.'",
            fake.call("POST", f"{V}/{PNID}/messages", {k: v for k, v in template_msg(media_id).items()}),
            400, 100, "messaging_product is required")
    r = fake.call("POST", f"{V}/{PNID}/messages", {"messaging_product": "whatsapp", **template_msg(media_id)}, ctype=None)
    refused("JSON body without Content-Type (read as a form): 400 code 100", r, 400, 100)
    refused("bad number 'abc': 400 code 100", fake.send(template_msg(media_id, to="abc")), 400, 100)
    refused("number with 00 prefix: 400 code 100", fake.send(template_msg(media_id, to="006281234567890")), 400, 100)
    refused("number of 16 digits: 400 code 100", fake.send(template_msg(media_id, to="+6281234567890123")), 400, 100)
    refused("recipient = the business number: 400 code 131021",
            fake.send(template_msg(media_id, to="+62 21-3456-7890")), 400, 131021)
    r = fake.send(template_msg(media_id, to="+62 812-3456-7890"))
    check("number with spaces and hyphens is accepted; wa_id is its digits",
          r[0] == 200 and r[2]["contacts"][0] == {"input": "+62 812-3456-7890", "wa_id": "6281234567890"}, r)

    # national format and not-on-WhatsApp: accepted, then failed by webhook 131026
    r = fake.send(template_msg(media_id, to="081234567890"))
    w_nat = r[2]["messages"][0]["id"] if r[0] == 200 else None
    check("national-format number '0812...': accepted (200), wa_id gets the business country code prepended",
          r[0] == 200 and r[2]["contacts"][0]["wa_id"] == "62081234567890", r)
    fake.control(not_on_whatsapp=["+6289999999999"])
    r = fake.send(template_msg(media_id, to="+6289999999999"))
    w_nw = r[2]["messages"][0]["id"] if r[0] == 200 else None
    check("number not on WhatsApp: accepted synchronously (200 with a wamid)", r[0] == 200 and w_nw, r)
    for label, w in (("not on WhatsApp", w_nw), ("national format", w_nat)):
        rx.wait(lambda: rx.statuses(w))
        sts = rx.statuses(w)
        e = sts[0][0].get("errors", [{}])[0] if sts else {}
        check(f"{label}: failed status webhook with error 131026",
              len(sts) == 1 and sts[0][0]["status"] == "failed" and e.get("code") == 131026
              and "details" in e.get("error_data", {}) and "pricing" not in sts[0][0], sts)

    # ------------------------------------------------------------ 24-hour window
    other = "+6281311112222"
    r = fake.send(document_msg(media_id, to=other))
    w_out = r[2]["messages"][0]["id"] if r[0] == 200 else None
    check("document message outside the window: accepted synchronously", r[0] == 200 and w_out, r)
    rx.wait(lambda: rx.statuses(w_out))
    sts = rx.statuses(w_out)
    check("... then a failed webhook with 131047 (re-engagement)",
          len(sts) == 1 and sts[0][0]["status"] == "failed" and sts[0][0]["errors"][0]["code"] == 131047, sts)
    out = fake.control(inbound=[{"from": other, "text": "Halo, saya mau ambil dokumen", "name": "Sari"}])
    in_id = out.get("inbound_message_ids", [None])[0]

    def inbound_post():
        with rx.lock:
            for p in rx.posts:
                v = p["body"]["entry"][0]["changes"][0]["value"]
                if v.get("messages") and v["messages"][0]["id"] == in_id:
                    return p
        return None

    p = rx.wait(inbound_post)
    v = p["body"]["entry"][0]["changes"][0]["value"] if p else {}
    check("inbound control: inbound-message webhook (messages[from,id,timestamp,type text,text.body], contacts)",
          p and p["sig_ok"] and v["messages"][0]["from"] == other[1:] and v["messages"][0]["type"] == "text"
          and v["messages"][0]["text"]["body"] == "Halo, saya mau ambil dokumen"
          and v["contacts"] == [{"profile": {"name": "Sari"}, "wa_id": other[1:]}], v)
    r = fake.send(document_msg(media_id, to=other))
    w_in = r[2]["messages"][0]["id"] if r[0] == 200 else None
    rx.wait(lambda: len(rx.statuses(w_in)) >= 3)
    check("document message inside the window: sent/delivered/read, pricing category service",
          r[0] == 200 and [s["status"] for s, _ in rx.statuses(w_in)] == ["sent", "delivered", "read"]
          and rx.statuses(w_in)[0][0]["pricing"]["category"] == "service", rx.statuses(w_in))
    doc = [m for m in fake.ledger()["messages"] if m["wamid"] == w_in]
    check("ledger document message: media id, caption, filename",
          doc and doc[0]["media_id"] == media_id and doc[0]["caption"] == "Dokumen bermeterai Anda"
          and doc[0]["filename"] == "dokumen.pdf" and doc[0]["window_open"], doc)
    fake.control(window_now=time.time() + 25 * 3600)
    r = fake.send(document_msg(media_id, to=other))
    w_late = r[2]["messages"][0]["id"] if r[0] == 200 else None
    rx.wait(lambda: rx.statuses(w_late))
    check("25 h later (window_now): the window is closed again, 131047 by webhook",
          [s["errors"][0]["code"] for s, _ in rx.statuses(w_late) if s["status"] == "failed"] == [131047],
          rx.statuses(w_late))
    r = fake.upload()
    mid_late = r[2]["id"]
    r = fake.send(template_msg(mid_late, to=other))
    w_tpl = r[2]["messages"][0]["id"] if r[0] == 200 else None
    rx.wait(lambda: len(rx.statuses(w_tpl)) >= 3)
    check("a template outside the window is delivered",
          [s["status"] for s, _ in rx.statuses(w_tpl)] == ["sent", "delivered", "read"], rx.statuses(w_tpl))
    fake.control(window_now=None)
    r = fake.send(document_msg(media_id, to=other, filename=None))
    d = [m for m in fake.ledger()["messages"] if r[0] == 200 and m["wamid"] == r[2]["messages"][0]["id"]]
    check("document without filename: accepted (filename is optional per docs) with a ledger warning",
          r[0] == 200 and d and any("no filename" in w for w in d[0]["warnings"]), d)
    fake.control(require_filename=True)
    refused("require_filename: document without filename refused with 131008",
            fake.send(document_msg(media_id, to=other, filename=None)), 400, 131008)
    fake.control(require_filename=False)
    refused("caption longer than 1024 characters: 400 code 100",
            fake.send(document_msg(media_id, to=other, caption="x" * 1025)), 400, 100)
    m = document_msg(media_id, to=other)
    del m["document"]["id"]
    refused("document without id or link: 400 code 100 'Either one of media ID or link must be present'",
            fake.send(m), 400, 100, "Either one of media ID or link must be present")

    # ------------------------------------------------------------ faults
    fake.control(faults={"messages": ["429"]})
    r = fake.send(template_msg(media_id))
    check("fault 429: HTTP 429, code 130429, no Retry-After",
          r[0] == 429 and err(r).get("code") == 130429 and "retry-after" not in r[1], r)
    fake.control(faults={"messages": ["429:retry_after=7"]})
    r = fake.send(template_msg(media_id))
    check("fault 429:retry_after=7: Retry-After: 7", r[0] == 429 and r[1].get("retry-after") == "7", r[1])
    fake.control(faults={"messages": ["429:code=131056,status=400"]})
    r = fake.send(template_msg(media_id))
    check("fault 429 with code=131056,status=400", r[0] == 400 and err(r).get("code") == 131056, r)
    fake.control(faults={"messages": ["500"], "media": ["500"], "phone": ["503"]})
    r1, r2, r3 = fake.send(template_msg(media_id)), fake.upload(), fake.call("GET", f"{V}/{PNID}")
    check("fault 500 on messages and media: HTTP 500 code 131000",
          r1[0] == 500 and err(r1).get("code") == 131000 and r2[0] == 500 and err(r2).get("code") == 131000, (r1, r2))
    check("fault 503 on phone: HTTP 503 code 2 is_transient", r3[0] == 503 and err(r3).get("code") == 2
          and err(r3).get("is_transient") is True, r3)
    fake.control(faults={"media": ["token_expired"]})
    r1, r2 = fake.upload(), fake.upload()
    check("fault token_expired: one 401/190/463, then uploads work again",
          r1[0] == 401 and err(r1).get("error_subcode") == 463 and r2[0] == 200, (r1, r2))
    check("faults are consumed one per request (queues empty)",
          all(q == [] for q in fake.control()["faults"].values()), fake.control()["faults"])

    n_before = len(fake.ledger()["messages"])
    fake.control(faults={"messages": ["hang"]})
    hung = {}
    th = threading.Thread(target=lambda: hung.setdefault("r", fake.send(template_msg(media_id), timeout=1.5)))
    th.start()
    time.sleep(0.2)
    t = time.time()
    r = fake.call("GET", f"{V}/{PNID}", timeout=3)
    quick = time.time() - t
    th.join()
    check("fault hang: the request gets no reply until the client gives up", hung.get("r") == "timeout", hung)
    check("fault hang: a concurrent request is served meanwhile", r[0] == 200 and quick < 1.0, (r[0], quick))
    check("fault hang: no message recorded", len(fake.ledger()["messages"]) == n_before)

    fake.control(faults={"messages": ["drop_after_accept"], "media": ["drop_after_accept"]})
    r = fake.send(template_msg(media_id, bocd="dropped-1"))
    check("fault drop_after_accept on messages: connection closed without a reply", r is None, r)
    led = fake.ledger()
    dm = [m for m in led["messages"] if m.get("biz_opaque_callback_data") == "dropped-1"]
    check("drop_after_accept: the message is recorded anyway (reply_dropped)",
          len(dm) == 1 and dm[0]["reply_dropped"], dm)
    if dm:
        rx.wait(lambda: len(rx.statuses(dm[0]["wamid"])) >= 3)
        check("drop_after_accept: its status webhooks are sent", [s["status"] for s, _ in rx.statuses(dm[0]["wamid"])]
              == ["sent", "delivered", "read"])
    n_up = len(led["uploads"])
    r = fake.upload()
    check("fault drop_after_accept on media: no reply, upload stored",
          r is None and len(fake.ledger()["uploads"]) == n_up + 1 and fake.ledger()["uploads"][-1]["reply_dropped"], r)

    # ------------------------------------------------------------ webhook retries
    with rx.lock:
        rx.fail_next = 2
    r = fake.send(template_msg(media_id, bocd="retry-1"))
    wr = r[2]["messages"][0]["id"]
    rx.wait(lambda: len(rx.statuses(wr)) >= 5, timeout=8)
    attempts = [w for w in fake.ledger()["webhooks"] if w["wamid"] == wr and "sent" in w["statuses"]]
    check("webhook receiver failing twice: 'sent' retried until 200 (attempts 500, 500, 200)",
          attempts and [a.get("http_status") for a in attempts[0]["attempts"]] == [500, 500, 200]
          and attempts[0]["delivered"], attempts)
    check("documented shape: later statuses wait for the retried one (order kept)",
          [s["status"] for s, p in rx.statuses(wr) if p["answered"] == 200] == ["sent", "delivered", "read"],
          [(s["status"], p["answered"]) for s, p in rx.statuses(wr)])

    # ------------------------------------------------------------ misc routes and control
    r = fake.call("GET", f"{V}/{PNID}/nonsense")
    check("unknown edge: 400 code 2500 'Unknown path components'", r[0] == 400 and err(r).get("code") == 2500, r)
    r = fake.call("POST", "/_control", {"no_such_key": 1}, token=None)
    check("control: an unknown key is refused with 400 and changes nothing", r[0] == 400, r)
    r = fake.call("POST", "/_control", {"faults": {"messages": ["418"]}}, token=None)
    check("control: an unknown fault kind is refused", r[0] == 400, r)
    r = fake.call("DELETE", f"{V}/{mid_late}")
    r2 = fake.send(template_msg(mid_late))
    check("DELETE /{media-id}: success, then the id is refused",
          r[0] == 200 and r[2] == {"success": True} and r2[0] == 400 and err(r2).get("code") == 100, (r, r2))

    # ------------------------------------------------------------ varied shapes
    fake.control(shape="varied")
    ctypes, orders, statuses_ok, wamids = set(), set(), True, []
    for i in range(14):
        r = fake.call("GET", f"{V}/{PNID}")
        ctypes.add(r[1].get("content-type"))
        orders.add(tuple(r[2]))
        r = fake.send(template_msg(media_id))
        statuses_ok &= r[0] == 200 and r[2]["messages"][0]["id"].startswith("wamid.")
        if r[0] == 200:
            wamids.append(r[2]["messages"][0]["id"])
    check("varied: Content-Type with and without charset both occur",
          ctypes == {"application/json", "application/json; charset=UTF-8"}, ctypes)
    check("varied: key order varies", len(orders) > 1, len(orders))
    check("varied: every send still answers 200 with a wamid", statuses_ok)
    r = fake.send(template_msg(media_id, name="tidak_ada"))
    check("varied: 132001 answered with 404 or 400", r[0] in (400, 404) and err(r).get("code") == 132001, r)
    rx.wait(lambda: all(rx.statuses(w) for w in wamids), timeout=6)
    check("varied: every status webhook still signed and parseable",
          all(p["sig_ok"] for w in wamids for _, p in rx.statuses(w)) and all(rx.statuses(w) for w in wamids))
    fake.control(shape="documented")

    # ------------------------------------------------------------ restart on the same state
    rx.wait(lambda: fake.ledger()["pending_webhooks"] == [], timeout=6)
    fake.control(webhook_delay_ms=800)
    r = fake.send(template_msg(media_id, bocd="pending-at-kill"))
    w_pending = r[2]["messages"][0]["id"] if r[0] == 200 else None
    before = fake.ledger()
    old_port = fake.port
    fake.kill()
    check("a webhook still pending when the fake is killed", w_pending and not rx.statuses(w_pending)
          and before["pending_webhooks"], before["pending_webhooks"])
    fake.start()
    after = fake.ledger()
    check("restart after SIGKILL: uploads, messages, windows and rejections survive",
          [u["id"] for u in after["uploads"]] == [u["id"] for u in before["uploads"]]
          and [m["wamid"] for m in after["messages"]] == [m["wamid"] for m in before["messages"]]
          and after["windows"] == before["windows"] and len(after["rejected"]) == len(before["rejected"]),
          (len(before["messages"]), len(after["messages"])))
    check("restart: the settings survive (templates, webhook_url, not_on_whatsapp)",
          any(t["name"] == "loket_pending" for t in fake.control()["templates"])
          and fake.control()["webhook_url"] == rx.url, fake.control())
    rx.wait(lambda: len(rx.statuses(w_pending)) >= 3)
    check("restart: webhooks pending at the kill are delivered by the restarted fake",
          [s["status"] for s, _ in rx.statuses(w_pending)] == ["sent", "delivered", "read"], rx.statuses(w_pending))
    fake.control(webhook_delay_ms=20)
    r = fake.send(template_msg(media_id))
    check("restart: a media id uploaded before the kill is still usable",
          r[0] == 200 and r[2]["messages"][0]["id"] not in [m["wamid"] for m in before["messages"]], (r, old_port))
    w_after = r[2]["messages"][0]["id"] if r[0] == 200 else None
    rx.wait(lambda: len(rx.statuses(w_after)) >= 3)
    check("restart: webhooks flow again", [s["status"] for s, _ in rx.statuses(w_after)] == ["sent", "delivered", "read"])
    r = fake.send(document_msg(media_id, to=other))
    w_win = r[2]["messages"][0]["id"] if r[0] == 200 else None
    rx.wait(lambda: rx.statuses(w_win))
    check("restart: the customer-service window opened before the kill is still open",
          rx.statuses(w_win) and rx.statuses(w_win)[0][0]["status"] == "sent", rx.statuses(w_win))


if __name__ == "__main__":
    main()
