//! What a request's work leaves for after its response, as data. A handler records it on its
//! request (`Cx::after`), `http::handle` hands it back with the response, and the shell
//! (`lib.rs`) carries it out once the response is on its way. Nothing is kept between requests:
//! with many requests in flight in one isolate (an alert storm), each carries out what its own
//! work asked for, and the cron and the escalation clock, which run their own pump, leave nothing
//! behind for a later request.

use std::cell::Cell;

/// What one request asks for after its response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct After {
    /// Something was queued for sending (a page, an event for webhooks, a row of a live record):
    /// run the delivery pump.
    pub deliver: bool,
    /// An escalation step was written: tell the escalation clock the earliest due step.
    pub rearm: bool,
    /// A page was queued (an escalation step fell due): dispatch and send it at once, ahead of
    /// the pump's other work.
    pub page: bool,
}

/// Collects a request's [`After`] while its handler runs (handlers hold the request by shared
/// reference, hence the cell).
#[derive(Default)]
pub struct Effects(Cell<After>);

impl Effects {
    /// Something was queued for sending.
    pub fn deliver(&self) {
        self.0.set(After { deliver: true, ..self.0.get() });
    }

    /// An escalation was started, restarted or told to escalate now: its step is due now. Its
    /// pages are sent after the response and the clock moves to the next due step — recorded
    /// before the step runs, so a step that fails half-way is still taken up by the clock.
    pub fn escalation_due(&self) {
        self.0.set(After { deliver: true, rearm: true, page: true });
    }

    pub fn get(&self) -> After {
        self.0.get()
    }
}

