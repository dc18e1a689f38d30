"""What the static widget demos cost: settings, page weight and build time per demo.

Reads the executed notebooks of a built book (``_build/jupyter_execute``), where
``demo_widgets.demo`` records, for each demo, the number of settings of its site grid,
the size of its markup and the wall-clock and CPU seconds it took to compute them. For
comparison it also renders one setting per demo the other way, as a PNG with matplotlib
(what an image per setting would cost), by timing ``savefig`` on a figure of the same
size and panel count.

    .venv/bin/python benchmarks/bench_demos.py [--build _build]
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def demo_costs(build: Path) -> list[tuple[str, dict]]:
    rows = []
    for nb_path in sorted((build / "jupyter_execute").rglob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                cost = out.get("metadata", {}).get("static_demo")
                if cost:
                    rows.append((nb_path.stem, cost))
    return rows


def png_seconds(panels: int, width: float = 10.0, height: float = 3.4) -> tuple[float, int]:
    """CPU seconds and bytes of one PNG of a figure like the demos' (dpi 110)."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    import numpy as np

    start = time.process_time()
    fig, axes = plt.subplots(1, panels, figsize=(width, height))
    for ax in np.atleast_1d(axes):
        for k in range(4):
            ax.semilogy(np.arange(60), np.exp(-np.arange(60) / (k + 2)) + 1e-9,
                        label=f"layer {k}")
        ax.set_title(r"$\rho = 0.90$, $L = 2$")
        ax.set_xlabel("$t$")
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return time.process_time() - start, len(buf.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=REPO / "_build")
    args = parser.parse_args(argv)
    rows = demo_costs(args.build)
    if not rows:
        raise SystemExit(f"no static demo in {args.build}/jupyter_execute: build the book first")
    print(f"{'page':<16} {'settings':>8} {'KiB':>8} {'wall s':>7} {'cpu s':>6}")
    total = {"settings": 0, "bytes": 0, "seconds": 0.0, "cpu_seconds": 0.0}
    for page, cost in rows:
        print(f"{page:<16} {cost['settings']:>8} {cost['bytes'] / 1024:>8.0f} "
              f"{cost['seconds']:>7.1f} {cost['cpu_seconds']:>6.1f}")
        for key in total:
            total[key] += cost[key]
    print(f"{'total':<16} {total['settings']:>8} {total['bytes'] / 1024:>8.0f} "
          f"{total['seconds']:>7.1f} {total['cpu_seconds']:>6.1f}")
    png_cpu, png_bytes = png_seconds(2)
    print(f"\none PNG per setting instead: {png_cpu:.2f} CPU s and {png_bytes / 1024:.0f} KiB "
          f"per figure, about {png_cpu * total['settings']:.0f} CPU s and "
          f"{png_bytes * total['settings'] / 2**20:.0f} MiB for the {total['settings']} "
          f"settings; drawing instructions: {total['cpu_seconds']:.0f} CPU s, "
          f"{total['bytes'] / 2**20:.1f} MiB "
          f"(ratio of build time {total['cpu_seconds'] / (png_cpu * total['settings']):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
