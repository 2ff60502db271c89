# The workflow's environment for cloud executors (profiles/kubernetes, profiles/googlebatch):
#   docker build -t ghcr.io/your-org/ith:0.1.0 . && docker push ghcr.io/your-org/ith:0.1.0
FROM python:3.11-slim
WORKDIR /opt/ith
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir ".[cloud]"
COPY . .
RUN pip install --no-cache-dir --no-deps -e .
