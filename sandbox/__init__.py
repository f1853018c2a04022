"""CRM look-alikes that speak real HTTP, for the demo, the tests and the benchmarks.

`sandbox.hubspot` imitates the parts of HubSpot this product uses: OAuth, CRM v3
contacts and properties, webhooks, rate limits and failures.
"""
