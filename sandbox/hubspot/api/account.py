"""Account information of the portal a token belongs to.

https://developers.hubspot.com/docs/api/settings/account-information-api
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

blueprint = Blueprint("account", __name__)


@blueprint.get("/account-info/v3/details")
def details() -> Response:
    # Values of a plain standard account; the sandbox keeps every time in UTC.
    return jsonify(
        {
            "portalId": g.portal_id,
            "accountType": "STANDARD",
            "timeZone": "Etc/UTC",
            "companyCurrency": "EUR",
            "additionalCurrencies": [],
            "utcOffset": "+00:00",
            "utcOffsetMilliseconds": 0,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }
    )
