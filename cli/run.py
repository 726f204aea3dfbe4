"""``juece up``: the web app, one Celery worker and beat together; Ctrl-C stops all three cleanly."""

from __future__ import annotations

import os
import signal
import subprocess

import click

from cli.common import Ctx, pass_ctx
from config.production import exit_if_unsafe
from config.topology import beat_command, worker_command


def _child_env(c: Ctx) -> dict[str, str]:
    settings = c.settings
    env = dict(os.environ)
    env |= {"JUECE_ENV": settings.environment, "JUECE_INSTANCE_DIR": str(settings.instance_dir), "JUECE_DATABASE_URL": settings.database_url,
            "JUECE_BROKER_URL": settings.broker_url, "JUECE_SCAN_SECONDS": str(settings.scan_seconds),
            "JUECE_RELAY_SECONDS": str(settings.relay_seconds)}
    if settings.clock_file is not None:
        env["JUECE_CLOCK_FILE"] = str(settings.clock_file)
    return env


def start_worker_and_beat(c: Ctx) -> list[subprocess.Popen[bytes]]:
    """Start ``celery worker`` and ``celery beat`` for these settings as child processes."""
    env = _child_env(c)
    return [subprocess.Popen(worker_command(), env=env),
            subprocess.Popen(beat_command(c.settings.instance_dir), env=env)]


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL what does not stop within 20 seconds."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="load the demo office and decision first")
@click.option("--web-only", is_flag=True, help="serve the web app only (run celery worker/beat yourself)")
@pass_ctx
def up(c: Ctx, host: str, port: int, with_demo: bool, web_only: bool) -> None:
    """Migrate the database and run juece: web app, Celery worker and beat, stopped together by Ctrl-C."""
    from werkzeug.serving import run_simple

    from api import create_app
    from api.headers import QuietHandler
    from workflow.record.keys import retire_legacy

    if with_demo and c.settings.production:
        raise click.UsageError("the demo is not loaded under JUECE_ENV=production / 生产模式不加载演示数据")
    exit_if_unsafe(c.settings, c.core)  # before anything is migrated or served
    c.core.db.upgrade()
    retire_legacy(c.core)  # keys made before holder-only signing verify but no longer sign
    if with_demo:
        from workflow.demo import DEMO_PASSWORD, load_demo

        load_demo(c.core)
        click.echo(f"demo office 古塘街道 loaded: sign in as 王建国 (承办), 李明华 (审查), 孙海峰 (行政首长) … "
                   f"with the password {DEMO_PASSWORD}")
    app = create_app(c.settings, c.core)
    children = [] if web_only else start_worker_and_beat(c)
    url = c.core.db.engine.url.render_as_string(hide_password=True)
    click.echo(f"juece: http://{host}:{port}/  database {url}  broker {c.settings.broker_url}"
               + ("" if web_only else "  (worker and beat started)"))
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        run_simple(host, port, app, threaded=True, request_handler=QuietHandler)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        click.echo("stopping worker and beat …")
        stop(children)
