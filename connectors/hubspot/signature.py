"""HubSpot request signatures, v1, v2 and v3.

https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests
The sandbox signs with these functions and the receiver checks with them; the
tests pin both to the vectors published with HubSpot's own client libraries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# v3 decodes exactly these escapes in the request URI before hashing; everything
# else (including %20) stays encoded. HubSpot documents the upper-case forms only.
V3_DECODED_ESCAPES = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_V3_ESCAPE = re.compile("|".join(re.escape(key) for key in V3_DECODED_ESCAPES))


def v3_canonical_uri(uri: str) -> str:
    return _V3_ESCAPE.sub(lambda match: V3_DECODED_ESCAPES[match.group(0)], uri)


def sign_v1(client_secret: str, body: bytes) -> str:
    return hashlib.sha256(client_secret.encode() + body).hexdigest()


def sign_v2(client_secret: str, method: str, uri: str, body: bytes) -> str:
    source = client_secret.encode() + method.upper().encode() + uri.encode() + body
    return hashlib.sha256(source).hexdigest()


def sign_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + v3_canonical_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def matches(expected: str, received: str) -> bool:
    """Constant-time comparison, so timing reveals nothing about the right value."""
    return hmac.compare_digest(expected.encode(), received.strip().encode())
