"""Every table is on the process's one DynamoDB client: a table's first call in a process
builds no client of its own (60-150 ms each, bench/first_calls)."""

from __future__ import annotations

import importlib
import pkgutil

import botocore.session
import pytest

import chalicelib
from chalicelib.core.dynamodb import Model, connection


def table_models() -> list[type[Model]]:
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found, unseen = set(), list(Model.__subclasses__())
    while unseen:
        model = unseen.pop()
        unseen.extend(model.__subclasses__())
        if hasattr(model, "Meta"):
            found.add(model)
    return sorted(found, key=lambda model: model.Meta.table_name)


def test_every_table_model_is_a_core_dynamodb_model() -> None:
    import pynamodb.models

    every = set()
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, type) and issubclass(value, pynamodb.models.Model):
                every.add(value)
    tables = {model for model in every if hasattr(getattr(model, "Meta", None), "table_name")}
    assert tables and tables == set(table_models())  # none bypasses core.dynamodb.Model


def test_first_calls_to_every_table_build_no_client(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection().client  # the process's one client, built before counting
    built = []
    create_client = botocore.session.Session.create_client

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        built.append(args[:1])
        return create_client(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counted)
    models = table_models()
    for model in models:
        ranged = model._range_key_attribute() is not None
        with pytest.raises(model.DoesNotExist):
            model.get("missing", "missing" if ranged else None)
        assert model._get_connection().connection.client is connection().client
    assert len(models) > 30 and built == []
