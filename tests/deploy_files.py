"""Readers of the files under deploy/: the Containerfile, YAML manifests, systemd units and nginx configurations."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROMETHEUS = DEPLOY / "prometheus"
COMPOSE = DEPLOY / "compose.yaml"
CONTAINERFILE = DEPLOY / "Containerfile"
NGINX_CONFS = (DEPLOY / "nginx.conf", DEPLOY / "nginx.compose.conf")
SETTING_NAME = re.compile(r"\bPORTAL_[A-Z0-9_]+")


def yaml_documents(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def kubernetes_documents() -> list[tuple[str, dict]]:
    """(file name, object) for every object of every manifest, the kustomization apart."""
    return [(path.name, doc) for path in sorted(KUBERNETES.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml_documents(path)]


def pod_spec(obj: dict) -> dict | None:
    """The pod template's spec of a Deployment, Job or CronJob; None for other kinds."""
    kind, spec = obj["kind"], obj.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return spec["template"]["spec"]
    if kind == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return None


def pod_labels(obj: dict) -> dict:
    spec = obj["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else spec["template"]
    return template.get("metadata", {}).get("labels", {})


def containers(spec: dict) -> list[dict]:
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def container_argv(container: dict) -> list[str]:
    return [str(part) for part in container.get("command", []) + container.get("args", [])]


def compose_argv(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def systemd_commands() -> list[tuple[str, list[str]]]:
    found = []
    for unit in sorted(DEPLOY.glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                found.append((unit.name, shlex.split(line.split("=", 1)[1])))
    return found


def is_portal(argv: list[str]) -> bool:
    return bool(argv) and Path(argv[0]).name == "portal"


def megabytes(quantity: str | int) -> float:
    """A Kubernetes quantity (512Mi, 1Gi, 3G) or a compose size (1536m, 4g) in MB."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?|[kmgt]b?)?", str(quantity))
    assert match, f"unreadable memory size {quantity!r}"
    unit = (match.group(2) or "").lower().rstrip("b")
    scale = {"": 1e-6, "k": 1e-3, "m": 1, "g": 1e3, "t": 1e6, "ki": 1.024e-3, "mi": 1.048576, "gi": 1073.741824,
             "ti": 1099511.627776}
    return float(match.group(1)) * scale[unit]


def measured_classifier_rss_mb() -> float:
    """The largest RSS of the README's classification table (the worker's resident memory)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    figures = [float(n) for n in re.findall(r"\|\s*(\d+) MB \|\s*$", readme, flags=re.M)]
    assert figures, "the README's classification table states no RSS"
    return max(figures)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "avis.example.org")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# The Containerfile --------------------------------------------------------------------------------

def containerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        word, _, rest = whole.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    assert not pending, "the Containerfile ends on a continuation line"
    return instructions


@dataclass
class Containerfile:
    base: str
    cmd: list[str]
    exposed: list[int]
    healthcheck: list[str]
    user: str
    env: dict[str, str]
    copies: list[tuple[list[str], str]]
    runs: list[str] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path = CONTAINERFILE) -> Containerfile:
        found = containerfile_instructions(path.read_text(encoding="utf-8"))
        by = lambda name: [rest for word, rest in found if word == name]  # noqa: E731
        env: dict[str, str] = {}
        for rest in by("ENV"):
            env.update(dict(part.split("=", 1) for part in shlex.split(rest)))
        args = dict((part.split("=", 1) + [""])[:2] for rest in by("ARG") for part in shlex.split(rest))
        health = by("HEALTHCHECK")
        assert len(health) == 1 and " CMD " in f" {health[0]}", "one HEALTHCHECK ... CMD [...] expected"
        copies = []
        for rest in by("COPY"):
            parts = [p for p in shlex.split(rest) if not p.startswith("--")]
            copies.append((parts[:-1], parts[-1]))
        (cmd,) = by("CMD")
        return cls(
            base=by("FROM")[-1].split()[0], cmd=json.loads(cmd), exposed=[int(p.split("/")[0]) for r in by("EXPOSE") for p in r.split()],
            healthcheck=json.loads(health[0].split("CMD", 1)[1]), user=by("USER")[-1], env=env, copies=copies,
            runs=by("RUN"), args=args,
        )


# nginx --------------------------------------------------------------------------------------------

@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def find(self, name: str) -> list[Directive]:
        """Every directive of that name at any depth below this one."""
        found = []
        for child in self.block or []:
            if child.name == name:
                found.append(child)
            found.extend(child.find(name))
        return found


NGINX_TOKEN = re.compile(r"""\s+|\#[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[{};]|[^\s{};"'#]+(?:\#[^\s{};]*)*""")


def nginx_tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = NGINX_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"unreadable nginx text at offset {position}: {text[position:position + 20]!r}")
        token = match.group(0)
        position = match.end()
        if not token.isspace() and not token.startswith("#"):
            tokens.append(token[1:-1] if token[0] in "\"'" else token)
    return tokens


def parse_nginx(text: str) -> Directive:
    """nginx's grammar: directives end with `;`, blocks open with `{` after the directive's arguments."""
    root = Directive("(file)", [], [])
    stack, words = [root], []
    for token in nginx_tokens(text):
        if token == ";":
            if not words:
                raise ValueError("an empty directive (`;` alone)")
            stack[-1].block.append(Directive(words[0], words[1:]))
            words = []
        elif token == "{":
            if not words:
                raise ValueError("a block without a directive name")
            block = Directive(words[0], words[1:], [])
            stack[-1].block.append(block)
            stack.append(block)
            words = []
        elif token == "}":
            if words:
                raise ValueError(f"directive {words[0]!r} is not ended by `;` before `}}`")
            if len(stack) == 1:
                raise ValueError("a `}` closes no block")
            stack.pop()
        else:
            words.append(token)
    if words:
        raise ValueError(f"directive {words[0]!r} is not ended by `;`")
    if len(stack) != 1:
        raise ValueError(f"block {stack[-1].name!r} is never closed")
    return root
