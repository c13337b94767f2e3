# qiaowu-bot: the Telegram bot with the shipped knowledge. Everything it writes lives in /data: the store,
# the question log, the id key and the knowledge home /data/knowledge (seeded from the shipped knowledge on
# first start, never overwritten by a newer image).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . \
    && useradd --create-home --uid 10001 qiaobot \
    && mkdir -p /data && chown qiaobot /data

USER qiaobot
VOLUME ["/data"]
# Exec form: SIGTERM reaches the bot, which shuts down cleanly.
CMD ["qiaobot", "run"]
