"""Ask git about the repository a run executes in: commit, branch, dirtiness and remotes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import xxhash

from mlwork_jupyter.provenance._command_output import run_command
from mlwork_jupyter.provenance._url_credentials import clean_url

_GIT_TIMEOUT_S: Final = 3.0


def _git_watched(git_dir: str, common_dir: str) -> tuple[str, ...]:
    # A commit moves the current branch's ref (loose: a commit always writes it) and the index.
    watched = [str(Path(git_dir, "HEAD")), str(Path(git_dir, "index"))]
    try:
        head = Path(git_dir, "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        head = ""
    if head.startswith("ref:"):
        watched.append(str(Path(common_dir, head[4:].strip())))
    return tuple(watched)


def git_facts(cwd: str) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """Return git facts about the repository holding `cwd` (or None), and files that show change."""

    def git(*args: str) -> str | None:
        return run_command(["git", *args], cwd, _GIT_TIMEOUT_S)

    out = git("rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir")
    lines = out.splitlines() if out else []
    if len(lines) != 3:  # noqa: PLR2004 - the three paths asked for
        return None, ()
    root, git_dir, common_dir = lines
    common_dir = str(Path(cwd, common_dir))
    watched = _git_watched(git_dir, common_dir)
    commit = (git("rev-parse", "-q", "--verify", "HEAD^{commit}") or "").strip() or None
    branch = (git("symbolic-ref", "-q", "--short", "HEAD") or "").strip() or None
    # Untracked files do not count, as for `git describe --dirty`; None: git could not tell.
    status = git("status", "--porcelain=v1", "-z", "--untracked-files=no")
    dirty = None if status is None else bool(status)
    diff_hash = None
    if status:
        changes = git(
            "diff", "HEAD" if commit else "--cached", "--binary", "--no-ext-diff", "--no-textconv"
        )
        blob = (status + "\0" + (changes or "")).encode("utf-8", "surrogateescape")
        diff_hash = xxhash.xxh3_128_hexdigest(blob)
    remotes: dict[str, str] = {}
    for line in (git("config", "--get-regexp", r"^remote\..*\.url$") or "").splitlines():
        key, _, url = line.partition(" ")
        remotes[key.removeprefix("remote.").removesuffix(".url")] = clean_url(url.strip())
    info = {
        "root": root,
        "commit": commit,
        "branch": branch,
        "dirty": dirty,
        "diff_hash": diff_hash,
        "remotes": dict(sorted(remotes.items())),
    }
    return info, watched
