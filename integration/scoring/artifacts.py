"""Safe serialization of trained models: skops with an allow list, plus a sha256.

Plain pickle would run whatever code a tampered file names. skops only rebuilds
types it is told to trust; we trust exactly the scikit-learn, numpy and scipy
types our two pipelines contain, and check the hash before even looking inside.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import skops.io as sio

from integration.scoring.errors import ArtifactError

FORMAT = 1
FILE_MAGIC = b"HOLISTICRM-MODEL"

# Beyond skops' own defaults (builtins, numpy arrays, most of scikit-learn), these
# are what HistGradientBoostingClassifier and the spline logistic pipeline hold.
TRUSTED_TYPES = frozenset(
    {
        "functools.partial",
        "numpy.dtype",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
        "scipy.interpolate._bsplines.BSpline",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.utils.validation.check_array",
    }
)
# Loading takes ~0.2 s; the pipeline asks for the same champion batch after batch.
# Keyed by the verified sha256, so a cached bundle is exactly the bytes asked for.
CACHE_SIZE = 16
_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()
REQUIRED_KEYS = ("format", "kind", "estimator", "features", "reason_tables", "tier_cutoffs")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(bundle: dict[str, Any]) -> bytes:
    return sio.dumps(bundle)


def loads(data: bytes, expected_sha256: str | None) -> dict[str, Any]:
    """The bundle inside `data`, after the hash and the type allow list agree."""
    digest = sha256(data)
    if not expected_sha256 or not hmac.compare_digest(digest, expected_sha256):
        raise ArtifactError("the model artifact does not match its sha256; refusing to load it")
    with _cache_lock:
        if digest in _cache:
            _cache.move_to_end(digest)
            return _cache[digest]
    bundle = _unpack(data)
    with _cache_lock:
        _cache[digest] = bundle
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return bundle


def _unpack(data: bytes) -> dict[str, Any]:
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # skops raises assorted errors on malformed archives
        raise ArtifactError(f"the model artifact is not readable: {exc}") from exc
    unexpected = untrusted - TRUSTED_TYPES
    if unexpected:
        raise ArtifactError(f"the model artifact holds untrusted types: {sorted(unexpected)}")
    try:
        bundle = sio.loads(data, trusted=sorted(untrusted))
    except Exception as exc:  # as above: a damaged archive, whatever skops makes of it
        raise ArtifactError(f"the model artifact is not readable: {exc}") from exc
    if not isinstance(bundle, dict) or any(key not in bundle for key in REQUIRED_KEYS):
        raise ArtifactError("the model artifact is not a HolistiCrm model")
    if bundle["format"] != FORMAT:
        raise ArtifactError(f"unsupported model format {bundle['format']!r}")
    return bundle


def save_file(path: str | Path, bundle: dict[str, Any]) -> str:
    """Write a model file (magic line, sha256 line, skops payload); return the hash.

    The embedded hash catches corruption and edits made without re-hashing; the
    type allow list is what makes a deliberately crafted file harmless.
    """
    payload = dumps(bundle)
    digest = sha256(payload)
    Path(path).write_bytes(FILE_MAGIC + b"\n" + digest.encode() + b"\n" + payload)
    return digest


def load_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """(bundle, sha256) from a file written by `save_file`."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read model file {str(path)!r}: {exc.strerror}") from exc
    magic, _, rest = raw.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if magic != FILE_MAGIC:
        raise ArtifactError(f"{str(path)!r} is not a HolistiCrm model file")
    return loads(payload, digest.decode("ascii", errors="replace")), digest.decode()
