#!/usr/bin/env python3
"""fake_whatsapp.py: the reference fake of Meta's WhatsApp Business Cloud API for loket's test suite.

It answers, on 127.0.0.1, the Graph API calls loket makes to deliver stamped PDFs to customers:

  POST /vX.Y/{phone-number-id}/media      upload (multipart/form-data: messaging_product, file, type)
  POST /vX.Y/{phone-number-id}/messages   send a "template" (DOCUMENT header) or "document" message
                                          (also "text" and the other media types, lightly checked)
  GET  /vX.Y/{phone-number-id}            the phone number node (health check; ?fields=...)
  GET  /vX.Y/{media-id}, DELETE /vX.Y/{media-id}   media URL/metadata, media deletion

and POSTs signed status webhooks (sent/delivered/read/failed) and inbound-message webhooks to a
receiver. It was written from Meta's documentation and from real replies quoted in public issue
threads -- the facts, their sources and the places where the documentation is silent (and what
was chosen there) are in REFERENCE.md next to this file -- and NOT from loket's client, so that
loket is tested against the API as Meta documents it rather than as loket expects it.

usage: fake_whatsapp.py --port 0 --state DIR --token TOKEN --phone-number-id ID
                        [--waba-id ID] [--app-secret SECRET] [--seed N] [--verbose]

Prints exactly one line {"port": P} on stdout once listening, then serves until killed.
--state DIR keeps the ledger (uploads with their upload times, messages with their wamids,
customer-service windows, pending webhook deliveries, rejections) and the control settings in
DIR/ledger.json, written atomically after every change, so a fake killed with SIGKILL and started
again on the same --state continues where it stopped (pending webhooks are delivered then).
Any Graph version prefix /v<digits>.<digits>/ is accepted, as is an unversioned path.
Nothing secret is logged; --verbose logs one line per request (method, path, status) to stderr.

Every request is checked as the real API checks it and refused with the Graph error envelope
{"error": {"message", "type", "code", ["error_data": {"messaging_product", "details"}],
["error_subcode"], "fbtrace_id"}} and the documented HTTP status (REFERENCE.md, "Errors"):
the Bearer token, the phone-number-id in the path, the multipart fields of an upload, the JSON of a
message (messaging_product, recipient, type object, unknown keys), the template (exists in that
language, APPROVED, header/body parameter counts and formats), the media id (known, not deleted,
not older than the media TTL). A number not on WhatsApp (131026) and a free-form message outside
the 24-hour customer-service window (131047) are accepted synchronously and fail by webhook, as
on the real platform.

Control plane (not part of the real API; no token needed):
  POST /_control   JSON object; each key given is merged into the settings (lists replace, except
                   "faults" which append to the queues and "templates" which upsert by
                   name+language). A request with an unknown key or a bad value changes nothing
                   and gets 400. The reply is GET /_control.
    faults          {"media": [...], "messages": [...], "phone": [...], "media_info": [...]}: one
                    queue per route, one item consumed per request on that route. Items:
                    "429" (rate limit: 130429 -- 80007 on "phone" --, HTTP 429, no Retry-After;
                    Retry-After is not documented), "429:retry_after=N" (with Retry-After: N), options may be
                    combined: "429:retry_after=5,code=131056,status=400";
                    "500" (131000, HTTP 500), "503" (code 2, HTTP 503, is_transient; may take
                    retry_after=N), "hang" (read the request, never answer until the client
                    closes the connection; other requests are served meanwhile),
                    "drop_after_accept" (do the work -- store the upload / record the message and
                    queue its webhooks -- then reset the connection without a reply),
                    "token_expired" (401, code 190, subcode 463).
    clear_faults    true: empty every queue first.
    token_expired   true/false: every API call answers 401/190/463 while true.
    not_on_whatsapp list of numbers (digits, "+" optional): sends to them are accepted, then fail
                    by webhook with 131026.
    inbound         list of numbers, or of {"from", "text", "name"} objects: these customers wrote
                    to the business now (opens their 24 h window; sends the inbound-message webhook
                    when webhook_url is set).
    window_now      unix seconds (or null): the fake's clock for windows, media expiry and webhook
                    timestamps. clock_offset_s: seconds added to the real clock when window_now is
                    null.
    templates       list of {"name", "language", "category": "UTILITY", "status": "APPROVED" |
                    "PENDING" | "REJECTED" | "PAUSED" | "DISABLED", "header": "DOCUMENT" | "TEXT" |
                    "IMAGE" | "VIDEO" | null, "body_params": N, ["header_params": N],
                    ["button_params": N], ["delete": true]}. Default: loket_dokumen_bermeterai,
                    language "id", UTILITY, APPROVED, DOCUMENT header, 2 body parameters.
    media_ttl_s     media lifetime (default 2592000 = 30 days). expire_media: list of media ids to
                    expire now.
    webhook_url, app_secret   where and how webhooks are signed (X-Hub-Signature-256).
    statuses        "delivered" (default: sent, delivered) | "read" (sent, delivered, read) |
                    "sent_only" | "none".
    shape           "varied" (default: every choice the documentation leaves open is drawn from the
                    seeded RNG, like a real server) | "documented" (always the first, documented
                    shape). See REFERENCE.md, "Variations".
    webhook_delay_ms (default 200), webhook_max_attempts (default 5), require_filename (default
    false: a document without filename is accepted, as documented, and noted as a warning),
    display_phone_number, verified_name, quality_rating, reset_ledger (true: forget uploads,
    messages, webhooks, rejections, windows and pending deliveries).
  GET  /_control   the settings (the app secret is reported as set/unset only).
  GET  /_ledger    {"uploads", "messages", "webhooks", "rejected", "windows", "requests",
                    "pending_webhooks"}: every upload (id, filename, size, sha256, time, ...), every
                    accepted message (wamid, to, wa_id, type, template name/language/params, media
                    id, caption, filename, biz_opaque_callback_data, time, outcome, warnings), every
                    webhook posted with the receiver's HTTP status per attempt, every refused
                    request with its reason, and per-route request counts.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import select
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_GRAPH_VERSION = "v23.0"   # reported in facebook-api-version for an unversioned path
ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
GRAPH_DOC_URL = "https://developers.facebook.com/docs/graph-api"
MEDIA_TTL_DEFAULT = 30 * 86400    # "persist for 30 days, unless they are deleted earlier"
WINDOW_S = 24 * 3600              # customer-service window
MB = 1024 * 1024
MAX_BODY = 110 * MB               # read limit of a request body (documents are limited to 100 MB)

# Supported upload types (the list is quoted verbatim in Meta's (#100) reply) and size limits.
SUPPORTED_MEDIA = {
    "audio/aac": 16 * MB, "audio/mp4": 16 * MB, "audio/mpeg": 16 * MB, "audio/amr": 16 * MB,
    "audio/ogg": 16 * MB, "audio/opus": 16 * MB,
    "application/vnd.ms-powerpoint": 100 * MB, "application/msword": 100 * MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * MB,
    "application/pdf": 100 * MB, "text/plain": 100 * MB, "application/vnd.ms-excel": 100 * MB,
    "image/jpeg": 5 * MB, "image/png": 5 * MB, "image/webp": 500 * 1024,
    "video/mp4": 16 * MB, "video/3gpp": 16 * MB,
}
SUPPORTED_MEDIA_TEXT = ", ".join(SUPPORTED_MEDIA)

# code: (title used in "(#code) title" and in webhook errors, default details)
WA_ERRORS = {
    4: ("Application request limit reached", None),
    80007: ("Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131056: ("(Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this phone number "
             "to the same phone number in a short period of time."),
    131000: ("Something went wrong", "Message failed to send due to an unknown error."),
    131016: ("Service unavailable", "A service is temporarily unavailable."),
    131008: ("Required parameter is missing", "The request is missing a required parameter."),
    131009: ("Parameter value is not valid", "One or more parameter values are invalid."),
    131021: ("Recipient cannot be sender", "Sender and recipient phone number is the same."),
    131026: ("Message undeliverable", "Message Undeliverable."),
    131047: ("Re-engagement message", "Message failed to send because more than 24 hours have passed "
                                      "since the customer last replied to this number."),
    131053: ("Media upload error", "Unable to upload the media used in the message."),
    132000: ("Number of parameters does not match the expected number of params", None),
    132001: ("Template name does not exist in the translation", None),
    132005: ("Template Hydrated Text Too Long", "Translated text is too long."),
    132012: ("Parameter format does not match format in the created template", None),
    132015: ("Template is Paused", "Template is paused due to low quality so it cannot be sent in a "
                                  "template message."),
    132016: ("Template is Disabled", "Template has been paused too many times due to low quality and "
                                    "is now permanently disabled."),
    132018: ("There was an issue with the parameters in your template.", None),
}
# Subcodes seen in real replies; WhatsApp errors carry them only sometimes (deprecated since v16).
KNOWN_SUBCODES = {130429: 2494055, 132001: 2388040}

DEFAULT_TEMPLATE = {"name": "loket_dokumen_bermeterai", "language": "id", "category": "UTILITY",
                    "status": "APPROVED", "header": "DOCUMENT", "header_params": 1, "body_params": 2,
                    "button_params": 0}
TEMPLATE_STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
TEMPLATE_CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
TEMPLATE_HEADERS = (None, "TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")
FAULT_ROUTES = ("media", "messages", "phone", "media_info")
FAULT_KINDS = ("429", "500", "503", "hang", "drop_after_accept", "token_expired")
STATUS_MODES = ("delivered", "read", "sent_only", "none")
PHONE_FIELDS = ("id", "verified_name", "display_phone_number", "quality_rating", "code_verification_status",
                "platform_type", "throughput", "name_status", "messaging_limit_tier",
                "is_official_business_account", "account_mode", "status", "webhook_configuration")
PHONE_DEFAULT_FIELDS = ("verified_name", "code_verification_status", "display_phone_number", "quality_rating",
                        "platform_type", "throughput", "id")
MESSAGE_TYPES = ("text", "template", "document", "image", "audio", "video", "sticker", "interactive",
                 "location", "contacts", "reaction")
MEDIA_KEYS = {"document": ("id", "link", "caption", "filename"), "image": ("id", "link", "caption"),
              "video": ("id", "link", "caption"), "audio": ("id", "link"), "sticker": ("id", "link")}
TOP_LEVEL_KEYS = {"messaging_product", "recipient_type", "to", "type", "context", "biz_opaque_callback_data",
                  "status", "message_id"} | set(MESSAGE_TYPES)


# ---------------------------------------------------------------- helpers

def atomic_write(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".ledger.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def digits_of(number):
    return re.sub(r"\D", "", str(number))


def fbtrace(rng):
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                   for _ in range(23))


class GraphError(Exception):
    """A refusal in the Graph error envelope.

    subcode_always: Graph-level subcodes (190/463, 100/33, ...) are always sent; WhatsApp-level ones
    only sometimes (the documentation calls error_subcode deprecated).
    """

    def __init__(self, http, code, message, etype="OAuthException", details=None, subcode=None,
                 subcode_always=False, transient=None, reason=None, headers=(), alt_http=()):
        super().__init__(message)
        self.alt_http = tuple(alt_http)  # other statuses real replies show for this error (varied shape)
        self.http, self.code, self.message, self.etype = http, code, message, etype
        self.details, self.subcode, self.subcode_always = details, subcode, subcode_always
        self.transient, self.headers = transient, list(headers)
        self.reason = reason or details or message


def wa_error(code, details=None, http=400, reason=None, **kw):
    title, default = WA_ERRORS[code]
    return GraphError(http, code, f"(#{code}) {title}", details=details if details is not None else default,
                      subcode=kw.pop("subcode", KNOWN_SUBCODES.get(code)), reason=reason, **kw)


def invalid_param(details, reason=None, **kw):
    """(#100) Invalid parameter, with the cause in error_data.details."""
    return GraphError(400, 100, "(#100) Invalid parameter", details=details, reason=reason, **kw)


def param_error(message, reason=None, **kw):
    """A (#100) whose message itself names the parameter (no error_data), as Graph's schema checks reply."""
    return GraphError(400, 100, f"(#100) {message}", reason=reason or message, **kw)


def unsupported(method, object_id):
    return GraphError(400, 100, f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not "
                      "exist, cannot be loaded due to missing permissions, or does not support this "
                      f"operation. Please read the Graph API documentation at {GRAPH_DOC_URL}",
                      etype="GraphMethodException", subcode=33, subcode_always=True,
                      reason=f"unknown object {object_id!r} for {method}")


# ---------------------------------------------------------------- reply shapes

class Shape:
    """The choices a real server makes that the documentation leaves open, drawn per request."""

    def __init__(self, varied, rng):
        self.varied, self.rng = varied, rng

    def chance(self, p):
        return self.varied and self.rng.random() < p

    def pick(self, documented, *others):
        if not self.varied:
            return documented
        return self.rng.choice((documented,) + others)

    def order(self, obj):
        """Shuffle key order (recursively) when varied; JSON object order carries no meaning."""
        if isinstance(obj, dict):
            items = [(k, self.order(v)) for k, v in obj.items()]
            if self.varied:
                self.rng.shuffle(items)
            return dict(items)
        if isinstance(obj, list):
            return [self.order(v) for v in obj]
        return obj

    def content_type(self):
        return self.pick("application/json", "application/json; charset=UTF-8")

    def dumps(self, obj):
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
        if self.chance(0.5):  # Graph escapes "/" as "\/" (PHP-style); both are the same JSON
            text = text.replace("/", "\\/")
        return text.encode("ascii")


def error_body(err, shape):
    e = {"message": err.message, "type": err.etype, "code": err.code}
    if err.details is not None:
        e["error_data"] = {"messaging_product": "whatsapp", "details": err.details}
    if err.subcode is not None and (err.subcode_always or shape.chance(0.5)):
        e["error_subcode"] = err.subcode
    if err.transient is not None:
        e["is_transient"] = err.transient
    e["fbtrace_id"] = fbtrace(shape.rng)
    return {"error": shape.order(e)}


# ---------------------------------------------------------------- state

def default_settings(args):
    return {
        "faults": {r: [] for r in FAULT_ROUTES},
        "token_expired": False,
        "not_on_whatsapp": [],
        "templates": [dict(DEFAULT_TEMPLATE)],
        "media_ttl_s": MEDIA_TTL_DEFAULT,
        "webhook_url": None,
        "app_secret": args.app_secret,
        "statuses": "delivered",
        "shape": "varied",
        "window_now": None,
        "clock_offset_s": 0,
        "webhook_delay_ms": 200,
        "webhook_max_attempts": 5,
        "require_filename": False,
        "display_phone_number": "+62 21-3456-7890",
        "verified_name": "Kantor Pos Indonesia",
        "quality_rating": "GREEN",
    }


EMPTY_LEDGER = {"uploads": [], "messages": [], "webhooks": [], "rejected": [], "windows": {}, "outbox": [],
                "requests": {}}


class Store:
    """Ledger and settings, persisted atomically in STATE/ledger.json after every change."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.path = os.path.join(args.state, "ledger.json")
        os.makedirs(args.state, exist_ok=True)
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                self.data = json.load(f)
        else:
            self.data = {"version": 1, "seq": 0, "settings": default_settings(args),
                         **json.loads(json.dumps(EMPTY_LEDGER))}
        s = self.data["settings"]
        for k, v in EMPTY_LEDGER.items():
            self.data.setdefault(k, json.loads(json.dumps(v)))
        for k, v in default_settings(args).items():
            s.setdefault(k, v)
        for r in FAULT_ROUTES:
            s["faults"].setdefault(r, [])
        if args.app_secret is not None:
            s["app_secret"] = args.app_secret
        self.save()

    @property
    def settings(self):
        return self.data["settings"]

    def save(self):
        with self.lock:
            atomic_write(self.path, json.dumps(self.data, separators=(",", ":")).encode())

    def next_seq(self):
        with self.lock:
            self.data["seq"] += 1
            return self.data["seq"]

    def now(self):
        s = self.settings
        if s["window_now"] is not None:
            return float(s["window_now"])
        return time.time() + s["clock_offset_s"]

    def count(self, route):
        with self.lock:
            req = self.data["requests"]
            req[route] = req.get(route, 0) + 1
            return req[route]

    def rng(self, *parts):
        return random.Random(":".join(str(p) for p in (self.args.seed,) + parts))

    def take_fault(self, route):
        with self.lock:
            q = self.settings["faults"].get(route) or []
            if not q:
                return None
            item = q.pop(0)
            self.save()
            return parse_fault(item)

    def media(self, media_id):
        for u in self.data["uploads"]:
            if u["id"] == media_id:
                return u
        return None

    def media_state(self, media_id):
        """(upload, None) when usable, else (upload or None, why)."""
        u = self.media(str(media_id))
        if u is None:
            return None, "unknown media id"
        if u.get("deleted"):
            return u, "media deleted"
        if u.get("expired"):
            return u, "media expired (expire_media)"
        if self.now() - u["time"] >= self.settings["media_ttl_s"]:
            return u, f"media expired (uploaded {self.now() - u['time']:.0f} s ago, ttl {self.settings['media_ttl_s']} s)"
        return u, None

    def window_open(self, wa_id):
        last = self.data["windows"].get(wa_id)
        return last is not None and 0 <= self.now() - last < WINDOW_S

    def reject(self, entry):
        with self.lock:
            self.data["rejected"].append(entry)
            self.save()


def parse_fault(item):
    kind, _, opts = item.partition(":")
    f = {"kind": kind, "raw": item}
    for opt in filter(None, opts.split(",")):
        k, _, v = opt.partition("=")
        f[k.strip()] = int(v)
    return f


def validate_fault(route, item):
    if not isinstance(item, str):
        raise ValueError(f"fault items are strings, got {item!r}")
    kind, _, opts = item.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {item!r}: kinds are {FAULT_KINDS}")
    allowed = {"429": ("retry_after", "code", "status"), "503": ("retry_after",)}.get(kind, ())
    for opt in filter(None, opts.split(",")):
        k, eq, v = opt.partition("=")
        if k.strip() not in allowed or not eq or not v.strip().isdigit():
            raise ValueError(f"bad option {opt!r} in fault {item!r} (allowed: {allowed}, integer values)")
        if k.strip() == "code" and int(v) not in (4, 80007, 130429, 131056):
            raise ValueError("429 codes: 4, 80007, 130429, 131056")
        if k.strip() == "status" and int(v) not in (400, 429):
            raise ValueError("429 status: 400 or 429")


# ---------------------------------------------------------------- multipart/form-data

class MultipartError(ValueError):
    pass


def header_params(value):
    """'form-data; name="file"; filename="a b.pdf"' -> ('form-data', {'name': 'file', 'filename': 'a b.pdf'})"""
    n = len(value)
    j = value.find(";")
    main = (value if j < 0 else value[:j]).strip().lower()
    params = {}
    i = n if j < 0 else j + 1
    while i < n:
        while i < n and value[i] in " \t;":
            i += 1
        k0 = i
        while i < n and value[i] not in "=;":
            i += 1
        key = value[k0:i].strip().lower()
        if i >= n or value[i] == ";":
            if key:
                params[key] = ""
            continue
        i += 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            i += 1
            out = []
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                out.append(value[i])
                i += 1
            if i >= n:
                raise MultipartError(f"unterminated quoted string in {value!r}")
            i += 1
            val = "".join(out)
        else:
            v0 = i
            while i < n and value[i] != ";":
                i += 1
            val = value[v0:i].strip()
        if key.endswith("*"):  # RFC 5987: filename*=UTF-8''na%C3%AFve.pdf
            charset, _, rest = val.partition("'")
            _, _, encoded = rest.partition("'")
            val = unquote(encoded, encoding=charset or "utf-8")
            key = key[:-1]
        params[key] = val
    return main, params


def find_delimiter(body, delim, start):
    """Index of the next CRLF + delimiter line (delimiter followed by "--" or optional padding and CRLF)."""
    k = body.find(b"\r\n" + delim, start)
    while k >= 0:
        after = k + 2 + len(delim)
        rest = body[after:after + 2]
        j = after
        while body[j:j + 1] in (b" ", b"\t"):
            j += 1
        if rest == b"--" or body[j:j + 2] == b"\r\n":
            return k
        k = body.find(b"\r\n" + delim, k + 1)
    return -1


def parse_multipart(content_type, body):
    """Strict RFC 7578 parser: [{'name', 'filename' or None, 'content_type' or None, 'data'}]."""
    _, params = header_params(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary parameter")
    if len(boundary) > 70:
        raise MultipartError("boundary longer than 70 characters")
    delim = b"--" + boundary.encode("latin-1")
    if body.startswith(delim):
        pos = len(delim)
    else:  # a preamble is allowed before the first delimiter, which must then follow a CRLF
        k = find_delimiter(body, delim, 0)
        if k < 0:
            raise MultipartError("no opening boundary delimiter")
        pos = k + 2 + len(delim)
    parts = []
    while True:
        if body[pos:pos + 2] == b"--":
            return parts  # close delimiter; an epilogue may follow
        # transport padding (spaces/tabs) then CRLF
        while body[pos:pos + 1] in (b" ", b"\t"):
            pos += 1
        if body[pos:pos + 2] != b"\r\n":
            raise MultipartError("boundary delimiter not followed by CRLF")
        pos += 2
        hend = body.find(b"\r\n\r\n", pos)
        if hend < 0:
            raise MultipartError("part headers not terminated by an empty line")
        raw_headers = body[pos:hend].decode("utf-8", "replace").split("\r\n") if hend > pos else []
        pos = hend + 4
        nxt = find_delimiter(body, delim, pos - 2)
        if nxt < 0:
            raise MultipartError("no closing boundary delimiter (body truncated?)")
        data = body[pos:nxt]
        pos = nxt + 2 + len(delim)
        headers = {}
        for line in raw_headers:
            if ":" not in line:
                raise MultipartError(f"malformed part header line {line!r}")
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        cd = headers.get("content-disposition")
        if cd is None:
            raise MultipartError("part without Content-Disposition")
        disp, cdp = header_params(cd)
        if disp != "form-data" or "name" not in cdp:
            raise MultipartError(f"part Content-Disposition is not form-data with a name: {cd!r}")
        ctype = headers.get("content-type")
        parts.append({"name": cdp["name"], "filename": cdp.get("filename"),
                      "content_type": header_params(ctype)[0] if ctype else None, "data": data})


# ---------------------------------------------------------------- the API

class Reply:
    def __init__(self, status, body, headers=()):
        self.status, self.body, self.headers = status, body, list(headers)


class Api:
    def __init__(self, args, store, dispatcher):
        self.args, self.store, self.dispatcher = args, store, dispatcher

    # -- common checks

    def auth(self, headers, query):
        s = self.store.settings
        h = headers.get("Authorization")
        token, warn = None, None
        if h is not None:
            parts = h.strip().split(None, 1)
            token = parts[1].strip() if len(parts) == 2 and parts[0].lower() in ("bearer", "oauth") else ""
        elif "access_token" in query:
            token = query["access_token"][0]
            warn = "access token sent in the query string, not the Authorization header"
        if token is None:
            msg = "An access token is required to request this resource."
            raise GraphError(400, 104, msg, reason="no Authorization header",
                             headers=[www_auth("invalid_request", msg)])
        if not hmac.compare_digest(token.encode(), self.args.token.encode()):
            msg = "Invalid OAuth access token - Cannot parse access token"
            raise GraphError(401, 190, msg, reason="wrong access token", headers=[www_auth("invalid_token", msg)])
        if s["token_expired"]:
            raise token_expired_error(self.store.now())
        return warn

    # -- GET /{phone-number-id}

    def phone(self, shape, query):
        s = self.store.settings
        fields = PHONE_DEFAULT_FIELDS
        if "fields" in query:
            fields = [f.strip() for f in query["fields"][0].split(",") if f.strip()]
            for f in fields:
                if f not in PHONE_FIELDS:
                    raise param_error(f"Tried accessing nonexisting field ({f}) on node type "
                                      "(WhatsAppBusinessPhoneNumber)")
        node = {"verified_name": s["verified_name"], "code_verification_status": "VERIFIED",
                "display_phone_number": s["display_phone_number"], "quality_rating": s["quality_rating"],
                "platform_type": "CLOUD_API", "throughput": {"level": "STANDARD"}, "name_status": "APPROVED",
                "messaging_limit_tier": "TIER_1K", "is_official_business_account": False,
                "account_mode": "LIVE", "status": "CONNECTED",
                "webhook_configuration": {"application": s["webhook_url"] or ""},
                "id": self.args.phone_number_id}
        out = {f: node[f] for f in fields if f != "id"}
        out["id"] = node["id"]
        return Reply(200, shape.order(out))

    # -- GET/DELETE /{media-id}

    def media_info(self, shape, method, media_id):
        with self.store.lock:
            u, why = self.store.media_state(media_id)
            if why:
                err = unsupported(method, media_id)
                err.reason = why
                raise err
            if method == "DELETE":
                u["deleted"] = True
                self.store.save()
                return Reply(200, {"success": True})
            ext = (u["filename"] or "").rpartition(".")[2] or "bin"
            body = {"messaging_product": "whatsapp",
                    "url": f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={u['id']}&ext={ext}"
                           f"&hash={u['sha256'][:20]}",
                    "mime_type": u["mime"], "sha256": u["sha256"], "file_size": u["size"], "id": u["id"]}
            return Reply(200, shape.order(body))

    # -- POST /{phone-number-id}/media

    def upload(self, shape, headers, raw, dropped, warnings):
        ctype = headers.get("Content-Type", "")
        main = header_params(ctype)[0] if ctype else ""
        fields, files = {}, {}
        if main == "multipart/form-data":
            try:
                parts = parse_multipart(ctype, raw)
            except MultipartError as e:
                raise invalid_param("The request body could not be parsed as multipart/form-data.",
                                    reason=f"malformed multipart: {e}")
            for p in parts:
                if p["filename"] is not None:
                    files.setdefault(p["name"], p)
                else:
                    fields.setdefault(p["name"], p["data"].decode("utf-8", "replace"))
        elif main == "application/x-www-form-urlencoded":
            fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        elif main == "application/json":
            try:
                obj = json.loads(raw or b"{}")
                fields = {k: v for k, v in obj.items() if isinstance(v, str)} if isinstance(obj, dict) else {}
            except ValueError:
                fields = {}
        mp = fields.get("messaging_product")
        if mp is None:
            raise param_error("The parameter messaging_product is required.")
        if mp.strip().lower() != "whatsapp":
            raise param_error(f'Param messaging_product must be one of {{WHATSAPP}} - got "{mp}".')
        if "file" not in files:
            if "file" in fields:
                raise param_error(f"Param file must be a file with one of the following types: {SUPPORTED_MEDIA_TEXT}.",
                                  reason="file part has no filename (sent as a plain field, not a file)")
            raise param_error("The parameter file is required.")
        f = files["file"]
        if not f["filename"].strip():
            raise param_error(f"Param file must be a file with one of the following types: {SUPPORTED_MEDIA_TEXT}.",
                              reason="file part has an empty filename")
        mime = f["content_type"]
        if mime not in SUPPORTED_MEDIA:
            raise param_error(f"Param file must be a file with one of the following types: {SUPPORTED_MEDIA_TEXT}.",
                              reason=f"file part Content-Type {mime!r} is not a supported media type")
        if "type" not in fields:
            raise param_error("The parameter type is required.")
        type_field = fields["type"].strip()
        if type_field not in SUPPORTED_MEDIA:
            raise param_error(f"Param type must be one of the supported media types - got \"{type_field}\".")
        data = f["data"]
        if not data:
            raise invalid_param("The file is empty.", reason="empty file part")
        limit = SUPPORTED_MEDIA[mime]
        if len(data) > limit:
            raise invalid_param(f"File size ({len(data)} bytes) exceeds the limit of {limit} bytes for {mime}.",
                                reason=f"file of {len(data)} bytes over the {limit} byte limit")
        if type_field != mime:
            warnings.append(f"type field {type_field!r} differs from the file part's Content-Type {mime!r}")
        looks_pdf = data.startswith(b"%PDF-")
        if mime == "application/pdf" and not looks_pdf:
            warnings.append("file declared application/pdf does not start with %PDF-")
        if mime == "application/pdf" and not f["filename"].lower().endswith(".pdf"):
            warnings.append("PDF uploaded with a filename not ending in .pdf")
        extra = sorted(set(fields) - {"messaging_product", "type"}) + sorted(set(files) - {"file"})
        if extra:
            warnings.append(f"unknown form fields ignored: {extra}")
        with self.store.lock:
            seq = self.store.next_seq()
            rng = self.store.rng("media-id", seq)
            existing = {u["id"] for u in self.store.data["uploads"]}
            media_id = str(rng.randrange(10 ** 15, 10 ** 16))
            while media_id in existing:
                media_id = str(rng.randrange(10 ** 15, 10 ** 16))
            self.store.data["uploads"].append({
                "id": media_id, "filename": f["filename"], "mime": mime, "type_field": type_field,
                "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "time": self.store.now(),
                "received_at": time.time(), "looks_like_pdf": looks_pdf, "warnings": warnings,
                "reply_dropped": dropped, "deleted": False, "expired": False})
            self.store.save()
        return Reply(200, {"id": media_id})

    # -- POST /{phone-number-id}/messages

    def parse_message_body(self, headers, raw):
        main = header_params(headers.get("Content-Type", ""))[0] if headers.get("Content-Type") else ""
        if main == "application/json":
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise invalid_param("The request body is not valid JSON.", reason="body is not valid JSON")
            if not isinstance(body, dict):
                raise invalid_param("The request body must be a JSON object.", reason="body is not a JSON object")
            return body, []
        # Graph reads any other body as form parameters (JSON-looking values are decoded)
        body = {}
        try:
            for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
                val = v[0]
                if val[:1] in "{[":
                    try:
                        val = json.loads(val)
                    except ValueError:
                        pass
                body[k] = val
        except UnicodeDecodeError:
            pass
        return body, [f"body sent with Content-Type {main or '(none)'}; read as form parameters"]

    def send(self, shape, headers, raw, version, dropped, warnings):
        body, body_warnings = self.parse_message_body(headers, raw)
        warnings = warnings + body_warnings
        s = self.store.settings
        mp = body.get("messaging_product")
        if mp is None:
            raise param_error("The parameter messaging_product is required.")
        if not isinstance(mp, str) or mp.strip().lower() != "whatsapp":
            raise param_error(f'Param messaging_product must be one of {{WHATSAPP}} - got "{mp}".')
        if body.get("status") == "read" and "message_id" in body:  # mark an inbound message as read
            return Reply(200, {"success": True})
        rt = body.get("recipient_type", "individual")
        if rt not in ("individual", "group"):
            raise param_error(f'Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got "{rt}".')
        if "to" not in body:
            raise param_error("The parameter to is required.")
        to = body["to"]
        if isinstance(to, int) and not isinstance(to, bool):
            warnings.append("to sent as a JSON number")
            to = str(to)
        if not isinstance(to, str):
            raise invalid_param("Parameter Invalid", reason=f"to is not a string: {to!r}")
        wa_id, to_warnings, to_reason = parse_recipient(to, business_cc(s))
        if wa_id is None:
            raise invalid_param("Parameter Invalid", reason=f"to {to!r}: {to_reason}")
        warnings += to_warnings
        if wa_id == digits_of(s["display_phone_number"]):  # the error table says 131021; a report shows (#100)
            if shape.chance(0.5):
                raise invalid_param("Parameter Invalid", reason="recipient is the business number")
            raise wa_error(131021, reason="recipient is the business number")
        mtype = body.get("type", "text")
        if mtype not in MESSAGE_TYPES:
            raise param_error(f'Param type must be one of {{{", ".join(t.upper() for t in MESSAGE_TYPES)}}} - got "{mtype}".')
        unknown_top = sorted(set(body) - TOP_LEVEL_KEYS)
        if unknown_top:
            warnings.append(f"unknown top-level keys ignored: {unknown_top}")
        for other in MESSAGE_TYPES:
            if other != mtype and other in body:
                warnings.append(f"object {other!r} present but type is {mtype!r}; ignored")
        bocd = body.get("biz_opaque_callback_data")
        if bocd is not None and (not isinstance(bocd, str) or len(bocd) > 512):
            raise param_error("Param biz_opaque_callback_data must be a string of at most 512 characters.")
        if "context" in body:
            ctx = body["context"]
            if not isinstance(ctx, dict) or not isinstance(ctx.get("message_id"), str):
                raise param_error("The parameter context['message_id'] is required.")
            check_keys(ctx, ("message_id",), "context")

        record = {"to": to, "wa_id": wa_id, "type": mtype, "biz_opaque_callback_data": bocd,
                  "graph_version": version, "template": None, "media_id": None, "link": None,
                  "caption": None, "filename": None, "text": None}
        category = None
        with self.store.lock:
            if mtype == "template":
                category = self.check_template(body, record, warnings)
            elif mtype in MEDIA_KEYS:
                self.check_media_message(body, mtype, record, warnings)
            elif mtype == "text":
                t = body.get("text")
                if not isinstance(t, dict) or "body" not in t:
                    raise param_error("The parameter text['body'] is required.")
                check_keys(t, ("body", "preview_url"), "text")
                if not isinstance(t["body"], str) or not t["body"].strip():
                    raise wa_error(131008, "text['body'] is empty.", reason="empty text body")
                if len(t["body"]) > 4096:
                    raise param_error("Param text['body'] must be at most 4096 characters long.")
                record["text"] = t["body"]
            else:
                if not isinstance(body.get(mtype), dict):
                    raise param_error(f"The parameter {mtype} is required.")
                warnings.append(f"type {mtype!r} is accepted without detailed checks by this fake")

            # outcome: decided now, reported later by webhook, as the platform does
            not_on_wa = {digits_of(n) for n in s["not_on_whatsapp"]}
            window = self.store.window_open(wa_id)
            if wa_id in not_on_wa:
                outcome = ("failed", 131026, "recipient listed in not_on_whatsapp")
            elif wa_id.startswith(business_cc(s) + "0"):
                outcome = ("failed", 131026, "national-format number: country code followed by 0")
            elif mtype != "template" and not window:
                outcome = ("failed", 131047, "free-form message outside the 24 h customer-service window")
            else:
                outcome = ("accepted", None, None)
            seq = self.store.next_seq()
            wamid = make_wamid(self.store.rng("wamid", seq), wa_id)
            now = self.store.now()
            record.update({"wamid": wamid, "time": now, "received_at": time.time(),
                           "window_open": window, "outcome": outcome[0] if outcome[1] is None
                           else f"failed:{outcome[1]}", "outcome_reason": outcome[2],
                           "warnings": warnings, "reply_dropped": dropped, "statuses": []})
            if mtype == "template":
                pricing = {"billable": not window, "pricing_model": "PMP", "category": category.lower(),
                           "type": "free_customer_service" if window and category == "UTILITY" else "regular"}
                if window and category != "UTILITY":
                    pricing.update(billable=True, type="regular")
            else:
                pricing = {"billable": False, "pricing_model": "PMP", "category": "service",
                           "type": "free_customer_service"}
            record["pricing"] = pricing
            self.store.data["messages"].append(record)
            self.dispatcher.queue_statuses(record, outcome, shape)
            self.store.save()

        contacts = [{"input": to, "wa_id": wa_id}]
        msg = {"id": wamid}
        if mtype == "template":
            msg["message_status"] = "held_for_quality_assessment" if shape.chance(0.05) else "accepted"
        elif shape.chance(0.3):
            msg["message_status"] = "accepted"
        reply = {"messaging_product": "whatsapp", "contacts": contacts, "messages": [msg]}
        if shape.chance(0.15):
            del reply["contacts"]
        return Reply(200, shape.order(reply))

    def check_template(self, body, record, warnings):
        t = body.get("template")
        if not isinstance(t, dict):
            raise param_error("The parameter template is required.")
        check_keys(t, ("name", "language", "components", "namespace"), "template")
        name = t.get("name")
        if not isinstance(name, str) or not name:
            raise param_error("The parameter template['name'] is required.")
        lang = t.get("language")
        if not isinstance(lang, dict) or not isinstance(lang.get("code"), str):
            raise param_error("The parameter template['language']['code'] is required.")
        check_keys(lang, ("code", "policy"), "template['language']")
        if lang.get("policy", "deterministic") != "deterministic":
            raise param_error(f'Param template[\'language\'][\'policy\'] must be one of {{DETERMINISTIC}} - got "{lang["policy"]}".')
        code = lang["code"]
        tpl = None
        for cand in self.store.settings["templates"]:
            if cand["name"] == name and cand["language"] == code:
                tpl = cand
        if tpl is None or tpl["status"] in ("PENDING", "REJECTED"):
            why = "no template of that name" if not any(c["name"] == name for c in self.store.settings["templates"]) \
                else "no translation in that language" if tpl is None else f"template status {tpl['status']}"
            raise wa_error(132001, f"template name ({name}) does not exist in {code}",
                           http=404, alt_http=(400,), reason=why)
        if tpl["status"] == "PAUSED":
            raise wa_error(132015, reason="template paused")
        if tpl["status"] == "DISABLED":
            raise wa_error(132016, reason="template disabled")
        comps = t.get("components", [])
        if not isinstance(comps, list):
            raise param_error("Param template['components'] must be an array.")
        header, body_params, buttons = [], [], []
        for i, c in enumerate(comps):
            where = f"template['components'][{i}]"
            if not isinstance(c, dict):
                raise param_error(f"Param {where} must be an object.")
            check_keys(c, ("type", "parameters", "sub_type", "index"), where)
            ctype = str(c.get("type", "")).lower()
            if ctype not in ("header", "body", "button"):
                raise param_error(f'Param {where}[\'type\'] must be one of {{HEADER, BODY, BUTTON}} - got "{c.get("type")}".')
            params = c.get("parameters", [])
            if not isinstance(params, list):
                raise param_error(f"Param {where}['parameters'] must be an array.")
            for j, p in enumerate(params):
                check_parameter(p, f"{where}['parameters'][{j}]")
            if ctype == "header":
                header += [(f"{where}['parameters'][{j}]", p) for j, p in enumerate(params)]
            elif ctype == "body":
                body_params += [(f"{where}['parameters'][{j}]", p) for j, p in enumerate(params)]
            else:
                if "sub_type" not in c or "index" not in c:
                    raise param_error(f"The parameter {where}['sub_type'] and ['index'] are required for a button.")
                buttons.append(c)
        # header
        htype = tpl.get("header")
        expected_header = {None: 0, "TEXT": tpl.get("header_params", 0)}.get(htype, 1)
        if len(header) != expected_header:
            raise wa_error(132000, f"header: number of localizable_params ({len(header)}) does not match the "
                                   f"expected number of params ({expected_header})")
        record_tpl = {"name": name, "language": code, "params": [], "header_type": htype,
                      "header_media_id": None, "header_link": None, "header_filename": None}
        for path, p in header:
            want = "text" if htype == "TEXT" else htype.lower()
            if p["type"] != want:
                raise wa_error(132012, f"header: Format mismatch, expected {htype}, received {p['type'].upper()}")
            if want in MEDIA_KEYS:
                media = p[want]
                mid, link = self.check_media_object(media, want, f"{path}['{want}']", warnings)
                record_tpl["header_media_id"], record_tpl["header_link"] = mid, link
                if want == "document":
                    record_tpl["header_filename"] = media.get("filename")
                    self.check_filename(media.get("filename"), mid, f"{path}['document']", warnings)
        # body
        expected_body = tpl.get("body_params", 0)
        if len(body_params) != expected_body:
            raise wa_error(132000, f"body: number of localizable_params ({len(body_params)}) does not match the "
                                   f"expected number of params ({expected_body})")
        total = 0
        for path, p in body_params:
            if p["type"] == "text":
                text = p["text"]
                if re.search(r"[\n\t]| {5,}", text):
                    raise wa_error(132018, f"body: Param text cannot have new-line/tab characters or more than 4 "
                                           f"consecutive spaces", reason=f"{path}: newline/tab/5+ spaces")
                total += len(text)
                record_tpl["params"].append(text)
            else:
                record_tpl["params"].append(p.get(p["type"]))
        if total > 1024:
            raise wa_error(132005, reason=f"body parameters total {total} characters")
        if len(buttons) != tpl.get("button_params", 0):
            raise wa_error(132000, f"buttons: number of localizable_params ({len(buttons)}) does not match the "
                                   f"expected number of params ({tpl.get('button_params', 0)})")
        record["template"] = record_tpl
        record["media_id"] = record_tpl["header_media_id"]
        record["link"] = record_tpl["header_link"]
        record["filename"] = record_tpl["header_filename"]
        return tpl["category"]

    def check_media_message(self, body, mtype, record, warnings):
        media = body.get(mtype)
        if not isinstance(media, dict):
            raise param_error(f"The parameter {mtype} is required.")
        mid, link = self.check_media_object(media, mtype, mtype, warnings)
        caption = media.get("caption")
        if caption is not None:
            if not isinstance(caption, str):
                raise param_error(f"Param {mtype}['caption'] must be a string.")
            if len(caption) > 1024:
                raise param_error(f"Param {mtype}['caption'] must be at most 1024 characters long.")
        record.update(media_id=mid, link=link, caption=caption, filename=media.get("filename"))
        if mtype == "document":
            self.check_filename(media.get("filename"), mid, "document", warnings)

    def check_media_object(self, media, kind, path, warnings):
        if not isinstance(media, dict):
            raise param_error(f"Param {path} must be an object.")
        check_keys(media, MEDIA_KEYS[kind], path)
        mid, link = media.get("id"), media.get("link")
        if mid is None and link is None:
            raise param_error("Either one of media ID or link must be present", subcode=2494009,
                              subcode_always=True)
        if mid is not None and link is not None:
            warnings.append(f"{path}: both id and link given; id used")
        if mid is not None:
            if not isinstance(mid, str) or not mid.strip():
                raise param_error(f"Param {path}['id'] must be a non-empty string.")
            _, why = self.store.media_state(mid)
            if why:
                raise param_error(f"Param {path}['id'] is not a valid whatsapp business account media attachment ID",
                                  reason=f"{path}['id'] {mid}: {why}")
            return mid, None
        u = urlsplit(link) if isinstance(link, str) else None
        if u is None or u.scheme not in ("http", "https") or not u.netloc:
            raise param_error(f"Param {path}['link'] is not a valid URI.")
        return None, link

    def check_filename(self, filename, media_id, path, warnings):
        if filename is None:
            if self.store.settings["require_filename"]:
                raise wa_error(131008, f"{path}['filename'] is required.", reason="document without filename "
                                                                                  "(require_filename)")
            warnings.append(f"{path}: no filename; WhatsApp shows a generic document name")
            return
        if not isinstance(filename, str) or not filename.strip():
            raise param_error(f"Param {path}['filename'] must be a non-empty string.")
        u = self.store.media(media_id) if media_id else None
        if u and u["mime"] == "application/pdf" and not filename.lower().endswith(".pdf"):
            warnings.append(f"{path}: filename {filename!r} has no .pdf extension for a PDF")


def check_keys(obj, allowed, param):
    for k in obj:
        if k not in allowed:
            raise param_error(f'Unexpected key "{k}" on param "{param}".')


def check_parameter(p, path):
    if not isinstance(p, dict) or not isinstance(p.get("type"), str):
        raise param_error(f"The parameter {path}['type'] is required.")
    ptype = p["type"].lower()
    allowed = {"text": ("type", "text", "parameter_name"), "currency": ("type", "currency", "parameter_name"),
               "date_time": ("type", "date_time", "parameter_name"), "document": ("type", "document"),
               "image": ("type", "image"), "video": ("type", "video"), "location": ("type", "location"),
               "payload": ("type", "payload"), "action": ("type", "action"), "coupon_code": ("type", "coupon_code")}
    if ptype not in allowed:
        raise param_error(f'Param {path}[\'type\'] must be one of {{{", ".join(t.upper() for t in allowed)}}} '
                          f'- got "{p["type"]}".')
    p["type"] = ptype
    check_keys(p, allowed[ptype], path)
    if ptype == "text":
        if "text" not in p:
            raise invalid_param("Parameter 'text' is mandatory for component parameter type 'text'")
        if not isinstance(p["text"], str):
            raise invalid_param(f"Param {path}['text'] must be a string.")
        if not p["text"].strip():
            raise wa_error(131008, "Parameter of type text is missing text value", reason=f"{path}: empty text")
    elif ptype not in p:
        raise invalid_param(f"Parameter '{ptype}' is mandatory for component parameter type '{ptype}'")


def business_cc(settings):
    d = digits_of(settings["display_phone_number"])
    # the fake knows the country codes it is likely to meet; Indonesia first
    for cc in ("62", "1", "7", "60", "65", "66", "84", "63", "61", "44", "91", "86", "81", "82"):
        if d.startswith(cc):
            return cc
    return d[:2]


def parse_recipient(to, cc):
    """(wa_id, warnings, None) or (None, [], why). '+', spaces, hyphens and parentheses are accepted."""
    s = to.strip()
    if not s:
        return None, [], "empty"
    plus = s.startswith("+")
    rest = s[1:] if plus else s
    if re.search(r"[^0-9 ()\-]", rest):
        return None, [], "characters other than digits, spaces, hyphens and parentheses"
    digits = re.sub(r"[ ()\-]", "", rest)
    if not digits:
        return None, [], "no digits"
    if digits.startswith("00"):
        return None, [], "international prefix 00 instead of +"
    if plus and digits.startswith("0"):
        return None, [], "no country calling code starts with 0"
    warnings = []
    if s != to:
        warnings.append("to has leading/trailing whitespace")
    if not plus:
        warnings.append("to has no leading '+'; Meta recommends the plus sign and country calling code")
        if digits.startswith("0"):
            warnings.append(f"to {to!r} is in national format; the business's country code {cc} is prepended")
            digits = cc + digits
    if not 8 <= len(digits) <= 15:
        return None, [], f"{len(digits)} digits (E.164 allows at most 15, at least 8 are expected)"
    return digits, warnings, None


def make_wamid(rng, wa_id):
    tail = "".join(rng.choice("0123456789ABCDEF") for _ in range(18)).encode()
    inner = b"\x1c\x18" + bytes([len(wa_id)]) + wa_id.encode() + b"\x15\x02\x00\x11\x18\x12" + tail + b"\x00"
    return "wamid." + base64.b64encode(inner).decode()


def www_auth(kind, message):
    safe = message.encode("ascii", "replace").decode().replace('"', "'")
    return ("WWW-Authenticate", f'OAuth "Facebook Platform" "{kind}" "{safe}"')


def token_expired_error(now):
    fmt = "%A, %d-%b-%y %H:%M:%S UTC"
    msg = (f"Error validating access token: Session has expired on "
           f"{time.strftime(fmt, time.gmtime(now - 3600))}. The current time is {time.strftime(fmt, time.gmtime(now))}.")
    return GraphError(401, 190, msg, subcode=463, subcode_always=True, reason="access token expired",
                      headers=[www_auth("invalid_token", "Error validating access token: Session has expired")])


# ---------------------------------------------------------------- webhooks

class Dispatcher(threading.Thread):
    """Delivers queued webhooks (persisted in the ledger's outbox) with brief retries."""

    BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)

    def __init__(self, args, store):
        super().__init__(daemon=True, name="webhooks")
        self.args, self.store = args, store
        self.wake = threading.Event()

    # -- payloads

    def envelope(self, key, items, contacts=None):
        s = self.store.settings
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": digits_of(s["display_phone_number"]),
                              "phone_number_id": self.args.phone_number_id}}
        if contacts:
            value["contacts"] = contacts
        value[key] = items
        return {"object": "whatsapp_business_account",
                "entry": [{"id": self.args.waba_id, "changes": [{"value": value, "field": "messages"}]}]}

    def status_item(self, msg, status, ts, error=None, with_conversation=False):
        st = {"id": msg["wamid"], "status": status, "timestamp": str(int(ts)), "recipient_id": msg["wa_id"]}
        if msg.get("biz_opaque_callback_data") is not None:
            st["biz_opaque_callback_data"] = msg["biz_opaque_callback_data"]
        if error is not None:
            title, details = WA_ERRORS[error][0], WA_ERRORS[error][1]
            st["errors"] = [{"code": error, "title": title, "message": title,
                             "error_data": {"details": details}, "href": ERROR_CODES_URL}]
        else:
            if with_conversation:
                st["conversation"] = {"id": hashlib.md5(msg["wamid"].encode()).hexdigest(),
                                      "origin": {"type": msg["pricing"]["category"]}}
                if status == "sent":
                    st["conversation"]["expiration_timestamp"] = str(int(ts) + WINDOW_S)
            st["pricing"] = dict(msg["pricing"])
        return st

    def queue_statuses(self, msg, outcome, shape):
        """Called under the store lock while recording an accepted message."""
        s = self.store.settings
        if not s["webhook_url"]:
            return
        now = self.store.now()
        if outcome[1] is not None:
            plan = [("failed", outcome[1])]
        else:
            plan = {"none": [], "sent_only": ["sent"], "delivered": ["sent", "delivered"],
                    "read": ["sent", "delivered", "read"]}[s["statuses"]]
            plan = [(p, None) for p in plan]
            if s["statuses"] == "read" and shape.chance(0.3):
                plan = [p for p in plan if p[0] != "delivered"]  # documented: delivered implied by read
        conv = shape.chance(0.5)
        items = [self.status_item(msg, st, now + i, err, with_conversation=conv and st == "sent")
                 for i, (st, err) in enumerate(plan)]
        # batching: Meta may put several statuses in one notification
        batches = []
        for it in items:
            if batches and shape.chance(0.3):
                batches[-1].append(it)
            else:
                batches.append([it])
        delay = s["webhook_delay_ms"] / 1000.0
        for n, batch in enumerate(batches):
            payload = shape.order(self.envelope("statuses", batch))
            labels = [b["status"] for b in batch]
            self.enqueue(payload, "status", msg["wamid"], labels, delay * (n + 1), shape)
            msg["statuses"] += labels
            if shape.chance(0.1):  # at-least-once delivery: the same notification twice
                self.enqueue(payload, "status", msg["wamid"], labels, delay * (n + 1) + 0.05, shape, duplicate=True)

    def queue_inbound(self, wa_id, text, name, shape):
        s = self.store.settings
        if not s["webhook_url"]:
            return None
        seq = self.store.next_seq()
        mid = make_wamid(self.store.rng("inbound", seq), wa_id)
        payload = shape.order(self.envelope(
            "messages", [{"from": wa_id, "id": mid, "timestamp": str(int(self.store.now())), "type": "text",
                          "text": {"body": text}}],
            contacts=[{"profile": {"name": name}, "wa_id": wa_id}]))
        self.enqueue(payload, "inbound", mid, ["inbound"], s["webhook_delay_ms"] / 1000.0, shape)
        return mid

    def enqueue(self, payload, kind, key, labels, delay, shape, duplicate=False):
        seq = self.store.next_seq()
        self.store.data["outbox"].append({
            "seq": seq, "kind": kind, "key": key, "labels": labels, "payload": payload,
            "due": time.time() + delay, "attempts": [], "duplicate": duplicate,
            "escape_slashes": shape.chance(0.5), "sha1_header": shape.chance(0.5),
            "ordered": not shape.varied})
        self.wake.set()

    # -- delivery

    def next_item(self):
        with self.store.lock:
            outbox = self.store.data["outbox"]
            now = time.time()
            best = None
            for it in outbox:
                if it["due"] > now:
                    continue
                if it["ordered"] and any(o["key"] == it["key"] and o["seq"] < it["seq"] for o in outbox):
                    continue  # documented shape: statuses of one message arrive in order
                if best is None or it["due"] < best["due"]:
                    best = it
            return json.loads(json.dumps(best)) if best else None

    def run(self):
        while True:
            item = self.next_item()
            if item is None:
                self.wake.wait(0.05)
                self.wake.clear()
                continue
            try:
                self.deliver(item)
            except Exception:  # a bug must show on stderr, not kill deliveries
                traceback.print_exc()
                time.sleep(0.2)

    def deliver(self, item):
        with self.store.lock:
            s = self.store.settings
            url, secret, max_attempts = s["webhook_url"], s["app_secret"], s["webhook_max_attempts"]
        text = json.dumps(item["payload"], separators=(",", ":"), ensure_ascii=True)
        if item["escape_slashes"]:
            text = text.replace("/", "\\/")
        raw = text.encode("ascii")
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
                   "Accept": "*/*"}
        signature = None
        if secret:
            signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = signature
            if item["sha1_header"]:
                headers["X-Hub-Signature"] = "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
        attempt = {"time": time.time()}
        if not url:
            attempt["error"] = "no webhook_url configured"
        else:
            try:
                req = urllib.request.Request(url, data=raw, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    attempt["http_status"] = resp.status
                    resp.read()
            except urllib.error.HTTPError as e:
                attempt["http_status"] = e.code
            except Exception as e:
                attempt["error"] = f"{type(e).__name__}: {e}"
        ok = 200 <= attempt.get("http_status", 0) < 300
        with self.store.lock:
            outbox = self.store.data["outbox"]
            live = next((o for o in outbox if o["seq"] == item["seq"]), None)
            if live is None:  # reset_ledger meanwhile
                return
            live["attempts"].append(attempt)
            done = ok or not url or len(live["attempts"]) >= max_attempts
            if done:
                outbox.remove(live)
                self.store.data["webhooks"].append({
                    "seq": live["seq"], "kind": live["kind"], "wamid": live["key"] if live["kind"] == "status" else None,
                    "message_id": live["key"] if live["kind"] == "inbound" else None,
                    "statuses": live["labels"] if live["kind"] == "status" else [], "url": url,
                    "signature": signature, "duplicate": live["duplicate"], "body": live["payload"],
                    "attempts": live["attempts"], "delivered": ok,
                    "http_status": live["attempts"][-1].get("http_status")})
            else:
                live["due"] = time.time() + self.BACKOFF[min(len(live["attempts"]) - 1, len(self.BACKOFF) - 1)]
            self.store.save()
        if self.args.verbose:
            sys.stderr.write(f"fake_whatsapp: webhook {item['kind']} {item['labels']} -> "
                             f"{attempt.get('http_status', attempt.get('error'))}\n")


# ---------------------------------------------------------------- control plane

class Control:
    KEYS = {"faults", "clear_faults", "token_expired", "not_on_whatsapp", "inbound", "window_now",
            "clock_offset_s", "templates", "media_ttl_s", "expire_media", "webhook_url", "app_secret",
            "statuses", "shape", "webhook_delay_ms", "webhook_max_attempts", "require_filename",
            "display_phone_number", "verified_name", "quality_rating", "reset_ledger"}

    def __init__(self, store, dispatcher):
        self.store, self.dispatcher = store, dispatcher

    def view(self):
        with self.store.lock:
            s = json.loads(json.dumps(self.store.settings))
        s["app_secret"] = "set" if s.get("app_secret") else None
        s["now"] = self.store.now()
        return s

    def apply(self, body):
        """Validate everything first, then apply, so a bad request changes nothing."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(body) - self.KEYS
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}; known: {sorted(self.KEYS)}")

        def boolean(k):
            if k in body and not isinstance(body[k], bool):
                raise ValueError(f"{k} must be true or false")

        def integer(k, lo=0, nullable=False):
            if k in body:
                v = body[k]
                if v is None and nullable:
                    return
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < lo:
                    raise ValueError(f"{k} must be a number >= {lo}" + (" or null" if nullable else ""))

        def string(k, nullable=True):
            if k in body and not (isinstance(body[k], str) or (nullable and body[k] is None)):
                raise ValueError(f"{k} must be a string" + (" or null" if nullable else ""))

        for k in ("clear_faults", "token_expired", "require_filename", "reset_ledger"):
            boolean(k)
        integer("window_now", 0, nullable=True)
        integer("media_ttl_s", 0)
        integer("webhook_delay_ms", 0)
        integer("webhook_max_attempts", 1)
        if "clock_offset_s" in body and (not isinstance(body["clock_offset_s"], (int, float))
                                         or isinstance(body["clock_offset_s"], bool)):
            raise ValueError("clock_offset_s must be a number")
        for k in ("webhook_url", "app_secret"):
            string(k)
        for k in ("display_phone_number", "verified_name", "quality_rating"):
            string(k, nullable=False)
        if body.get("webhook_url") and urlsplit(body["webhook_url"]).scheme not in ("http", "https"):
            raise ValueError("webhook_url must be an http(s) URL")
        if "statuses" in body and body["statuses"] not in STATUS_MODES:
            raise ValueError(f"statuses must be one of {STATUS_MODES}")
        if "shape" in body and body["shape"] not in ("documented", "varied"):
            raise ValueError("shape must be 'documented' or 'varied'")
        faults = body.get("faults", {})
        if not isinstance(faults, dict) or set(faults) - set(FAULT_ROUTES):
            raise ValueError(f"faults must be an object with keys among {FAULT_ROUTES}")
        for route, items in faults.items():
            if not isinstance(items, list):
                raise ValueError(f"faults.{route} must be a list")
            for item in items:
                validate_fault(route, item)
        if "not_on_whatsapp" in body:
            if not isinstance(body["not_on_whatsapp"], list) or not all(
                    isinstance(n, str) and digits_of(n) for n in body["not_on_whatsapp"]):
                raise ValueError("not_on_whatsapp must be a list of phone numbers (strings)")
        inbound = []
        for item in body.get("inbound", []) or []:
            if isinstance(item, str):
                item = {"from": item}
            if not isinstance(item, dict) or not isinstance(item.get("from"), str) or not digits_of(item["from"]):
                raise ValueError("inbound items are numbers or {\"from\", \"text\", \"name\"} objects")
            inbound.append({"from": digits_of(item["from"]), "text": str(item.get("text", "Halo")),
                            "name": str(item.get("name", "Pelanggan"))})
        templates = body.get("templates", [])
        if not isinstance(templates, list):
            raise ValueError("templates must be a list")
        for t in templates:
            if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not isinstance(t.get("language"), str):
                raise ValueError("a template needs a name and a language (strings)")
            if set(t) - {"name", "language", "category", "status", "header", "body_params", "header_params",
                         "button_params", "delete"}:
                raise ValueError(f"unknown template keys in {t!r}")
            if t.get("category", "UTILITY") not in TEMPLATE_CATEGORIES:
                raise ValueError(f"template category must be one of {TEMPLATE_CATEGORIES}")
            if t.get("status", "APPROVED") not in TEMPLATE_STATUSES:
                raise ValueError(f"template status must be one of {TEMPLATE_STATUSES}")
            if t.get("header") not in TEMPLATE_HEADERS and t.get("header") != "NONE":
                raise ValueError(f"template header must be one of {TEMPLATE_HEADERS}")
            for k in ("body_params", "header_params", "button_params"):
                if k in t and (not isinstance(t[k], int) or isinstance(t[k], bool) or t[k] < 0):
                    raise ValueError(f"template {k} must be a non-negative integer")
        expire = body.get("expire_media", [])
        if not isinstance(expire, list):
            raise ValueError("expire_media must be a list of media ids")
        with self.store.lock:
            for mid in expire:
                if self.store.media(str(mid)) is None:
                    raise ValueError(f"expire_media: no upload with id {mid!r}")
            s = self.store.settings
            if body.get("reset_ledger"):
                for k, v in EMPTY_LEDGER.items():
                    self.store.data[k] = json.loads(json.dumps(v))
            if body.get("clear_faults"):
                for r in FAULT_ROUTES:
                    s["faults"][r] = []
            for route, items in faults.items():
                s["faults"][route].extend(items)
            for k in ("token_expired", "window_now", "clock_offset_s", "media_ttl_s", "webhook_url", "app_secret",
                      "statuses", "shape", "webhook_delay_ms", "webhook_max_attempts", "require_filename",
                      "display_phone_number", "verified_name", "quality_rating"):
                if k in body:
                    s[k] = body[k]
            if "not_on_whatsapp" in body:
                s["not_on_whatsapp"] = [digits_of(n) for n in body["not_on_whatsapp"]]
            for t in templates:
                s["templates"] = [c for c in s["templates"]
                                  if not (c["name"] == t["name"] and c["language"] == t["language"])]
                if not t.get("delete"):
                    header = None if t.get("header") in (None, "NONE") else t["header"]
                    s["templates"].append({
                        "name": t["name"], "language": t["language"], "category": t.get("category", "UTILITY"),
                        "status": t.get("status", "APPROVED"), "header": header,
                        "header_params": t.get("header_params", 1 if header == "TEXT" else 0),
                        "body_params": t.get("body_params", 0), "button_params": t.get("button_params", 0)})
            for mid in expire:
                self.store.media(str(mid))["expired"] = True
            for ib in inbound:
                self.store.data["windows"][ib["from"]] = self.store.now()
                shape = Shape(s["shape"] == "varied", self.store.rng("shape", "inbound", self.store.next_seq()))
                ib["message_id"] = self.dispatcher.queue_inbound(ib["from"], ib["text"], ib["name"], shape)
            self.store.save()
        out = self.view()
        if inbound:
            out["inbound_message_ids"] = [ib["message_id"] for ib in inbound]
        return out


# ---------------------------------------------------------------- HTTP

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, app):
        super().__init__(addr, handler)
        self.app = app
        self.aborted = set()
        self.aborted_lock = threading.Lock()

    def shutdown_request(self, request):
        with self.aborted_lock:
            abort = request in self.aborted
            self.aborted.discard(request)
        if abort:  # RST instead of FIN: the connection is dropped, as when a proxy loses it
            try:
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_request(request)
        else:
            super().shutdown_request(request)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_whatsapp"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass  # one line per request is written by dispatch() under --verbose, without secrets

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n)

    def send_raw(self, status, data, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def send_plain_json(self, status, obj):
        self.send_raw(status, json.dumps(obj, indent=1).encode(), "application/json")

    def abort(self):
        self.close_connection = True
        with self.server.aborted_lock:
            self.server.aborted.add(self.connection)

    def hang(self):
        """Never answer; return when the client closes (or after 10 minutes)."""
        conn = self.connection
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                r, _, _ = select.select([conn], [], [], 0.2)
                if r and not conn.recv(1, socket.MSG_PEEK):
                    break
                if r:
                    time.sleep(0.2)
            except OSError:
                break
        self.close_connection = True

    def verbose(self, method, path, status):
        if self.server.app.args.verbose:
            sys.stderr.write(f"fake_whatsapp: {method} {path} -> {status}\n")

    def route(self, method, segments):
        pnid = self.server.app.args.phone_number_id
        if len(segments) == 2 and segments[1] == "media" and method == "POST":
            return "media"
        if len(segments) == 2 and segments[1] == "messages" and method == "POST":
            return "messages"
        if len(segments) == 1 and segments[0] == pnid and method == "GET":
            return "phone"
        if len(segments) == 1 and method in ("GET", "DELETE") and segments[0] != pnid:
            return "media_info"
        return "other"

    def dispatch(self, method):
        app = self.server.app
        store = app.store
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            raw = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.send_plain_json(413, {"error": {"message": "Request Entity Too Large", "code": 1}})
        if url.path == "/_control":
            try:
                if method == "POST":
                    body = json.loads(raw or b"{}")
                    return self.send_plain_json(200, app.control.apply(body))
                return self.send_plain_json(200, app.control.view())
            except ValueError as e:
                return self.send_plain_json(400, {"error": str(e)})
        if url.path == "/_ledger" and method == "GET":
            return self.send_plain_json(200, app.ledger_view())

        m = re.match(r"^/(v\d+\.\d+)(/.*)?$", url.path)
        version = m.group(1) if m else None
        rest = (m.group(2) or "/") if m else url.path
        segments = [seg for seg in rest.split("/") if seg]
        route = self.route(method, segments)
        n = store.count(route)
        with store.lock:
            varied = store.settings["shape"] == "varied"
        shape = Shape(varied, store.rng("shape", route, n))
        fault = store.take_fault(route) if route in FAULT_ROUTES else None
        kind = fault["kind"] if fault else None
        base_headers = [("facebook-api-version", version or DEFAULT_GRAPH_VERSION),
                        ("x-fb-request-id", fbtrace(shape.rng)), ("x-fb-trace-id", fbtrace(shape.rng)[:11]),
                        ("x-fb-rev", str(1000000000 + shape.rng.randrange(10 ** 8))),
                        ("Cache-Control", "private, no-cache, no-store, must-revalidate"),
                        ("Pragma", "no-cache"), ("Expires", "Sat, 01 Jan 2000 00:00:00 GMT"),
                        ("Access-Control-Allow-Origin", "*")]
        summary = self.summarize(route, raw)

        def refuse(err, fault_name=None):
            status = shape.pick(err.http, *err.alt_http) if err.alt_http else err.http
            body = error_body(err, shape)
            hdrs = base_headers + err.headers
            if status in (400, 401, 403, 404) and not any(h[0] == "WWW-Authenticate" for h in err.headers):
                hdrs.append(www_auth("invalid_request", err.message[:200]))
            store.reject({"time": store.now(), "received_at": time.time(), "route": route, "method": method,
                          "path": url.path, "http_status": status, "code": err.code,
                          "subcode": err.subcode if err.subcode_always else None, "message": err.message,
                          "reason": err.reason, "fault": fault_name, **summary})
            self.verbose(method, url.path, status)
            self.send_raw(status, shape.dumps(body), shape.content_type(), hdrs)

        if kind == "hang":
            store.reject({"time": store.now(), "received_at": time.time(), "route": route, "method": method,
                          "path": url.path, "http_status": None, "code": None, "message": None,
                          "reason": "fault: hang (no reply)", "fault": fault["raw"], **summary})
            self.verbose(method, url.path, "hang")
            return self.hang()
        if kind == "429":
            code = fault.get("code", 130429 if route != "phone" else 80007)
            if "code" not in fault and route == "messages" and shape.chance(0.5):
                code = 131056
            status = fault["status"] if "status" in fault else shape.pick(429, 400)
            extra = []
            if "retry_after" in fault:
                extra.append(("Retry-After", str(fault["retry_after"])))
            if not shape.chance(0.3):
                minutes = -(-fault.get("retry_after", 60) // 60)
                extra.append(("x-business-use-case-usage", json.dumps(
                    {self.server.app.args.waba_id: [{"type": "whatsapp", "call_count": 100, "total_cputime": 1,
                                                     "total_time": 1, "estimated_time_to_regain_access": minutes}]},
                    separators=(",", ":"))))
            err = wa_error(code, http=status, reason=f"fault {fault['raw']}", headers=extra) if code != 4 else \
                GraphError(status, 4, "(#4) Application request limit reached", reason=f"fault {fault['raw']}",
                           headers=extra)
            return refuse(err, fault["raw"])
        if kind == "500":
            code = shape.pick(131000, 131016)
            return refuse(wa_error(code, http=500, reason=f"fault {fault['raw']}"), fault["raw"])
        if kind == "503":
            extra = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            return refuse(GraphError(503, 2, "An unexpected error has occurred. Please retry your request later.",
                                     transient=True, reason=f"fault {fault['raw']}", headers=extra), fault["raw"])
        if kind == "token_expired":
            return refuse(token_expired_error(store.now()), fault["raw"])

        dropped = kind == "drop_after_accept"
        try:
            if version is None and not segments:
                raise GraphError(400, 2500, "Unknown path components: /", reason="no path")
            warn = app.api.auth(self.headers, query)
            reply = self.call(route, method, segments, query, raw, version, shape, dropped, [warn] if warn else [])
        except GraphError as err:
            if dropped:
                store.reject({"time": store.now(), "received_at": time.time(), "route": route, "method": method,
                              "path": url.path, "http_status": err.http, "code": err.code, "message": err.message,
                              "reason": err.reason, "fault": "drop_after_accept (refusal not delivered)", **summary})
                return self.abort()
            return refuse(err)
        except Exception as e:  # a bug in the fake must show, not look like an API answer
            traceback.print_exc()
            return self.send_plain_json(500, {"error": {"message": f"fake_whatsapp bug: {e!r}", "code": -1}})
        if dropped:  # the work is done and persisted; the client never hears of it
            self.verbose(method, url.path, "dropped")
            return self.abort()
        self.verbose(method, url.path, reply.status)
        self.send_raw(reply.status, shape.dumps(reply.body), shape.content_type(), base_headers + reply.headers)

    def call(self, route, method, segments, query, raw, version, shape, dropped, warnings):
        api, pnid = self.server.app.api, self.server.app.args.phone_number_id
        if route == "phone":
            return api.phone(shape, query)
        if route == "media_info":
            return api.media_info(shape, method, segments[0])
        if route in ("media", "messages"):
            if segments[0] != pnid:
                raise unsupported("POST", segments[0])
            if route == "media":
                return api.upload(shape, self.headers, raw, dropped, warnings)
            return api.send(shape, self.headers, raw, version, dropped, warnings)
        if len(segments) >= 2 and segments[0] == pnid and segments[1] not in ("media", "messages"):
            raise GraphError(400, 2500, f"Unknown path components: /{'/'.join(segments[1:])}",
                             reason="unknown edge")
        raise unsupported(method, segments[0] if segments else "")

    @staticmethod
    def summarize(route, raw):
        """What a test needs to find a refused request in the ledger (never the token)."""
        if route != "messages":
            return {}
        try:
            b = json.loads(raw)
            out = {"to": b.get("to"), "type": b.get("type")}
            if isinstance(b.get("template"), dict):
                out["template"] = b["template"].get("name")
            return out
        except Exception:
            return {}


class App:
    def __init__(self, args):
        self.args = args
        self.store = Store(args)
        self.dispatcher = Dispatcher(args, self.store)
        self.api = Api(args, self.store, self.dispatcher)
        self.control = Control(self.store, self.dispatcher)

    def ledger_view(self):
        with self.store.lock:
            d = json.loads(json.dumps(self.store.data))
        return {"uploads": d["uploads"], "messages": d["messages"], "webhooks": d["webhooks"],
                "rejected": d["rejected"], "windows": d["windows"], "requests": d["requests"],
                "pending_webhooks": [{k: o[k] for k in ("seq", "kind", "key", "labels", "attempts")}
                                     for o in d["outbox"]]}


def main():
    p = argparse.ArgumentParser(description="Reference fake of Meta's WhatsApp Business Cloud API for loket's tests.")
    p.add_argument("--port", type=int, required=True, help="0 = any free port")
    p.add_argument("--state", required=True, help="ledger directory; reuse it to continue after a kill")
    p.add_argument("--token", required=True, help="the access token the fake accepts")
    p.add_argument("--phone-number-id", required=True, help="the business phone number id in the path")
    p.add_argument("--waba-id", default="102290129340398", help="WhatsApp Business Account id (webhook entry.id)")
    p.add_argument("--app-secret", default=None, help="signs webhooks (X-Hub-Signature-256)")
    p.add_argument("--seed", type=int, default=0, help="seed of the reply-variation RNG and of generated ids")
    p.add_argument("--verbose", action="store_true", help="one line per request and webhook on stderr")
    args = p.parse_args()
    app = App(args)
    server = Server(("127.0.0.1", args.port), Handler, app)
    app.dispatcher.start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
