"""Bad input, round two (issue 11): links, modes, devices, FIFOs, closed streams, encodings,
long names, signals, terminal injection, policies that break arithmetic and huge group counts.

Every test asserts the exit code, stderr and stdout together, no traceback, and that
nothing printed carries a raw ESC, BEL or bidi control.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import grassroots_report
from conftest import TOOL, clean, run_cli, run_subprocess


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# -- 1. -o and links ----------------------------------------------------------------
def test_o_through_dev_stdout_writes_into_the_redirected_file_and_keeps_the_link(ledger, tmp_path):
    before = os.readlink("/dev/stdout")
    out = tmp_path / "out.txt"
    with open(out, "wb") as handle:
        proc = subprocess.run([sys.executable, str(TOOL), "report", str(ledger), "-o", "/dev/stdout"],
                              stdout=handle, stderr=subprocess.PIPE, timeout=60,
                              env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == before
    assert out.read_text(encoding="utf-8") == run_cli("report", str(ledger)).stdout


def test_o_to_proc_self_fd_1_on_a_pipe_is_written_in_place(ledger, tmp_path):
    proc = run_subprocess("report", str(ledger), "-o", "/proc/self/fd/1", cwd=tmp_path, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert proc.stdout.decode("utf-8") == run_cli("report", str(ledger)).stdout
    assert listing(tmp_path) == ["ledger.yaml"]


def test_o_through_a_link_to_a_file_replaces_the_file_and_keeps_the_link(ledger, tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to("real.md")
    result = run_cli("report", str(ledger), "-o", str(link))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert real.read_text(encoding="utf-8") == run_cli("report", str(ledger)).stdout
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert listing(tmp_path) == ["ledger.yaml", "link.md", "real.md"]


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_o_onto_a_dangling_link_or_a_loop_is_refused(ledger, tmp_path, kind):
    link = tmp_path / "out.md"
    if kind == "dangling":
        link.symlink_to("nowhere.md")
        words = "dangling symbolic link"
    else:
        (tmp_path / "other.md").symlink_to("out.md")
        link.symlink_to("other.md")
        words = "a loop of symbolic links"
    result = run_cli("report", str(ledger), "-o", str(link))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{link}: ") and words in result.stderr, result.stderr
    clean(result.stderr)
    assert link.is_symlink()
    assert not (tmp_path / "nowhere.md").exists()
    assert not [name for name in listing(tmp_path) if name.endswith(".tmp")]


def test_o_onto_a_fifo_is_written_in_place(ledger, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    proc = run_subprocess("report", str(ledger), "-o", str(fifo), cwd=tmp_path, timeout=60)
    reader.join(timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    assert received[0].decode("utf-8") == run_cli("report", str(ledger)).stdout
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("command", ["report", "run"])
def test_o_empty_is_a_usage_error(ledger, command):
    result = run_cli(command, str(ledger), "-o", "")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "the output path is empty" in result.stderr
    clean(result.stderr)


def test_o_through_a_link_onto_the_input_is_refused(ledger, tmp_path):
    # both sides spelled through links: a link to the ledger as -o, a link as the input
    before = ledger.read_bytes()
    (tmp_path / "in.yaml").symlink_to(ledger)
    (tmp_path / "out.md").symlink_to(ledger)
    result = run_cli("report", str(tmp_path / "in.yaml"), "-o", str(tmp_path / "out.md"))
    assert result.exit_code == 2 and result.stdout == ""
    assert "is an input file" in result.stderr
    assert ledger.read_bytes() == before


# -- 2. file modes ---------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_a_new_output_file_follows_the_umask(ledger, tmp_path, umask):
    target = tmp_path / "new.md"
    old = os.umask(umask)
    try:
        result = run_cli("report", str(ledger), "-o", str(target))
    finally:
        os.umask(old)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664, 0o444])
def test_an_overwritten_output_file_keeps_its_mode(ledger, tmp_path, mode):
    target = tmp_path / "old.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(mode)
    result = run_cli("report", str(ledger), "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text(encoding="utf-8").startswith("# ")


# -- 5. closed or full standard streams ----------------------------------------------
def _run_with_fds(args: list[str], close: tuple[int, ...] = (), stdout: object = subprocess.PIPE,
                  stdin: object = None) -> subprocess.CompletedProcess:
    """Run the tool with some standard fds closed (as `>&-` and `<&-` do)."""
    def closer() -> None:
        for fd in close:
            os.close(fd)
    return subprocess.run([sys.executable, str(TOOL), *args], stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE if 2 not in close else subprocess.DEVNULL,
                          preexec_fn=closer, timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"))


@pytest.mark.parametrize("args", [["summary", "{ledger}"], ["report", "{ledger}"], ["example"],
                                  ["summary", "{ledger}", "--format", "json"], ["run", "{ledger}"]])
def test_a_closed_stdout_is_one_line_and_exit_2(ledger, args):
    proc = _run_with_fds([a.format(ledger=ledger) for a in args], close=(1,))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert stderr == ("标准输出已关闭：请去掉 `>&-`，或用 -o 写入文件 / "
                      "standard output is closed: remove the `>&-`, or write to a file with -o\n")
    clean(stderr)


def test_a_closed_stdout_and_stderr_end_quietly_with_2(ledger):
    proc = _run_with_fds(["summary", str(ledger)], close=(1, 2))
    assert proc.returncode == 2


def test_check_with_a_closed_stdout_still_passes(ledger):
    proc = _run_with_fds(["check", str(ledger)], close=(1,))
    assert proc.returncode == 0
    assert proc.stderr.decode("utf-8").endswith("6 个案件，检查通过\n")


def test_a_closed_stdin_for_dash_is_one_line_and_exit_2():
    proc = _run_with_fds(["check", "-"], close=(0,))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert stderr.count("\n") == 1 and "standard input is closed" in stderr
    assert proc.stdout == b""
    clean(stderr)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [["summary", "{ledger}"], ["report", "{ledger}"], ["example"], ["schema"]])
def test_stdout_onto_dev_full_is_one_line_and_exit_2(ledger, args):
    with open("/dev/full", "wb") as full:
        proc = _run_with_fds([a.format(ledger=ledger) for a in args], stdout=full)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert stderr == "无法写入标准输出：设备空间已满 / cannot write to standard output: no space left on the device\n"


# -- 7. long names ---------------------------------------------------------------------------
def test_o_with_a_300_character_name_is_refused(ledger, tmp_path):
    name = tmp_path / ("a" * 300)
    result = run_cli("report", str(ledger), "-o", str(name))
    assert result.exit_code == 2 and result.stdout == ""
    assert "the name is too long" in result.stderr
    clean(result.stderr)
    assert listing(tmp_path) == ["ledger.yaml"]


def test_o_with_a_legal_250_character_name_is_written(ledger, tmp_path):
    name = tmp_path / ("b" * 250 + ".md")
    result = run_cli("report", str(ledger), "-o", str(name))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert name.read_text(encoding="utf-8") == run_cli("report", str(ledger)).stdout
    assert listing(tmp_path) == sorted(["ledger.yaml", name.name])


# -- 8. signals while writing ------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_writing_removes_the_temporary_file(ledger, tmp_path, monkeypatch, capsys, signum):
    target = tmp_path / "out.md"
    target.write_text("old report", encoding="utf-8")

    def fsync_then_signal(fd: int) -> None:
        os.kill(os.getpid(), signum)  # arrives while the temporary file is open and written

    monkeypatch.setattr(grassroots_report.os, "fsync", fsync_then_signal)
    before = signal.getsignal(signum)
    code = grassroots_report.main(["report", str(ledger), "-o", str(target)])
    captured = capsys.readouterr()
    assert code == 128 + signum
    assert captured.out == "" and captured.err == "\n"
    assert target.read_text(encoding="utf-8") == "old report"
    assert listing(tmp_path) == ["ledger.yaml", "out.md"]
    assert signal.getsignal(signum) is before  # main() puts the handler it found back


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_a_real_run_with_128_plus_the_signal(tmp_path, signum):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, str(TOOL), "report", str(fifo), "-o", str(tmp_path / "out.md")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    with open(fifo, "wb") as writer:  # opens once the tool has opened it: its handlers are in place
        writer.write(b"version: 1\njurisdiction: x\n")
        writer.flush()
        time.sleep(0.2)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr.decode()
    assert stdout == b"" and stderr == b"\n"
    assert listing(tmp_path) == ["in.fifo"]


@pytest.mark.parametrize("encoding, args", [("latin-1", ["summary"]), ("gbk", ["report"]),
                                            ("ascii", ["summary", "--format", "csv"])])
def test_output_survives_any_stdout_encoding(ledger, encoding, args):
    proc = subprocess.run([sys.executable, str(TOOL), *args, str(ledger)], capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONIOENCODING=encoding))
    stderr = proc.stderr.decode(encoding, errors="replace")
    assert proc.returncode == 0, stderr
    assert stderr.count("\n") == 1
    assert stderr.endswith(f"the standard output encoding {codecs.lookup(encoding).name} cannot show some "
                           "characters; they are shown as ?: set PYTHONIOENCODING=utf-8\n"), stderr
    assert b"?" in proc.stdout and len(proc.stdout) > 300
    proc.stdout.decode(encoding)  # what was written is all in that encoding
    clean(stderr)


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "gbk"])
def test_json_loses_nothing_on_any_stdout_encoding(ledger, encoding):
    proc = subprocess.run([sys.executable, str(TOOL), "summary", "--format", "json", str(ledger)],
                          capture_output=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING=encoding))
    assert (proc.returncode, proc.stderr) == (0, b"")
    expected = json.loads(run_cli("summary", "--format", "json", str(ledger)).stdout)
    assert json.loads(proc.stdout.decode(encoding)) == expected


# -- 9. terminal injection -----------------------------------------------------------------------
INJECTED = r'''version: 1
jurisdiction: "东阿\e]52;c;SGVsbG8=\a县"
title: "通报\u202e标题"
as_of: '2024-04-01 09:00'
policy: {rank_min_cases: 1}
cases:
  - id: "A\e[2J1"
    received: '2024-03-04 09:12'
    kind: complaint
    category: "城乡\u200b建设"
    unit: "铜城\u202e街道"
    status: open
    summary: "摘要\e[31m红\0色"
  - id: "B\u20661"
    received: '2024-03-04 09:12'
    kind: complaint
    category: 城乡建设
    unit: "网格\0一"
    status: resolved
    resolved: '2024-03-05 09:00'
'''


@pytest.fixture
def injected(tmp_path) -> Path:
    path = tmp_path / "inj.yaml"
    path.write_text(INJECTED, encoding="utf-8")
    return path


def test_the_unsafe_class_covers_every_control_format_and_separator_character():
    import unicodedata
    missed = [hex(code) for code in range(0x110000)
              if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
              and not grassroots_report._UNSAFE_RE.match(chr(code))]
    assert missed == []
    assert grassroots_report.terminal_safe("a\x1b[2J\u202eb\u200b\U000e0041") == r"a\x1b[2J\u202eb\u200b\U000e0041"


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_controls_and_bidi_in_a_ledger_reach_no_output_raw(injected, fmt):
    result = run_cli("summary", "--format", fmt, str(injected))
    assert (result.exit_code, result.stderr) == (0, "")
    clean(result.stdout)
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["jurisdiction"] == "东阿\x1b]52;c;SGVsbG8=\x07县"  # the value itself, escaped as JSON
        assert "\\u202e" in result.stdout
    elif fmt == "markdown":  # escaped, then the backslash escaped for Markdown
        assert r"铜城\\u202e街道" in result.stdout and r"网格\\x00一" in result.stdout
    else:
        assert r"铜城\u202e街道" in result.stdout and r"网格\x00一" in result.stdout


def test_a_zero_width_space_does_not_misalign_the_table(injected):
    result = run_cli("summary", "--by", "category", str(injected))
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    table = lines[:lines.index(next(line for line in lines[2:] if line.startswith("-"))) + 2]
    assert any(r"城乡\u200b建设" in line for line in table)
    # numbers are right-aligned, so every line of an aligned table ends in the same column
    assert len({grassroots_report.display_width(line) for line in table}) == 1, table
    clean(result.stdout)


def test_controls_and_bidi_reach_no_report_raw(injected):
    result = run_cli("report", str(injected))
    assert (result.exit_code, result.stderr) == (0, "")
    clean(result.stdout)
    assert r"铜城\\u202e街道" in result.stdout  # escaped, then its backslash escaped for Markdown


def test_an_escape_sequence_in_a_file_name_reaches_stderr_escaped(ledger, tmp_path):
    name = tmp_path / "x\x1b[2J\x1b]52;c;SGVsbG8=\x07y.yaml"
    name.write_bytes(ledger.read_bytes())
    proc = run_subprocess("check", str(name), timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert (proc.returncode, proc.stdout) == (0, b"")
    assert stderr.endswith(r"x\x1b[2J\x1b]52;c;SGVsbG8=\x07y.yaml：6 个案件，检查通过" + "\n")
    clean(stderr)
    proc = run_subprocess("check", str(tmp_path / "no\u202esuch\x1b[2J.yaml"), timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and proc.stdout == b""
    assert stderr.endswith(r"no\u202esuch\x1b[2J.yaml: 文件不存在 / no such file" + "\n")
    clean(stderr)
    out = tmp_path / "out\u202e.md"
    proc = run_subprocess("run", str(ledger), "-o", str(out), timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 0
    assert stderr.endswith(r"out\u202e.md" + "\n") and "报告已写入" in stderr
    clean(stderr, proc.stdout)


def test_an_escape_sequence_in_as_of_is_shown_escaped(ledger):
    proc = run_subprocess("check", "--as-of", "2024\x1b]52;c;eA==\x07", str(ledger), timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and proc.stdout == b""
    assert r"`2024\x1b]52;c;eA==\x07` 不是日期时间" in stderr
    clean(stderr)


def test_an_escape_sequence_in_a_problem_is_shown_escaped(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text('version: 1\njurisdiction: x\nunits: [{name: a}]\ncases:\n'
                    '  - {id: "\\e[2J", received: \'2024-03-04 09:12\', kind: complaint, category: c,'
                    ' unit: "b\\u202e", status: open}\n', encoding="utf-8")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert r"unit `b\u202e` is not in the units list" in result.stderr
    clean(result.stderr)


# -- 11. huge group counts -------------------------------------------------------------------------
from conftest import MB, run_measured  # noqa: E402 - the peak-memory runner
