"""HubSpot's signature rules, pinned to the vectors published with its client libraries."""

from __future__ import annotations

import pytest

from connectors.errors import WebhookRejected
from connectors.hubspot import signature, webhooks

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
# The v1 example body of HubSpot's validation guide and the Node client's tests.
V1_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
URI = "https://www.example.com/webhook_uri"
# hubspot-api-python tests/spec/utils/test_signature.py
PY_BODY = b"{'example_field':'example_value'}"


def test_v1_vector_from_the_validation_guide():
    assert len(V1_BODY) == 207
    expected = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    assert signature.sign_v1(SECRET, V1_BODY) == expected


def test_v2_vectors_from_the_validation_guide():
    get = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    post = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
    assert signature.sign_v2(SECRET, "GET", URI, b"") == get
    assert signature.sign_v2(SECRET, "POST", URI, b'{"example_field":"example_value"}') == post


def test_vectors_of_the_python_client():
    assert signature.sign_v1(SECRET, PY_BODY) == (
        "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    )
    assert signature.sign_v2(SECRET, "POST", URI, PY_BODY) == (
        "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    )
    v3 = signature.sign_v3(SECRET, "POST", URI, PY_BODY, "1693657560000")
    assert v3 == "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (URI, "ecWWq6SLunL3htE3leWhW3cjrE6R0rZmBOcQ2bf4D40="),
        # %3A is one of the escapes HubSpot decodes before hashing...
        (URI + "?state=a%3Ab", "aFm1uWWmLG35nphd8W7MIVdxS9tfUo1TezSLyvs4sNY="),
        # ...and %20 is not.
        (URI + "?q=a%20b", "H0Lkbv2IUUwdnlvdqiTxMRqUw6eZrtYtoq6ON/kgYOo="),
    ],
)
def test_v3_decodes_only_the_documented_escapes(uri, expected):
    assert signature.sign_v3(SECRET, "POST", uri, V1_BODY, "1693657560000") == expected


def test_v3_canonical_uri_keeps_other_escapes():
    raw = "https://h/p%2Fq?a=%3A%40%21%24%27%28%29%2A%2C%3B%3F&b=%20%25"
    assert signature.v3_canonical_uri(raw) == "https://h/p/q?a=:@!$'()*,;?&b=%20%25"


def _request(headers, body=V1_BODY, uri=URI):
    return webhooks.SignedRequest("POST", uri, body, headers)


def _v3_headers(timestamp: str, body=V1_BODY, uri=URI):
    return {
        webhooks.HEADER_V3: signature.sign_v3(SECRET, "POST", uri, body, timestamp),
        webhooks.HEADER_TIMESTAMP: timestamp,
    }


def test_verify_accepts_a_fresh_v3_signature():
    now = 1_700_000_000_000
    request = _request(_v3_headers(str(now - 1000)))
    assert webhooks.verify(request, SECRET, now_ms=now) == "v3"


@pytest.mark.parametrize(
    ("offset_ms", "reason"),
    [(-301_000, "stale-timestamp"), (120_000, "future-timestamp")],
)
def test_verify_rejects_old_and_future_timestamps(offset_ms, reason):
    now = 1_700_000_000_000
    request = _request(_v3_headers(str(now + offset_ms)))
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(request, SECRET, now_ms=now)
    assert (caught.value.status, caught.value.reason) == (401, reason)


def test_verify_rejects_a_signature_over_another_body():
    now = 1_700_000_000_000
    request = _request(_v3_headers(str(now)), body=V1_BODY + b" ")
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(request, SECRET, now_ms=now)
    assert caught.value.reason == "bad-signature"


def test_legacy_versions_only_when_configured():
    headers = {
        webhooks.HEADER_LEGACY: signature.sign_v1(SECRET, V1_BODY),
        webhooks.HEADER_VERSION: "v1",
    }
    with pytest.raises(WebhookRejected) as caught:
        webhooks.verify(_request(headers), SECRET, versions=("v3",))
    assert caught.value.reason == "missing-signature"
    assert webhooks.verify(_request(headers), SECRET, versions=("v3", "v1")) == "v1"
    v2 = {
        webhooks.HEADER_LEGACY: signature.sign_v2(SECRET, "POST", URI, V1_BODY),
        webhooks.HEADER_VERSION: "v2",
    }
    assert webhooks.verify(_request(v2), SECRET, versions=("v2",)) == "v2"


def test_dedup_key_ignores_the_attempt_number_only():
    event = {"eventId": 1, "objectId": 5, "occurredAt": 10, "attemptNumber": 0}
    retry = dict(event, attemptNumber=3)
    other = dict(event, occurredAt=11)
    assert webhooks.dedup_key(event) == webhooks.dedup_key(retry)
    assert webhooks.dedup_key(event) != webhooks.dedup_key(other)
