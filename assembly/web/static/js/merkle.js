// RFC 9162 (Certificate Transparency 2.0) inclusion proofs, verified in the browser with SubtleCrypto.
// The receipt's tracker is the leaf hash SHA-256(0x00 || entry); interior nodes are
// SHA-256(0x01 || left || right). Section 2.1.3.2 gives the verification algorithm used here.

import { openNote, parseVkey } from "./note.js";

export function fromHex(hex) {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) throw new Error("the browser offers SubtleCrypto only on HTTPS or localhost pages");
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export async function nodeHash(left, right) {
  const joined = new Uint8Array(1 + left.length + right.length);
  joined[0] = 1;
  joined.set(left, 1);
  joined.set(right, 1 + left.length);
  return sha256(joined);
}

export async function leafHash(entry) {
  const joined = new Uint8Array(1 + entry.length);
  joined.set(entry, 1);
  return sha256(joined);
}

/** The root an inclusion proof leads to, or an Error when the proof cannot be for this index and size. */
export async function rootFromInclusionProof(leafIndex, treeSize, leaf, proof) {
  if (!(leafIndex >= 0 && leafIndex < treeSize)) throw new Error("leaf index outside the tree");
  let fn = leafIndex, sn = treeSize - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error("proof longer than the path");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("proof shorter than the path");
  return r;
}

/** Origin, size and root of a C2SP signed-note checkpoint (its body's first three lines). */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 3 || !/^\d+$/.test(lines[1])) throw new Error("not a checkpoint");
  const root = Uint8Array.from(atob(lines[2]), (c) => c.charCodeAt(0));
  if (root.length !== 32) throw new Error("checkpoint root is not 32 bytes");
  return { origin: lines[0], treeSize: Number(lines[1]), root };
}

/**
 * Verify a receipt from GET /api/audit/receipts/{tracker}: the checkpoint is signed by the log's key
 * (`vkey`, when given) and the tracker's leaf is under the checkpoint's root.
 */
export async function verifyReceipt(receipt, vkey) {
  let body = receipt.checkpoint;
  if (vkey) body = await openNote(receipt.checkpoint, await parseVkey(vkey));
  const checkpoint = parseCheckpoint(body);
  if (checkpoint.treeSize !== receipt.tree_size) throw new Error("proof and checkpoint are for different trees");
  const root = await rootFromInclusionProof(
    receipt.leaf_index, receipt.tree_size, fromHex(receipt.tracker), receipt.inclusion_proof.map(fromHex));
  const ok = toHex(root) === toHex(checkpoint.root);
  return { ok, signed: Boolean(vkey), root: toHex(root), checkpoint };
}
