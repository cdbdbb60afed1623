//! Comments on issues and pull requests, and reactions to them.

use serde_json::{Value, json};

use crate::errors::{Outcome, Refusal};
use crate::hooks::{Outgoing, emit};
use crate::state::{Sim, repo_key};
use crate::world::{Comment, World, now};

pub(crate) fn add_comment(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    author: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let id = w.next_id();
        w.user_id(author);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        if !r.issues.contains_key(&number) {
            return Err(Refusal::NotFound);
        }
        let at = now();
        r.comments.insert(
            id,
            Comment {
                id,
                issue: number,
                user: author.to_string(),
                body,
                created_at: at.clone(),
                updated_at: at,
                reactions: Vec::new(),
            },
        );
        Ok(comment_event(
            w,
            out,
            &key,
            id,
            author,
            json!({"action": "created"}),
        ))
    })
}

/// Edits a comment as `author`: `issue_comment` `edited` with the previous body.
pub(crate) fn edit_comment(
    sim: &Sim,
    owner: &str,
    repo: &str,
    id: u64,
    author: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(author);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let comment = r.comments.get_mut(&id).ok_or(Refusal::NotFound)?;
        if comment.user != author {
            return Err(Refusal::Forbidden(
                "Only the author can edit a comment".into(),
            ));
        }
        let previous = std::mem::replace(&mut comment.body, body);
        comment.updated_at = now();
        let changes = json!({"action": "edited", "changes": {"body": {"from": previous}}});
        Ok(comment_event(w, out, &key, id, author, changes))
    })
}

/// Sends `issue_comment` for comment `id`, `payload` (its action and changes) completed with
/// the comment and its issue as they are now; returns the comment.
fn comment_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    id: u64,
    author: &str,
    mut payload: Value,
) -> Value {
    let r = &w.repos[key];
    let comment = w.comment_json(r, &r.comments[&id]);
    payload["issue"] = w.issue_json(r, &r.issues[&r.comments[&id].issue]);
    payload["comment"] = comment.clone();
    out.extend(emit(w, key, "issue_comment", author, payload));
    comment
}

const REACTIONS: &[&str] = &[
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

/// Reacts to an issue comment; the same reaction twice is answered with the first (200).
pub(crate) fn react(
    sim: &Sim,
    owner: &str,
    repo: &str,
    comment_id: u64,
    actor: &str,
    content: &str,
) -> Outcome<(bool, Value)> {
    let key = repo_key(owner, repo);
    sim.act(|w, _out| {
        if !REACTIONS.contains(&content) {
            return Err(Refusal::Invalid(format!("Invalid reaction `{content}`")));
        }
        let id = w.next_id();
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let comment = r.comments.get_mut(&comment_id).ok_or(Refusal::NotFound)?;
        let existing = comment
            .reactions
            .iter()
            .position(|x| x.user == actor && x.content == content);
        let (created, index) = match existing {
            Some(i) => (false, i),
            None => {
                comment.reactions.push(crate::world::Reaction {
                    id,
                    user: actor.to_string(),
                    content: content.to_string(),
                    created_at: now(),
                });
                (true, comment.reactions.len() - 1)
            }
        };
        let reaction = &w.repos[&key].comments[&comment_id].reactions[index];
        Ok((created, w.reaction_json(reaction)))
    })
}
