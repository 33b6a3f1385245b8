"""Recognise an uploaded photo (PNG, JPEG, GIF, WebP) and read its size, as Telegram must."""

from __future__ import annotations

import struct


class NotAnImage(ValueError):
    pass


def _png(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _gif(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack("<HH", data[6:10])
    return width, height


def _jpeg(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # Start-of-frame markers carry the size (C4, C8 and CC are not frames).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    raise NotAnImage("JPEG without a frame header")


def _webp(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise NotAnImage("unknown WebP chunk")


def photo_info(data: bytes) -> tuple[str, int, int]:
    """(content type, width, height) of an image, or NotAnImage."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return ("image/png", *_png(data))
        if data.startswith(b"\xff\xd8"):
            return ("image/jpeg", *_jpeg(data))
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return ("image/gif", *_gif(data))
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return ("image/webp", *_webp(data))
    except struct.error:
        raise NotAnImage("truncated image") from None
    raise NotAnImage("not a PNG, JPEG, GIF or WebP image")
