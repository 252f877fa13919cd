"""The command line: the README's examples and exit codes, the output path, pipes and signals.

The README's commands are run so that it cannot drift; -o writes whole or not at
all and never onto an input; a closed pipe ends quietly and Ctrl-C with 130.
Then hostile input at the command line's edges: -o through links, devices and
FIFOs, file modes, long names, signals while writing, closed or full standard
streams, any stdout encoding, and terminal injection.  What each command
computes is tested by its surface (test_figures.py, test_report.py, ...).
"""
from __future__ import annotations

import codecs
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest

import grassroots_report as gr
from conftest import ROOT, TOOL, clean, run_cli, run_subprocess, without_figures


# == The README's examples are run, so the documentation cannot drift ==============================
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [line[2:] for line in README.splitlines() if line.startswith("$ grassroots-report ")]


def test_readme_has_examples():
    assert len(COMMANDS) >= 8


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_runs(command, tmp_path, monkeypatch):
    args = shlex.split(command)[1:]
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    monkeypatch.chdir(tmp_path)  # -o files land in a scratch folder
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    if "-o" in args:
        written = tmp_path / args[args.index("-o") + 1]
        if written.suffix == ".docx":  # a Word document: a zip package
            assert written.read_bytes()[:2] == b"PK"
        else:
            assert written.read_text(encoding="utf-8").startswith(("# ", "**"))  # a title, or a masthead


def test_quick_start_names_the_main_job_and_the_tests():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert len(blocks) == 2
    assert "grassroots-report run examples/hotline-2024-03.yaml" in blocks[0]
    assert "pytest" in blocks[1]
    assert "pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_exit_code_is_documented():
    import grassroots_report as gr

    table = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in (gr.EXIT_OK, gr.EXIT_INVALID, gr.EXIT_USAGE, gr.EXIT_TARGET_MISSED, gr.EXIT_INTERRUPTED):
        assert f"| {code} |" in table


def test_every_metric_is_documented():
    import grassroots_report as gr

    figures = README.split("## The figures", 1)[1]
    for key in gr.METRIC_KEYS:
        assert f"`{key}`" in figures, key


def test_oldest_constraints_are_the_declared_lower_bounds():
    # CI's second run installs .ci/constraints-oldest.txt; it must pin exactly
    # the lower bound pyproject.toml declares for each runtime dependency.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    declared = dict(re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)', runtime))
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([0-9.]+)$",
                           (ROOT / ".ci" / "constraints-oldest.txt").read_text(encoding="utf-8"), re.M))
    assert declared == pins
    assert ", ".join(f"{name} {version}" for name, version in pins.items()) in " ".join(README.split())


# == The output path (-o): written whole, or not at all, and never onto an input ===================
def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


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
    assert without_figures(target.read_text(encoding="utf-8")) == run_cli("report", str(ledger)).stdout
    assert listing(tmp_path) == ["ledger.yaml", "out.fig1.svg", "out.fig2.svg", "out.md"]  # and its figures


def test_invalid_data_leaves_the_output_path_alone(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\njurisdiction: x\ncases: [{id: a}]\n", encoding="utf-8")
    target = tmp_path / "out.md"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("report", str(bad), "-o", str(target))
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == "keep me"
    assert listing(tmp_path) == ["bad.yaml", "out.md"]


# == A closed pipe and Ctrl-C: exit 0 and 130, never a traceback ===================================
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


# == Hostile input: the command line's edges =======================================================
# Every test asserts the exit code, stderr and stdout together, no traceback, and that
# nothing printed carries a raw ESC, BEL or bidi control (conftest.clean).

# -- -o through links, /dev/stdout, /proc/self/fd/1 and FIFOs --------------------------------------
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
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith(f"报告已写入 {link}\n图已写入 ")  # said, the same way
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert without_figures(real.read_text(encoding="utf-8")) == run_cli("report", str(ledger)).stdout
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert listing(tmp_path) == ["ledger.yaml", "link.fig1.svg", "link.fig2.svg", "link.md", "real.md"]


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


# -- the modes of output files ---------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_a_new_output_file_follows_the_umask(ledger, tmp_path, umask):
    target = tmp_path / "new.md"
    old = os.umask(umask)
    try:
        result = run_cli("report", str(ledger), "-o", str(target))
    finally:
        os.umask(old)
    assert (result.exit_code, result.stdout) == (0, "") and result.stderr.startswith(f"报告已写入 {target}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664, 0o444])
def test_an_overwritten_output_file_keeps_its_mode(ledger, tmp_path, mode):
    target = tmp_path / "old.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(mode)
    result = run_cli("report", str(ledger), "-o", str(target))
    assert (result.exit_code, result.stdout) == (0, "") and result.stderr.startswith(f"报告已写入 {target}\n")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text(encoding="utf-8").startswith("# ")


# -- long output names -----------------------------------------------------------------------------
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
    assert (result.exit_code, result.stdout) == (0, "") and result.stderr.startswith(f"报告已写入 {name}\n")
    assert without_figures(name.read_text(encoding="utf-8")) == run_cli("report", str(ledger)).stdout
    # the figures beside it too, their names cut to what a file system takes
    assert len(listing(tmp_path)) == 4 and all(len(n.encode()) <= 255 for n in listing(tmp_path))


# -- signals while writing -------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_writing_removes_the_temporary_file(ledger, tmp_path, monkeypatch, capsys, signum):
    target = tmp_path / "out.md"
    target.write_text("old report", encoding="utf-8")

    def fsync_then_signal(fd: int) -> None:
        os.kill(os.getpid(), signum)  # arrives while the temporary file is open and written

    monkeypatch.setattr(gr.os, "fsync", fsync_then_signal)
    before = signal.getsignal(signum)
    code = gr.main(["report", str(ledger), "-o", str(target)])
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


# -- closed or full standard streams ---------------------------------------------------------------
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


# -- any standard output encoding ------------------------------------------------------------------
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


# -- terminal injection: controls and bidi reach no output raw -------------------------------------
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
              and not gr._UNSAFE_RE.match(chr(code))]
    assert missed == []
    assert gr.terminal_safe("a\x1b[2J\u202eb\u200b\U000e0041") == r"a\x1b[2J\u202eb\u200b\U000e0041"


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
    assert len({gr.display_width(line) for line in table}) == 1, table
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
    assert r"报告已写入 " in stderr and r"out\u202e.md" + "\n" in stderr and r"out\u202e.fig1.svg" in stderr
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


# == Help and usage errors in the language of the run (round three) ===============================
def test_every_help_text_has_its_chinese():
    for name, command in [("", gr.cli), *gr.cli.commands.items()]:
        assert name in gr.COMMAND_HELP_ZH, name
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                english = param.__dict__.get("_english_help", param.help)
                assert english in gr.HELP_ZH, (name, param.name, english)


def test_help_and_usage_errors_are_chinese_by_default_and_english_when_asked(monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    zh = run_cli("summary", "--help")
    assert zh.stdout.startswith("用法： ") and " summary [OPTIONS] FILE..." in zh.stdout and "在标准输出打印各项指标的汇总表。" in zh.stdout
    assert "按单位（默认）、诉求大类、受理渠道、诉求性质、区县或属地分组；" in zh.stdout
    bad = run_cli("summary", "--by", "foo", "x.yaml")
    assert bad.exit_code == 2 and "错误：'--by' 的取值无效：'foo' 不是" in bad.stderr and "Usage" not in bad.stderr
    en = run_cli("summary", "--help", "--lang", "en")
    assert en.stdout.startswith("Usage: ") and "Print the summary table" in en.stdout
    assert "Error: Invalid value for '--by'" in run_cli("summary", "--by", "foo", "--lang", "en", "x.yaml").stderr
    monkeypatch.setenv("LANG", "en_GB.UTF-8")  # an English locale: English throughout, messages too
    assert run_cli("check", str(ROOT / "examples" / "hotline-2024-03.yaml")).stderr.endswith(": 195 cases, no problems\n")
    assert run_cli("--help").stdout.startswith("Usage: ")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run_cli("--help").stdout.startswith("用法： ")
