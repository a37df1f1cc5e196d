"""`contentkit serve --tls-cert/--tls-key --token`: HTTPS on both ports with a certificate from a
test CA, Bearer tokens for the REST API (with the real Splunk SDK and `contentkit test`), and the
usage errors of the TLS options."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import splunklib.client as client
import splunklib.results as results
import trustme

from .common import REPO

TOKEN = "ck-bearer-7f3a9c2d5e14"
HEC_TOKEN = "00000000-0000-4000-8000-0000000007c5"


@dataclass
class _Tls:
    cert: Path
    key: Path
    context: ssl.SSLContext  # trusts only the test CA


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> _Tls:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = folder / "server.pem", folder / "server.key"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return _Tls(cert, key, context)


def _serve(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "contentkit", "serve", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def https(tls: _Tls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    proc = _serve(
        "--port", "0", "--hec-port", "0", "--data-dir", tmp_path_factory.mktemp("data"),
        "--password", "s3cret", "--hec-token", HEC_TOKEN, "--token", TOKEN,
        "--tls-cert", tls.cert, "--tls-key", tls.key,
    )  # fmt: skip
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while len(urls) < 2 and time.monotonic() < deadline:
        name, _, url = proc.stdout.readline().strip().partition(": ")
        if name in ("splunkd", "hec"):
            urls[name] = url
    try:
        assert len(urls) == 2, proc.stderr.read() if proc.stderr else ""
        yield urls
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _get(url: str, context: ssl.SSLContext, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_both_ports_speak_https_with_the_given_certificate(
    https: dict[str, str], tls: _Tls
) -> None:
    assert https["splunkd"].startswith("https://127.0.0.1:")
    assert https["hec"].startswith("https://127.0.0.1:")
    status, body = _get(f"{https['hec']}/services/collector/health", tls.context)
    assert status == 200 and json.loads(body) == {"text": "HEC is healthy", "code": 17}
    # a client that does not trust the test CA refuses the certificate
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(f"{https['splunkd']}/services/server/info", ssl.create_default_context())
    # plain HTTP on the TLS port gets no answer
    plain = https["splunkd"].replace("https://", "http://")
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(f"{plain}/services/server/info", timeout=10).read()


def test_bearer_token_opens_the_rest_api(https: dict[str, str], tls: _Tls) -> None:
    info = f"{https['splunkd']}/services/server/info?output_mode=json"
    status, body = _get(info, tls.context, Authorization=f"Bearer {TOKEN}")
    assert status == 200
    assert json.loads(body)["entry"][0]["content"]["version"] == "9.3.0"
    assert _get(info, tls.context, Authorization="Bearer wrong")[0] == 401
    assert _get(info, tls.context)[0] == 401


def test_splunk_sdk_with_a_token_over_https(https: dict[str, str], tls: _Tls) -> None:
    port = int(https["splunkd"].rsplit(":", 1)[1])
    service = client.connect(
        host="127.0.0.1",
        port=port,
        scheme="https",
        splunkToken=TOKEN,
        context=tls.context,
        autologin=True,
    )
    stream = service.jobs.oneshot("| makeresults count=3 | stats count", output_mode="json")
    rows = [r for r in results.JSONResultsReader(stream) if isinstance(r, dict)]
    assert rows == [{"count": "3"}]


def test_contentkit_test_with_a_token_over_https(https: dict[str, str], tmp_path: Path) -> None:
    target = https["splunkd"].replace("https://", "splunks://")
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", "test", ".", "--target", target,
         "-d", "Kubernetes DaemonSet Deployed",  # data-model searches cannot be scoped there
         "--token", TOKEN, "--insecure", "-q", "--json", str(report)],
        capture_output=True, text=True, cwd=REPO, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["counts"] == {**data["counts"], "pass": 2, "fail": 0}
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["unit"]["result_count"] == 2


def test_tls_options_go_together_and_a_bad_certificate_is_refused(
    tls: _Tls, tmp_path: Path
) -> None:
    alone = _serve("--port", "0", "--hec-port", "0", "--data-dir", tmp_path, "--tls-cert", tls.cert)
    out, err = alone.communicate(timeout=30)
    assert alone.returncode == 2
    assert "--tls-cert and --tls-key go together" in err and "Traceback" not in err
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    bad = _serve(
        "--port", "0", "--hec-port", "0", "--data-dir", tmp_path,
        "--tls-cert", garbage, "--tls-key", tls.key,
    )  # fmt: skip
    out, err = bad.communicate(timeout=30)
    assert bad.returncode == 2
    assert f"cannot use the TLS certificate {garbage} and key {tls.key}: " in err
    assert "Traceback" not in err
    assert "splunkd:" not in out
