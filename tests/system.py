"""System-test harness: a real SMTP server, a private Redis, and juece's worker and beat as processes."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from config.topology import beat_command, worker_command
from tests.helpers import CST, Clock

IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd handler that keeps what it receives; it can refuse, or stall the first RCPTs, answers to
    the end of DATA (after keeping the message: the server has accepted it, the client does not know yet)
    or answers to QUIT. Every message is stamped (wall time) when it was kept and when it was answered."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.accepted_at: list[float] = []
        self.answered_at: list[float | None] = []
        self.quit_at: list[float] = []
        self.refuse = False
        self.stall_next = 0
        self.stall_data_next = 0
        self.stall_quit_next = 0
        self.stall_seconds = 8.0
        self.stalling = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.refuse:
            return "550 5.1.1 mailbox unavailable (test server refuses)"
        if self.stall_next > 0:
            self.stall_next -= 1
            self.stalling.set()
            await asyncio.sleep(self.stall_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.accepted_at.append(time.time())
            self.answered_at.append(None)
            index = len(self.messages) - 1
        if self.stall_data_next > 0:
            self.stall_data_next -= 1
            self.stalling.set()
            await asyncio.sleep(self.stall_seconds)
        with self.lock:
            self.answered_at[index] = time.time()
        return "250 OK queued"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.quit_at.append(time.time())
        if self.stall_quit_next > 0:
            self.stall_quit_next -= 1
            self.stalling.set()
            await asyncio.sleep(self.stall_seconds)
        return "221 Bye"

    def received(self) -> list[tuple[str, str]]:
        """(recipient, subject) of every message received so far."""
        with self.lock:
            return [(str(m["To"]), str(m["Subject"])) for m in self.messages]

    def message_ids(self) -> list[str]:
        """Message-ID of every message received so far."""
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """A real SMTP server on a free local port."""

    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test may stop and restart it."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if IN_CI:
                pytest.fail("redis-server is required in CI")
            pytest.skip("redis-server not installed")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _answers(self.port), 10, "redis to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class Processes:
    """juece's Celery worker(s) and beat(s) as real child processes sharing one environment and clock."""

    def __init__(self, tmp: Path, database_url: str, broker_url: str, smtp_port: int, clock: Clock) -> None:
        self.tmp, self.clock = tmp, clock
        self.clock_file = tmp / "clock.txt"
        self.env = dict(os.environ) | {
            "JUECE_INSTANCE_DIR": str(tmp), "JUECE_DATABASE_URL": database_url, "JUECE_BROKER_URL": broker_url,
            "JUECE_SMTP_HOST": "127.0.0.1", "JUECE_SMTP_PORT": str(smtp_port), "JUECE_SMTP_FROM": "juece@gutang.test",
            "JUECE_CLOCK_FILE": str(self.clock_file), "JUECE_SCAN_SECONDS": "1", "JUECE_RELAY_SECONDS": "1",
            "JUECE_DELIVERY_LEASE_SECONDS": "4", "JUECE_DELIVERY_BACKOFF_SECONDS": "1,1",
            "JUECE_DELIVERY_MAX_ATTEMPTS": "3", "JUECE_SECRET_KEY": "test-secret", "PYTHONUNBUFFERED": "1",
        }
        self.children: list[subprocess.Popen[bytes]] = []
        self.sync_clock()

    def set_time(self, local: str) -> None:
        """Move the test's clock and the processes' clock together (Shanghai local time)."""
        self.clock.set(local)
        self.sync_clock()

    def sync_clock(self) -> None:
        self.clock_file.write_text(self.clock.now.astimezone(CST).isoformat())

    def _spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "ab")  # noqa: SIM115 - closed with the process
        child = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=Path.cwd())
        out.close()
        self.children.append(child)
        return child

    def worker(self, name: str = "w1") -> subprocess.Popen[bytes]:
        return self._spawn(worker_command(name), f"worker-{name}.log")

    def beat(self, suffix: str = "") -> subprocess.Popen[bytes]:
        return self._spawn(beat_command(self.tmp, suffix), f"beat{suffix}.log")

    def kill(self, child: subprocess.Popen[bytes]) -> None:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))

    def close(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def local(moment: dt.datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S")
