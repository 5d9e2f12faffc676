"""Writes a gRPC frame for h2load: 0 (not compressed), 4-byte big-endian length, then a protobuf message.
Default: a message whose only field is string field 1 = the text (ParseIntentRequest.raw and the bench NoopRequest both
have that shape). With a model: a ChatService CompleteRequest {chat: {messages: [{role: user, content: text}], model,
temperature: 0, cache: CACHE_MODE_ON}} — a request the gateway answers from its cache after the first call.
usage: /usr/bin/python3 loadtests/grpc-frame.py <text> <out file> [model]"""
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


def field(number, payload):
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


text = sys.argv[1].encode()
if len(sys.argv) > 3:
    message = field(1, b"user") + field(2, text)                  # ChatMessage.role, .content
    chat = (field(1, message) + field(2, sys.argv[3].encode())     # ChatRequest.messages, .model
            + varint(4 << 3 | 5) + struct.pack("<f", 0.0)          # .temperature = 0 (optional float, fixed32)
            + varint(8 << 3) + varint(1))                          # .cache = CACHE_MODE_ON
    msg = field(1, chat)                                           # CompleteRequest.chat
else:
    msg = field(1, text)
with open(sys.argv[2], "wb") as f:
    f.write(b"\x00" + struct.pack(">I", len(msg)) + msg)
