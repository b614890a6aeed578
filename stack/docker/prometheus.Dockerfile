# Prometheus with the stack's configuration and alert rules. The binaries are Debian's (the monitoring-tools
# packages on the host, linked only against libc), copied in, so the build needs no package index or registry.
# Build context: stack/ (make images does this).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

COPY docker/bin/prometheus docker/bin/promtool /usr/bin/
COPY monitoring/prometheus.yml /etc/prometheus/prometheus.yml
COPY monitoring/rules/ /etc/prometheus/rules/
COPY docker/healthcheck.py /usr/local/lib/healthcheck.py
RUN promtool check config /etc/prometheus/prometheus.yml && mkdir -p /prometheus

WORKDIR /etc/prometheus
VOLUME ["/prometheus"]
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s CMD ["python3", "/usr/local/lib/healthcheck.py", "127.0.0.1:9090", "/-/ready"]
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=127.0.0.1:9090"]
