# juece's image: Debian bookworm, the pinned dependencies (constraints.txt), a CJK font, a non-root user.
# One image for every service of docker-compose.yml; the command chooses the process (config/topology.py).
FROM python:3.11-slim-bookworm

# A CJK font: pages, PDFs and spreadsheets rendered on the server show Chinese, not boxes.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JUECE_INSTANCE_DIR=/data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY workflow workflow
COPY api api
COPY worker worker
COPY config config
COPY cli cli
RUN pip install -c constraints.txt .

# The instance folder belongs to the unprivileged user; a new named volume mounted on it inherits that owner.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin juece \
    && mkdir -p /data && chown juece:juece /data
USER juece
VOLUME ["/data"]
EXPOSE 8000
CMD ["python", "-m", "gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-", "api:create_app()"]
