//! 用户问答 and 常见问题: questions with their threads (and attachments), and the answered
//! questions published, anonymised, for everyone.

use govsite_core::ids::{AccountId, OfficeId, UnitId};
use govsite_core::question::{Category, QuestionState};
use serde::Serialize;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Db, StoreResult, stored};

/// The most rows one list shows (newest or most urgent first).
pub const LIST_LIMIT: i64 = 100;

#[derive(Debug, Clone, Serialize)]
pub struct QuestionRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: i64,
    pub asked_by: i64,
    #[serde(skip)]
    pub category: Category,
    pub category_label: &'static str,
    pub office_id: Option<i64>,
    pub title: String,
    #[serde(skip)]
    pub state: QuestionState,
    pub state_name: &'static str,
    pub state_label: &'static str,
    pub due_on: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "q.id, q.unit_id, u.name AS unit_name, u.region_code, q.asked_by,
    q.category, q.office_id, q.title, q.state, q.due_on, q.created_at, q.updated_at";

fn from_row(r: &AnyRow) -> StoreResult<QuestionRow> {
    let id: i64 = r.try_get("id")?;
    let category: String = r.try_get("category")?;
    let category = stored("questions", id, "category", &category, Category::parse)?;
    let state: String = r.try_get("state")?;
    let state = stored("questions", id, "state", &state, QuestionState::parse)?;
    Ok(QuestionRow {
        id,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        region_code: r.try_get("region_code")?,
        asked_by: r.try_get("asked_by")?,
        category,
        category_label: category.label(),
        office_id: r.try_get("office_id")?,
        title: r.try_get("title")?,
        state,
        state_name: state.as_str(),
        state_label: state.label(),
        due_on: r.try_get("due_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A new question; its first post is added by [`add_post`].
pub struct NewQuestion<'a> {
    pub unit: UnitId,
    pub asked_by: AccountId,
    pub category: Category,
    /// The 编办 that answers, or `None` for the registry.
    pub office: Option<OfficeId>,
    pub title: &'a str,
    pub due_on: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, q: &NewQuestion<'_>, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO questions (unit_id, asked_by, category, office_id, title, state, due_on,
                                created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) RETURNING id",
    )
    .bind(q.unit.get())
    .bind(q.asked_by.get())
    .bind(q.category.as_str())
    .bind(q.office.map(|o| o.get()))
    .bind(q.title)
    .bind(q.due_on)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?)
}

/// A file attached to a post, already checked.
pub struct Attachment<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// One post of a thread: `kind` is `question`, `answer`, `ask_back`, `reply` or `close`.
pub struct NewPost<'a> {
    pub question: i64,
    pub kind: &'static str,
    pub author: AccountId,
    pub body: &'a str,
    pub attachment: Option<Attachment<'a>>,
}

pub async fn add_post(conn: &mut AnyConnection, p: &NewPost<'_>, now: i64) -> StoreResult<()> {
    let (name, content_type, bytes) = match &p.attachment {
        Some(a) => (a.name, a.content_type, Some(a.bytes.to_vec())),
        None => ("", "", None),
    };
    sqlx::query(
        "INSERT INTO question_posts (question_id, kind, author_id, body, attachment_name,
                                     attachment_type, attachment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.question)
    .bind(p.kind)
    .bind(p.author.get())
    .bind(p.body)
    .bind(name)
    .bind(content_type)
    .bind(bytes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a question from `from` to `to` (and, when given, a new reply due date); false when
/// someone else moved it first.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: QuestionState,
    to: QuestionState,
    due_on: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE questions SET state = $1, updated_at = $2, due_on = COALESCE($3, due_on)
         WHERE id = $4 AND state = $5",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(due_on)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find(db: &Db, id: i64) -> StoreResult<Option<QuestionRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM questions q JOIN units u ON u.id = q.unit_id WHERE q.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A unit's questions, newest first.
pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<QuestionRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM questions q JOIN units u ON u.id = q.unit_id
         WHERE q.unit_id = $1 ORDER BY q.id DESC LIMIT $2"
    )))
    .bind(unit.get())
    .bind(LIST_LIMIT)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The questions a desk answers (an office's, or the registry's with `None`), in one state
/// or all, the longest-waiting first.
pub async fn queue(
    db: &Db,
    office: Option<OfficeId>,
    state: Option<QuestionState>,
) -> StoreResult<Vec<QuestionRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM questions q JOIN units u ON u.id = q.unit_id
         WHERE (q.office_id = $1 OR ($1 IS NULL AND q.office_id IS NULL))
           AND ($2 = '' OR q.state = $2)
         ORDER BY CASE WHEN q.state = 'open' THEN 0 ELSE 1 END, q.due_on, q.id LIMIT $3"
    )))
    .bind(office.map(|o| o.get()))
    .bind(state.map_or("", QuestionState::as_str))
    .bind(LIST_LIMIT)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct PostRow {
    pub id: i64,
    pub kind: String,
    pub author_id: i64,
    pub author_name: String,
    pub author_role: String,
    pub body: String,
    pub attachment_name: String,
    pub attachment_type: String,
    pub created_at: i64,
}

/// A thread's posts, oldest first, without the attachments' bytes.
pub async fn posts(db: &Db, question: i64) -> StoreResult<Vec<PostRow>> {
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.author_id, a.display_name, a.role, p.body, p.attachment_name,
                p.attachment_type, p.created_at
         FROM question_posts p JOIN accounts a ON a.id = p.author_id
         WHERE p.question_id = $1 ORDER BY p.id",
    )
    .bind(question)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PostRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                author_id: r.try_get("author_id")?,
                author_name: r.try_get("display_name")?,
                author_role: r.try_get("role")?,
                body: r.try_get("body")?,
                attachment_name: r.try_get("attachment_name")?,
                attachment_type: r.try_get("attachment_type")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A post's attachment: (question, file name, content type, bytes).
pub async fn attachment(db: &Db, post: i64) -> StoreResult<Option<(i64, String, String, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT question_id, attachment_name, attachment_type, attachment FROM question_posts
         WHERE id = $1 AND attachment IS NOT NULL",
    )
    .bind(post)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| {
            Ok::<_, sqlx::Error>((
                r.try_get("question_id")?,
                r.try_get("attachment_name")?,
                r.try_get("attachment_type")?,
                r.try_get("attachment")?,
            ))
        })
        .transpose()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct FaqRow {
    pub id: i64,
    pub question_id: Option<i64>,
    pub category_label: &'static str,
    pub title: String,
    pub question: String,
    pub answer: String,
    pub published_at: i64,
}

fn faq_from_row(r: &AnyRow) -> StoreResult<FaqRow> {
    let id: i64 = r.try_get("id")?;
    let category: String = r.try_get("category")?;
    let category = stored("faq_entries", id, "category", &category, Category::parse)?;
    Ok(FaqRow {
        id,
        question_id: r.try_get("question_id")?,
        category_label: category.label(),
        title: r.try_get("title")?,
        question: r.try_get("question")?,
        answer: r.try_get("answer")?,
        published_at: r.try_get("published_at")?,
    })
}

pub struct NewFaq<'a> {
    pub question: i64,
    pub category: Category,
    pub title: &'a str,
    pub question_text: &'a str,
    pub answer: &'a str,
    pub by: AccountId,
}

pub async fn publish(conn: &mut AnyConnection, f: &NewFaq<'_>, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO faq_entries (question_id, category, title, question, answer, published_by,
                                  published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(f.question)
    .bind(f.category.as_str())
    .bind(f.title)
    .bind(f.question_text)
    .bind(f.answer)
    .bind(f.by.get())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?)
}

/// Takes an entry off 常见问题; false when it was not published.
pub async fn withdraw(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE faq_entries SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The published entry made from a question, if any.
pub async fn faq_of_question(db: &Db, question: i64) -> StoreResult<Option<FaqRow>> {
    let row = sqlx::query(
        "SELECT id, question_id, category, title, question, answer, published_at
         FROM faq_entries WHERE question_id = $1 AND withdrawn_at IS NULL",
    )
    .bind(question)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(faq_from_row).transpose()
}

pub async fn faq_find(db: &Db, id: i64) -> StoreResult<Option<FaqRow>> {
    let row = sqlx::query(
        "SELECT id, question_id, category, title, question, answer, published_at
         FROM faq_entries WHERE id = $1 AND withdrawn_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(faq_from_row).transpose()
}

/// Published entries whose title, question or answer contains every word of `words`
/// (case-insensitive for Latin letters), in one category or all, newest first.
pub async fn faq_search(
    db: &Db,
    words: &[String],
    category: Option<Category>,
) -> StoreResult<Vec<FaqRow>> {
    let mut sql = String::from(
        "SELECT id, question_id, category, title, question, answer, published_at
         FROM faq_entries WHERE withdrawn_at IS NULL AND ($1 = '' OR category = $1)",
    );
    for n in 0..words.len() {
        let p = n + 2;
        sql.push_str(&format!(
            " AND (LOWER(title) LIKE ${p} ESCAPE '\\' OR LOWER(question) LIKE ${p} ESCAPE '\\'
                   OR LOWER(answer) LIKE ${p} ESCAPE '\\')"
        ));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {LIST_LIMIT}"));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(category.map_or("", Category::as_str));
    for w in words {
        let escaped = w
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q = q.bind(format!("%{escaped}%"));
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter().map(faq_from_row).collect()
}
