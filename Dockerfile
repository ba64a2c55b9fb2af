FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tutor ./tutor
COPY inference ./inference
RUN pip install --no-cache-dir .
COPY . .
RUN python scripts/vendor_static.py
RUN useradd --create-home tutor && chown -R tutor /app
USER tutor
EXPOSE 8000
