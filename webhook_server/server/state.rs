//! What the HTTP handlers share.

use std::sync::Arc;

use tokio::sync::{Notify, watch};

use super::allowlist::Allowlist;
use crate::config::Config;
use crate::queue::DeliveryQueue;

#[derive(Clone)]
pub struct AppState {
    pub config: watch::Receiver<Arc<Config>>,
    pub queue: Arc<dyn DeliveryQueue>,
    /// Wakes the workers when a delivery is stored.
    pub wake: Arc<Notify>,
    pub allowlist: Arc<Allowlist>,
}
