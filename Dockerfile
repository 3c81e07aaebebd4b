# Maatjes for production: the app on PostgreSQL (see compose.yaml). Several containers may run
# side by side against one database: the outbox, check-ins and round slots are safe across them.
FROM python:3.11-slim-bookworm

# The container listens on every address, so links need MAATJES_PUBLIC_URL (set it at run time;
# Maatjes refuses to start without it). The web chat's name-only sign-in is a local trial (anyone
# who reaches the page could sign in as anyone), so it is off here: sign-in to the web chat by
# e-mail or single sign-on comes later. The dashboard works, with coordinator passwords.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MAATJES_HOST=0.0.0.0 \
    MAATJES_PORT=8000 \
    MAATJES_DATA_DIR=/data \
    MAATJES_WEB_SIGNIN=off

WORKDIR /app
RUN useradd --system --home /app --uid 10001 maatjes \
    && mkdir -p /data && chown maatjes /data && chmod 0700 /data

COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY matching ./matching
COPY storage ./storage
RUN pip install .

USER maatjes
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["maatjes", "run"]
