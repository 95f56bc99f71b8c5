"""Views of index data give what the validated models give, field by field."""

from __future__ import annotations

import inspect
from pathlib import Path

from acme_scan import scan_project
from acme_scan.index.views import FlowLike, FlowView, ParameterLike, ValueLike
from acme_scan.models import Flow, Index, Parameter, Value

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _fields(protocol: type) -> list[str]:
    return [name for name, _ in inspect.getmembers(protocol, lambda m: isinstance(m, property))]


def test_the_protocols_name_fields_of_the_models() -> None:
    for protocol, model in ((FlowLike, Flow), (ParameterLike, Parameter), (ValueLike, Value)):
        fields = _fields(protocol)
        assert fields
        assert set(fields) <= set(model.model_fields), protocol


def test_a_flow_view_reads_as_the_model_on_every_fixture() -> None:
    """Every flow and DAG of the fixtures (the oracle's, Airflow's, ...): all the forms,
    keyword arguments, parameters and schemas the tests exercise."""
    data = scan_project(FIXTURES, write=False).data
    models = Index.model_validate(data).flows
    assert len(models) > 100
    flow_fields = _fields(FlowLike)
    for raw, model in zip(data["flows"], models, strict=True):
        view = FlowView(raw)
        for name in flow_fields:
            if name in ("kwargs", "parameters"):
                continue
            assert getattr(view, name) == getattr(model, name), name
        assert view.kwargs.keys() == model.kwargs.keys()
        for key, value in view.kwargs.items():
            for name in _fields(ValueLike):
                assert getattr(value, name) == getattr(model.kwargs[key], name)
        assert len(view.parameters) == len(model.parameters)
        for parameter, expected in zip(view.parameters, model.parameters, strict=True):
            for name in _fields(ParameterLike):
                assert getattr(parameter, name) == getattr(expected, name)
