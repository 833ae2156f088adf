//! The request as the handlers read it: the runtime's own request object, with its method, URL
//! and headers taken once (the URL parsed once, not at each look). The `worker` crate's
//! `Request` also converts the runtime's `cf` object on every request, which Tocsin never reads
//! (about 2 % of an alert storm's CPU in a profile).

use worker::web_sys;
use worker::{Headers, Method, Url};

pub struct Req {
    raw: web_sys::Request,
    method: Method,
    /// `None` only if the runtime handed over a URL that does not parse (it always parses).
    url: Option<Url>,
    headers: Headers,
}

impl Req {
    pub fn new(raw: web_sys::Request) -> Req {
        Req { method: raw.method().into(), headers: Headers(raw.headers()), url: Url::parse(&raw.url()).ok(), raw }
    }

    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// The URL's path, still percent-encoded.
    pub fn path(&self) -> String {
        self.url.as_ref().map(|u| u.path().to_string()).unwrap_or_else(|| "/".to_string())
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn url(&self) -> worker::Result<Url> {
        self.url.clone().ok_or_else(|| worker::Error::RustError(format!("the request's URL does not parse: {}", self.raw.url())))
    }

    /// The whole body (a body already read reads as an error from the runtime).
    pub async fn bytes(&self) -> worker::Result<Vec<u8>> {
        let promise = self.raw.array_buffer().map_err(worker::Error::from)?;
        let buf = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(worker::Error::from)?;
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    }

    /// The `Accept-Encoding` the client sent: Cloudflare's front line keeps it in
    /// `cf.clientAcceptEncoding` and hands the worker its own (`br, gzip`).
    pub fn client_accept_encoding(&self) -> String {
        let cf = js_sys::Reflect::get(&self.raw, &"cf".into()).ok().filter(|v| v.is_object());
        cf.and_then(|cf| js_sys::Reflect::get(&cf, &"clientAcceptEncoding".into()).ok()?.as_string())
            .or_else(|| self.headers.get("Accept-Encoding").ok().flatten())
            .unwrap_or_default()
    }

    /// The `worker` crate's request for the same runtime request: for the few paths that hand
    /// the request on (the static assets) or read a body of unknown length as a stream.
    pub fn to_worker(&self) -> worker::Request {
        worker::Request::from(Clone::clone(&self.raw))
    }
}
