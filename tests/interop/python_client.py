"""A Python gRPC client of the gateway (Debian python3-grpcio + python3-grpc-tools), driven by the interop tests.

usage: /usr/bin/python3 python_client.py <host:port> <protos dir> <google/api protos dir> <text>
Generates stubs from our protos into a temp folder, calls ParseIntent, prints the intent's fields as JSON.
"""
import importlib
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc


def main() -> int:
    target, protos_dir, google_dir, text = sys.argv[1:5]
    out = tempfile.mkdtemp(prefix="grump-py-")
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")  # google/protobuf/struct.proto
    args = ["protoc", f"-I{protos_dir}", f"-I{google_dir}", f"-I{well_known}",
            f"--python_out={out}", f"--grpc_python_out={out}",
             "grump/gateway/v1/intent.proto", "google/api/annotations.proto", "google/api/http.proto"]
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 2
    sys.path.insert(0, out)
    intent_pb2 = importlib.import_module("grump.gateway.v1.intent_pb2")
    intent_pb2_grpc = importlib.import_module("grump.gateway.v1.intent_pb2_grpc")

    with grpc.insecure_channel(target) as channel:
        stub = intent_pb2_grpc.IntentServiceStub(channel)
        response = stub.ParseIntent(intent_pb2.ParseIntentRequest(raw=text), timeout=20)
    intent = response.intent
    print(json.dumps({
        "raw": intent.raw,
        "actors": list(intent.actors),
        "tech_stack_hints": list(intent.tech_stack_hints),
        "features": list(intent.features),
        "project_type": intent_pb2.ProjectType.Name(intent.project_type),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
