"""Whatever arrives, the receivers answer below 500 and explain a rejection in JSON."""

from __future__ import annotations

import json
import random

from tests.conftest import HUBSPOT_SECRET
from tests.factories import hubspot_event, make_installation, signed_headers

PIECES = [
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b'"',
    b":",
    b"null",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\xff",
    b"\x00",
    b"true",
    b'"portalId"',
    b"[]",
    b"{}",
    b"9" * 40,
    "é".encode(),
]


def random_body(rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        event = hubspot_event()
        for key in rng.sample(sorted(event), 3):
            event[key] = rng.choice([None, "", [], {}, -1, 2**70, "x" * 50, True, 1.5])
        return json.dumps([event]).encode()
    return b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))


def test_random_bodies_signed_or_not_never_cause_a_500(client):
    make_installation()
    rng = random.Random(20261203)
    for _ in range(300):
        body = random_body(rng)
        headers = (
            signed_headers(body, HUBSPOT_SECRET)
            if rng.random() < 0.7
            else {
                "Content-Type": rng.choice(
                    ["application/json", "text/html", "", "application/json; charset=latin-1"]
                ),
                "X-HubSpot-Signature-v3": rng.choice(["", "=", "a" * 500, "ü"]),
                "X-HubSpot-Request-Timestamp": rng.choice(["", "0", "9" * 30, "1e3", " 12"]),
            }
        )
        response = client.post(
            "/webhooks/hubspot" + rng.choice(["", "?a=%3A", "?%ff"]), data=body, headers=headers
        )
        assert response.status_code < 500, (body, headers, response.json)
        if response.status_code >= 400:
            assert response.json["error"]["message"]


def test_generic_receiver_never_causes_a_500(client):
    installation_id = make_installation()
    rng = random.Random(7)
    for _ in range(100):
        body = random_body(rng)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": rng.choice(["", "msg_1", "\x7f"]),
            "webhook-timestamp": rng.choice(["", "1", "nan", "9" * 25]),
            "webhook-signature": rng.choice(["", "v1,", "v1,@@@", "v1,AAAA v2,BBBB", ","]),
        }
        for target in (installation_id, 999):
            response = client.post(f"/webhooks/generic/{target}", data=body, headers=headers)
            assert response.status_code < 500, (body, headers, response.json)
