"""OpenI (Indiana University) chest X-ray reports: find the tarball, parse it, build the gold.

The reports come from NLM's ``NLMCXR_reports.tgz`` (3,955 XML files ``ecgen-radiology/<n>.xml``,
report id ``CXR<n>``, licence CC BY-NC-ND 4.0). The gold standard is derived from each report's
MeSH ``<major>`` terms by :mod:`cxrlabel.gold.mesh`, for the 3,851 reports that have images —
the set the ChestX-ray8/NegBio authors scored. The test split is NegBio's ``openi-testset.txt``
(771 ids, public domain), shipped as package data.

Where the tarball is looked for, in order: an explicit path, ``$CXRLABEL_OPENI_REPORTS``, the
cache folder (``openi/`` in :func:`cxrlabel.paths.cache_dir`), the copy inside an installed
``torchxrayvision``, and finally a download from NLM checked against its sha256.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import GoldError
from ..paths import cache_dir
from ..types import FINDINGS
from .goldset import GoldSet
from .mesh import GOLD_COLUMNS, derive_labels

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "OPENI_FILENAME",
    "OPENI_SHA256",
    "OPENI_URL",
    "OpenIReport",
    "cache_path",
    "download_reports",
    "load_openi",
    "load_testset_ids",
    "locate_reports",
    "read_openi_reports",
]

OPENI_URL = "https://openi.nlm.nih.gov/imgs/collections/NLMCXR_reports.tgz"
OPENI_SHA256 = "8fb6de7eec73d8c3665067ad4bb003ccd57f971ae316d2642e1627ac7268667a"
OPENI_FILENAME = "NLMCXR_reports.tgz"
REPORTS_ENV = "CXRLABEL_OPENI_REPORTS"
TESTSET_ENV = "CXRLABEL_OPENI_TESTSET"

HERNIA_NOTE = (
    "Hernia is left out of micro/macro: the OpenI gold never marks it positive (its MeSH "
    "mapping drops 'Hernia, Hiatal', although dozens of reports affirm a hiatal hernia)"
)

_SECTIONS = ("COMPARISON", "INDICATION", "FINDINGS", "IMPRESSION")


@dataclass(frozen=True)
class OpenIReport:
    """One OpenI report: its sections, MeSH terms and image ids."""

    id: str
    comparison: str
    indication: str
    findings: str
    impression: str
    major: tuple[str, ...]
    automatic: tuple[str, ...]
    images: tuple[str, ...]

    @property
    def text(self) -> str:
        """The text to label: FINDINGS + IMPRESSION, or the whole report when both are empty.

        Section headers are kept (``"FINDINGS: ...\\nIMPRESSION: ..."``) so the labeler's own
        sectioner sees them.
        """
        parts = [("FINDINGS", self.findings), ("IMPRESSION", self.impression)]
        if not any(body for _, body in parts):
            return self.full_text
        return "\n".join(f"{name}: {body}" for name, body in parts if body)

    @property
    def full_text(self) -> str:
        """Every non-empty section with its header."""
        return "\n".join(
            f"{name}: {getattr(self, name.lower())}" for name in _SECTIONS if getattr(self, name.lower())
        )


def cache_path() -> Path:
    """Where the tarball is kept: ``openi/NLMCXR_reports.tgz`` in the cache folder
    (:func:`cxrlabel.paths.cache_dir`, so ``$CXRLABEL_CACHE_DIR`` moves it too)."""
    return cache_dir() / "openi" / OPENI_FILENAME


def _torchxrayvision_copy() -> Path | None:
    if importlib.util.find_spec("torchxrayvision") is None:
        return None
    path = Path(str(importlib.resources.files("torchxrayvision"))) / "data" / OPENI_FILENAME
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_reports(dest: Path | None = None, *, url: str = OPENI_URL, sha256: str = OPENI_SHA256) -> Path:
    """Download the tarball to ``dest`` (default: :func:`cache_path`) and check its sha256.

    The file is written beside ``dest`` and moved into place only when the checksum matches.
    """
    dest = Path(dest) if dest is not None else cache_path()
    where = (
        f"download {OPENI_URL} by hand and pass --reports PATH, set ${REPORTS_ENV}, or put it "
        f"at {dest}"
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            shutil.copyfileobj(resp, out)
        got = sha256_of(tmp)
        if got != sha256:
            raise GoldError(
                f"the file downloaded from {url} has sha256 {got}, expected {sha256}; {where}",
                code="G502",
            )
        tmp.replace(dest)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise GoldError(f"cannot download the OpenI reports from {url} ({err}); {where}", code="G501") from err
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def locate_reports(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """The OpenI tarball (or a folder of its XML files), found as the module docstring says."""
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise GoldError(f"--reports {p}: no such file or folder", code="G501")
        return p
    env = os.environ.get(REPORTS_ENV)
    if env:
        p = Path(env)
        if not p.exists():
            raise GoldError(f"${REPORTS_ENV}={env}: no such file or folder", code="G501")
        return p
    cached = cache_path()
    if cached.is_file():
        return cached
    bundled = _torchxrayvision_copy()
    if bundled is not None:
        return bundled
    if not download:
        raise GoldError(
            f"the OpenI reports ({OPENI_FILENAME}) were not found; pass --reports PATH, set "
            f"${REPORTS_ENV}, or put the file at {cached} (source: {OPENI_URL})",
            code="G501",
        )
    print(f"downloading {OPENI_URL} to {cached}", file=sys.stderr)
    return download_reports(cached)


def _text(node: ET.Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def parse_report_xml(data: bytes, source: str = "<xml>") -> OpenIReport:
    """One report from the bytes of its XML file."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise GoldError(f"{source}: malformed XML ({err})", code="G503") from err
    uid = root.find("uId")
    if uid is None or not uid.get("id"):
        raise GoldError(f"{source}: no <uId id=...> element", code="G503")
    sections = {s: "" for s in _SECTIONS}
    for node in root.iter("AbstractText"):
        label = (node.get("Label") or "").upper()
        if label in sections:
            sections[label] = _text(node)
    return OpenIReport(
        id=uid.get("id", ""),
        comparison=sections["COMPARISON"],
        indication=sections["INDICATION"],
        findings=sections["FINDINGS"],
        impression=sections["IMPRESSION"],
        major=tuple(_text(n) for n in root.iter("major") if _text(n)),
        automatic=tuple(_text(n) for n in root.iter("automatic") if _text(n)),
        images=tuple(n.get("id", "") for n in root.iter("parentImage")),
    )


def _xml_sort_key(name: str) -> tuple[int, str]:
    m = re.search(r"(\d+)\.xml$", name)
    return (int(m.group(1)) if m else sys.maxsize, name)


#: Caps on what :func:`read_openi_reports` reads (the real tarball: 3,955 members of ~2 kB,
#: 16 MB in all): a crafted archive of millions of entries, or a member that inflates to
#: gigabytes, is a :class:`~cxrlabel.errors.GoldError` ``G504`` instead of filling memory.
MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 16 << 20
MAX_TOTAL_BYTES = 1 << 30


def _over_cap(where: str, what: str) -> GoldError:
    return GoldError(
        f"{where}: {what}; this is not the OpenI report archive (the real one holds 3,955 small XML "
        "files): pass the NLMCXR_reports.tgz tarball or a folder of its XML files",
        code="G504",
    )


def _tar_items(path: Path) -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    total = 0
    with tarfile.open(path, "r:*") as tar:
        for n, member in enumerate(tar, start=1):
            if n > MAX_MEMBERS:
                raise _over_cap(str(path), f"more than {MAX_MEMBERS:,} archive entries")
            tar.members = []  # streamed: keep no TarInfo of the entries already read
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            if member.size > MAX_MEMBER_BYTES:
                raise _over_cap(f"{path}:{member.name}", f"an entry of {member.size:,} bytes (the cap is {MAX_MEMBER_BYTES:,})")
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise _over_cap(str(path), f"XML entries over {MAX_TOTAL_BYTES:,} bytes in all")
            fh = tar.extractfile(member)
            if fh is not None:
                items.append((f"{path}:{member.name}", fh.read()))
    return items


def _folder_items(path: Path) -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    total = 0
    for n, f in enumerate(path.rglob("*.xml"), start=1):
        size = f.stat().st_size
        if n > MAX_MEMBERS or size > MAX_MEMBER_BYTES or total + size > MAX_TOTAL_BYTES:
            raise _over_cap(str(f), f"over the caps ({MAX_MEMBERS:,} files, {MAX_MEMBER_BYTES:,} bytes each, {MAX_TOTAL_BYTES:,} in all)")
        total += size
        items.append((str(f), f.read_bytes()))
    return items


def read_openi_reports(path: str | os.PathLike[str]) -> list[OpenIReport]:
    """Every report in the tarball (or a folder of XML files), ordered by report number;
    archives over :data:`MAX_MEMBERS` / :data:`MAX_MEMBER_BYTES` / :data:`MAX_TOTAL_BYTES`
    are refused (``G504``).

    (Named apart from :func:`cxrlabel.io.read_reports`, which reads CSV/text input for
    ``cxrlabel label``; the old name ``read_reports`` here is a deprecated alias.)"""
    path = Path(path)
    if path.is_dir():
        items = _folder_items(path)
    else:
        try:
            items = _tar_items(path)
        except (tarfile.TarError, OSError, EOFError) as err:
            raise GoldError(f"{path}: not a readable tarball of OpenI reports ({err})", code="G503") from err
    if not items:
        raise GoldError(f"{path}: no OpenI report XML files found", code="G503")
    items.sort(key=lambda it: _xml_sort_key(it[0]))
    return [parse_report_xml(data, name) for name, data in items]


#: Deprecated alias of :func:`read_openi_reports`.
read_reports = read_openi_reports


def load_testset_ids(path: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """NegBio's OpenI test ids: ``path``, else ``$CXRLABEL_OPENI_TESTSET``, else the packaged list."""
    src = path or os.environ.get(TESTSET_ENV)
    if src:
        try:
            text = Path(src).read_text(encoding="utf-8")
        except OSError as err:
            raise GoldError(f"cannot read the OpenI test ids from {src}: {err}", code="G501") from err
    else:
        text = importlib.resources.files("cxrlabel.gold").joinpath("openi_testset.txt").read_text(encoding="utf-8")
    ids = [ln.strip() for ln in text.splitlines()]
    return frozenset(i for i in ids if i and not i.startswith("#"))


def load_openi(
    reports: str | os.PathLike[str] | None = None,
    *,
    testset: str | os.PathLike[str] | None = None,
    download: bool = True,
    with_images_only: bool = True,
) -> GoldSet:
    """The OpenI gold: report texts and MeSH-derived labels (14 findings + ``normal``).

    By default only reports with images are kept (3,851, as in the paper); Hernia is annotated
    but left out of the averages (see ``notes``).
    """
    parsed = read_openi_reports(locate_reports(reports, download=download))
    if with_images_only:
        parsed = [r for r in parsed if r.images]
    ids = tuple(r.id for r in parsed)
    labels = pd.DataFrame([derive_labels(r.major) for r in parsed], index=list(ids), columns=list(GOLD_COLUMNS))
    gold = GoldSet(
        name="openi",
        ids=ids,
        texts=tuple(r.text for r in parsed),
        labels=labels,
        scored=tuple(f for f in FINDINGS if f != "Hernia"),
        notes={"Hernia": HERNIA_NOTE},
    )
    test_ids = load_testset_ids(testset)
    present = test_ids & set(ids)
    if test_ids and not present:
        raise GoldError(
            f"none of the {len(test_ids)} OpenI test ids is among the {len(ids)} reports read; "
            "is --testset the OpenI test list?",
            code="G522",
        )
    return gold.with_testset(frozenset(present))
