"""A local RFC 3161 TSA for tests: a CA and a TSA certificate made with ``openssl``, and a tiny
HTTP server answering each ``application/timestamp-query`` with ``openssl ts -reply``."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.crt
certs = {dir}/ca.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
TSA_EXTENSIONS = (
    "basicConstraints=CA:FALSE\n"
    "keyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=critical,timeStamping\n"
)


def openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed CA (RSA) in ``folder``: ``ca.key``, ``ca.crt``."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl(
        folder,
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-subj", f"/CN={name}", "-days", "30",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return folder / "ca.crt"


def make_tsa(folder: Path) -> Path:
    """The CA and a TSA certificate (EC P-256, timeStamping) it issued; the config file."""
    make_ca(folder, "Readiness Test Root")
    (folder / "tsa.ext").write_text(TSA_EXTENSIONS)
    openssl(
        folder,
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Readiness Test TSA",
    )  # fmt: skip
    openssl(
        folder,
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "tsa.crt", "-days", "30", "-extfile", "tsa.ext",
    )  # fmt: skip
    (folder / "serial").write_text("01\n")
    config = folder / "tsa.cnf"
    config.write_text(CONFIG.format(dir=folder))
    return config


@dataclass
class LocalTsa:
    url: str
    ca_file: Path
    requests: list[bytes]


@contextmanager
def local_tsa(folder: Path) -> Iterator[LocalTsa]:
    """A TSA answering at ``http://127.0.0.1:<port>/tsa`` until the block ends."""
    config = make_tsa(folder)
    lock = threading.Lock()
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                seen.append(body)
                (folder / "q.tsq").write_bytes(body)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(config), "-queryfile", "q.tsq",
                     "-out", "r.tsr"],
                    cwd=folder, capture_output=True, check=False,
                )  # fmt: skip
                reply = (folder / "r.tsr").read_bytes() if done.returncode == 0 else b""
            self.send_response(200 if reply else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", folder / "ca.crt", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
