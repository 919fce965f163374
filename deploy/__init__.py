"""Running Nagarik for real: one public door (nginx) and every process under one supervisor.

`python -m deploy check|render|start|stop|status`; the settings are deploy/settings.py, the
templates nginx.conf.template and supervisord.conf.template, an environment file to start from
nagarik.env.example. README.md, "Running it for real", walks through it.
"""
