"""The record's `code_sha256` agrees with the labextension's SHA-256 on a shared fixture."""

from __future__ import annotations

import json
from pathlib import Path

from mlwork_jupyter.provenance.record import RunRecord, code_sha256

FIXTURE = Path(__file__).parents[2] / "labextension/test/fixtures/code-digests.json"


def test_digests_match_the_shared_fixture() -> None:
    pairs = json.loads(FIXTURE.read_text(encoding="utf-8"))["pairs"]
    assert any("\r\n" in p["text"] for p in pairs)
    assert any(not p["text"].isascii() for p in pairs)
    for pair in pairs:
        assert code_sha256(pair["text"]) == pair["sha256"], pair["text"][:40]


def test_compact_record_carries_code_sha256() -> None:
    record = RunRecord(
        id="01A",
        stage="data",
        name="n",
        code="x = 1",
        code_hash="h",
        notebook="nb",
        code_sha256=code_sha256("%%mlwork data\nx = 1"),
    )
    compact = record.compact()
    assert compact["code_sha256"] == code_sha256("%%mlwork data\nx = 1")
    assert RunRecord.from_compact(compact).code_sha256 == compact["code_sha256"]
