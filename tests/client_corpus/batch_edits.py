"""A Batch of image edits: upload the picture, write JSON edit lines that name it by file_id, poll, read."""

import base64
import json


def main(client, aclient, workdir):
    picture = client.files.create(file=workdir / "cat.png", purpose="vision")
    mask_url = "data:image/png;base64," + base64.b64encode((workdir / "mask.png").read_bytes()).decode()
    lines = [{"custom_id": f"hat-{color}", "method": "POST", "url": "/v1/images/edits",
              "body": {"model": "gpt-image-2", "prompt": f"Add a {color} hat", "size": "1024x640",
                       "images": [{"file_id": picture.id}], "mask": {"image_url": mask_url}}}
             for color in ("red", "green")]
    requests = workdir / "edits.jsonl"
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    uploaded = client.files.create(file=requests, purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/edits", completion_window="24h")
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.request_counts.completed == 2
    results = [json.loads(line) for line in client.files.content(batch.output_file_id).text.splitlines()]
    assert sorted(r["custom_id"] for r in results) == ["hat-green", "hat-red"]
    assert all(r["response"]["status_code"] == 200 for r in results)
