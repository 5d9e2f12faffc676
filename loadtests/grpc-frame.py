"""Writes a gRPC frame for h2load: 0 (not compressed), 4-byte big-endian length, then a protobuf message whose only
field is string field 1 = the text (ParseIntentRequest.raw and the bench NoopRequest both have that shape).
usage: /usr/bin/python3 loadtests/grpc-frame.py <text> <out file>"""
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


raw = sys.argv[1].encode()
msg = b"\x0a" + varint(len(raw)) + raw
with open(sys.argv[2], "wb") as f:
    f.write(b"\x00" + struct.pack(">I", len(msg)) + msg)
