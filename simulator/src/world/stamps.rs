//! Times and ids as GitHub writes them.

pub fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

/// GitHub's timestamp form: second precision and a `Z`.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    const GITHUB: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(GITHUB)
        .expect("UTC timestamps always format")
}

/// [`timestamp`] of a unix time.
pub fn unix_timestamp(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(timestamp)
        .unwrap_or_default()
}

pub fn node_id(kind: &str, id: u64) -> String {
    format!("{kind}_sim{id}")
}
