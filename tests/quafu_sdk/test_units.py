"""The pure parts of the quafu-sdk API, without a server: template substitution, group
status, which requests a shared path gives quafu-sdk, refusals in quafu-sdk's terms,
the redirect URIs the browser login accepts, and the key format."""

from __future__ import annotations

import re

import pytest

from kuafu.server.core import security
from kuafu.server.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    Unauthenticated,
)
from kuafu.server.quafu_sdk import groups, oauth
from kuafu.server.quafu_sdk.errors import SdkError, refusal
from kuafu.server.quafu_sdk.routing import from_sdk

TEMPLATE = "rx({{theta}}) q[0];\nrz({{ phi }}*2) q[0];\n"
PARAMS = [{"name": "theta", "unit": "rad"}, {"name": "phi", "unit": "rad"}]


def test_substitute_puts_negative_values_in_parentheses():
    text = groups.substitute(TEMPLATE, PARAMS, [0.5, -1.25])
    assert text == "rx(0.5) q[0];\nrz((-1.25)*2) q[0];\n"


def test_template_placeholders_must_be_declared():
    groups.check_template(TEMPLATE, PARAMS)
    with pytest.raises(SdkError) as info:
        groups.check_template(TEMPLATE, PARAMS[:1])
    assert info.value.code == "precheck.templateParameters"
    assert info.value.vars == {"undeclared": ["phi"]}


@pytest.mark.parametrize(("counts", "open_", "status"), [
    ({"queued": 2, "running": 0, "finished": 0, "failed": 0, "cancelled": 0}, False, "Queued"),
    ({"queued": 1, "running": 1, "finished": 0, "failed": 0, "cancelled": 0}, False, "Running"),
    ({"queued": 1, "running": 0, "finished": 1, "failed": 0, "cancelled": 0}, False, "Running"),
    ({"queued": 0, "running": 0, "finished": 3, "failed": 0, "cancelled": 0}, False, "Finished"),
    ({"queued": 0, "running": 0, "finished": 2, "failed": 1, "cancelled": 0}, False,
     "PartiallyFinished"),
    ({"queued": 0, "running": 0, "finished": 0, "failed": 1, "cancelled": 1}, False, "Failed"),
    ({"queued": 0, "running": 0, "finished": 0, "failed": 0, "cancelled": 2}, False, "Cancelled"),
    ({"queued": 0, "running": 0, "finished": 2, "failed": 0, "cancelled": 0}, True, "Running"),
    ({"queued": 0, "running": 0, "finished": 0, "failed": 0, "cancelled": 0}, True, "Queued"),
])
def test_group_status(counts, open_, status):
    assert groups.group_status(dict(counts, total=sum(counts.values())), open_) == status


def test_only_quafu_sdk_takes_the_shared_paths():
    assert from_sdk({"headers": [(b"user-agent", b"quafu-sdk/0.2.7 python/3.11")]})
    assert not from_sdk({"headers": [(b"user-agent", b"python-httpx/0.27")]})
    assert not from_sdk({"headers": []})
    assert groups.is_group_id("qj" + "0" * 30) and not groups.is_group_id("0" * 32)


@pytest.mark.parametrize(("exc", "status", "code"), [
    (InvalidRequest("invalid OpenQASM: line 3, column 1: gate 'foo' is not defined", 3, 1),
     422, "precheck.qasmSyntax"),
    (InvalidRequest("program #2 of 3: invalid OpenQASM: x", 4, 2), 422, "precheck.qasmSyntax"),
    (InvalidRequest("the program declares 11 qubits; ScQ-P10 has 10 qubits",
                    code="circuit_too_wide"), 422, "precheck.simTooLarge"),
    (InvalidRequest("shots must be at most 100000; asked 200000"), 422,
     "precheck.shotsOutOfRange"),
    (InvalidRequest("something else"), 400, "invalid_request"),
    (Unauthenticated("invalid API token: no such token on this server"), 401,
     "invalid_api_key"),
    (Unauthenticated("missing API token"), 401, "unauthenticated"),
    (NotFound("unknown backend 'x'"), 400, "unknown_device"),
    (Conflict("ScQ-P10 is offline", code="backend_offline"), 409,
     "runtime.deviceUnavailable"),
    (PayloadTooLarge("too big"), 413, "payload_too_large"),
    (QuotaExceeded("you have used 1000 of 1000 shots today"), 429, "runtime.quotaExhausted"),
])
def test_refusals_in_quafu_sdks_terms(exc, status, code):
    answer = refusal(exc)
    assert (answer.status, answer.code) == (status, code)


def test_program_refusal_names_task_and_line():
    answer = refusal(InvalidRequest("program #2 of 3: invalid OpenQASM: x", 4, 2))
    assert answer.vars == {"task_index": 1, "line": 4, "column": 2}
    assert answer.message == "task 1: invalid OpenQASM: x (line 4, column 2)"


@pytest.mark.parametrize(("uri", "ok"), [
    ("http://127.0.0.1:5555/callback", True),
    ("http://[::1]:5555/callback", True),
    ("http://localhost:5555/callback", True),
    ("http://server:8000/oauth/code", True),
    ("http://127.0.0.1/callback", False),  # no port
    ("http://127.0.0.1:5555/other", False),
    ("https://evil.example:5555/callback", False),
    ("http://127.0.0.1:5555/callback?next=x", False),
])
def test_login_redirects_only_to_loopback_or_the_code_page(uri, ok):
    assert oauth._allowed_redirect(uri, "http://server:8000") is ok


def test_new_keys_are_quafu_sdk_keys():
    key = security.new_token()
    assert re.fullmatch(r"qf_[0-9A-Za-z]{43}", key)
    assert security.display_prefix(key) == key[:9]
    assert len({security.new_token() for _ in range(100)}) == 100
