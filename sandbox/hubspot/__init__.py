"""A HubSpot look-alike over real HTTP: OAuth, CRM v3 contacts and properties,
webhooks, rate limits and faults. See sandbox/README.md.
"""

from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]
