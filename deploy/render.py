"""The deployment's configuration files, from the templates beside this module and the layout.

Templates use `@{name}` (string.Template with `@` as its mark), because `$` is nginx's and
supervisor's own. Secrets never appear in what is rendered: they stay environment references.
"""

from __future__ import annotations

import shutil
import string
from pathlib import Path

from deploy.settings import ROOT, Layout

TEMPLATES = Path(__file__).resolve().parent
RENDERED = {name: f"{name}.template" for name in ("nginx.conf", "supervisord.conf", "endpoints.yml")}


class AtTemplate(string.Template):
    delimiter = "@"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        raise FileNotFoundError("nginx is not installed: run deploy/install-nginx as root (Debian's package)")
    return found


def listen_lines(layout: Layout) -> str:
    if layout.tls_certificate is None:
        # Plain HTTP: only behind a load balancer that terminates TLS (README, "Running it for real").
        return f"        listen {layout.public_port};"
    return "\n".join(
        [
            f"        listen {layout.public_port} ssl http2;",
            f"        ssl_certificate {layout.tls_certificate};",
            f"        ssl_certificate_key {layout.tls_key};",
            "        ssl_protocols TLSv1.2 TLSv1.3;",
            "        ssl_session_cache shared:nagarik_tls:10m;",
            '        add_header Strict-Transport-Security "max-age=31536000" always;',
        ]
    )


def values(layout: Layout) -> dict[str, str]:
    return {
        "root": str(ROOT),
        "run_dir": str(layout.run_dir),
        "log_dir": str(layout.run_dir / "log"),
        "app_python": str(ROOT / ".venv" / "bin" / "python"),
        "rasa_python": str(ROOT / ".venv-rasa" / "bin" / "python"),
        "nice": shutil.which("nice") or "/usr/bin/nice",
        "models": str(ROOT / "models"),
        "nginx": nginx_binary(),
        "listen": listen_lines(layout),
        "server_name": layout.server_name,
        "rasa_processes": str(layout.rasa_processes),
        "rasa_port": str(layout.rasa_port),
        "receiver_port": str(layout.receiver_port),
        "actions_port": str(layout.actions_port),
        "api_port": str(layout.api_port),
        "worker_threads": str(layout.worker_threads),
    }


def render(layout: Layout) -> list[Path]:
    """Write the configs into the layout's run directory (and the folders nginx writes to)."""
    for folder in ("log", "nginx/tmp"):
        (layout.run_dir / folder).mkdir(parents=True, exist_ok=True)
    # nginx's workers run as an unprivileged user when started by root: they write request bodies here.
    (layout.run_dir / "nginx" / "tmp").chmod(0o1777)
    filled = values(layout)
    written = []
    for name, template in RENDERED.items():
        path = layout.run_dir / name
        path.write_text(AtTemplate((TEMPLATES / template).read_text()).substitute(filled))
        written.append(path)
    return written
