# Two images from one build (docker-compose.yml builds both):
#   app    the catalogue under gunicorn (gunicorn.conf.py), also the job worker's image.
#          Not meant to face clients: its sync workers are held by slow ones.
#   proxy  nginx (deploy/nginx.conf.template) in front of it, with the collected static files.
# docker build --target app -t catalogue-app . ; docker build --target proxy -t catalogue-proxy .

FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time: nginx serves them in the proxy image (copied from
# here, so the hashed names match the manifest the app links by), and whitenoise in this one
# when it runs alone. DEBUG off refuses a weak SECRET_KEY, so this step gets a random one of
# its own (used for nothing else).
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput

# /var/cache/catalogue: the citation cache's volume in compose (a new volume takes this owner).
RUN useradd --create-home --uid 1000 catalogue && chown -R catalogue /app \
    && mkdir -p /var/cache/catalogue && chown catalogue /var/cache/catalogue
USER catalogue

EXPOSE 8000
# Workers, timeouts and trusted proxy addresses: gunicorn.conf.py (WEB_CONCURRENCY,
# FORWARDED_ALLOW_IPS). Listens on every interface of the container, for the proxy.
CMD ["gunicorn", "catalogue.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]


FROM nginx:1.28.0-alpine AS proxy

# The image's entrypoint renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with
# envsubst (only variables that are set). Its default site would also listen on port 80.
RUN rm /etc/nginx/conf.d/default.conf
COPY deploy/nginx.conf.template /etc/nginx/templates/catalogue.conf.template
COPY --from=app /app/staticfiles /srv/catalogue/static
ENV CATALOGUE_LISTEN=8000 \
    CATALOGUE_UPSTREAM=web:8000 \
    CATALOGUE_STATIC_ROOT=/srv/catalogue/static \
    CATALOGUE_MAX_BODY_SIZE=61m

EXPOSE 8000
