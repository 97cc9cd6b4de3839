"""Secrets in code, params, names and environment never reach the store or any output."""

import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.utils.capture import capture_output

_ALNUM = string.ascii_letters + string.digits
GITHUB = st.text(_ALNUM, min_size=36, max_size=36).map(lambda s: "ghp_" + s)
AWS = st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
    lambda s: "AKIA" + s
)
# Generated keys are uniformly random; draw them from a seed so that shrinking keeps them so.
GENERIC = st.integers(min_value=0, max_value=2**64).map(
    lambda seed: "".join(random.Random(seed).choices(_ALNUM + "+/", k=40))
)


def _store_bytes(tmp_path):
    return b"".join(p.read_bytes() for p in (tmp_path / ".mlwork").glob("mlwork.sqlite*"))


def _everything_shown(cap):
    parts = [cap.stdout, cap.stderr]
    for out in cap.outputs:
        parts.extend(str(v) for v in out.data.values())
    return "\n".join(parts)


def _run_and_check(ip, tmp_path, secret, cell):
    with capture_output() as cap:
        res = ip.run_cell(cell)
    assert res.success, res.error_in_exec
    stored = _store_bytes(tmp_path)
    assert b"mlwork.log_param" in stored  # the run (its masked code) is there
    assert secret.encode() not in stored
    assert secret not in _everything_shown(cap)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=st.one_of(GITHUB, AWS, GENERIC))
def test_tokens_in_code_and_params_never_recorded(ip, tmp_path, secret):
    cell = (
        "%%mlwork train --name secrets\nimport mlwork_jupyter as mlwork\n"
        f"api_key = {secret!r}  # token: {secret}\n"
        f"mlwork.log_param('token', {secret!r})\n"
        f"mlwork.log_params({{'nested': {{'key': {secret!r}}}}})\n"
        f"mlwork.log_metric({('m-' + secret)!r}, 1.0)"
    )
    _run_and_check(ip, tmp_path, secret, cell)


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ],
)
def test_known_token_formats_masked(ip, tmp_path, secret):
    cell = (
        f"%%mlwork data --name {secret}\nimport mlwork_jupyter as mlwork\n"
        f"token = {secret!r}\nmlwork.log_param('t', token)\nraise ValueError(token)"
    )
    with capture_output() as cap:
        res = ip.run_cell(cell)
    assert isinstance(res.error_in_exec, ValueError)
    assert secret.encode() not in _store_bytes(tmp_path)
    cards = [o.data for o in cap.outputs]
    assert cards
    assert all(secret not in str(data) for data in cards)


def test_secret_named_environment_variable_is_masked(ip, tmp_path, monkeypatch):
    value = "correct-horse-battery-staple-42"  # low entropy: only its name marks it secret
    monkeypatch.setenv("MY_SERVICE_TOKEN", value)
    cell = (
        "%%mlwork data --name env\nimport os\nimport mlwork_jupyter as mlwork\n"
        "mlwork.log_param('token', os.environ['MY_SERVICE_TOKEN'])"
    )
    _run_and_check(ip, tmp_path, value, cell)
    ip.run_line_magic("mlwork", "env")
    assert value.encode() not in _store_bytes(tmp_path)
