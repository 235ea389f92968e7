"""The DEQAR fake reproduces every recorded exchange of the real backend, in order."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.deliver_support import PLACEHOLDER, pdf_b64, start_deqar, transcript

# The recorded CSV bodies were cut after the first row; the second row is rebuilt from the
# recorded answer (an institution with an ETER id the register does not know).
CSV_SECOND_ROW = (
    "ACQUIN,EDCB-CSV-2,1,1,1,2016-01-01,2022-01-01,%Y-%m-%d,https://agency.example/files/c2.pdf,"
    "Report,en,ZZ9999,CSV Programme 2,1,1"
)


def _materialise(body: Any, made: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {k: _materialise(v, made) for k, v in body.items()}
    if isinstance(body, list):
        return [_materialise(v, made) for v in body]
    if isinstance(body, str):
        match = PLACEHOLDER.match(body)
        if match:
            made.setdefault(body, pdf_b64(int(match.group(1))))
            return made[body]
    return body


def _normalise(body: Any, made: dict[str, str], base: str) -> Any:
    reverse = {v: k for k, v in made.items()}
    if isinstance(body, dict):
        return {k: _normalise(v, made, base) for k, v in body.items()}
    if isinstance(body, list):
        return [_normalise(v, made, base) for v in body]
    if isinstance(body, str):
        if body in reverse:
            return reverse[body]
        return body.replace(base, "{BASE}")
    return body


@pytest.fixture(scope="module")
def replay(reference: Path) -> list[tuple[dict[str, Any], requests.Response, dict[str, str], str]]:
    server, _ = start_deqar(reference)
    token = ""
    out = []
    try:
        with requests.Session() as session:
            for case in transcript(reference):
                request = case["request"]
                headers = dict(request["headers"])
                if "Authorization" in headers:
                    secret = "0" * 40 if case["case"] == "bad_token" else token
                    headers["Authorization"] = headers["Authorization"].replace("<token>", secret)
                made: dict[str, str] = {}
                body = _materialise(request["body"], made)
                if isinstance(body, str) and body.endswith("..."):
                    body = body[: body.rindex("\n") + 1] + CSV_SECOND_ROW + "\n"
                data = (
                    body.encode("utf-8")
                    if isinstance(body, str)
                    else (json.dumps(body).encode("utf-8") if body is not None else None)
                )
                response = session.request(
                    request["method"],
                    server.base_url + request["path"],
                    headers=headers,
                    data=data,
                    timeout=30,
                )
                if case["case"] == "get_token_ok":
                    token = response.json()["token"]
                out.append((case, response, made, server.base_url))
    finally:
        server.stop()
    return out


def test_every_case_is_replayed(replay: list[Any], reference: Path) -> None:
    assert len(replay) == len(transcript(reference)) == 41


@pytest.mark.parametrize("index", range(41))
def test_fake_answers_as_recorded(replay: list[Any], index: int) -> None:
    case, response, made, base = replay[index]
    expected = case["response"]
    assert response.status_code == expected["status"], (case["case"], response.text[:500])
    assert response.headers["Content-Type"].startswith(expected["content_type"])
    assert "WWW-Authenticate" not in response.headers
    got = _normalise(response.json(), made, base)
    if case["case"] == "get_token_ok":
        assert re.fullmatch(r"[0-9a-f]{40}", got["token"])
        got["token"] = "<40-hex token>"
    assert got == expected["body"], case["case"]
