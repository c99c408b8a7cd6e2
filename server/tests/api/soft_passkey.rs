//! A passkey kept in memory, answering WebAuthn ceremonies as a platform authenticator
//! would: a P-256 key (ES256), "none" attestation, user present and verified. It signs
//! what the server's options ask for, so the server checks real signatures; the browser
//! suite uses Chromium's own virtual authenticator instead.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// User present, user verified.
const PRESENT_VERIFIED: u8 = 0x01 | 0x04;
/// The same, with attested credential data following.
const WITH_CREDENTIAL: u8 = PRESENT_VERIFIED | 0x40;

pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The page's origin the browser would report ("http://frontdesk.test").
    origin: String,
    rp_id: String,
    user_handle: Vec<u8>,
    counter: u32,
    /// Whether it counts its signatures (synced passkeys report 0 always).
    counting: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A CBOR byte string's head and bytes.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = match bytes.len() {
        n if n < 24 => vec![0x40 | u8::try_from(n).unwrap()],
        n if n < 256 => vec![0x58, u8::try_from(n).unwrap()],
        n => {
            let n = u16::try_from(n).expect("short");
            vec![0x59, (n >> 8) as u8, (n & 0xff) as u8]
        }
    };
    out.extend_from_slice(bytes);
    out
}

/// A CBOR text string (under 24 bytes).
fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = vec![0x60 | u8::try_from(text.len()).unwrap()];
    out.extend_from_slice(text.as_bytes());
    out
}

impl SoftPasskey {
    /// A new passkey for pages at `origin`, whose host is the relying party.
    pub fn new(origin: &str) -> Self {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        let mut credential_id = vec![0u8; 16];
        rand::fill(&mut credential_id[..]);
        let rp_id = origin
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .expect("a host")
            .to_owned();
        Self {
            key: SigningKey::from_slice(&secret).expect("a P-256 key"),
            credential_id,
            origin: origin.to_owned(),
            rp_id,
            user_handle: Vec::new(),
            counter: 0,
            counting: true,
        }
    }

    /// The same passkey reporting no signature counter, as synced passkeys do: only the
    /// server's challenge tells one answer from another.
    pub fn without_counter(mut self) -> Self {
        self.counting = false;
        self
    }

    /// The same passkey answering for another origin (a phishing page's, say).
    pub fn at_origin(&self, origin: &str) -> Self {
        Self {
            key: self.key.clone(),
            credential_id: self.credential_id.clone(),
            origin: origin.to_owned(),
            rp_id: self.rp_id.clone(),
            user_handle: self.user_handle.clone(),
            counter: self.counter,
            counting: self.counting,
        }
    }

    /// Another key claiming this passkey's credential id: what a forger without the
    /// device's private key could send.
    pub fn impostor(&self) -> Self {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        Self {
            key: SigningKey::from_slice(&secret).expect("a P-256 key"),
            ..self.at_origin(&self.origin)
        }
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("a challenge");
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    fn auth_data(&self, flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// The public key as COSE: EC2, ES256, P-256, x and y.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        out.extend(cbor_bytes(point.x().expect("x")));
        out.push(0x22);
        out.extend(cbor_bytes(point.y().expect("y")));
        out
    }

    /// A credential with this passkey's ID and `response`, as `toJSON()` writes it.
    fn credential(&self, response: Value) -> Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        })
    }

    /// The answer to `navigator.credentials.create()` with the server's `options` (the
    /// `publicKey` object), as the credential's `toJSON()` writes it.
    pub fn register(&mut self, options: &Value) -> Value {
        self.user_handle = URL_SAFE_NO_PAD
            .decode(options["user"]["id"].as_str().expect("a user handle"))
            .expect("base64url");
        let client_data = self.client_data("webauthn.create", options);
        let mut auth_data = self.auth_data(WITH_CREDENTIAL);
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(
            &u16::try_from(self.credential_id.len())
                .unwrap()
                .to_be_bytes(),
        );
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        self.credential(json!({
            "clientDataJSON": b64(&client_data),
            "attestationObject": b64(&attestation),
            "transports": ["internal"],
        }))
    }

    /// The answer to `navigator.credentials.get()` with the server's `options`.
    pub fn sign_in(&mut self, options: &Value) -> Value {
        if self.counting {
            self.counter += 1;
        }
        let client_data = self.client_data("webauthn.get", options);
        let auth_data = self.auth_data(PRESENT_VERIFIED);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        self.credential(json!({
            "clientDataJSON": b64(&client_data),
            "authenticatorData": b64(&auth_data),
            "signature": b64(signature.to_der().as_bytes()),
            "userHandle": b64(&self.user_handle),
        }))
    }
}
