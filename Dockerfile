# Multi-stage build: a static binary in a minimal, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/tuongtac ./server && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tuongtac /usr/local/bin/tuongtac
# The data volume belongs to the nonroot user (uid 65532) so SQLite can write.
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATA_DIR=/data ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/tuongtac"]
CMD ["serve"]
