# Alertmanager with the stack's routing (one webhook receiver, resolved notifications on). Debian's binaries from
# the host, as for Prometheus. Build context: stack/ (make images does this).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

COPY docker/bin/prometheus-alertmanager docker/bin/amtool /usr/bin/
COPY docker/share/alertmanager/ /usr/share/prometheus/alertmanager/
COPY monitoring/alertmanager.yml /etc/alertmanager/alertmanager.yml
COPY docker/healthcheck.py /usr/local/lib/healthcheck.py
RUN amtool check-config /etc/alertmanager/alertmanager.yml && mkdir -p /alertmanager

VOLUME ["/alertmanager"]
EXPOSE 9093
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s CMD ["python3", "/usr/local/lib/healthcheck.py", "127.0.0.1:9093", "/-/ready"]
ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]
# An empty cluster address turns gossip off; a single Alertmanager needs none.
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--web.listen-address=127.0.0.1:9093", "--cluster.listen-address="]
