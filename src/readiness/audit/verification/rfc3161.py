"""RFC 3161 time-stamp requests and tokens, pure: bytes in, bytes or a verdict out.

:func:`build_request` makes the DER ``TimeStampReq`` for a SHA-256 digest (with a nonce and
``certReq`` so the TSA includes its certificate); :func:`open_response` reads the TSA's
``TimeStampResp`` and returns the token; :func:`verify_token` checks a stored token: it is CMS
SignedData over a ``TSTInfo`` whose message imprint is the expected SHA-256, its signed
attributes carry the digest of that ``TSTInfo`` (and, when present, the hash of the signing
certificate), the signature verifies with the TSA certificate, which may sign timestamps, was
valid at the time it states, and chains (through certificates in the token) to a trusted CA.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import algos, cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from readiness.errors import SignatureError

MAX_CHAIN = 8
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class TimestampError(SignatureError):
    """A timestamp response or token that is refused (the message says why)."""

    code = "timestamp_invalid"


@dataclass(frozen=True, slots=True)
class Timestamp:
    """What a verified token states."""

    gen_time: datetime
    serial: int
    policy: str
    tsa_subject: str


def build_request(digest: bytes, nonce: int) -> bytes:
    """The DER ``TimeStampReq`` for the SHA-256 ``digest``."""
    if len(digest) != hashlib.sha256().digest_size:
        raise TimestampError(f"a SHA-256 digest has 32 bytes (got {len(digest)})")
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": digest,
                }
            ),
            "nonce": core.Integer(nonce),
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def open_response(data: bytes, *, nonce: int) -> bytes:
    """The DER ``TimeStampToken`` of a granted response that answers ``nonce``."""
    try:
        response = tsp.TimeStampResp.load(data)
        status = response["status"]["status"].native
        if status not in {"granted", "granted_with_mods"}:
            text = response["status"]["status_string"].native or []
            raise TimestampError(f"the TSA refused: {status} {' '.join(text)}".strip())
        token = response["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        answered = info["nonce"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"not an RFC 3161 response ({exc})") from exc
    if answered != nonce:
        raise TimestampError(f"the response answers nonce {answered}, not the request's {nonce}")
    return bytes(token.dump())


def _load_pem_certificates(pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise TimestampError(f"the trusted TSA certificates are not PEM ({exc})") from exc


def _signer_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> cms.Certificate:
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise TimestampError("the token names its signer by key id; only issuer and serial work")
    wanted = sid.chosen
    for choice in signed["certificates"] or []:
        cert = choice.chosen
        if cert.serial_number == wanted["serial_number"].native and cert.issuer == wanted["issuer"]:
            return cert
    raise TimestampError("the token does not include the TSA's certificate")


def _check_signature(cert: x509.Certificate, signature: bytes, data: bytes, digest: str) -> None:
    algorithm = _HASHES[digest]()
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            raise TimestampError(f"the TSA's key type {type(key).__name__} is not supported")
    except InvalidSignature as exc:
        raise TimestampError("the token's signature does not verify") from exc


def _check_chain(
    cert: x509.Certificate, extra: Sequence[x509.Certificate], trusted: Sequence[x509.Certificate]
) -> None:
    current = cert
    for _ in range(MAX_CHAIN):
        for anchor in trusted:
            if anchor.subject == current.issuer:
                try:
                    current.verify_directly_issued_by(anchor)
                except (ValueError, TypeError, InvalidSignature):
                    continue
                return
        parents = [c for c in extra if c.subject == current.issuer and c != current]
        for parent in parents:
            try:
                current.verify_directly_issued_by(parent)
            except (ValueError, TypeError, InvalidSignature):
                continue
            current = parent
            break
        else:
            break
    raise TimestampError(
        f"the TSA certificate ({cert.subject.rfc4514_string()}) does not chain to a trusted CA "
        "(audit.tsa_ca_file)"
    )


def _attribute(signer: cms.SignerInfo, name: str) -> Any:
    for attr in signer["signed_attrs"] or []:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _check_usage(cert: x509.Certificate, gen_time: datetime) -> None:
    """The TSA certificate was valid at ``gen_time`` and may sign timestamps."""
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        raise TimestampError(f"the TSA certificate was not valid at {gen_time.isoformat()}")
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage:
        raise TimestampError("the TSA certificate may not sign timestamps (no timeStamping use)")


def verify_token(token: bytes, digest: bytes, trusted_pem: bytes) -> Timestamp:
    """Check ``token`` timestamps the SHA-256 ``digest`` and is signed by a TSA that chains to
    ``trusted_pem``; what it states, or TimestampError naming the first problem."""
    trusted = _load_pem_certificates(trusted_pem)
    try:
        info_content = cms.ContentInfo.load(token)
        if info_content["content_type"].native != "signed_data":
            raise TimestampError("the token is not CMS SignedData")
        signed = info_content["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token does not hold a TSTInfo")
        tst_der = bytes(encap["content"].contents)
        info = encap["content"].parsed
        imprint = info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
        signers = list(signed["signer_infos"])
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"not an RFC 3161 token ({exc})") from exc
    if (algorithm, hashed) != ("sha256", digest):
        raise TimestampError(
            "the token's message imprint is not the SHA-256 of the checkpoint note: it "
            "timestamps something else"
        )
    if len(signers) != 1:
        raise TimestampError(f"the token has {len(signers)} signers, not one")
    signer = signers[0]
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TimestampError(f"the token's digest algorithm {digest_name} is not supported")
    message_digest = _attribute(signer, "message_digest")
    if (
        message_digest is None
        or message_digest.native != hashlib.new(digest_name, tst_der).digest()
    ):
        raise TimestampError("the token's signed digest is not the digest of its TSTInfo")
    cert_asn1 = _signer_certificate(signed, signer)
    cert_der = bytes(cert_asn1.dump())
    signing_cert = _attribute(signer, "signing_certificate_v2")
    if signing_cert is not None:
        ids = signing_cert["certs"]
        if not any(
            bytes(i["cert_hash"].native)
            == hashlib.new(i["hash_algorithm"]["algorithm"].native, cert_der).digest()
            for i in ids
        ):
            raise TimestampError(
                "the token's signing-certificate attribute names another certificate"
            )
    cert = x509.load_der_x509_certificate(cert_der)
    signed_attrs = bytes(signer["signed_attrs"].dump())
    data = b"\x31" + signed_attrs[1:]  # the attributes are signed as a SET OF, not [0]
    _check_signature(cert, bytes(signer["signature"].native), data, digest_name)
    gen_time: datetime = info["gen_time"].native
    _check_usage(cert, gen_time)
    extra = [
        x509.load_der_x509_certificate(bytes(c.chosen.dump())) for c in signed["certificates"] or []
    ]
    _check_chain(cert, extra, trusted)
    return Timestamp(
        gen_time=gen_time,
        serial=int(info["serial_number"].native),
        policy=str(info["policy"].native),
        tsa_subject=cert.subject.rfc4514_string(),
    )
