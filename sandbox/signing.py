"""Signed result URLs in the object-storage style the real service hands out.

``/results/{object}?Expires=<unix>&OSSAccessKeyId=<id>&Signature=<b64 hmac-sha1>`` where the
signature covers ``GET\\n\\n\\n{Expires}\\n/{bucket}/{object}`` like an OSS V1 presigned URL.
``verify`` answers what OSS would: a request carrying an ``Authorization`` header or a wrong
signature is ``SignatureDoesNotMatch``; a good signature past ``Expires`` is ``AccessDenied``
"Request has expired.".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

BUCKET = "dashscope-result-sandbox"
RESULTS_PREFIX = "/results/"


@dataclass(frozen=True)
class Denial:
    """Why a download is refused: the OSS error code and message (HTTP 403)."""

    code: str
    message: str
    extra: dict[str, str]


class Signer:
    def __init__(self, secret: str, access_key_id: str) -> None:
        self._secret = secret.encode()
        self.access_key_id = access_key_id

    def signature(self, object_name: str, expires: int) -> str:
        text = f"GET\n\n\n{expires}\n/{BUCKET}/{object_name}"
        digest = hmac.new(self._secret, text.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def url(self, origin: str, object_name: str, expires_at: float) -> str:
        expires = math.ceil(expires_at)
        sig = quote(self.signature(object_name, expires), safe="")
        return (f"{origin}{RESULTS_PREFIX}{object_name}?Expires={expires}"
                f"&OSSAccessKeyId={quote(self.access_key_id, safe='')}&Signature={sig}")

    def verify(self, object_name: str, query: Mapping[str, str], has_authorization: bool,
               now: float) -> Denial | None:
        """``None`` when the download may proceed, else what OSS would refuse it with."""
        mismatch = Denial("SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your key and signing method.", {})
        if has_authorization:
            return mismatch
        expires_text = query.get("Expires", "")
        signature = query.get("Signature")
        if not signature or not expires_text.isdigit() or "OSSAccessKeyId" not in query:
            return Denial("AccessDenied", "AccessDenied: anonymous access is forbidden for this bucket.",
                          {})
        if query["OSSAccessKeyId"] != self.access_key_id:
            return Denial("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist.", {})
        expires = int(expires_text)
        if not hmac.compare_digest(signature, self.signature(object_name, expires)):
            return mismatch
        if now > expires:
            return Denial("AccessDenied", "Request has expired.",
                          {"Expires": str(expires), "ServerTime": str(int(now))})
        return None
