# modelhub as a container image, built without any registry: the compiled binary plus the glibc
# files it links, on scratch. Build it with:   bash cli/scripts/docker-image.sh   (→ modelhub:latest)
# Run it on the host network (it reaches model containers on 127.0.0.1) with the Docker socket:
#   docker run -d --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     -v modelhub-data:/data modelhub:latest
FROM scratch
COPY rootfs/ /
ENV MODELHUB_DATA_DIR=/data TMPDIR=/tmp
VOLUME /data
EXPOSE 5100
ENTRYPOINT ["/usr/local/bin/modelhub"]
CMD ["serve"]
