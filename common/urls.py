"""URL pieces the apps share."""

from django.urls import register_converter
from django.urls.converters import StringConverter


def strict_converter(name: str, regex: str) -> None:
    """Register a path converter that takes only `regex`: anything else in the address is a plain
    404, never a lookup with odd input (a NUL, a million digits)."""
    register_converter(type(f"{name.title()}Converter", (StringConverter,), {"regex": regex}), name)
