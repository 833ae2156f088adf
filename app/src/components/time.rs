//! Times as responders read them: "4 min ago", and local wall-clock "14:05".

use chrono::{DateTime, Utc};

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

pub fn ago(t: DateTime<Utc>, now_ms: i64) -> String {
    let secs = ((now_ms - t.timestamp_millis()) / 1000).max(0);
    match secs {
        0..=44 => "just now".into(),
        45..=3599 => format!("{} min ago", (secs + 30) / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// Local time of day (the browser's time zone), with the date when it is not today.
pub fn clock(t: DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
    let today = js_sys::Date::new_0();
    let hm = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
    if d.to_date_string() == today.to_date_string() {
        hm
    } else {
        format!("{} {}", String::from(d.to_date_string()).chars().skip(4).take(6).collect::<String>(), hm)
    }
}
