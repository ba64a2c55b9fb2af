FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tutor ./tutor
COPY inference ./inference
RUN pip install --no-cache-dir .
COPY . .
# The front-end libraries (KaTeX, marked, DOMPurify, MathLive): npm tarballs checked against the hashes
# in package-lock.json, fetched by Python, so this image needs no node or npm.
RUN TUTOR_VENDOR_CACHE=/tmp/vendor-cache python scripts/vendor_static.py && rm -rf /tmp/vendor-cache
# Hashed, gzipped copies for whitenoise (a year's browser cache); the production settings need them.
# The secret here only lets the settings load; the real one comes from the environment at run time.
RUN DJANGO_SETTINGS_MODULE=tutor.settings.production DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput --verbosity 0
RUN useradd --create-home tutor && chown -R tutor /app
USER tutor
EXPOSE 8000
