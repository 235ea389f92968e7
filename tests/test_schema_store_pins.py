"""The schema store: what a validation reads from the store is what the manifest pins,
and the messages say what is wrong and what to run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore, SchemaStoreError, default_store, manifest
from edcbridge.schemas.store import parse_manifest
from tests.tls_support import https_server, self_signed

LOQ_SAMPLE = "elm3-qdr-xsd/3.2/loq/loq.xml"
LOQ_XSD = "elm3-qdr-xsd/3.2/loq/loq.xsd"
EQF = "elm3-qdr-xsd/3.2/loq/cv/eqf.xsd"  # included by loq.xsd, not named by any document
SHAPES = "elm3-rdf/3.2/rdf/ap/edc/EDC-generic-full.ttl"
EBSI_EDC = "ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json"


@pytest.fixture
def own_store(reference: Path, tmp_path: Path) -> SchemaStore:
    store = SchemaStore(tmp_path / "store")
    assert not store.install_from(reference).failed
    return store


def test_every_schema_import_stays_among_the_pinned_schemas_of_its_folder(reference: Path) -> None:
    """What SchemaStore.path checks with an XML schema (the pinned schemas under its top folder)
    covers every file its imports and includes can reach."""
    pinned = {e.path for e in manifest()}
    for entry in manifest():
        if not entry.path.endswith(".xsd"):
            continue
        text = (reference / entry.path).read_text("utf-8", errors="replace")
        for location in re.findall(r'schemaLocation="([^"]+)"', text):
            target = os.path.normpath(f"{Path(entry.path).parent}/{location}")
            assert target in pinned, (entry.path, location)
            assert target.split("/")[0] == entry.path.split("/")[0], (entry.path, location)


def test_a_modified_imported_schema_is_refused_by_validate_xml(
        own_store: SchemaStore, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A code list included by loq.xsd, edited to take EQF level 99: the document naming that
    level must not pass as valid because the store was edited."""
    eqf = own_store.root / EQF
    eqf.write_text(eqf.read_text("utf-8").replace(
        '<xs:enumeration value="http://data.europa.eu/snb/eqf/1">',
        '<xs:enumeration value="http://data.europa.eu/snb/eqf/99"/>'
        '<xs:enumeration value="http://data.europa.eu/snb/eqf/1">', 1), "utf-8")
    document = tmp_path / "loq.xml"
    document.write_text((reference / LOQ_SAMPLE).read_text("utf-8").replace(
        'http://data.europa.eu/snb/eqf/2"', 'http://data.europa.eu/snb/eqf/99"', 1), "utf-8")
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(own_store.root))
    result = CliRunner().invoke(main, ["validate-xml", str(document)])
    assert result.exit_code == 2, result.output
    assert (f"cannot load {LOQ_XSD} from the schema store {own_store.root}: {EQF}, which it may "
            "import, does not match its pinned sha256") in result.stderr
    with pytest.raises(SchemaStoreError, match=r"eqf\.xsd, which it may import, .*does not match"):
        own_store.path(LOQ_XSD)


def test_a_same_size_edit_that_keeps_the_modification_time_is_noticed(own_store: SchemaStore) -> None:
    """Within one process the digest is cached by the file's stat: an edit of the same size whose
    modification time is set back (touch -r, or a coarse clock) must still be seen."""
    target = own_store.path(SHAPES)  # hashed and remembered
    before = target.stat()
    data = target.read_bytes()
    target.write_bytes(data.replace(b"sh:minCount 1", b"sh:minCount 0", 1))
    assert target.stat().st_size == before.st_size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(SchemaStoreError, match="does not match its pinned sha256"):
        own_store.path(SHAPES)


@pytest.mark.parametrize("relative", ["elm3-rdf/3.2/rdf/ap/edc/EDC-extra.ttl", "../outside.ttl"])
def test_a_path_the_manifest_does_not_pin_is_refused(own_store: SchemaStore, relative: str) -> None:
    target = own_store.root / relative
    target.write_text("# anything", encoding="utf-8")
    with pytest.raises(SchemaStoreError, match="is not a file the schema manifest pins"):
        own_store.path(relative)


def _manifest_with(*paths: str) -> str:
    return json.dumps({"manifest_version": 1, "files": [
        {"path": path, "url": None, "version": "1", "licence": "x", "group": "xml", "sha256": "0" * 64}
        for path in paths]})


@pytest.mark.parametrize("paths", [("../x.xsd",), ("/etc/x.xsd",), ("a/../../x.xsd",), ("a\\..\\x.xsd",),
                                   ("C:/x.xsd",), ("a//x.xsd",), ("a/X.xsd", "A/x.xsd")])
def test_a_manifest_path_that_could_leave_the_store_or_share_a_file_is_refused(
        paths: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="manifest path"):
        parse_manifest(_manifest_with(*paths))
    assert parse_manifest(_manifest_with("a/x.xsd", "a/y.xsd"))  # plain paths load


@pytest.mark.parametrize("mirror", ["/mnt/usb/schemas", "file:///mnt/usb/schemas", "C:\\schemas"])
def test_a_folder_given_as_mirror_is_a_usage_error_naming_from(mirror: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schemas", "install", "--download", "--mirror", mirror,
                                       "--store", str(tmp_path / "store")])
    assert result.exit_code == 2, result.output
    assert "is not an http:// or https:// URL" in result.stderr
    assert "schemas install --from DIR" in result.stderr


def test_install_without_a_source_says_the_shared_folder_was_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a checkout beside ../shared/reference, the default source is missing: the message
    says so and gives both routes, instead of only asking for one of two options."""
    monkeypatch.setattr("edcbridge.cli.find_reference_dir", lambda: None)
    result = CliRunner().invoke(main, ["schemas", "install", "--store", str(tmp_path / "store")])
    assert result.exit_code == 2
    assert "no shared reference folder" in result.stderr
    assert "--from DIR" in result.stderr and "--download" in result.stderr


def test_a_file_without_public_download_is_not_sent_to_download(own_store: SchemaStore) -> None:
    (own_store.root / EBSI_EDC).unlink()
    with pytest.raises(SchemaStoreError) as missing:
        own_store.path(EBSI_EDC)
    message = str(missing.value)
    assert "has no public download" in message and "--from DIR" in message
    assert "install --download'" not in message  # plain --download cannot install it


def test_a_store_set_by_the_variable_that_does_not_exist_is_said_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.schemas import store as store_module

    monkeypatch.setattr(store_module, "find_reference_dir", lambda: None)  # as outside a checkout
    typo = tmp_path / "schemass"
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(typo))
    with pytest.raises(SchemaStoreError) as missing:
        default_store().path(SHAPES)
    message = str(missing.value)
    assert f"the schema store {typo} (set by EDCBRIDGE_SCHEMAS; it does not exist); run" in message
    assert "without network access" in message and "--from DIR" in message


def test_a_mirror_password_is_sent_but_never_shown(tmp_path: Path) -> None:
    """A mirror that needs a password is given as https://user:password@host/: requests sends it
    as Basic authentication; the messages (a terminal, a CI log) must not show it."""
    import base64

    from tests.fake_http import FakeServer, Reply

    server = FakeServer(lambda request: Reply(404, b"not here", "text/plain")).start()
    try:
        mirror = server.base_url.replace("http://", "http://clerk42:s3cret@")
        result = CliRunner().invoke(main, ["schemas", "install", "--download", "--mirror", mirror,
                                           "--store", str(tmp_path / "store")])
    finally:
        server.stop()
    assert result.exit_code == 1, result.output
    assert server.log and server.log[0].headers.get("Authorization") == \
        "Basic " + base64.b64encode(b"clerk42:s3cret").decode()
    assert "HTTP 404" in result.stderr and "***@127.0.0.1" in result.stderr
    assert "s3cret" not in result.output and "clerk42" not in result.output

    unreachable = CliRunner().invoke(main, ["schemas", "install", "--download", "--mirror",
                                            "http://clerk42:s3cret@127.0.0.1:9",
                                            "--store", str(tmp_path / "store")])
    assert "the remaining files were not tried" in unreachable.stderr  # the stop names the host
    assert "s3cret" not in unreachable.output and "clerk42" not in unreachable.output


def test_a_mirror_whose_certificate_is_not_trusted_is_refused_with_the_remedy(
        reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TLS is verified; a certificate not trusted (a proxy inspecting TLS, say) is said so, with
    the setting that makes it trusted, and that setting works."""
    from edcbridge.schemas.download import HttpFetcher

    cert_file, key_file = self_signed(tmp_path)
    with https_server(reference, (cert_file, key_file)) as mirror:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        untrusted = SchemaStore(tmp_path / "untrusted").install(HttpFetcher(mirror), entries=manifest()[:1])
        assert untrusted.failed and not untrusted.installed
        assert "TLS certificate could not be verified" in untrusted.failed[0][1]
        assert ("REQUESTS_CA_BUNDLE at the proxy's CA certificate; otherwise check the --mirror URL, "
                "or install with --from DIR") in untrusted.failed[0][1]
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        trusted = SchemaStore(tmp_path / "trusted").install(HttpFetcher(mirror), entries=manifest()[:1])
        assert trusted.installed == [manifest()[0].path], trusted.failed


def test_a_mirror_that_does_not_speak_tls_is_not_blamed_on_a_certificate(
        reference: Path, tmp_path: Path) -> None:
    """An https:// mirror URL naming a plain HTTP server: the handshake fails before any
    certificate is seen, so the fix is the URL, not a CA bundle."""
    from edcbridge.schemas.download import HttpFetcher

    with https_server(reference, None) as mirror:
        result = SchemaStore(tmp_path / "store").install(HttpFetcher(mirror), entries=manifest()[:1])
    assert result.failed and not result.installed
    message = result.failed[0][1]
    assert "the TLS handshake failed" in message
    assert "REQUESTS_CA_BUNDLE" not in message and "certificate" not in message
    assert ("check the --mirror URL (http:// for a mirror without TLS, and its port), "
            "or install with --from DIR") in message


def test_an_official_server_that_does_not_speak_tls_names_the_way_there_and_a_copy(
        reference: Path, tmp_path: Path) -> None:
    """The URL is the manifest's, not the user's: the proxy variables, or a copy of the files."""
    from dataclasses import replace

    from edcbridge.schemas.download import HttpFetcher

    with https_server(reference, None) as plain:
        entry = replace(manifest()[0], url=f"{plain}/{manifest()[0].path}", copy=None)
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher()(entry)
    message = str(failed.value)
    assert "the server does not speak TLS at that address" in message
    assert ("the URL is the manifest's, so a proxy or firewall in between may answer instead: check the "
            "proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), or install from a copy of the files "
            "with --from DIR or --download --mirror URL") in message
    assert "REQUESTS_CA_BUNDLE" not in message and "--mirror URL (http://" not in message


def test_a_demo_with_a_store_lacking_files_stops_before_it_writes_anything(
        own_store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Away from the shared reference folder (an installed package), which would fill the store."""
    (own_store.root / EBSI_EDC).unlink()
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(own_store.root))
    monkeypatch.setattr("edcbridge.schemas.store.find_reference_dir", lambda: None)
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert EBSI_EDC in result.stderr and "schemas install" in result.stderr
    assert not out.exists()


def test_a_download_of_the_file_without_a_public_url_names_the_mirror_as_well() -> None:
    """The EBSI EDC schema installs from a copy or from a mirror that holds it."""
    from edcbridge.schemas.download import HttpFetcher

    entry = next(entry for entry in manifest() if entry.url is None)
    with pytest.raises(SchemaStoreError) as failed:
        HttpFetcher()(entry)
    message = str(failed.value)
    assert "--from only" not in message
    assert "--from DIR" in message and "--download --mirror URL" in message
