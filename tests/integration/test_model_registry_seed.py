"""The model_registry sample data (idempotent, deterministic) and its demo tour segment."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from registry_sql import model_registry as mr
from registry_sql.seeds import core as core_seed
from registry_sql.seeds import model_registry as mr_seed
from registry_sql.tours import model_registry as mr_tour

Conn = psycopg.Connection[Any]


def test_seed_is_idempotent_and_tour_runs(conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    core_seed.seed(conn)
    calls: list[tuple[str, int, int]] = []
    counts = mr_seed.seed(conn, size=200, progress=lambda w, d, t: calls.append((w, d, t)))
    assert counts["packages"] == 204 and counts["scores"] == 201
    assert counts["downloads"] == 600 and counts["lineage edges"] > 50
    assert ("model_registry downloads", 600, 600) in calls
    assert mr_seed.seed(conn, size=200) == {}

    bert = mr.get_package_by_name_version(conn, name="bert-base-uncased", version="1.0.0")
    assert (bert.s3_key, bert.s3_bucket, bert.file_size_bytes, bert.description) == (
        "packages/bert-base-uncased-1.0.0.zip", "ml-registry", 440473133, "BERT base model")
    score = mr.get_package_score(conn, package_id=bert.id)
    assert score.ramp_up_time == pytest.approx(0.85)
    assert score.bus_factor == pytest.approx(0.90)
    assert score.license_score == pytest.approx(1.0)
    assert score.net_score == pytest.approx(0.88)
    assert bert.uploaded_by is not None
    assert mr.get_user_permissions(conn, user_id=bert.uploaded_by).username == "alice"
    # deterministic: generated ids are uuid5 of name@version
    first = mr_seed._generated(1, [bert.uploaded_by])[0]
    assert mr.get_package_by_id(conn, id=first.id).name == first.name

    mr_tour.tour(conn)
    out = capsys.readouterr().out
    assert "would create a cycle" in out
    assert "access_granted=False" in out and "action='download'" in out
