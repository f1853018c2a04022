"""The baseline for bench/ingest.py: a Flask endpoint that reads the body and answers."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/hubspot")
def bare():
    request.get_data()
    return {"stored": 0}
