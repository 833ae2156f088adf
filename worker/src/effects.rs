//! What a request's work leaves for after its response, as data. A handler records it on its
//! request (`Cx::after`), `http::handle` hands it back with the response, and the shell
//! (`lib.rs`) carries it out once the response is on its way. Nothing is kept between requests:
//! with many requests in flight in one isolate (an alert storm), each carries out what its own
//! work asked for, and the cron and the escalation clock, which run their own pump, leave nothing
//! behind for a later request.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::db::{Claimed, PendingPages};
use crate::escalate::Stepped;

/// What one request asks for after its response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct After {
    /// Something was queued for sending (a page, an event for webhooks, a row of a live record):
    /// run the delivery pump.
    pub deliver: bool,
    /// An escalation step was written: tell the escalation clock the earliest due step.
    pub rearm: bool,
    /// The pages this request queued (an escalation step fell due), by id: dispatched and sent
    /// at once, by this request alone, ahead of the pump's other work.
    pub pages: Vec<String>,
    /// Those pages as the step that queued them read them in its own batch, when one step
    /// queued them all: dispatched without another read. `None`: read by id after the response.
    pub pages_read: Option<Shared<PendingPages>>,
    /// The deliveries of the pages the steps' batches dispatched themselves, claimed: sent at
    /// once, by this request alone.
    pub sends: Option<Shared<Claimed>>,
    /// Incidents this request acknowledged or resolved (a payload of several alert events):
    /// the pages it claimed about them are sent as of their status after it.
    pub settled: Vec<String>,
}

/// Something read or written by a request's work ([`PendingPages`], [`Claimed`]), carried to
/// the work after its response. Shared, not copied, when the request's [`After`] is taken; two
/// are the same only if they are the same value.
#[derive(Clone, Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Eq for Shared<T> {}

impl<T: Clone> Shared<T> {
    /// The value itself: the request's own `After` held the only other handle, gone by now.
    pub fn take(self) -> T {
        Rc::try_unwrap(self.0).unwrap_or_else(|v| (*v).clone())
    }
}

/// Collects a request's [`After`] while its handler runs (handlers hold the request by shared
/// reference, hence the cell).
#[derive(Default)]
pub struct Effects(RefCell<After>);

impl Effects {
    /// Something was queued for sending.
    pub fn deliver(&self) {
        self.0.borrow_mut().deliver = true;
    }

    /// An escalation was started, restarted or told to escalate now: its step is due now. What
    /// it queues is delivered after the response and the clock moves to the next due step —
    /// recorded before the step runs, so a step that fails half-way is still taken up by the
    /// clock and its pages by the pump.
    pub fn escalation_due(&self) {
        let mut a = self.0.borrow_mut();
        a.deliver = true;
        a.rearm = true;
    }

    /// The step(s) just written dispatched pages (their claimed deliveries) or queued them (and
    /// read them, when `read`): send them right after the response. Pages queued by a second
    /// call are all read again by id.
    pub fn paged(&self, stepped: Stepped) {
        let mut a = self.0.borrow_mut();
        if !stepped.claimed.is_empty() {
            let mut all = a.sends.take().map(Shared::take).unwrap_or_default();
            all.extend(stepped.claimed);
            a.sends = Some(Shared(Rc::new(all)));
        }
        if stepped.pages.is_empty() {
            return;
        }
        a.pages_read = if a.pages.is_empty() { stepped.read.map(|r| Shared(Rc::new(r))) } else { None };
        a.pages.extend(stepped.pages);
    }

    /// This request acknowledged or resolved the incident.
    pub fn settled(&self, incident_id: &str) {
        let mut a = self.0.borrow_mut();
        if !a.settled.iter().any(|i| i == incident_id) {
            a.settled.push(incident_id.to_string());
        }
    }

    pub fn get(&self) -> After {
        self.0.borrow().clone()
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
