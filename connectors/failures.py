"""One table that says what an HTTP failure means, for every connector.

Each row: which answers it covers, the error raised, whose fault it is, and
whether the client itself retries before giving up to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors import errors


@dataclass(frozen=True)
class Failure:
    error: type[errors.ConnectorError]
    fault: str  # transient | configuration | ours | customer
    retry_in_client: bool


# Looked up by exact status first, then by class (4 -> 4xx, 5 -> 5xx).
BY_STATUS: dict[int, Failure] = {
    401: Failure(errors.AuthExpired, "transient", retry_in_client=True),  # refresh, then once
    403: Failure(errors.Permanent, "configuration", retry_in_client=False),  # missing scope
    404: Failure(errors.Permanent, "customer", retry_in_client=False),
    408: Failure(errors.Retryable, "transient", retry_in_client=True),
    409: Failure(errors.Permanent, "customer", retry_in_client=False),
    429: Failure(errors.RateLimited, "transient", retry_in_client=True),
}
BY_CLASS: dict[int, Failure] = {
    4: Failure(errors.Permanent, "ours", retry_in_client=False),
    5: Failure(errors.Retryable, "transient", retry_in_client=True),
}
# No answer at all: connection refused or reset, time-outs.
NETWORK = Failure(errors.Retryable, "transient", retry_in_client=True)


def classify(status: int) -> Failure:
    return BY_STATUS.get(status) or BY_CLASS.get(status // 100) or BY_CLASS[5]
