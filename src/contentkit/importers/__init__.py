"""Bring existing content in: a Splunk app's confs or Sigma rules -> repository YAML."""
