"""Which requests the web demo answers: a Host allow-list against DNS
rebinding, and for POST an Origin of the demo's own page, against other
sites driving the demo through a visitor's browser (the checks Jupyter and
Gradio make).

- ``Host`` must name the address the demo is bound to, ``localhost``,
  ``127.0.0.1``, ``[::1]``, or an entry of ``--allowed-hosts`` (a name,
  or ``name:port`` to allow that port only; ``*`` turns the check off).
  A request without ``Host`` is refused: every HTTP/1.1 client sends one.
- A POST's ``Origin``, when present, must be the page's own origin
  (``http://`` + the request's ``Host``) or on a host of
  ``--allowed-hosts`` (not merely local: another local server's page is
  another site). Browsers send
  ``Origin`` on every POST, so a page of another site is refused. A request
  without ``Origin`` comes from a client that is not a browser (curl, a
  script) and is answered: such a client cannot be made to send a visitor's
  requests, and it could set any Origin anyway.
"""
from typing import Iterable, Optional, Tuple
from urllib.parse import urlsplit

LOCAL_HOSTS = ('localhost', '127.0.0.1', '::1')
ANY_ADDRESS = ('', '0.0.0.0', '::')


def split_host(value: str) -> Tuple[str, Optional[int]]:
    """``(name, port or None)`` of a Host value (``name``, ``name:port``,
    ``[v6]`` or ``[v6]:port``), the name lower-case without brackets;
    ValueError if the port is not a number."""
    value = value.strip().lower()
    if value.startswith('['):
        name, _, rest = value[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else None
    elif value.count(':') == 1:
        name, _, port = value.partition(':')
    else:
        name, port = value, None
    if port is not None and not port.isdigit():
        raise ValueError(f'port {port!r} is not a number')
    return name, None if port is None else int(port)


class SameOriginGuard:
    """The Host and Origin checks of the demo bound to ``bound_host``, with
    the extra ``allowed_hosts`` (see the module doc)."""

    def __init__(self, bound_host: str, allowed_hosts: Iterable[str] = ()):
        allowed_hosts = list(allowed_hosts)
        self.any_host = '*' in allowed_hosts
        bound = () if bound_host in ANY_ADDRESS else (bound_host, )
        self.extra = [split_host(host) for host in allowed_hosts if host != '*']
        self.allowed = [split_host(host) for host in (*LOCAL_HOSTS, *bound)] + self.extra

    def host_allowed(self, host: str, extra_only: bool = False) -> bool:
        """Whether a ``host`` (``name[:port]``) is on the allow-list (only
        ``--allowed-hosts`` if ``extra_only``)."""
        if self.any_host:
            return True
        try:
            name, port = split_host(host)
        except ValueError:
            return False
        return any(name == allowed and allowed_port in (None, port)
                   for allowed, allowed_port in (self.extra if extra_only else self.allowed))

    def refusal(self, method: str, host: Optional[str], origin: Optional[str]) -> Optional[str]:
        """Why a request with these ``Host`` and ``Origin`` headers is
        refused (one line for the 403 answer), or None to answer it."""
        if not host:
            return 'send a Host header'
        if not self.host_allowed(host):
            return (f'Host {host!r} is not served here; open the demo at its own address, '
                    f'or start it with --allowed-hosts {split_host_name(host)}')
        if method != 'POST' or origin is None:
            return None
        parts = urlsplit(origin)
        same = parts.scheme == 'http' and parts.netloc.lower() == host.strip().lower()
        if same or (parts.scheme in ('http', 'https') and parts.netloc
                    and self.host_allowed(parts.netloc, extra_only=True)):
            return None
        return (f'Origin {origin!r} is another site; the demo answers its own page only '
                f'(--allowed-hosts adds sites)')


def split_host_name(host: str) -> str:
    """The name part of a Host value, for a message (the value if unparsable)."""
    try:
        return split_host(host)[0] or host
    except ValueError:
        return host
