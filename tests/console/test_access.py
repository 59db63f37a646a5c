"""The console's fences, driven with plain HTTP (no browser needed): who may see what,
the session cookie's attributes and life, CSRF on the composer's JSON check."""

from __future__ import annotations

import re

import httpx
import pytest

PAGES = ["/console/backends", "/console/backends/ScQ-P10", "/console/composer",
         "/console/jobs", "/console/account", "/console/admin"]


def signed_in(server, token: str, next_path: str = "") -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    form = client.get("/console/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/console/login", data={"token": token, "csrf_token": csrf,
                                                 "next": next_path})
    assert answer.status_code == 303, answer.text
    return client


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_strangers_to_sign_in(console_live, path):
    with httpx.Client(base_url=console_live.url) as client:
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/console/login?next={path.replace('/', '%2F')}"
        live = client.get(path, headers={"X-Requested-With": "kuafu-live"})
        assert live.status_code == 401


def test_posts_without_a_session_are_refused(console_live):
    with httpx.Client(base_url=console_live.url) as client:
        for path in ("/console/composer", "/console/account/tokens", "/console/logout",
                     "/console/admin/backends/ScQ-P10/status"):
            assert client.post(path, data={"csrf_token": "x"}).status_code == 401, path


def test_session_cookie_is_http_only_and_same_site(console_live, alice):
    client = httpx.Client(base_url=console_live.url, timeout=30)
    form = client.get("/console/login")
    assert "samesite=lax" in form.headers["set-cookie"].lower()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/console/login", data={"token": alice, "csrf_token": csrf})
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "kuafu_session=" in c)
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/console" in cookie.lower()
    assert alice not in cookie  # the cookie is a session secret, not the API token


def test_sign_in_goes_back_only_to_console_pages(console_live, alice):
    client = httpx.Client(base_url=console_live.url)
    expected = {"/console/jobs?status=done": "/console/jobs?status=done",
                "//evil.example/": "/console/backends",
                "https://evil.example/": "/console/backends",
                "/console//evil.example": "/console/backends"}
    for target, location in expected.items():
        form = client.get("/console/login").text  # each sign-in spends the form's cookie
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = client.post("/console/login", data={"token": alice, "csrf_token": csrf,
                                                     "next": target})
        assert answer.headers["location"] == location, target


def test_signing_out_and_revoking_the_token_end_the_session(console_live, console_store):
    from kuafu.server.testing import create_user

    token = create_user(console_store)
    client = signed_in(console_live, token)
    assert client.get("/console/account").status_code == 200
    api = httpx.Client(base_url=f"{console_live.url}/api/v1",
                       headers={"Authorization": f"Bearer {token}"})
    token_id = api.get("/tokens").json()[0]["id"]
    api.delete(f"/tokens/{token_id}")
    assert client.get("/console/account").status_code == 303  # back to sign in

    other = create_user(console_store)
    client = signed_in(console_live, other)
    page = client.get("/console/account").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/console/account").status_code == 303


def test_composer_check_reports_line_and_column_and_needs_csrf(console_live, alice):
    client = signed_in(console_live, alice)
    page = client.get("/console/composer").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    bad = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n'
    body = {"qasm": bad, "backend": "ScQ-P10"}
    assert client.post("/console/composer/check", json=body).status_code == 403
    answer = client.post("/console/composer/check", json=body,
                         headers={"X-CSRF-Token": csrf}).json()
    assert answer["ok"] is False and answer["line"] == 4 and "foo" in answer["message"]
    wide = 'OPENQASM 2.0;\nqreg q[11];\n'  # ScQ-P10 has 10 qubits: the server's limit
    answer = client.post("/console/composer/check", json={"qasm": wide, "backend": "ScQ-P10"},
                         headers={"X-CSRF-Token": csrf}).json()
    assert answer["ok"] is False and "10" in answer["message"]
    good = bad.replace("foo", "h") + "creg c[2];\nmeasure q -> c;\n"
    answer = client.post("/console/composer/check", json={"qasm": good, "backend": "ScQ-P10"},
                         headers={"X-CSRF-Token": csrf}).json()
    assert answer["ok"] is True and answer["svg"].startswith("<svg")
    unknown = client.post("/console/composer/check", json={"qasm": good, "backend": "nope"},
                          headers={"X-CSRF-Token": csrf}).json()
    assert unknown["ok"] is False and "unknown backend" in unknown["message"]


def test_bad_form_values_are_named_not_500(console_live, alice):
    client = signed_in(console_live, alice)
    page = client.get("/console/composer").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    form = {"qasm": 'OPENQASM 2.0;\nqreg q[1];\n', "backend": "ScQ-P10", "shots": "many",
            "priority": "0", "csrf_token": csrf}
    answer = client.post("/console/composer", data=form)
    assert answer.status_code == 400 and "shots" in answer.text
    answer = client.post("/console/composer", data={**form, "shots": "10", "priority": "99"})
    assert answer.status_code == 400 and "priority" in answer.text
    assert client.get("/console/jobs?status=sleeping").status_code == 400
    assert client.get("/console/jobs?cursor=%%%").status_code == 400
    assert client.get("/console/backends/nope").status_code == 404
    assert client.get("/console/jobs/" + "0" * 32).status_code == 404


def test_jobs_are_paginated_and_filtered(console_live, console_store):
    from kuafu.server.testing import create_user

    token = create_user(console_store)
    program = 'OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n'
    api = httpx.Client(base_url=f"{console_live.url}/api/v1", timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    created = api.post("/jobs", json={"qasm": [program] * 23, "backend": "simulator",
                                      "shots": 1, "group": "sweep"})
    assert created.status_code == 201
    api.post("/jobs", json={"qasm": program, "backend": "simulator", "shots": 1,
                            "name": "lonely"})
    client = signed_in(console_live, token)
    first = client.get("/console/jobs?group=sweep").text
    assert first.count('<tr data-job="') == 20
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).text
    assert second.count('<tr data-job="') == 3 and 'rel="next"' not in second
    named = client.get("/console/jobs?name=lonely").text
    assert named.count('<tr data-job="') == 1
    assert client.get("/console/jobs?backend=ScQ-P10").text.count('<tr data-job="') == 0


def test_backends_table_shows_the_api_s_one_calibration_figure(console_live, alice):
    """The console, the CLI and the API show one labelled figure per chip: the median
    two-qubit fidelity (`schemas.calibration_figure`), with the same value."""
    from kuafu.schemas import format_calibration_figure

    browser = signed_in(console_live, alice)
    html = browser.get("/console/backends").text
    browser.close()
    listed = httpx.get(f"{console_live.url}/api/v1/backends",
                       headers={"Authorization": f"Bearer {alice}"}).json()
    assert "Median 2q fidelity" in html
    for backend in listed:
        if backend["fidelity_2q_median"] is None:
            continue
        shown = format_calibration_figure(backend["fidelity_2q_median"])
        row = html[html.index(f'data-backend="{backend["name"]}"'):]
        assert shown in row[:row.index("</tr>")], backend["name"]
