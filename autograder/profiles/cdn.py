"""The TLC's CDN, inside a template sandbox: its host name, a throwaway CA, and a certificate.

The template fetches `https://d37ci6vzurychx.cloudfront.net/trip-data/...` unchanged. Inside
the sandbox that name resolves to loopback (a hosts file the supervisor mounts over
/etc/hosts), where the supervisor serves the local taxi source over HTTPS with a certificate
from a CA made for this grading session. The sandbox trusts only that CA (`SSL_CERT_FILE`,
`REQUESTS_CA_BUNDLE`); the CA's key is never written down, so nothing else can be signed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from autograder.profiles.choice import CDN_HOST

CDN_PORT = 443


@dataclass(frozen=True)
class CdnCertificates:
    ca_file: Path  # what the sandbox trusts
    cert_file: Path  # the CDN host's certificate (the supervisor serves it)
    key_file: Path  # its key: the supervisor's, in the grader's private folder


def _name(common: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(public: Path, private: Path) -> CdnCertificates:
    """A CA (certificate in `public`, key discarded) and the CDN host's key pair signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(hours=1), now + dt.timedelta(days=2))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("autograder throwaway CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    host_key = ec.generate_private_key(ec.SECP256R1())
    host = (
        x509.CertificateBuilder()
        .subject_name(_name(CDN_HOST))
        .issuer_name(ca_name)
        .public_key(host_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(CDN_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    found = CdnCertificates(public / "ca.pem", public / "cdn.pem", private / "cdn.key")
    found.ca_file.write_bytes(ca.public_bytes(pem))
    found.cert_file.write_bytes(host.public_bytes(pem))
    found.key_file.write_bytes(
        host_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    found.key_file.chmod(0o600)
    return found


def hosts_text() -> str:
    """The sandbox's /etc/hosts: loopback, and the CDN host on loopback."""
    return f"127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\t{CDN_HOST}\n"


def trust_env(ca_file: Path) -> dict[str, str]:
    """Variables that make Python's ssl, requests and libcurl-based tools trust only `ca_file`."""
    return {"SSL_CERT_FILE": str(ca_file), "REQUESTS_CA_BUNDLE": str(ca_file)}


def cdn_url(month: str) -> str:
    """The URL the template fetches for `month` (YYYY-MM)."""
    return f"https://{CDN_HOST}/trip-data/green_tripdata_{month}.parquet"
