//! Giving the browser its turn: `after_paint` (the next frame has been painted) and `next_task`
//! (a fresh task of the event loop). Work that follows an awaited promise runs in the same task
//! as whatever resolved it, so without a turn in between a cold start's steps (main module, the
//! session, the shell, the screen's bundle, the screen's data) pile up into a few long tasks that
//! block input; with one, each step is a task of its own and a tap can be handled between them.

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = __tocsinAfterPaint)]
    fn after_next_paint() -> js_sys::Promise;
    #[wasm_bindgen(js_name = __tocsinNextTask)]
    fn next_turn() -> js_sys::Promise;
}

/// Resolves after the next frame has been painted and the browser has been idle a moment (app/boot.js
/// `__tocsinAfterPaint`), or at once should that fail (the sender dropped).
pub fn after_paint() -> futures_channel::oneshot::Receiver<()> {
    let (tx, rx) = futures_channel::oneshot::channel();
    leptos::task::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(after_next_paint()).await.is_ok() {
            let _ = tx.send(());
        }
    });
    rx
}

/// Resolves in a new task of the browser's event loop (app/boot.js `__tocsinNextTask`).
pub async fn next_task() {
    let _ = wasm_bindgen_futures::JsFuture::from(next_turn()).await;
}
