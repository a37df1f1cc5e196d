"""The small rules behind the pages: search lines, impact and confidence, Markdown escaping,
test status, slugs."""

from __future__ import annotations

import pytest

from contentkit.docs import markdown
from contentkit.docs.generate import count_of, paragraphs
from contentkit.docs.pages import impact_confidence, search_lines, slugify
from contentkit.docs.results import NOT_RUN, parse_results, status_label, worst


def test_search_lines_split_at_top_level_pipes_only() -> None:
    search = '`m` "a|b"=1 [search x | head 1] | eval y=if(z="|", 1, 0)\n| stats count | `m_filter`'
    assert search_lines(search) == [
        '`m` "a|b"=1 [search x | head 1]',
        '| eval y=if(z="|", 1, 0)',
        "| stats count",
        "| `m_filter`",
    ]


@pytest.mark.parametrize(("score", "level"), [(49, 70), (64, 80), (100, 100), (25, 50), (0, 0)])
def test_impact_and_confidence_give_the_score(score: int, level: int) -> None:
    assert impact_confidence(score) == level
    assert round(level * level / 100) == score


def test_markdown_code_survives_backticks() -> None:
    assert markdown.code("search *") == "`search *`"
    assert markdown.code("`kube_audit` x") == "`` `kube_audit` x ``"
    assert markdown.cell(markdown.code("a | b")) == "`a \\| b`"
    block = markdown.fence("x ```a comment``` | y", "spl")
    assert block.startswith("````spl\n") and block.endswith("\n````")


def test_markdown_text_keeps_html_out() -> None:
    assert markdown.text("use <script> tags") == "use &lt;script&gt; tags"
    assert markdown.link_text("a [b] | c") == "a \\[b\\] \\| c"


def test_paragraphs_and_counts() -> None:
    assert paragraphs("one\nline\n\n  two  \n") == ["one\nline", "two"]
    assert paragraphs("") == [""]
    assert count_of(1, "analytic story", "analytic stories") == "1 analytic story"
    assert count_of(3, "macro") == "3 macros"


def test_worst_status() -> None:
    assert worst([]) == NOT_RUN
    assert worst(["pass", NOT_RUN]) == "pass"
    assert worst(["pass", "unsupported", "fail", "error"]) == "fail"
    assert worst(["pass", "something new"]) == "something new"
    assert status_label("dataset_unavailable") == "Dataset unavailable"
    assert status_label("something_new") == "Something new"


def test_results_are_matched_by_id_file_or_name() -> None:
    results = parse_results(
        {
            "results": [
                {"id": "ABC", "test": "t1", "unit": {"status": "PASS"}},
                {"file": "detections\\x.yml", "test": "t2", "unit": "fail"},
                {"detection": "Named", "test": "t3", "integration": {"status": "error"}},
            ]
        }
    )
    assert [o.unit for o in results.for_detection("abc", "", "")] == ["pass"]
    assert [o.unit for o in results.for_detection("zzz", "detections/x.yml", "")] == ["fail"]
    named = results.for_detection("zzz", "nope.yml", "Named")
    assert [(o.unit, o.integration) for o in named] == [(NOT_RUN, "error")]
    assert results.for_detection("zzz", "nope.yml", "Other") == []


def test_slugify() -> None:
    assert slugify("Splunk Common Information Model (CIM)") == "splunk_common_information_model_cim"
    assert slugify("security_content_ctime(1)") == "security_content_ctime_1"
    assert slugify("!!!") == "page"
