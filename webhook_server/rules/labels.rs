//! Labels: names, categories and colours as the reference has them, size buckets, and the plan
//! that brings a pull request's labels from the snapshot to what the handlers want. Pure; the
//! apply step writes the plan.

use std::collections::BTreeSet;

use serde_json::json;

use super::css_colors;
use crate::config::{LabelCategory, RepoConfig, Threshold};
use crate::snapshot::RepositoryData;
use crate::steps::Done;

/// GitHub refuses longer label names.
const MAX_NAME: usize = 49;
/// The colour of a label nothing else names.
const FALLBACK_COLOR: &str = "d4c5f9";
/// lightgray: the colour of a custom size bucket without one, and of any colour that is not a
/// CSS3 name (nor hex), as in the reference.
const LIGHTGRAY: &str = "d3d3d3";

pub const WIP: &str = "wip";
pub const HOLD: &str = "hold";
pub const VERIFIED: &str = "verified";
pub const AUTOMERGE: &str = "automerge";
pub const NEEDS_REBASE: &str = "needs-rebase";
pub const HAS_CONFLICTS: &str = "has-conflicts";
pub const CAN_BE_MERGED: &str = "can-be-merged";
pub const APPROVED_PREFIX: &str = "approved-";
pub const LGTM_PREFIX: &str = "lgtm-";
pub const CHANGES_REQUESTED_PREFIX: &str = "changes-requested-";
pub const COMMENTED_PREFIX: &str = "commented-";
/// The labels a review or `/approve` / `/lgtm` leaves, by user.
pub const REVIEW_PREFIXES: &[&str] = &[
    APPROVED_PREFIX,
    LGTM_PREFIX,
    CHANGES_REQUESTED_PREFIX,
    COMMENTED_PREFIX,
];
pub const BRANCH_PREFIX: &str = "branch-";
pub const SIZE_PREFIX: &str = "size/";

const STATIC_COLORS: &[(&str, &str)] = &[
    ("hold", "b60205"),
    ("verified", "0e8a16"),
    ("wip", "b60205"),
    ("automerge", "0e8a16"),
    ("lgtm", "0e8a16"),
    ("approve", "0e8a16"),
    ("needs-rebase", "b60205"),
    ("has-conflicts", "b60205"),
    ("can-be-merged", "0e8a17"),
    ("size/XS", "ededed"),
    ("size/S", "0e8a16"),
    ("size/M", "f09c74"),
    ("size/L", "f5621c"),
    ("size/XL", "d93f0b"),
    ("size/XXL", "b60205"),
];

const PREFIX_COLORS: &[(&str, &str)] = &[
    ("branch-", "1d76db"),
    ("approved-", "0e8a16"),
    ("lgtm-", "dced6f"),
    ("changes-requested-", "f5621c"),
    ("commented-", "d93f0b"),
    ("cherry-pick-", "f09c74"),
    ("CherryPicked", "1d76db"),
];

/// The default size buckets: the first whose bound exceeds additions + deletions.
const DEFAULT_SIZES: &[(&str, u64)] = &[("XS", 20), ("S", 50), ("M", 100), ("L", 300), ("XL", 500)];

/// The category a label belongs to; `None` for labels that are always allowed (reviewer
/// labels, and labels the server does not know).
pub fn category(label: &str) -> Option<LabelCategory> {
    use LabelCategory::*;
    let exact = match label {
        "hold" => Some(Hold),
        "verified" => Some(Verified),
        "wip" => Some(Wip),
        "automerge" => Some(Automerge),
        "needs-rebase" => Some(NeedsRebase),
        "has-conflicts" => Some(HasConflicts),
        "can-be-merged" => Some(CanBeMerged),
        "ai-resolved-conflicts" => Some(CherryPick),
        _ => None,
    };
    exact.or_else(|| {
        if label.starts_with(SIZE_PREFIX) {
            Some(Size)
        } else if label.starts_with(BRANCH_PREFIX) {
            Some(Branch)
        } else if label.starts_with("cherry-pick-") || label.starts_with("CherryPicked") {
            Some(CherryPick)
        } else {
            None
        }
    })
}

/// Whether the server sets `label` itself (and so owns its colour).
fn is_servers(label: &str) -> bool {
    category(label).is_some() || REVIEW_PREFIXES.iter().any(|p| label.starts_with(p))
}

/// Whether `labels.enabled-labels` leaves `category` on (every category is, when unset).
pub fn category_enabled(config: &RepoConfig, category: LabelCategory) -> bool {
    config
        .labels
        .enabled_labels
        .as_ref()
        .is_none_or(|enabled| enabled.contains(&category))
}

/// Whether `labels.enabled-labels` lets the server apply `label`.
pub fn enabled(config: &RepoConfig, label: &str) -> bool {
    category(label).is_none_or(|c| category_enabled(config, c))
}

/// The colour for `label`: `labels.colors` by name, then by a `-`-ended prefix, then the size
/// threshold's own colour, then the reference's tables.
pub fn color(config: &RepoConfig, label: &str) -> String {
    let css = |c: &str| css_colors::to_hex(c).unwrap_or_else(|| LIGHTGRAY.to_string());
    if let Some(c) = config.labels.colors.get(label) {
        return css(c);
    }
    if let Some((_, c)) = config
        .labels
        .colors
        .iter()
        .find(|(k, _)| k.ends_with('-') && label.starts_with(k.as_str()))
    {
        return css(c);
    }
    // As in the reference, a custom bucket without a colour is lightgray, not the default
    // bucket's colour of the same name.
    if let Some(name) = label.strip_prefix(SIZE_PREFIX)
        && let Some(threshold) = config.pr_size_thresholds.as_ref().and_then(|t| t.get(name))
    {
        return threshold
            .color
            .as_deref()
            .map_or_else(|| LIGHTGRAY.to_string(), css);
    }
    if let Some((_, c)) = STATIC_COLORS.iter().find(|(l, _)| *l == label) {
        return (*c).to_string();
    }
    PREFIX_COLORS
        .iter()
        .find(|(p, _)| label.starts_with(p))
        .map_or(FALLBACK_COLOR, |(_, c)| c)
        .to_string()
}

/// `size/<bucket>` for a change of `lines` (additions + deletions). Custom buckets are tried by
/// ascending threshold; a change beyond all of them takes the largest.
pub fn size_label(config: &RepoConfig, lines: u64) -> String {
    let bound = |t: &Threshold| match t {
        Threshold::Lines(n) => *n,
        Threshold::Unbounded => u64::MAX,
    };
    let name = match config.pr_size_thresholds.as_ref().filter(|t| !t.is_empty()) {
        Some(custom) => {
            let mut buckets: Vec<(&String, u64)> = custom
                .iter()
                .map(|(name, t)| (name, bound(&t.threshold)))
                .collect();
            buckets.sort_by_key(|(_, b)| *b);
            buckets
                .iter()
                .find(|(_, b)| lines < *b)
                .or(buckets.last())
                .map(|(name, _)| (*name).clone())
                .unwrap_or_default()
        }
        None => DEFAULT_SIZES
            .iter()
            .find(|(_, b)| lines < *b)
            .map_or("XXL", |(name, _)| name)
            .to_string(),
    };
    format!("{SIZE_PREFIX}{name}")
}

fn has(labels: &BTreeSet<String>, name: &str) -> bool {
    labels.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// The label writes that bring a pull request from the snapshot to the wanted labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelPlan {
    /// Repository labels to create or recolour: (name, colour, exists already).
    pub define: Vec<(String, String, bool)>,
    pub add: Vec<String>,
    /// Present on the pull request as spelled here.
    pub remove: Vec<String>,
    pub suppressed: Vec<String>,
}

/// What to write so the pull request carries every label of `want` (whose category is enabled)
/// and none of `unwanted`; empty when the snapshot already agrees.
pub fn plan(
    config: &RepoConfig,
    data: &RepositoryData,
    want: &[String],
    unwanted: &[String],
) -> LabelPlan {
    let mut plan = LabelPlan::default();
    for label in want {
        let label = label.trim();
        if label.is_empty()
            || label.len() > MAX_NAME
            || has(&data.pull.labels, label)
            || plan.add.iter().any(|l| l == label)
        {
            continue;
        }
        if !enabled(config, label) {
            plan.suppressed.push(label.to_string());
            continue;
        }
        let color = color(config, label);
        match data
            .repo_labels
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(label))
        {
            // A label of the repository's own (`/bug`) keeps its name and colour.
            Some((name, _)) if !is_servers(label) => {
                plan.add.push(name.clone());
                continue;
            }
            Some((_, current)) if current.eq_ignore_ascii_case(&color) => {}
            Some((name, _)) => plan.define.push((name.clone(), color, true)),
            None => plan.define.push((label.to_string(), color, false)),
        }
        plan.add.push(label.to_string());
    }
    for label in unwanted {
        if let Some(present) = data
            .pull
            .labels
            .iter()
            .find(|l| l.eq_ignore_ascii_case(label))
            && !plan.remove.contains(present)
            && !plan.add.iter().any(|a| a.eq_ignore_ascii_case(label))
        {
            plan.remove.push(present.clone());
        }
    }
    plan
}

impl LabelPlan {
    /// The snapshot after the plan was written.
    pub fn apply_to(&self, data: &mut RepositoryData) {
        for (name, color, _) in &self.define {
            data.repo_labels.insert(name.clone(), color.clone());
        }
        self.project(&mut data.pull.labels);
    }

    /// A pull request's labels after the plan was written.
    pub fn project(&self, labels: &mut BTreeSet<String>) {
        labels.extend(self.add.iter().cloned());
        for label in &self.remove {
            labels.remove(label);
        }
    }

    /// Adds what the plan changes to a step record, under `<key>_added` / `_removed` /
    /// `_disabled`.
    pub fn record(&self, done: &mut Done, key: &str) {
        for (suffix, labels) in [
            ("added", &self.add),
            ("removed", &self.remove),
            ("disabled", &self.suppressed),
        ] {
            if !labels.is_empty() {
                done.insert(format!("{key}_{suffix}"), json!(labels));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LabelCategory, repo_config};

    #[test]
    fn default_size_buckets() {
        let c = repo_config("");
        let sizes: Vec<String> = [0, 19, 20, 49, 50, 99, 100, 299, 300, 499, 500, 10_000]
            .iter()
            .map(|&n| size_label(&c, n))
            .collect();
        assert_eq!(
            sizes,
            [
                "size/XS", "size/XS", "size/S", "size/S", "size/M", "size/M", "size/L", "size/L",
                "size/XL", "size/XL", "size/XXL", "size/XXL"
            ]
        );
    }

    #[test]
    fn custom_size_buckets_sort_by_threshold_and_cap_at_the_largest() {
        let c = repo_config(
            "pr-size-thresholds:\n  Huge:\n    threshold: 1000\n    color: red\n  \
             Tiny:\n    threshold: 10\n  Medium:\n    threshold: 200\n",
        );
        assert_eq!(size_label(&c, 5), "size/Tiny");
        assert_eq!(size_label(&c, 10), "size/Medium");
        assert_eq!(size_label(&c, 999), "size/Huge");
        assert_eq!(size_label(&c, 5000), "size/Huge");
        assert_eq!(color(&c, "size/Huge"), "ff0000");
        let unbounded = repo_config(
            "pr-size-thresholds:\n  Small:\n    threshold: 10\n  Rest:\n    threshold: inf\n",
        );
        assert_eq!(size_label(&unbounded, 1_000_000), "size/Rest");
    }

    #[test]
    fn infinity_sorts_last_in_every_spelling_the_python_server_accepted() {
        for inf in [".inf", ".Inf", ".INF", "inf", "INF", "'inf'", "'Inf'"] {
            let c = repo_config(&format!(
                "pr-size-thresholds:\n  XXL: {{threshold: {inf}}}\n  S: {{threshold: 100}}\n"
            ));
            assert_eq!(size_label(&c, 99), "size/S", "{inf}");
            assert_eq!(size_label(&c, 400), "size/XXL", "{inf}");
        }
    }

    #[test]
    fn a_fractional_threshold_bounds_at_the_next_whole_line() {
        let c = repo_config("pr-size-thresholds:\n  S: {threshold: 99.5}\n  L: {threshold: inf}\n");
        assert_eq!(size_label(&c, 99), "size/S");
        assert_eq!(size_label(&c, 100), "size/L");
    }

    #[test]
    fn a_custom_bucket_without_a_valid_colour_is_lightgray() {
        let c = repo_config("pr-size-thresholds:\n  Large: {threshold: 100}\n");
        assert_eq!(color(&c, "size/Large"), "d3d3d3");
        // A custom bucket named like a default one does not borrow its colour.
        let c = repo_config(
            "pr-size-thresholds:\n  S: {threshold: 100}\n  M: {threshold: 300}\n  XXL: {threshold: inf}\n",
        );
        assert_eq!(color(&c, "size/S"), "d3d3d3");
        assert_eq!(color(&c, "size/XXL"), "d3d3d3");
        // A size label that is not one of the custom buckets keeps the default table's colour.
        assert_eq!(color(&c, "size/XS"), "ededed");
        let c = repo_config("pr-size-thresholds:\n  S: {threshold: 100, color: notacolour}\n");
        assert_eq!(color(&c, "size/S"), "d3d3d3");
        let c = repo_config("pr-size-thresholds:\n  S: {threshold: 100, color: green}\n");
        assert_eq!(color(&c, "size/S"), "008000");
        // Without custom buckets the defaults keep their colours.
        assert_eq!(color(&repo_config(""), "size/S"), "0e8a16");
    }

    #[test]
    fn colours_follow_the_reference_order() {
        let c = repo_config("labels:\n  colors:\n    hold: purple\n    approved-: nonsense\n");
        assert_eq!(color(&c, "hold"), "800080");
        assert_eq!(color(&c, "approved-alice"), "d3d3d3");
        assert_eq!(color(&c, "wip"), "b60205");
        assert_eq!(color(&c, "branch-main"), "1d76db");
        assert_eq!(color(&c, "lgtm-bob"), "dced6f");
        assert_eq!(color(&c, "something-else"), "d4c5f9");
    }

    #[test]
    fn categories_gate_only_their_labels() {
        let c = repo_config("labels:\n  enabled-labels: [wip, hold]\n");
        assert!(enabled(&c, "wip"));
        assert!(!enabled(&c, "size/XS"));
        assert!(!enabled(&c, "branch-main"));
        assert!(enabled(&c, "lgtm-alice"));
        assert!(enabled(&c, "custom-team-label"));
        assert_eq!(
            category("CherryPicked-from-main"),
            Some(LabelCategory::CherryPick)
        );
        assert!(enabled(&repo_config(""), "size/XS"));
    }

    #[test]
    fn a_plan_writes_only_the_difference() {
        let c = repo_config("labels:\n  enabled-labels: [wip, hold, size]\n");
        let answer = serde_json::json!({"repository": {
            "nameWithOwner": "o/r",
            "labels": {"nodes": [{"name": "hold", "color": "000000"}, {"name": "wip", "color": "b60205"}]},
            "pullRequest": {"number": 1, "labels": {"nodes": [{"name": "wip"}, {"name": "size/XL"}]}},
        }});
        let data = crate::snapshot::parse(&answer).unwrap();
        let want: Vec<String> = ["wip", "hold", "size/XS", "branch-main"]
            .map(String::from)
            .to_vec();
        let unwanted: Vec<String> = ["size/XL", "needs-rebase"].map(String::from).to_vec();
        let p = plan(&c, &data, &want, &unwanted);
        assert_eq!(
            p.define,
            vec![
                ("hold".to_string(), "b60205".to_string(), true),
                ("size/XS".to_string(), "ededed".to_string(), false)
            ]
        );
        assert_eq!(p.add, ["hold", "size/XS"]);
        assert_eq!(p.remove, ["size/XL"]);
        assert_eq!(p.suppressed, ["branch-main"]);
        let mut after = data.clone();
        p.apply_to(&mut after);
        assert!(plan(&c, &after, &want, &unwanted).add.is_empty());
    }
}
