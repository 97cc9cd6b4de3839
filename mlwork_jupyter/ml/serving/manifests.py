"""Kubernetes manifests for an exported version: a Deployment and a Service.

Keras exports run the official ``tensorflow/serving`` image (tag pinned below), which wants
``BASE/NAME/VERSION/saved_model.pb``: the version's ``saved_model/`` folder is mounted there
from a volume holding the store's ``models/`` folder (a PersistentVolumeClaim, by default
``mlwork-models``), readiness on ``GET /v1/models/NAME``. scikit-learn exports have no official
server image that loads skops files: they run this package's own server, which speaks MLflow's
scoring protocol (``/invocations``, ``/ping``), from an image built with the Dockerfile that
`write_manifests` writes beside the manifests, pinning the scikit-learn, skops and NumPy
versions the model was exported with (a skops file needs the same scikit-learn to load).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.serving.layout import load_export

if TYPE_CHECKING:
    import os

    from mlwork_jupyter.ml.serving.layout import Export

__all__ = ["TF_SERVING_IMAGE", "kubernetes_manifests", "write_manifests"]

TF_SERVING_IMAGE = "tensorflow/serving:2.19.1"
_MIB = 1 << 20
_ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - inside a pod, the Service is what is reachable


def _dns_name(text: str) -> str:
    """Return `text` as a DNS-1123 label (lowercase letters, digits, '-'; at most 63)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:63].rstrip("-") or "model"


def _resources(export: Export) -> dict[str, Any]:
    """Return requests sized from the export (weights are held a few times while loading)."""
    size = int(export.info.get("size_bytes") or 0)
    memory = max(256, -(-4 * size // _MIB))
    return {
        "requests": {"cpu": "250m", "memory": f"{memory}Mi"},
        "limits": {"cpu": "2", "memory": f"{2 * memory}Mi"},
    }


def _probe(path: str, port: str, delay: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "initialDelaySeconds": delay,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
    }


def _tf_container(export: Export) -> dict[str, Any]:
    name, version = export.name, export.version
    return {
        "name": "tensorflow-serving",
        "image": TF_SERVING_IMAGE,
        "args": [
            f"--model_name={name}",
            f"--model_base_path=/models/{name}",
            "--rest_api_port=8501",
            "--port=8500",
        ],
        "ports": [
            {"name": "http", "containerPort": 8501},
            {"name": "grpc", "containerPort": 8500},
        ],
        "readinessProbe": _probe(f"/v1/models/{name}", "http", 5),
        "livenessProbe": _probe(f"/v1/models/{name}", "http", 30),
        "resources": _resources(export),
        "volumeMounts": [
            {
                "name": "models",
                "mountPath": f"/models/{name}/{version}",
                "subPath": f"{name}/{version}/saved_model",
                "readOnly": True,
            }
        ],
        "securityContext": {"allowPrivilegeEscalation": False},
    }


def _mlflow_container(export: Export, image: str) -> dict[str, Any]:
    name, version = export.name, export.version
    return {
        "name": "model-server",
        "image": image,
        "args": [
            *("--models-dir", "/models", "--name", name, "--version", str(version)),
            *("--host", _ALL_INTERFACES, "--port", "8080", "--log", "/var/log/mlwork"),
        ],
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": _probe("/ping", "http", 5),
        "livenessProbe": _probe("/health", "http", 30),
        "resources": _resources(export),
        "volumeMounts": [
            {
                "name": "models",
                "mountPath": f"/models/{name}/{version}",
                "subPath": f"{name}/{version}",
                "readOnly": True,
            },
            {"name": "logs", "mountPath": "/var/log/mlwork"},
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 65534,
        },
    }


def default_image(export: Export) -> str:
    """Return the tag `write_manifests`' Dockerfile is meant to be built as."""
    return f"mlwork-serving/{_dns_name(export.name)}:{export.version}"


def kubernetes_manifests(
    models_dir: str | os.PathLike[str],
    name: str,
    version: int | None = None,
    *,
    replicas: int = 1,
    claim: str = "mlwork-models",
    image: str | None = None,
    namespace: str | None = None,
) -> list[dict[str, Any]]:
    """Return a Deployment and a Service serving version `version` (default: latest) of `name`.

    Parameters
    ----------
    claim
        The PersistentVolumeClaim holding a copy of the store's ``models/`` folder.
    image
        scikit-learn only: the server image (default `default_image`, built from the
        Dockerfile `write_manifests` writes).
    namespace
        Set on both objects when given.
    """
    export = load_export(models_dir, name, version)
    app = _dns_name(f"{export.name}-v{export.version}")
    labels = {
        "app.kubernetes.io/name": _dns_name(export.name),
        "app.kubernetes.io/instance": app,
        "app.kubernetes.io/version": str(export.version),
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/managed-by": "mlwork-jupyter",
    }
    meta: dict[str, Any] = {"name": app, "labels": labels}
    if namespace is not None:
        meta["namespace"] = namespace
    keras = export.kind == "keras"
    container = (
        _tf_container(export)
        if keras
        else _mlflow_container(export, image or default_image(export))
    )
    volumes: list[dict[str, Any]] = [
        {"name": "models", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}
    ]
    if not keras:
        volumes.append({"name": "logs", "emptyDir": {}})
    selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container], "volumes": volumes},
            },
        },
    }
    ports = [
        {"name": p["name"], "port": p["containerPort"], "targetPort": p["name"]}
        for p in container["ports"]
    ]
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"type": "ClusterIP", "selector": selector, "ports": ports},
    }
    return [deployment, service]


def _dockerfile(export: Export) -> str:
    frameworks = export.info.get("frameworks", {})
    python = ".".join(str(frameworks.get("python", "3.11")).split(".")[:2])
    try:
        ours = f"=={importlib.metadata.version('mlwork-jupyter')}"
    except importlib.metadata.PackageNotFoundError:
        ours = ""
    pins = [f'"mlwork-jupyter[serving]{ours}"']
    pins += [
        f'"{d}=={frameworks[d]}"'
        for d in ("scikit-learn", "skops", "numpy", "scipy", "pandas")
        if d in frameworks
    ]
    return (
        f"# The server image of {export.name} version {export.version}; build it with\n"
        f"#   docker build -t {default_image(export)} .\n"
        f"FROM python:{python}-slim\n"
        f"RUN pip install --no-cache-dir {' '.join(pins)}\n"
        "USER 65534\n"
        "EXPOSE 8080\n"
        'ENTRYPOINT ["python", "-m", "mlwork_jupyter.ml.serving.server_main"]\n'
    )


def write_manifests(
    models_dir: str | os.PathLike[str],
    name: str,
    version: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> list[Path]:
    """Write `kubernetes_manifests` as YAML (JSON where PyYAML is missing: kubectl takes both).

    Writes ``NAME-vVERSION.yaml`` (or ``.json``) into `out_dir` (default
    ``<store_dir>/manifests/NAME/VERSION``), and a ``Dockerfile`` for scikit-learn models.
    Returns the paths written.
    """
    export = load_export(models_dir, name, version)
    docs = kubernetes_manifests(models_dir, name, export.version, **options)
    folder = (
        Path(out_dir)
        if out_dir is not None
        else Path(models_dir).parent / "manifests" / name / str(export.version)
    )
    folder.mkdir(parents=True, exist_ok=True)
    stem = _dns_name(f"{name}-v{export.version}")
    try:
        yaml = importlib.import_module("yaml")
    except ImportError:
        path = folder / f"{stem}.json"
        path.write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2) + "\n",
            encoding="utf-8",
        )
    else:
        path = folder / f"{stem}.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    written = [path]
    if export.kind == "sklearn":
        (folder / "Dockerfile").write_text(_dockerfile(export), encoding="utf-8")
        written.append(folder / "Dockerfile")
    return written
