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

/// One run at a time per isolate of work started after responses: since when it runs (0: none),
/// and whether another request asked for it meanwhile (the running one then goes round again).
pub struct OneRun {
    running: Cell<i64>,
    again: Cell<bool>,
}

impl OneRun {
    pub const fn new() -> Self {
        Self { running: Cell::new(0), again: Cell::new(false) }
    }

    /// Starts the run, or (false) asks the running one to go round again. A run cancelled with
    /// its request (Workers end waitUntil work ~30 s after the response) never cleared its mark:
    /// one older than 25 s is not running.
    pub fn begin(&self, started: i64) -> bool {
        if self.running.get() > started - 25_000 {
            self.again.set(true);
            return false;
        }
        self.running.set(started);
        self.again.set(false);
        true
    }

    /// Whether another round was asked for since the last call (and forgets the ask).
    pub fn again(&self) -> bool {
        self.again.replace(false)
    }

    pub fn end(&self) {
        self.running.set(0);
    }
}
