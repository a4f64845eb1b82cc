"""scripts/audit.py: exceptions, expiry and the sorting of pip-audit's report, without a network.

The reports below have the shape pip-audit 2.10 writes with ``--format json --aliases on
--desc off`` (``pip_audit/_format/json.py``): a dependency is either ``{name, version, vulns}``
or ``{name, skip_reason}``. The vulnerability in them is made up.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("portal_audit_script", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = audit  # dataclasses look their module up by name
_SPEC.loader.exec_module(audit)

TODAY = dt.date(2026, 12, 1)
FAKE_ID = "GHSA-test-fake-0001"
FAKE_ALIAS = "CVE-2026-99999"

PINS = {"pillow": "13.0.0", "flask": "3.1.3", "jinja2": "3.1.6"}

REPORT_CLEAN = {
    "dependencies": [
        {"name": "pillow", "version": "13.0.0", "vulns": []},
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
    ],
    "fixes": [],
}
REPORT_VULNERABLE = {
    "dependencies": [
        {"name": "pillow", "version": "13.0.0", "vulns": [
            {"id": FAKE_ID, "fix_versions": ["13.0.1"], "aliases": [FAKE_ALIAS, "PYSEC-2026-0"]},
        ]},
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
    ],
    "fixes": [],
}
# What this machine gets: the index answers, the per-release JSON is 404 for every package.
REPORT_SKIPPED = {
    "dependencies": [
        {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} ({version})"}
        for name, version in PINS.items()
    ],
    "fixes": [],
}
CONNECTION_ERROR = (
    "Traceback (most recent call last):\n  ...\n"
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): "
    "Max retries exceeded with url: /v1/query (Caused by NameResolutionError(...))\n"
)


REASON = "Only the FITS decoder, which the portal never opens."


def waiver_toml(vuln_id: str = FAKE_ID, package: str = "pillow", written: str = "2026-11-20",
                review_by: str = "2027-01-20", reason: str = REASON) -> str:
    return (f'[[exception]]\nid = "{vuln_id}"\npackage = "{package}"\nreason = "{reason}"\n'
            f"written = {written}\nreview_by = {review_by}\n")


def run_of(report: dict | None, returncode: int = 0, stderr: str = "") -> audit.Run:
    return audit.Run(report, returncode, stderr)


# -- the exceptions file ---------------------------------------------------------------------


def test_an_empty_file_has_no_exceptions() -> None:
    assert audit.parse_exceptions("# nothing accepted\n") == []


def test_the_repository_exceptions_file_is_valid() -> None:
    audit.parse_exceptions(audit.EXCEPTIONS_FILE.read_text(encoding="utf-8"))


def test_a_complete_exception_is_read_with_its_dates_and_a_canonical_name() -> None:
    [waiver] = audit.parse_exceptions(waiver_toml(package="Pillow"))
    assert waiver == audit.Waiver(FAKE_ID, "pillow", REASON, dt.date(2026, 11, 20), dt.date(2027, 1, 20))


@pytest.mark.parametrize(("text", "problem"), [
    ('[[exception]]\nid = "GHSA-a-b-c"\npackage = "x"\n', "missing reason, written, review_by"),
    (waiver_toml() + 'owner = "me"\n', "unknown key(s) owner"),
    (waiver_toml(vuln_id="see the mail"), "id must be an advisory id"),
    (waiver_toml(reason="ok"), "reason must say why"),
    (waiver_toml(written='"2026-11-20"'), "written must be a date"),
    (waiver_toml(review_by="2027-01-20T10:00:00"), "review_by must be a date"),
    (waiver_toml(review_by="2026-11-20"), "review_by must come after written"),
    (waiver_toml(review_by="2027-06-30"), "more than 180 days"),
    (waiver_toml() + waiver_toml(package="PILLOW"), "listed twice"),
    ("[exception]\nid = 1\n", "must be written as [[exception]] tables"),
    ("exceptions = []\n", "unknown top-level key 'exceptions'"),
    ("[[exception]\n", "not valid TOML"),
])
def test_malformed_exceptions_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(audit.ExceptionsFileError) as error:
        audit.parse_exceptions(text)
    assert problem in str(error.value)


def test_every_problem_is_reported_with_its_entry_number() -> None:
    text = waiver_toml() + "".join(waiver_toml(vuln_id=f"GHSA-{n}", reason="no") for n in range(2, 12))
    with pytest.raises(audit.ExceptionsFileError) as error:
        audit.parse_exceptions(text)
    assert len(error.value.problems) == 10
    assert error.value.problems[-1].startswith("exception 11: ")


def test_an_exception_counts_until_its_review_date_inclusive() -> None:
    [waiver] = audit.parse_exceptions(waiver_toml(review_by="2026-12-01"))
    assert audit.date_problems([waiver], TODAY) == []
    assert not waiver.expired(TODAY)
    [problem] = audit.date_problems([waiver], TODAY + dt.timedelta(days=1))
    assert "due for review on 2026-12-01" in problem


def test_an_exception_dated_in_the_future_is_a_problem() -> None:
    [waiver] = audit.parse_exceptions(waiver_toml(written="2026-12-05", review_by="2027-01-05"))
    [problem] = audit.date_problems([waiver], TODAY)
    assert "in the future" in problem


# -- the pinned requirements -----------------------------------------------------------------


def test_pins_are_read_across_included_files(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("# runtime\nFlask==3.1.3\nzope.interface==7.0 ; python_version >= '3'\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\n\npytest==9.2.0  # tests\n")
    assert audit.pinned_requirements([tmp_path / "base.txt", tmp_path / "dev.txt"]) == {
        "flask": "3.1.3", "zope-interface": "7.0", "pytest": "9.2.0"}


def test_an_unpinned_requirement_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("flask>=3\n")
    with pytest.raises(ValueError, match=r"r.txt:1: not an exact pin"):
        audit.pinned_requirements([tmp_path / "r.txt"])


def test_the_repository_requirements_are_all_pinned() -> None:
    pins = audit.pinned_requirements(audit.REQUIREMENT_FILES)
    assert {"flask", "pip-audit", "bandit", "pytest"} <= set(pins)


# -- sorting pip-audit's report --------------------------------------------------------------


def test_a_clean_report_audits_everything() -> None:
    outcome = audit.classify(run_of(REPORT_CLEAN), PINS, [], TODAY)
    assert sorted(outcome.audited) == sorted(PINS)
    assert (outcome.unaudited, outcome.findings, outcome.excepted) == ([], [], [])
    assert audit.exit_status(outcome, [], strict=True) == 0


def test_a_known_vulnerability_without_an_exception_fails() -> None:
    outcome = audit.classify(run_of(REPORT_VULNERABLE, returncode=1), PINS, [], TODAY)
    [finding] = outcome.findings
    assert (finding.package, finding.version, finding.id, finding.fix_versions) == (
        "pillow", "13.0.0", FAKE_ID, ("13.0.1",))
    assert audit.exit_status(outcome, [], strict=False) == 1


@pytest.mark.parametrize("vuln_id", [FAKE_ID, FAKE_ALIAS, FAKE_ALIAS.lower()])
def test_a_valid_exception_covers_the_vulnerability_by_id_or_alias(vuln_id: str) -> None:
    waivers = audit.parse_exceptions(waiver_toml(vuln_id=vuln_id))
    outcome = audit.classify(run_of(REPORT_VULNERABLE, returncode=1), PINS, waivers, TODAY)
    assert outcome.findings == []
    [excepted] = outcome.excepted
    assert excepted.waiver == waivers[0]
    assert audit.exit_status(outcome, [], strict=True) == 0


def test_an_exception_for_another_package_covers_nothing() -> None:
    waivers = audit.parse_exceptions(waiver_toml(package="flask"))
    outcome = audit.classify(run_of(REPORT_VULNERABLE, returncode=1), PINS, waivers, TODAY)
    assert len(outcome.findings) == 1
    assert outcome.unused == waivers  # flask was audited and has nothing: the entry is stale


def test_an_exception_for_another_advisory_of_the_package_covers_nothing() -> None:
    waivers = audit.parse_exceptions(waiver_toml(vuln_id="GHSA-othr-othr-othr"))
    outcome = audit.classify(run_of(REPORT_VULNERABLE, returncode=1), PINS, waivers, TODAY)
    assert [finding.id for finding in outcome.findings] == [FAKE_ID]


def test_an_expired_exception_covers_nothing() -> None:
    waivers = audit.parse_exceptions(waiver_toml(written="2026-09-01", review_by="2026-11-30"))
    outcome = audit.classify(run_of(REPORT_VULNERABLE, returncode=1), PINS, waivers, TODAY)
    assert len(outcome.findings) == 1
    assert audit.exit_status(outcome, audit.date_problems(waivers, TODAY), strict=False) == 1


def test_skipped_packages_are_not_audited_and_only_strict_fails() -> None:
    outcome = audit.classify(run_of(REPORT_SKIPPED), PINS, [], TODAY)
    assert outcome.audited == []
    assert [(name, reason) for name, _version, reason in outcome.unaudited] == [
        (name, "Dependency not found on PyPI and could not be audited") for name in PINS]
    assert audit.exit_status(outcome, [], strict=False) == 0
    assert audit.exit_status(outcome, [], strict=True) == 1


def test_a_package_missing_from_the_report_is_not_audited() -> None:
    report = {"dependencies": REPORT_CLEAN["dependencies"][:2], "fixes": []}
    outcome = audit.classify(run_of(report), PINS, [], TODAY)
    assert outcome.unaudited == [("jinja2", "3.1.6", "missing from pip-audit's report")]


def test_an_unreachable_service_leaves_every_package_unaudited() -> None:
    outcome = audit.classify(run_of(None, returncode=1, stderr=CONNECTION_ERROR), PINS, [], TODAY)
    assert outcome.audited == []
    assert sorted(name for name, _v, _r in outcome.unaudited) == sorted(PINS)
    assert outcome.service_error.startswith("requests.exceptions.ConnectionError")


def test_an_exception_about_a_package_not_audited_is_not_called_stale() -> None:
    waivers = audit.parse_exceptions(waiver_toml())
    outcome = audit.classify(run_of(REPORT_SKIPPED), PINS, waivers, TODAY)
    assert outcome.unused == []


# -- running pip-audit (a stand-in process, no network) --------------------------------------


def test_the_pip_audit_command_audits_pins_only_in_json() -> None:
    command = audit.pip_audit_command([Path("a.txt"), Path("b.txt")], Path("out.json"), "pypi", 10)
    assert command[:3] == [sys.executable, "-m", "pip_audit"]
    pairs = list(zip(command, command[1:], strict=False))
    for pair in [("--requirement", "a.txt"), ("--requirement", "b.txt"), ("--format", "json"),
                 ("--output", "out.json"), ("--aliases", "on"), ("--vulnerability-service", "pypi"),
                 ("--timeout", "10")]:
        assert pair in pairs
    assert {"--no-deps", "--disable-pip"} <= set(command)


def test_a_crashing_pip_audit_gives_no_report_and_its_error(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('Traceback\\nConnectionError: no route'); sys.exit(1)"
    run = audit.run_pip_audit([], command=lambda output: [sys.executable, "-c", script])
    assert run.report is None
    assert run.returncode == 1
    assert audit.crash_summary(run.stderr) == "ConnectionError: no route"


def test_the_report_pip_audit_writes_is_read_even_when_it_exits_1() -> None:
    script = ("import json, sys; open(sys.argv[1], 'w').write(json.dumps(" + repr(REPORT_VULNERABLE) + "));"
              " sys.exit(1)")
    run = audit.run_pip_audit([], command=lambda output: [sys.executable, "-c", script, str(output)])
    assert run.report == REPORT_VULNERABLE


def test_garbage_instead_of_a_report_counts_as_no_report() -> None:
    script = "import sys; open(sys.argv[1], 'w').write('{not json')"
    run = audit.run_pip_audit([], command=lambda output: [sys.executable, "-c", script, str(output)])
    assert run.report is None


# -- the whole command -----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("".join(f"{name}=={version}\n" for name, version in PINS.items()))
    (tmp_path / "exceptions.toml").write_text("# none\n")
    return tmp_path


def run_main(repo: Path, run: audit.Run, *extra: str, environ: dict[str, str] | None = None) -> int:
    def runner(files: list[Path], service: str, timeout: int) -> audit.Run:
        assert [file.name for file in files] == ["requirements.txt"]
        return run

    argv = [str(repo / "requirements.txt"), "--exceptions", str(repo / "exceptions.toml"), *extra]
    return audit.main(argv, runner=runner, today=TODAY, environ=environ or {})


def test_offline_the_command_passes_but_says_loudly_what_was_not_audited(repo, capsys) -> None:
    assert run_main(repo, run_of(REPORT_SKIPPED)) == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED: 3 of 3 packages" in out
    assert "pillow 13.0.0, flask 3.1.3, jinja2 3.1.6" in out
    assert "audited: 0 of 3" in out
    assert "RESULT: INCOMPLETE" in out
    assert "No known vulnerabilities" not in out
    assert "PASS" not in out


@pytest.mark.parametrize(("extra", "environ"), [(("--strict",), {}), ((), {"AUDIT_STRICT": "1"})])
def test_strict_mode_fails_offline(repo, capsys, extra, environ) -> None:
    assert run_main(repo, run_of(REPORT_SKIPPED), *extra, environ=environ) == 1
    assert "RESULT: FAIL: 3 packages not audited (strict)." in capsys.readouterr().out


def test_a_finding_fails_and_is_named_with_its_fix(repo, capsys) -> None:
    assert run_main(repo, run_of(REPORT_VULNERABLE, returncode=1)) == 1
    out = capsys.readouterr().out
    assert f"VULNERABLE: pillow 13.0.0: {FAKE_ID} (also {FAKE_ALIAS}, PYSEC-2026-0); fixed in 13.0.1" in out
    assert "RESULT: FAIL: 1 known vulnerability without a valid exception." in out


def test_a_written_exception_lets_it_pass_and_is_shown(repo, capsys) -> None:
    (repo / "exceptions.toml").write_text(waiver_toml(vuln_id=FAKE_ALIAS))
    assert run_main(repo, run_of(REPORT_VULNERABLE, returncode=1), "--strict") == 0
    out = capsys.readouterr().out
    assert f"excepted: pillow 13.0.0: {FAKE_ID}, review by 2027-01-20" in out
    assert "RESULT: PASS: all 3 packages audited" in out


def test_an_expired_exception_fails_the_run_even_when_nothing_is_found(repo, capsys) -> None:
    (repo / "exceptions.toml").write_text(waiver_toml(written="2026-09-01", review_by="2026-11-30"))
    assert run_main(repo, run_of(REPORT_CLEAN)) == 1
    out = capsys.readouterr().out
    assert "was due for review on 2026-11-30" in out
    assert "RESULT: FAIL: the exceptions file needs attention." in out


def test_a_malformed_or_missing_exceptions_file_fails(repo, capsys) -> None:
    (repo / "exceptions.toml").write_text(waiver_toml(reason="x"))
    assert run_main(repo, run_of(REPORT_CLEAN)) == 1
    assert "EXCEPTIONS FILE: exception 1: reason must say why" in capsys.readouterr().out
    (repo / "exceptions.toml").unlink()
    assert run_main(repo, run_of(REPORT_CLEAN)) == 1
    assert "does not exist" in capsys.readouterr().out


def test_an_unreachable_service_is_reported_with_pip_audits_error(repo, capsys) -> None:
    assert run_main(repo, run_of(None, returncode=1, stderr=CONNECTION_ERROR)) == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED: 3 of 3 packages" in out
    assert "pip-audit stopped: requests.exceptions.ConnectionError" in out
    assert "the vulnerability service could not be reached (3):" in out
