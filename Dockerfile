# wanbot: a slim image running `wanbot run` as a non-root user.
# ffmpeg comes from the imageio-ffmpeg wheel; nothing else needs system packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WANBOT_DATABASE_URL=sqlite:////data/wanbot.db \
    WANBOT_WORKDIR=/data/work \
    WANBOT_MEDIA_DIR=/data/media \
    WANBOT_HTTP_HOST=0.0.0.0

WORKDIR /app
RUN useradd --create-home --uid 10001 wanbot \
    && mkdir -p /data \
    && chown wanbot:wanbot /data
# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change, not on
# every source edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
# The wheel installs one top-level package, wanbot/, the app's own packages inside it (setup.py, README
# "Packaging"): setup.py and wanbot/ are part of the build.
COPY README.md setup.py ./
COPY wanbot ./wanbot
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY sandbox ./sandbox
RUN pip install --no-deps .

USER wanbot
VOLUME ["/data"]
# The bot's HTTP port (Slack HTTP mode, /healthz, /metrics).
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os,urllib.request as u; t=os.environ.get('WANBOT_HTTP_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ.get('WANBOT_HTTP_PORT', '3000'), headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=4)"
CMD ["wanbot", "run"]
