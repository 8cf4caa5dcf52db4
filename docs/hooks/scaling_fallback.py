"""mkdocs hook: keep the "Scaling out" page in the navigation before ``docs/scaling.md`` exists.

``docs/scaling.md`` is written with the batch-labeling code (``cxrlabel.batch``,
``cxrlabel.dask``). Until that file is in the tree, this hook adds a generated page that points
at what the installed package offers, so ``mkdocs build --strict`` neither fails on a missing
nav entry nor hides the section. Once the real file exists the hook does nothing.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

FALLBACK = """# Scaling out

This page is written together with batch labeling (`cxrlabel.label_many`, the parse cache and
the Dask engine) and is not in this build yet. Meanwhile:

- `cxrlabel label reports.csv -o labels.csv` labels a file in one process, batching sentences
  through the parser;
- `cxrlabel.Labeler().label_many(texts)` does the same from Python;
- `cxrlabel label --help` lists the batch options your installed version has.
"""


def on_files(files: Files, config) -> Files:  # noqa: ANN001 - mkdocs hook signature
    if files.get_file_from_path("scaling.md") is None and not (Path(config["docs_dir"]) / "scaling.md").exists():
        files.append(File.generated(config, "scaling.md", content=FALLBACK))
    return files
