"""Tests of temporal_ssl.engine (a package so the shared toy fixtures import relatively)."""
