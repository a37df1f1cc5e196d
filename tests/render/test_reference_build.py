"""Read the contentctl reference build with our reader (skipped when the corpus is absent)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from contentkit.conf.conffile import read_conf, read_conf_file, verify_roundtrip, write_conf
from contentkit.render.appdiff import diff_apps
from contentkit.render.package import make_tarball, tarball_listing

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REFERENCE = SHARED / "reference" / "contentctl-5.6.2-build-of-security_content-5.13.0"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference build not present"),
]


def _conf_files() -> list[Path]:
    if not REFERENCE.is_dir():
        return []
    return [*sorted(REFERENCE.glob("default/*.conf")), REFERENCE / "metadata" / "default.meta"]


@pytest.mark.parametrize("path", _conf_files(), ids=lambda p: p.name)
def test_reference_conf_reads_strictly_and_roundtrips(path: Path) -> None:
    conf = read_conf_file(path, strict=True)  # no duplicates, no garbage
    lenient = read_conf_file(path, strict=False)
    assert conf.to_dict() == lenient.to_dict()
    text = write_conf(conf)
    assert read_conf(text).to_dict() == conf.to_dict()
    assert verify_roundtrip(conf, text, check_order=True) == []


def test_reference_savedsearches_shape_and_speed() -> None:
    path = REFERENCE / "default" / "savedsearches.conf"
    start = time.perf_counter()
    conf = read_conf_file(path, strict=True)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"reading {path.name} took {elapsed:.2f}s"
    assert len(conf) > 1900
    assert conf.names()[0] == "default"
    assert conf["default"]["disabled"] == "1"
    multi = [v for s in conf for k, v in s.values.items() if k == "search" and "\n" in v]
    assert multi, "expected multi-line searches"
    # contentctl writes ' \' at every line break, so each continued line keeps a trailing blank
    assert all(line.endswith(" ") for v in multi for line in v.split("\n")[:-1])
    detection = conf["ESCU - Cisco AI Defense Security Alerts by Application Name - Rule"]
    assert detection["action.escu.mappings"] == '{"cis20": ["CIS 10"], "nist": ["DE.AE"]}'
    assert not detection["description"].endswith(" ")  # the file's trailing blank is stripped


def test_reference_meta_has_empty_stanza_name() -> None:
    meta = read_conf_file(REFERENCE / "metadata" / "default.meta")
    assert meta.names() == ["", "savedsearches"]
    assert meta[""]["access"] == "read : [ * ], write : [ admin, sc_admin ]"


def test_reference_diffed_with_itself_is_empty() -> None:
    assert not diff_apps(REFERENCE, REFERENCE).has_changes


def test_our_listing_uses_the_reference_listing_format(tmp_path: Path) -> None:
    app = tmp_path / "DA-ESS-ContentUpdate"
    shutil.copytree(REFERENCE, app, ignore=shutil.ignore_patterns("package_listing.txt"))
    for path in [app, *app.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    pkg = make_tarball(app, tmp_path, source_date_epoch=0)
    assert pkg.name == "DA-ESS-ContentUpdate-5.13.0.tar.gz"
    ours = tarball_listing(pkg)
    reference = (REFERENCE / "package_listing.txt").read_text().splitlines()
    assert ours[0] == reference[0] == "DA-ESS-ContentUpdate/"
    assert set(ours) <= set(reference)
    assert ours == [name for name in reference if name in set(ours)]  # same order
