"""Imports every module the python-ml packages provide and prints its version.

Run inside the runtime by `holdout runtime test python-ml` and by the Dockerfile's last step;
exits 1 naming each module that fails to import.
"""

import importlib
import platform
import sys

# Module of each package in packages.txt (python3 and python-is-python3 are the interpreter).
MODULES = {
    "python3-numpy": "numpy",
    "python3-pandas": "pandas",
    "python3-sklearn": "sklearn",
    "python3-scipy": "scipy",
    "python3-pil": "PIL",
}


def main() -> int:
    print(f"python {platform.python_version()} at {sys.executable}")
    failed = []
    for package, module in MODULES.items():
        try:
            imported = importlib.import_module(module)
        except Exception as error:  # any import failure is what this test reports
            failed.append(module)
            print(f"FAIL {module} ({package}): {type(error).__name__}: {error}")
            continue
        print(f"ok   {module} {getattr(imported, '__version__', '?')} ({package})")
    if failed:
        print(f"{len(failed)} module(s) failed to import: {', '.join(failed)}")
        return 1
    print("all imports ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
