"""A receiver process for the layer tests: takes messages from one normal channel
with receive_batch and reports them as JSON lines on stdout.

    python -m tests.channels1.layer.receiver URL[,URL...] PREFIX CHANNEL (ack|hold) [VISIBILITY]

`ack` acknowledges each message and ends after 2 s without one; `hold` takes what it
can, never acknowledges, and waits to be killed.
"""

import asyncio
import json
import sys
import time

from channels1.layer import RedisChannelLayer


async def main(urls, prefix, channel, mode, visibility="30"):
    layer = RedisChannelLayer(hosts=urls.split(","), prefix=prefix, visibility_timeout=float(visibility))
    print(json.dumps({"ready": True}), flush=True)
    last = time.monotonic()
    while time.monotonic() - last < 2 or mode == "hold":
        deliveries = await layer.receive_batch([channel], 50)
        if deliveries:
            last = time.monotonic()
        for delivery in deliveries:
            if mode == "ack":
                layer.ack(delivery)
            print(json.dumps({"i": delivery.message["i"], "deliveries": delivery.deliveries}), flush=True)
    await layer.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
