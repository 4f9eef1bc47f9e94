"""Rasa's distributed setup on one machine, without containers: the topology of deploy/ on loopback.

- PostgreSQL: the tracker store (every Rasa replica reads and writes the same conversations), the
  facts store (the same facts module as on one machine, another URL) and the review store of
  unanswered questions (every action server records into it; ``make review`` reads it);
- Redis: the lock store (bot/lock_store.py), so one conversation's messages are processed one at a
  time whichever replica receives them;
- N action servers and N Rasa servers;
- nginx in front: round-robin over the Rasa servers for REST and the Telegram webhook, sticky by
  client address for socket.io (its handshake and its messages must reach the same server), and
  round-robin over the action servers for the Rasa servers' action calls.

Every process runs from Debian's packages (scripts/install_services.sh) in a temporary folder, on
free loopback ports, registered with a ProcessRegistry so that ``stop_all()`` ends everything, also
when a step fails. Used by tests/test_scale_out.py and ``python -m bot.runtime.cluster`` (make
scale-out), which starts it, prints the addresses and stays up until Ctrl-C.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.runtime.processes import (
    MODEL,
    ROOT,
    Managed,
    ProcessRegistry,
    action_server_command,
    free_port,
    http_ok,
    project_env,
    rasa_server_command,
    wait_until,
)

START_TIMEOUT = 240.0


class ClusterError(RuntimeError):
    """A program of the topology is missing or did not come up; the message says which and why."""


@dataclass
class Replica:
    """One Rasa server or action server of the cluster."""

    name: str
    port: int
    managed: Managed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    folder: Path
    registry: ProcessRegistry
    tracker_store_url: str
    facts_db_url: str
    lock_store_url: str
    base_url: str                     # nginx: what users (and Telegram) reach
    actions_url: str                  # nginx: what the Rasa servers call
    rasa: list[Replica] = field(default_factory=list)
    actions: list[Replica] = field(default_factory=list)
    services: dict[str, Managed] = field(default_factory=dict)
    scratch: list[Path] = field(default_factory=list)  # removed by stop()
    review_db_url: str = ""           # unanswered questions, shared by the action servers

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/webhooks/rest/webhook"

    def kill(self, replica: Replica) -> None:
        """SIGKILL, as a crashed machine: no graceful shutdown."""
        os.killpg(replica.managed.process.pid, signal.SIGKILL)
        replica.managed.process.wait(timeout=10)

    def stop(self) -> None:
        self.registry.stop_all()
        for path in self.scratch:
            shutil.rmtree(path, ignore_errors=True)


# --- the programs --------------------------------------------------------------------------------

def _program(pattern: str, name: str) -> str:
    found = sorted(glob.glob(pattern)) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise ClusterError(f"{name} is not installed: run scripts/install_services.sh "
                           "(Debian's postgresql, redis-server and nginx)")
    return found[-1]


def _as_postgres_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, its commands run as the ``postgres`` account
    that Debian's package creates."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def start_postgres(registry: ProcessRegistry, folder: Path, data: Path) -> tuple[str, Managed]:
    """A fresh PostgreSQL cluster in ``data`` (an empty folder) on a free loopback port, with the
    databases ``tracker``, ``facts`` and ``review``; returns its URL (user ``bot``, no password:
    loopback, trust). Its log goes to ``folder``."""
    initdb = _program("/usr/lib/postgresql/*/bin/initdb", "initdb")
    postgres = str(Path(initdb).with_name("postgres"))
    if os.geteuid() == 0:  # the postgres account must own its folder and reach it
        account = pwd.getpwnam("postgres")
        os.chown(data, account.pw_uid, account.pw_gid)
        os.chmod(data, 0o700)
    result = subprocess.run(_as_postgres_user([initdb, "-D", str(data / "db"), "-U", "bot", "-A", "trust",
                                               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise ClusterError(f"initdb failed: {result.stderr[-2000:]}")
    port = free_port()
    managed = registry.start("postgresql", _as_postgres_user([
        postgres, "-D", str(data / "db"), "-p", str(port), "-k", str(data),
        "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]),
        cwd=data, env=dict(os.environ), log=folder / "postgresql.log")
    url = f"postgresql://bot@127.0.0.1:{port}"
    wait_until(lambda: _postgres_ready(url), [managed], 60, "PostgreSQL up")
    import psycopg2

    connection = psycopg2.connect(f"{url}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE DATABASE tracker")
        cursor.execute("CREATE DATABASE facts")
        cursor.execute("CREATE DATABASE review")
    connection.close()
    return url, managed


def _postgres_ready(url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(f"{url}/postgres", connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def start_redis(registry: ProcessRegistry, folder: Path) -> tuple[str, Managed]:
    """A Redis server on a free loopback port, nothing saved to disk; returns the lock store's URL."""
    server = _program("/usr/bin/redis-server", "redis-server")
    port = free_port()
    (folder / "redis").mkdir()
    managed = registry.start("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(folder / "redis")],
                             cwd=folder, env=dict(os.environ), log=folder / "redis.log")
    import redis

    def ready() -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    wait_until(ready, [managed], 30, "Redis up")
    return f"redis://127.0.0.1:{port}/1", managed


NGINX_CONF = """\
worker_processes 1;
daemon off;
{user}
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {folder}/nginx-access.log;
  client_body_temp_path {folder}/nginx-tmp/body;
  proxy_temp_path {folder}/nginx-tmp/proxy;
  fastcgi_temp_path {folder}/nginx-tmp/fastcgi;
  uwsgi_temp_path {folder}/nginx-tmp/uwsgi;
  scgi_temp_path {folder}/nginx-tmp/scgi;
  # The Rasa server caps bodies itself (BOT_MAX_REQUEST_BYTES, 413 with a reason); this is a backstop.
  client_max_body_size 1m;

  # REST and the Telegram webhook: any replica (conversations live in PostgreSQL, locks in Redis).
  # A replica that refuses the connection is skipped; a request it already received is not
  # re-sent elsewhere (POST is not idempotent: that would answer the message twice).
  upstream rasa {{
{rasa_servers}
  }}
  # socket.io: its polling requests and its WebSocket must reach the server that holds the session.
  upstream rasa_sticky {{
    ip_hash;
{rasa_servers}
  }}
  upstream actions {{
{action_servers}
  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

  server {{
    listen 127.0.0.1:{port};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_read_timeout 120s;
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;
    location /socket.io/ {{
      proxy_pass http://rasa_sticky;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }}
    location / {{ proxy_pass http://rasa; }}
  }}
  server {{
    listen 127.0.0.1:{actions_port};
    proxy_read_timeout 30s;
    proxy_next_upstream error timeout;
    location / {{ proxy_pass http://actions; }}
  }}
}}
"""


def _servers(ports: list[int]) -> str:
    return "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)


def start_nginx(registry: ProcessRegistry, folder: Path, rasa_ports: list[int], action_ports: list[int],
                port: int, actions_port: int) -> Managed:
    nginx = _program("/usr/sbin/nginx", "nginx")
    (folder / "nginx-tmp").mkdir()
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, user=user, rasa_servers=_servers(rasa_ports),
                                      action_servers=_servers(action_ports), port=port,
                                      actions_port=actions_port), encoding="utf-8")
    check = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(conf)], capture_output=True, text=True,
                           timeout=30)
    if check.returncode != 0:
        raise ClusterError(f"nginx rejected {conf}: {check.stderr[-2000:]}")
    return registry.start("nginx", [nginx, "-p", str(folder), "-c", str(conf)], cwd=folder,
                          env=dict(os.environ), log=folder / "nginx.log")


# --- the whole topology ----------------------------------------------------------------------------

def start_cluster(folder: Path, replicas: int = 2, model: Path | None = None,
                  facts_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> Cluster:
    """Everything, up and healthy. On any failure what was started is stopped before the error
    propagates. ``folder`` holds the data, the configuration and every log."""
    from bot.facts import FactsStore, load_catalogue

    model = model or MODEL
    if not model.exists():
        raise ClusterError(f"{model} is missing: run `make train` first")
    registry = ProcessRegistry()
    # PostgreSQL runs as its own account, which cannot enter a folder private to this user (pytest's
    # tmp_path): its data go to a world-traversable temporary folder, removed by Cluster.stop().
    postgres_data = Path(tempfile.mkdtemp(prefix="briefing-postgres-"))
    try:
        postgres_url, postgres = start_postgres(registry, folder, postgres_data)
        lock_store_url, redis_server = start_redis(registry, folder)
        tracker_url, facts_url = f"{postgres_url}/tracker", f"{postgres_url}/facts"
        FactsStore(facts_url).build(load_catalogue(facts_dir or ROOT / "data" / "facts"))
        port, actions_port = free_port(), free_port()
        cluster = Cluster(folder, registry, tracker_url, facts_url, lock_store_url,
                          f"http://127.0.0.1:{port}", f"http://127.0.0.1:{actions_port}/webhook",
                          services={"postgresql": postgres, "redis": redis_server}, scratch=[postgres_data],
                          review_db_url=f"{postgres_url}/review")
        env = project_env({"TELEGRAM_TOKEN": "", **(extra_env or {}), "FACTS_DB_URL": facts_url,
                           "TRACKER_STORE_URL": tracker_url, "LOCK_STORE_URL": lock_store_url,
                           "REVIEW_DB_URL": cluster.review_db_url,
                           "ACTION_SERVER_URL": cluster.actions_url, "BIND_HOST": "127.0.0.1",
                           "SANIC_HOST": "127.0.0.1",
                           # Replicas behind one address must accept each other's web-chat sessions.
                           "WEB_SESSION_SECRET": secrets.token_hex(32)})
        for i in range(replicas):
            action_port = free_port()
            cluster.actions.append(Replica(f"actions-{i + 1}", action_port, registry.start(
                f"actions-{i + 1}", action_server_command(action_port), cwd=ROOT, env=env,
                log=folder / f"actions-{i + 1}.log")))
        for i in range(replicas):
            rasa_port = free_port()
            cluster.rasa.append(Replica(f"rasa-{i + 1}", rasa_port, registry.start(
                f"rasa-{i + 1}", rasa_server_command(rasa_port, model=model), cwd=ROOT,
                env={**env, "RASA_PORT": str(rasa_port)}, log=folder / f"rasa-{i + 1}.log")))
        cluster.services["nginx"] = start_nginx(registry, folder, [r.port for r in cluster.rasa],
                                                [a.port for a in cluster.actions], port, actions_port)
        every = [*cluster.actions, *cluster.rasa]
        wait_until(lambda: all(http_ok(f"{a.url}/health") for a in cluster.actions)
                   and all(http_ok(f"{r.url}/") for r in cluster.rasa) and http_ok(f"{cluster.base_url}/"),
                   [r.managed for r in every] + list(cluster.services.values()), START_TIMEOUT,
                   "every replica and nginx up")
        return cluster
    except BaseException:
        registry.stop_all()
        shutil.rmtree(postgres_data, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.runtime.cluster",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="Rasa servers and action servers (2)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="briefing-cluster-"))
    print(f"Starting PostgreSQL, Redis, {args.replicas} action servers, {args.replicas} Rasa servers and "
          f"nginx (data and logs: {folder}) ...", flush=True)
    try:
        cluster = start_cluster(folder, args.replicas)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        print(f"Up. Chat: {cluster.base_url}/webhooks/web/  REST: {cluster.rest_url}\n"
              f"Tracker store: {cluster.tracker_store_url}  Lock store: {cluster.lock_store_url}\n"
              f"Facts store: {cluster.facts_db_url}  Review store: {cluster.review_db_url}\n"
              "Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
