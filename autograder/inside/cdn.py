"""Inside a template sandbox: the TLC's CDN host name on loopback, served over HTTPS.

The supervisor (still privileged in its namespaces) mounts the grader's hosts file over
/etc/hosts, so `d37ci6vzurychx.cloudfront.net` resolves to 127.0.0.1 here and nowhere else,
and serves the local taxi source on port 443 with the certificate the grader made
(`autograder.profiles.cdn`). The HTTPS server shares the plain source's state, so the fault
schedule and the request log the checks read are the same whichever URL the DAG uses.
"""

from __future__ import annotations

import ssl

from taxi_source.server import RunningSource, serve_state_in_thread

_MS_BIND = 4096


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """The server's TLS context; loaded before the sandbox's file system view hides the key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def mount_hosts(hosts_file: str) -> list[str]:
    """Bind `hosts_file` over /etc/hosts in this mount namespace. Returns warnings."""
    from autograder.inside.mounts import _mount, _remount_read_only

    try:
        _mount(hosts_file, "/etc/hosts", None, _MS_BIND)
        _remount_read_only("/etc/hosts")
    except OSError as err:
        return [f"could not point the CDN's host name at the local source: {err}"]
    return []


def serve_cdn(source: RunningSource, context: ssl.SSLContext, port: int) -> RunningSource:
    """HTTPS on 127.0.0.1:`port`, answering as `source` does (same faults, same request log)."""
    return serve_state_in_thread(
        source.state, port, wrap=lambda sock: context.wrap_socket(sock, server_side=True)
    )
