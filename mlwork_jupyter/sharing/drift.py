"""Differences between a recorded environment and the present one, each with a severity."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

__all__ = [
    "SEVERITIES",
    "Difference",
    "compare_accelerators",
    "compare_cuda",
    "compare_env_vars",
    "compare_git",
    "compare_packages",
    "compare_platform",
    "compare_python",
]

SEVERITIES: Final = ("major", "minor", "info")
"""``major``: likely to change results; ``minor``: may change them; ``info``: for the record."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing that differs between what a notebook recorded and what is here now.

    Attributes
    ----------
    severity : str
        One of `SEVERITIES`.
    what : str
        The kind of thing: ``python``, ``package``, ``file``, ``gpu``, ``cuda``, ``git``, ...
    name : str
        Which one (a package name, a file path, ``version``).
    recorded, present : str or None
        The values; None where the thing is absent on that side.
    note : str
        Why it matters, or what to do.
    """

    severity: str
    what: str
    name: str
    recorded: str | None
    present: str | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``--json``."""
        return asdict(self)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def compare_python(recorded: dict[str, Any], present: dict[str, Any]) -> list[Difference]:
    """Compare Python versions: another minor version or implementation is major, a patch minor.

    Examples
    --------
    >>> [d.severity for d in compare_python({"version": "3.11.7"}, {"version": "3.12.1"})]
    ['major']
    """
    out: list[Difference] = []
    old, new = recorded.get("version"), present.get("version")
    if old and new and old != new:
        same_minor = str(old).split(".")[:2] == str(new).split(".")[:2]
        out.append(
            Difference(
                "minor" if same_minor else "major",
                "python",
                "version",
                str(old),
                str(new),
                "patch release" if same_minor else "another Python minor version",
            )
        )
    old_impl, new_impl = recorded.get("implementation"), present.get("implementation")
    if old_impl and new_impl and old_impl != new_impl:
        out.append(Difference("major", "python", "implementation", old_impl, new_impl))
    old_exe, new_exe = recorded.get("executable"), present.get("executable")
    if old_exe and new_exe and old_exe != new_exe:
        out.append(Difference("info", "python", "executable", old_exe, new_exe))
    return out


def compare_packages(
    used: dict[str, str],
    recorded_all: dict[str, str] | None,
    present: dict[str, str],
    dependencies: set[str],
) -> list[Difference]:
    """Compare package versions, graded by how much each package matters to the notebook.

    Parameters
    ----------
    used
        Packages the notebook's kernel had imported when it recorded (name -> version).
    recorded_all
        Every package installed then, or None when the records do not carry the list.
    present
        Every package installed now.
    dependencies
        What the used packages require, transitively (normalized names), not counting them.

    Returns
    -------
    list of Difference
        Used packages changed or missing: ``major``. Their dependencies changed, missing or
        extra: ``minor``. Any other package: ``info``.
    """
    out: list[Difference] = []
    for name, version in sorted(used.items()):
        now = present.get(name)
        if now != version:
            note = "imported by the notebook" + ("; not installed here" if now is None else "")
            out.append(Difference("major", "package", name, version, now, note))
    if recorded_all is None:
        return out
    for name in sorted(recorded_all.keys() | present.keys()):
        if name in used:
            continue
        old, new = recorded_all.get(name), present.get(name)
        if old == new:
            continue
        if name in dependencies:
            severity, note = "minor", "required by a package the notebook imported"
        else:
            severity, note = "info", "not used by the notebook's imports"
        if old is None:
            note = "installed here only; " + note
        elif new is None:
            note = "not installed here; " + note
        out.append(Difference(severity, "package", name, old, new, note))
    return out


def compare_platform(recorded: dict[str, Any] | str, present: dict[str, Any]) -> list[Difference]:
    """Compare operating system and machine (``minor``), and the platform string (``info``)."""
    if isinstance(recorded, str):
        recorded = {"platform": recorded}
    out = [
        Difference("minor", "platform", key, _text(recorded[key]), _text(present.get(key)))
        for key in ("os", "machine")
        if recorded.get(key) and recorded.get(key) != present.get(key)
    ]
    old, new = recorded.get("platform"), present.get("platform")
    if old and new and old != new and not out:
        out.append(Difference("info", "platform", "platform", str(old), str(new)))
    return out


def _gpu_names(accelerators: list[dict[str, Any]], source: str) -> list[str]:
    return sorted(
        str(a.get("name") or a.get("model") or "?")
        for a in accelerators
        if a.get("source") == source and (source == "nvidia-smi" or a.get("type") == "GPU")
    )


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def compare_accelerators(
    recorded: list[dict[str, Any]], present: list[dict[str, Any]]
) -> list[Difference]:
    """Compare GPUs (``major`` when the set differs) and their drivers (``minor``).

    The present side comes from ``nvidia-smi`` only: verifying never imports TensorFlow.
    """
    out: list[Difference] = []
    old_smi, new_smi = _gpu_names(recorded, "nvidia-smi"), _gpu_names(present, "nvidia-smi")
    old_tf = [a for a in recorded if a.get("source") == "tensorflow"]
    if old_smi or new_smi:
        if old_smi != new_smi:
            out.append(Difference("major", "gpu", "devices", _listed(old_smi), _listed(new_smi)))
        else:
            old_drv = sorted({str(a.get("driver")) for a in recorded if a.get("driver")})
            new_drv = sorted({str(a.get("driver")) for a in present if a.get("driver")})
            if old_drv != new_drv:
                out.append(Difference("minor", "gpu", "driver", _listed(old_drv), _listed(new_drv)))
    elif any(a.get("type") == "GPU" for a in old_tf):
        gpus = [str(a.get("model") or a.get("name")) for a in old_tf if a.get("type") == "GPU"]
        out.append(
            Difference(
                "major", "gpu", "devices", _listed(gpus), "none", "nvidia-smi sees no GPU here"
            )
        )
    others = sorted({str(a.get("type")) for a in old_tf if a.get("type") not in {"GPU", None}})
    out.extend(
        Difference("info", "accelerator", kind, "present", None, "not checked (needs TensorFlow)")
        for kind in others
    )
    return out


def compare_cuda(
    recorded: dict[str, Any] | None, present: dict[str, Any] | None
) -> list[Difference]:
    """Compare TensorFlow's CUDA build (CUDA and cuDNN versions): ``major`` when they differ.

    Nothing is compared when the recording kernel had not imported TensorFlow.
    """
    if not recorded:
        return []
    if not present:
        old = recorded.get("cuda_version")
        return [
            Difference("major", "cuda", "tensorflow build", _text(old), None, "no TensorFlow here")
        ]
    return [
        Difference("major", "cuda", key, _text(recorded.get(key)), _text(present.get(key)))
        for key in ("is_cuda_build", "cuda_version", "cudnn_version")
        if recorded.get(key) != present.get(key)
    ]


def compare_git(
    recorded: dict[str, Any] | None,
    present: dict[str, Any] | None,
    *,
    dirty_beyond_notebook: bool | None,
) -> list[Difference]:
    """Compare the git commit and the dirty state of the notebook's repository (``minor``).

    Parameters
    ----------
    recorded, present
        The ``git`` parts of the snapshots (None: not in a repository).
    dirty_beyond_notebook
        Whether files other than the notebook itself have uncommitted changes now (running and
        saving a notebook changes it, which is no drift); None when unknown.
    """
    if recorded is None and present is None:
        return []
    if recorded is None:
        return [Difference("info", "git", "repository", None, _text(present and present["root"]))]
    if present is None:
        return [
            Difference(
                "minor", "git", "repository", _text(recorded.get("commit")), None, "no git here"
            )
        ]
    out: list[Difference] = []
    old, new = recorded.get("commit"), present.get("commit")
    if old != new:
        out.append(Difference("minor", "git", "commit", _text(old), _text(new)))
    now_dirty = present.get("dirty")
    if dirty_beyond_notebook is not None and now_dirty:
        now_dirty = dirty_beyond_notebook
    was_dirty = recorded.get("dirty")
    if was_dirty is False and now_dirty:
        out.append(
            Difference("minor", "git", "dirty", "clean", "uncommitted changes", "git diff HEAD")
        )
    elif was_dirty and now_dirty is False:
        out.append(Difference("minor", "git", "dirty", "uncommitted changes", "clean"))
    elif was_dirty and now_dirty and recorded.get("diff_hash") != present.get("diff_hash"):
        note = "the uncommitted changes differ (the recorded ones may include the notebook)"
        out.append(
            Difference(
                "info",
                "git",
                "diff",
                _text(recorded.get("diff_hash")),
                _text(present.get("diff_hash")),
                note,
            )
        )
    return out


def compare_env_vars(recorded: dict[str, str], present: dict[str, str]) -> list[Difference]:
    """Compare the allow-listed environment variables (``info``: the CLI is not the kernel)."""
    return [
        Difference("info", "variable", name, recorded.get(name), present.get(name))
        for name in sorted(recorded.keys() | present.keys())
        if recorded.get(name) != present.get(name)
    ]
