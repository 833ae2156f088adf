//! The runtime's native WebCrypto (`crypto.subtle`), for the one operation that is slow in wasm:
//! a Web Push message's key agreement. Each message needs a fresh P-256 key pair and an ECDH with
//! the subscription's key — two scalar multiplications, about a tenth of the isolate's CPU in an
//! alert storm when done by the `p256` crate in wasm, a small fraction of that natively. The
//! rest of the encryption (HKDF, AES-GCM) stays in `tocsin_domain::webpush`, which also keeps the
//! pure-Rust agreement for tests.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// An agreement for one message: the fresh key pair's public point (65 bytes, uncompressed) and
/// the shared secret with the peer (32 bytes). The private key never leaves the runtime.
pub struct Agreement {
    pub public: Vec<u8>,
    pub secret: Vec<u8>,
}

fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

fn get(o: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(o, &JsValue::from_str(key)).map_err(describe)
}

fn object(fields: &[(&str, &JsValue)]) -> Result<JsValue, String> {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &JsValue::from_str(k), v).map_err(describe)?;
    }
    Ok(o.into())
}

/// `crypto.subtle.<method>(...args)`, awaited.
async fn subtle(method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let subtle = get(&get(&js_sys::global(), "crypto")?, "subtle")?;
    let f: Function = get(&subtle, method)?.dyn_into().map_err(|_| format!("crypto.subtle.{method} is not a function"))?;
    let promise: Promise = f.apply(&subtle, &args.iter().map(|a| (*a).clone()).collect::<Array>()).map_err(describe)?.dyn_into().map_err(|_| format!("crypto.subtle.{method} returned no promise"))?;
    JsFuture::from(promise).await.map_err(describe)
}

/// A fresh P-256 key pair and its ECDH secret with `peer` (an uncompressed point, 65 bytes,
/// already checked to be on the curve: `webpush::uncompressed_key`). An error is the runtime's
/// (its message), not the key's: the send is tried again later.
pub async fn ephemeral_ecdh(peer: &[u8]) -> Result<Agreement, String> {
    let curve = object(&[("name", &"ECDH".into()), ("namedCurve", &"P-256".into())])?;
    let peer = subtle("importKey", &[&"raw".into(), &Uint8Array::from(peer).into(), &curve, &false.into(), &Array::new().into()]).await?;
    let usages: JsValue = Array::of1(&"deriveBits".into()).into();
    let pair = subtle("generateKey", &[&curve, &false.into(), &usages]).await?;
    let (private, public) = (get(&pair, "privateKey")?, get(&pair, "publicKey")?);
    let derive = object(&[("name", &"ECDH".into()), ("public", &peer)])?;
    let raw: JsValue = "raw".into();
    let bits: JsValue = 256.into();
    // A public key is always exportable, whatever the pair's `extractable`.
    let (exported, secret) = futures_util::future::join(subtle("exportKey", &[&raw, &public]), subtle("deriveBits", &[&derive, &private, &bits])).await;
    let bytes = |v: JsValue| Uint8Array::new(&v).to_vec();
    Ok(Agreement { public: bytes(exported?), secret: bytes(secret?) })
}
