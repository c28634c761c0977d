# The pdaltagent container image: the agent and its commands on their own trimmed Java runtime, as
# the non-root user pdaltagent (uid 10001), its queue in the volume /var/lib/pdaltagent.
#
#   docker build -t pdaltagent .                       # from source (a JDK image builds the tarball)
#   bin/mvnw -B -Pdist package && docker build --build-arg DIST=tarball -t pdaltagent .
#                                                      # from the tarball the dist build made
#   docker run -d --name pdaltagent -p 8080:8080 -p 8443:8443 -v pdaltagent-data:/var/lib/pdaltagent pdaltagent
#   docker exec pdaltagent pd-send -k KEY -t trigger -d "Disk full"
#
# Build arguments: DIST (source | tarball), BUILD_IMAGE (a JDK 21+ image that has bash and tar, for
# DIST=source), BASE_IMAGE (any glibc Linux image with bash, coreutils, useradd: the runtime needs
# nothing else).
ARG BUILD_IMAGE=eclipse-temurin:25-jdk
ARG BASE_IMAGE=debian:bookworm-slim
ARG DIST=source

# The installed image from source: the same bin/mvnw -Pdist package as on a host, then unpacked.
FROM ${BUILD_IMAGE} AS dist-source
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -Pdist -DskipTests package \
 && mkdir /dist \
 && tar -xzf pdaltagent-dist/target/pdaltagent-*-linux-x64.tar.gz -C /dist --strip-components=1

# The installed image from the tarball in pdaltagent-dist/target (bin/mvnw -B -Pdist package).
FROM ${BASE_IMAGE} AS dist-tarball
COPY pdaltagent-dist/target/pdaltagent-*-linux-x64.tar.gz /tmp/
RUN mkdir /dist \
 && tar -xzf /tmp/pdaltagent-*-linux-x64.tar.gz -C /dist --strip-components=1 \
 && rm /tmp/pdaltagent-*-linux-x64.tar.gz

FROM dist-${DIST} AS dist

FROM ${BASE_IMAGE}
# a fixed uid and gid, so that a bind-mounted data dir can be given to them; no shell, no home but
# the data dir. The spool is 1733 as the agent makes it: `docker exec -u SOMEONE pd-send` works too.
RUN groupadd --system --gid 10001 pdaltagent \
 && useradd --system --uid 10001 --gid pdaltagent --home-dir /var/lib/pdaltagent --no-create-home \
      --shell /usr/sbin/nologin pdaltagent \
 && install -d -m 0755 -o pdaltagent -g pdaltagent /var/lib/pdaltagent \
 && install -d -m 1733 -o pdaltagent -g pdaltagent /var/lib/pdaltagent/spool
COPY --from=dist /dist /opt/pdaltagent
ENV PATH=/opt/pdaltagent/bin:$PATH \
    PDAGENTD_DATA_DIR=/var/lib/pdaltagent
VOLUME ["/var/lib/pdaltagent"]
EXPOSE 8080 8443
# numeric, so that a runtime can tell it is not root without reading the image's passwd
# (Kubernetes runAsNonRoot)
USER 10001:10001
WORKDIR /var/lib/pdaltagent
# /healthz over bash's /dev/tcp: the image needs no curl
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PDAGENTD_HTTP_PORT:-8080} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM (docker stop) stops ingest and lets deliveries under way finish (10 s by default)
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/pdaltagent/bin/pdagentd"]
