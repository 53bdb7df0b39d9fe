"""Shared helpers for the end-to-end tests and the benchmarks.

servers: start/stop Berth and the CNCF registry as child processes.
oci:     write OCI image layouts (images, indexes, artifacts) without a daemon.
client:  a small Distribution API client (requests) plus raw-socket and skopeo helpers.
"""
