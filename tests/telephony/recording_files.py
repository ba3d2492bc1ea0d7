"""Real audio files for the recording tests: a WAV written by the standard library's ``wave``,
an MP3 frame, and files that only pretend to be audio."""

from __future__ import annotations

import io
import math
import struct
import wave

#: 8 kHz, 16-bit mono: what phone systems record.
RATE = 8000


def wav_bytes(seconds: float = 0.5, *, rate: int = RATE) -> bytes:
    """A real WAV file: a 440 Hz tone of ``seconds``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(frames))
        )
    return buffer.getvalue()


def mp3_bytes(frames: int = 4) -> bytes:
    """MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz (417 bytes each: a 4-byte header, then
    silence), after an ID3v2 tag as encoders write."""
    header = b"\xff\xfb\x90\x64"
    frame = header + b"\x00" * (417 - len(header))
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return tag + frame * frames


#: A PNG image's signature, named like a recording.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: A text file, named like a recording.
TEXT = b"RIFF? no: just some text that says it is a WAV file\n" * 4
