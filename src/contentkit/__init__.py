"""contentkit: Splunk security content as code."""

__version__ = "0.1.0"
