FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by whitenoise.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 catalogue && chown -R catalogue /app
USER catalogue

EXPOSE 8000
CMD ["gunicorn", "catalogue.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
