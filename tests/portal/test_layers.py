"""Dependencies in one direction (issue 12, item 2) and the one registry of periodic jobs.

interfaces -> services -> (engine, selectors, reads, models); selectors never import services;
the presence app never imports the reports app (it runs the reports' job through
portal.periodic)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> list[tuple[str, int, str]]:
    """(file, line, module) of every import in `package`, indented ones included; relative
    imports are resolved against the file's package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        here = parts if parts[-1] == "__init__" else parts[:-1]
        here = [p for p in here if p != "__init__"]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), node.lineno, name) for name in names]
    return found


def test_selectors_never_import_services():
    wrong = [i for i in _imports("presence/selectors") if i[2].startswith("presence.services")]
    assert wrong == []


def test_reads_import_neither_services_nor_selectors():
    wrong = [
        i
        for i in _imports("presence")
        if i[0] == "presence/reads.py"
        and i[2].startswith(("presence.services", "presence.selectors"))
    ]
    assert wrong == []


def test_the_presence_app_never_imports_the_reports_app():
    wrong = [i for i in _imports("presence") if i[2] == "reports" or i[2].startswith("reports.")]
    assert wrong == []


def test_the_import_check_sees_indented_and_relative_imports(tmp_path, monkeypatch):
    """The checks above would pass on an empty list: prove they find what they look for."""
    package = tmp_path / "presence" / "selectors"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "x.py").write_text(
        "def f():\n    from ..services import jobs\n    import reports.rollups\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    modules = {name for _, _, name in _imports("presence/selectors")}
    assert {"presence.services", "presence.services.jobs", "reports.rollups"} <= modules


def test_every_periodic_job_is_registered_once_and_the_rollups_run_last():
    from portal import periodic
    from presence.services.jobs import JOBS as PRESENCE_JOBS

    assert list(periodic.JOBS)[: len(PRESENCE_JOBS)] == list(PRESENCE_JOBS)
    assert list(periodic.JOBS)[-1] == "report_rollups"  # R4: after the tick's presence changes


def test_registering_another_job_under_a_taken_name_is_refused():
    from portal import periodic

    with pytest.raises(ValueError, match="report_rollups"):
        periodic.register("report_rollups", lambda *, now: 0)
    periodic.register("report_rollups", periodic.JOBS["report_rollups"])  # the same: a no-op


def test_beat_schedules_every_registered_job_the_rollups_as_a_reports_task():
    from portal import periodic
    from portal.celery import beat_schedule

    schedule = beat_schedule()
    by_job = {
        entry["args"][0]: entry
        for entry in schedule.values()
        if entry["task"] == "presence.run_job"
    }
    rollups = schedule["reports.rollups_refresh"]
    assert rollups["task"] == "reports.rollups_refresh"
    assert rollups["schedule"] == 30.0
    assert set(by_job) | {"report_rollups", "report_alerts"} == set(periodic.JOBS)
    assert schedule["reports.alerts_refresh"]["task"] == "reports.alerts_refresh"
    assert "report_rollups" not in by_job


@pytest.mark.django_db
def test_run_job_runs_a_job_of_another_app_by_name(monkeypatch):
    """presence.run_job takes any registered name (an old beat entry still sending
    "report_rollups" keeps working)."""
    from portal import periodic
    from presence.tasks import run_job

    ran = []
    monkeypatch.setitem(periodic.JOBS, "report_rollups", lambda *, now: ran.append(now) or 7)
    assert run_job("report_rollups", now="2026-01-05T09:00:00+00:00") == 7
    assert len(ran) == 1


def test_the_services_package_exports_exactly_what_it_binds():
    """Issue 12, item 7: `presence.services.__all__` is complete (no stale half-list)."""
    import types

    import presence.services as services

    bound = {
        name
        for name, value in vars(services).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(services.__all__) == sorted(bound)


def test_the_engine_stays_pure():
    """The engine imports no Django, no model, no service: plain values in, a decision out."""
    allowed = ("__future__", "dataclasses", "enum", "portal.exceptions", "presence.engine")
    wrong = [i for i in _imports("presence/engine") if not i[2].startswith(allowed)]
    assert wrong == []
