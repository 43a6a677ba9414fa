"""The browser's receipt check (assembly/web/static/js/merkle.js, note.js) against the server's own
RFC 9162 tree and C2SP signed checkpoints (assembly/audit/log), in headless Chromium's SubtleCrypto."""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any

import pytest

from assembly.audit.log.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from assembly.audit.log.merkle import MerkleTree, leaf_hash
from assembly.web.controllers import STATIC_DIR

pytestmark = pytest.mark.e2e

ORIGIN = "assembly.test/log"
VERIFY = """async ([receipt, vkey]) => {
  const { verifyReceipt } = await import("/app/js/merkle.js");
  try { const v = await verifyReceipt(receipt, vkey); return v.ok ? "ok" : "mismatch"; }
  catch (error) { return "error: " + error.message; }
}"""


@pytest.fixture
async def page(browser: Any) -> Any:
    """A page whose /app/ files come straight from the package directory (no server needed)."""
    context = await browser.new_context()

    async def serve(route: Any) -> None:
        path = route.request.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        file = STATIC_DIR / path.removeprefix("app/")
        if not path.startswith("app/") or not file.is_file():
            await route.fulfill(status=404, body="")
            return
        await route.fulfill(status=200, body=file.read_bytes(),
                            content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream")

    await context.route("https://assembly.test/**", serve)
    page = await context.new_page()
    await page.goto("https://assembly.test/app/index.html")
    yield page
    await context.close()


def _receipt(tree: MerkleTree, index: int, size: int, signer: NoteSigner) -> dict[str, Any]:
    note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), signer)
    return {"tracker": tree.leaf_hash_at(index).hex(), "leaf_index": index, "tree_size": size,
            "inclusion_proof": [p.hex() for p in tree.inclusion_proof(index, size)], "checkpoint": note}


async def test_every_leaf_of_trees_of_many_sizes_verifies(page: Any) -> None:
    signer = NoteSigner(ORIGIN, hashlib.sha256(b"e2e log key").digest())
    vkey = signer.verifier.vkey
    tree = MerkleTree()
    for n in range(1, 20):
        tree.append(leaf_hash(f"entry {n}".encode()))
    for size in (1, 2, 3, 5, 8, 13, 19):
        for index in range(size):
            assert await page.evaluate(VERIFY, [_receipt(tree, index, size, signer), vkey]) == "ok", (index, size)


async def test_a_tampered_receipt_or_a_foreign_signature_is_refused(page: Any) -> None:
    signer = NoteSigner(ORIGIN, hashlib.sha256(b"e2e log key").digest())
    other = NoteSigner(ORIGIN, hashlib.sha256(b"another key").digest())
    tree = MerkleTree()
    for n in range(11):
        tree.append(leaf_hash(f"entry {n}".encode()))
    good = _receipt(tree, 6, 11, signer)
    assert await page.evaluate(VERIFY, [good, signer.verifier.vkey]) == "ok"

    wrong_leaf = {**good, "tracker": tree.leaf_hash_at(7).hex()}
    assert await page.evaluate(VERIFY, [wrong_leaf, signer.verifier.vkey]) == "mismatch"
    wrong_index = {**good, "leaf_index": 7}
    assert await page.evaluate(VERIFY, [wrong_index, signer.verifier.vkey]) != "ok"
    short_proof = {**good, "inclusion_proof": good["inclusion_proof"][:-1]}
    assert await page.evaluate(VERIFY, [short_proof, signer.verifier.vkey]) == "error: proof shorter than the path"
    # A checkpoint signed by another key, or a signed text altered afterwards, is refused.
    assert (await page.evaluate(VERIFY, [_receipt(tree, 6, 11, other), signer.verifier.vkey])).startswith("error")
    lines = good["checkpoint"].split("\n")
    lines[1] = "12"
    forged = {**good, "checkpoint": "\n".join(lines), "tree_size": 12}
    assert await page.evaluate(VERIFY, [forged, signer.verifier.vkey]) == "error: the log's signature does not verify"
