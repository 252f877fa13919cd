"""Files, output paths, standard input, closed pipes and Ctrl-C: exit codes 0, 2 and 130, never a traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TOOL, run_cli, run_subprocess


def generated_ledger(path: Path, cases: int, units: int) -> Path:
    """A valid ledger of `cases` resolved cases spread over `units` units, written quickly."""
    case = ("  - id: 'G-{i:06d}'\n"
            "    received: '2024-03-04 09:12'\n"
            "    kind: complaint\n"
            "    category: 城乡建设/物业管理\n"
            "    unit: 第{u}网格\n"
            "    dispatched: '2024-03-04 09:40'\n"
            "    status: resolved\n"
            "    resolved: '2024-03-06 16:00'\n"
            "    visits:\n"
            "      - {{at: '2024-03-07 10:00', satisfaction: satisfied, solved: true}}\n")
    with open(path, "w", encoding="utf-8") as out:
        out.write("version: 1\njurisdiction: 东阿县\nas_of: '2024-04-01 09:00'\ncases:\n")
        out.writelines(case.format(i=i, u=i % units) for i in range(cases))
    return path


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# -- the output path ----------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink"])
def test_output_onto_the_input_is_refused_and_the_input_kept(ledger, spelling):
    before = ledger.read_bytes()
    if spelling == "same":
        target = str(ledger)
    elif spelling == "dotted":
        target = str(ledger.parent / "." / ledger.name)
    else:
        link = ledger.parent / "link.md"
        link.symlink_to(ledger)
        target = str(link)
    result = run_cli("report", str(ledger), "-o", target)
    assert result.exit_code == 2, result.stderr
    assert "input" in result.stderr and target in result.stderr
    assert ledger.read_bytes() == before


def test_output_onto_the_input_given_as_standard_input_is_refused(ledger):
    # `report - -o ledger.yaml < ledger.yaml` would replace the ledger with its report.
    before = ledger.read_bytes()
    with open(ledger, "rb") as stdin:
        proc = subprocess.run([sys.executable, str(TOOL), "report", "-", "-o", str(ledger)], stdin=stdin,
                              capture_output=True, timeout=60,
                              env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert ledger.read_bytes() == before, "the input file was overwritten"
    assert proc.returncode == 2, proc.stderr.decode()


@pytest.mark.parametrize("command", ["report", "run"])
def test_output_into_a_missing_directory(ledger, tmp_path, command):
    target = tmp_path / "missing" / "out.md"
    result = run_cli(command, str(ledger), "-o", str(target))
    assert result.exit_code == 2
    assert str(target) in result.stderr or str(target.parent) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not target.parent.exists()
    assert listing(tmp_path) == ["ledger.yaml"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", ["report", "run"])
def test_output_to_dev_full(ledger, tmp_path, command):
    proc = run_subprocess(command, str(ledger), "-o", "/dev/full", cwd=tmp_path, timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert "/dev/full" in stderr
    assert "Traceback" not in stderr
    assert listing(tmp_path) == ["ledger.yaml"]


def test_output_into_a_read_only_directory_leaves_nothing(ledger, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only directory")
    out_dir = tmp_path / "ro"
    out_dir.mkdir()
    out_dir.chmod(0o555)
    try:
        result = run_cli("report", str(ledger), "-o", str(out_dir / "out.md"))
    finally:
        out_dir.chmod(0o755)
    assert result.exit_code == 2
    assert listing(out_dir) == []


def test_output_onto_a_directory_leaves_no_temporary_file(ledger, tmp_path):
    target = tmp_path / "adir"
    target.mkdir()
    result = run_cli("report", str(ledger), "-o", str(target))
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert listing(tmp_path) == ["adir", "ledger.yaml"]
    assert listing(target) == []


def test_a_good_output_path_is_written_whole_and_alone(ledger, tmp_path):
    target = tmp_path / "out.md"
    result = run_cli("report", str(ledger), "-o", str(target))
    assert (result.exit_code, result.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == run_cli("report", str(ledger)).stdout
    assert listing(tmp_path) == ["ledger.yaml", "out.md"]


def test_invalid_data_leaves_the_output_path_alone(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\njurisdiction: x\ncases: [{id: a}]\n", encoding="utf-8")
    target = tmp_path / "out.md"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("report", str(bad), "-o", str(target))
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "keep me"
    assert listing(tmp_path) == ["bad.yaml", "out.md"]


# -- a closed pipe --------------------------------------------------------------------
@pytest.fixture(scope="module")
def wide_ledger(tmp_path_factory) -> Path:
    # 3,000 units, so every output is far larger than a pipe's 64 KB buffer.
    return generated_ledger(tmp_path_factory.mktemp("pipe") / "wide.yaml", cases=3000, units=3000)


@pytest.mark.parametrize("args", [
    ["summary", "--format", "csv"],
    ["summary"],
    ["report"],
    ["run"],
], ids=["summary-csv", "summary-table", "report", "run"])
def test_head_closing_the_pipe_ends_quietly(wide_ledger, args):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    tool = subprocess.Popen([sys.executable, str(TOOL), *args, str(wide_ledger)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    head = subprocess.Popen(["head", "-1"], stdin=tool.stdout, stdout=subprocess.PIPE)
    tool.stdout.close()  # only head holds the read end now
    first_line, _ = head.communicate(timeout=60)
    _, stderr = tool.communicate(timeout=60)
    text = stderr.decode("utf-8", "replace")
    assert first_line.strip(), "head got nothing"
    assert "Traceback" not in text and "BrokenPipe" not in text, text
    assert "Exception ignored" not in text, text
    assert tool.returncode == 0, (tool.returncode, text)


def test_the_wide_ledger_is_valid_and_its_output_is_large(wide_ledger):
    result = run_cli("summary", "--format", "csv", str(wide_ledger))
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.encode("utf-8")) > 200_000
    assert len(result.stdout.splitlines()) == 3000 + 2  # header, 3,000 units, total


# -- Ctrl-C -------------------------------------------------------------------------------
def test_ctrl_c_ends_with_130_and_no_traceback(tmp_path):
    big = generated_ledger(tmp_path / "big.yaml", cases=200_000, units=50)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, str(TOOL), "check", str(big)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    # Long enough for the interpreter to have started and imported what it needs
    # (an interrupt during Python's own start-up is not the tool's to handle).
    time.sleep(1.0)
    if proc.poll() is not None:  # the tool got fast enough to finish first: nothing left to interrupt
        pytest.skip("check of 200,000 cases finished within a second; use a bigger ledger")
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("still running 30 s after SIGINT")
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == 130, (proc.returncode, text[-2000:])
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-2000:]
