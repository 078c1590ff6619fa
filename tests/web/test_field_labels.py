"""Every field a request schema accepts has a Chinese label, so that no message names a field by its code."""

import importlib
import pkgutil

import hotline
import knowledge_base
from hotline.core.field_labels import FIELD_LABELS, field_label
from hotline.core.validation import QuerySchema, Schema


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_request_field_has_a_chinese_label(app):
    for package in (hotline, knowledge_base):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if "schemas" in module.name or module.name.endswith(".cli"):
                importlib.import_module(module.name)
    missing = {
        f"{schema.__module__}.{schema.__name__}.{name}"
        for base in (Schema, QuerySchema)
        for schema in _subclasses(base)
        if schema.__module__.startswith(("hotline.", "knowledge_base."))
        for name in schema.model_fields
        if name not in FIELD_LABELS
    }
    assert missing == set()


def test_field_label_names_items_and_never_shows_a_code():
    assert field_label("category") == "分类"
    assert field_label("keywords.2") == "关键词（第 3 项）"
    assert field_label("no_such_field") == "该项"
    assert field_label("") == ""
