# Image used by docker-compose.yml for the migration step and the app.
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY assembly ./assembly
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && useradd --system --no-create-home assembly
USER assembly
EXPOSE 8000
CMD ["assembly", "serve"]
