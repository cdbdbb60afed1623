//! The default rule against the Python server's verdicts, case by case and on generated trees.

use super::*;

fn files(paths: &[&str]) -> Vec<ChangedFile> {
    paths
        .iter()
        .map(|p| ChangedFile {
            path: p.to_string(),
            additions: 1,
            deletions: 0,
            change_type: "MODIFIED".into(),
        })
        .collect()
}

fn texts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The approver sets of `o`'s groups that `approved` leaves unmet.
fn unmet(o: &PullOwners, approved: &[&str]) -> Vec<BTreeSet<String>> {
    let approved = set(approved);
    o.missing_approvals(&approved)
        .map(|g| g.approvers.clone())
        .collect()
}

/// The OWNERS files of the Python server's own tests (`test_pull_request_owners.py`), plus
/// a second opted-out directory and nested files for the `root-approvers: false` cases.
fn reference_tree() -> BTreeMap<String, String> {
    texts(&[
        (
            "OWNERS",
            "approvers: [root_approver1, root_approver2]\nreviewers: [root_reviewer1, root_reviewer2]\n",
        ),
        (
            "folder1/OWNERS",
            "approvers: [folder1_approver1, folder1_approver2]\nreviewers: [folder1_reviewer1]\n",
        ),
        ("folder2/OWNERS", "{}\n"),
        (
            "folder/folder4/OWNERS",
            "approvers: [folder4_approver1, folder4_approver2]\n",
        ),
        (
            "folder5/OWNERS",
            "approvers: [folder5_approver1, folder5_approver2]\nroot-approvers: false\n",
        ),
        ("folder5/sub/OWNERS", "approvers: [sub_approver]\n"),
        (
            "folder6/OWNERS",
            "approvers: [folder6_approver]\nroot-approvers: false\n",
        ),
        ("nested/OWNERS", "approvers: [nested_approver]\n"),
        (
            "nested/inner/OWNERS",
            "approvers: [inner_approver]\nroot-approvers: false\n",
        ),
    ])
}

/// The reference's `ALL_CHANGED_FILES`.
const ALL_CHANGED_FILES: &[&str] = &[
    "OWNERS",
    "folder1/OWNERS",
    "code/file.py",
    "README.md",
    "folder2/lib.py",
    "folder/folder4/another_file.txt",
    "folder5/file",
];

/// One case: which files change, who approved, the Python server's verdict, ours. A verdict
/// is `None` when approved, else the approvers the missing line names; ours is one list per
/// unmet group.
struct Case {
    name: &'static str,
    files: &'static [&'static str],
    approved: &'static [&'static str],
    python: Option<&'static [&'static str]>,
    ours: &'static [&'static [&'static str]],
    /// Why ours is stricter, where the verdicts differ.
    stricter: Option<&'static str>,
}

const ROOT: &[&str] = &["root_approver1", "root_approver2"];
const FOLDER5: &[&str] = &["folder5_approver1", "folder5_approver2"];

const DEFAULT_RULE_CASES: &[Case] = &[
    Case {
        name: "test_check_pr_approved",
        files: ALL_CHANGED_FILES,
        approved: &[
            "root_approver1",
            "root_approver2",
            "folder1_approver1",
            "folder1_approver2",
            "folder4_approver1",
            "folder4_approver2",
            "folder5_approver1",
            "folder5_approver2",
        ],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_minimum_approved",
        files: ALL_CHANGED_FILES,
        approved: &[
            "root_approver1",
            "folder1_approver1",
            "folder4_approver1",
            "folder5_approver1",
        ],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_not_approved",
        files: ALL_CHANGED_FILES,
        approved: &["folder1_approver1"],
        python: Some(&[
            "folder4_approver1",
            "folder4_approver2",
            "folder5_approver1",
            "folder5_approver2",
            "root_approver1",
            "root_approver2",
        ]),
        // folder4 did not opt out: the root approval that is required covers it.
        ours: &[ROOT, FOLDER5],
        stricter: None,
    },
    Case {
        name: "test_check_pr_partial_approved",
        files: ALL_CHANGED_FILES,
        approved: &["folder1_approver1", "folder4_approver2"],
        python: Some(&[
            "folder5_approver1",
            "folder5_approver2",
            "root_approver1",
            "root_approver2",
        ]),
        ours: &[ROOT, FOLDER5],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_specific_folder",
        files: &["file_in_root", "folder2", "folder/folder4/another_file.txt"],
        approved: &["root_approver1", "folder4_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_nested_folder_no_owners",
        files: &["file_in_root", "folder2", "folder/another_file.txt"],
        approved: &["root_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_specific_folder_with_root_approvers",
        files: &["folder1/file"],
        approved: &["folder1_approver1"],
        python: Some(ROOT),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "folder1's change approved by a root approver alone",
        files: &["folder1/file"],
        approved: &["root_approver2"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_specific_folder_no_root_approvers",
        files: &["folder5/file"],
        approved: &["folder5_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_not_approved_specific_folder_without_owners",
        files: &["folder_with_no_owners/file"],
        approved: &["folder5_approver1"],
        python: Some(ROOT),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_specific_folder_without_owners",
        files: &["folder_with_no_owners/file"],
        approved: &["root_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_folder_with_no_owners_and_folder_without_root_approvers",
        files: &["folder_with_no_owners/file", "folder5/file"],
        approved: &["root_approver1", "folder5_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "test_check_pr_not_approved_folder_with_no_owners_and_folder_without_root_approvers",
        files: &["folder_with_no_owners/file", "folder5/file"],
        approved: &["folder5_approver1"],
        python: Some(ROOT),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "test_check_pr_approved_subfolder_with_owners_no_root_approvers",
        files: &["folder5/sub_folder5/file"],
        approved: &["folder5_approver1"],
        python: None,
        ours: &[],
        stricter: None,
    },
    // `root-approvers: false`: the Python server reads it from the topmost matched OWNERS
    // file, and adds the root back when a changed directory lies outside some matched one.
    Case {
        name: "an opted-out directory approved by the root alone",
        files: &["folder5/file"],
        approved: &["root_approver1"],
        python: None,
        ours: &[FOLDER5],
        stricter: Some("a root approval does not cover a directory that opted out"),
    },
    Case {
        name: "an opted-out directory and a root file approved by the root alone",
        files: &["README.md", "folder5/file"],
        approved: &["root_approver1"],
        python: None,
        ours: &[FOLDER5],
        stricter: Some("a root approval does not cover a directory that opted out"),
    },
    Case {
        name: "two opted-out siblings approved by their own approvers",
        files: &["folder5/file", "folder6/file"],
        approved: &["folder5_approver1", "folder6_approver"],
        python: Some(ROOT),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "two opted-out siblings approved by the root and their own approvers",
        files: &["folder5/file", "folder6/file"],
        approved: &["root_approver1", "folder5_approver1", "folder6_approver"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "inside an opted-out directory, every OWNERS file below it approves",
        files: &["folder5/sub/file"],
        approved: &["folder5_approver2"],
        python: Some(&["sub_approver"]),
        ours: &[&["sub_approver"]],
        stricter: None,
    },
    Case {
        name: "inside an opted-out directory, both of its OWNERS files approved",
        files: &["folder5/sub/file"],
        approved: &["folder5_approver2", "sub_approver"],
        python: None,
        ours: &[],
        stricter: None,
    },
    Case {
        name: "an opted-out directory and its subdirectory both changed need the root",
        files: &["folder5/file", "folder5/sub/file"],
        approved: &["folder5_approver2", "sub_approver"],
        python: Some(ROOT),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "opting out below a directory that did not keeps the root required",
        files: &["nested/inner/file"],
        approved: &["inner_approver"],
        python: Some(&["nested_approver", "root_approver1", "root_approver2"]),
        ours: &[ROOT],
        stricter: None,
    },
    Case {
        name: "the root approval does not cover the opted-out inner directory",
        files: &["nested/inner/file"],
        approved: &["root_approver1"],
        python: None,
        ours: &[&["inner_approver"]],
        stricter: Some("a root approval does not cover a directory that opted out"),
    },
];

fn check(tree: &BTreeMap<String, String>, rule: OwnersApproval, cases: &[Case]) {
    for case in cases {
        let owners = resolve(tree, &files(case.files), rule, true);
        let ours = unmet(&owners, case.approved);
        let expected: Vec<BTreeSet<String>> = case.ours.iter().map(|g| set(g)).collect();
        assert_eq!(ours, expected, "{}", case.name);
        // Same verdict as the Python server, unless documented as stricter; never looser.
        match (case.python.is_none(), ours.is_empty(), case.stricter) {
            (python, ours, None) => assert_eq!(python, ours, "{}", case.name),
            (true, false, Some(_)) => {}
            (_, _, Some(why)) => panic!("{}: marked stricter ({why}) but is not", case.name),
        }
    }
}

#[test]
fn the_default_rule_matches_the_python_server_or_is_stricter() {
    check(
        &reference_tree(),
        OwnersApproval::Default,
        DEFAULT_RULE_CASES,
    );
}

/// One OWNERS file of a generated tree: its directory, approvers and `root-approvers`.
type Entry = (String, Vec<String>, Option<bool>);

/// The Python server's verdict, transcribed from its `owners_data_for_changed_files` and
/// `_check_if_pr_approved`: `entries` in its walk order (parents first), the root's
/// approvers, the changed files and the users whose `approved-` label is on the PR.
fn python_approves(
    entries: &[Entry],
    root: &[String],
    changed: &[String],
    approved: &BTreeSet<String>,
) -> bool {
    let folders: BTreeSet<&str> = changed.iter().map(|f| dir_of(f)).collect();
    let inside = |folder: &str, dir: &str| folder == dir || folder.starts_with(&format!("{dir}/"));
    let mut data: Vec<&[String]> = Vec::new();
    let mut matched: Vec<&str> = Vec::new();
    let mut require_root: Option<bool> = None;
    for (dir, approvers, root_approvers) in entries {
        for folder in &folders {
            if inside(folder, dir) {
                data.push(approvers);
                matched.push(dir);
                if require_root.is_none() {
                    require_root = Some(root_approvers.unwrap_or(true));
                }
            }
        }
    }
    let root_included = require_root != Some(false)
        || folders
            .iter()
            .any(|folder| matched.iter().any(|m| !inside(folder, m)));
    if root_included {
        data.push(root);
    }
    if approved.iter().any(|a| root.contains(a)) {
        return true;
    }
    let mut missing: BTreeSet<&String> = data.iter().flat_map(|d| d.iter()).collect();
    for approvers in &data {
        if approvers.iter().any(|a| approved.contains(a)) {
            for a in approvers.iter() {
                missing.remove(a);
            }
        }
    }
    missing.is_empty()
}

#[test]
fn the_transcription_of_the_python_server_agrees_with_its_own_cases() {
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let entries: Vec<Entry> = vec![
        ("folder".into(), vec![], None),
        (
            "folder/folder4".into(),
            list(&["folder4_approver1", "folder4_approver2"]),
            None,
        ),
        (
            "folder1".into(),
            list(&["folder1_approver1", "folder1_approver2"]),
            None,
        ),
        ("folder2".into(), vec![], None),
        ("folder5".into(), list(FOLDER5), Some(false)),
        ("folder5/sub".into(), list(&["sub_approver"]), None),
        ("folder6".into(), list(&["folder6_approver"]), Some(false)),
        ("nested".into(), list(&["nested_approver"]), None),
        (
            "nested/inner".into(),
            list(&["inner_approver"]),
            Some(false),
        ),
    ];
    // `folder` has no OWNERS file in the reference tree.
    let entries: Vec<Entry> = entries.into_iter().filter(|e| e.0 != "folder").collect();
    for case in DEFAULT_RULE_CASES {
        let changed = list(case.files);
        let approved = set(case.approved);
        assert_eq!(
            python_approves(&entries, &list(ROOT), &changed, &approved),
            case.python.is_none(),
            "{}",
            case.name
        );
    }
}

fn yaml_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
    /// Whatever the tree, the changes and the approvals, the default rule never approves
    /// what the Python server would not.
    #[test]
    fn the_default_rule_is_never_looser_than_the_python_server(
        present in proptest::collection::vec(proptest::bool::ANY, 7),
        lists in proptest::collection::vec(proptest::collection::vec(0..5usize, 0..3), 7),
        flags in proptest::collection::vec(proptest::option::of(proptest::bool::ANY), 7),
        root in proptest::option::of(proptest::collection::vec(0..5usize, 0..3)),
        changed in proptest::collection::vec(0..9usize, 1..4),
        approved in proptest::collection::btree_set(0..5usize, 0..4),
    ) {
        const DIRS: [&str; 7] = ["a", "a/b", "a/b/c", "a/c", "ab", "b", "b/a"];
        const FILES: [&str; 9] =
            ["x", "a/x", "a/b/x", "a/b/c/x", "a/c/x", "ab/x", "b/x", "b/a/x", "a/d/x"];
        let user = |i: &usize| format!("u{i}");
        let mut entries: Vec<Entry> = Vec::new();
        let mut tree = BTreeMap::new();
        for (i, dir) in DIRS.iter().enumerate() {
            if !present[i] {
                continue;
            }
            let approvers: Vec<String> = lists[i].iter().map(user).collect();
            let mut text = format!("approvers: {}\n", yaml_list(&approvers));
            if let Some(flag) = flags[i] {
                text.push_str(&format!("root-approvers: {flag}\n"));
            }
            tree.insert(format!("{dir}/OWNERS"), text);
            entries.push((dir.to_string(), approvers, flags[i]));
        }
        let root: Vec<String> = root.iter().flatten().map(user).collect();
        if !root.is_empty() {
            tree.insert("OWNERS".into(), format!("approvers: {}\n", yaml_list(&root)));
        }
        let changed: Vec<String> = changed.iter().map(|i| FILES[*i].to_string()).collect();
        let approved: BTreeSet<String> = approved.iter().map(user).collect();
        let paths: Vec<&str> = changed.iter().map(String::as_str).collect();
        let owners = resolve(&tree, &files(&paths), OwnersApproval::Default, true);
        let ours = owners.missing_approvals(&approved).next().is_none()
            && owners.blocking.is_empty();
        // `entries` follow DIRS, which lists every parent before its children.
        let python = python_approves(&entries, &root, &changed, &approved);
        proptest::prop_assert!(
            !ours || python,
            "approved here, not by the Python server: {tree:?} {changed:?} {approved:?}"
        );
    }
}

#[test]
fn the_union_subtraction_of_the_reference_is_not_copied() {
    // The reference removes all of an approved file's approvers from the missing list, so
    // folder1's approval, naming the root approver too, also satisfied the root.
    let tree = texts(&[
        ("OWNERS", "approvers: [a]\n"),
        ("folder1/OWNERS", "approvers: [a, b]\n"),
    ]);
    let owners = resolve(&tree, &files(&["folder1/x"]), OwnersApproval::Default, true);
    assert_eq!(unmet(&owners, &["b"]), [set(&["a"])]);
}

#[test]
fn without_root_approvers_every_governing_file_approves() {
    let tree = texts(&[
        ("OWNERS", "reviewers: [r]\n"),
        ("folder1/OWNERS", "approvers: [x]\n"),
        ("folder1/deep/OWNERS", "approvers: [y]\n"),
        ("folder2/OWNERS", "approvers: [z]\n"),
    ]);
    let owners = resolve(
        &tree,
        &files(&["folder1/deep/a", "folder2/b"]),
        OwnersApproval::Default,
        true,
    );
    // Shallowest first.
    assert_eq!(unmet(&owners, &["x"]), [set(&["z"]), set(&["y"])]);
    assert!(unmet(&owners, &["x", "y", "z"]).is_empty());
    assert_eq!(owners.reviewers, set(&["r"]));
}

/// Under the `prow` rule: files changed, who approved, and the approvers of each unmet group.
type ProwCase = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static [&'static str]],
);

const PROW_RULE_CASES: &[ProwCase] = &[
    (
        "a folder approver alone approves the folder's change",
        &["folder1/file"],
        &["folder1_approver1"],
        &[],
    ),
    (
        "a root approver covers every chain that reaches the root",
        &["folder1/file", "folder/folder4/x", "README.md"],
        &["root_approver1"],
        &[],
    ),
    (
        "an opted-out chain answers to its own approvers",
        &["folder5/file", "folder6/file"],
        &["folder5_approver1"],
        &[&["folder6_approver"]],
    ),
    (
        "a root approver does not cover an opted-out chain",
        &["folder5/file"],
        &["root_approver1"],
        &[FOLDER5],
    ),
];

#[test]
fn the_prow_rule_takes_one_approval_from_anywhere_up_the_chain() {
    let tree = reference_tree();
    for (name, changed, approved, expected) in PROW_RULE_CASES {
        let owners = resolve(&tree, &files(changed), OwnersApproval::Prow, true);
        let expected: Vec<BTreeSet<String>> = expected.iter().map(|g| set(g)).collect();
        assert_eq!(unmet(&owners, approved), expected, "{name}");
    }
}

#[test]
fn each_rule_lists_the_reviewers_of_the_files_that_govern() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\nreviewers: [r0]\n"),
        ("src/OWNERS", "reviewers: [Bob]\n"),
        ("src/core/OWNERS", "approvers: [carol]\n"),
        ("docs/OWNERS", "approvers: [dan]\nroot-approvers: false\n"),
    ]);
    let changed = files(&["src/core/a.rs", "docs/x.md", "README.md"]);
    let o = resolve(&t, &changed, OwnersApproval::Default, true);
    assert_eq!(o.approvers, set(&["carol", "dan", "root"]));
    assert_eq!(o.reviewers, set(&["bob", "r0"]));
    let groups: Vec<(Vec<String>, BTreeSet<String>)> = o
        .groups
        .iter()
        .map(|g| (g.dirs.clone(), g.approvers.clone()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (vec!["".to_string()], set(&["root"])),
            (vec!["docs".to_string()], set(&["dan"])),
        ]
    );
    let o = resolve(&t, &changed, OwnersApproval::Prow, true);
    let groups: Vec<(Vec<String>, BTreeSet<String>)> = o
        .groups
        .iter()
        .map(|g| (g.dirs.clone(), g.approvers.clone()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (vec!["".to_string()], set(&["root"])),
            (vec!["docs".to_string()], set(&["dan"])),
            (
                vec!["src/core".to_string(), "src".to_string(), "".to_string()],
                set(&["carol", "root"])
            ),
        ]
    );
    assert_eq!(o.root_approvers, set(&["root"]));
}

#[test]
fn no_parent_owners_counts_under_the_prow_rule_only() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        (
            "vendor/OWNERS",
            "approvers: [v]\noptions:\n  no_parent_owners: true\n",
        ),
    ]);
    let changed = files(&["vendor/lib/x.c"]);
    let prow = resolve(&t, &changed, OwnersApproval::Prow, true);
    assert_eq!(prow.groups.len(), 1);
    assert_eq!(prow.groups[0].approvers, set(&["v"]));
    // The Python server never read `options`: its root approvers stay required.
    let default = resolve(&t, &changed, OwnersApproval::Default, true);
    assert_eq!(default.groups.len(), 1);
    assert_eq!(default.groups[0].approvers, set(&["root"]));
    // Root approvers may always /approve, as in the reference.
    assert!(prow.is_approver("root"));
    assert!(prow.is_approver("V"));
    assert!(!prow.is_approver("stranger"));
}

#[test]
fn aliases_expand_and_emeritus_never_count() {
    let t = texts(&[
        (OWNERS_ALIASES, "aliases:\n  core-team: [alice, Bob]\n"),
        (
            "OWNERS",
            "approvers: [core-team, old]\nemeritus_approvers: [old]\nreviewers: ['@core-team']\n",
        ),
    ]);
    let o = resolve(&t, &files(&["x"]), OwnersApproval::Default, true);
    assert_eq!(o.approvers, set(&["alice", "bob"]));
    assert_eq!(o.reviewers, set(&["alice", "bob"]));
    assert_eq!(o.review_requests("alice"), vec!["bob".to_string()]);
}

#[test]
fn files_the_reference_rejected_are_reported_and_skipped() {
    for bad in [
        "- just\n- a list\n",
        "",
        "approvers: carol\n",
        "approvers: [carol]\nreviewers:\n",
        "approvers: [carol, 7]\n",
    ] {
        let t = texts(&[("OWNERS", "approvers: [root]\n"), ("a/OWNERS", bad)]);
        let o = resolve(&t, &files(&["a/x"]), OwnersApproval::Default, true);
        assert_eq!(o.invalid.len(), 1, "{bad:?}: {:?}", o.invalid);
        assert!(o.invalid[0].starts_with("a/OWNERS: "), "{:?}", o.invalid);
        // The root approvers stand in for the file that could not be read.
        let groups: Vec<_> = o.groups.iter().map(|g| g.approvers.clone()).collect();
        assert_eq!(groups, [set(&["root"])], "{bad:?}");
        assert!(o.blocking.is_empty());
    }
}

#[test]
fn an_unreadable_governing_file_needs_the_root_even_inside_an_opted_out_directory() {
    // `a/b` opts out, but `a`'s file above it cannot be read: had it been readable and not
    // opted out, the reference would have asked for the root.
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        ("a/OWNERS", "approvers: [x\n"),
        ("a/b/OWNERS", "approvers: [inner]\nroot-approvers: false\n"),
    ]);
    let o = resolve(&t, &files(&["a/b/f"]), OwnersApproval::Default, true);
    assert_eq!(unmet(&o, &["inner"]), [set(&["root"])]);
}

#[test]
fn without_root_approvers_an_unusable_governing_file_blocks() {
    let t = texts(&[
        ("OWNERS", "reviewers: [r]\n"),
        (
            "a/OWNERS",
            "approvers: [bob]\nemeritus_approvers: [bob]\nroot-approvers: false\n",
        ),
        ("c/OWNERS", "approvers: ['@', '']\n"),
    ]);
    let o = resolve(&t, &files(&["a/f"]), OwnersApproval::Default, true);
    assert!(o.groups.is_empty());
    assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
    assert!(o.blocking[0].starts_with("a/OWNERS: its `approvers` leave no one"));
    let o = resolve(&t, &files(&["c/f"]), OwnersApproval::Default, true);
    assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
    // A change the unusable files do not govern is not held up.
    let o = resolve(&t, &files(&["d/f"]), OwnersApproval::Default, true);
    assert!(o.blocking.is_empty());
    // An unreadable root file governs everything, unless a root approver could stand in.
    let t = texts(&[
        ("OWNERS", "approvers: [x\n"),
        ("a/OWNERS", "approvers: [a]\n"),
    ]);
    let o = resolve(&t, &files(&["a/f"]), OwnersApproval::Default, true);
    assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
}

#[test]
fn owners_files_under_hidden_directories_are_not_read() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        (".github/OWNERS", "approvers: [ci]\nroot-approvers: false\n"),
    ]);
    let o = resolve(
        &t,
        &files(&[".github/workflows/x.yml"]),
        OwnersApproval::Default,
        true,
    );
    let groups: Vec<_> = o.groups.iter().map(|g| g.approvers.clone()).collect();
    assert_eq!(groups, [set(&["root"])]);
}

#[test]
fn owners_files_left_unread_make_the_root_required() {
    // With `a/b/OWNERS` unread (the changed files or `max-owners-files` cut short), the
    // change might reach beyond the opted-out `a`: the root must approve.
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        ("a/OWNERS", "approvers: [a]\nroot-approvers: false\n"),
    ]);
    let changed = files(&["a/f", "a/b/f"]);
    let complete = resolve(&t, &changed, OwnersApproval::Default, true);
    let groups: Vec<_> = complete
        .groups
        .iter()
        .map(|g| g.approvers.clone())
        .collect();
    assert_eq!(groups, [set(&["a"])]);
    let partial = resolve(&t, &changed, OwnersApproval::Default, false);
    let groups: Vec<_> = partial.groups.iter().map(|g| g.approvers.clone()).collect();
    assert_eq!(groups, [set(&["root"]), set(&["a"])]);
}

#[test]
fn keys_the_reference_never_checked_do_not_drop_the_file() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        (
            "b/OWNERS",
            "approvers: [b]\nroot-approvers: maybe\nemeritus_approvers: gone\n",
        ),
    ]);
    let o = resolve(&t, &files(&["b/y"]), OwnersApproval::Default, true);
    assert_eq!(o.invalid.len(), 2, "{:?}", o.invalid);
    assert!(o.invalid[0].contains("root-approvers"), "{:?}", o.invalid);
    // Not `false`, so the root approvers stay required; b's approver still counts.
    assert_eq!(o.groups.len(), 1);
    assert_eq!(o.groups[0].approvers, set(&["root"]));
    assert!(o.is_approver("b"));
}

#[test]
fn yaml_1_1_booleans_opt_out_as_pyyaml_reads_them() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\n"),
        ("b/OWNERS", "approvers: [b]\nroot-approvers: no\n"),
    ]);
    let o = resolve(&t, &files(&["b/y"]), OwnersApproval::Default, true);
    assert!(o.invalid.is_empty(), "{:?}", o.invalid);
    assert_eq!(o.groups.len(), 1);
    assert_eq!(o.groups[0].approvers, set(&["b"]));
}

#[test]
fn lgtm_counts_reviewers_and_the_roots_people_but_not_the_author() {
    let t = texts(&[
        ("OWNERS", "approvers: [root]\nreviewers: [rr]\n"),
        ("src/OWNERS", "reviewers: [alice, bob]\n"),
    ]);
    let o = resolve(&t, &files(&["src/x"]), OwnersApproval::Default, true);
    assert_eq!(o.lgtm_eligible("alice"), set(&["bob", "root", "rr"]));
}

#[test]
fn no_owners_files_means_no_approval_is_needed() {
    for rule in [OwnersApproval::Default, OwnersApproval::Prow] {
        let o = resolve(&BTreeMap::new(), &files(&["a/b"]), rule, true);
        assert!(o.groups.is_empty());
        assert!(o.approvers.is_empty());
    }
}
