# Codev server image. Embedded mode by default (SQLite in /data, in-process broker);
# set CODEV_DATABASE_URL and CODEV_REDIS_URL to run several replicas on PostgreSQL + Redis.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CODEV_HOST=0.0.0.0 CODEV_PORT=8000 CODEV_DATA_DIR=/data

WORKDIR /srv/codev
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip install -e . && useradd --system --home /data codev && mkdir -p /data && chown codev /data

USER codev
VOLUME ["/data"]
EXPOSE 8000
# /readyz: the database (and Redis, when configured) answer; /livez would check the process only.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"CODEV_PORT\"]}/readyz', timeout=3)"
CMD ["codev", "serve"]
