"""Use webhooks instead of polling: ``python use_webhooks.py VIDEO_URL [OUT_DIR]``.

A small receiver (``musicbind.runtime.webhooks_asgi.WebhookReceiver``, any ASGI server
runs it; here uvicorn on loopback) verifies fal's signed callbacks against fal's public
keys and records each job's outcome in the journal. ``job.wait()`` then reads it from the
journal instead of polling, and falls back to polling if no callback came in time. In
production the receiver runs on a public URL (behind your web server) and shares the
journal with the process that submits. Needs FAL_KEY (or the variables ``musicbind
emulate`` prints), PyNaCl and uvicorn (``pip install 'musicbind[webhooks]' uvicorn``).
"""

import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

from musicbind.generated import get_binding
from musicbind.generated.fal import PROTOCOL
from musicbind.runtime.client import Client
from musicbind.runtime.webhooks import WebhookTarget, jwks_url_for
from musicbind.runtime.webhooks_asgi import WebhookReceiver

video_url = sys.argv[1]
out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("music")

with Client(protocol=PROTOCOL) as fal:  # FAL_KEY and the base URL from the environment
    # The receiver: fal's keys come from fal's JWKS (the emulator serves its own).
    receiver = WebhookReceiver(fal.journal.path, jwks_url=jwks_url_for(fal.base_url))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(receiver, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)

    job = fal.submit(
        get_binding("fal:sonilo/v1.1/video-to-music"),
        {"video_url": video_url, "duration": 8},
        webhook_url=WebhookTarget(f"http://127.0.0.1:{port}/fal", fallback_after_s=600),
    )
    print("job", job.job_id, "- waiting for its webhook")
    print("state:", job.wait().state)
    for path in job.download(out):
        print("saved", path)
    server.should_exit = True
