"""Releases: what changed since the previous one, whether versions say so, and release notes."""
