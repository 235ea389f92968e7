// Verify a JOSE-secured credential (compact JWS, typ vc+jwt) with the key its kid names in a DID
// document, independently of edcbridge: ES256 with npm `jose` (jwtVerify: typ, algorithm, iss),
// ES256K (which jose does not take) with node:crypto and the same rules written out.
// Prints the protected header and the payload as one JSON line; exit 1 if it fails.
// With --signature-only, the signature alone is checked (compactVerify; ES256 only) and the
// payload is printed as the text it is, unread.
// Usage: node verify-jwt-did-document.mjs TOKEN_FILE DID_DOCUMENT_FILE [--signature-only]
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { compactVerify, decodeProtectedHeader, importJWK, jwtVerify } from "jose";

const token = readFileSync(process.argv[2], "utf8").trim();
const document = JSON.parse(readFileSync(process.argv[3], "utf8"));
const header = decodeProtectedHeader(token);
const did = String(header.kid).split("#")[0];
const fragment = "#" + String(header.kid).split("#")[1];
if (document.id !== did) throw new Error(`the DID document is not that of ${did}`);
const method = (document.verificationMethod || []).find((m) => m.id === header.kid || m.id === fragment);
if (!method || !method.publicKeyJwk) throw new Error(`no key ${header.kid} in the DID document`);
let payload;
if (process.argv[4] === "--signature-only") {
  const result = await compactVerify(token, await importJWK(method.publicKeyJwk, "ES256"), { algorithms: ["ES256"] });
  payload = new TextDecoder().decode(result.payload);
} else if (header.alg === "ES256K") {
  if (header.typ !== "vc+jwt") throw new Error(`typ ${header.typ}`);
  const [head, body, signature] = token.split(".");
  const key = createPublicKey({ key: method.publicKeyJwk, format: "jwk" });
  const ok = verify("sha256", Buffer.from(`${head}.${body}`, "ascii"), { key, dsaEncoding: "ieee-p1363" },
                    Buffer.from(signature, "base64url"));
  if (!ok) throw new Error("signature verification failed");
  payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  if (payload.iss !== did) throw new Error(`iss ${payload.iss}`);
} else {
  const key = await importJWK(method.publicKeyJwk, "ES256");
  ({ payload } = await jwtVerify(token, key, { algorithms: ["ES256"], typ: "vc+jwt", issuer: did }));
}
console.log(JSON.stringify({ header, payload }));
