# Build: docker build -t agentobs .
# The binary embeds DuckDB through cgo, so the build stage needs a C toolchain and the
# runtime stage a glibc; both are Debian bookworm.
# The web app is built first and embedded in the binary (docs/web.md).
FROM node:20-bookworm AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/agentobs ./cmd/agentobs

FROM debian:bookworm-slim
# libstdc++6 and libgcc-s1: DuckDB is C++ (make test-deploy compares this list with ldd).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 libgcc-s1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/agentobs agentobs \
    && mkdir -p /var/lib/agentobs && chown agentobs /var/lib/agentobs
COPY --from=build /out/agentobs /usr/local/bin/agentobs
USER agentobs
ENV AGENTOBS_ADDR=:8000 AGENTOBS_DATA_DIR=/var/lib/agentobs
VOLUME /var/lib/agentobs
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/ready || exit 1
ENTRYPOINT ["agentobs"]
CMD ["serve"]
