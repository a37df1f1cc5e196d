"""Splunk ``.conf`` files: the strict reader/writer shared by the build, app loading and importers."""

from .conffile import ConfError, ConfFile, Stanza, read_conf, read_conf_file, write_conf

__all__ = ["ConfError", "ConfFile", "Stanza", "read_conf", "read_conf_file", "write_conf"]
