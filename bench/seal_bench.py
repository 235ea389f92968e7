"""Seals per second at each JAdES level (local RFC 3161 responder), relative to raw RSA-2048.

    python bench/seal_bench.py [--seconds 3] [--payload FILE]

The raw cost is one RSA-2048 PKCS#1 v1.5 / SHA-256 signature over the same signing input,
measured in the same run, so the ratios say how much JAdES adds on this machine.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
SAMPLE = REFERENCE / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld"


def _rate(action: Callable[[], object], seconds: float) -> tuple[float, int]:
    action()  # warm-up
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        action()
        count += 1
    return count / elapsed, count


def _payload(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    if SAMPLE.is_file():
        return SAMPLE.read_text(encoding="utf-8")
    credential = {"id": "urn:credential:bench", "type": ["VerifiableCredential"]}
    credential["note"] = ["x" * 100] * 1000  # ~100 KiB like the EC samples
    return json.dumps(credential)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--payload", type=Path, help="credential JSON to seal")
    args = parser.parse_args()
    payload = _payload(args.payload)
    pki = devpki.generate()
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    data = jades.signing_input("e30", payload)

    def raw() -> bytes:
        return pki.seal.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    raw_rate, raw_count = _rate(raw, args.seconds)
    b_b = Sealer(seal_key, level=Level.B_B)
    rows = [("raw RSA-2048 RS256 signature", raw_rate, raw_count)]
    rows.append(("JAdES B-B seal", *_rate(lambda: b_b.seal(payload), args.seconds)))
    with DevServer(TimestampAuthority(pki.tsa_signer())) as server:
        client = TsaClient(server.tsa_url)
        b_t = Sealer(seal_key, tsa=client, level=Level.B_T)
        rows.append(("JAdES B-T seal (local TSA)", *_rate(lambda: b_t.seal(payload), args.seconds)))
        b_lt = Sealer(seal_key, tsa=client, level=Level.B_LT, crls=[pki.crl])
        rows.append(("JAdES B-LT seal (local TSA)", *_rate(lambda: b_lt.seal(payload), args.seconds)))
        b_lta = Sealer(seal_key, tsa=client, level=Level.B_LTA, crls=[pki.crl])
        rows.append(("JAdES B-LTA seal (local TSA)", *_rate(lambda: b_lta.seal(payload), args.seconds)))
        client.close()
    print(f"payload: {len(payload.encode('utf-8')) / 1024:.1f} KiB, {args.seconds:g} s per row")
    print(f"{'operation':<30} {'per second':>11} {'ms each':>9} {'cost vs raw':>12}")
    for name, rate, count in rows:
        print(f"{name:<30} {rate:>11,.0f} {1000 / rate:>9.3f} {raw_rate / rate:>11.2f}x  (n={count})")


if __name__ == "__main__":
    main()
