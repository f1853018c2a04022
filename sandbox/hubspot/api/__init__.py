"""HTTP endpoints of the HubSpot look-alike, one blueprint per module."""
