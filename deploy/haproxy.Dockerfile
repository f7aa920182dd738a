# The proxy of deploy/compose.yaml and deploy/kubernetes.yaml: Debian's HAProxy with deploy/haproxy.cfg.
#   docker build -f deploy/haproxy.Dockerfile -t lsoftmax-lab-proxy deploy
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy=2.6.* \
    && rm -rf /var/lib/apt/lists/*

COPY haproxy.cfg /etc/haproxy/haproxy.cfg
# Debian's package creates the haproxy system user; its uid differs between releases.
# hadolint ignore=DL3066
USER haproxy
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["haproxy", "-c", "-q", "-f", "/etc/haproxy/haproxy.cfg"]
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
