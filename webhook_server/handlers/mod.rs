//! Handler structs: each computes the GitHub state its events call for from the config and the
//! delivery's snapshot, and writes only the difference (level-triggered), so a replayed event
//! writes nothing.

mod css_colors;
pub mod labels;
pub mod pull_request;
