// C2SP signed notes (c2sp.org/signed-note): check the log's Ed25519 signature on a checkpoint in the
// browser, with the verifier key the server publishes at /.well-known/assembly-log-key.

const EM_DASH = "\u2014";

function b64(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

/** Parse a verifier key `name+hexkeyid+base64(0x01 || 32-byte Ed25519 public key)`. */
export async function parseVkey(vkey) {
  // Base64 may itself contain "+": only the first two separate fields.
  const [name, hexId, ...rest] = vkey.trim().split("+");
  const material = rest.join("+");
  const raw = b64(material || "");
  if (!name || !/^[0-9a-f]{8}$/.test(hexId || "") || raw.length !== 33 || raw[0] !== 1) throw new Error("not an Ed25519 verifier key");
  // The key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key): recompute it.
  const idInput = new Uint8Array([...new TextEncoder().encode(name + "\n"), ...raw]);
  const id = new Uint8Array(await crypto.subtle.digest("SHA-256", idInput)).slice(0, 4);
  if (Array.from(id, (b) => b.toString(16).padStart(2, "0")).join("") !== hexId) throw new Error("key id does not match the key");
  const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, id, key };
}

/** The note's text when `verifier` signed it; throws otherwise. */
export async function openNote(note, verifier) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("note has no signatures");
  const text = note.slice(0, split + 1);
  const message = new TextEncoder().encode(text);
  for (const line of note.slice(split + 2).split("\n")) {
    if (!line) continue;
    const [dash, name, encoded] = line.split(" ");
    if (dash !== EM_DASH || name !== verifier.name) continue;
    const blob = b64(encoded);
    if (blob.length !== 68 || !blob.slice(0, 4).every((b, i) => b === verifier.id[i])) continue;
    if (await crypto.subtle.verify({ name: "Ed25519" }, verifier.key, blob.slice(4), message)) return text;
    throw new Error("the log's signature does not verify");
  }
  throw new Error("the note is not signed by the log's key");
}
