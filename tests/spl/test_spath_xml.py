"""``spath`` over XML (Search Reference, "spath": "extract information from the structured data
formats XML and JSON"): auto-extraction without a path, ``path=`` with ``{@attr}`` and ``{N}``
steps, and the ``spath()`` eval function, including the page's ``locDesc{@locale}`` example and
the AppLocker event data that security_content reads with ``spath input=UserData_Xml``."""

from __future__ import annotations

from typing import Any

from contentkit import spl

#: the shape of the page's XML example (vendorProductSet / product / desc / locDesc)
PRODUCTS = (
    "<vendorProductSet><product><desc>"
    '<locDesc locale="en-us">Splunk</locDesc>'
    '<locDesc locale="fr-fr">Splunk FR</locDesc>'
    "</desc><version>9.0</version></product></vendorProductSet>"
)

#: AppLocker's UserData as Windows writes it: a default namespace on the root element
APPLOCKER = (
    '<RuleAndFileData xmlns="http://schemas.microsoft.com/schemas/event/2010/apphost">'
    "<PolicyNameLength>3</PolicyNameLength><PolicyName>EXE</PolicyName>"
    "<RuleId>{5e3ec135-b5af-4961-ae4d-cde98710afc9}</RuleId>"
    "<TargetUser>S-1-5-21-1</TargetUser><TargetProcessId>4242</TargetProcessId>"
    "<FilePath>%OSDRIVE%\\USERS\\ADMIN\\DOWNLOADS\\TOOL.EXE</FilePath>"
    "<FullFilePath>C:\\Users\\admin\\Downloads\\tool.exe</FullFilePath>"
    "</RuleAndFileData>"
)


def run(search: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return spl.run("search * | " + search, events)


def test_the_page_example_reads_an_attribute_into_a_quoted_output_name() -> None:
    # | spath output="locDesc.locale" path="vendorProductSet.product.desc.locDesc{@locale}"
    rows = run(
        'spath input=x output="locDesc.locale" '
        'path="vendorProductSet.product.desc.locDesc{@locale}" | table locDesc.locale',
        [{"x": PRODUCTS}],
    )
    assert rows == [{"locDesc.locale": ["en-us", "fr-fr"]}]


def test_auto_extraction_names_fields_by_element_path_and_attributes() -> None:
    (row,) = run("spath input=x", [{"x": PRODUCTS}])
    assert row["vendorProductSet.product.desc.locDesc"] == ["Splunk", "Splunk FR"]
    assert row["vendorProductSet.product.desc.locDesc{@locale}"] == ["en-us", "fr-fr"]
    assert row["vendorProductSet.product.version"] == "9.0"
    # elements that only hold other elements have no value of their own
    assert "vendorProductSet.product" not in row


def test_applocker_user_data_as_the_corpus_detection_reads_it() -> None:
    rows = run(
        "spath input=UserData_Xml | rename RuleAndFileData.* as *, TargetUser as user "
        "| table PolicyName RuleId user TargetProcessId FilePath FullFilePath",
        [{"UserData_Xml": APPLOCKER}],
    )
    assert rows == [
        {
            "PolicyName": "EXE",
            "RuleId": "{5e3ec135-b5af-4961-ae4d-cde98710afc9}",
            "user": "S-1-5-21-1",
            "TargetProcessId": "4242",
            "FilePath": "%OSDRIVE%\\USERS\\ADMIN\\DOWNLOADS\\TOOL.EXE",
            "FullFilePath": "C:\\Users\\admin\\Downloads\\tool.exe",
        }
    ]


def test_a_path_step_index_counts_elements_from_one() -> None:
    path = "vendorProductSet.product.desc.locDesc"
    rows = run(
        f"spath input=x output=first path={path}{{1}} | spath input=x output=second "
        f"path={path}{{2}} | spath input=x output=none path={path}{{3}} | table first second none",
        [{"x": PRODUCTS}],
    )
    assert rows == [{"first": "Splunk", "second": "Splunk FR"}]


def test_the_eval_function_reads_namespaced_elements_by_their_local_name() -> None:
    rows = run(
        'eval policy=spath(x, "RuleAndFileData.PolicyName"), '
        'rule=spath(x, "RuleAndFileData.RuleId") | table policy rule',
        [{"x": APPLOCKER}],
    )
    assert rows == [{"policy": "EXE", "rule": "{5e3ec135-b5af-4961-ae4d-cde98710afc9}"}]


def test_fields_the_event_has_are_kept() -> None:
    (row,) = run("spath input=x", [{"x": PRODUCTS, "vendorProductSet.product.version": "1"}])
    assert row["vendorProductSet.product.version"] == "1"


def test_text_that_is_no_xml_and_empty_values_leave_the_event_as_it_is() -> None:
    events = [{"x": "<unclosed"}, {"x": []}, {"x": "<a>1</b>"}, {"y": "1"}]
    assert run("spath input=x", [dict(e) for e in events]) == events
