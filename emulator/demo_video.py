"""Emulator: how the shipped demo video was made (run on demand; PyAV is not a dependency).

``python -m emulator.demo_video OUT.mp4`` writes a 12.0 s, 96x64, 4 fps H.264 MP4 of a moving
colour gradient, about 5 KB: the file shipped as ``emulator/media/demo.mp4``. It needs PyAV
(``pip install av``, whose wheels bundle ffmpeg with libx264); nothing else in musicbind does.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

WIDTH, HEIGHT, FPS, SECONDS = 96, 64, 4, 12


def _frame_rgb(index: int) -> bytes:
    pixels = bytearray()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            pixels += bytes(
                ((x * 2 + index * 8) % 256, (y * 3 + index * 5) % 256, index * 20 % 256)
            )
    return bytes(pixels)


def make_demo_video(path: Path) -> None:
    """Write the demo video to ``path``."""
    av: Any = __import__("av")  # optional: only this maker needs it
    container = av.open(str(path), "w", options={"movflags": "+faststart"})
    stream = container.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    stream.options = {"bf": "0", "crf": "38", "preset": "veryslow"}  # no B-frames: no edit list
    stream.codec_context.time_base = Fraction(1, FPS)
    for index in range(FPS * SECONDS):
        frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
        frame.planes[0].update(_frame_rgb(index))
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        for packet in stream.encode(frame.reformat(format="yuv420p")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()


if __name__ == "__main__":
    make_demo_video(Path(sys.argv[1] if len(sys.argv) > 1 else "demo.mp4"))
