"""Helpers shared by the Python scripts in Scripts/ (fixtures, interop, benchmarks, demo).

  venv.py             the pinned environments .build/venv-<name> (Scripts/requirements/<name>.txt)
  paths.py            the repository, Fixtures/ and the reference-data folder
  files.py            atomic writes (temporary file in the target folder, then rename)
  network.py          NeatMS's network in tf-keras or Keras 3, defined once
  neatms_reference.py what the real NeatMS 0.9 computes: its loader and the matrices its CNN is fed

A script in a subfolder of Scripts/ imports them after putting Scripts/ on its path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from neatmskit_scripts import venv
    venv.use("neatms")          # before any third-party import

Nothing here imports a third-party package at import time.
"""
