"""Emulator: deterministic synthesized music as WAV bytes, exactly as long as asked, quickly.

Every provider's result file is a WAV (PCM 16-bit mono, 16 kHz unless the model asks for a
sample rate): fal sends AAC/m4a and the gateway mp3 or wav, but a WAV's length is exact to
the sample and needs no codec. A piece is a seeded pentatonic melody: a handful of quarter-beat
notes are computed once and the track is those byte chunks joined, so a 90 s track costs a
few thousand sine evaluations, not a million.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import struct
import wave
from array import array

DEFAULT_SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
WAV_HEADER_BYTES = 44  # what the stdlib wave module writes for PCM
NOTE_SECONDS = 0.25
_PENTATONIC = (0, 2, 4, 7, 9, 12, 14, 16)  # semitones above the root


def frame_count(seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE) -> int:
    """Frames of a track ``seconds`` long (rounded to the nearest frame)."""
    return max(0, round(seconds * sample_rate))


def wav_size(seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE) -> int:
    """The byte size ``synthesize_wav`` will produce, without synthesizing anything."""
    return WAV_HEADER_BYTES + frame_count(seconds, sample_rate) * SAMPLE_WIDTH


def _note(frequency: float, frames: int, sample_rate: int, volume: float) -> bytes:
    samples = array("h")
    attack = max(1, frames // 20)
    step = 2.0 * math.pi * frequency / sample_rate
    for n in range(frames):
        envelope = min(1.0, n / attack) * (1.0 - n / frames) ** 1.5
        value = math.sin(step * n) + 0.3 * math.sin(2.0 * step * n)
        samples.append(int(volume * envelope * value * 32767 / 1.3))
    if samples.itemsize != SAMPLE_WIDTH:  # pragma: no cover - every platform Python runs on
        raise RuntimeError("array('h') is not 16-bit on this platform")
    return samples.tobytes()  # native order; WAV wants little-endian (swapped below if needed)


def synthesize_pcm(seed: str, seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE) -> bytes:
    """Little-endian 16-bit mono PCM of a seeded melody, exactly ``frame_count`` frames long."""
    rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())  # noqa: S311 - reproducible
    root = 196.0 * 2 ** (rng.randrange(0, 7) / 12)  # G3 and up
    note_frames = max(1, int(sample_rate * NOTE_SECONDS))
    notes = [_note(root * 2 ** (step / 12), note_frames, sample_rate, 0.5) for step in _PENTATONIC]
    notes.append(bytes(note_frames * SAMPLE_WIDTH))  # a rest
    motif = [rng.randrange(len(notes)) for _ in range(16)]
    answer = [rng.randrange(len(_PENTATONIC)) for _ in range(16)]
    total = frame_count(seconds, sample_rate)
    beats = -(-total // note_frames)
    chunks = [notes[(motif if (i // 16) % 2 == 0 else answer)[i % 16]] for i in range(beats)]
    pcm = b"".join(chunks)[: total * SAMPLE_WIDTH]
    if struct.pack("=h", 1) != struct.pack("<h", 1):  # pragma: no cover - big-endian hosts
        swapped = array("h", pcm)
        swapped.byteswap()
        pcm = swapped.tobytes()
    return pcm


def synthesize_wav(seed: str, seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE) -> bytes:
    """A complete WAV file of ``seconds`` of seeded music (same seed, same bytes)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(sample_rate)
        writer.writeframes(synthesize_pcm(seed, seconds, sample_rate))
    return buffer.getvalue()
