FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY workflow workflow
COPY api api
COPY worker worker
COPY config config
COPY cli cli
RUN pip install --no-cache-dir -c constraints.txt . gunicorn
ENV JUECE_INSTANCE_DIR=/data
EXPOSE 8000
CMD ["juece", "up", "--host", "0.0.0.0", "--port", "8000"]
