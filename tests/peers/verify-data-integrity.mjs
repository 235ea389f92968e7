// Verify Data Integrity `eddsa-rdfc-2022` proofs with Digital Bazaar's implementation
// (jsonld-signatures, @digitalbazaar/data-integrity, @digitalbazaar/eddsa-rdfc-2022-cryptosuite),
// independently of edcbridge: offline, the contexts from local files, and only the key of the
// given certificate served, as the did:key this library derives from it.
// Usage: node verify-data-integrity.mjs CONTEXTS.json CERT.pem FILE...
//   CONTEXTS.json maps each context URL to a local file.
// Prints one JSON line per file: {ok, embedded: [ok of each credentialSubject.verifiableCredential],
// errors}; exit 1 when any proof fails.
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import jsigs from "jsonld-signatures";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";

const [contextsFile, certFile, ...files] = process.argv.slice(2);
const contexts = JSON.parse(readFileSync(contextsFile, "utf8"));
const jwk = new X509Certificate(readFileSync(certFile)).publicKey.export({ format: "jwk" });
const { publicKeyMultibase } = await (await Ed25519Multikey.fromJwk({ jwk })).export({ publicKey: true });
const did = `did:key:${publicKeyMultibase}`;
const methodId = `${did}#${publicKeyMultibase}`;
const method = { "@context": "https://w3id.org/security/multikey/v1", id: methodId, type: "Multikey",
  controller: did, publicKeyMultibase };
const served = {
  [methodId]: method,
  [did]: { "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], id: did,
    verificationMethod: [method], assertionMethod: [methodId] },
};

async function documentLoader(url) {
  if (url in served) return { contextUrl: null, documentUrl: url, document: served[url] };
  if (url in contexts) {
    return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(contexts[url], "utf8")) };
  }
  throw new Error(`not served offline: ${url}`);
}

async function verify(credential) {
  const suite = new DataIntegrityProof({ cryptosuite });
  const result = await jsigs.verify(credential, {
    suite, purpose: new jsigs.purposes.AssertionProofPurpose(), documentLoader });
  const errors = result.error ? (result.error.errors ?? [result.error]).map((e) => e.message) : [];
  return { ok: result.verified, errors };
}

let failed = false;
for (const file of files) {
  const credential = JSON.parse(readFileSync(file, "utf8"));
  const outer = await verify(credential);
  const inner = [];
  for (const embedded of credential.credentialSubject?.verifiableCredential ?? []) {
    const checked = await verify(embedded);
    inner.push(checked.ok);
    outer.errors.push(...checked.errors);
  }
  failed ||= !outer.ok || inner.includes(false);
  console.log(JSON.stringify({ ok: outer.ok, embedded: inner, errors: outer.errors }));
}
process.exit(failed ? 1 : 0);
