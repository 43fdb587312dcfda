"""All output of the render stage goes through one :class:`Writer`.

Rendering and writing are two phases: everything is rendered into the writer first (in
memory), and only when every page rendered is anything written. So a template or draft
error leaves the previous output as it was. Each file is then written to a temporary file
beside it and renamed into place, so a reader (the web server) never sees half a file.
Files whose bytes did not change are not touched, which keeps their ETag/Last-Modified.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from pipeline.files import write_atomic


class Writer:
    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self.files: dict[str, bytes] = {}

    def add(self, relpath: str, data: str | bytes) -> None:
        """Queue ``data`` for ``out_dir/relpath``; the same file twice is a bug, not an overwrite."""
        rel = PurePosixPath(relpath)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"output path must stay inside the output folder: {relpath}")
        if str(rel) in self.files:
            raise ValueError(f"{relpath} would be written twice")
        self.files[str(rel)] = data.encode("utf-8") if isinstance(data, str) else data

    def commit(self) -> list[Path]:
        """Write every queued file atomically; return the paths, in the order added."""
        written = []
        for rel, data in self.files.items():
            path = self.out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not (path.is_file() and path.read_bytes() == data):
                write_atomic(path, data)
            written.append(path)
        return written

    def prune(self, folder: str, pattern: str = "*.html") -> list[Path]:
        """Remove files in ``out_dir/folder`` matching ``pattern`` that this writer did not
        write (e.g. the page of an issue that is no longer published)."""
        base = self.out_dir / folder
        removed = []
        if base.is_dir():
            for path in sorted(base.glob(pattern)):
                rel = path.relative_to(self.out_dir).as_posix()
                if rel not in self.files and path.is_file():
                    path.unlink()
                    removed.append(path)
        return removed
