"""Score a local clip with fal: ``python score_local_clip_with_fal.py CLIP [OUT_DIR]``.

The clip is uploaded to fal's storage before the submit (once: the journal remembers
the upload, so a rerun or ``musicbind resume`` never uploads it again), and its length is
read from the file, so the price is known and offset + duration past the end of the clip
is refused before anything is sent. Needs FAL_KEY (or the variables ``musicbind
emulate`` prints, to try it against the local emulator).
"""

import sys
from pathlib import Path

from pydantic import ValidationError

from musicbind.generated.fal.client import FalClient

clip = Path(sys.argv[1])
out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("music")

with FalClient() as fal:
    # The price of scoring 8 s from second 2: the clip's length comes from the file.
    payload = {"video_url": clip, "start_offset": 2, "duration": 8}
    print("estimated cost:", fal.estimate_cost("fal:sonilo/v1.1/video-to-music", payload), "USD")

    try:  # past the end of the clip: refused here, nothing uploaded, nothing paid
        fal.sonilo_v1_1_video_to_music(video_url=str(clip), start_offset=10, duration=60)
    except ValidationError as error:
        print("refused:", error.errors()[0]["msg"])

    job = fal.submit_sonilo_v1_1_video_to_music(
        video_url=str(clip), start_offset=2, duration=8, max_cost="0.10"
    )
    print("job", job.job_id)
    job.wait()
    for path in job.download(out):
        print("saved", path)
