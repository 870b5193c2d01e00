"""Raw EC2 Query-protocol requests, signed with botocore's own SigV4 signer, so a test controls
every byte on the wire (headers, body, date, credential scope) and sees the raw XML answer.

Used by test_protocol.py and test_shapes.py. Not a test module itself.
"""
import datetime
import re
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

import botocore.auth
import botocore.credentials
import requests
from botocore.awsrequest import AWSRequest

from conftest import ACCOUNTS

API_VERSION = "2016-11-15"
XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class Reply:
    """One HTTP answer: status, headers, raw body and (if it is XML) the parsed tree."""

    def __init__(self, resp):
        self.status = resp.status_code
        self.headers = resp.headers
        self.body = resp.content
        try:
            self.root = ET.fromstring(self.body)
        except ET.ParseError:
            self.root = None

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:400]!r}>"

    @property
    def tag(self):
        """Root element name without namespace."""
        return local(self.root.tag) if self.root is not None else None

    @property
    def namespace(self):
        m = re.match(r"\{(.*)\}", self.root.tag) if self.root is not None else None
        return m.group(1) if m else None

    @property
    def error_code(self):
        """Code of the first <Response><Errors><Error><Code>, or None."""
        return self._error_field("Code")

    @property
    def error_message(self):
        return self._error_field("Message")

    def _error_field(self, name):
        # Namespace-tolerant on purpose: the document shape is asserted separately.
        if self.root is None or local(self.root.tag) != "Response":
            return None
        for errors in self.root:
            if local(errors.tag) == "Errors":
                for error in errors:
                    for field in error:
                        if local(field.tag) == name:
                            return field.text
        return None

    def find(self, name):
        """First descendant element whose local name is `name` (namespace ignored)."""
        if self.root is None:
            return None
        for el in self.root.iter():
            if local(el.tag) == name:
                return el
        return None

    def findall(self, name):
        if self.root is None:
            return []
        return [el for el in self.root.iter() if local(el.tag) == name]

    def text(self, name):
        el = self.find(name)
        return el.text if el is not None else None


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def encode(params):
    """Form-encode like botocore does (RFC 3986, '~' unescaped); a list of pairs keeps order."""
    items = params.items() if isinstance(params, dict) else params
    def q(x):  # bytes go as they are (a test may send bytes that are not UTF-8)
        return urllib.parse.quote(x if isinstance(x, bytes) else str(x), safe='-_.~')
    return "&".join(f"{q(k)}={q(v)}" for k, v in items)


def with_action(action, params=None, version=API_VERSION):
    out = [("Action", action)]
    if version is not None:
        out.append(("Version", version))
    if params:
        out.extend(params.items() if isinstance(params, dict) else params)
    return out


def build(endpoint, action, params=None, *, method="POST", region="us-east-1", account="default",
          access_key=None, secret=None, service="ec2", when=None, sign=True, version=API_VERSION,
          presign=False, expires=300):
    """Build and sign an AWSRequest; returns (url, headers dict, body bytes).

    `when` (datetime, UTC) overrides the signing clock (X-Amz-Date and credential-scope date).
    `presign` signs in the query string (X-Amz-Algorithm, X-Amz-Credential, ..., X-Amz-Signature)."""
    ak, sk, _ = ACCOUNTS[account]
    ak = access_key if access_key is not None else ak
    sk = secret if secret is not None else sk
    query = encode(with_action(action, params, version)) if action is not None else encode(params or [])
    if method == "POST" and not presign:
        req = AWSRequest(method="POST", url=endpoint + "/", data=query.encode(),
                         headers={"Content-Type": FORM})
    else:
        req = AWSRequest(method="GET", url=endpoint + "/?" + query)
    if sign:
        creds = botocore.credentials.Credentials(ak, sk)
        signer = (botocore.auth.SigV4QueryAuth(creds, service, region, expires=expires) if presign
                  else botocore.auth.SigV4Auth(creds, service, region))
        if when is not None:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                signer.add_auth(req)
        else:
            signer.add_auth(req)
    prepared = req.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return prepared.url, dict(prepared.headers), body


def send(method, url, headers, body=b""):
    resp = requests.request(method, url, headers=headers, data=body if body else None,
                            timeout=30, allow_redirects=False)
    return Reply(resp)


def call(endpoint, action, params=None, *, method="POST", **kw):
    """Sign and send one request; returns a Reply."""
    presign = kw.get("presign", False)
    url, headers, body = build(endpoint, action, params, method=method, **kw)
    return send("GET" if presign or method == "GET" else method, url, headers, body)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
