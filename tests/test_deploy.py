"""deploy/ (docker-compose and Kubernetes) stays in step with the code: it sets only variables the
bot reads, runs the same commands as the servers the tests start, and has the documented topology.
No Docker engine or cluster runs here; bot/runtime/cluster.py runs the same topology on loopback."""

from __future__ import annotations

import yaml

from bot.runtime.processes import action_server_command, rasa_server_command
from bot.settings import Settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
#: Variables read by Rasa or TensorFlow themselves, not by our settings.
OTHERS = {"RASA_TELEMETRY_ENABLED"}


def _known(name: str) -> bool:
    return name.lower() in Settings.__fields__ or name in OTHERS


def test_compose_has_the_topology_and_sets_only_known_variables():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "facts-build", "actions", "rasa", "nginx"} <= set(services)
    assert services["rasa"]["deploy"]["replicas"] == 2 and services["actions"]["deploy"]["replicas"] == 2
    for name in ("facts-build", "actions", "rasa"):
        unknown = [v for v in services[name]["environment"] if not _known(v)]
        assert not unknown, (name, unknown)
    env = services["rasa"]["environment"]
    assert env["TRACKER_STORE_URL"].startswith("postgresql://") and env["LOCK_STORE_URL"].startswith("redis://")
    # Every action replica records unanswered questions into one shared database (make review).
    assert services["actions"]["environment"]["REVIEW_DB_URL"].startswith("postgresql://")
    assert "CREATE DATABASE review;" in (DEPLOY / "postgres-init.sql").read_text(encoding="utf-8")
    # The commands the tests run, in the container's form (binary on the PATH, all interfaces).
    assert services["actions"]["command"][1:] == action_server_command(5055)[1:]
    rasa = rasa_server_command(5005, interface="0.0.0.0", model="models/briefing-bot.tar.gz")
    assert services["rasa"]["command"][1:] == rasa[1:]


def test_kubernetes_manifests_set_only_known_variables_and_run_the_facts_build_as_a_job():
    documents = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "bot.yaml").read_text(encoding="utf-8")) if d]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("Job", "briefing-facts-build") in kinds
    assert ("Deployment", "briefing-rasa") in kinds and ("Deployment", "briefing-actions") in kinds
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    assert all(_known(name) for name in config["data"]), config["data"]
    secret_names = [line.split("--from-literal=")[1].split("=")[0]
                    for d in [(DEPLOY / "k8s" / "bot.yaml").read_text(encoding="utf-8")]
                    for line in d.split() if line.startswith("--from-literal=")]
    assert secret_names and all(_known(name) for name in secret_names), secret_names


def test_nginx_config_routes_socket_io_sticky_and_the_rest_round_robin():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "upstream rasa_sticky { ip_hash;" in conf
    assert "location /socket.io/ {\n      proxy_pass http://rasa_sticky;" in conf
    assert "location / { proxy_pass http://rasa; }" in conf
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["rasa"]["environment"]["ACTION_SERVER_URL"] == "http://nginx:5056/webhook"
    assert "listen 5056;" in conf
