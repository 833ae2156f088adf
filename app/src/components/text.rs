//! Case-insensitive matching of what people type against names, through the browser's own
//! Unicode case mapping (`String.prototype.toLowerCase`): Rust's `str::to_lowercase` would ship
//! its ~12 KB conversion table in every screen that searches people.

/// `s` in lower case, every script included ("Zoë", "ÅSA" → "åsa").
pub fn lower(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

/// Whether `name` contains `query` (already lowered with [`lower`]), ignoring case.
pub fn name_matches(name: &str, query_lower: &str) -> bool {
    query_lower.is_empty() || lower(name).contains(query_lower)
}
