FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by whitenoise. DEBUG off refuses a weak
# SECRET_KEY, so this step gets a random one of its own (used for nothing else).
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 catalogue && chown -R catalogue /app
USER catalogue

EXPOSE 8000
CMD ["gunicorn", "catalogue.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
