"""What users install is the product: the built wheel and sdist hold every file the program
reads at run time, and the wheel installed into a fresh virtual environment (no checkout on
sys.path, run from another folder) does the whole job: init, collect from a loopback source,
draft, render, build, subscribers add, send to a real SMTP server, the main job.

The wheel and the sdist are built once per run with ``python -m build --no-isolation`` (the
test environment has the build backend, so nothing is downloaded); the wheel is built from the
sdist, so a file missing from the sdist breaks the wheel too."""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import pipeline
from pipeline.db import MIGRATIONS
from pipeline.demo import SITE as DEMO_SITE
from pipeline.templates import FOLDER as TEMPLATES
from tests.conftest import ROOT, clean_env
from tests.smtp import SmtpServer, free_port


def _clean_copy(dest: Path) -> Path:
    """The checkout's files as a clean clone would have them (tracked and new, not ignored):
    a build in the checkout itself could take file lists from a stale *.egg-info there."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    source = _clean_copy(tmp_path_factory.mktemp("source"))
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("linkletter-*.whl")
    (sdist,) = out.glob("linkletter-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _template_names_in_code() -> set[str]:
    """Template names the code asks for literally ('email/issue.mjml', "site/index.html", ...)."""
    names = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        names |= set(re.findall(r"[\"']((?:email|site|web)/[\w-]+\.(?:mjml|txt|html|xml))[\"']", path.read_text("utf-8")))
    return names


def runtime_files() -> dict[str, set[str]]:
    """Where each run-time data file lives inside the package, from the code's own constants."""
    package = Path(pipeline.__file__).parent
    return {
        "templates": {f"pipeline/templates/{f}" for f in _files(TEMPLATES)},
        "migrations": {f"pipeline/{MIGRATIONS.relative_to(package).as_posix()}/{f}" for f in _files(MIGRATIONS)},
        "demo": {f"pipeline/{DEMO_SITE.relative_to(package).as_posix()}/{f}" for f in _files(DEMO_SITE)},
        "modules": {f"pipeline/{f}" for f in _files(package) if f.endswith(".py")} | {"scheduler.py"},
    }


def test_the_wheel_holds_every_file_the_program_reads(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    expected = runtime_files()
    assert "pipeline/migrations/script.py.mako" in expected["migrations"]
    assert "pipeline/templates/email/issue.mjml" in expected["templates"]
    for kind, files in expected.items():
        assert files, kind
        assert not files - names, f"{kind} missing from the wheel: {sorted(files - names)}"
    asked = {f"pipeline/templates/{n}" for n in _template_names_in_code()}
    assert len(asked) >= 4 and not asked - names, f"templates the code names but the wheel lacks: {sorted(asked - names)}"
    metadata = zipfile.ZipFile(dist["wheel"]).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert f"Version: {pipeline.__version__}" in metadata


def test_the_sdist_holds_the_sources_and_the_top_level_templates(dist):
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    tracked = subprocess.run(["git", "ls-files", "pipeline", "templates", "scheduler.py", "pyproject.toml", "README.md"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    if not tracked:  # not a git checkout: every file on disk then
        tracked = [f"templates/{f}" for f in _files(TEMPLATES)]
    missing = {f for f in tracked if f not in names}
    assert not missing, f"missing from the sdist: {sorted(missing)}"


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (pip install, not -e). The
    dependencies are the test environment's, reached through a plain path entry (its .pth
    files, among them the editable install of this checkout, are not processed), so the test
    needs no network and the checkout is not importable there (asserted below)."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)]
    Path(site, "test-dependencies.pth").write_text("\n".join(ours) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(dist["wheel"])], check=True, timeout=300, capture_output=True)
    return venv


def _run(venv: Path, *args: str, cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(venv / "bin" / "python"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_the_installed_wheel_runs_the_whole_job(installed, tmp_path):
    from pipeline.demo import serve_samples

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = clean_env(PYTHONPATH="", PYTHONSAFEPATH="1")
    where = _run(installed, "-c", "import pipeline, pipeline.templates, sys; print(pipeline.__file__); "
                 "print(pipeline.templates.FOLDER); print(sys.path)", cwd=work, env=env).stdout.splitlines()
    assert where[0].startswith(str(installed)) and where[1].startswith(str(installed)), where
    assert str(ROOT) not in ast.literal_eval(where[2]), "the checkout is on the installed environment's sys.path"
    assert _run(installed, "-m", "pipeline", "--version", cwd=work, env=env).stdout.strip() == \
        f"linkletter, version {pipeline.__version__}"
    script = subprocess.run([str(installed / "bin" / "linkletter"), "--version"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=60)
    assert script.stdout.strip() == f"linkletter, version {pipeline.__version__}", script.stderr

    letter = work / "letter"
    server, base = serve_samples(free_port())
    try:
        with SmtpServer() as smtp:
            env = clean_env(PYTHONSAFEPATH="1", LINKLETTER_DIR=str(letter), LINKLETTER_SMTP_URL=smtp.url)
            cli = lambda *a: _run(installed, "-m", "pipeline", *a, cwd=work, env=env)  # noqa: E731
            cli("init", str(letter), "--title", "Installed Reads", "--sender", "Reads <news@example.org>")
            cli("sources", "add", f"{base}/highlights.atom", "--mode", "auto")
            assert "0 failed" in cli("collect").stdout
            drafted = cli("draft").stdout
            assert "Created" in drafted, drafted
            draft = next((letter / "drafts").glob("001-*.md"))
            text = draft.read_text("utf-8")
            assert "> A library is not a collection of books" in text
            text = re.sub(r"<!--[^>]*-->", "Worth reading.", text)
            draft.write_text(text, encoding="utf-8")
            rendered = cli("render", "1", "--out", str(work / "out")).stdout
            assert (work / "out" / "email.html").read_text("utf-8").count("A library is not a collection") >= 1, rendered
            cli("subscribers", "add", "ada@example.net", "--name", "Ada")
            sent = cli("send", "1", "--force").stdout
            assert "Issue 1: 1 sent, 0 failed" in sent, sent
            (mail,) = smtp.wait_for(1)
            assert mail.rcpt_tos == ["ada@example.net"]
            assert "A library is not a collection" in mail.message.get_body(("plain",)).get_content()
            cli("build")
            assert "Installed Reads #1" in (letter / "site" / "feed.xml").read_text("utf-8")
    finally:
        server.shutdown()


def test_the_installed_scheduler_runs_the_main_job_and_stops_on_sigterm(installed, tmp_path):
    env = clean_env(PYTHONSAFEPATH="1")
    letter = tmp_path / "letter"
    _run(installed, "-m", "pipeline", "init", str(letter), cwd=tmp_path, env=env)
    port = free_port()
    proc = subprocess.Popen([str(installed / "bin" / "python"), "-m", "scheduler", f"--dir={letter}",
                             "--port", str(port)], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/subscribe", timeout=5) as r:
                    assert r.status == 200 and b"<form" in r.read()
                    break
            except OSError:  # not listening yet
                assert time.monotonic() < deadline, "the installed main job never answered"
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
