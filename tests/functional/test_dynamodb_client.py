"""Every table is on the process's one DynamoDB client: a table's first call in a process
builds no client of its own (60-150 ms each, bench/first_calls)."""

from __future__ import annotations

import importlib
import pkgutil

import botocore.session
import pynamodb.models
import pytest

import chalicelib
from chalicelib.core.dynamodb import Model, connection


def table_models(base: type = Model) -> list[type[Model]]:
    """chalicelib's models of a table that derive from ``base``, every module imported."""
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found, unseen = set(), list(base.__subclasses__())
    while unseen:
        model = unseen.pop()
        unseen.extend(model.__subclasses__())
        if model.__module__.startswith("chalicelib.") and hasattr(
            getattr(model, "Meta", None), "table_name"
        ):
            found.add(model)
    return sorted(found, key=lambda model: model.Meta.table_name)


def test_every_table_model_is_a_core_dynamodb_model() -> None:
    every = table_models(pynamodb.models.Model)
    assert every and every == table_models()  # none bypasses core.dynamodb.Model


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
