"""The processes of a ``--jobs 3`` run (two workers) end with it, and every fault of the run gives one coded
line on stderr, never a traceback: a SIGKILLed parent leaves no orphan, a killed worker is
``I238``, Ctrl-C is ``I260`` (with the way to ``--resume``), a full stdout ``I261``, a closed
stdin ``I262``, a folder that cannot be written ``I263``.

Everything runs the real CLI in a subprocess on real (short) reports; processes are found
through ``/proc``, so the tests that need it skip where there is none.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cxrlabel.batch import lifeline

ROOT = Path(__file__).resolve().parents[1]
PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self" / "stat").exists(), reason="needs /proc (Linux)")
#: ``--jobs 3``: two spawned workers beside the parent (jobs=N is the parent and N-1 workers);
#: enough distinct sentences that the run is still going when the workers are found.
N_REPORTS = 1500
SENTENCES = ("No pneumothorax.", "Mild cardiomegaly.", "No pleural effusion.", "Lungs are clear.", "Possible pneumonia.")


def _reports(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for k in range(n):
            w.writerow([f"r{k}", f"{SENTENCES[k % 5]} {SENTENCES[(k * 3 + 1) % 5]} Study {k}."])
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cxrlabel.cli import main; main()", *args]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CXRLABEL_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("COLUMNS", None)
    return env


def _stat(pid: int) -> tuple[str, int] | None:
    """``(state, parent pid)`` of a live process, ``None`` when it is gone (zombies count as gone)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (None if fields[0] in "ZX" else (fields[0], int(fields[1])))  # type: ignore[return-value]


def _children(pid: int) -> set[int]:
    out = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] == pid:
                out.add(int(entry.name))
    return out


def _threads(pid: int) -> int:
    try:
        return len(list((PROC / str(pid) / "task").iterdir()))
    except OSError:
        return 0


def _wait_for_workers(proc: subprocess.Popen, n: int, limit: float = 240.0) -> set[int]:
    """The pool's worker processes, once ``n`` of them run their parent watchdog thread."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = _children(proc.pid)
        workers = {k for k in kids if _threads(k) >= 2 and "resource_tracker" not in _cmdline(k)}
        if len(workers) >= n:
            return workers
        time.sleep(0.2)
    pytest.fail(f"the workers of pid {proc.pid} did not start in {limit} s")


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if _stat(p) is not None}


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    """The pids still alive after ``seconds`` (polled; returns early when all are gone)."""
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _one_error_line(stderr: str, code: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("error[")]
    assert [ln[:11] for ln in lines] == [f"error[{code}]"], stderr


@needs_proc
def test_workers_and_resource_tracker_die_within_5_s_of_a_sigkilled_parent(tmp_path):
    data = _reports(tmp_path / "in.csv", N_REPORTS)
    proc = subprocess.Popen(
        _cli("label", str(data), "--jobs", "3", "--no-cache", "--shard-size", "20"),
        env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        workers = _wait_for_workers(proc, 2)
        everything = _children(proc.pid)  # the workers and the resource tracker
        assert workers <= everything
        proc.kill()
        proc.wait()
        assert _gone_within(everything, 5.0) == set()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@needs_proc
def test_the_watchdog_alone_ends_an_orphaned_worker(tmp_path):
    # A middle process starts a child tied to it with the kernel's parent-death signal turned
    # off, then dies: only the polling watchdog can end the child.
    code = (
        "import os, subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', "
        "'import os, time; from cxrlabel.batch import lifeline; lifeline._kill_with_parent = lambda: False; "
        "lifeline.tie_to_parent(os.getppid()); print(os.getpid(), flush=True); time.sleep(60)'], stdout=subprocess.PIPE)\n"
        "print(child.stdout.readline().decode().strip(), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    orphan = int(out.stdout.split()[0])
    assert _gone_within({orphan}, 5.0) == set()


def test_a_worker_whose_parent_is_alive_is_not_ended():
    assert not lifeline.parent_gone(os.getppid())
    assert lifeline.parent_gone(os.getppid() + 10**7)


@needs_proc
def test_a_killed_worker_is_one_i238_line_and_the_other_worker_ends(tmp_path):
    data = _reports(tmp_path / "in.csv", N_REPORTS)
    proc = subprocess.Popen(
        _cli("label", str(data), "--jobs", "3", "--no-cache", "--shard-size", "20", "-o", str(tmp_path / "out.csv")),
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    workers = _wait_for_workers(proc, 2)
    os.kill(min(workers), signal.SIGKILL)
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 2
    _one_error_line(stderr, "I238")
    assert _gone_within(workers, 5.0) == set()


@needs_proc
def test_ctrl_c_is_one_i250_line_naming_resume_and_the_resumed_run_has_every_row(tmp_path):
    data, out = _reports(tmp_path / "in.csv", N_REPORTS), tmp_path / "out.csv"
    args = ("label", str(data), "--jobs", "3", "--no-cache", "--shard-size", "20", "-o", str(out))
    proc = subprocess.Popen(_cli(*args), env=_env(tmp_path), stderr=subprocess.PIPE, text=True, start_new_session=True)
    workers = _wait_for_workers(proc, 2)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole process group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    _one_error_line(stderr, "I260")
    assert "--resume" in stderr
    assert _gone_within(workers, 5.0) == set()
    if not out.exists():  # interrupted before the last shard: continue it
        done = subprocess.run(_cli(*args, "--resume"), env=_env(tmp_path), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == [f"r{k}" for k in range(N_REPORTS)]
    whole = subprocess.run(_cli("label", str(data), "--no-cache"), env=_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert rows == list(csv.DictReader(io.StringIO(whole.stdout)))  # the same labels as one uninterrupted run


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_device_is_one_i251_line(tmp_path):
    data = _reports(tmp_path / "in.csv", 3)
    with open("/dev/full", "w") as full:
        done = subprocess.run(_cli("label", str(data), "--no-cache"), env=_env(tmp_path), stdout=full, stderr=subprocess.PIPE, text=True, timeout=600)
    assert done.returncode == 2
    _one_error_line(done.stderr, "I261")


def test_a_closed_stdin_is_one_i252_line(tmp_path):
    # started with fd 0 closed (`<&-`), not an empty stdin
    closed = subprocess.run(
        _cli("label", "-", "--no-cache"), env=_env(tmp_path), capture_output=True, text=True, timeout=600,
        preexec_fn=lambda: os.close(0),
    )
    assert closed.returncode == 2, closed.stderr
    _one_error_line(closed.stderr, "I262")


#: root writes anywhere: as root, the CLI runs as nobody (util-linux setpriv keeps the
#: interpreter under /root readable to it, a bare setuid() would not)
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root without setpriv")
def test_a_folder_that_cannot_be_written_is_one_i253_line(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="cxrlabel-ro-"))
    try:
        base.chmod(0o755)
        data = _reports(base / "in.csv", 3)
        data.chmod(0o644)
        (base / "cache").mkdir(mode=0o777)
        (base / "cache").chmod(0o777)
        locked = base / "ro"
        locked.mkdir()
        locked.chmod(0o555)
        env = dict(_env(tmp_path), CXRLABEL_CACHE_DIR=str(base / "cache"))
        done = subprocess.run(
            [*AS_NOBODY, *_cli("label", str(data), "--no-cache", "-o", str(locked / "out.csv"))],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 2, done.stderr
        _one_error_line(done.stderr, "I263")
        assert str(locked / "out.csv") in done.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)
