# syntax=docker/dockerfile:1
# Every service's image, from this one file: SERVICE names the package under services/
# (gateway, tickets, notifications, video or referrals). Build from the repository root:
#   docker build --build-arg SERVICE=tickets -t support-platform/tickets .
# Web process (the default command): gunicorn on $PORT, serving services.$SERVICE.app:create_app()
#                                    (deploy/gunicorn.conf.py; streaming services get more threads there).
# Worker process:                    docker run ... support-platform/tickets python -m services.tickets.worker
# Migrations (the Kubernetes Job):   docker run ... support-platform/tickets python -m services.migrate tickets

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ARG SERVICE
# An empty SERVICE would copy every service below (a name that is no service fails at its COPY).
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<name of a package under services/>" >&2; exit 1; }
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_NAME=${SERVICE} \
    PORT=8080 \
    DATA_DIR=/data
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data && chown app:app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Only this service and the shared library (and the registry and migrations command every image
# runs): no other service's code is in its image.
COPY shared/ shared/
COPY services/__init__.py services/registry.py services/migrate.py services/
COPY services/${SERVICE}/ services/${SERVICE}/
COPY deploy/gunicorn.conf.py deploy/gunicorn_worker.py deploy/healthcheck.py deploy/
# Bytecode now, since the root file system is read-only when deployed.
RUN python -m compileall -q shared services deploy
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# The check fits the process: GET /healthz for gunicorn, broker and database reachable for a worker.
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
