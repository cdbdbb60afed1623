use proptest::prelude::*;

use super::*;

fn parsed(body: &str) -> Vec<Result<Command, CommandError>> {
    parse(body).into_iter().map(|c| c.parsed).collect()
}

fn one(body: &str) -> Result<Command, CommandError> {
    let mut all = parsed(body);
    assert_eq!(all.len(), 1, "{body:?} gave {all:?}");
    all.remove(0)
}

#[test]
fn every_command_and_its_cancel_form() {
    let cases: &[(&str, Command)] = &[
        ("/lgtm", Command::Lgtm { cancel: false }),
        ("/lgtm cancel", Command::Lgtm { cancel: true }),
        ("/lgtm thanks, looks great", Command::Lgtm { cancel: false }),
        ("/approve", Command::Approve { cancel: false }),
        ("/approve cancel", Command::Approve { cancel: true }),
        ("/wip", Command::Wip { cancel: false }),
        ("/wip cancel", Command::Wip { cancel: true }),
        ("/hold", Command::Hold { cancel: false }),
        ("/hold cancel", Command::Hold { cancel: true }),
        ("/unhold", Command::Hold { cancel: true }),
        ("/verified", Command::Verified { cancel: false }),
        ("/verified cancel", Command::Verified { cancel: true }),
        ("/automerge", Command::Automerge { cancel: false }),
        ("/automerge cancel", Command::Automerge { cancel: true }),
        (
            "/security-override",
            Command::SecurityOverride { cancel: false },
        ),
        (
            "/security-override cancel",
            Command::SecurityOverride { cancel: true },
        ),
        ("/assign-reviewers", Command::AssignReviewers),
        (
            "/assign-reviewer @bob",
            Command::AssignReviewer {
                login: "bob".into(),
            },
        ),
        (
            "/assign-reviewer bob",
            Command::AssignReviewer {
                login: "bob".into(),
            },
        ),
        (
            "/add-allowed-user @a-b",
            Command::AddAllowedUser {
                login: "a-b".into(),
            },
        ),
        ("/check-can-merge", Command::CheckCanMerge),
        ("/reprocess", Command::Reprocess),
        ("/regenerate-welcome", Command::RegenerateWelcome),
        ("/rebase", Command::Rebase),
        ("/test-oracle", Command::TestOracle),
        ("/retest", Command::Retest(Retest::Failed)),
        ("/retest all", Command::Retest(Retest::All)),
        (
            "/retest tox python-module-install tox",
            Command::Retest(Retest::Named(vec![
                "tox".into(),
                "python-module-install".into(),
            ])),
        ),
        (
            "/build-and-push-container",
            Command::BuildAndPushContainer { build_args: vec![] },
        ),
        (
            "/build-and-push-container --build-arg A=1 --build-arg=B_2=x=y",
            Command::BuildAndPushContainer {
                build_args: vec![("A".into(), "1".into()), ("B_2".into(), "x=y".into())],
            },
        ),
        (
            "/cherry-pick release-1.2 release/2.0 release-1.2",
            Command::CherryPick {
                branches: vec!["release-1.2".into(), "release/2.0".into()],
            },
        ),
        (
            "/cherry-pick-retry release-1.2",
            Command::CherryPickRetry {
                branch: "release-1.2".into(),
            },
        ),
        ("/LGTM", Command::Lgtm { cancel: false }),
        ("/lgtm/", Command::Lgtm { cancel: false }),
    ];
    for (body, want) in cases {
        assert_eq!(one(body), Ok(want.clone()), "{body}");
    }
}

#[test]
fn wrong_arguments_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        (
            "/assign-reviewer",
            "`/assign-reviewer` needs a user, as `@login`",
        ),
        (
            "/add-allowed-user",
            "`/add-allowed-user` needs a user, as `@login`",
        ),
        (
            "/assign-reviewer @bob @carol",
            "`/assign-reviewer`: takes one user",
        ),
        (
            "/add-allowed-user @bo!b",
            "`/add-allowed-user`: `@bo!b` is not a GitHub login",
        ),
        (
            "/retest all tox",
            "`/retest`: `all` cannot be used with other checks",
        ),
        ("/cherry-pick", "`/cherry-pick` needs a branch name"),
        (
            "/cherry-pick-retry",
            "`/cherry-pick-retry` needs a branch name",
        ),
        (
            "/cherry-pick-retry a b",
            "`/cherry-pick-retry`: accepts exactly one branch name",
        ),
        (
            "/cherry-pick ../etc",
            "`/cherry-pick`: `../etc` is not a branch name",
        ),
        (
            "/cherry-pick -f",
            "`/cherry-pick`: `-f` is not a branch name",
        ),
        (
            "/build-and-push-container -v /:/host",
            "`/build-and-push-container`: only `--build-arg KEY=VALUE` is accepted, not `-v`",
        ),
        (
            "/build-and-push-container --build-arg",
            "`/build-and-push-container`: `--build-arg` needs `KEY=VALUE`",
        ),
        (
            "/build-and-push-container --build-arg NOVALUE",
            "`/build-and-push-container`: `NOVALUE` is not `KEY=VALUE`",
        ),
    ];
    for (body, message) in cases {
        let error = one(body).expect_err(body);
        assert_eq!(error.to_string(), *message, "{body}");
    }
}

#[test]
fn unknown_commands_get_a_suggestion_when_one_is_close() {
    let unknown = |body: &str| match one(body) {
        Err(CommandError::Unknown {
            name,
            suggestion,
            cancel,
        }) => (name, suggestion, cancel),
        other => panic!("{body}: {other:?}"),
    };
    assert_eq!(unknown("/lgmt"), ("lgmt".into(), Some("lgtm"), false));
    assert_eq!(
        unknown("/aprove"),
        ("aprove".into(), Some("approve"), false)
    );
    assert_eq!(
        unknown("/cherrypick 1.2"),
        ("cherrypick".into(), Some("cherry-pick"), false)
    );
    assert_eq!(unknown("/retes"), ("retes".into(), Some("retest"), false));
    assert_eq!(unknown("/bug"), ("bug".into(), None, false));
    assert_eq!(unknown("/bug cancel"), ("bug".into(), None, true));
    assert_eq!(
        one("/lgmt").unwrap_err().to_string(),
        "`/lgmt` is not a command (did you mean `/lgtm`?)"
    );
    assert_eq!(
        one("/foo").unwrap_err().to_string(),
        "`/foo` is not a command"
    );
}

#[test]
fn code_quotes_and_other_blocks_hold_no_commands() {
    for body in [
        "```\n/approve\n```",
        "~~~\n/approve\n~~~",
        "    /approve",
        "text\n\n    /approve",
        "> /approve",
        "> quoting\n> /approve",
        "`/approve`",
        "- /approve",
        "1. /approve",
        "# /approve",
        "| a |\n|---|\n| /approve |",
        "<!-- /approve -->",
        "see /usr/bin",
        "/usr/bin/env",
        "/",
        "//",
        "/ approve",
        "I would /approve later",
    ] {
        assert!(parse(body).is_empty(), "{body:?} gave {:?}", parse(body));
    }
}

#[test]
fn commands_sit_among_prose_on_their_own_lines() {
    assert_eq!(
        parsed("Looks good.\n/lgtm\nthanks\n/hold\n\n```\n/approve\n```\n  /wip"),
        vec![
            Ok(Command::Lgtm { cancel: false }),
            Ok(Command::Hold { cancel: false }),
            Ok(Command::Wip { cancel: false }),
        ]
    );
    // Inline code that spans lines hides what it covers.
    assert!(parse("see `code\n/approve` here").is_empty());
    assert_eq!(parsed("   /retest tox").len(), 1);
    assert!(parse("plain text").is_empty());
}

#[test]
fn an_edit_runs_only_the_commands_it_added() {
    let added: Vec<String> = new_in_edit("/lgtm", "/lgtm\n/hold")
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(added, ["/hold"]);
    assert!(new_in_edit("/lgtm\n/hold", "/hold\n/lgtm").is_empty());
    let twice: Vec<String> = new_in_edit("/lgtm", "/lgtm\n\n/lgtm")
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(twice, ["/lgtm"]);
    // A command moved out of a code block is new.
    let out: Vec<String> = new_in_edit("```\n/approve\n```", "/approve")
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(out, ["/approve"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_text_parses_the_same_way_twice_without_a_panic(body in ".{0,200}") {
        prop_assert_eq!(parse(&body), parse(&body));
    }

    #[test]
    fn markdown_like_text_parses_without_a_panic(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("```".to_string()),
                Just("> ".to_string()),
                Just("- ".to_string()),
                Just("    ".to_string()),
                proptest::sample::select(COMMANDS).prop_map(|c| format!("/{c}")),
                "[ -~]{0,30}",
            ],
            0..12,
        ),
        args in proptest::collection::vec("(cancel|all|@[a-z]{1,5}|--build-arg|[A-Z]=1|[a-z./-]{1,8})?", 12),
    ) {
        let body: String = lines
            .iter()
            .zip(&args)
            .map(|(l, a)| format!("{l} {a}\n"))
            .collect();
        let first = parse(&body);
        prop_assert_eq!(&first, &parse(&body));
        for line in &first {
            prop_assert!(line.text.starts_with('/'));
            if let Err(e) = &line.parsed {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
