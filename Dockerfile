# Static opa-cosign on a distroless base, running as a non-root numeric user.
# Build: docker build -t opa-cosign .   (or: make docker)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/build/opa-cosign /opa-cosign
USER 65532:65532
ENTRYPOINT ["/opa-cosign"]
CMD ["run"]
