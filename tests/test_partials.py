"""Partials: the roll-up of several jurisdictions, partial summaries, `merge`,
`report --from-partials` and --jobs.

The promise under test: merging the partials of some files gives the bytes
one run over the same files gives, whatever the number of processes; and
each county's figures in a roll-up are its own run's.  The six county ledgers
are written by tests/counties.py.  Last, hostile input: partials that are
foreign, corrupt, given twice or made unlike.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import counties
import grassroots_report as gr
from conftest import ROOT, run_cli


# == The roll-up of several jurisdictions ==========================================================
OUTPUTS = [("summary", "--format", "json"), ("summary",), ("summary", "--by", "jurisdiction", "--format", "csv"),
           ("summary", "--by", "category", "--format", "tsv"), ("report",)]


@pytest.fixture(scope="module")
def six(tmp_path_factory) -> list[str]:
    directory = tmp_path_factory.mktemp("counties")
    return [str(p) for p in counties.write_counties(directory)]


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def partials(files: list[str], directory: Path, *extra: str) -> list[str]:
    out = []
    for index, name in enumerate(files):
        path = directory / f"{index}-{Path(name).stem}.partial"
        path.write_text(ok("summary", name, "--format", "partial", *extra), encoding="ascii")
        out.append(str(path))
    return out


def merged(command: tuple[str, ...], paths: list[str]) -> str:
    if command[0] == "report":
        return ok("report", "--from-partials", *paths, *command[1:])
    return ok("merge", *paths, *command[1:])


# -- each county is its own run --------------------------------------------------------------------
def test_each_county_in_the_roll_up_is_its_own_run(six):
    roll = json.loads(ok("summary", *six, "--format", "json", "--jobs", "1"))
    entries = {e["name"]: e for e in roll["groups"]["jurisdiction"]}
    assert len(entries) == 6
    for name in six:
        own = json.loads(ok("summary", name, "--format", "json"))
        entry = entries[own["jurisdiction"]]
        totals = {k: v for k, v in own["totals"].items() if k not in ("area_inferred", "area_unknown")}  # totals only
        assert {k: entry[k] for k in totals} == totals, own["jurisdiction"]
    # the totals of the whole are the sum of the counties' counts
    for key in ("received", "resolved", "overdue", "late", "dissatisfied", "repeats"):
        assert roll["totals"][key] == sum(e[key] for e in entries.values())
    ranks = [e["rank"] for e in roll["groups"]["jurisdiction"] if e["rank"] is not None]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 2


def test_each_file_keeps_its_own_deadlines(tmp_path):
    # the same case in two counties: 3 days in one, 10 in the other, so it is late in one only
    def ledger(name: str, days: int, case_id: str) -> Path:
        path = tmp_path / f"{case_id}.yaml"
        path.write_text(
            f"version: 1\njurisdiction: {name}\nas_of: '2024-04-01 09:00'\npolicy:\n  resolve_days: {{default: {days}}}\n"
            f"cases:\n  - {{id: {case_id}, received: '2024-03-01 09:00', resolved: '2024-03-08 09:00', unit: 某局,"
            f" category: 城乡建设, kind: complaint, status: resolved}}\n", encoding="utf-8")
        return path
    roll = json.loads(ok("summary", str(ledger("东阿县", 3, "A1")), str(ledger("阳谷县", 10, "B1")), "--format", "json"))
    late = {e["name"]: e["late"] for e in roll["groups"]["jurisdiction"]}
    assert late == {"东阿县": 1, "阳谷县": 0}


def test_the_roll_up_names_the_whole_and_takes_a_title(six):
    roll = json.loads(ok("summary", *six, "--format", "json"))
    assert roll["jurisdiction"] == "东阿县等6地"
    assert "东阿县等6地" in roll["title"]
    titled = json.loads(ok("summary", *six, "--format", "json", "--title", "德州市2024年一季度通报"))
    assert titled["title"] == "德州市2024年一季度通报"
    report = ok("report", *six, "--title", "德州市2024年一季度通报")
    assert report.startswith("# 德州市2024年一季度通报\n")
    assert "## 二、区县排名" in report
    assert "区县排名" not in ok("report", six[0])


# -- the judging rules -----------------------------------------------------------------------------
def test_policy_file_sets_the_judging_rules(six, tmp_path):
    policy = tmp_path / "city.yaml"
    policy.write_text("policy:\n  targets: {completion_rate: 0.99}\n  rank_min_cases: 1000\n", encoding="utf-8")
    roll = json.loads(ok("summary", *six, "--format", "json", "--policy", str(policy)))
    assert all(e["rank"] is None for e in roll["groups"]["jurisdiction"])  # none has 1000 cases
    table = ok("summary", *six, "--policy", str(policy))
    assert "办结率 ≥ 99.00%" in table and "满意率 ≥" not in table
    bare = tmp_path / "bare.yaml"
    bare.write_text("targets: {completion_rate: 0.99}\nrank_min_cases: 1000\n", encoding="utf-8")
    assert ok("summary", *six, "--format", "json", "--policy", str(bare)) == json.dumps(roll, ensure_ascii=False,
                                                                                          indent=2) + "\n"


@pytest.mark.parametrize("text,where,words", [
    ("policy:\n  targets: {completion_rate: 1.5}\n", ":2:", "1"),
    ("targets:\n  completion_rat: 0.9\n", ":2:3", "completion_rate"),
    ("resolve_days: {default: 3}\n", "", "resolve_days"),
    ("- 1\n- 2\n", ":1:1", ""),
])
def test_a_bad_policy_file_is_refused_with_its_place(six, tmp_path, text, where, words):
    policy = tmp_path / "p.yaml"
    policy.write_text(text, encoding="utf-8")
    result = run_cli("summary", *six, "--policy", str(policy))
    assert result.exit_code == 2 and result.stdout == ""
    assert str(policy) + where in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr


def test_different_judging_rules_are_a_warning(tmp_path, six):
    text = Path(six[1]).read_text(encoding="utf-8")
    assert "rank_min_cases: 3" in text
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("rank_min_cases: 3", "rank_min_cases: 4"), encoding="utf-8")
    result = run_cli("summary", six[0], str(other))
    assert result.exit_code == 0
    assert "`policy` 的考核规则" in result.stderr
    # time rules differ between the counties by design: no warning for them
    assert "`policy`" not in run_cli("summary", *six).stderr


# -- the same unit name in two jurisdictions -------------------------------------------------------
def _same_names(tmp_path: Path) -> list[str]:
    paths = []
    for name, prefix, resolved in (("东阿县", "A", "'2024-03-02 09:00'"), ("阳谷县", "B", None)):
        cases = []
        for i in range(4):
            status = f"status: resolved, resolved: {resolved}" if resolved else "status: open"
            cases.append(f"  - {{id: {prefix}{i}, received: '2024-03-01 09:00', unit: 县住建局, category: 城乡建设,"
                         f" kind: complaint, {status}}}")
        cases.append(f"  - {{id: {prefix}9, received: '2024-02-01 09:00', unit: {name}信访局, category: 信访事项,"
                     f" kind: petition, status: open}}")
        path = tmp_path / f"{prefix}.yaml"
        path.write_text(f"version: 1\njurisdiction: {name}\nas_of: '2024-04-01 09:00'\npolicy: {{rank_min_cases: 1}}\n"
                        "units:\n  - {name: 县住建局, type: department}\n"
                        f"  - {{name: {name}信访局, type: department}}\ncases:\n" + "\n".join(cases) + "\n",
                        encoding="utf-8")
        paths.append(str(path))
    return paths


def test_a_unit_name_in_two_jurisdictions_is_two_units(tmp_path):
    files = _same_names(tmp_path)
    roll = json.loads(ok("summary", *files, "--format", "json", "--jobs", "1"))
    units = {e["name"]: e for e in roll["groups"]["unit"]}
    assert set(units) == {"县住建局（东阿县）", "县住建局（阳谷县）", "东阿县信访局", "阳谷县信访局"}
    assert units["县住建局（东阿县）"]["resolved"] == 4 and units["县住建局（阳谷县）"]["open"] == 4
    assert units["县住建局（阳谷县）"]["type"] == "department"
    overdue_units = {e["unit"] for e in roll["overdue"]}
    assert "县住建局（阳谷县）" in overdue_units and "县住建局" not in overdue_units
    english = json.loads(ok("summary", *files, "--format", "json", "--lang", "en"))
    assert "县住建局 (东阿县)" in {e["name"] for e in english["groups"]["unit"]}
    # a county alone keeps the plain name
    alone = json.loads(ok("summary", files[0], "--format", "json"))["groups"]["unit"]
    assert sorted(e["name"] for e in alone) == sorted(["县住建局", "东阿县信访局"])


@pytest.mark.parametrize("extra", [(), ("--period", "2024-03")])
def test_qualified_units_merge_and_split_alike(tmp_path, extra):
    files = _same_names(tmp_path)
    one = ok("summary", *files, "--format", "json", *extra, "--jobs", "1")
    assert ok("summary", *files, "--format", "json", *extra, "--jobs", "2") == one
    paths = partials(files, tmp_path, *extra)
    assert ok("merge", *paths, "--format", "json") == one
    if extra:
        period = json.loads(one)
        carried = {e["name"]: e["carried_over"] for e in period["groups"]["unit"]}
        # the units with cases in the period; the petitions of February are carried over in the totals
        assert carried == {"县住建局（东阿县）": 0, "县住建局（阳谷县）": 0}
        assert period["totals"]["carried_over"] == 2


# == Partial summaries and `merge` =================================================================
@pytest.mark.parametrize("command", OUTPUTS, ids=lambda c: " ".join(c))
def test_merged_partials_are_one_run(six, tmp_path, command):
    paths = partials(six, tmp_path)
    assert merged(command, paths) == ok(*command[:1], *six, *command[1:], "--jobs", "1")


@pytest.mark.parametrize("extra", [("--period", "2024-03"), ("--lang", "en"), ("--as-of", "2024-03-15 12:00")])
def test_merged_partials_are_one_run_with_options(six, tmp_path, extra):
    paths = partials(six, tmp_path, *extra)
    one = ("--lang", "en") if extra[0] == "--lang" else ()
    for command in (("summary", "--format", "json"), ("report",)):
        assert merged(command, paths) == ok(*command[:1], *six, *extra, *command[1:], "--jobs", "1")
    assert run_cli("merge", *paths, *one).exit_code == 0


def test_a_merge_of_merges_is_one_run(six, tmp_path):
    paths = partials(six, tmp_path)
    half = tmp_path / "half.partial"
    half.write_text(ok("merge", *paths[:3], "--format", "partial"), encoding="ascii")
    rest = tmp_path / "rest.partial"
    rest.write_text(ok("merge", *paths[3:], "--format", "partial"), encoding="ascii")
    assert ok("merge", str(half), str(rest), "--format", "json") == ok("summary", *six, "--format", "json")
    assert ok("report", "--from-partials", str(half), str(rest)) == ok("report", *six)


def test_xargs_map_step_then_merge(six, tmp_path):
    if shutil.which("xargs") is None:
        pytest.fail("xargs is needed: it is part of every POSIX system")
    listing = "\n".join(six) + "\n"
    tool = f"{sys.executable} {ROOT / 'grassroots_report.py'}"
    subprocess.run(["xargs", "-P", "2", "-I{}", "sh", "-c", f"{tool} summary {{}} --format partial > {{}}.partial"],
                   input=listing.encode(), check=True, timeout=300, cwd=tmp_path)
    result = subprocess.run([sys.executable, str(ROOT / "grassroots_report.py"), "merge",
                             *[name + ".partial" for name in six], "--format", "json"],
                            capture_output=True, check=True, timeout=300)
    assert result.stdout.decode("utf-8") == ok("summary", *six, "--format", "json")


def test_a_partial_holds_no_personal_data(six, tmp_path):
    [path] = partials(six[:1], tmp_path)
    state = json.dumps(json.loads(Path(path).read_text(encoding="ascii")), ensure_ascii=False)
    ledger = Path(six[0]).read_text(encoding="utf-8")
    phones = set(gr.re.findall(r"1[3-9]\d{9}", ledger))
    assert phones, "the fixture has phones"
    assert not [p for p in phones if p in state]
    names = set(gr.re.findall(r"requester: {name: ([\u4e00-\u9fff]{2,3})[,}]", ledger))  # not the places
    assert names and not [n for n in names if f'"{n}"' in state]


def test_a_partial_is_not_written_for_a_ledger_with_problems(tmp_path, six):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(six[0]).read_text(encoding="utf-8").replace("status: resolved", "status: done", 1),
                   encoding="utf-8")
    result = run_cli("summary", str(bad), "--format", "partial")
    assert result.exit_code == 1 and result.stdout == ""


# == --jobs ========================================================================================
@pytest.mark.parametrize("command", OUTPUTS + [("summary", "--format", "partial"),
                                               ("summary", "--format", "json", "--period", "2024-02"),
                                               ("report", "--period", "2024-03", "--lang", "en")],
                         ids=lambda c: " ".join(c))
def test_jobs_2_is_jobs_1(six, command):
    assert ok(*command[:1], *six, *command[1:], "--jobs", "2") == ok(*command[:1], *six, *command[1:], "--jobs", "1")


def test_jobs_word_problems_as_one_process_does(six, tmp_path):
    # a case id in two files, and a bad value in a third: located as without --jobs
    text = Path(six[2]).read_text(encoding="utf-8")
    first_id = gr.re.search(r"id: (\S+?),", Path(six[0]).read_text(encoding="utf-8")).group(1)
    dup = tmp_path / "dup.yaml"
    dup.write_text(gr.re.sub(r"id: \S+?,", f"id: {first_id},", text, count=1), encoding="utf-8")
    files = [six[0], six[1], str(dup)]
    one, two = run_cli("summary", *files, "--jobs", "1"), run_cli("summary", *files, "--jobs", "2")
    assert one.exit_code == two.exit_code == 1
    assert one.stderr == two.stderr and "重复的案件编号" in two.stderr


def test_jobs_warnings_are_the_same(six, tmp_path):
    text = Path(six[3]).read_text(encoding="utf-8")
    other = tmp_path / "late.yaml"
    other.write_text(text.replace("as_of: '2024-04-01 09:00'", "as_of: '2024-03-20 09:00'"), encoding="utf-8")
    files = [six[0], str(other), six[4]]
    one, two = run_cli("summary", *files, "--jobs", "1"), run_cli("summary", *files, "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stderr == two.stderr and "`as_of` 与第一个文件不同" in one.stderr
    assert one.stdout == two.stdout


def test_jobs_do_run_in_processes(six):
    sources = gr.open_sources(six)
    counted = gr.count_in_parallel(sources, gr.Options(needs="report"), 2)
    assert counted is not None, "six clean county files are merged from their processes, not read again"
    state, _analysis = counted
    assert [f.name for f in state.files] == six
    assert state.cases == gr.analyse(sources, gr.Options(needs="report")).cases > 400


# -- one big file, split at case boundaries --------------------------------------------------------
@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 3,000-case ledger with a warning near each end (a resolution after as-of)."""
    path = tmp_path_factory.mktemp("big") / "big.yaml"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_ledger.py"), "3000", "--phone-share", "0.3", "-o",
                    str(path)], check=True, timeout=120)
    text = path.read_text(encoding="utf-8")
    for at in (text.find("    resolved: '2024-0", 20000), text.rfind("    resolved: '2024-12-")):
        end = text.index("\n", at)
        text = text[:at] + "    resolved: '2025-03-01 10:00'" + text[end:]
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def split_small_files(monkeypatch):
    monkeypatch.setattr(gr, "SPLIT_MIN_BYTES", 0)


def test_one_file_is_split_at_case_boundaries(big, split_small_files):
    windows = gr.case_windows(big, 2)
    assert windows is not None and len(windows) == 2
    text = big.read_bytes()
    assert text[windows[1][1]:windows[1][1] + 4] == b"  - " and text[windows[1][1] - 1:windows[1][1]] == b"\n"
    assert gr.count_split(gr.open_sources([str(big)])[0], gr.Options(needs="report"), 2) is not None


@pytest.mark.parametrize("command", [("summary", "--format", "json"), ("report",),
                                     ("summary", "--format", "json", "--period", "2024-06"),
                                     ("summary", "--format", "partial")], ids=lambda c: " ".join(c))
def test_a_split_file_gives_one_process_bytes(big, split_small_files, command):
    one = run_cli(*command[:1], str(big), *command[1:], "--jobs", "1")
    two = run_cli(*command[:1], str(big), *command[1:], "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    # with --period the period selects the cases: a time after as-of is no warning then
    assert one.stderr == two.stderr and one.stderr.count("晚于统计截止时间") == (0 if "--period" in command else 2)


@pytest.mark.parametrize("spoil", ["bad_value", "duplicate", "unclosed_quote"])
def test_a_split_file_with_problems_is_worded_as_one_process(big, split_small_files, tmp_path, spoil):
    text = big.read_text(encoding="utf-8")
    late = text.rfind("    status: resolved")
    if spoil == "bad_value":
        text = text[:late] + "    status: done" + text[late + len("    status: resolved"):]
    elif spoil == "duplicate":
        first_id = gr.re.search(r"  - id: (\S+)", text).group(1)
        last = text.rfind("  - id: ")
        end = text.index("\n", last)
        text = text[:last] + f"  - id: {first_id}" + text[end:]
    else:
        summary = text.rfind("    summary: ")
        text = text[:summary] + "    summary: \"unclosed\n  - id: X\n" + text[summary + 14:]
    spoiled = tmp_path / "spoiled.yaml"
    spoiled.write_text(text, encoding="utf-8")
    one, two = run_cli("summary", str(spoiled), "--jobs", "1"), run_cli("summary", str(spoiled), "--jobs", "2")
    assert one.exit_code == two.exit_code == 1
    assert one.stderr == two.stderr and one.stdout == two.stdout == ""


def test_a_file_laid_out_otherwise_is_not_split(tmp_path):
    flow = tmp_path / "flow.yaml"
    flow.write_text("version: 1\njurisdiction: x\ncases: [{id: A, received: '2024-03-01 09:00', unit: u, "
                    "category: c, kind: help, status: open}]\n", encoding="utf-8")
    assert gr.case_windows(flow, 2) is None
    late = tmp_path / "late.yaml"
    late.write_text("version: 1\ncases:\n  - {id: A, received: '2024-03-01 09:00', unit: u, category: c, kind: help,"
                    " status: open}\n  - {id: B, received: '2024-03-01 09:00', unit: u, category: c, kind: help,"
                    " status: open}\njurisdiction: x\n", encoding="utf-8")
    assert gr.case_windows(late, 2) is None


# == The county examples and the README's batch script =============================================
def test_the_county_examples_are_the_fixture(tmp_path):
    written = counties.write_counties(tmp_path)
    examples = sorted((ROOT / "examples" / "counties").glob("*.yaml"))
    assert [p.name for p in examples] == [p.name for p in written]
    for example, fresh in zip(examples, written):
        assert example.read_bytes() == fresh.read_bytes(), "regenerate: python tests/counties.py examples/counties"


def test_the_readme_batch_script_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A province on a batch engine", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    tool_dir = Path(sys.executable).parent
    if not (tool_dir / "grassroots-report").exists():
        pytest.fail("the installed grassroots-report is needed beside the Python running the tests")
    env = {**gr.os.environ, "PATH": f"{tool_dir}{gr.os.pathsep}{gr.os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    monkeypatch.chdir(tmp_path)  # the files by the names the script gave them
    files = [f"examples/counties/{p.name}" for p in sorted((ROOT / "examples" / "counties").glob("*.yaml"))]
    assert result.stdout.decode("utf-8") == ok("summary", *files, "--by", "jurisdiction", "--jobs", "1")
    assert (tmp_path / "province.docx").read_bytes() == _docx(files, tmp_path)


def _docx(files: list[str], tmp_path: Path) -> bytes:
    out = tmp_path / "one-run.docx"
    ok("report", *files, "--title", "聊城市2024年一季度基层治理工作情况通报", "-o", str(out))
    return out.read_bytes()


# == Hostile input: partials that are foreign, corrupt, given twice or made unlike =================
def _spoil(path: str, how: str) -> None:
    data = Path(path).read_bytes()
    if how == "flip":
        at = data.index(b'"received"')
        data = data[:at] + data[at:].replace(b"1", b"2", 1)
    elif how == "cut":
        data = data[: len(data) // 2]
    elif how == "version":
        data = data.replace(b'"version":%d,' % gr.PARTIAL_VERSION, b'"version":99,', 1)
    elif how == "foreign":
        data = b'{"hello": "world"}\n'
    elif how == "empty":
        data = b""
    Path(path).write_bytes(data)


@pytest.mark.parametrize("how,words", [("flip", "校验值不符"), ("cut", "校验值不符"), ("version", "版本 99"),
                                       ("foreign", "不是 grassroots-report 的分片汇总"),
                                       ("empty", "不是 grassroots-report 的分片汇总")])
def test_a_foreign_or_corrupt_partial_is_refused_whole(six, tmp_path, how, words):
    paths = partials(six[:2], tmp_path)
    _spoil(paths[1], how)
    for args in (("merge", *paths), ("report", "--from-partials", *paths)):
        result = run_cli(*args)
        assert result.exit_code == 1 and result.stdout == ""
        assert paths[1] in result.stderr and words in result.stderr
        assert "Traceback" not in result.stderr
    # a ledger given as a partial
    result = run_cli("merge", six[0])
    assert result.exit_code == 1 and "不是 grassroots-report 的分片汇总" in result.stderr


def test_the_same_partial_twice_is_refused(six, tmp_path):
    paths = partials(six[:2], tmp_path)
    result = run_cli("merge", paths[0], paths[1], paths[0])
    assert result.exit_code == 1 and result.stdout == ""
    assert "相同的案件编号" in result.stderr and paths[0] in result.stderr
    result = run_cli("report", "--from-partials", paths[0], paths[0], "-o", str(tmp_path / "r.md"))
    assert result.exit_code == 1 and not (tmp_path / "r.md").exists()


def test_partials_made_unlike_are_refused(six, tmp_path):
    plain = partials(six[:1], tmp_path)
    (tmp_path / "p").mkdir()
    period = partials(six[1:2], tmp_path / "p", "--period", "2024-03")
    result = run_cli("merge", *plain, *period)
    assert result.exit_code == 1 and "--period" in result.stderr
    result = run_cli("merge", *plain, "--lang", "en")
    assert result.exit_code == 1 and "--lang zh" in result.stderr
    result = run_cli("report", "--from-partials", *plain, "--period", "2024-03")
    assert result.exit_code == 2


# == Hostile input, round three: forged partials, a memory cap, a worker killed ----------
def forge(path: str, change) -> str:
    """The partial with its state changed by `change` and its digest made again to fit."""
    import hashlib

    head, _, rest = Path(path).read_bytes().partition(b"\n")
    state = json.loads(rest[len(b'"state":'):-2])
    change(state)
    body = json.dumps(state, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    body = body.replace(b'"@DEEP@"', b"[" * 5000 + b"]" * 5000)  # deeper than json.dumps itself can write
    envelope = json.loads(head + b'"state":null}')
    text = (f'{{"format":{json.dumps(envelope["format"])},"version":{envelope["version"]},'
            f'"tool":{json.dumps(envelope["tool"])},"sha256":"{hashlib.sha256(body).hexdigest()}",\n"state":')
    forged = Path(path).with_suffix(".forged")
    forged.write_bytes(text.encode("ascii") + body + b"}\n")
    return str(forged)


def _histogram_of_a_trillion(state):
    counts = state["tally"]["durations"][0]
    name = next(iter(counts))
    counts[name] = [gr.pack_ints([3600]), gr.pack_ints([10 ** 12])]


FORGERIES = {
    "negative cases": (lambda s: s.update(cases=-5), "cases"),
    "1e30 cases": (lambda s: s.update(cases=10 ** 30), "cases"),
    "language fr": (lambda s: s["options"].update(lang="fr"), "options.lang"),
    "start day 99": (lambda s: s.update(start_day=99), "start_day"),
    "NaN amount": (lambda s: s["tally"].update(agreement_amount="NaN"), "tally.agreement_amount"),
    "huge amount": (lambda s: s["tally"].update(agreement_amount="1e999999"), "tally.agreement_amount"),
    "huge latest": (lambda s: s["tally"].update(latest=10 ** 40), "tally.latest"),
    "a refused policy": (lambda s: s["first"].setdefault("policy", {}).update(timezone="+25:00"),
                         "first.policy.timezone"),
    "deep nesting": (lambda s: s["first"].update(extra_key="@DEEP@"), None),
    "negative count": (lambda s: s["tally"]["counts"][0].update(x=[[1, -4]]), "tally.counts[0].x[0][1]"),
    "a trillion durations": (_histogram_of_a_trillion, None),
}


@pytest.mark.parametrize("how", FORGERIES)
def test_a_forged_partial_with_its_digest_made_again_is_refused_by_its_contents(six, tmp_path, how):
    change, key = FORGERIES[how]
    forged = forge(partials(six[:1], tmp_path)[0], change)
    for args in (("merge", forged), ("report", "--from-partials", forged)):
        done = subprocess.run([sys.executable, str(ROOT / "grassroots_report.py"), *args], capture_output=True,
                              timeout=60, preexec_fn=_memory_cap(1 << 31))
        stderr = done.stderr.decode()
        assert done.returncode == 1 and done.stdout == b"" and "Traceback" not in stderr, (done.returncode, stderr)
        assert forged in stderr
        if key is not None:
            assert f"分片汇总的内容不符合格式（{key}：" in stderr, stderr
        else:
            assert "分片汇总已损坏或被改动" in stderr, stderr


def _memory_cap(limit: int):
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return cap


def test_merge_and_report_from_partials_run_under_a_memory_cap(six, tmp_path):
    # INFO: a batch scheduler's `ulimit -v`: a partial is read in pieces, never with its 8 GiB limit as one buffer
    paths = partials(six[:2], tmp_path)
    for args in (("merge", *paths), ("report", "--from-partials", *paths)):
        done = subprocess.run([sys.executable, str(ROOT / "grassroots_report.py"), *args], capture_output=True,
                              timeout=60, preexec_fn=_memory_cap(1 << 30))
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout


def test_a_worker_killed_ends_the_run_naming_its_file_and_leaves_no_worker(six, tmp_path, monkeypatch):
    import os
    import signal

    real = gr._worker

    def dies(job, writer):
        if job[0].name == six[1]:
            os.kill(os.getpid(), signal.SIGKILL)
        real(job, writer)

    monkeypatch.setattr(gr, "_worker", dies)
    before = set(_children())
    output = tmp_path / "out.md"
    result = run_cli("report", *six[:3], "--jobs", "2", "-o", str(output))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{six[1]}: 读取这个文件的进程意外终止（退出码 -9），其余进程已停止，未输出任何结果")
    assert not output.exists()
    assert set(_children()) <= before


def _children() -> list[int]:
    import os

    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def test_a_partial_goes_where_o_says(tmp_path, ledger):
    # `summary --format partial -o FILE` (and `merge --format partial -o FILE`) write FILE, not stdout
    out = tmp_path / "a.partial"
    result = run_cli("summary", str(ledger), "--format", "partial", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8") == run_cli("summary", str(ledger), "--format", "partial").stdout
    merged = tmp_path / "m.partial"
    result = run_cli("merge", str(out), "--format", "partial", "-o", str(merged))
    assert result.exit_code == 0 and result.stdout == "" and merged.read_bytes() == out.read_bytes()
