"""Alembic revisions; shipped inside the package so `holisticrm db upgrade` finds them."""
