"""A PostgreSQL server of the test's own (its data folder, its port) that a test may restart or stop.

Built from the machine's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``). ``initdb`` refuses to run
as root, so as root the server runs as the ``postgres`` user. Missing binaries skip the test, except
in CI (``CI=true``), where they are a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.system import free_port


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """initdb into a temporary folder, then start, restart and stop the server with ``pg_ctl``."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None or not (bin_dir / "pg_ctl").exists():
            if IN_CI:
                pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are required in CI")
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
        self.bin = bin_dir
        self.as_postgres = os.geteuid() == 0
        # Not under pytest's tmp_path: as root, the postgres user must be able to reach every parent folder.
        self.root = Path(tempfile.mkdtemp(prefix="juece-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = free_port()
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8",
                  "--locale=C")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{tool} failed ({done.returncode}): {done.stdout}\n{done.stderr}\n{self.server_log()}")
        return done

    def _options(self) -> str:
        return (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                "-c fsync=off -c max_connections=60")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-w", "-t", "60", "start")
        self.wait_ready()

    def restart(self) -> None:
        """Restart with ``-m fast``: every session is cut off, open transactions roll back."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-m", "fast", "-w",
                  "-t", "60", "restart")
        self.wait_ready()

    def ready(self) -> bool:
        """pg_isready says the server accepts connections."""
        done = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                              check=False, timeout=10)
        return done.returncode == 0

    def wait_ready(self, seconds: float = 60) -> None:
        """Wait on pg_isready (the condition, not a fixed time)."""
        deadline = time.monotonic() + seconds
        while not self.ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL did not become ready in {seconds:.0f} s\n{self.server_log()}")
            time.sleep(0.1)

    def server_log(self) -> str:
        """The end of the server's log."""
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        """Stop the server (immediately) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
