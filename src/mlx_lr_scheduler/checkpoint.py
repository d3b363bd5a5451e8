"""One-call checkpoints of a model, its optimizer and its scheduler: atomic, verified,
all or nothing.

``save_checkpoint(path, model=..., optimizer=..., scheduler=...)`` writes one
numbered checkpoint into the directory ``path`` and points ``path/latest`` at it;
``load_checkpoint(path, ...)`` loads the one ``latest`` names back into the live
objects. The layout::

    path/
      latest                    # one line, "checkpoint-000042": the newest complete one
      checkpoint-000041/        # older ones, kept until keep_last rotates them out
      checkpoint-000042/
        model.safetensors       # tree_flatten(model.parameters()): model.load_weights reads it
        optimizer.safetensors   # tree_flatten(optimizer.state) ("states.<i>." per group)
        checkpoint.json         # scheduler state, extra, metadata, the SHA-256 of each file above

**Atomic.** A checkpoint is written into a hidden sibling
``.checkpoint-000042.tmp-<pid>-<random>``, every file flushed and fsynced, the
directory fsynced, then renamed to its number; only then is ``latest`` replaced
(write a temporary file, fsync, ``os.replace``, fsync the directory). A process
killed at any moment leaves ``latest`` naming a complete checkpoint (the previous
one, or the new one); the next save deletes the dead process's leftovers.

**Verified.** ``checkpoint.json`` holds the SHA-256 and size of each array file
(``sha256sum`` checks them by hand), and its own SHA-256 over the rest of its
content. A load hashes the file's header and the arrays it loaded, so what was
checked is what is loaded. Nothing is unpickled or evaluated: the arrays are
safetensors, the rest JSON.

**All or nothing.** Before anything changes, a load checks the hashes, every
array's key, shape and dtype against the live model and optimizer, the number and
classes of the parameter groups and the scheduler's class. Then it writes the model
(``model.update``), the optimizer state, item by item into the optimizer's own dicts
(so a step compiled with ``inputs=[model.state, opt.state]`` keeps working without a
retrace), and last the scheduler, which rewrites each group's learning rate: the
optimizer and the scheduler agree. The scheduler's loader checks all of its state
before it changes anything; should it refuse it, the model and the optimizer state
are put back. Any mismatch raises one :class:`CheckpointError` naming it, and the
objects and the files stay as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
from mlx.utils import tree_flatten, tree_unflatten

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from mlx_lr_scheduler.validation import check_int

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT = "mlx-lr-scheduler checkpoint"
FORMAT_VERSION = 1
LATEST = "latest"
MANIFEST = "checkpoint.json"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
_FILES = {"model": MODEL_FILE, "optimizer": OPTIMIZER_FILE}

_NAME = re.compile(r"checkpoint-(\d{6,})\Z")
# Leftovers of an interrupted save or rotation: ".<name>.tmp-<pid>-<hex>" or ".del-".
_LEFTOVER = re.compile(r"\.(.+)\.(tmp|del)-(\d+)-[0-9a-f]+\Z")
# A file hashed from disk is read in pieces of this size.
_CHUNK = 8 << 20
_CHECKSUM_KEY = "checksum"
# Marks a key the optimizer state did not have before a load (to undo it).
_ABSENT = object()


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into these objects: corrupted, truncated,
    or saved from another model, optimizer or scheduler. Nothing was changed."""


# -- small file-system helpers ---------------------------------------------------------


def _sync(fd: int) -> None:
    """Flush a file or directory to the disk. On macOS ``fsync`` only reaches the
    drive's cache; ``F_FULLFSYNC`` reaches the medium."""
    os.fsync(fd)
    full = getattr(fcntl, "F_FULLFSYNC", None) if fcntl is not None else None
    if full is not None:  # pragma: no cover - macOS
        with contextlib.suppress(OSError):  # a file system without it: fsync was all
            fcntl.fcntl(fd, full)


def _sync_path(path: Path) -> None:
    """:func:`_sync` a file or a directory by its path."""
    if os.name == "nt" and path.is_dir():  # pragma: no cover - Windows cannot open one
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _sync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as file:
        file.write(data)
        file.flush()
        _sync(file.fileno())


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows: os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _remove_tree(directory: Path) -> None:
    """Delete a directory: first renamed to a hidden name, so a kill mid-way
    leaves nothing that looks like a checkpoint."""
    doomed = directory.with_name(f".{directory.name}.del-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(directory, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _remove_leftovers(root: Path) -> None:
    """Delete what interrupted saves of processes no longer running left behind."""
    for entry in root.iterdir():
        match = _LEFTOVER.match(entry.name)
        if match is None or _process_alive(int(match.group(3))):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def _numbered(root: Path) -> dict[int, Path]:
    found = {}
    for entry in root.iterdir():
        match = _NAME.match(entry.name)
        if match is not None and entry.is_dir():
            found[int(match.group(1))] = entry
    return found


# -- hashing ---------------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def _digest(path: Path, arrays: Mapping[str, mx.array]) -> str:
    """The SHA-256 of the safetensors file ``path`` that holds ``arrays``.

    Computed from the arrays in memory, after the file's header: on a save, the
    bytes meant to be on disk; on a load, the very bytes loaded. That is the file's
    SHA-256 when it is its header followed by these arrays back to back (as MLX writes
    it); for any other layout, the file is read and hashed instead.
    """
    size = path.stat().st_size
    with open(path, "rb") as file:
        prefix = file.read(8)
        length = int.from_bytes(prefix, "little")
        if length > size:  # a corrupted header length: hash what the file holds
            return _file_digest(path)
        header_bytes = file.read(length)
    try:
        header = json.loads(header_bytes)
        entries = sorted(
            (tuple(entry["data_offsets"]), key)
            for key, entry in header.items()
            if key != "__metadata__"
        )
        views, position = [], 0
        for (start, end), key in entries:
            view = memoryview(arrays[key]).cast("B")
            if start != position or end - start != view.nbytes:
                raise ValueError("not back to back")
            views.append(view)
            position = end
        if len(prefix) + len(header_bytes) + position != size:
            raise ValueError("trailing bytes")
    except (ValueError, TypeError, KeyError, AttributeError):
        return _file_digest(path)
    digest = hashlib.sha256(prefix)
    digest.update(header_bytes)
    for view in views:
        digest.update(view)  # releases the GIL
    return digest.hexdigest()


# -- what is saved -------------------------------------------------------------------------


def _dtype_name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1]


def _describe(arrays: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {"dtype": _dtype_name(value.dtype), "shape": list(value.shape)}
        for key, value in arrays.items()
    }


def _flat_arrays(owner: str, tree: Any) -> dict[str, mx.array]:
    """``tree_flatten(tree)`` as a dict, refusing non-arrays and keys that collide."""
    arrays: dict[str, mx.array] = {}
    for key, value in tree_flatten(tree):
        if key in arrays:
            raise ValueError(f"{owner} has two entries that both flatten to the key {key!r}")
        if not isinstance(value, mx.array):
            raise TypeError(
                f"{owner} entry {key!r} must be an mx.array, but got {type(value).__name__}"
            )
        arrays[key] = value
    return arrays


def _skeleton(tree: Any) -> Any:
    """The nesting of ``tree`` (dicts and lists), with ``None`` for each array."""
    if isinstance(tree, dict):
        return {key: _skeleton(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_skeleton(value) for value in tree]
    return None


def _leaf_optimizers(optimizer: Any) -> list[Any]:
    if isinstance(optimizer, optim.MultiOptimizer):
        return [leaf for sub in optimizer.optimizers for leaf in _leaf_optimizers(sub)]
    return [optimizer]


def _group_summary(optimizer: Any) -> list[dict[str, Any]]:
    groups = []
    for leaf in _leaf_optimizers(optimizer):
        step = leaf.state.get("step")
        groups.append(
            {
                "class": type(leaf).__name__,
                "step": int(step.item()) if isinstance(step, mx.array) else None,
            }
        )
    return groups


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(
            f"optimizer must be an mlx.optimizers.Optimizer, but got {type(optimizer).__name__}"
        )


def _check_model(model: Any) -> None:
    if not hasattr(model, "parameters") or not hasattr(model, "update"):
        raise TypeError(f"model must be an mlx.nn.Module, but got {type(model).__name__}")


def _canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def _check_extra(extra: Any) -> dict[str, Any]:
    if not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict, but got {type(extra).__name__}")
    try:
        text = json.dumps(extra, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"extra must hold only JSON data (dict with str keys, list, str, int, finite "
            f"float, bool, None): {error}"
        ) from None
    if json.loads(text) != extra:
        raise TypeError(
            "extra must hold only JSON data: it changes in a JSON round trip (a tuple, "
            "or a key that is not a str?)"
        )
    return extra


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    extra: dict[str, Any] | None = None,
    keep_last: int | None = None,
) -> Path:
    """Save a model, its optimizer and its scheduler together, atomically.

    Writes a new numbered checkpoint ``path/checkpoint-NNNNNN`` (the number one
    above the highest there) and then points ``path/latest`` at it (see the module
    docstring for the layout and why a kill at any moment leaves a complete one).

    Args:
        path: the run's checkpoint directory, created if needed.
        model: an ``mlx.nn.Module``; all of ``model.parameters()`` is saved.
        optimizer: an MLX optimizer or ``MultiOptimizer``; its whole ``state``
            (buffers, step, learning rate, scheduled momentum or betas).
        scheduler: any scheduler of this library (or a subclass); its ``state_dict()``.
        extra: a dict of JSON data (epoch, data-loader position, metrics...), given
            back by :func:`load_checkpoint`. Default: none.
        keep_last: keep only this many numbered checkpoints (``>= 1``), deleting the
            oldest after the new one is in place. Default: ``None``, keep all.

    Returns:
        The directory of the new checkpoint.

    Raises:
        TypeError / ValueError: an argument that cannot be saved; nothing is written.

    Example:
        >>> import tempfile, mlx.nn as nn, mlx.optimizers as optim
        >>> from mlx_lr_scheduler import StepLR, save_checkpoint, load_checkpoint
        >>> model = nn.Linear(2, 2)
        >>> opt = optim.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.init(model.trainable_parameters())
        >>> sched = StepLR(opt, step_size=1, gamma=0.5)
        >>> sched.step()
        >>> run = tempfile.mkdtemp()
        >>> saved = save_checkpoint(
        ...     run, model=model, optimizer=opt, scheduler=sched, extra={"epoch": 1})
        >>> saved.name
        'checkpoint-000001'
        >>> sched.step(); sched.get_last_lr()
        [0.025]
        >>> load_checkpoint(run, model=model, optimizer=opt, scheduler=sched)
        {'epoch': 1}
        >>> sched.get_last_lr(), opt.learning_rate.item()
        ([0.05], 0.05000000074505806)
    """
    from mlx_lr_scheduler import __version__

    if keep_last is not None:
        keep_last = check_int("keep_last", keep_last, minimum=1)
    content: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "mlx_version": mx.__version__,
    }
    files: dict[str, dict[str, mx.array]] = {}
    if model is not None:
        _check_model(model)
        model_arrays = _flat_arrays("model.parameters()", model.parameters())
        files[MODEL_FILE] = model_arrays
        content["model"] = {"arrays": _describe(model_arrays)}
    if optimizer is not None:
        _check_optimizer(optimizer)
        state = optimizer.state
        optimizer_arrays = _flat_arrays("optimizer.state", state)
        files[OPTIMIZER_FILE] = optimizer_arrays
        content["optimizer"] = {
            "class": type(optimizer).__name__,
            "groups": _group_summary(optimizer),
            "tree": _skeleton(state),
            "arrays": _describe(optimizer_arrays),
        }
    if scheduler is not None:
        scheduler_state = scheduler.state_dict()
        try:
            json.dumps(scheduler_state)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{type(scheduler).__name__}.state_dict() must hold only JSON data: {error}"
            ) from None
        content["scheduler"] = {
            "class": type(scheduler).__name__,
            "last_epoch": getattr(scheduler, "last_epoch", None),
            "state": scheduler_state,
        }
    if extra is not None:
        content["extra"] = _check_extra(extra)
    if not files and "scheduler" not in content and extra is None:
        raise ValueError("save_checkpoint needs at least one of model, optimizer, scheduler, extra")
    mx.eval(*(list(arrays.values()) for arrays in files.values()))

    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root)
    existing = _numbered(root)
    number = max(existing, default=0) + 1
    name = f"checkpoint-{number:06d}"
    staging = root / f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        sections = {filename: section for section, filename in _FILES.items()}
        # Each file is hashed (CPU) and fsynced (I/O) on threads while the next one is
        # written; the largest first, so that its hash, the longest, starts first.
        # hashlib, fsync and MLX's writes all release the GIL.
        order = sorted(files, key=lambda name: -sum(a.nbytes for a in files[name].values()))
        with ThreadPoolExecutor(max_workers=2 * len(files) or 1) as pool:
            digests, syncs = {}, []
            for filename in order:
                file = staging / filename
                mx.save_safetensors(str(file), files[filename])
                digests[filename] = pool.submit(_digest, file, files[filename])
                syncs.append(pool.submit(_sync_path, file))
            for sync in syncs:
                sync.result()
            for filename, digest in digests.items():
                content[sections[filename]].update(
                    {
                        "file": filename,
                        "bytes": (staging / filename).stat().st_size,
                        "sha256": digest.result(),
                    }
                )
        content[_CHECKSUM_KEY] = hashlib.sha256(_canonical(content)).hexdigest()
        _write_file(staging / MANIFEST, json.dumps(content, indent=1).encode())
        _sync_path(staging)
        target = root / name
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _sync_path(root)
    pointer = root / f".{LATEST}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    _write_file(pointer, f"{name}\n".encode())
    os.replace(pointer, root / LATEST)
    _sync_path(root)
    if keep_last is not None:
        existing[number] = target
        for number in sorted(existing)[:-keep_last]:
            _remove_tree(existing[number])
    return target


# -- loading ---------------------------------------------------------------------------------


def _resolve(path: str | os.PathLike[str]) -> Path:
    """The checkpoint directory that ``path`` (a run directory or one checkpoint) names."""
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no checkpoint at {root}: the path does not exist")
    if (root / MANIFEST).is_file():
        return root
    pointer = root / LATEST
    if pointer.is_file():
        name = pointer.read_text().strip()
        if _NAME.match(name) is None:
            raise CheckpointError(
                f"{pointer} must name a checkpoint-NNNNNN directory, but holds {name!r}"
            )
        if not (root / name / MANIFEST).is_file():
            raise FileNotFoundError(f"{pointer} names {name}, which has no {MANIFEST}")
        return root / name
    numbered = _numbered(root)
    if not numbered:
        raise FileNotFoundError(f"no checkpoint in {root}: neither {LATEST} nor checkpoint-NNNNNN")
    return numbered[max(numbered)]


def _read_manifest(directory: Path) -> dict[str, Any]:
    file = directory / MANIFEST
    try:
        content = json.loads(file.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{file} is not valid JSON (corrupted or truncated): {error}"
        ) from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise CheckpointError(f"{file} is not an {FORMAT} manifest")
    recorded = content.pop(_CHECKSUM_KEY, None)
    if recorded != hashlib.sha256(_canonical(content)).hexdigest():
        raise CheckpointError(f"{file} does not match its SHA-256: it was changed or corrupted")
    if content.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{file} has format version {content.get('format_version')!r}; this library "
            f"reads version {FORMAT_VERSION}"
        )
    return content


def _compare_arrays(
    what: str, saved: Mapping[str, Any], live: Mapping[str, Any], *, allow_new: bool = False
) -> None:
    """Raise naming the first difference of keys, shapes or dtypes."""
    missing = sorted(set(live) - set(saved))
    if missing:
        raise CheckpointError(
            f"the checkpoint's {what} lacks keys {missing[:5]} ({len(missing)} in all)"
        )
    unexpected = sorted(set(saved) - set(live))
    if unexpected and not allow_new:
        raise CheckpointError(
            f"the checkpoint's {what} has keys the live one does not, {unexpected[:5]} "
            f"({len(unexpected)} in all)"
        )
    for key, value in live.items():
        entry = saved[key]
        shape, dtype = list(value.shape), _dtype_name(value.dtype)
        if entry["shape"] != shape or entry["dtype"] != dtype:
            raise CheckpointError(
                f"the checkpoint's {what} entry {key!r} is {entry['dtype']} of shape "
                f"{tuple(entry['shape'])}, the live one {dtype} of shape {tuple(shape)}"
            )


def _load_verified(
    directory: Path, sections: dict[str, dict[str, Any]]
) -> dict[str, dict[str, mx.array]]:
    """Load array files and check each against its SHA-256 and its manifest entry.

    Each file is hashed on a thread while the next one loads, the largest first."""
    loaded: dict[str, dict[str, mx.array]] = {}
    digests = {}
    with ThreadPoolExecutor(max_workers=max(1, len(sections))) as pool:
        for name in sorted(sections, key=lambda name: -int(sections[name]["bytes"])):
            path = directory / _FILES[name]
            if not path.is_file():
                raise CheckpointError(f"{path} is missing")
            size = path.stat().st_size
            if size != sections[name]["bytes"]:
                raise CheckpointError(
                    f"{path} has {size} bytes, the checkpoint recorded "
                    f"{sections[name]['bytes']}: truncated or replaced"
                )
            try:
                arrays = mx.load(str(path), format="safetensors")
                mx.eval(arrays)
            except (RuntimeError, ValueError):
                arrays = {}  # unreadable: its hash below says why
            loaded[name] = dict(arrays)
            digests[name] = pool.submit(_digest, path, loaded[name])
        for name, arrays in loaded.items():
            path = directory / _FILES[name]
            if digests[name].result() != sections[name]["sha256"]:
                raise CheckpointError(f"{path} does not match its SHA-256: the file is corrupted")
            if _describe(arrays) != sections[name]["arrays"]:
                raise CheckpointError(f"{path} does not hold the arrays its manifest lists")
    return loaded


def _assignments(
    skeleton: Any, live: Any, prefix: str, arrays: Mapping[str, mx.array], out: list[Any]
) -> None:
    """Plan the writes of ``arrays`` into the live optimizer state: (container, key, value),
    creating the containers an optimizer not yet initialised lacks."""
    items = skeleton.items() if isinstance(skeleton, dict) else enumerate(skeleton)
    for key, sub in items:
        flat = f"{prefix}{key}"
        if sub is None:
            out.append((live, key, arrays[flat]))
            continue
        has = key in live if isinstance(live, dict) else key < len(live)
        child = live[key] if has else None
        if not isinstance(child, (dict, list)):
            child = {} if isinstance(sub, dict) else [None] * len(sub)
            out.append((live, key, child))
        _assignments(sub, child, f"{flat}.", arrays, out)


def _without_containers(state: Mapping[str, Any]) -> bool:
    return not any(isinstance(value, (dict, list, tuple)) for value in state.values())


def _check_optimizer_structure(
    optimizer: Any, live: dict[str, mx.array], saved: dict[str, Any]
) -> None:
    leaves = _leaf_optimizers(optimizer)
    groups = saved["groups"]
    if len(groups) != len(leaves):
        raise CheckpointError(
            f"the checkpoint's optimizer has {len(groups)} parameter groups, the live "
            f"one {len(leaves)}"
        )
    if saved["class"] != type(optimizer).__name__:
        raise CheckpointError(
            f"the checkpoint holds a {saved['class']} optimizer, not a {type(optimizer).__name__}"
        )
    for index, (group, leaf) in enumerate(zip(groups, leaves)):
        if group["class"] != type(leaf).__name__:
            raise CheckpointError(
                f"parameter group {index} of the checkpoint is a {group['class']}, the live "
                f"one a {type(leaf).__name__}"
            )
    # A live optimizer whose groups hold no per-parameter state yet (never initialised)
    # takes the checkpoint's; otherwise the keys must be the same.
    fresh = all(_without_containers(leaf.state) for leaf in leaves)
    _compare_arrays("optimizer state", saved["arrays"], live, allow_new=fresh)


def _check_step_counts(groups: list[dict[str, Any]], arrays: dict[str, mx.array]) -> None:
    """Each group's loaded step count is the one the manifest recorded with the
    scheduler's ``last_epoch`` at the same save."""
    for index, group in enumerate(groups):
        step = arrays.get("step" if "step" in arrays else f"states.{index}.step")
        if step is None or step.size != 1:
            continue  # a nested MultiOptimizer: its keys are deeper
        loaded = int(step.item())
        if loaded != group["step"]:
            raise CheckpointError(
                f"parameter group {index}: the optimizer state holds step {loaded}, the "
                f"manifest recorded step {group['step']} with the scheduler's state"
            )


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
) -> dict[str, Any]:
    """Load a checkpoint of :func:`save_checkpoint` into live objects, all or nothing.

    ``path`` is the run directory (the checkpoint ``latest`` names, or the highest
    numbered one if there is no ``latest``) or one ``checkpoint-NNNNNN`` directory.
    Each object given is restored; one not given is left alone (load only the model
    for inference). Everything is checked before anything changes (see the module
    docstring); then the model, the optimizer state and the scheduler are loaded in
    that order, the model and the optimizer state in place.

    Returns:
        The ``extra`` dict saved with the checkpoint (``{}`` if none).

    Raises:
        FileNotFoundError: no checkpoint at ``path``.
        CheckpointError: (a ``ValueError``) the checkpoint is corrupted or truncated,
            lacks a part asked for, or does not fit the objects (another scheduler
            class, number of parameter groups, shapes, dtypes, keys). Nothing changed.
    """
    live_model: dict[str, mx.array] = {}
    live_optimizer: dict[str, mx.array] = {}
    if model is not None:
        _check_model(model)
        live_model = _flat_arrays("model.parameters()", model.parameters())
    if optimizer is not None:
        _check_optimizer(optimizer)
        live_optimizer = _flat_arrays("optimizer.state", optimizer.state)
    directory = _resolve(path)
    content = _read_manifest(directory)
    try:
        return _load(
            directory, content, (model, live_model), (optimizer, live_optimizer), scheduler
        )
    except (KeyError, TypeError, AttributeError) as error:
        # checkpoint.json matched its own hash but lacks an entry or holds the wrong kind
        raise CheckpointError(f"{directory / MANIFEST} is malformed: {error!r}") from error


def _load(
    directory: Path,
    content: dict[str, Any],
    model_and_arrays: tuple[Any, dict[str, mx.array]],
    optimizer_and_arrays: tuple[Any, dict[str, mx.array]],
    scheduler: Any,
) -> dict[str, Any]:
    """:func:`load_checkpoint` once the arguments are checked and the manifest read."""
    model, live_model = model_and_arrays
    optimizer, live_optimizer = optimizer_and_arrays
    for name, live in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if live is not None and name not in content:
            raise CheckpointError(f"the checkpoint at {directory} has no {name} state")

    # 1. Everything the manifest alone can tell, before reading the array files.
    if model is not None:
        _compare_arrays("model", content["model"]["arrays"], live_model)
    if optimizer is not None:
        _check_optimizer_structure(optimizer, live_optimizer, content["optimizer"])
    if scheduler is not None:
        saved_class = content["scheduler"]["class"]
        if saved_class != type(scheduler).__name__:
            raise CheckpointError(
                f"the checkpoint holds a {saved_class} scheduler's state, not a "
                f"{type(scheduler).__name__}'s"
            )
        if content["scheduler"]["state"].get("last_epoch") != content["scheduler"]["last_epoch"]:
            raise CheckpointError("the checkpoint's scheduler state disagrees with its manifest")
    if optimizer is not None and scheduler is not None:
        bound = getattr(scheduler, "optimizer", optimizer)
        if bound is not optimizer:
            raise CheckpointError(
                "the scheduler is bound to another optimizer than the one given: their step "
                "counts and learning rates would not belong together"
            )

    # 2. The array files: loaded, hashed, compared with their manifest.
    wanted = [
        name for name, live in (("model", model), ("optimizer", optimizer)) if live is not None
    ]
    arrays = _load_verified(directory, {name: content[name] for name in wanted})
    model_arrays = arrays.get("model", {})
    optimizer_arrays = arrays.get("optimizer", {})
    if optimizer is not None:
        _check_step_counts(content["optimizer"]["groups"], optimizer_arrays)

    # 3. The writes into the optimizer state, planned.
    plan: list[Any] = []
    if optimizer is not None:
        saved_tree = content["optimizer"]["tree"]
        if isinstance(optimizer, optim.MultiOptimizer):
            targets = zip(saved_tree["states"], [leaf.state for leaf in optimizer.optimizers])
            for index, (sub_tree, sub_state) in enumerate(targets):
                _assignments(sub_tree, sub_state, f"states.{index}.", optimizer_arrays, plan)
        else:
            _assignments(saved_tree, optimizer.state, "", optimizer_arrays, plan)
    # 4. Apply: model, optimizer state, scheduler. The scheduler checks all of its state
    #    before it changes anything; should it refuse it, the model and optimizer state
    #    go back to what they were (and the scheduler to its own previous state).
    undo: list[Any] = []
    previous_model = list(live_model.items()) if model is not None else []
    previous_scheduler = scheduler.state_dict() if scheduler is not None else None
    try:
        if model is not None:
            model.update(tree_unflatten(list(model_arrays.items())))
        for container, key, value in plan:
            if isinstance(container, dict):
                undo.append((container, key, container.get(key, _ABSENT)))
                container[key] = value
            else:
                undo.append((container, key, container[key]))
                container[key] = value
        if scheduler is not None:
            scheduler.load_state_dict(content["scheduler"]["state"])
    except BaseException as error:
        if scheduler is not None:
            scheduler.load_state_dict(previous_scheduler)
        for container, key, value in reversed(undo):
            if value is _ABSENT:
                del container[key]
            else:
                container[key] = value
        if model is not None:
            model.update(tree_unflatten(previous_model))
        if isinstance(error, (TypeError, ValueError, KeyError)) and not isinstance(
            error, CheckpointError
        ):
            raise CheckpointError(f"the checkpoint at {directory} did not load: {error}") from error
        raise
    extra: dict[str, Any] = content.get("extra", {})
    return extra
