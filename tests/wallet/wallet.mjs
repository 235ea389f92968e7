// An independent OpenID4VCI 1.0 wallet (npm @openid4vc/openid4vci) for the edcbridge tests.
//
//   node wallet.mjs OFFER_LINK [--tx-code PIN] [--wrong-tx-code PIN] [--copies N]
//
// Runs offer -> issuer metadata -> token (pre-authorized code, PIN) -> nonce -> key proof ->
// credential -> notification against the issuer named in the offer, and prints one JSON object:
// {credential, holderJwk (with the private part, for the key-binding check), notificationId,
//  configurationId, wrongTxCodeError, credentials, holderJwks}. With --copies N it asks for a
// batch: N key proofs, each of a key of its own, all with the one c_nonce; credentials and
// holderJwks then hold the N copies and their keys, in order. Any failure: exit 1 and
// {"error", "status", "body"}.
import { createHash, randomBytes } from 'node:crypto'
import { clientAuthenticationAnonymous, setGlobalConfig } from '@openid4vc/oauth2'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'

setGlobalConfig({ allowInsecureUrls: true }) // the test issuer runs on http://127.0.0.1

const args = process.argv.slice(2)
const offerLink = args[0]
const option = (name) => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}

async function newKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  return { privateKey, publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) }
}

const keys = []
for (let copy = 0; copy < Number(option('--copies') ?? 1); copy += 1) keys.push(await newKey())
const { publicJwk, privateJwk } = keys[0]

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    clientAuthentication: clientAuthenticationAnonymous(),
    generateRandom: (length) => randomBytes(length),
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== 'jwk') throw new Error(`signer method ${signer.method} is not supported here`)
      const key = keys.find((k) => k.publicJwk.x === signer.publicJwk.x && k.publicJwk.y === signer.publicJwk.y)
      const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey)
      return { jwt, signerJwk: key.publicJwk }
    },
  },
})

function describe(error) {
  return {
    error: error.errorResponse?.error ?? error.constructor?.name ?? 'Error',
    description: error.errorResponse?.error_description ?? error.message,
    status: error.response?.status,
  }
}

try {
  const credentialOffer = await client.resolveCredentialOffer(offerLink)
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer)
  const configurationId = credentialOffer.credential_configuration_ids[0]

  let wrongTxCodeError = null
  const wrong = option('--wrong-tx-code')
  if (wrong !== undefined) {
    try {
      await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode: wrong })
      throw new Error('the issuer accepted a wrong transaction code')
    } catch (error) {
      if (error.message === 'the issuer accepted a wrong transaction code') throw error
      wrongTxCodeError = describe(error)
    }
  }
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode: option('--tx-code'),
  })
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
  const jwts = []
  for (const key of keys) {
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configurationId,
      nonce,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: key.publicJwk },
    })
    jwts.push(jwt)
  }
  const response = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: { jwt: jwts },
  })
  const body = response.credentialResponse
  await client.sendNotification({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    notification: { notificationId: body.notification_id, event: 'credential_accepted' },
  })
  process.stdout.write(JSON.stringify({
    configurationId,
    version: issuerMetadata.originalDraftVersion,
    credential: body.credentials[0].credential,
    notificationId: body.notification_id,
    holderJwk: privateJwk,
    wrongTxCodeError,
    credentials: body.credentials.map((entry) => entry.credential),
    holderJwks: keys.map((key) => key.privateJwk),
  }) + '\n')
} catch (error) {
  process.stdout.write(JSON.stringify({ ...describe(error), stack: String(error.stack) }) + '\n')
  process.exit(1)
}
