"""Vendor Swagger UI (npm's swagger-ui-dist) into the package, for the services' offline /docs.

    python tools/swagger_ui.py            fetch the version pinned in the manifest again and check it
    python tools/swagger_ui.py 5.36.0     move to another version (rewrites the manifest)

`npm pack` fetches the package tarball only (no install, so none of the package's install-time
dependencies run) and checks it against the registry's integrity hash. The files the services
serve, with the package's LICENSE and NOTICE and the bundle's third-party licence list, are
copied to py/zkalert/services/swagger_ui/ and recorded in its manifest.json: version, npm
integrity and each file's SHA-256. A test keeps the shipped files equal to the manifest.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "swagger-ui-dist"
TARGET = Path(__file__).resolve().parents[1] / "py" / "zkalert" / "services" / "swagger_ui"
MANIFEST = TARGET / "manifest.json"
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-bundle.js.LICENSE.txt",
    "swagger-ui.css",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
)


def main(argv: list[str]) -> int:
    pinned = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else None
    version = argv[0] if argv else (pinned or {}).get("version")
    if not version:
        print("usage: python tools/swagger_ui.py VERSION (no manifest to take it from)")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        packed = subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{version}", "--json", "--pack-destination", folder],
            capture_output=True,
            text=True,
            check=False,
        )
        if packed.returncode != 0:
            print(f"npm pack {PACKAGE}@{version} failed:\n{packed.stderr.strip()}")
            return 1
        info = json.loads(packed.stdout)[0]
        if pinned and pinned["version"] == version and pinned["integrity"] != info["integrity"]:
            print(
                f"{PACKAGE}@{version}: the registry's tarball has integrity {info['integrity']}, "
                f"the manifest pins {pinned['integrity']}: refusing to replace the shipped files"
            )
            return 1
        files: dict[str, str] = {}
        with tarfile.open(Path(folder) / info["filename"]) as tar:
            for name in FILES:
                member = tar.extractfile(f"package/{name}")
                if member is None:
                    print(f"{PACKAGE}@{version} has no {name}")
                    return 1
                data = member.read()
                (TARGET / name).write_bytes(data)
                files[name] = hashlib.sha256(data).hexdigest()
    manifest = {
        "package": PACKAGE,
        "version": info["version"],
        "integrity": info["integrity"],
        "license": "Apache-2.0",
        "files": files,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{PACKAGE}@{info['version']} ({info['integrity']}): {len(files)} files in {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
