"""Where things are, relative to this checkout."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "Scripts"
FIXTURES = REPO / "Fixtures"
# The real LC-MS reference data (raw runs, tables, what NeatMS 0.9 computes from them) is not part of the
# repository. Like the Swift tests (TestSupport's TestPaths.sharedData), scripts look for it in
# shared/data beside the checkout; each script that reads it takes another folder as an option.
SHARED_DATA = REPO.parent / "shared" / "data"


def display(path) -> str:
    """`path` relative to the checkout when it lies inside it (for messages and provenance strings)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def data_and_out(description, out):
    """Parses `[DATA [OUT]]`: the reference data folder (default SHARED_DATA) and an output folder (default
    `out`, made when missing); returns both, resolved."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("data", nargs="?", type=Path, default=SHARED_DATA,
                        help="the reference data folder (default: shared/data beside the checkout)")
    parser.add_argument("out", nargs="?", type=Path, default=out, help=f"output folder (default {display(out)})")
    args = parser.parse_args()
    args.out.resolve().mkdir(parents=True, exist_ok=True)
    return args.data.resolve(), args.out.resolve()
