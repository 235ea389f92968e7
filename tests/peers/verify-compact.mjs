// Verify a compact JWS (header.payload.signature) with npm `jose`, independently of edcbridge,
// with the key of the first x5c certificate; prints the payload, exit 1 if it fails.
// Usage: node verify-compact.mjs FILE
import { readFileSync } from "node:fs";
import { compactVerify, importX509, decodeProtectedHeader } from "jose";

const token = readFileSync(process.argv[2], "utf8").trim();
const header = decodeProtectedHeader(token);
const pem = `-----BEGIN CERTIFICATE-----\n${header.x5c[0].match(/.{1,64}/g).join("\n")}\n-----END CERTIFICATE-----\n`;
const algorithms = ["RS256", "PS256", "ES256", "ES384", "ES512"];
const result = await compactVerify(token, await importX509(pem, header.alg), { algorithms, crit: { sigT: true } });
console.log(new TextDecoder().decode(result.payload));
