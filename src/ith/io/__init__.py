"""Readers and writers shared by every stage."""
