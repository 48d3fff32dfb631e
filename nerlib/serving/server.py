"""Run the service with uvicorn: ``python -m nerlib serve RUN_OR_MODEL`` ends here.

The listening socket is bound here, before uvicorn starts, so that a port in use or a host that
does not resolve is one ``error:`` line from the command (uvicorn would log and exit on its own).
The server listens at once; the model loads in the background (``/ready`` turns 200 when it is
done). A model that fails to load stops the server, and the command ends with that error.
Connections beyond ``max_connections`` are answered 503 by uvicorn itself, so that open
connections, each holding at most ``max_body_bytes``, bound the memory requests can take.
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from nerlib.serving import DEFAULT_MAX_CONNECTIONS
from nerlib.serving.service import ServiceLimits, create_app

__all__ = ["bind_socket", "is_loopback", "serve"]

GRACEFUL_SHUTDOWN_SECONDS = 30  # on SIGTERM, requests in flight get this long to be answered
# An idle connection stays open this long: longer than proxies and load balancers keep idle
# upstream connections (nginx 60 s, cloud balancers 60 s), so the server is never the side that
# closes a connection a proxy is about to reuse (that race fails a POST with a reset).
KEEP_ALIVE_SECONDS = 75


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free port the system picks).

    Raises
    ------
    OSError
        When the host does not resolve or the address cannot be bound (in use, not this
        machine's, a privileged port); the message names the address.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise OSError(f"--host {host}: not an address or a host name this machine can resolve ({error.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While serving, SIGTERM ends like Ctrl-C. uvicorn shuts down gracefully on either (no new
    connections, the requests in flight answered), then raises the signal again for the previous
    handler: this one, so the command exits through its error boundary (status 130) rather than
    being killed by the signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(load: Callable[[], Any], *, host: str = "127.0.0.1", port: int = 8000,
          limits: ServiceLimits = ServiceLimits(), max_connections: int = DEFAULT_MAX_CONNECTIONS,
          log_level: str = "info", describe: str = "the model") -> None:
    """Serve the tagger ``load()`` returns over HTTP until Ctrl-C or SIGTERM.

    Parameters
    ----------
    load:
        Returns the tagger; called once, in the background, after the server starts listening.
    host, port:
        Where to listen (default loopback only; port 0 picks a free port, printed on standard
        error).
    limits:
        Batching, queue and body-size bounds.
    max_connections:
        Most connections and requests in flight; uvicorn answers 503 beyond it.
    log_level:
        uvicorn's log level (``info`` logs every request).
    describe:
        What is served, for the line printed when the server listens.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C or SIGTERM, once the server has shut down gracefully.
    OSError
        When the address cannot be bound.
    Exception
        Whatever ``load`` raised: the server stops and the error ends the command.
    """
    import uvicorn

    sock = bind_socket(host, port)
    bound = sock.getsockname()[1]
    server: uvicorn.Server | None = None

    def stop_after_failure(error: BaseException) -> None:
        if server is not None:
            server.should_exit = True

    app = create_app(load, limits, on_load_failure=stop_after_failure)
    config = uvicorn.Config(app, log_level=log_level, limit_concurrency=max_connections,
                            timeout_keep_alive=KEEP_ALIVE_SECONDS,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
                            server_header=False, access_log=log_level in ("info", "debug"))
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    print(f"serving {describe} on http://{shown}:{bound} (OpenAPI page: /docs; /ready turns 200 once the "
          "model is loaded)", file=sys.stderr, flush=True)
    if not is_loopback(host):
        print(f"note: --host {host} is reachable from other machines; the service has no authentication "
              "(put it behind a proxy that has, see docs/serving.md)", file=sys.stderr, flush=True)
    with _sigterm_as_interrupt():
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()
    error = app.state.service.load_error
    if error is not None:
        raise error
