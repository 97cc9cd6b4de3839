"""Secret masking: detect-secrets' findings, known values and secret-named variables."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from collections import namedtuple
from typing import Any

import pytest
from detect_secrets.filters.heuristic import is_sequential_string
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlwork_jupyter.provenance.secrets import (
    MASK,
    known_secrets_version,
    mask_known_values,
    mask_text,
    mask_value,
    register_secret,
)

# Fake credentials in the shapes the real ones have.
GITHUB = "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"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
API_KEY = "q8Zr4N2vX9pL7tB1mK5wH3cJ6fD0sG2yT8uE4aQ1"
PASSWORD = "hunter2xyz"
PEM_BODY = [
    "MIIEowIBAAKCAQEAx3Y5c1QwqLz0m9bJk8Zr4N2vX9pL7tB1mK5wH3cJ6fD0sG2y",
    "T8uE4aQ1b7Rq3Wn6Ys0Hd9Lf2Kc5Vx8Pj1Mg4Zt7Nb0Qe3Ua6Ir9Oy2Ts5Wl8Ek",
    "Xk2Q==",
]
PEM = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"])

CASES = [
    (f'token = "{GITHUB}"', GITHUB),
    (f"headers = {{'Authorization': 'token {GITHUB}'}}", GITHUB),
    (f'AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"', AWS_KEY_ID),
    (f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET),
    ("-----BEGIN RSA PRIVATE KEY-----", "BEGIN RSA PRIVATE KEY"),
    (f'password = "{PASSWORD}"', PASSWORD),
    (f'connect(host="db", password="{PASSWORD}")', PASSWORD),
    (f'slack = WebClient(token="{SLACK}")', SLACK),
    (f'jwt = "{JWT}"', JWT),
    (f"curl -H 'Authorization: Bearer {JWT}' https://api", JWT),
    (f'api_key = "{API_KEY}"', API_KEY),
    ("db = 'postgresql://ml:s3cr3tpw@db.internal:5432/runs'", "s3cr3tpw"),
]

KERAS_CELL = """\
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
model = keras.Sequential([
    layers.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, validation_split=0.2, epochs=20, batch_size=128)
url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
df = pd.read_csv("data/train_2024-01-01.csv", index_col=0)
password = getpass.getpass()
run_id = "4f9c2d1e8a7b6c5d4e3f2a1b0c9d8e7f"
print(f"Epoch 1/20 - loss: 0.3412 - accuracy: 0.9012 - {model.name!r}")
"""


@pytest.mark.parametrize(("code", "secret"), CASES)
def test_each_kind_of_secret_is_masked_and_nothing_else(code: str, secret: str) -> None:
    assert mask_text(code) == code.replace(secret, MASK)


def test_secrets_in_a_cell_are_masked_line_by_line() -> None:
    code = "\n".join(line for line, _ in CASES)
    masked = mask_text(code)
    assert masked == "\n".join(line.replace(secret, MASK) for line, secret in CASES)


def test_a_private_key_block_loses_its_body() -> None:
    code = f'KEY = """\n{PEM}\n"""\nprint(1)\n'
    masked = mask_text(code)
    assert all(part not in masked for part in PEM_BODY)
    assert masked.endswith('-----END RSA PRIVATE KEY-----\n"""\nprint(1)\n')


def test_text_without_secrets_is_unchanged_byte_for_byte() -> None:
    assert mask_text(KERAS_CELL) == KERAS_CELL
    assert mask_text("") == ""
    message = "Epoch 3/20\r\n  loss: 0.1234 \t ☃ accuracy: 0.97\n\n"
    assert mask_text(message) == message


def test_the_result_is_cached_by_content() -> None:
    code = KERAS_CELL + f'token = "{GITHUB}"\n'
    first = mask_text(code)
    assert mask_text(code) is first
    assert mask_text(code + "# edited\n") == first + "# edited\n"


def test_allowlist_pragma_is_honoured() -> None:
    # A value of its own: one found as a secret elsewhere in this process stays masked.
    code = 'api_key = "Zq8Xw2Lp9Rt4Vy6Nb1Mc3Kd5"  # pragma: allowlist secret'
    assert mask_text(code) == code


def test_secrets_in_nested_params_are_masked() -> None:
    params: dict[str, Any] = {
        "epochs": 20,
        "lr": 1e-3,
        "optimizer": "adam",
        "github": GITHUB,
        "aws": {"access_key_id": AWS_KEY_ID, "secret_access_key": AWS_SECRET},
        "db": {"password": PASSWORD, "host": "db.internal"},
        "notify": [SLACK, ("jwt", JWT)],
        "api_key": API_KEY,
        "ssh_key": PEM,
        GITHUB: "a secret as a key",
    }
    masked = mask_value(params)
    dumped = json.dumps(masked)
    for secret in (GITHUB, AWS_KEY_ID, AWS_SECRET, PASSWORD, SLACK, JWT, API_KEY, *PEM_BODY):
        assert secret not in dumped
    assert isinstance(masked, dict)
    assert masked["epochs"] == 20
    assert masked["optimizer"] == "adam"
    assert masked["db"] == {"password": MASK, "host": "db.internal"}
    assert masked["notify"] == [MASK, ("jwt", MASK)]
    assert masked[MASK] == "a secret as a key"
    assert params["db"]["password"] == PASSWORD  # the input is left alone


def test_mask_value_keeps_what_needs_no_masking() -> None:
    params = {"epochs": 20, "layers": [128, 64], "name": "mlp", "dropout": None}
    assert mask_value(params) is params
    obj = object()
    assert mask_value(obj) is obj
    assert mask_value(3.5) == 3.5


def test_mask_value_keeps_named_tuples_and_cuts_cycles() -> None:
    pair = namedtuple("pair", "user token")  # noqa: PYI024
    masked = mask_value(pair("ana", GITHUB))
    assert masked == pair("ana", MASK)
    assert type(masked) is pair
    loop: list[object] = [GITHUB]
    loop.append(loop)
    assert mask_value(loop) == [MASK, "[...]"]


def test_registered_values_are_masked_everywhere() -> None:
    value = "vault-7Hq!Zp-unique"
    before = known_secrets_version()
    assert mask_text(f"login({value!r})") == f"login({value!r})"
    register_secret(value)
    assert known_secrets_version() != before
    assert mask_text(f"login({value!r})") == f"login('{MASK}')"
    assert mask_value({"msg": f"bad {value}"}) == {"msg": f"bad {MASK}"}
    with pytest.raises(TypeError, match="expects a str"):
        register_secret(123)  # type: ignore[arg-type]


def test_values_of_secret_named_variables_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    value = "plainword-5120"  # not something detect-secrets would flag
    text = f"requests.get(url, params={{'k': '{value}'}})"
    assert mask_text(text) == text
    monkeypatch.setenv("MY_SERVICE_AUTH_TOKEN", value)
    assert mask_text(text) == text.replace(value, MASK)
    monkeypatch.delenv("MY_SERVICE_AUTH_TOKEN")
    assert mask_text(text) == text


def test_other_variables_and_short_values_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_DATASET_NAME", "plainword-5120")
    monkeypatch.setenv("SHORT_TOKEN", "abcde")
    text = "load('plainword-5120', tag='abcde')"
    assert mask_text(text) == text


def test_mask_known_values_leaves_hashes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_DB_PASSWORD", "correct-horse-42")
    data = {"commit": "3f786850e387550fdab836ed7e6dc881de23001b", "url": "x:correct-horse-42@h"}
    assert mask_known_values(data) == {"commit": data["commit"], "url": f"x:{MASK}@h"}


def test_detect_secrets_is_imported_on_first_use_only() -> None:
    code = (
        "import sys, mlwork_jupyter.provenance.secrets as s\n"
        "assert 'detect_secrets' not in sys.modules\n"
        "assert s.mask_text('x = 1') == 'x = 1'\n"
        "assert 'detect_secrets' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- properties -----------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
VOCABULARY = [
    "x",
    "y_pred",
    "model.fit(",
    ")",
    "epochs=20",
    "print(",
    "'relu'",
    "# note",
    "for i in range(3):",
    "    ",
    "import numpy as np",
    "1",
    "0.5",
    "[",
    "]",
    "{",
    "}",
    ":",
    "lambda v: v",
    "\n",
    "\t",
    "ünïcode",
    '"adam"',
]
code_text = st.lists(st.sampled_from(VOCABULARY), max_size=12).map(" ".join)
github_tokens = st.text(ALNUM + "_", min_size=36, max_size=36).map(lambda s: "ghp_" + s)
aws_tokens = st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
    lambda s: "AKIA" + s
)
base64_tokens = st.tuples(st.permutations(ALNUM), st.integers(24, 62)).map(
    lambda t: "".join(t[0][: t[1]])
)
hex_tokens = st.tuples(
    st.permutations("0123456789abcdef"), st.permutations("0123456789abcdef")
).map(lambda t: "".join(t[0]) + "".join(t[1]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=code_text,
    after=code_text,
    token=st.one_of(github_tokens, aws_tokens, base64_tokens, hex_tokens),
    opening=st.sampled_from([" ", "(", "=", ", ", "\n", "["]),
    closing=st.sampled_from([" ", ")", ", ", "\n", ";"]),
    quote=st.sampled_from(["", '"', "'"]),
)
def test_tokens_in_random_code_are_masked_and_the_code_kept(
    *, before: str, after: str, token: str, opening: str, closing: str, quote: str
) -> None:
    # detect-secrets deliberately ignores sequences such as "ABCDEF0123": not secrets.
    assume(not is_sequential_string(token))
    code = f"{before}{opening}{quote}{token}{quote}{closing}{after}"
    masked = mask_text(code)
    assert token not in masked
    assert masked == f"{before}{opening}{quote}{MASK}{quote}{closing}{after}"
    assert mask_value({"param": token, "nested": [code]}) == {
        "param": MASK,
        "nested": [masked],
    }


@settings(max_examples=200, deadline=None)
@given(code=code_text)
def test_random_code_without_secrets_is_unchanged(code: str) -> None:
    assert mask_text(code) == code


def test_a_value_found_by_its_assignment_is_masked_everywhere_after():
    from mlwork_jupyter.provenance import secrets

    value = "i2WqFCPYgb1BWaCUo85bbI8ynBboCFoooDsb1JPl"  # low entropy for its length: keyword only
    code = f"api_key = {value!r}\nlog_param('token', {value!r})"
    masked = secrets.mask_text(code)
    assert value not in masked
    assert masked.count(secrets.MASK) == 2
    assert secrets.mask_value({"nested": value}) == {"nested": secrets.MASK}
