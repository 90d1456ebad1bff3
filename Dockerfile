# The production image: web (gunicorn), worker and beat all run it (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_STATIC_ROOT=/app/staticfiles

WORKDIR /app
COPY pyproject.toml ./
COPY coverage_console ./coverage_console
COPY core ./core
COPY accounts ./accounts
COPY contacts ./contacts
COPY segments ./segments
COPY standards ./standards
COPY engine ./engine
COPY handoffs ./handoffs
COPY profiles ./profiles
COPY dashboards ./dashboards
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY manage.py ./

# The package, installed where it stands (its templates, static files and translations sit beside it, and the
# settings find them from there), with its dependencies (psycopg's binary build: no compiler needed); then the
# static files collected once at build time, with throw-away settings that only collectstatic reads.
RUN pip install -e . \
    && DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin coverage \
    && chown -R 10001 /app/staticfiles

USER 10001
EXPOSE 8000
CMD ["gunicorn", "coverage_console.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
