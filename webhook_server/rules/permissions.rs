//! Who may run which command: one table, pure.
//!
//! The roles come from the snapshot: collaborators and their permission, the OWNERS files,
//! the pull request's author and reviewers, and `/add-allowed-user` grants written on the pull
//! request by a maintainer or an approver.

use std::collections::{BTreeMap, BTreeSet};

use super::commands::{self, Command};
use super::owners::PullOwners;
use crate::snapshot::{AuthoredComment, RepositoryData};

/// Who a command is open to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Collaborators with `admin` or `maintain`.
    Maintainers,
    /// Maintainers, and approvers in any OWNERS file.
    MaintainersOrApprovers,
    /// Valid users: collaborators, approvers, the OWNERS reviewers of this pull request and the
    /// root's, its requested reviewers, the root OWNERS `allowed-users`, and those granted by
    /// `/add-allowed-user`.
    ValidUsers,
    /// The author, or a valid user (`/wip`, `/verified`).
    AuthorOrValidUsers,
    /// The author, or an approver of this pull request (`/hold`).
    AuthorOrApprovers,
    /// Valid users but the author (`/lgtm`).
    ValidUsersButTheAuthor,
    /// Approvers of this pull request (or of the root) but the author (`/approve`).
    ApproversButTheAuthor,
}

/// The table: who may run each command.
pub fn audience(command: &Command) -> Audience {
    match command {
        Command::SecurityOverride { .. } => Audience::Maintainers,
        Command::Automerge { .. } | Command::AddAllowedUser { .. } => {
            Audience::MaintainersOrApprovers
        }
        Command::Wip { .. } | Command::Verified { .. } => Audience::AuthorOrValidUsers,
        Command::Hold { .. } => Audience::AuthorOrApprovers,
        Command::Lgtm { .. } => Audience::ValidUsersButTheAuthor,
        Command::Approve { .. } => Audience::ApproversButTheAuthor,
        Command::AssignReviewers
        | Command::AssignReviewer { .. }
        | Command::CheckCanMerge
        | Command::Reprocess
        | Command::RegenerateWelcome
        | Command::Retest(_)
        | Command::BuildAndPushContainer { .. }
        | Command::CherryPick { .. }
        | Command::CherryPickRetry { .. }
        | Command::Rebase
        | Command::TestOracle => Audience::ValidUsers,
    }
}

/// The people of one pull request, as the snapshot knows them (logins lower-cased).
#[derive(Debug, Clone, Default)]
pub struct People {
    pub author: String,
    pub maintainers: BTreeSet<String>,
    /// Approvers in any OWNERS file read, the root's included.
    pub approvers: BTreeSet<String>,
    /// Approvers of this pull request's files, and the root's.
    pub pull_approvers: BTreeSet<String>,
    pub valid: BTreeSet<String>,
}

impl People {
    /// The people of the snapshot's pull request.
    pub fn of(data: &RepositoryData, owners: &PullOwners) -> People {
        People::new(
            &data.pull.author,
            &data.collaborators,
            owners,
            &data.pull.requested_reviewers,
            &data.pull.grant_comments,
        )
    }

    pub fn new(
        author: &str,
        collaborators: &BTreeMap<String, String>,
        owners: &PullOwners,
        reviewers: &[String],
        grant_comments: &[AuthoredComment],
    ) -> People {
        let lower = |s: &String| s.to_ascii_lowercase();
        let maintainers: BTreeSet<String> = collaborators
            .iter()
            .filter(|(_, p)| matches!(p.to_ascii_uppercase().as_str(), "ADMIN" | "MAINTAIN"))
            .map(|(login, _)| lower(login))
            .collect();
        let approvers: BTreeSet<String> = owners
            .all_approvers
            .iter()
            .chain(&owners.root_approvers)
            .map(lower)
            .collect();
        let pull_approvers: BTreeSet<String> = owners
            .approvers
            .iter()
            .chain(&owners.root_approvers)
            .map(lower)
            .collect();
        // A grant counts only when a maintainer or an approver wrote it, for the exact login.
        let granted = grant_comments
            .iter()
            .filter(|c| {
                let by = c.author.to_ascii_lowercase();
                maintainers.contains(&by) || approvers.contains(&by)
            })
            .flat_map(|c| commands::parse(&c.body))
            .filter_map(|line| match line.parsed {
                Ok(Command::AddAllowedUser { login }) => Some(login.to_ascii_lowercase()),
                _ => None,
            });
        let valid = collaborators
            .keys()
            .chain(&approvers)
            .chain(&owners.reviewers)
            .chain(&owners.root_reviewers)
            .chain(reviewers)
            .map(lower)
            .chain(
                owners
                    .allowed_users
                    .iter()
                    .map(|u| u.trim_start_matches('@').to_ascii_lowercase()),
            )
            .chain(granted)
            .collect();
        People {
            author: author.to_ascii_lowercase(),
            maintainers,
            approvers,
            pull_approvers,
            valid,
        }
    }

    /// Whether `user` may run what is open to `audience`; if not, why.
    pub fn allows(&self, audience: Audience, user: &str) -> Result<(), Refusal> {
        let user_lower = user.to_ascii_lowercase();
        let is = |set: &BTreeSet<String>| set.contains(&user_lower);
        let author = user_lower == self.author;
        let maintainer = is(&self.maintainers);
        let ok = match audience {
            Audience::Maintainers => maintainer,
            Audience::MaintainersOrApprovers => maintainer || is(&self.approvers),
            Audience::ValidUsers => is(&self.valid),
            Audience::AuthorOrValidUsers => author || is(&self.valid),
            Audience::AuthorOrApprovers => author || is(&self.pull_approvers),
            Audience::ValidUsersButTheAuthor => !author && is(&self.valid),
            Audience::ApproversButTheAuthor => !author && is(&self.pull_approvers),
        };
        if ok {
            return Ok(());
        }
        Err(match audience {
            Audience::Maintainers => Refusal::NotAMaintainer,
            Audience::MaintainersOrApprovers => Refusal::NotAMaintainerOrApprover,
            Audience::AuthorOrApprovers => Refusal::CannotHold,
            Audience::ValidUsersButTheAuthor | Audience::ApproversButTheAuthor if author => {
                Refusal::OwnPullRequest
            }
            Audience::ApproversButTheAuthor => Refusal::NotAnApprover,
            Audience::ValidUsers
            | Audience::AuthorOrValidUsers
            | Audience::ValidUsersButTheAuthor => Refusal::NotAllowed,
        })
    }
}

/// Why a user may not run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed,
    NotAMaintainer,
    NotAMaintainerOrApprover,
    CannotHold,
    NotAnApprover,
    OwnPullRequest,
}

impl Refusal {
    /// The reply, in the reference's words where it had some.
    pub fn message(self, user: &str, command: &str, people: &People) -> String {
        let list = |set: &BTreeSet<String>| {
            set.iter()
                .map(|u| format!(" - @{u}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        match self {
            Refusal::NotAllowed => {
                let mut text = format!(
                    "{user} is not allowed to run commands. maintainers can allow it by comment \
                     `/add-allowed-user @{user}`"
                );
                if !people.maintainers.is_empty() {
                    text.push_str(&format!("\nMaintainers:\n{}", list(&people.maintainers)));
                }
                if !people.approvers.is_empty() {
                    text.push_str(&format!("\nApprovers:\n{}", list(&people.approvers)));
                }
                text
            }
            Refusal::NotAMaintainer => format!("Only maintainers can use `/{command}`"),
            Refusal::NotAMaintainerOrApprover if command == "automerge" => {
                "Only maintainers or approvers can set pull request to auto-merge".to_string()
            }
            Refusal::NotAMaintainerOrApprover => {
                format!("Only maintainers or approvers can use `/{command}`")
            }
            Refusal::CannotHold => format!(
                "{user} cannot manage hold — only the PR author or approvers can mark a pull \
                 request with hold"
            ),
            Refusal::NotAnApprover => format!(
                "{user} cannot `/{command}`: only approvers of this pull request can approve it"
            ),
            Refusal::OwnPullRequest => {
                format!("{user} cannot `/{command}` their own pull request")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(grants: &[(&str, &str)]) -> People {
        let collaborators: BTreeMap<String, String> = [
            ("Mia", "ADMIN"),
            ("max", "MAINTAIN"),
            ("wendy", "WRITE"),
            ("alice", "WRITE"),
        ]
        .iter()
        .map(|(l, p)| (l.to_string(), p.to_string()))
        .collect();
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let owners = PullOwners {
            approvers: set(&["carol"]),
            reviewers: set(&["bob"]),
            root_approvers: set(&["rita"]),
            allowed_users: set(&["@ally"]),
            all_approvers: set(&["carol", "rita", "fred"]),
            ..PullOwners::default()
        };
        let comments: Vec<AuthoredComment> = grants
            .iter()
            .map(|(by, body)| AuthoredComment {
                author: by.to_string(),
                body: body.to_string(),
            })
            .collect();
        People::new(
            "alice",
            &collaborators,
            &owners,
            &["rev".to_string()],
            &comments,
        )
    }

    #[test]
    fn the_table() {
        let p = people(&[]);
        use Audience::*;
        // (audience, user, allowed)
        let cases = [
            (Maintainers, "mia", true),
            (Maintainers, "max", true),
            (Maintainers, "wendy", false),
            (Maintainers, "carol", false),
            (MaintainersOrApprovers, "max", true),
            (MaintainersOrApprovers, "fred", true),
            (MaintainersOrApprovers, "wendy", false),
            (ValidUsers, "wendy", true),
            (ValidUsers, "bob", true),
            (ValidUsers, "rev", true),
            (ValidUsers, "ally", true),
            (ValidUsers, "fred", true),
            (ValidUsers, "stranger", false),
            (AuthorOrValidUsers, "alice", true),
            (AuthorOrValidUsers, "stranger", false),
            (AuthorOrApprovers, "alice", true),
            (AuthorOrApprovers, "carol", true),
            (AuthorOrApprovers, "rita", true),
            (AuthorOrApprovers, "fred", false),
            (AuthorOrApprovers, "mia", false),
            (ValidUsersButTheAuthor, "bob", true),
            (ValidUsersButTheAuthor, "alice", false),
            (ValidUsersButTheAuthor, "stranger", false),
            (ApproversButTheAuthor, "carol", true),
            (ApproversButTheAuthor, "CAROL", true),
            (ApproversButTheAuthor, "rita", true),
            (ApproversButTheAuthor, "fred", false),
            (ApproversButTheAuthor, "bob", false),
        ];
        for (audience, user, allowed) in cases {
            assert_eq!(
                p.allows(audience, user).is_ok(),
                allowed,
                "{audience:?} {user}"
            );
        }
        assert_eq!(
            p.allows(ApproversButTheAuthor, "alice"),
            Err(Refusal::OwnPullRequest)
        );
        assert_eq!(
            p.allows(ApproversButTheAuthor, "bob"),
            Err(Refusal::NotAnApprover)
        );
        assert_eq!(p.allows(AuthorOrApprovers, "bob"), Err(Refusal::CannotHold));
    }

    #[test]
    fn every_command_has_its_audience() {
        let cases = [
            ("/security-override", Audience::Maintainers),
            ("/security-override cancel", Audience::Maintainers),
            ("/automerge", Audience::MaintainersOrApprovers),
            ("/add-allowed-user @x", Audience::MaintainersOrApprovers),
            ("/wip", Audience::AuthorOrValidUsers),
            ("/verified cancel", Audience::AuthorOrValidUsers),
            ("/hold", Audience::AuthorOrApprovers),
            ("/unhold", Audience::AuthorOrApprovers),
            ("/lgtm", Audience::ValidUsersButTheAuthor),
            ("/approve", Audience::ApproversButTheAuthor),
            ("/retest tox", Audience::ValidUsers),
            ("/cherry-pick b", Audience::ValidUsers),
            ("/assign-reviewer @x", Audience::ValidUsers),
        ];
        for (body, want) in cases {
            let command = commands::parse(body).remove(0).parsed.unwrap();
            assert_eq!(audience(&command), want, "{body}");
        }
    }

    #[test]
    fn grants_count_only_from_maintainers_and_approvers_and_only_for_the_exact_login() {
        let p = people(&[
            ("max", "/add-allowed-user @bobby"),
            ("wendy", "/add-allowed-user @eve"),
            ("fred", "thanks\n/add-allowed-user zed"),
            ("max", "> /add-allowed-user @quoted"),
        ]);
        assert!(p.allows(Audience::ValidUsers, "bobby").is_ok());
        assert!(
            p.allows(Audience::ValidUsers, "bob").is_ok(),
            "a reviewer anyway"
        );
        assert!(p.allows(Audience::ValidUsers, "bobb").is_err());
        assert!(p.allows(Audience::ValidUsers, "eve").is_err());
        assert!(p.allows(Audience::ValidUsers, "zed").is_ok());
        assert!(p.allows(Audience::ValidUsers, "quoted").is_err());
    }

    #[test]
    fn refusals_explain_themselves() {
        let p = people(&[]);
        let text = Refusal::NotAllowed.message("eve", "lgtm", &p);
        assert!(text.starts_with(
            "eve is not allowed to run commands. maintainers can allow it by comment `/add-allowed-user @eve`"
        ));
        assert!(text.contains("Maintainers:\n - @max\n - @mia"));
        assert!(text.contains("Approvers:\n - @carol\n - @fred\n - @rita"));
        assert_eq!(
            Refusal::NotAMaintainerOrApprover.message("eve", "automerge", &p),
            "Only maintainers or approvers can set pull request to auto-merge"
        );
        assert_eq!(
            Refusal::NotAMaintainer.message("eve", "security-override", &p),
            "Only maintainers can use `/security-override`"
        );
    }
}
