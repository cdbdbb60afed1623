//! Delivery records: the JSONL summary files (and, later, their index and the live viewer feed).

pub mod writer;
