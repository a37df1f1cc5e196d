"""Macros and lookups that detections may use without defining them.

They come with the Splunk apps that Enterprise Security content runs beside (the Common Information
Model add-on, Enterprise Security itself, URL Toolbox, SA-admon). A reference to one of these is not
a missing macro or lookup.
"""

from __future__ import annotations

# key: `name` or `name(N)` (arity), as Splunk tells macros apart
EXTERNAL_MACROS: frozenset[str] = frozenset(
    {
        "drop_dm_object_name(1)",  # Splunk_SA_CIM
        "cim_corporate_web_domain_search(1)",  # Splunk_SA_CIM
        "cim_corporate_email_domain_search(1)",  # Splunk_SA_CIM
        "get_asset(1)",  # Enterprise Security
        "get_identity4events(1)",  # Enterprise Security
        "get_risk_severity(1)",  # Enterprise Security
        "notable",  # Enterprise Security
        "risk_index",  # Enterprise Security
        "globedistance(5)",  # Haversine / geo distance app
    }
)

EXTERNAL_LOOKUPS: frozenset[str] = frozenset(
    {
        "identity_lookup_expanded",  # Enterprise Security identities
        "asset_lookup_by_str",  # Enterprise Security assets
        "asset_lookup_by_cidr",
        "admon_groups_def",  # SA-admon
        "ut_shannon_lookup",  # URL Toolbox
        "ut_parse_extended_lookup",
        "ut_parse_simple_lookup",
        "ut_levenshtein_lookup",
        "cim_corporate_web_domain_lookup",  # Splunk_SA_CIM
        "cim_corporate_email_domain_lookup",
        "cim_cloud_domain_lookup",
        "asn_lookup_by_cidr",
        "alexa_lookup_by_str",
        "interesting_ports_lookup",
        "mitre_attack_lookup",
        "other_lookups",
        "known_devices_public_ip_filter.csv",  # maintained by the customer
        "cim_corporate_web_domains.csv",  # Splunk_SA_CIM lookup files
        "cim_corporate_email_domains.csv",
        "cim_cloud_domains.csv",
    }
)
