//! Keyset paging for the staff's queues, newest first by id: 首页 / 上一页 / 下一页 / 尾页 /
//! 跳转 as figure 9 shows them. Next and previous pages are read from the id of the row at the
//! page's edge (no OFFSET, so page 5,000 of a million rows costs what page 2 costs); 尾页 and
//! 跳转 to a page number use an offset, counted from the nearer end.

use serde::Serialize;

/// Which page was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRequest {
    First,
    /// The page after the one whose last (oldest) row had this id.
    After(i64),
    /// The page before the one whose first (newest) row had this id.
    Before(i64),
    /// Page n (from 1).
    Jump(u32),
    Last,
}

impl PageRequest {
    /// From the query string's `after`, `before`, `page` and `last`; anything unreadable is
    /// the first page.
    pub fn from_query(after: &str, before: &str, page: &str, last: &str) -> Self {
        let id = |s: &str| s.trim().parse::<i64>().ok().filter(|n| *n > 0);
        if last == "1" {
            return Self::Last;
        }
        if let Some(a) = id(after) {
            return Self::After(a);
        }
        if let Some(b) = id(before) {
            return Self::Before(b);
        }
        match page.trim().parse::<u32>() {
            Ok(n) if n > 1 => Self::Jump(n.min(1_000_000)),
            _ => Self::First,
        }
    }
}

/// Where a page sits, for its links.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    /// The page's number, when known (always, except after a keyset step without one).
    pub page: u32,
    pub pages: u32,
    pub total: i64,
    /// Ids at the page's edges, for 上一页 (`before=first_id`) and 下一页 (`after=last_id`).
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
    pub has_prev: bool,
    pub has_next: bool,
}

impl PageInfo {
    /// `ids`: the page's rows' ids, newest first; `fetched_more`: the query found a row
    /// beyond the page in the direction it read; `from_page`: the page the request came from.
    pub fn new(
        request: PageRequest,
        ids: &[i64],
        fetched_more: bool,
        total: i64,
        per_page: u32,
        from_page: u32,
    ) -> Self {
        let pages = u32::try_from((total.max(0) + i64::from(per_page) - 1) / i64::from(per_page))
            .unwrap_or(u32::MAX)
            .max(1);
        let (page, has_prev, has_next) = match request {
            PageRequest::First => (1, false, fetched_more),
            PageRequest::After(_) => ((from_page + 1).min(pages), true, fetched_more),
            PageRequest::Before(_) => (from_page.saturating_sub(1).max(1), fetched_more, true),
            PageRequest::Jump(n) => {
                let n = n.min(pages);
                (n, n > 1, n < pages)
            }
            PageRequest::Last => (pages, pages > 1, false),
        };
        Self {
            page,
            pages,
            total,
            first_id: ids.first().copied(),
            last_id: ids.last().copied(),
            has_prev,
            has_next,
        }
    }
}

/// How a store reads one page: the SQL fragments (`id` cursor condition, order, limit,
/// offset) for a table aliased `t`, newest first, and whether the rows come back reversed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePlan {
    pub condition: String,
    pub order: &'static str,
    pub limit: i64,
    pub offset: i64,
    /// Rows were read oldest first and must be reversed to show newest first.
    pub reversed: bool,
}

impl PageRequest {
    /// The plan for `column` (a constant of ours, e.g. `a.id`), `per_page` rows; the limit is
    /// one more than the page so the store can tell whether there is more.
    pub fn plan(self, column: &str, per_page: u32, total: i64) -> PagePlan {
        let per = i64::from(per_page);
        match self {
            Self::First => PagePlan {
                condition: "1 = 1".into(),
                order: "DESC",
                limit: per + 1,
                offset: 0,
                reversed: false,
            },
            Self::After(id) => PagePlan {
                condition: format!("{column} < {id}"),
                order: "DESC",
                limit: per + 1,
                offset: 0,
                reversed: false,
            },
            Self::Before(id) => PagePlan {
                condition: format!("{column} > {id}"),
                order: "ASC",
                limit: per + 1,
                offset: 0,
                reversed: true,
            },
            Self::Jump(n) => {
                let pages = ((total.max(0) + per - 1) / per).max(1);
                let n = i64::from(n).min(pages);
                let from_end = pages - n;
                if from_end < n - 1 {
                    // Nearer the end: count from the oldest rows.
                    let last_size = total - (pages - 1) * per;
                    PagePlan {
                        condition: "1 = 1".into(),
                        order: "ASC",
                        limit: if from_end == 0 { last_size.max(1) } else { per },
                        offset: if from_end == 0 {
                            0
                        } else {
                            last_size + (from_end - 1) * per
                        },
                        reversed: true,
                    }
                } else {
                    PagePlan {
                        condition: "1 = 1".into(),
                        order: "DESC",
                        limit: per,
                        offset: (n - 1) * per,
                        reversed: false,
                    }
                }
            }
            Self::Last => {
                let pages = ((total.max(0) + per - 1) / per).max(1);
                let last_size = (total - (pages - 1) * per).max(0);
                PagePlan {
                    condition: "1 = 1".into(),
                    order: "ASC",
                    limit: last_size.max(1),
                    offset: 0,
                    reversed: true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows 1..=n read through a plan, as a store would.
    fn read(n: i64, plan: &PagePlan, per: u32) -> (Vec<i64>, bool) {
        let mut rows: Vec<i64> = (1..=n)
            .filter(|id| {
                let c = &plan.condition;
                if let Some(x) = c.strip_prefix("id < ") {
                    *id < x.parse::<i64>().unwrap()
                } else if let Some(x) = c.strip_prefix("id > ") {
                    *id > x.parse::<i64>().unwrap()
                } else {
                    true
                }
            })
            .collect();
        if plan.order == "DESC" {
            rows.reverse();
        }
        let mut page: Vec<i64> = rows
            .into_iter()
            .skip(plan.offset as usize)
            .take(plan.limit as usize)
            .collect();
        let more = page.len() > per as usize;
        page.truncate(per as usize);
        if plan.reversed {
            page.reverse();
        }
        (page, more)
    }

    #[test]
    fn walking_the_pages_both_ways_and_jumping() {
        let (n, per) = (23_i64, 10_u32);
        let first = read(n, &PageRequest::First.plan("id", per, n), per);
        assert_eq!(first.0, (14..=23).rev().collect::<Vec<_>>());
        let info = PageInfo::new(PageRequest::First, &first.0, first.1, n, per, 1);
        assert!(info.has_next && !info.has_prev && info.pages == 3);
        let second = read(n, &PageRequest::After(14).plan("id", per, n), per);
        assert_eq!(second.0, (4..=13).rev().collect::<Vec<_>>());
        let back = read(n, &PageRequest::Before(13).plan("id", per, n), per);
        assert_eq!(back.0, first.0);
        let last = read(n, &PageRequest::Last.plan("id", per, n), per);
        assert_eq!(last.0, vec![3, 2, 1]);
        for (p, expect) in [(1, 23), (2, 13), (3, 3)] {
            let got = read(n, &PageRequest::Jump(p).plan("id", per, n), per);
            assert_eq!(got.0[0], expect, "page {p}");
        }
        assert_eq!(
            PageRequest::from_query("", "", "abc", ""),
            PageRequest::First
        );
        assert_eq!(
            PageRequest::from_query("14", "", "", ""),
            PageRequest::After(14)
        );
        assert_eq!(PageRequest::from_query("", "", "", "1"), PageRequest::Last);
    }
}
