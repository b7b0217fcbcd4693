"""Build of the optional C accelerator (see README.md in this folder).

The ledger's Merkle hashing (``leaf_hashes``, ``node_level``) is built when OpenSSL's headers
are found (libcrypto: the SHA-256 Python's ``hashlib`` uses); without them the module has
``scan`` alone and ``readiness.ledger.verify`` hashes in Python.
"""

import os
import sysconfig

from setuptools import Extension, setup


def _openssl() -> bool:
    if os.environ.get("READINESS_SPEEDUPS_NO_OPENSSL"):
        return False
    include = sysconfig.get_config_var("INCLUDEDIR") or "/usr/include"
    places = [include, "/usr/include", "/usr/local/include", "/opt/homebrew/include"]
    return any(os.path.exists(os.path.join(p, "openssl", "sha.h")) for p in places)


LEDGER = _openssl()

setup(
    ext_modules=[
        Extension(
            "_readiness_speedups",
            ["src/_readiness_speedups.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
            define_macros=[("READINESS_LEDGER_SHA256", "1")] if LEDGER else [],
            libraries=["crypto"] if LEDGER else [],
        )
    ]
)
