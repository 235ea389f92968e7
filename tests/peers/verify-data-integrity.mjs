// Verify Data Integrity `eddsa-rdfc-2022` proofs with Digital Bazaar's implementation
// (jsonld-signatures, @digitalbazaar/data-integrity, @digitalbazaar/eddsa-rdfc-2022-cryptosuite),
// independently of edcbridge: offline, the contexts from local files, and only one key served:
// the key of the given certificate, as the did:key this library derives from it, or the DID
// document given (a did.json, served at its DID as a did:web resolver would).
// Usage: node verify-data-integrity.mjs CONTEXTS.json (CERT.pem | DID.json) FILE...
//   CONTEXTS.json maps each context URL to a local file.
// Prints one JSON line per file: {ok, embedded: [ok of each credentialSubject.verifiableCredential],
// issuer, errors}; `issuer` is the verdict of @digitalbazaar/vc's CredentialIssuancePurpose on the
// credential and each embedded one (the verification method's controller must be the issuer).
// Exit 1 when any proof fails.
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import jsigs from "jsonld-signatures";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import { CredentialIssuancePurpose } from "@digitalbazaar/vc";

const [contextsFile, keyFile, ...files] = process.argv.slice(2);
const contexts = JSON.parse(readFileSync(contextsFile, "utf8"));
const MULTIKEY = "https://w3id.org/security/multikey/v1";

async function didKeyDocument(certFile) {
  const jwk = new X509Certificate(readFileSync(certFile)).publicKey.export({ format: "jwk" });
  const { publicKeyMultibase } = await (await Ed25519Multikey.fromJwk({ jwk })).export({ publicKey: true });
  const did = `did:key:${publicKeyMultibase}`;
  const methodId = `${did}#${publicKeyMultibase}`;
  return { "@context": ["https://www.w3.org/ns/did/v1", MULTIKEY], id: did,
    verificationMethod: [{ id: methodId, type: "Multikey", controller: did, publicKeyMultibase }],
    assertionMethod: [methodId] };
}

const didDocument = keyFile.endsWith(".json") ? JSON.parse(readFileSync(keyFile, "utf8"))
  : await didKeyDocument(keyFile);
const served = { [didDocument.id]: didDocument };
for (const method of didDocument.verificationMethod ?? []) {
  served[method.id] = { "@context": MULTIKEY, ...method };
}

async function documentLoader(url) {
  if (url in served) return { contextUrl: null, documentUrl: url, document: served[url] };
  if (url in contexts) {
    return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(contexts[url], "utf8")) };
  }
  throw new Error(`not served offline: ${url}`);
}

async function check(credential, purpose) {
  const suite = new DataIntegrityProof({ cryptosuite });
  const result = await jsigs.verify(credential, { suite, purpose, documentLoader });
  const errors = result.error ? (result.error.errors ?? [result.error]).map((e) => e.message) : [];
  return { ok: result.verified, errors };
}

async function verify(credential) {
  const proof = await check(credential, new jsigs.purposes.AssertionProofPurpose());
  const issued = await check(credential, new CredentialIssuancePurpose());
  return { ok: proof.ok, issuer: issued.ok, errors: [...proof.errors, ...issued.errors] };
}

let failed = false;
for (const file of files) {
  const credential = JSON.parse(readFileSync(file, "utf8"));
  const outer = await verify(credential);
  const inner = [];
  let issuer = outer.issuer;
  for (const embedded of credential.credentialSubject?.verifiableCredential ?? []) {
    const checked = await verify(embedded);
    inner.push(checked.ok);
    issuer &&= checked.issuer;
    outer.errors.push(...checked.errors);
  }
  failed ||= !outer.ok || inner.includes(false);
  console.log(JSON.stringify({ ok: outer.ok, embedded: inner, issuer, errors: outer.errors }));
}
process.exit(failed ? 1 : 0);
