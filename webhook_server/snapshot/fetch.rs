//! Reading the snapshot: one GraphQL query for the repository and the pull request, the compare
//! answer or further pages when it changes many files, then one query for the OWNERS files.

use anyhow::Context;
use serde_json::{Value, json};

use super::model::{RepositoryData, WELCOME_MARKER};
use super::parse::{compare_files, files, own_issues, owners_paths, parse};
use crate::config::REPO_FILE_NAME;
use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::github::queries;

/// GitHub lists at most 3 000 changed files for a pull request: 30 pages of 100.
const MAX_FILE_PAGES: usize = 30;
/// The compare call lists at most this many files.
const MAX_COMPARE_FILES: usize = 300;

impl RepositoryData {
    /// Fetches the snapshot for pull request `number`; reads the repository's own
    /// config from `default_branch`. OWNERS files are read only for an open pull request.
    /// `starts`: the delivery starts the pull request's life (opened, reopened, ready for
    /// review), so it may have to find a tracking issue an earlier run opened.
    pub async fn fetch(
        session: &Session,
        number: u64,
        default_branch: &str,
        max_owners_files: usize,
        starts: bool,
    ) -> anyhow::Result<RepositoryData> {
        let body = json!({
            "query": queries::REPOSITORY_DATA,
            "variables": {
                "owner": session.owner, "name": session.name, "number": number,
                "configExpression": format!("{default_branch}:{REPO_FILE_NAME}"),
            },
        });
        let answer = session.graphql(&body).await?;
        let mut data = parse(&answer)?;
        let mut page = answer["repository"]["pullRequest"]["files"]["pageInfo"].clone();
        let mut pages = 1;
        if page["hasNextPage"] == true {
            match session
                .compare(&data.pull.base_sha, &data.pull.head_sha)
                .await
            {
                Ok(answer) => {
                    let listed = answer["files"].as_array().map_or(0, Vec::len);
                    if listed < MAX_COMPARE_FILES {
                        data.pull.files = compare_files(&answer);
                        page["hasNextPage"] = json!(false);
                    }
                    data.compare = Some(answer);
                }
                // The head was force-pushed away meanwhile: the pages still list the files.
                Err(GitHubError::Status { status: 404, .. }) => {}
                Err(e) => return Err(anyhow::Error::new(e).context("reading the changed files")),
            }
        }
        while page["hasNextPage"] == true && pages < MAX_FILE_PAGES {
            let more = session
                .graphql(&json!({
                    "query": queries::PULL_REQUEST_FILES,
                    "variables": {
                        "owner": session.owner, "name": session.name, "number": number,
                        "after": page["endCursor"],
                    },
                }))
                .await
                .context("reading the changed files")?;
            let connection = &more["repository"]["pullRequest"]["files"];
            data.pull.files.extend(files(connection));
            page = connection["pageInfo"].clone();
            pages += 1;
        }
        if data.pull.state == "OPEN" {
            let base = &data.pull.base_sha;
            let (paths, all_read) = owners_paths(&data.pull.files, max_owners_files);
            data.owners_complete = all_read && page["hasNextPage"] != true;
            let mut wanted: Vec<String> = paths.iter().map(|p| format!("{base}:{p}")).collect();
            // The same query reads the repository file a pull request into the default branch
            // brings, so its problems show before it is in force, at no extra call.
            let proposes_config = data.pull.base_ref == data.default_branch
                && data
                    .pull
                    .files
                    .iter()
                    .any(|f| f.path == REPO_FILE_NAME && f.change_type != "DELETED");
            if proposes_config {
                wanted.push(format!("{}:{REPO_FILE_NAME}", data.pull.head_sha));
            }
            // Only a delivery that starts the pull request posts the welcome comment and may
            // open its tracking issue; an earlier, failed one may have opened it already.
            let seek_tracking_issue = starts
                && !data
                    .pull
                    .our_comments
                    .iter()
                    .any(|c| c.body.contains(WELCOME_MARKER));
            let answer = read_files(session, &wanted, seek_tracking_issue)
                .await
                .context("reading OWNERS files")?;
            let repo = &answer["repository"];
            let mut texts: Vec<Option<String>> = (0..wanted.len())
                .map(|i| repo[format!("f{i}")]["text"].as_str().map(str::to_string))
                .collect();
            data.our_issues = own_issues(&repo["issues"], data.viewer.as_deref());
            if proposes_config {
                data.proposed_config_text = texts.pop().flatten();
            }
            data.owners = paths
                .into_iter()
                .zip(texts)
                .filter_map(|(path, text)| Some((path, text?)))
                .collect();
        }
        Ok(data)
    }
}

/// Reads each `rev:path` expression in one query, with the repository's newest issues when
/// `with_issues`.
async fn read_files(
    session: &Session,
    expressions: &[String],
    with_issues: bool,
) -> anyhow::Result<Value> {
    let body = queries::files_at(&session.owner, &session.name, expressions, with_issues);
    Ok(session.graphql(&body).await?)
}
