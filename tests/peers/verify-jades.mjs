// Verify JAdES JSON seals with npm `jose`, independently of edcbridge.
// Usage: node verify-jades.mjs FILE...  -> one JSON line per file; exit 1 if any fails.
import { readFileSync } from "node:fs";
import { generalVerify, importX509, decodeProtectedHeader } from "jose";

const algorithms = ["RS256", "PS256", "ES256", "ES384", "ES512"];
// JAdES header parameters that may appear in `crit`; jose refuses unknown critical names.
const crit = { sigT: true, adoTst: true };

function pem(der) {
  const lines = der.match(/.{1,64}/g).join("\n");
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const header = decodeProtectedHeader(doc.signatures[0]);
    if (header.b64 !== false) throw new Error("expected an unencoded payload (b64: false)");
    const key = await importX509(pem(header.x5c[0]), header.alg);
    const result = await generalVerify(doc, key, { algorithms, crit });
    const payload = new TextDecoder().decode(result.payload);
    if (payload !== doc.payload) throw new Error("verified payload differs from the document");
    console.log(JSON.stringify({ file, ok: true, alg: header.alg, bytes: result.payload.length }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file, ok: false, error: `${error.code ?? error.name}: ${error.message}` }));
  }
}
process.exit(failed ? 1 : 0);
