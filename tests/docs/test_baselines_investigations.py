"""Baseline and investigation pages, and http(s) addresses in prose made into real links."""

from __future__ import annotations

from pathlib import Path

from contentkit.docs.generate import linked


def test_linked_makes_only_http_links_and_escapes_the_rest() -> None:
    text = (
        'See https://example.com/a?b=1&c=2, or (http://x.example/p). <script>alert("x")</script> '
        "javascript:alert(1) data:text/html,x ftp://files.example/ https://"
    )
    assert str(linked(text)) == (
        'See <a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>, '
        'or (<a href="http://x.example/p">http://x.example/p</a>). '
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; javascript:alert(1) data:text/html,x "
        "ftp://files.example/ https://"
    )
    # an address cannot break out of the attribute: quotes end the address
    assert str(linked('https://a.example/"onmouseover="x')) == (
        '<a href="https://a.example/">https://a.example/</a>&#34;onmouseover=&#34;x'
    )


def test_baseline_page(built: Path) -> None:
    page = (built / "baselines/baseline_of_daemonset_creators.html").read_text()
    assert '<h1><span class="kind">Baseline:</span> Baseline Of DaemonSet Creators</h1>' in page
    assert '<a href="https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/">' in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>" not in page
    assert '<a href="javascript' not in page
    # the schedule comes from the Baseline deployment of the pack
    assert "<tr><th>Cron Schedule</th><td><code>" in page
    assert '<a href="../detections/kubernetes_daemonset_deployed.html">' in page
    assert '<a href="../stories/kubernetes_security.html">Kubernetes Security</a>' in page
    index = (built / "baselines/index.html").read_text()
    assert 'href="../baselines/baseline_of_daemonset_creators.html"' in index
    md = (built / "markdown/baselines/baseline_of_daemonset_creators.md").read_text()
    assert md.splitlines()[2] == "# Baseline: Baseline Of DaemonSet Creators"


def test_investigation_page(built: Path) -> None:
    page = (built / "investigations/kubernetes_activity_by_user.html").read_text()
    assert "Investigation:</span> Kubernetes Activity By User</h1>" in page
    assert '(<a href="https://kubernetes.io/docs/">https://kubernetes.io/docs/</a>).' in page
    assert "<li><code>| table _time verb objectRef.resource</code></li>" in page
    story = (built / "stories/kubernetes_security.html").read_text()
    assert '<a href="../investigations/kubernetes_activity_by_user.html">' in story
    assert '<a href="../baselines/baseline_of_daemonset_creators.html">' in story
    nav = (built / "index.html").read_text()
    assert 'href="baselines/index.html"' in nav and 'href="investigations/index.html"' in nav
    assert (built / "markdown/investigations/index.md").is_file()
