#!/usr/bin/env python3
"""The Python reference of the init step's whole work, as one process, on a directory prepared by
`nbsecrets bench init --dir DIR`: read the manifest, Fernet-decrypt every sealed value with the
user key, and write each file atomically with mode 0400 into DIR/files-python. Time it as a whole
process (interpreter start included), the same way as the command `bench init` prints.
"""

import json
import os
import sys

from cryptography.fernet import Fernet

MANIFEST = (
    "nbsecrets.io-manifest.json-the-names-files-and-versions-of-this-snapshot"
    "-under-a-key-longer-than-any-secret-name-so-that-no-secret-can-have-it"
)


def main(directory):
    sealed = os.path.join(directory, "sealed")
    target = os.path.join(directory, "files-python")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(directory, "user-key"), "rb") as f:
        fernet = Fernet(f.read().strip())
    with open(os.path.join(sealed, MANIFEST), encoding="utf-8") as f:
        manifest = json.load(f)
    for entry in manifest:
        with open(os.path.join(sealed, entry["name"]), "rb") as f:
            value = fernet.decrypt(f.read().strip())
        path = os.path.join(target, entry["file"])
        temporary = path + ".tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    print(f"reference init: wrote {len(manifest)} files to {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: reference_init.py DIR (prepared by nbsecrets bench init --dir DIR)")
    main(sys.argv[1])
