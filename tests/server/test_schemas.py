"""Golden JSON files of the public payloads: each parses and serialises back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuafu import schemas

GOLDEN = Path(__file__).parent / "golden"
MODELS = {
    "job_create.json": schemas.JobCreate,
    "job_create_batch.json": schemas.JobCreate,
    "job_created.json": schemas.JobCreated,
    "job_public_done.json": schemas.JobPublic,
    "job_public_queued.json": schemas.JobPublic,
    "job_list.json": schemas.JobList,
    "cancel_response.json": schemas.CancelResponse,
    "backend_summary.json": schemas.BackendSummary,
    "error_body.json": schemas.ErrorBody,
    "token_created.json": schemas.TokenCreated,
    "group_public.json": schemas.GroupPublic,
    "job_result.json": schemas.JobResult,
}
# Payloads Kuafu once wrote, which must still read as today's form: file -> (today's
# file, the fields added since, which the old file cannot have).
READ_AS = {"job_result_stored_before.json": ("job_result.json", {"software"})}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_payload_round_trips(name):
    text = (GOLDEN / name).read_text()
    model = MODELS[name].model_validate_json(text)
    assert json.loads(model.model_dump_json()) == json.loads(text)


@pytest.mark.parametrize("old", sorted(READ_AS))
def test_payloads_written_before_read_as_todays(old):
    new, added = READ_AS[old]
    model = MODELS[new]
    assert model.model_validate_json((GOLDEN / old).read_text()).model_dump(exclude=added) \
        == model.model_validate_json((GOLDEN / new).read_text()).model_dump(exclude=added)


def test_every_golden_file_is_checked():
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted({*MODELS, *READ_AS})


def test_job_status_values_and_finality():
    assert [s.value for s in schemas.JobStatus] == [
        "queued", "running", "done", "failed", "cancelled"]
    assert {s for s in schemas.JobStatus if s.final} == {
        schemas.JobStatus.DONE, schemas.JobStatus.FAILED, schemas.JobStatus.CANCELLED}


def test_unknown_fields_in_a_submission_are_refused():
    with pytest.raises(ValueError, match="extra"):
        schemas.JobCreate.model_validate({"qasm": "x", "backend": "b", "shotz": 3})
