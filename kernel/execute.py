"""Runs a notebook headless through a Jupyter kernel with nbclient and saves the executed copy.

Usage: python execute.py NOTEBOOK OUT --kernel NAME [--timeout S] [--cwd DIR]

Exit code 0 when every cell ran; 1 with the failing cell's source and its stderr otherwise
(tslab's error replies carry no traceback: the message is on the cell's stderr stream).
"""
import argparse
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("out")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--cwd", default=None)
    a = ap.parse_args()
    nb = nbformat.read(a.notebook, as_version=4)
    client = NotebookClient(nb, kernel_name=a.kernel, timeout=a.timeout, resources={"metadata": {"path": a.cwd}})
    try:
        client.execute()
    except CellExecutionError as e:
        nbformat.write(nb, a.out)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("name") == "stderr":
                    sys.stderr.write(out.get("text", ""))
        sys.stderr.write(f"\n{a.notebook}: a cell failed: {str(e).splitlines()[0] if str(e) else e}\n")
        return 1
    nbformat.write(nb, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
