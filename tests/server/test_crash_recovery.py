"""Kill `contentkit serve` (SIGKILL) in the middle of a HEC replay, restart it on the same data
folder, and find every acknowledged event."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import splunklib.client as client
import splunklib.results as results

from contentkit.replay.hec import HecClient, HecError
from contentkit.server.process import start_server

BATCH = 400


def _batch(i: int) -> bytes:
    lines = [
        json.dumps(
            {
                "time": 1793610000 + i * BATCH + j,
                "batch": i,
                "seq": j,
                "message": f"event {j} of batch {i} " + "x" * 200,
            }
        )
        for j in range(BATCH)
    ]
    return "\n".join(lines).encode()


def test_acknowledged_events_survive_a_kill(tmp_path: Path) -> None:
    data = tmp_path / "splunkd"
    first = start_server(data)
    hec = HecClient(first.hec_url, first.hec_token)
    acknowledged: list[int] = []  # batches whose ack id the server confirmed
    sent: list[int] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def send() -> None:
        try:
            i = 0
            while not stop.is_set():
                ack = hec.send_raw(_batch(i), index="main", source="crash", sourcetype="_json")
                sent.append(i)
                assert ack is not None
                hec.wait_acks([ack], timeout=10)
                acknowledged.append(i)
                i += 1
        except HecError:
            return  # the server went away mid-replay
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 10 and time.monotonic() < deadline and sender.is_alive():
        time.sleep(0.01)
    first.stop(kill=True)  # SIGKILL while batches are in flight
    stop.set()
    sender.join(timeout=20)
    hec.close()
    assert not failure, failure
    assert len(acknowledged) >= 10

    second = start_server(data)
    try:
        service = client.connect(
            host="127.0.0.1",
            port=second.port,
            scheme="http",
            username=second.username,
            password=second.password,
        )
        stream = service.jobs.oneshot(
            "search index=main source=crash | stats count dc(seq) as distinct by batch",
            output_mode="json",
            count=0,
        )
        found = {
            int(r["batch"]): (int(r["count"]), int(r["distinct"]))
            for r in results.JSONResultsReader(stream)
            if isinstance(r, dict)
        }
        for i in acknowledged:
            assert found.get(i) == (BATCH, BATCH), f"acknowledged batch {i} lost: {found.get(i)}"
        # a batch is stored whole or not at all
        assert all(v == (BATCH, BATCH) for v in found.values())
        assert set(found) <= set(sent) | {max(sent, default=0) + 1}
        # the channel's acknowledgements survive too
        again = HecClient(second.hec_url, second.hec_token)
        again.channel = hec.channel
        again.wait_acks(range(len(acknowledged)), timeout=5)
        again.close()
    finally:
        second.stop()
