# wanbot: a slim image running `wanbot run` as a non-root user.
# ffmpeg comes from the imageio-ffmpeg wheel; nothing else needs system packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WANBOT_DATABASE_URL=sqlite:////data/wanbot.db \
    WANBOT_WORKDIR=/data/work

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY sandbox ./sandbox
RUN pip install . \
    && useradd --create-home --uid 10001 wanbot \
    && mkdir -p /data \
    && chown wanbot:wanbot /data

USER wanbot
VOLUME ["/data"]
# The bot's HTTP port (Slack HTTP mode, health and metrics).
EXPOSE 3000
CMD ["wanbot", "run"]
