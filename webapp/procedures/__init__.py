"""Procedures and their immutable versions, stored once and compiled once per process."""
