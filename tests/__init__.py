from pathlib import Path

#: The project's root folder (the tests live in folders mirroring the packages).
ROOT = Path(__file__).resolve().parent.parent
