"""deploy/: every manifest parses, and the commands, ports, probe paths, settings and metrics it names exist.

Containers cannot be built on the machines that run the suite, so this reads the Containerfile, the compose
file, the Kubernetes manifests, the Prometheus files, the systemd units and the nginx configurations, and
checks them against the real command parser, the real application's routes and the real settings table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal.__main__ import build_parser
from portal.app import create_app
from portal.settings import SETTINGS_TABLE, Settings
from portal.web.metrics import StoreCollector, StoreFigures, portal_metrics
from tests.conftest import skip_or_fail
from tests.deploy_files import (
    COMPOSE, CONTAINERFILE, DEPLOY, KUBERNETES, NGINX_CONFS, PROMETHEUS, ROOT, SETTING_NAME, Containerfile, compose_argv,
    container_argv, containers, is_portal, kubernetes_documents, measured_classifier_rss_mb, megabytes, parse_nginx, pod_labels,
    pod_spec, self_signed_certificate, systemd_commands, yaml_documents,
)

# Environment variables the manifests may set that are not the portal's settings.
OTHER_VARIABLES = {"HF_HUB_OFFLINE"}
PORTAL_IMAGE = "guichet"


def known_settings() -> set[str]:
    return {setting.variable for setting in SETTINGS_TABLE}


def served_metrics() -> dict[str, tuple[str, set[str]]]:
    """Every metric /metrics serves, as Prometheus names it (a counter's series end in _total): (type, labels)."""
    served = {}
    for metric in vars(portal_metrics()).values():
        name = f"{metric._name}_total" if metric._type == "counter" else metric._name
        served[name] = (metric._type, set(metric._labelnames))
    # The store's figures, with one value of each kind so every family shows its labels.
    figures = StoreFigures(queue={"pending": 1}, oldest_pending_seconds=5.0, digest_runs={"failed": 1},
                           kiosk_last_contact=[(1, "kiosk", 5.0)], kiosks_never_seen=1)
    for family in StoreCollector(figures).collect():
        served[family.name] = (family.type, set().union(*(sample.labels.keys() for sample in family.samples)))
    return served


def parsed(where: str, argv: list[str]):
    try:
        return build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{where}: `{' '.join(argv)}` is not a command the portal's parser accepts")


def all_portal_commands() -> list[tuple[str, list[str]]]:
    """Every `portal ...` command line a deploy file runs, with where it is."""
    found = [("Containerfile CMD", Containerfile.read().cmd)]
    found += [(f"compose.yaml {name}", compose_argv(s)) for name, s in compose_services().items()]
    for file, obj in kubernetes_documents():
        if (spec := pod_spec(obj)) is not None:
            found += [(f"{file} {obj['metadata']['name']}/{c['name']}", container_argv(c)) for c in containers(spec)]
    found += systemd_commands()
    return [(where, argv) for where, argv in found if is_portal(argv)]


def compose_services() -> dict[str, dict]:
    (compose,) = yaml_documents(COMPOSE)
    return compose["services"]


def served_port() -> int:
    ports = {parsed(where, argv).port for where, argv in all_portal_commands() if argv[1] == "serve"}
    assert len(ports) == 1, f"every `portal serve` should serve the same port, found {ports}"
    return ports.pop()


def serves_http(argv: list[str]) -> bool:
    return is_portal(argv) and argv[1] == "serve"


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory) -> set[str]:
    folder = tmp_path_factory.mktemp("deploy-app")
    settings = Settings.from_env(environ={}, data_dir=str(folder), database_url=f"sqlite:///{folder / 'portal.db'}",
                                 secret_key="test-secret-key-for-the-suite-only", run_worker="false", run_scheduler="false")
    return {route.path for route in create_app(settings).routes}


# Every file parses -------------------------------------------------------------------------------

def test_every_manifest_parses_and_names_its_kind():
    for path in [COMPOSE, *PROMETHEUS.glob("*.yaml"), *KUBERNETES.glob("*.yaml")]:
        assert yaml_documents(path), f"{path.name} is empty"
    kinds = {(obj["kind"], obj["metadata"]["name"]) for _file, obj in kubernetes_documents()}
    assert all(obj.get("apiVersion") for _file, obj in kubernetes_documents())
    for expected in [("Deployment", "guichet-web"), ("Deployment", "guichet-worker"), ("Deployment", "guichet-scheduler"),
                     ("Service", "guichet-web"), ("Job", "guichet-migrate"), ("CronJob", "guichet-open-data"),
                     ("Secret", "guichet-settings")]:
        assert expected in kinds, f"deploy/kubernetes has no {expected[0]} {expected[1]}"
    (kustomization,) = yaml_documents(KUBERNETES / "kustomization.yaml")
    manifests = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests, "kustomization.yaml should list every manifest"


def test_the_containerfile_installs_the_project_as_pyproject_says():
    image = Containerfile.read()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert image.base == "python:3.11-slim"
    assert re.match(r">=3\.11\b", pyproject["project"]["requires-python"])
    (torch_pin,) = [d for d in pyproject["project"]["dependencies"] if d.replace(" ", "").startswith("torch==")]
    assert any(f'"{torch_pin}"' in run and "--index-url" in run for run in image.runs), \
        f"the image should install {torch_pin} from the CPU-only index, apart"
    assert any("pip install -e /opt/guichet/src" in run for run in image.runs)
    copied = {src.rstrip("/") for sources, _dest in image.copies for src in sources}
    for name in [*pyproject["tool"]["setuptools"]["packages"]["find"]["include"], "templates", "pyproject.toml",
                 pyproject["project"]["readme"]]:
        name = name.rstrip("*")
        assert name in copied, f"the Containerfile does not copy {name}"
    for source in copied:
        assert (ROOT / source).exists(), f"the Containerfile copies {source}, which the repository does not have"
    assert image.user.split(":")[0] not in ("root", "0"), "the portal must not run as root"
    assert image.env["HF_HUB_OFFLINE"] == "1", "nothing is downloaded when a container runs"


# Commands -----------------------------------------------------------------------------------------

def test_every_portal_command_exists_in_the_parser():
    commands = all_portal_commands()
    named = {argv[1] for _where, argv in commands}
    assert {"serve", "migrate", "worker", "scheduler", "open-data", "model"} <= named
    for where, argv in commands:
        parsed(where, argv)
    assert parsed("CronJob", ["portal", "open-data", "export", "/x"]).dir == "/x"


def test_every_container_of_the_portal_image_runs_a_portal_command():
    for file, obj in kubernetes_documents():
        for container in containers(pod_spec(obj) or {}):
            if container["image"].split(":")[0] == PORTAL_IMAGE:
                assert is_portal(container_argv(container)), f"{file}: {container['name']} runs no portal command"
    for name, service in compose_services().items():
        if service.get("image", "").startswith(f"{PORTAL_IMAGE}:"):
            assert is_portal(compose_argv(service)), f"compose.yaml: {name} runs no portal command"


def test_compose_runs_two_web_copies_a_worker_a_scheduler_and_migrations_once():
    services = compose_services()
    by_command = {}
    for name, service in services.items():
        argv = compose_argv(service)
        if is_portal(argv):
            by_command.setdefault(argv[1], []).append(name)
    assert len(by_command["serve"]) == 2 and by_command["worker"] and by_command["scheduler"] and by_command["migrate"]
    assert {"postgres", "redis", "nginx"} <= set(services)
    for web in by_command["serve"]:
        assert parsed(web, compose_argv(services[web])).no_migrate, f"{web} should leave migrations to the one-shot service"
        assert services[web]["depends_on"][by_command["migrate"][0]] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        if is_portal(compose_argv(service)) and not serves_http(compose_argv(service)):
            assert service.get("healthcheck", {}).get("disable") is True, \
                f"{name} serves no HTTP: the image's /healthz check must be disabled for it"
        if is_portal(compose_argv(service)):
            assert "portal.env" in service["env_file"] and (DEPLOY / "portal.env.example").exists()
            build = service["build"]
            assert (DEPLOY / build["context"]).resolve() == ROOT and ROOT / build["dockerfile"] == CONTAINERFILE, name


# Ports --------------------------------------------------------------------------------------------

def test_every_port_matches_the_one_served():
    port = served_port()
    image = Containerfile.read()
    assert image.exposed == [port]
    assert re.search(rf"http://127\.0\.0\.1:{port}/", " ".join(image.healthcheck))
    for where, argv in all_portal_commands():
        if serves_http(argv) and not where.endswith(".service"):  # a container must listen on every interface
            assert parsed(where, argv).host == "0.0.0.0", f"{where}: a container's web process must listen on 0.0.0.0"
    for name, service in compose_services().items():
        if serves_http(compose_argv(service)):
            assert [int(p) for p in service["expose"]] == [port], name
    pods = []
    for file, obj in kubernetes_documents():
        for container in containers(pod_spec(obj) or {}):
            ports = [p["containerPort"] for p in container.get("ports", [])]
            if serves_http(container_argv(container)):
                assert ports == [port], f"{file}: {container['name']} declares {ports}, serves {port}"
                pods.append(pod_labels(obj))
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["port"] == port, f"{file}: {container['name']} {probe}"
    for file, obj in kubernetes_documents():
        if obj["kind"] == "Service":
            selector = obj["spec"]["selector"]
            assert any(selector.items() <= labels.items() for labels in pods), f"{file}: the Service selects no web pod"
            assert [p["targetPort"] for p in obj["spec"]["ports"]] == [port]


def test_nginx_upstreams_are_the_web_processes_on_their_port():
    port = served_port()
    units = dict(systemd_commands())
    web_unit = parsed("guichet-web.service", units["guichet-web.service"])
    services = compose_services()
    compose_webs = {name for name, s in services.items() if serves_http(compose_argv(s))}
    expected = {"nginx.conf": {f"{web_unit.host}:{web_unit.port}"}, "nginx.compose.conf": {f"{n}:{port}" for n in compose_webs}}
    for path in NGINX_CONFS:
        config = parse_nginx(path.read_text(encoding="utf-8"))
        upstreams = {u.args[0]: {s.args[0] for s in u.find("server")} for u in config.find("upstream")}
        assert set().union(*upstreams.values()) == expected[path.name], path.name
        for proxy in config.find("proxy_pass"):
            assert urlsplit(proxy.args[0]).hostname in upstreams, f"{path.name}: proxy_pass to an unknown upstream"
    mounts = [v.split(":")[:2] for v in services["nginx"]["volumes"]]
    assert ["./nginx.compose.conf", "/etc/nginx/conf.d/default.conf"] in mounts
    assert (DEPLOY / "nginx.compose.conf").exists()


# Probes and routes --------------------------------------------------------------------------------

def test_web_pods_probe_readyz_and_healthz_and_others_have_no_http_probe(app_routes):
    image = Containerfile.read()
    health_path = urlsplit(re.search(r"http://[^'\"\s]+", " ".join(image.healthcheck)).group(0)).path
    assert health_path == "/healthz" and health_path in app_routes
    for file, obj in kubernetes_documents():
        for container in containers(pod_spec(obj) or {}):
            probes = {k: v["httpGet"]["path"] for k, v in container.items() if k.endswith("Probe") and "httpGet" in v}
            for probe, path in probes.items():
                assert path in app_routes, f"{file}: {container['name']} {probe} asks {path}, which the app does not serve"
            if serves_http(container_argv(container)):
                assert probes.get("readinessProbe") == "/readyz" and probes.get("livenessProbe") == "/healthz", file
            else:
                assert not probes, f"{file}: {container['name']} serves no HTTP, an HTTP probe would always fail"
    for path in NGINX_CONFS:
        for location in parse_nginx(path.read_text(encoding="utf-8")).find("location"):
            if location.args[0] == "=":
                assert location.args[1] in app_routes, f"{path.name}: location {location.args[1]} is no route"
    scrape = yaml_documents(PROMETHEUS / "scrape.yaml")[0]
    for job in scrape["scrape_configs"]:
        assert job["metrics_path"] in app_routes
        assert job["authorization"]["type"] == "Bearer" and job["authorization"]["credentials_file"]
        for static in job.get("static_configs", []):
            assert {int(t.rsplit(":", 1)[1]) for t in static["targets"]} == {served_port()}


# Settings -----------------------------------------------------------------------------------------

def test_every_setting_named_exists():
    known = known_settings()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file():
            named = {n for n in SETTING_NAME.findall(path.read_text(encoding="utf-8")) if not n.endswith("_")}
            unknown = named - known
            assert not unknown, f"deploy/{path.relative_to(DEPLOY)} names settings the portal does not have: {unknown}"
    environment = compose_services()["web-1"]["environment"]
    assert set(environment) <= known
    for _file, obj in kubernetes_documents():
        if obj["kind"] in ("ConfigMap", "Secret"):
            keys = set(obj.get("data", {})) | set(obj.get("stringData", {}))
            assert keys <= known | OTHER_VARIABLES, f"{obj['metadata']['name']}: {keys - known - OTHER_VARIABLES}"
        if obj["kind"] == "Secret":
            assert {"PORTAL_SECRET_KEY", "PORTAL_DATABASE_URL"} <= keys


def test_compose_addresses_are_its_own_services():
    services = compose_services()
    environment = services["web-1"]["environment"]
    plain = lambda url: re.sub(r"\$\{[^}]*\}", "x", url)  # noqa: E731 - compose's ${VAR:?message}
    assert urlsplit(plain(environment["PORTAL_DATABASE_URL"])).hostname == "postgres"
    assert urlsplit(environment["PORTAL_REDIS_URL"]).hostname == "redis"
    nginx_address = services["nginx"]["networks"]["guichet"]["ipv4_address"]
    assert environment["PORTAL_TRUSTED_PROXIES"] == nginx_address, "the web copies must trust nginx's X-Forwarded-For"


def test_kubernetes_references_and_security():
    objects = {(obj["kind"], obj["metadata"]["name"]) for _file, obj in kubernetes_documents()}
    image_uid = int(re.search(r"--uid (\d+)", " ".join(Containerfile.read().runs)).group(1))
    for file, obj in kubernetes_documents():
        spec = pod_spec(obj)
        if spec is None:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == image_uid, file
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in objects, file
        for container in containers(spec):
            for source in container.get("envFrom", []):
                kind, ref = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
                assert (kind, ref["name"]) in objects, f"{file}: {container['name']} reads a missing {kind}"
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, file


def test_memory_follows_the_measured_figures():
    worker_rss = measured_classifier_rss_mb()
    assert worker_rss < 1200, "the README's measured worker RSS is the basis of the worker's limits"
    for file, obj in kubernetes_documents():
        for container in containers(pod_spec(obj) or {}):
            resources = container["resources"]
            request, limit = megabytes(resources["requests"]["memory"]), megabytes(resources["limits"]["memory"])
            assert request <= limit, f"{file}: {container['name']}"
            argv = container_argv(container)
            if argv[1:2] == ["worker"]:
                assert request >= worker_rss and limit >= 1200, f"{file}: the worker needs {worker_rss} MB resident"
            if argv[1:3] == ["model", "prepare"]:
                assert limit >= 3000, "`portal model prepare` needs about 3 GB (README)"
    for name, service in compose_services().items():
        if compose_argv(service)[1:2] == ["worker"]:
            assert megabytes(service["mem_limit"]) >= 1200, name


# Prometheus ---------------------------------------------------------------------------------------

def series_metric(name: str) -> str:
    """The metric a series belongs to: a histogram's _bucket, _sum and _count series are the histogram's."""
    metrics = served_metrics()
    return name if name in metrics else re.sub(r"_(bucket|sum|count)$", "", name)


def test_alerts_name_known_metrics_and_labels_and_cover_the_three_risks():
    metrics = served_metrics()
    (rules,) = yaml_documents(PROMETHEUS / "alerts.yaml")
    names = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert len(names) == len(set(names)), "alert names must be unique"
    expressions = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] and rule["annotations"]["summary"], rule["alert"]
            expr = rule["expr"]
            expressions.append(expr)
            assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), rule["alert"]
            for name in re.findall(r"\bguichet_[a-z0-9_]+", expr):
                base = series_metric(name)
                assert base in metrics and (base == name or metrics[base][0] == "histogram"), \
                    f"{rule['alert']}: unknown metric {name}"
            for name, matchers in re.findall(r"\b(guichet_[a-z0-9_]+)\s*\{([^}]*)\}", expr):
                base = series_metric(name)
                allowed = metrics[base][1] | ({"le"} if metrics[base][0] == "histogram" else set())
                for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers):
                    assert label in allowed, f"{rule['alert']}: {name} has no label {label}"
            for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
                used = {m for m in metrics if m in expr}
                allowed = set().union(*(metrics[m][1] for m in used)) | {"le"}
                assert {g.strip() for g in grouping.split(",")} <= allowed, rule["alert"]
    text = "\n".join(expressions)
    assert "guichet_classification_oldest_pending_seconds" in text
    assert 'guichet_digest_deliveries_total{outcome="failed"}' in text
    assert re.search(r'guichet_http_requests_total\{status=~"5\.\."\}', text)


# nginx --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", NGINX_CONFS, ids=lambda p: p.name)
def test_nginx_configuration_parses(path):
    config = parse_nginx(path.read_text(encoding="utf-8"))
    assert config.find("server") and config.find("location")
    # The parser does refuse what nginx would: a block left open, a directive left without its `;`.
    text = path.read_text(encoding="utf-8")
    for broken in (text[:text.rindex("}")], text[:text.rindex(";")] + text[text.rindex(";") + 1:]):
        with pytest.raises(ValueError):
            parse_nginx(broken)


@pytest.mark.parametrize("path", NGINX_CONFS, ids=lambda p: p.name)
def test_nginx_accepts_the_configuration(path, tmp_path):
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        skip_or_fail("nginx is not installed (Debian: apt-get install nginx-light); the parse check above still ran")
    cert, key = self_signed_certificate(tmp_path)
    # Paths of the production machine become the test's; compose's service names exist only on its network.
    text = (path.read_text(encoding="utf-8").replace("/etc/ssl/guichet/fullchain.pem", str(cert))
            .replace("/etc/ssl/guichet/privkey.pem", str(key)).replace("/var/log/nginx/", f"{tmp_path}/"))
    text = re.sub(r"\bserver web-\d+:", "server 127.0.0.1:", text)
    (tmp_path / "site.conf").write_text(text, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
