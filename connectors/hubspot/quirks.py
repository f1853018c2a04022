"""HubSpot's limits, names and habits, as data in one place.

Sources: /work/shared/reference/hubspot.md summarises them, with links to
https://developers.hubspot.com/docs/api/usage-details and the webhooks guide.
"""

from __future__ import annotations

from connectors.base import ScoreField

SLUG = "hubspot"

# Batch endpoints of the CRM v3 API take at most 100 inputs.
BATCH_SIZE = 100
LIST_PAGE_SIZE = 100
# Marketplace apps get 110 requests per 10 s per account; we aim a little under, so
# that our own clocks and HubSpot's never disagree into a 429.
RATE_LIMIT = "105/10seconds"
# How long to wait on a 429 without a Retry-After header, by HubSpot policy name.
RATE_LIMIT_WAIT_S = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0, "DAILY": 3600.0}
DEFAULT_RATE_LIMIT_WAIT_S = 10.0

SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
)


PROPERTY_GROUP = {"name": "holisticrm_scoring", "label": "HolistiCrm Scoring", "displayOrder": -1}
SCORE_FIELDS = (
    ScoreField(
        "score",
        "holisticrm_score",
        "AI score (0-100)",
        "number",
        "How likely this contact is to reach the outcome the admin defined.",
    ),
    ScoreField(
        "tier",
        "holisticrm_tier",
        "AI tier",
        "enumeration",
        "A is the best quarter of contacts, D the last.",
        ("A", "B", "C", "D"),
    ),
    ScoreField(
        "next_action",
        "holisticrm_next_action",
        "AI next best action",
        "string",
        "What the model suggests doing next with this contact.",
    ),
    ScoreField(
        "reasons",
        "holisticrm_reasons",
        "AI score reasons",
        "string",
        "The main reasons behind the score, in plain words.",
    ),
    ScoreField(
        "scored_at",
        "holisticrm_scored_at",
        "AI scored at",
        "datetime",
        "When the score was last computed.",
    ),
    ScoreField(
        "model_version",
        "holisticrm_model_version",
        "AI model version",
        "string",
        "The model that computed the score.",
    ),
)
# Never features (see Connector.non_feature_properties).
NON_FEATURE_PROPERTIES = frozenset(
    {
        "hs_object_id",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "hs_updated_by_user_id",
        "hs_all_accessible_team_ids",
        "hs_user_ids_of_all_owners",
        "hubspot_owner_id",
        "email",
        "hs_email_domain",
        "firstname",
        "lastname",
        "phone",
        "mobilephone",
        "fax",
        "address",
        "hs_ip_timezone",
    }
)

# How each of our field types is declared to HubSpot (type, fieldType).
FIELD_TYPES = {
    "number": ("number", "number"),
    "string": ("string", "textarea"),
    "enumeration": ("enumeration", "select"),
    "datetime": ("datetime", "date"),
}

# Webhook subscription types -> normalized kinds; anything else is acknowledged and
# ignored (associations, other objects, conversations...).
CONTACT_EVENT_KINDS = {
    "contact.creation": "created",
    "contact.propertyChange": "property_changed",
    "contact.deletion": "deleted",
    "contact.privacyDeletion": "privacy_deleted",
    "contact.merge": "merged",
    "contact.restore": "restored",
}
# Generic `object.*` subscriptions carry objectTypeId; 0-1 is the contact.
CONTACT_OBJECT_TYPE_ID = "0-1"
