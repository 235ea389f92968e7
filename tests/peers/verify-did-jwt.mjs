// Verify a compact JWS signed with an EC key given as a public key PEM, independently of
// edcbridge: ES256 with npm `jose`, ES256K (which jose does not take) with node:crypto.
// Prints the protected header and the payload as one JSON line; exit 1 if it fails.
// Usage: node verify-did-jwt.mjs TOKEN_FILE PUBLIC_KEY_PEM_FILE
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { compactVerify, decodeProtectedHeader, importSPKI } from "jose";

const token = readFileSync(process.argv[2], "utf8").trim();
const pem = readFileSync(process.argv[3], "utf8");
const header = decodeProtectedHeader(token);
let payload;
if (header.alg === "ES256K") {
  const [head, body, signature] = token.split(".");
  const ok = verify("sha256", Buffer.from(`${head}.${body}`, "ascii"),
                    { key: createPublicKey(pem), dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"));
  if (!ok) throw new Error("signature verification failed");
  payload = Buffer.from(body, "base64url").toString("utf8");
} else {
  const result = await compactVerify(token, await importSPKI(pem, header.alg), { algorithms: ["ES256"] });
  payload = new TextDecoder().decode(result.payload);
}
console.log(JSON.stringify({ header, payload: JSON.parse(payload) }));
