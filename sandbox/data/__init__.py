"""Data files shipped with the sandbox; see ATTRIBUTION.md."""
